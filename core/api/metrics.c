/* metrics.c - Prometheus text for GET /metrics; see metrics.h. */
#define _GNU_SOURCE /* open_memstream is POSIX 2008; keep glibc's prototype */
#include "api/events_api.h"
#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/digits.h"
#include "engine/account.h"
#include "engine/dispatch.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "engine/outbox.h"
#include "service/conv_service.h"
#include "http/ratelimit_class.h"

/* Label values are network, account and sink names: escape the three
 * characters the format reserves so a name can never break a line. The
 * render holds the stream's lock (metrics_render), hence the unlocked
 * calls. */
static void label(FILE *f, const char *value)
{
    if (strpbrk(value, "\\\"\n") == NULL) {
        fputs_unlocked(value, f);
        return;
    }
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs_unlocked("\\n", f);
        else
            fputc_unlocked(*p, f);
    }
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Every account's {network="...",account="..." escaped, made once per
 * render: with 10,000 accounts each of the ~13 series per account wrote
 * both labels again, a character at a time, and a scrape held the loop
 * ~97 ms. */
typedef struct account_labels {
    char *text;  /* owned: the prefixes one after another */
    size_t *end; /* owned: prefix i is text[i ? end[i - 1] : 0 .. end[i]) */
} account_labels;

static void account_labels_free(account_labels *al)
{
    free(al->text);
    free(al->end);
}

/* Returns GW_OK or GW_ENOMEM (al then holds nothing). */
static int account_labels_make(account_labels *al, const gw_runtime *rt)
{
    *al = (account_labels){0};
    size_t size = 0;
    FILE *f = open_memstream(&al->text, &size);
    al->end = malloc((rt->account_count ? rt->account_count : 1) * sizeof *al->end);
    if (f == NULL || al->end == NULL) {
        if (f != NULL)
            fclose(f);
        account_labels_free(al);
        return GW_ENOMEM;
    }
    flockfile(f);
    for (size_t i = 0; i < rt->account_count; i++) {
        fputs_unlocked("{network=\"", f);
        label(f, account_network(rt->accounts[i]));
        fputs_unlocked("\",account=\"", f);
        label(f, account_name(rt->accounts[i]));
        fputc_unlocked('"', f);
        al->end[i] = (size_t)ftell(f);
    }
    funlockfile(f);
    if (fclose(f) != 0) {
        account_labels_free(al);
        return GW_ENOMEM;
    }
    return GW_OK;
}

/* A number in decimal, without printf's format parsing. */
static void put_u64(FILE *f, unsigned long long v)
{
    char digits[DIGITS_MAX];
    fwrite_unlocked(digits, 1, digits_put(digits, v), f);
}

/* name{network="...",account="..." of account i: a line's start. */
static void account_line_start(FILE *f, const char *name, const account_labels *al, size_t i)
{
    size_t from = i ? al->end[i - 1] : 0;
    fputs_unlocked(name, f);
    fwrite_unlocked(al->text + from, 1, al->end[i] - from, f);
}

/* name{network="...",account="..."<extra>} value: account i's line. */
static void account_line(FILE *f, const char *name, const account_labels *al, size_t i,
                         const char *extra, unsigned long long value)
{
    account_line_start(f, name, al, i);
    if (extra)
        fputs_unlocked(extra, f);
    fputs_unlocked("} ", f);
    put_u64(f, value);
    fputc_unlocked('\n', f);
}

static void sink_line(FILE *f, const char *name, const dispatcher *d, long long value)
{
    /* dispatch_name is "sink/<name>"; the label holds the configured name. */
    fprintf(f, "%s{sink=\"", name);
    label(f, dispatch_name(d) + 5);
    fputs("\",type=\"", f);
    label(f, dispatch_type(d));
    fprintf(f, "\"} %lld\n", value);
}

static void render_accounts(FILE *f, const gw_runtime *rt, const account_labels *al)
{
    header(f, "gateway_events_in_total", "counter",
           "Items accepted from a network into the log, per account.");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_events_in_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->events.accepted);
    header(f, "gateway_events_duplicate_total", "counter",
           "Items dropped because their id was already in the log.");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_events_duplicate_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->events.duplicates);
    header(f, "gateway_events_invalid_total", "counter",
           "Items refused by validation (plugin bugs or malformed network data).");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_events_invalid_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->events.invalid);
    header(f, "gateway_fetch_total", "counter", "Fetch outcomes per account.");
    static const char *const outcomes[] = {",outcome=\"ok\"", ",outcome=\"retry\"",
                                           ",outcome=\"fatal\"", ",outcome=\"unsupported\""};
    for (size_t i = 0; i < rt->account_count; i++) {
        const account_stats *s = account_stats_get(rt->accounts[i]);
        const uint64_t v[] = {s->fetch_ok, s->fetch_retry, s->fetch_fatal, s->fetch_unsupported};
        for (int k = 0; k < 4; k++)
            account_line(f, "gateway_fetch_total", al, i, outcomes[k], v[k]);
    }
    header(f, "gateway_operation_timeouts_total", "counter",
           "Plugin operations abandoned because they did not complete in time.");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_operation_timeouts_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->op_timeouts);
    header(f, "gateway_plugin_crashes_total", "counter",
           "Deaths of an isolated plugin's child process (crash, kill, no heartbeat answer).");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_plugin_crashes_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->plugin_crashes);
    header(f, "gateway_webhooks_total", "counter", "Webhook deliveries handed to a plugin.");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_webhooks_total", al, i, NULL,
                     account_stats_get(rt->accounts[i])->webhooks);
    header(f, "gateway_account_up", "gauge",
           "1 while the account runs, 0 once its circuit breaker stopped it.");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_account_up", al, i, NULL,
                     !account_stats_get(rt->accounts[i])->stopped);
}

/* The plugins' own numbers (gw_host.metric_set): one gauge per name,
 * in the order the names first appear, with a line for every account
 * that set it. The names are few (a plugin's handful), so they are
 * gathered first: looking back through every earlier account for each
 * metric was quadratic in the accounts. */
static void render_plugin_metrics(FILE *f, const gw_runtime *rt, const account_labels *al)
{
    const account_metric **names = NULL;
    size_t count = 0, cap = 0;
    for (size_t i = 0; i < rt->account_count; i++) {
        const account_stats *s = account_stats_get(rt->accounts[i]);
        for (size_t k = 0; k < s->metric_count; k++) {
            size_t j = 0;
            while (j < count && strcmp(names[j]->name, s->metrics[k].name) != 0)
                j++;
            if (j < count)
                continue;
            if (count == cap) {
                size_t grown = cap ? 2 * cap : 8;
                const account_metric **more = realloc(names, grown * sizeof *names);
                if (more == NULL)
                    goto done; /* the gauges seen so far are written */
                names = more;
                cap = grown;
            }
            names[count++] = &s->metrics[k];
        }
    }
done:
    for (size_t n = 0; n < count; n++) {
        char name[ACCOUNT_METRIC_NAME_MAX + 16];
        snprintf(name, sizeof name, "gateway_plugin_%s", names[n]->name);
        header(f, name, "gauge", names[n]->help);
        for (size_t i = 0; i < rt->account_count; i++) {
            const account_stats *o = account_stats_get(rt->accounts[i]);
            for (size_t l = 0; l < o->metric_count; l++) {
                if (strcmp(o->metrics[l].name, names[n]->name) != 0)
                    continue;
                account_line_start(f, name, al, i);
                fprintf(f, "} %.17g\n", o->metrics[l].value);
            }
        }
    }
    free(names);
}

static void render_sinks(FILE *f, const gw_runtime *rt)
{
    int64_t committed = store_committed_seq(rt->store);
    header(f, "gateway_log_committed_seq", "gauge", "Highest durable seq in the event log.");
    fprintf(f, "gateway_log_committed_seq %lld\n", (long long)committed);
    store_status st;
    store_status_get(rt->store, &st);
    header(f, "gateway_store_errors_total", "counter",
           "Failed writes and commits of the event log's database.");
    fprintf(f, "gateway_store_errors_total %llu\n", (unsigned long long)st.errors_total);
    header(f, "gateway_store_failing", "gauge",
           "1 from a failed write until a commit succeeds again (webhooks and actions get 503).");
    fprintf(f, "gateway_store_failing %d\n", st.failing_since_ms != 0);
    header(f, "gateway_events_out_total", "counter", "Events a sink confirmed.");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_events_out_total", rt->sinks[i],
                  (long long)dispatch_stats_get(rt->sinks[i])->delivered);
    header(f, "gateway_sink_lag_events", "gauge",
           "Committed events a sink has not confirmed yet.");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_lag_events", rt->sinks[i],
                  (long long)(committed - dispatch_cursor(rt->sinks[i])));
    header(f, "gateway_sink_write_failures_total", "counter",
           "Failed sink write attempts, each retried (the sink's retries).");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_write_failures_total", rt->sinks[i],
                  (long long)dispatch_stats_get(rt->sinks[i])->write_failures);
    header(f, "gateway_sink_up", "gauge", "0 while a sink's last write failed.");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_up", rt->sinks[i], !dispatch_stats_get(rt->sinks[i])->failing);
    header(f, "gateway_sink_last_status", "gauge",
           "A network sink's last answer (HTTP status; 0 before the first, or no answer).");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_last_status", rt->sinks[i],
                  dispatch_stats_get(rt->sinks[i])->last_status);
    header(f, "gateway_sink_dead_letters_total", "counter",
           "Events a sink's receiver refused for good, parked as dead letters.");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_dead_letters_total", rt->sinks[i],
                  (long long)dispatch_stats_get(rt->sinks[i])->dead_letters);
    header(f, "gateway_sink_dead_letters", "gauge",
           "Dead letters a sink holds now (not yet replayed or dropped).");
    for (size_t i = 0; i < rt->sink_count; i++)
        sink_line(f, "gateway_sink_dead_letters", rt->sinks[i],
                  (long long)dispatch_stats_get(rt->sinks[i])->dead_letters_held);
}

static void render_http_server(FILE *f, const gw_runtime *rt)
{
    if (rt->server == NULL)
        return;
    const http_server_stats *s = http_server_stats_get(rt->server);
    header(f, "gateway_http_server_responses_total", "counter",
           "Responses of the embedded HTTP server by status code.");
    for (int code = 100; code < 600; code++) {
        if (s->responses_by_status[code])
            fprintf(f, "gateway_http_server_responses_total{code=\"%d\"} %llu\n", code,
                    (unsigned long long)s->responses_by_status[code]);
    }
    header(f, "gateway_http_server_connections_refused_total", "counter",
           "Connections closed at accept (over the limit or shutting down).");
    fprintf(f, "gateway_http_server_connections_refused_total %llu\n",
            (unsigned long long)s->connections_refused);
    header(f, "gateway_http_server_receive_timeouts_total", "counter",
           "Connections cut because a request did not arrive in time.");
    fprintf(f, "gateway_http_server_receive_timeouts_total %llu\n",
            (unsigned long long)s->receive_timeouts);
}

/* One line per account and rate class ("default" = the account-wide
 * budget); value(budget) picks the number. */
static void ratelimit_lines(FILE *f, const gw_runtime *rt, const account_labels *al,
                            const char *name,
                            unsigned long long (*value)(const ratelimit_budget *, uint64_t),
                            uint64_t now)
{
    for (size_t i = 0; i < rt->account_count; i++) {
        const ratelimit_table *t = account_budgets(rt->accounts[i]);
        /* Class names are [a-z0-9_.-] (ratelimit_class.h): no escaping. */
        char extra[RATELIMIT_CLASS_NAME_MAX + 16];
        snprintf(extra, sizeof extra, ",class=\"%s\"", RATELIMIT_DEFAULT_CLASS);
        account_line(f, name, al, i, extra, value(&t->account, now));
        for (size_t c = 0; c < t->count; c++) {
            snprintf(extra, sizeof extra, ",class=\"%s\"", t->classes[c].name);
            account_line(f, name, al, i, extra, value(&t->classes[c].budget, now));
        }
    }
}

static unsigned long long budget_waits(const ratelimit_budget *b, uint64_t now)
{
    (void)now;
    return b->waits;
}

/* Its own block only: a class's line does not repeat the account's. */
static unsigned long long budget_blocked_s(const ratelimit_budget *b, uint64_t now)
{
    return b->blocked_until_ms > now ? (b->blocked_until_ms - now + 999) / 1000 : 0;
}

static void render_ratelimits(FILE *f, const gw_runtime *rt, const account_labels *al)
{
    uint64_t now = clock_monotonic_ms();
    header(f, "gateway_ratelimit_waits_total", "counter",
           "Requests held back until an account's rate-limit budget allowed them, by rate "
           "class (default: the account-wide budget).");
    ratelimit_lines(f, rt, al, "gateway_ratelimit_waits_total", budget_waits, now);
    header(f, "gateway_ratelimit_blocked_seconds", "gauge",
           "Seconds (rounded up) until a rate class, or with class=\"default\" the whole "
           "account, may send again; 0 = not blocked.");
    ratelimit_lines(f, rt, al, "gateway_ratelimit_blocked_seconds", budget_blocked_s, now);
}

static void render_http_client(FILE *f, const gw_runtime *rt, const account_labels *al)
{
    if (rt->client == NULL)
        return;
    const http_client_stats *s = http_client_stats_get(rt->client);
    header(f, "gateway_http_client_responses_total", "counter",
           "Responses the plugins' HTTP client received, by status class.");
    for (int c = 1; c <= 5; c++)
        fprintf(f, "gateway_http_client_responses_total{class=\"%dxx\"} %llu\n", c,
                (unsigned long long)s->status_class[c]);
    header(f, "gateway_http_client_status_total", "counter",
           "Responses with the statuses that change the host's behaviour.");
    fprintf(f, "gateway_http_client_status_total{code=\"401\"} %llu\n",
            (unsigned long long)s->status_401);
    fprintf(f, "gateway_http_client_status_total{code=\"403\"} %llu\n",
            (unsigned long long)s->status_403);
    fprintf(f, "gateway_http_client_status_total{code=\"429\"} %llu\n",
            (unsigned long long)s->status_429);
    header(f, "gateway_http_client_requests_total", "counter", "Requests the plugins made.");
    fprintf(f, "gateway_http_client_requests_total %llu\n", (unsigned long long)s->requests);
    header(f, "gateway_http_client_retries_total", "counter",
           "Host-side retries of 429, 5xx and transport errors.");
    fprintf(f, "gateway_http_client_retries_total %llu\n", (unsigned long long)s->retries);
    header(f, "gateway_http_client_transport_errors_total", "counter",
           "Attempts that got no whole response (of which timeouts are also counted below).");
    fprintf(f, "gateway_http_client_transport_errors_total %llu\n",
            (unsigned long long)s->transport_errors);
    header(f, "gateway_http_client_timeouts_total", "counter", "Attempts that timed out.");
    fprintf(f, "gateway_http_client_timeouts_total %llu\n", (unsigned long long)s->timeouts);
    render_ratelimits(f, rt, al);
    header(f, "gateway_account_credentials_ok", "gauge",
           "0 while the network refuses an account's credentials (401).");
    for (size_t i = 0; i < rt->account_count; i++)
        account_line(f, "gateway_account_credentials_ok", al, i, NULL,
                     !account_stats_get(rt->accounts[i])->credentials_failing);
}

static void render_actions(FILE *f, const gw_runtime *rt)
{
    if (rt->outbox == NULL)
        return;
    const outbox_stats *s = outbox_stats_get(rt->outbox);
    header(f, "gateway_actions_total", "counter",
           "Agents' answers by what became of them (accepted, replayed idempotent repeats, "
           "succeeded, failed).");
    fprintf(f, "gateway_actions_total{result=\"accepted\"} %llu\n",
            (unsigned long long)s->accepted);
    fprintf(f, "gateway_actions_total{result=\"replayed\"} %llu\n",
            (unsigned long long)s->replayed);
    fprintf(f, "gateway_actions_total{result=\"succeeded\"} %llu\n",
            (unsigned long long)s->succeeded);
    fprintf(f, "gateway_actions_total{result=\"failed\"} %llu\n", (unsigned long long)s->failed);
    header(f, "gateway_action_attempts_total", "counter",
           "Calls of a plugin's post_public or send_private, retries included.");
    fprintf(f, "gateway_action_attempts_total %llu\n", (unsigned long long)s->attempts);
    header(f, "gateway_actions_pruned_total", "counter",
           "Finished actions deleted after [gateway] action_retention.");
    fprintf(f, "gateway_actions_pruned_total %llu\n", (unsigned long long)s->pruned);
    header(f, "gateway_echoes_dropped_total", "counter",
           "Our own posts brought back by a fetch and not delivered as customer events.");
    fprintf(f, "gateway_echoes_dropped_total %llu\n", (unsigned long long)s->echoes);
}

/* GET /v1/events (events_api.h). */
static void render_event_streams(FILE *f, const gw_runtime *rt)
{
    const events_api_stats *st = events_api_stats_get(rt);
    if (st == NULL)
        return;
    header(f, "gateway_event_streams_open", "gauge", "GET /v1/events streams open now.");
    fprintf(f, "gateway_event_streams_open %llu\n", (unsigned long long)st->streams_open);
    header(f, "gateway_event_streams_total", "counter", "GET /v1/events streams opened.");
    fprintf(f, "gateway_event_streams_total %llu\n", (unsigned long long)st->streams_total);
    header(f, "gateway_event_streams_cut_total", "counter",
           "Streams closed because a slow client let their buffer reach its bound.");
    fprintf(f, "gateway_event_streams_cut_total %llu\n", (unsigned long long)st->streams_cut);
    header(f, "gateway_event_stream_events_total", "counter", "Events written to streams.");
    fprintf(f, "gateway_event_stream_events_total %llu\n", (unsigned long long)st->events_sent);
}

/* Conversations (core/service/): per network and account, per priority,
 * and the first responses since start. */
static void render_conversations(FILE *f, const gw_runtime *rt)
{
    conv_metrics m;
    if (rt->conv == NULL || conv_service_metrics(rt->conv, &m) != GW_OK)
        return;
    int64_t now = (int64_t)clock_wall_ms();
    const char *names[3] = {"gateway_conversations_open", "gateway_conversations_unanswered",
                            "gateway_conversation_oldest_unanswered_seconds"};
    const char *helps[3] = {"Conversations waiting for an answer.",
                            "Conversations not answered even once yet.",
                            "Age of the oldest customer item waiting for an answer."};
    for (int k = 0; k < 3; k++) {
        header(f, names[k], "gauge", helps[k]);
        for (size_t i = 0; i < m.group_count; i++) {
            const conv_group *g = &m.groups[i];
            fprintf(f, "%s{network=\"", names[k]);
            label(f, g->network);
            fputs("\",account=\"", f);
            label(f, g->account);
            if (k < 2)
                fprintf(f, "\"} %llu\n", (unsigned long long)(k == 0 ? g->open : g->unanswered));
            else
                fprintf(f, "\"} %.3f\n", g->oldest_waiting_ms > 0
                                               ? (double)(now - g->oldest_waiting_ms) / 1000.0
                                               : 0.0);
        }
    }
    header(f, "gateway_conversations_priority", "gauge",
           "Conversations waiting for an answer, by triage priority.");
    for (size_t i = 0; i < CONV_PRIORITIES; i++)
        fprintf(f, "gateway_conversations_priority{priority=\"%s\"} %llu\n",
                conv_priority_names[i], (unsigned long long)m.priority[i]);
    header(f, "gateway_first_response_seconds", "histogram",
           "From a conversation's first customer item to its first answer (since start).");
    unsigned long long cumulative = 0;
    for (size_t i = 0; i < CONV_BUCKETS; i++) {
        cumulative += m.buckets[i];
        fprintf(f, "gateway_first_response_seconds_bucket{le=\"%g\"} %llu\n", m.bucket_bounds[i],
                cumulative);
    }
    fprintf(f, "gateway_first_response_seconds_bucket{le=\"+Inf\"} %llu\n",
            (unsigned long long)m.responses);
    fprintf(f, "gateway_first_response_seconds_sum %.3f\n", m.response_sum_s);
    fprintf(f, "gateway_first_response_seconds_count %llu\n", (unsigned long long)m.responses);
    header(f, "gateway_first_response_within_target_ratio", "gauge",
           "Share of first responses (since start) within [service] target; 1 without one.");
    fprintf(f, "gateway_first_response_within_target_ratio %.4f\n",
            m.responses ? (double)m.within_target / (double)m.responses : 1.0);
    header(f, "gateway_sla_breaches_total", "counter", "sla.breached events emitted.");
    fprintf(f, "gateway_sla_breaches_total %llu\n", (unsigned long long)m.breaches);
    header(f, "gateway_conversations_store_failing", "gauge",
           "1 while conversations.db cannot be written (a retry pending; the conversations go "
           "on from memory and the log).");
    fprintf(f, "gateway_conversations_store_failing %d\n", m.store_failing);
    header(f, "gateway_conversations_writer_waits_total", "counter",
           "Ticks whose hand-over to the conversations' writer thread waited for its queue "
           "(16 batches) to make room: conversations.db written slower than events come.");
    fprintf(f, "gateway_conversations_writer_waits_total %llu\n",
            (unsigned long long)m.writer_waits);
    conv_metrics_free(&m);
}

/* The loop thread's busy time per iteration: a long tick is a stall
 * every connection waited through. */
static void render_loop_ticks(FILE *f, const gw_runtime *rt)
{
    const tick_stats *t = &rt->ticks;
    header(f, "gateway_loop_tick_seconds", "histogram",
           "Busy time of each event loop iteration (callbacks and the commit).");
    unsigned long long cumulative = 0;
    for (size_t i = 0; i < TICK_BUCKETS; i++) {
        cumulative += t->buckets[i];
        fprintf(f, "gateway_loop_tick_seconds_bucket{le=\"%g\"} %llu\n", tick_bucket_bounds[i],
                cumulative);
    }
    fprintf(f, "gateway_loop_tick_seconds_bucket{le=\"+Inf\"} %llu\n",
            (unsigned long long)t->count);
    fprintf(f, "gateway_loop_tick_seconds_sum %.6f\n", (double)t->sum_ns / 1e9);
    fprintf(f, "gateway_loop_tick_seconds_count %llu\n", (unsigned long long)t->count);
    header(f, "gateway_loop_tick_max_seconds", "gauge", "Longest loop iteration since start.");
    fprintf(f, "gateway_loop_tick_max_seconds %.6f\n", (double)t->max_ns / 1e9);
}

int metrics_render(const gw_runtime *rt, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    account_labels al;
    if (account_labels_make(&al, rt) != GW_OK)
        return GW_ENOMEM;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL) {
        account_labels_free(&al);
        return GW_ENOMEM;
    }
    /* one lock for the whole render: the per-account lines use stdio's
     * unlocked calls */
    flockfile(f);
    render_accounts(f, rt, &al);
    render_plugin_metrics(f, rt, &al);
    render_sinks(f, rt);
    render_http_server(f, rt);
    render_http_client(f, rt, &al);
    render_actions(f, rt);
    render_event_streams(f, rt);
    render_conversations(f, rt);
    render_loop_ticks(f, rt);
    funlockfile(f);
    account_labels_free(&al);
    if (fclose(f) != 0) {
        free(buf);
        return GW_ENOMEM;
    }
    *out = buf;
    *len = size;
    return GW_OK;
}
