/* cli_actions.c - `gateway reply` and `gateway dm`; see cli_actions.h. */
#define _GNU_SOURCE /* getrandom */
#include "cli/cli_actions.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli_http.h"
#include "gateway/error.h"
#include "config/config.h"

#define TOKEN_ENV "GATEWAY_API_TOKEN"
#define POLL_INTERVAL_MS 200

/* Exit codes, see cli_actions.h. */
enum { EXIT_POSTED = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_PENDING = 3 };

typedef struct cli_args {
    const char *command;
    const char *account, *network, *key, *url, *to, *event, *text;
    int force;
    long wait_s;
    char network_buf[64];  /* the network taken from EVENT_ID */
    char account_buf[256]; /* the account taken from the configuration */
} cli_args;

/* Fill the base URL and account from the configuration when not given.
 * Returns 0, or EXIT_USAGE after printing why. base (caller frees). */
static int resolve_defaults(cli_args *a, const char *config_path, char **base)
{
    char why[512] = "";
    *base = NULL;
    if (a->url != NULL && a->account != NULL && a->network != NULL) {
        *base = strdup(a->url);
        return *base ? 0 : EXIT_FAILED;
    }
    gw_config *cfg = NULL;
    cfg_errors errs = {0};
    if (config_load(config_path, &cfg, &errs) != GW_OK) {
        fprintf(stderr, "gateway %s: %s; pass --url and --account, or -c FILE\n", a->command,
                errs.count ? errs.lines[0] : "cannot read the configuration");
        cfg_errors_free(&errs);
        return EXIT_USAGE;
    }
    int rc = 0;
    if (a->url != NULL)
        *base = strdup(a->url);
    else
        *base = cli_url_from_listen(json_string_value(json_object_get(cfg->http, "listen")), why,
                                sizeof why);
    if (*base == NULL) {
        fprintf(stderr, "gateway %s: %s\n", a->command, why[0] ? why : "out of memory");
        rc = EXIT_USAGE;
    }
    if (rc == 0 && a->network == NULL) {
        /* Without an event id, a configuration of one account says it. */
        if (cfg->account_count != 1) {
            fprintf(stderr, "gateway %s: say which network with --network\n", a->command);
            rc = EXIT_USAGE;
        } else {
            snprintf(a->network_buf, sizeof a->network_buf, "%s", cfg->accounts[0].network);
            a->network = a->network_buf;
        }
    }
    if (rc == 0 && a->account == NULL) {
        size_t found = 0;
        for (size_t i = 0; i < cfg->account_count; i++) {
            if (strcmp(cfg->accounts[i].network, a->network) == 0) {
                found++;
                a->account = cfg->accounts[i].name;
            }
        }
        if (found != 1) {
            fprintf(stderr, "gateway %s: %s has %zu %s accounts; say which with --account\n",
                    a->command, cfg->path, found, a->network);
            a->account = NULL;
            rc = EXIT_USAGE;
        } else {
            /* The name must outlive cfg. */
            snprintf(a->account_buf, sizeof a->account_buf, "%s", a->account);
            a->account = a->account_buf;
        }
    }
    cfg_errors_free(&errs);
    config_free(cfg);
    if (rc != 0) {
        free(*base);
        *base = NULL;
    }
    return rc;
}

/* The options and arguments, from the parsed command line. Options that
 * are not the command's (--force of dm, --to of reply) read as NULL. */
static int parse_args(cli_args *a, const cli_parsed *p)
{
    a->account = cli_value(p, "account");
    a->network = cli_value(p, "network");
    a->key = cli_value(p, "key");
    a->url = cli_value(p, "url");
    a->to = cli_value(p, "to");
    a->force = cli_value(p, "force") != NULL;
    a->wait_s = CLI_ACTIONS_DEFAULT_WAIT_S;
    const char *wait = cli_value(p, "wait");
    if (wait != NULL) {
        char *end = NULL;
        a->wait_s = strtol(wait, &end, 10);
        if (end == wait || *end != '\0' || a->wait_s < 0) {
            fprintf(stderr, "gateway %s: --wait takes whole seconds\n", a->command);
            return EXIT_USAGE;
        }
    }
    if (p->argc > 2) {
        fprintf(stderr, "gateway %s: unexpected argument \"%s\" (quote the text)\n", a->command,
                p->argv[2]);
        return EXIT_USAGE;
    }
    const char *const *positional = (const char *const *)p->argv;
    int npos = p->argc;
    int want = a->to != NULL ? 1 : 2;
    if (npos != want) {
        fprintf(stderr, "gateway %s: expected %s\n", a->command,
                a->to != NULL ? "TEXT after --to USER_ID" : "EVENT_ID and TEXT");
        return EXIT_USAGE;
    }
    a->text = positional[npos - 1];
    a->event = want == 2 ? positional[0] : NULL;
    if (a->network == NULL && a->event != NULL) {
        /* An event id is "network:native_id". */
        const char *colon = strchr(a->event, ':');
        size_t len = colon != NULL ? (size_t)(colon - a->event) : 0;
        if (len > 0 && len < sizeof a->network_buf) {
            memcpy(a->network_buf, a->event, len);
            a->network_buf[len] = '\0';
            a->network = a->network_buf;
        }
    }
    return 0;
}

/* A fresh idempotency key, printed so that the same answer can be sent
 * again safely with --key. */
static void new_key(char *buf, size_t len)
{
    unsigned char r[12];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
        memset(r, 0, sizeof r);
        memcpy(r, &t, sizeof t);
    }
    int n = snprintf(buf, len, "cli-");
    for (size_t i = 0; i < sizeof r && n > 0 && (size_t)n + 2 < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%02x", r[i]);
}

static const char *doc_string(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s != NULL ? s : "";
}

/* Print a final or current state; returns the exit code it means. */
static int print_state(const json_t *doc)
{
    const char *state = doc_string(doc, "state");
    const char *id = doc_string(doc, "id");
    if (strcmp(state, "succeeded") == 0) {
        printf("action %s succeeded: %s %s\n", id, doc_string(doc, "native_id"),
               doc_string(doc, "url"));
        return EXIT_POSTED;
    }
    if (strcmp(state, "failed") == 0) {
        printf("action %s failed: %s\n", id, doc_string(doc, "reason"));
        return EXIT_FAILED;
    }
    return EXIT_PENDING;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int submit(const curl_lib *lib, const cli_args *a, const char *base, const char *token)
{
    char key[64];
    if (a->key == NULL)
        new_key(key, sizeof key);
    else
        snprintf(key, sizeof key, "%s", a->key);
    int is_dm = strcmp(a->command, "dm") == 0;
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "network", a->network, "account", a->account, "kind",
                  is_dm ? "private" : "reply", "text", a->text, "idempotency_key", key);
    if (body != NULL && a->event != NULL)
        json_object_set_new(body, "in_reply_to", json_string(a->event));
    if (body != NULL && a->to != NULL)
        json_object_set_new(body, "to", json_string(a->to));
    if (body != NULL && a->force)
        json_object_set_new(body, "force", json_true());
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return EXIT_FAILED;

    char url[1024], why[512] = "";
    snprintf(url, sizeof url, "%s/v1/actions", base);
    json_t *doc = NULL;
    long status = cli_api_call(lib, url, token, text, &doc, why, sizeof why);
    free(text);
    if (status == 0) {
        fprintf(stderr, "gateway %s: %s\n", a->command, why);
        return EXIT_FAILED;
    }
    if (status != 200 && status != 202) {
        fprintf(stderr, "gateway %s: refused (%ld %s): %s\n", a->command, status,
                doc_string(doc, "error"), doc_string(doc, "message"));
        if (status == 409 && json_is_string(json_object_get(doc, "action_id")))
            fprintf(stderr, "the thread's reply is action %s; add --force to reply anyway\n",
                    doc_string(doc, "action_id"));
        json_decref(doc);
        return EXIT_FAILED;
    }
    char id[128];
    snprintf(id, sizeof id, "%s", doc_string(doc, "id"));
    printf("action %s %s (idempotency key %s%s)\n", id, doc_string(doc, "state"), key,
           status == 200 ? ", sent before" : "");
    int code = print_state(doc);
    json_decref(doc);
    /* With --wait 0 an action still queued is "accepted but not done":
     * 3, so that a script can tell it from one already posted. */
    if (code != EXIT_PENDING)
        return code;
    if (a->wait_s == 0) {
        printf("action %s accepted, not waited for; the gateway sends it (GET /v1/actions/%s)\n",
               id, id);
        return EXIT_PENDING;
    }

    snprintf(url, sizeof url, "%s/v1/actions/%s", base, id);
    for (long waited = 0; waited < a->wait_s * 1000; waited += POLL_INTERVAL_MS) {
        sleep_ms(POLL_INTERVAL_MS);
        status = cli_api_call(lib, url, token, NULL, &doc, why, sizeof why);
        if (status == 200) {
            code = print_state(doc);
            json_decref(doc);
            if (code != EXIT_PENDING)
                return code;
            continue;
        }
        json_decref(doc);
        if (status == 0)
            fprintf(stderr, "gateway %s: %s (will try again)\n", a->command, why);
    }
    printf("action %s not done after %ld s; the gateway keeps trying (GET /v1/actions/%s)\n", id,
           a->wait_s, id);
    return EXIT_PENDING;
}

int cli_actions_main(const cli_parsed *p)
{
    const char *command = p->command->name;
    const char *config_path = p->config_path;
    cli_args a = {.command = command};
    int rc = parse_args(&a, p);
    if (rc != 0)
        return rc;
    const char *token = getenv(TOKEN_ENV);
    if (token == NULL || token[0] == '\0') {
        fprintf(stderr, "gateway %s: set $" TOKEN_ENV " to the gateway's [api] token\n", command);
        return EXIT_USAGE;
    }
    char *base = NULL;
    if ((rc = resolve_defaults(&a, config_path, &base)) != 0)
        return rc;
    /* A trailing '/' would make "//v1/actions". */
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    curl_lib lib;
    char why[256];
    if (curl_lib_open(&lib, why, sizeof why) != GW_OK) {
        free(base);
        fprintf(stderr, "gateway %s: %s\n", command, why);
        return EXIT_FAILED;
    }
    rc = submit(&lib, &a, base, token);
    curl_lib_close(&lib);
    free(base);
    return rc;
}
