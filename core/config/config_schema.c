/* config_schema.c - what the core sections of gateway.toml declare: every
 * key of [gateway], [http], [api], [[account]] and the keys every [[sink]]
 * has, with type, default, bounds and help.
 *
 * The validator (config.c) and the generated reference
 * (config_reference.c) read the same tables, so a key cannot be added
 * without appearing in the docs. Owns no state: the tables are constant.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_schema.h"
#include "gateway/error.h"
#include "sinks/sink.h"

#define MS_SECOND 1000.0
#define MS_HOUR (3600.0 * 1000.0)
#define MS_DAY (86400.0 * 1000.0)

const gw_option config_gateway_options[] = {
    {.name = "data_dir",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .default_value = "var",
     .help = "directory of the event database and other state"},
    {.name = "plugin_dir",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .default_value = "build/plugins",
     .help = "directory the network plugins (<network>.so) are loaded from"},
    {.name = "log_level",
     .type = GW_OPT_STRING,
     .default_value = "info",
     .allowed = "error|warn|info|debug",
     .help = "least severe level written to the log"},
    {.name = "retention",
     .type = GW_OPT_DURATION,
     .default_value = "7d",
     .help = "how long events delivered to every sink are kept; 0 keeps them forever"},
    {.name = "action_retention",
     .type = GW_OPT_DURATION,
     .default_value = "7d",
     .help = "how long a finished action (succeeded or failed) stays readable at "
             "GET /v1/actions/<id> after it finished; then its row is deleted. Unfinished "
             "actions are never deleted. 0 keeps them forever"},
    {.name = "idempotency_window",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "24h",
     .min = 0,
     .max = 365.0 * MS_DAY,
     .help = "how long after an action finished its Idempotency-Key still returns that "
             "action, even once action_retention deleted the row (a small key record is "
             "kept); a key dedupes for the longer of the two, and is a new action after "
             "that. 0 keeps keys only as long as their rows"},
    {.name = "synchronous",
     .type = GW_OPT_STRING,
     .default_value = "full",
     .allowed = "full|normal",
     .help = "SQLite durability: full survives a power loss, normal only a crash but is faster"},
    {.name = "log_page_size",
     .type = GW_OPT_STRING,
     .default_value = "16KB",
     .allowed = "4KB|8KB|16KB|32KB|64KB",
     .help = "SQLite page size of the event log (data_dir/gateway.db) when the file is made; "
             "a log that exists keeps its own. 16KB costs the event loop least per event; "
             "4KB writes a third as much to disk when event ids are random (YouTube, Yelp) "
             "and they come a few at a time"},
    {.name = "huge_pages",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "advise the event loop's heap, as it grows, for transparent huge pages "
             "(where /sys/kernel/mm/transparent_hugepage/enabled is madvise or always): "
             "under a flood with conversations it spares the loop most of its page faults; "
             "false where huge pages' compaction stalls matter more on a host whose memory "
             "is fragmented"},
    {.name = "fetch_timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "60s",
     .min = MS_SECOND,
     .max = MS_HOUR,
     .help = "time a plugin's fetch may take before it is abandoned and retried"},
    {.name = "max_failures",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "5",
     .min = 1,
     .max = 1000,
     .help = "consecutive fatal outcomes after which an account is stopped"},
    {.name = "retry_base",
     .type = GW_OPT_DURATION,
     .default_value = "1s",
     .help = "first delay of the exponential backoff after a failed operation"},
    {.name = "retry_max",
     .type = GW_OPT_DURATION,
     .default_value = "5m",
     .help = "longest delay between two retries of a failed operation"},
    {.name = "shutdown_timeout",
     .type = GW_OPT_DURATION,
     .default_value = "10s",
     .help = "time in-flight work gets to finish on SIGTERM before the gateway exits"},
    {.name = "isolate_networks",
     .type = GW_OPT_STRING_ARRAY,
     .help = "networks whose accounts run their plugin in a child process (isolation = "
             "\"process\") unless an account sets isolation itself, e.g. [\"twitter\"]"},
    {.name = "isolation_heartbeat",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "5s",
     .min = 100,
     .max = 10.0 * 60 * MS_SECOND,
     .help = "an isolated plugin's child is pinged this often and killed (then restarted) "
             "when it has not answered the previous ping: a hook or timer that never returns"},
    {.name = "isolation_memory_limit",
     .type = GW_OPT_SIZE,
     .default_value = "512MB",
     .help = "address-space limit (RLIMIT_AS) of each isolated plugin's child; a plugin "
             "that leaks past it fails its allocations or dies, and is restarted. 0: no limit"},
    {.name = NULL},
};

const gw_option config_http_options[] = {
    {.name = "enabled",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "serve /healthz, /readyz, /metrics and /webhooks/<network>/<account>"},
    {.name = "listen",
     .type = GW_OPT_STRING,
     .default_value = "127.0.0.1:8080",
     .help = "numeric address and port, \"127.0.0.1:8080\" or \"[::1]:8080\"; port 0 picks a free "
             "one"},
    {.name = "max_body",
     .type = GW_OPT_SIZE,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "1MB",
     .min = 1024,
     .max = 64.0 * 1024 * 1024,
     .help = "largest request body accepted; larger ones get 413"},
    {.name = "max_header",
     .type = GW_OPT_SIZE,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "16KB",
     .min = 1024,
     .max = 1024.0 * 1024,
     .help = "largest request head (request line and headers); larger ones get 431 (414 when the request line alone is)"},
    {.name = "max_connections",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "1024",
     .min = 1,
     .max = 65536,
     .help = "simultaneous client connections, GET /v1/events streams included; more are "
             "closed at accept. The gateway raises its open-files limit to fit"},
    {.name = "idle_timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "30s",
     .min = 1000,
     .max = 3600.0 * 1000,
     .help = "a connection whose bytes stop moving this long (a request arriving, an answer its client does not read) is closed"},
    {.name = "receive_timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "15s",
     .min = 100,
     .max = 3600.0 * 1000,
     .help = "a whole request must arrive within this time (stops slow-loris clients)"},
    {.name = "request_timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "10s",
     .min = 100,
     .max = 3600.0 * 1000,
     .help = "time a handler (e.g. a plugin's webhook) has to answer before the client gets 503"},
    {.name = NULL},
};

/* [api]: the action API (POST /v1/actions). Added with the outbox. */
const gw_option config_api_options[] = {
    {.name = "token",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_SECRET,
     .help = "bearer token the help desk sends (Authorization: Bearer ...), at least 16 "
             "characters; write \"${GATEWAY_API_TOKEN}\". Without it /v1/actions and "
             "/v1/accounts answer 503 api_disabled"},
    {.name = "max_attempts",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "5",
     .min = 1,
     .max = 100,
     .help = "tries of an action whose network answers \"retry\" before it fails; the delay "
             "between tries follows [gateway] retry_base and retry_max"},
    {.name = "stream_keepalive",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "15s",
     .min = 100,
     .max = 3600.0 * 1000,
     .help = "GET /v1/events sends a comment line this often, so proxies in front keep "
             "idle streams open"},
    {.name = "stream_buffer",
     .type = GW_OPT_SIZE,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "256KB",
     .min = 4096,
     .max = 64.0 * 1024 * 1024,
     .help = "bytes a GET /v1/events stream may have waiting for a slow client; past it the "
             "stream is closed and the client resumes with Last-Event-ID"},
    {.name = NULL},
};

/* [service]: conversations, contacts and response times (issue 14). */
const gw_option config_service_options[] = {
    {.name = "conversations",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "group every customer item into a conversation and every author into a contact; "
             "events then carry conversation_id and contact, and /v1/conversations and "
             "/v1/contacts answer. false turns the whole service off"},
    {.name = "dm_join_window",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "24h",
     .min = 0,
     .max = 30 * MS_DAY,
     .help = "a private message joins its author's public conversation on the same account "
             "when we answered that one at most this long ago"},
    {.name = "close_after",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "72h",
     .min = 0,
     .max = 365 * MS_DAY,
     .help = "a conversation without any item or answer for this long is closed; 0 never "
             "closes one (only POST /v1/conversations/{id}/close does)"},
    {.name = "contact_cache",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "10000",
     .min = 1,
     .max = 10000000,
     .help = "contacts kept in memory (the most recently seen); others are read from the "
             "database when their author writes again"},
    {.name = "target",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "0",
     .min = 0,
     .max = 30 * MS_DAY,
     .help = "first-response target, e.g. \"1h\": a conversation still unanswered this long "
             "(counted inside hours) after its first item emits one sla.breached event, and "
             "/metrics and `gateway report` give the share answered within it. 0: no target "
             "(the default: a gateway whose answers do not go through the action API would "
             "report every conversation as breached)"},
    {.name = "hours",
     .type = GW_OPT_STRING,
     .default_value = "",
     .help = "business hours the target counts in, e.g. \"Mon-Fri 09:00-18:00, Sat "
             "10:00-14:00\" (local to timezone); empty: around the clock, as customers "
             "expect"},
    {.name = "timezone",
     .type = GW_OPT_STRING,
     .default_value = "UTC",
     .help = "IANA time zone of hours, e.g. \"Europe/Berlin\" (read from "
             "/usr/share/zoneinfo; daylight saving time included)"},
    {.name = NULL},
};

const gw_option config_account_options[] = {
    {.name = "network",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "network plugin serving the account, e.g. \"mock\" for <plugin_dir>/mock.so"},
    {.name = "name",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "the account's name, unique within its network; events carry it as \"account\""},
    {.name = "poll_interval",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "60s",
     .min = 100,
     .max = MS_DAY,
     .help = "time between two fetches once the plugin has nothing more to read (with 10% "
             "jitter); the first fetch comes within 250 ms of start, or with many accounts "
             "spread over accounts / 200 seconds, at most this interval"},
    {.name = "enabled",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "false keeps the account in the file but does not start it"},
    {.name = "isolation",
     .type = GW_OPT_STRING,
     .allowed = "inline|process",
     .help = "inline runs the plugin in the gateway process (fastest); process runs it in a "
             "sandboxed child that is restarted when it crashes or hangs, so a faulty plugin "
             "never takes the gateway or another account down. Absent: process when "
             "[gateway] isolate_networks names the network, else inline"},
    {.name = "optional",
     .type = GW_OPT_BOOL,
     .default_value = "false",
     .help = "true lets the gateway start without this account when its plugin cannot create "
             "it (the reason is logged and /readyz names the account); false stops start-up "
             "with exit code 2 instead. Errors in the file itself always stop start-up"},
    {.name = NULL},
};

/* "type" gets its allowed values at run time, see config_sink_common_options. */
const gw_option config_sink_options[] = {
    {.name = "name",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "unique name of the sink; its delivery position is stored under it"},
    {.name = "type",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "which sink implementation receives the events; each type's own keys are listed "
             "below"},
    {.name = "batch_size",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "1024",
     .min = 1,
     .max = 100000,
     .help = "most events handed to the sink in one write"},
    {.name = "retry_max",
     .type = GW_OPT_DURATION,
     .default_value = "30s",
     .help = "longest delay between two retries of a failed write"},
    {.name = NULL},
};

int config_sink_common_options(gw_option *dst, char **names)
{
    const sink_type *const *types = sink_types();
    size_t len = 1, i, n = 0;
    char *buf;

    for (i = 0; types && types[i]; i++)
        len += strlen(types[i]->name) + 1;
    buf = malloc(len);
    if (!buf)
        return GW_ENOMEM;
    buf[0] = '\0';
    for (i = 0; types && types[i]; i++) {
        if (i > 0)
            strcat(buf, "|");
        strcat(buf, types[i]->name);
    }
    for (n = 0; config_sink_options[n].name && n + 1 < CONFIG_SINK_COMMON_MAX; n++) {
        dst[n] = config_sink_options[n];
        if (strcmp(dst[n].name, "type") == 0)
            dst[n].allowed = buf;
    }
    memset(&dst[n], 0, sizeof dst[n]);
    *names = buf;
    return 0;
}

/* [triage]: the enrichment of items before they are stored (core/triage/,
 * docs/triage.md). */
const gw_option config_triage_options[] = {
    {.name = "enabled",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "tag every item before it is stored: tags.intent, sentiment, influence, keywords, "
             "mentioned/unaddressed and priority with its reasons (docs/triage.md)"},
    {.name = "brand_terms",
     .type = GW_OPT_STRING_ARRAY,
     .help = "the brand's names and products, matched as whole words in any network's text, "
             "case and accents ignored; found ones go to tags.keywords, and an item naming one "
             "without addressing the brand is tagged unaddressed"},
    {.name = "brand_handles",
     .type = GW_OPT_STRING_ARRAY,
     .help = "the brand's own handles (\"@acme\" or \"acme\"); an item that writes one after "
             "'@' addresses the brand (tags.mentioned), whatever its network"},
    {.name = "competitors",
     .type = GW_OPT_STRING_ARRAY,
     .help = "competitors' names; naming one raises churn_risk, and churn phrases such as "
             "\"switching to <competitor>\" need one"},
    {.name = "lexicon_dir",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_PATH,
     .help = "a directory of lexicon files (purchase.txt, sentiment.txt...) added to the "
             "shipped English ones: a phrase listed again takes the new weight, weight 0 "
             "removes it"},
    {.name = "influence_high",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "10000",
     .min = 1,
     .max = 1e12,
     .help = "followers from which an author's tags.influence is \"high\" (a verified author "
             "is high too)"},
    {.name = "influence_top",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "100000",
     .min = 1,
     .max = 1e12,
     .help = "followers from which an author's tags.influence is \"top\"; at least "
             "influence_high"},
    {.name = "default_rules",
     .type = GW_OPT_BOOL,
     .default_value = "true",
     .help = "add the built-in priority points (churn risk +40, purchase +30, ... see "
             "docs/triage.md) before the [[rule]] tables; false leaves only the tables"},
    {.name = NULL},
};

/* [[rule]]: a priority rule; every match key given must hold. */
const gw_option config_rule_options[] = {
    {.name = "name",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "the rule's name, unique; priority_reasons quotes it"},
    {.name = "network",
     .type = GW_OPT_STRING,
     .help = "match items of this network; several with |, e.g. \"twitter|facebook\""},
    {.name = "type",
     .type = GW_OPT_STRING,
     .help = "match items of this type: mention, comment, review or message; several with |"},
    {.name = "visibility",
     .type = GW_OPT_STRING,
     .allowed = "public|private",
     .help = "match public items or private ones"},
    {.name = "intent",
     .type = GW_OPT_STRING,
     .help = "match items with this intent: purchase, churn_risk, question, complaint or "
             "kudos; several with | (any of them)"},
    {.name = "sentiment",
     .type = GW_OPT_STRING,
     .allowed = "negative|neutral|positive",
     .help = "match items with this sentiment label"},
    {.name = "tag",
     .type = GW_OPT_STRING,
     .help = "match items whose tags carry this member as true or non-empty, e.g. "
             "\"unaddressed\", \"mentioned\", \"low_rating\" or \"keywords\""},
    {.name = "influence",
     .type = GW_OPT_STRING,
     .allowed = "top|high|normal",
     .help = "match items whose author has this influence tier"},
    {.name = "text",
     .type = GW_OPT_STRING,
     .help = "match items whose text matches this POSIX extended regular expression, case "
             "ignored, e.g. \"refund|chargeback\""},
    {.name = "rating_min",
     .type = GW_OPT_FLOAT,
     .flags = GW_OPTF_BOUNDED,
     .min = 1,
     .max = 5,
     .help = "match reviews rated at least this"},
    {.name = "rating_max",
     .type = GW_OPT_FLOAT,
     .flags = GW_OPTF_BOUNDED,
     .min = 1,
     .max = 5,
     .help = "match reviews rated at most this"},
    {.name = "followers_min",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .min = 0,
     .max = 1e12,
     .help = "match authors with at least this many followers"},
    {.name = "points",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .min = -100,
     .max = 100,
     .help = "points added to priority_score when the rule matches (negative lowers it)"},
    {.name = "level",
     .type = GW_OPT_STRING,
     .allowed = "urgent|high|normal|low",
     .help = "the priority the item gets when the rule matches, whatever its points (the "
             "last matching rule with a level wins); give points, level or both"},
    {.name = "reason",
     .type = GW_OPT_STRING,
     .help = "what priority_reasons says when the rule matches (default: \"rule <name>\")"},
    {.name = NULL},
};
