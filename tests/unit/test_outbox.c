/* test_outbox.c - the outbox (core/engine/outbox*.c) inside a real gateway: a
 * config in a temporary directory, the SQLite store, the mock plugin from
 * the build, the loop run until a condition holds (bounded), then stopped
 * and inspected. Covers every refusal, the send path with the mock's
 * injected RETRY / FATAL / latency, the action.* events, echo recognition,
 * one-at-a-time order per account, and recovery after a restart with rows
 * left "queued" and "sending".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/account.h"
#include "engine/loader.h"
#include "base/clock.h"
#include "gateway/error.h"
#include "engine/outbox.h"
#include "engine/outbox_submit.h"
#include "engine/pipeline.h"
#include "daemon/gateway.h"
#include "engine/runtime.h"
#include "store/store.h"

typedef struct harness harness;
typedef int (*harness_cond)(harness *h);

struct harness {
    char dir[64];
    char config_path[128];
    gw_config *cfg;
    gw_runtime rt;
    int open;
    uv_timer_t poll;
    harness_cond cond;
    uint64_t deadline_ms;
    int met;
    char ids[4][48]; /* actions a test follows */
};

/* ---- harness ------------------------------------------------------------ */

static int setup(void **state)
{
    harness *h = calloc(1, sizeof *h);
    if (h == NULL)
        return -1;
    snprintf(h->dir, sizeof h->dir, "/tmp/gw-outbox-XXXXXX");
    if (mkdtemp(h->dir) == NULL)
        return -1;
    *state = h;
    return 0;
}

static void harness_close(harness *h)
{
    if (!h->open)
        return;
    gateway_close(&h->rt);
    config_free(h->cfg);
    h->cfg = NULL;
    h->open = 0;
}

static int teardown(void **state)
{
    harness *h = *state;
    harness_close(h);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
    int rc = system(cmd);
    free(h);
    return rc == 0 ? 0 : -1;
}

/* Write the config (mock accounts "acme" and "other" on an empty
 * scenario, so only the test's events exist) and open a gateway on it.
 * acme_options: extra [account.options] lines for acme. */
static void harness_open(harness *h, const char *acme_options, const char *gateway_extra,
                         const char *api_extra)
{
    char empty[128];
    snprintf(empty, sizeof empty, "%s/empty.jsonl", h->dir);
    FILE *f = fopen(empty, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(h->config_path, sizeof h->config_path, "%s/gateway.toml", h->dir);
    f = fopen(h->config_path, "w");
    assert_non_null(f);
    fprintf(f,
            "[gateway]\ndata_dir = \"var\"\nplugin_dir = \"%s/plugins\"\nlog_level = \"error\"\n"
            "retry_base = \"10ms\"\nretry_max = \"40ms\"\n%s\n"
            "[http]\nenabled = false\n"
            "[api]\n%s\n"
            "[[account]]\nnetwork = \"mock\"\nname = \"acme\"\npoll_interval = \"1h\"\n"
            "  [account.options]\n  scenario = \"%s\"\n  actions_log = \"actions.jsonl\"\n%s\n"
            "[[account]]\nnetwork = \"mock\"\nname = \"other\"\npoll_interval = \"1h\"\n"
            "  [account.options]\n  scenario = \"%s\"\n",
            GW_BUILD_DIR, gateway_extra ? gateway_extra : "", api_extra ? api_extra : "", empty,
            acme_options ? acme_options : "", empty);
    fclose(f);
    cfg_errors errs = {0};
    int rc = config_load(h->config_path, &h->cfg, &errs);
    if (rc != GW_OK)
        fail_msg("config: %s", errs.count ? errs.lines[0] : gw_strerror(rc));
    char err[512] = "";
    plugin_set plugins = {0};
    const char *dir = json_string_value(json_object_get(h->cfg->gateway, "plugin_dir"));
    if (loader_scan_dir(&plugins, dir, err, sizeof err) != GW_OK)
        fail_msg("loader_scan_dir: %s", err);
    rc = gateway_open(&h->rt, h->cfg, &plugins, GW_LOG_ERROR, err, sizeof err);
    h->open = 1;
    if (rc != GW_OK)
        fail_msg("gateway_open: %s", err);
    assert_int_equal(h->rt.account_count, 2);
}

static void ingest(harness *h, const char *account, const char *json)
{
    json_error_t jerr;
    json_t *ev = json_loads(json, 0, &jerr);
    assert_non_null(ev);
    pipeline_stats stats = {0};
    char err[256] = "";
    int rc =
        pipeline_ingest(h->rt.store, "mock", account, ev, clock_wall_ms(), &stats, err, sizeof err);
    if (rc != 1)
        fail_msg("ingest %s: %d %s", json, rc, err);
}

/* The events the tests answer, committed. */
static void seed_events(harness *h)
{
    ingest(h, "acme",
           "{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"sc-1\","
           "\"thread_id\":\"sc-1\",\"author\":{\"id\":\"100\"},\"text\":\"@acme late\"}");
    ingest(h, "acme",
           "{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":\"c-2\","
           "\"thread_id\":\"post-1\",\"in_reply_to\":\"post-1\","
           "\"author\":{\"id\":\"101\"},\"text\":\"price?\"}");
    ingest(h, "acme",
           "{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":\"c-3\","
           "\"thread_id\":\"post-1\",\"author\":{\"id\":\"102\"},\"text\":\"me too\"}");
    ingest(h, "acme",
           "{\"type\":\"message\",\"visibility\":\"private\",\"native_id\":\"dm-1\","
           "\"thread_id\":\"dm-100\",\"author\":{\"id\":\"100\"},\"text\":\"hi\"}");
    ingest(h, "acme",
           "{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"anon\","
           "\"text\":\"no author here\"}");
    ingest(h, "other",
           "{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"o-1\","
           "\"author\":{\"id\":\"7\"},\"text\":\"@other hi\"}");
    json_t *host = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "account.stopped", "visibility",
                             "private", "native_id", "stopped-1", "detail", "reason", "test");
    pipeline_stats stats = {0};
    assert_int_equal(
        pipeline_ingest_host(h->rt.store, "mock", "acme", host, clock_wall_ms(), &stats), 1);
    assert_int_equal(store_commit(h->rt.store), GW_OK);
}

static void poll_cb(uv_timer_t *t)
{
    harness *h = t->data;
    h->met = h->cond(h);
    if (h->met || clock_monotonic_ms() > h->deadline_ms) {
        uv_close((uv_handle_t *)&h->poll, NULL);
        gateway_stop(&h->rt);
    }
}

/* Run the gateway until cond holds (checked every 5 ms) or timeout_ms
 * passes, then drain. Returns whether cond held. */
static int run_until(harness *h, harness_cond cond, uint64_t timeout_ms)
{
    h->cond = cond;
    h->met = 0;
    h->deadline_ms = clock_monotonic_ms() + timeout_ms;
    uv_timer_init(&h->rt.loop, &h->poll);
    h->poll.data = h;
    uv_timer_start(&h->poll, poll_cb, 5, 5);
    gateway_run(&h->rt);
    return h->met;
}

static outbox_request reply_to(const char *event, const char *text, const char *key)
{
    return (outbox_request){.network = "mock",
                            .account = "acme",
                            .kind = OUTBOX_REPLY,
                            .in_reply_to = event,
                            .text = text,
                            .idempotency_key = key};
}

static outbox_result submit(harness *h, outbox_request req)
{
    outbox_result res;
    assert_int_equal(outbox_submit(h->rt.outbox, &req, &res), GW_OK);
    return res;
}

/* The action's document (caller decrefs). */
static json_t *action_doc(harness *h, const char *id)
{
    json_t *doc = NULL;
    assert_int_equal(outbox_action_get(h->rt.outbox, id, &doc), GW_OK);
    return doc;
}

static int action_in_state(harness *h, const char *id, const char *state)
{
    json_t *doc = action_doc(h, id);
    int same = strcmp(json_string_value(json_object_get(doc, "state")), state) == 0;
    json_decref(doc);
    return same;
}

static int state_is_final(harness *h, const char *id)
{
    return action_in_state(h, id, "succeeded") || action_in_state(h, id, "failed");
}

static int first_is_final(harness *h)
{
    return state_is_final(h, h->ids[0]);
}

static int all_three_final(harness *h)
{
    return state_is_final(h, h->ids[0]) && state_is_final(h, h->ids[1]) &&
           state_is_final(h, h->ids[2]);
}

static json_t *event_of(harness *h, const char *id)
{
    char event_id[96];
    snprintf(event_id, sizeof event_id, "mock:action:%s", id);
    json_t *ev = NULL;
    assert_int_equal(store_event_get(h->rt.store, event_id, &ev), GW_OK);
    return ev;
}

static long long count_rows(harness *h)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(store_db(h->rt.store), "SELECT count(*) FROM outbox", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- refusals and acceptance ---------------------------------------------- */

static void test_refusals_queue_nothing(void **state)
{
    harness *h = *state;
    harness_open(h, NULL, NULL, NULL);
    seed_events(h);
    outbox_request req = reply_to("mock:sc-1", "hello", "k1");

    req.account = "nobody";
    outbox_result res = submit(h, req);
    assert_int_equal(res.verdict, OUTBOX_UNKNOWN_ACCOUNT);
    assert_non_null(strstr(res.message, "mock/nobody"));

    res = submit(h, reply_to("mock:nope", "hello", "k1"));
    assert_int_equal(res.verdict, OUTBOX_UNKNOWN_EVENT);
    res = submit(h, reply_to("mock:o-1", "hello", "k1"));
    assert_int_equal(res.verdict, OUTBOX_UNKNOWN_EVENT);
    assert_non_null(strstr(res.message, "belongs to mock/other"));
    res = submit(h, reply_to("mock:stopped-1", "hello", "k1"));
    assert_int_equal(res.verdict, OUTBOX_NOT_ANSWERABLE);
    res = submit(h, reply_to("mock:dm-1", "hello", "k1"));
    assert_int_equal(res.verdict, OUTBOX_NOT_ANSWERABLE);
    assert_non_null(strstr(res.message, "private"));

    req = reply_to("mock:anon", "hello", "k1");
    req.kind = OUTBOX_PRIVATE;
    res = submit(h, req);
    assert_int_equal(res.verdict, OUTBOX_NO_RECIPIENT);

    /* 281 characters is one too many for the mock's declared 280. */
    char text[600];
    memset(text, 'x', 281);
    text[281] = '\0';
    res = submit(h, reply_to("mock:sc-1", text, "k1"));
    assert_int_equal(res.verdict, OUTBOX_TEXT_TOO_LONG);
    assert_int_equal(res.limit, 280);
    assert_int_equal(res.length, 281);

    /* The plugin's capabilities decide, before anything is queued. */
    loaded_plugin *mock = NULL;
    for (size_t i = 0; i < h->rt.plugins.count; i++)
        if (h->rt.plugins.items[i].refusal == NULL &&
            strcmp(h->rt.plugins.items[i].desc.name, "mock") == 0)
            mock = &h->rt.plugins.items[i];
    assert_non_null(mock);
    uint32_t caps = mock->desc.capabilities;
    mock->desc.capabilities &= ~(uint32_t)GW_CAP_SEND_PRIVATE;
    req = reply_to("mock:sc-1", "we'll DM you", "k1");
    req.kind = OUTBOX_PRIVATE;
    res = submit(h, req);
    mock->desc.capabilities = caps;
    assert_int_equal(res.verdict, OUTBOX_UNSUPPORTED);
    assert_non_null(strstr(res.message, "private messages"));

    /* Empty and blank texts (ASCII and Unicode whitespace, a zero-width
     * space) are refused with the network's real limit in characters;
     * one visible character among them is a text. */
    static const char *const blank[] = {"", "   \n\t", "\r\v\f ",
                                        "\xc2\xa0\xe2\x80\x83\xe3\x80\x80",
                                        "\xe2\x80\x8b\xef\xbb\xbf"};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        res = submit(h, reply_to("mock:sc-1", blank[i], "k1"));
        assert_int_equal(res.verdict, OUTBOX_EMPTY_TEXT);
        assert_int_equal(res.limit, 280);
        assert_non_null(strstr(res.message, "1 to 280 characters"));
        assert_non_null(strstr(res.message, i == 0 ? "empty" : "nothing but whitespace"));
    }
    req = reply_to("mock:sc-1", " ", "k1");
    req.account = "nobody"; /* the host's own cap, then */
    res = submit(h, req);
    assert_int_equal(res.verdict, OUTBOX_EMPTY_TEXT);
    assert_int_equal(res.limit, OUTBOX_TEXT_MAX);
    res = submit(h, reply_to("mock:nope", " \xc2\xa0.\n", "k1"));
    assert_int_equal(res.verdict, OUTBOX_UNKNOWN_EVENT);

    /* A broken call, not a verdict. */
    req = reply_to(NULL, "hello", "k1");
    assert_int_equal(outbox_submit(h->rt.outbox, &req, &res), GW_EINVAL);

    assert_int_equal(count_rows(h), 0);
}

static void test_idempotency_collisions_and_force(void **state)
{
    harness *h = *state;
    harness_open(h, NULL, NULL, NULL);
    seed_events(h);

    /* 280 two-byte characters fit: the limit counts characters. */
    char text[600] = "";
    for (int i = 0; i < 280; i++)
        strcat(text, "\xc3\xa9");
    outbox_result first = submit(h, reply_to("mock:sc-1", text, "k1"));
    assert_int_equal(first.verdict, OUTBOX_CREATED);
    assert_memory_equal(first.action_id, "act_", 4);
    assert_int_equal(strlen(first.action_id), 24);

    outbox_result again = submit(h, reply_to("mock:sc-1", text, "k1"));
    assert_int_equal(again.verdict, OUTBOX_EXISTING);
    assert_string_equal(again.action_id, first.action_id);

    outbox_result reused = submit(h, reply_to("mock:sc-1", "other text", "k1"));
    assert_int_equal(reused.verdict, OUTBOX_KEY_REUSED);
    assert_string_equal(reused.action_id, first.action_id);

    outbox_result clash = submit(h, reply_to("mock:sc-1", "second", "k2"));
    assert_int_equal(clash.verdict, OUTBOX_COLLISION);
    assert_string_equal(clash.action_id, first.action_id);

    /* c-2 and c-3 share thread post-1: one reply per thread. */
    assert_int_equal(submit(h, reply_to("mock:c-2", "answer", "k3")).verdict, OUTBOX_CREATED);
    clash = submit(h, reply_to("mock:c-3", "answer", "k4"));
    assert_int_equal(clash.verdict, OUTBOX_COLLISION);

    outbox_request forced = reply_to("mock:sc-1", "second", "k2");
    forced.force = 1;
    outbox_result res = submit(h, forced);
    assert_int_equal(res.verdict, OUTBOX_CREATED);
    json_t *doc = action_doc(h, res.action_id);
    assert_true(json_is_true(json_object_get(doc, "force")));
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "queued");
    json_decref(doc);

    /* Private answers never collide: the "we'll DM you" move. */
    outbox_request dm = reply_to("mock:sc-1", "sent you a DM", "k5");
    dm.kind = OUTBOX_PRIVATE;
    res = submit(h, dm);
    assert_int_equal(res.verdict, OUTBOX_CREATED);
    doc = action_doc(h, res.action_id);
    assert_string_equal(json_string_value(json_object_get(doc, "to")), "100");
    json_decref(doc);
    dm.idempotency_key = "k6";
    assert_int_equal(submit(h, dm).verdict, OUTBOX_CREATED);

    assert_int_equal(count_rows(h), 5);
    const outbox_stats *st = outbox_stats_get(h->rt.outbox);
    assert_int_equal(st->accepted, 5);
    assert_int_equal(st->replayed, 1);
}

/* ---- the send path ---------------------------------------------------------- */

static void test_reply_succeeds_with_event_and_echo(void **state)
{
    harness *h = *state;
    harness_open(h, NULL, NULL, NULL);
    seed_events(h);
    outbox_result res = submit(h, reply_to("mock:sc-1", "On it!", "k1"));
    assert_int_equal(res.verdict, OUTBOX_CREATED);
    snprintf(h->ids[0], sizeof h->ids[0], "%s", res.action_id);
    assert_true(run_until(h, first_is_final, 5000));

    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "succeeded");
    assert_string_equal(json_string_value(json_object_get(doc, "native_id")), "reply-1");
    assert_string_equal(json_string_value(json_object_get(doc, "url")),
                        "https://mock.example/acme/reply-1");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 1);
    json_decref(doc);

    json_t *ev = event_of(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "action.succeeded");
    assert_string_equal(json_string_value(json_object_get(ev, "visibility")), "public");
    assert_string_equal(json_string_value(json_object_get(ev, "thread_id")), "sc-1");
    assert_string_equal(json_string_value(json_object_get(ev, "in_reply_to")), "sc-1");
    assert_string_equal(json_string_value(json_object_get(ev, "url")),
                        "https://mock.example/acme/reply-1");
    const json_t *detail = json_object_get(ev, "detail");
    assert_string_equal(json_string_value(json_object_get(detail, "action_id")), h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(detail, "native_id")), "reply-1");
    assert_string_equal(json_string_value(json_object_get(detail, "kind")), "reply");
    assert_null(json_object_get(detail, "reason"));
    json_decref(ev);

    json_t *item = json_pack("{s:s}", "native_id", "reply-1");
    assert_int_equal(outbox_is_echo(h->rt.outbox, "mock", "acme", item), 1);
    assert_int_equal(outbox_is_echo(h->rt.outbox, "mock", "other", item), 0);
    json_object_set_new(item, "native_id", json_string("sc-1"));
    assert_int_equal(outbox_is_echo(h->rt.outbox, "mock", "acme", item), 0);
    json_decref(item);
    assert_int_equal(outbox_stats_get(h->rt.outbox)->echoes, 1);
}

static void test_retry_twice_then_ok(void **state)
{
    harness *h = *state;
    harness_open(h, "  fail_op = \"post_public\"\n  fail_with = \"retry\"\n  fail_times = 2\n",
                 NULL, NULL);
    seed_events(h);
    snprintf(h->ids[0], sizeof h->ids[0], "%s",
             submit(h, reply_to("mock:sc-1", "third time lucky", "k1")).action_id);
    assert_true(run_until(h, first_is_final, 5000));
    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "succeeded");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 3);
    assert_true(json_is_null(json_object_get(doc, "reason")));
    json_decref(doc);
    assert_int_equal(outbox_stats_get(h->rt.outbox)->retries, 2);
    json_t *ev = event_of(h, h->ids[0]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "detail"), "attempts")),
                     3);
    json_decref(ev);
}

static void test_retries_exhausted_fail(void **state)
{
    harness *h = *state;
    harness_open(h, "  fail_op = \"send_private\"\n  fail_with = \"retry\"\n", NULL,
                 "max_attempts = 3");
    seed_events(h);
    outbox_request dm = reply_to(NULL, "hello", "k1");
    dm.kind = OUTBOX_PRIVATE;
    dm.to = "42";
    snprintf(h->ids[0], sizeof h->ids[0], "%s", submit(h, dm).action_id);
    assert_true(run_until(h, first_is_final, 5000));
    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "failed");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 3);
    assert_non_null(
        strstr(json_string_value(json_object_get(doc, "reason")), "gave up after 3 attempts"));
    json_decref(doc);
    json_t *ev = event_of(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "action.failed");
    assert_string_equal(json_string_value(json_object_get(ev, "visibility")), "private");
    const json_t *detail = json_object_get(ev, "detail");
    assert_non_null(strstr(json_string_value(json_object_get(detail, "reason")), "gave up"));
    assert_true(json_is_false(json_object_get(detail, "outcome_unknown")));
    assert_string_equal(json_string_value(json_object_get(detail, "to")), "42");
    json_decref(ev);
}

/* When the first action is final, a new reply to the same thread. */
static int first_final_then_reply_again(harness *h)
{
    if (!first_is_final(h))
        return 0;
    outbox_result res = submit(h, reply_to("mock:sc-1", "again", "k2"));
    snprintf(h->ids[1], sizeof h->ids[1], "%s", res.verdict == OUTBOX_CREATED ? "created" : "");
    return 1;
}

static void test_fatal_fails_at_once(void **state)
{
    harness *h = *state;
    harness_open(h, "  fail_op = \"post_public\"\n  fail_with = \"fatal\"\n", NULL, NULL);
    seed_events(h);
    snprintf(h->ids[0], sizeof h->ids[0], "%s",
             submit(h, reply_to("mock:sc-1", "nope", "k1")).action_id);
    assert_true(run_until(h, first_final_then_reply_again, 5000));
    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "failed");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "reason")),
                        "mock: injected failure (fail_op)");
    json_decref(doc);
    /* A failed reply does not block the thread. */
    assert_string_equal(h->ids[1], "created");
}

static void test_timeout_is_an_unknown_outcome_never_resent(void **state)
{
    harness *h = *state;
    /* fetch_timeout's floor is 1 s; the mock answers after 1.5 s. */
    harness_open(h, "  latency = \"1500ms\"\n", "fetch_timeout = \"1s\"", NULL);
    seed_events(h);
    snprintf(h->ids[0], sizeof h->ids[0], "%s",
             submit(h, reply_to("mock:sc-1", "slow network", "k1")).action_id);
    assert_true(run_until(h, first_is_final, 5000));
    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "failed");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 1);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "reason")), "outcome unknown"));
    json_decref(doc);
    json_t *ev = event_of(h, h->ids[0]);
    assert_true(json_is_true(json_object_get(json_object_get(ev, "detail"), "outcome_unknown")));
    json_decref(ev);
}

static void test_one_at_a_time_per_account_in_order(void **state)
{
    harness *h = *state;
    harness_open(h, "  latency = \"30ms\"\n", NULL, NULL);
    seed_events(h);
    const char *to[] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++) {
        outbox_request dm = reply_to(NULL, to[i], to[i]);
        dm.kind = OUTBOX_PRIVATE;
        dm.to = to[i];
        snprintf(h->ids[i], sizeof h->ids[i], "%s", submit(h, dm).action_id);
    }
    assert_true(run_until(h, all_three_final, 5000));
    /* The mock numbers what it accepted: acceptance order is kept. */
    for (int i = 0; i < 3; i++) {
        json_t *doc = action_doc(h, h->ids[i]);
        char want[16];
        snprintf(want, sizeof want, "reply-%d", i + 1);
        assert_string_equal(json_string_value(json_object_get(doc, "native_id")), want);
        json_decref(doc);
    }
}

/* ---- restart ----------------------------------------------------------------- */

static void set_state(harness *h, const char *id, const char *state_name, int attempts)
{
    char path[160];
    snprintf(path, sizeof path, "%s/var/gateway.db", h->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *sql = sqlite3_mprintf("UPDATE outbox SET state = %Q, attempts = %d WHERE id = %Q",
                                state_name, attempts, id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_free(sql);
    sqlite3_close(db);
}

static int second_is_final(harness *h)
{
    return state_is_final(h, h->ids[1]);
}

static void test_restart_fails_interrupted_and_sends_queued(void **state)
{
    harness *h = *state;
    harness_open(h, NULL, NULL, NULL);
    seed_events(h);
    snprintf(h->ids[0], sizeof h->ids[0], "%s",
             submit(h, reply_to("mock:sc-1", "was in flight", "k1")).action_id);
    outbox_request dm = reply_to("mock:sc-1", "queued before the stop", "k2");
    dm.kind = OUTBOX_PRIVATE;
    snprintf(h->ids[1], sizeof h->ids[1], "%s", submit(h, dm).action_id);
    /* Stop without running: both rows are durable and queued. */
    harness_close(h);
    /* As if the gateway had died with the first one in the plugin. */
    set_state(h, h->ids[0], "sending", 1);

    harness_open(h, NULL, NULL, NULL);
    json_t *doc = action_doc(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "failed");
    assert_non_null(strstr(json_string_value(json_object_get(doc, "reason")), "outcome unknown"));
    json_decref(doc);
    json_t *ev = event_of(h, h->ids[0]);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "action.failed");
    assert_true(json_is_true(json_object_get(json_object_get(ev, "detail"), "outcome_unknown")));
    json_decref(ev);

    assert_true(run_until(h, second_is_final, 5000));
    doc = action_doc(h, h->ids[1]);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "succeeded");
    /* The interrupted one was never posted by the mock: its first post
     * is the queued one. */
    assert_string_equal(json_string_value(json_object_get(doc, "native_id")), "reply-1");
    assert_string_equal(json_string_value(json_object_get(doc, "to")), "100");
    json_decref(doc);

    /* The keys still name their actions after the restart. */
    outbox_result again = submit(h, dm);
    assert_int_equal(again.verdict, OUTBOX_EXISTING);
    assert_string_equal(again.action_id, h->ids[1]);
    again = submit(h, reply_to("mock:sc-1", "was in flight", "k1"));
    assert_int_equal(again.verdict, OUTBOX_EXISTING);
    assert_string_equal(again.action_id, h->ids[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusals_queue_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_collisions_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_succeeds_with_event_and_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_twice_then_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_exhausted_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_fails_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_is_an_unknown_outcome_never_resent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_at_a_time_per_account_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_fails_interrupted_and_sends_queued, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
