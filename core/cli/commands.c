/* commands.c - the table of the gateway's commands; see commands.h.
 * Help texts are written for an operator at a terminal: the usage line,
 * what the command does, then options and exit codes (args.c lays them
 * out and wraps them). An option added here is accepted by the parser and
 * shown in the help at once; its command reads it with
 * cli_value(p, "long-name").
 */
#include "cli/commands.h"

#include "cli/cli_actions.h" /* CLI_ACTIONS_DEFAULT_WAIT_S */
#include "gateway/plugin.h"  /* GW_ABI_MAJOR, GW_ABI_MINOR */

#define STR_(x) #x
#define STR(x) STR_(x)

/* The options reply and dm share (clang-format would split the strings). */
/* clang-format off */
#define ACTION_OPTIONS                                                                         \
    {0, "account", "NAME",                                                                     \
     "the account that answers (default: the configuration's only account on the network)"},  \
    {0, "network", "NAME", "the network (default: EVENT_ID's prefix, as in mock:42-7)"},       \
    {0, "key", "KEY",                                                                          \
     "idempotency key: the same key never posts twice (default: a new one, printed)"},         \
    {0, "url", "URL", "the gateway's address (default: from [http] listen)"},                  \
    {0, "wait", "SECONDS",                                                                     \
     "how long to wait for the outcome (default " STR(CLI_ACTIONS_DEFAULT_WAIT_S)              \
     "; 0: don't wait, exit 3 unless already posted)"}

#define ACTION_EXIT_CODES                                                                      \
    "0 posted, 1 refused, failed or the gateway not reached, 2 bad usage, 3 accepted but "    \
    "not done within --wait, as with --wait 0 (the gateway keeps trying)"
/* clang-format on */

static const cli_command commands[] = {
    {
        .name = "run",
        .usage = "run",
        .summary = "run the gateway (the default command)",
        .about = "Run the gateway in the foreground: load the plugins, poll every account and "
                 "take its webhooks, store each event in the SQLite log and forward it to "
                 "every sink, and serve /healthz, /readyz, /metrics and the action API on "
                 "[http] listen. It is the command when none is given.\n\n"
                 "SIGINT and SIGTERM drain (in-flight operations finish, sinks catch up with "
                 "the log) and exit 0; a second signal closes at once. SIGHUP reopens file "
                 "sinks (for logrotate).",
        .exit_codes = "0 drained after SIGINT or SIGTERM, 1 could not start, 2 bad configuration "
                      "or data_dir in use by another gateway",
        .max_args = 0,
    },
    {
        .name = "check-config",
        .usage = "check-config",
        .summary = "validate the configuration and every account's options",
        .about = "Validate the configuration file, and every account's [account.options] "
                 "against the options its network's plugin declares, without starting "
                 "anything. Errors name file:line:column, the key, what was expected and "
                 "what was found.",
        .exit_codes = "0 valid (it prints \"FILE: OK (N accounts, M sinks)\"), 2 invalid or "
                      "unreadable",
        .max_args = 0,
    },
    {
        .name = "plugins",
        .usage = "plugins [FILE...]",
        .summary = "list the plugins found (version, ABI, capabilities) or why each was "
                   "refused; FILEs inspect given files",
        .about = "List the plugins in the configuration's gateway.plugin_dir, one line each: "
                 "name, version, plugin ABI, capabilities and path, or why the loader "
                 "refused it. Without -c and without a " CLI_DEFAULT_CONFIG " in the current "
                 "directory, the directory is build/plugins. With FILEs, inspect those "
                 "shared objects instead.",
        .exit_codes = "0 every plugin loads, 1 one was refused or the directory cannot be "
                      "read, 2 bad configuration",
        .max_args = -1,
    },
    {
        .name = "plugin-check",
        .usage = "plugin-check FILE.so [--options FILE.toml] [--fake URL]",
        .summary = "load a plugin in a test host and report each breach of the plugin contract",
        .about = "Load one plugin in a test host and run it through its life: create and "
                 "destroy (a leak is a breach), fetch, a refetch from a fresh kv store (the "
                 "native ids must be the same), post_public and send_private, a webhook "
                 "delivery with a forged signature, destroy. Each breach of the contract in "
                 "include/gateway/plugin.h is one line, BREACH <check>: <what happened> "
                 "(contract: <the rule>), then a summary line. The checks: descriptor, create, "
                 "leak, complete-once, complete-deadline, block-loop, event-valid, event-schema, "
                 "ids-stable, kv-limits, secrets, unsupported-typed, webhook, timer-handle "
                 "(docs/plugin-check.md).\n\n"
                 "The options file holds the account's [account.options] keys at its top "
                 "level, checked as check-config would; ${ENV} is expanded, and --fake URL "
                 "sets FAKE_URL, so base_url = \"${FAKE_URL}\" points the plugin at a fake "
                 "network. Secret option values never appear in what it prints.",
        .exit_codes = "0 no breach, 1 one or more breaches, 2 bad usage, a missing FILE or "
                      "options the plugin's declaration refuses",
        .max_args = 1,
        .options = {{0, "options", "FILE.toml",
                     "the account's options (default: none, so "
                     "every key takes its default)"},
                    {0, "fake", "URL", "the fake network's base URL, as ${FAKE_URL}"},
                    {0, "max-block-ms", "MS",
                     "longest a call into the plugin may hold the loop (default 5; 20 in "
                     "a sanitizer build)"},
                    {0, "deadline-ms", "MS",
                     "longest a hook may take to complete (default 60000, the gateway's "
                     "fetch_timeout)"},
                    {0, "json", NULL, "print the report as one JSON object"}},
    },
    {
        .name = "config-docs",
        .usage = "config-docs [-o FILE]",
        .summary = "write the configuration reference (Markdown)",
        .about = "Write the configuration reference (Markdown): every key of the core's "
                 "sections and of each plugin's [account.options], from the declarations in "
                 "code. The plugins are those of the configuration's gateway.plugin_dir with "
                 "-c, of build/plugins without. docs/configuration.md is this output.",
        .exit_codes = "0 written, 1 the plugins or FILE could not be read or written, 2 bad "
                      "configuration",
        .max_args = 0,
        .options = {{'o', "output", "FILE", "write to FILE instead of stdout"}},
    },
    {
        .name = "reply",
        .usage = "reply [OPTIONS] EVENT_ID TEXT",
        .summary = "answer an event publicly, in its thread",
        .about = "Answer an event publicly, in its thread, through the running gateway's "
                 "action API (POST /v1/actions), then wait for the outcome. The token is "
                 "$GATEWAY_API_TOKEN, the gateway's [api] token. A second reply to a thread "
                 "is refused unless --force. Put -- before a TEXT that starts with '-'.",
        .exit_codes = ACTION_EXIT_CODES,
        .max_args = -1, /* cli_actions.c says what is missing or one too many */
        .options = {{0, "force", NULL, "reply even if the thread has a reply"}, ACTION_OPTIONS},
    },
    {
        .name = "dm",
        .usage = "dm [OPTIONS] EVENT_ID TEXT\ndm [OPTIONS] --to USER_ID TEXT",
        .summary = "send a private message to the event's author (or USER_ID)",
        .about = "Send a private message to the author of an event, or to a user id, "
                 "through the running gateway's action API (POST /v1/actions), then wait for "
                 "the outcome. The token is $GATEWAY_API_TOKEN, the gateway's [api] token. "
                 "Put -- before a TEXT that starts with '-'.",
        .exit_codes = ACTION_EXIT_CODES,
        .max_args = -1,
        .options = {{0, "to", "USER_ID", "the user to message, instead of EVENT_ID's author"},
                    ACTION_OPTIONS},
    },
    {
        .name = "accounts",
        .usage = "accounts [--url URL]\naccounts restart NETWORK/NAME",
        .summary = "list the accounts' states, or restart one the circuit breaker stopped",
        .about = "List every configured account, one line each: network/name, state (running, "
                 "credentials_failing, stopped, disabled, not_started), consecutive failures "
                 "of max_failures, the next retry and the last error, from the running "
                 "gateway's GET /v1/accounts. An account is stopped after [gateway] "
                 "max_failures consecutive failed fetches: it then neither fetches, nor takes "
                 "webhooks, nor sends answers (they wait in the outbox). Fix the cause, then "
                 "`accounts restart NETWORK/NAME` resets its circuit breaker and fetches "
                 "again. The token is $GATEWAY_API_TOKEN, else the configuration's [api] "
                 "token.",
        .exit_codes = "0 listed, or restarted (also when it was not stopped), 1 refused or the "
                      "gateway not reached, 2 bad usage",
        .max_args = 2,
        .options = {{0, "url", "URL", "the gateway's address (default: from [http] listen)"}},
    },
    {
        .name = "deadletter",
        .usage = "deadletter [list] [--sink NAME]\ndeadletter show ID\n"
                 "deadletter replay ID...\ndeadletter drop ID...",
        .summary = "list, show, replay or drop the events a sink's receiver refused",
        .about = "A webhook sink parks an event its receiver refuses for good (a 4xx other "
                 "than 408 and 429, max_attempts times) as a dead letter and goes on with the "
                 "next. `list` shows them, oldest first; `show ID` prints one with its event; "
                 "`replay ID` sends it to its sink again before the sink's next batch (the "
                 "dead letter goes once delivered, or stays with the new answer); `drop ID` "
                 "forgets it. Through the running gateway's /v1/deadletters; the token is "
                 "$GATEWAY_API_TOKEN, else the configuration's [api] token.",
        .exit_codes = "0 done, 1 refused (an unknown id) or the gateway not reached, 2 bad "
                      "usage",
        .max_args = -1,
        .options = {{0, "url", "URL", "the gateway's address (default: from [http] listen)"},
                    {0, "sink", "NAME", "list only this sink's dead letters"}},
    },
    {
        .name = "plugin",
        .usage = "plugin new NAME [DIR]",
        .summary = "start a new network plugin from the SDK's template",
        .about = "Write a minimal complete network plugin into DIR (default: ./NAME): fetch, "
                 "post_public, send_private and a signed webhook, a CMakeLists.txt that finds "
                 "the installed SDK through pkg-config (gateway-sdk), a tiny fake of the "
                 "network and a test that runs the plugin in a real gateway. NAME is the "
                 "network's name (1-32 characters of a-z, 0-9 and '_', starting with a "
                 "letter): the plugin is NAME.so and its functions NAME_*. docs/plugin-guide.md "
                 "goes on from there. Nothing is overwritten: DIR must not exist or be empty.",
        .exit_codes = "0 written, 1 DIR exists and is not empty or cannot be written, 2 bad "
                      "usage or NAME",
        .max_args = 3,
    },
    {
        .name = "triage",
        .usage = "triage [OPTIONS] TEXT",
        .summary = "show the triage tags and reasons a sample item gets (tune rules offline)",
        .about = "Show the tags the gateway would add to an item with this TEXT: intent, "
                 "sentiment, influence, brand keywords, mentioned or unaddressed, and the "
                 "priority with its reasons, from the configuration's [triage] and [[rule]] "
                 "tables (without -c: ./gateway.toml when there is one, else the defaults). "
                 "Nothing is started or stored, so rules and lexicons can be tuned on "
                 "samples. The item is a public mention unless --type or --rating says "
                 "otherwise. docs/triage.md explains every tag.",
        .exit_codes = "0 printed, 2 bad usage or a bad [triage]/[[rule]] configuration or "
                      "lexicon",
        .max_args = -1, /* cli_triage.c says what is missing or one too many */
        .options = {{0, "network", "NAME", "the network the item comes from (default: sample)"},
                    {0, "type", "TYPE",
                     "mention, comment, review or message (default: mention, or review "
                     "with --rating)"},
                    {0, "rating", "STARS", "a review's rating, 1 to 5"},
                    {0, "followers", "N", "the author's follower count"},
                    {0, "verified", NULL, "the author is verified"},
                    {0, "json", NULL, "print the tags object as the event would carry it"}},
    },
    {
        .name = "report",
        .usage = "report [--since DURATION] [--json]",
        .summary = "response times: answered share, median and p90 first response",
        .about = "Print the first-response figures of the conversations whose first customer "
                 "item arrived within --since (default 7d), by network, by priority and in "
                 "all: conversations, answered, the share answered, the share answered within "
                 "[service] target (\"-\" without one), and the median and 90th percentile "
                 "(nearest rank) of the time from the first customer item to the first "
                 "answer. Reads the data directory's database read-only, so it works while "
                 "the gateway runs.",
        .exit_codes = "0 printed, 1 the database could not be read, 2 bad usage or "
                      "configuration",
        .max_args = 0,
        .options = {{0, "since", "DURATION", "how far back, e.g. 7d, 24h (default 7d)"},
                    {0, "json", NULL, "print JSON instead of tables"}},
    },
    {
        .name = "help",
        .usage = "help [COMMAND]",
        .summary = "show this overview, or COMMAND's help",
        .about = "Show the overview of the commands, or COMMAND's help (the same as "
                 "gateway COMMAND --help).",
        .exit_codes = "0 shown, 2 no such command",
        .max_args = 1,
    },
    {.name = NULL},
};

const cli_program cli_gateway = {
    .name = "gateway",
    .version = "gateway " GW_VERSION " (plugin ABI " STR(GW_ABI_MAJOR) "." STR(GW_ABI_MINOR) ")",
    .about = "A plugin-based connector gateway for social customer service.",
    .footer = "Options go before or after the command; -- ends them.\n"
              "Exit codes: 0 success, 1 runtime failure, 2 bad usage, bad configuration or a\n"
              "data_dir another gateway holds.\n"
              "Signals: SIGINT/SIGTERM drain and exit 0; SIGHUP reopens file sinks.",
    .default_command = "run",
    .commands = commands,
};
