/* tests/unit/test_forum_plugin.c - the Discourse plugin driven through its
 * ABI with a fake host.
 *
 * The test loads build/plugins/forum.so as the host does (dlopen,
 * RTLD_LOCAL, gw_plugin_entry) and hands it the shared fake host
 * (fake_host.c) with an HTTP request queue added here: events are
 * recorded after the host's own validation (pipeline_validate), the
 * key/value store is a JSON object, and http_request only records the
 * request: the test answers each one by hand, in order, so every step of
 * the fetch state machine and of post_public / send_private is driven and
 * checked deterministically, including 429s, 401s, broken bodies,
 * transport errors and a fetch superseded after a timeout. The plugin
 * target is built before this test (plugins/forum/CMakeLists.txt).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"
#include "engine/pipeline.h"

#include "fake_host.h"

#define FORUM_SO GW_BUILD_DIR "/plugins/forum.so"
#define BASE "https://forum.example.com"
#define KEY "k-secret-123"
#define SECRET "whsec-456"
#define MAX_REQUESTS 64

static void *plugin_handle;
static const gw_plugin *plugin;

/* ---- the fake host (fake_host.c) plus an HTTP request queue ---------- */

typedef struct fake_request {
    char method[8];
    char path[512];  /* the URL without BASE */
    json_t *headers; /* owned: name -> value */
    json_t *body;    /* owned: parsed JSON body, or NULL */
    gw_http_cb cb;
    void *arg;
    int answered;
} fake_request;

/* The gw_account* the plugin sees is &base (its first member): requests
 * queue up here and the test answers them in order. */
typedef struct forum_host {
    fake_host base;
    fake_request requests[MAX_REQUESTS];
    size_t nrequests;
    size_t answered; /* requests answered so far, in order */
    int http_rc;     /* when non-zero, http_request fails with it */
} forum_host;

/* The key and the webhook secret never reach a log line. */
static const char *const SECRETS[] = {KEY, SECRET, NULL};

/* Events are recorded only after the host's own validation. */
static int forum_emit_check(fake_host *h, json_t *event)
{
    (void)h;
    char err[256];
    if (pipeline_validate(event, err, sizeof err) != 0) {
        json_decref(event);
        fail_msg("the plugin emitted an invalid event: %s", err);
    }
    return 0;
}

static int fake_http_request(gw_account *acct, const gw_http_request *req, gw_http_cb cb, void *arg)
{
    forum_host *h = (forum_host *)fake_host_of(acct);
    if (h->http_rc != 0)
        return h->http_rc;
    assert_true(h->nrequests < MAX_REQUESTS);
    assert_int_equal(strncmp(req->url, BASE "/", strlen(BASE) + 1), 0);
    fake_request *r = &h->requests[h->nrequests++];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", req->method);
    snprintf(r->path, sizeof r->path, "%s", req->url + strlen(BASE));
    r->headers = json_object();
    for (size_t i = 0; i < req->header_count; i++)
        json_object_set_new(r->headers, req->headers[i].name, json_string(req->headers[i].value));
    if (req->body_len > 0) {
        r->body = json_loadb((const char *)req->body, req->body_len, 0, NULL);
        assert_non_null(r->body);
    }
    r->cb = cb;
    r->arg = arg;
    return 0;
}

static forum_host *host_new(const char *options_json)
{
    /* The defaults the host fills from the declaration, then the test's. */
    json_t *config =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:s}", "base_url",
                  BASE "/", "api_key", KEY, "api_username", "acme_support", "webhook_secret",
                  SECRET, "fetch_posts", 1, "fetch_mentions", 1, "fetch_private", 1, "max_pages", 5,
                  "max_requests", 30, "backfill_pages", 1, "request_timeout", 0, "private_title",
                  "A reply from our support team");
    json_t *extra = json_loads(options_json != NULL ? options_json : "{}", 0, NULL);
    assert_non_null(extra);
    json_object_update(config, extra);
    json_decref(extra);
    forum_host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    fake_host_init(&h->base, plugin, config);
    h->base.mono_ms = h->base.now_ms; /* one clock for both */
    h->base.table.http_request = fake_http_request;
    h->base.timers_forbidden = "the forum plugin needs no timers";
    h->base.emit_check = forum_emit_check;
    h->base.secrets = SECRETS;
    h->base.verbose_env = "FORUM_TEST_VERBOSE";
    return h;
}

static void host_free(forum_host *h)
{
    for (size_t i = 0; i < h->nrequests; i++) {
        json_decref(h->requests[i].headers);
        json_decref(h->requests[i].body);
    }
    fake_host_fini(&h->base);
    free(h);
}

/* The next unanswered request; it must be method + path. */
static fake_request *expect_request(forum_host *h, const char *method, const char *path)
{
    if (h->answered >= h->nrequests)
        fail_msg("expected %s %s, but nothing was sent", method, path);
    fake_request *r = &h->requests[h->answered];
    if (strcmp(r->method, method) != 0 || strcmp(r->path, path) != 0)
        fail_msg("expected %s %s, got %s %s", method, path, r->method, r->path);
    assert_string_equal(gw_sdk_json_string(r->headers, "Api-Key", ""), KEY);
    assert_string_equal(gw_sdk_json_string(r->headers, "Api-Username", ""), "acme_support");
    assert_string_equal(gw_sdk_json_string(r->headers, "Accept", ""), "application/json");
    if (r->body != NULL)
        assert_string_equal(gw_sdk_json_string(r->headers, "Content-Type", ""), "application/json");
    return r;
}

static void expect_idle(forum_host *h)
{
    if (h->answered != h->nrequests)
        fail_msg("unexpected request %s %s", h->requests[h->answered].method,
                 h->requests[h->answered].path);
}

/* Answer the next request as the host would pass an answer on. */
static void answer_full(forum_host *h, int status, const char *body, uint64_t retry_after_ms,
                        int error, const char *error_message)
{
    assert_true(h->answered < h->nrequests);
    fake_request *r = &h->requests[h->answered++];
    assert_int_equal(r->answered, 0);
    r->answered = 1;
    gw_outcome suggested = GW_OUTCOME_OK;
    if (error != 0)
        suggested = GW_OUTCOME_RETRY;
    else if (status == 401 || status == 403)
        suggested = GW_OUTCOME_FATAL;
    else if (status == 429 || status >= 500)
        suggested = GW_OUTCOME_RETRY;
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = error != 0 ? 0 : status,
        .body = (const unsigned char *)(body != NULL ? body : ""),
        .body_len = body != NULL ? strlen(body) : 0,
        .error = error,
        .error_message = error_message,
        .suggested = suggested,
        .retry_after_ms = retry_after_ms,
    };
    r->cb(r->arg, &resp);
}

static void answer(forum_host *h, int status, const char *body)
{
    answer_full(h, status, body, 0, 0, NULL);
}

/* Answer with a JSON document (steals doc). */
static void answer_json(forum_host *h, int status, json_t *doc)
{
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    answer(h, status, text);
    free(text);
}

/* A Discourse post. */
static json_t *post(int64_t id, int64_t topic, int64_t number, const char *user, const char *raw)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:s, s:i, s:s, s:i, s:n}", "id",
                     (json_int_t)id, "topic_id", (json_int_t)topic, "post_number",
                     (json_int_t)number, "username", user, "name", "Some Name", "user_id",
                     (json_int_t)(10 + user[0]), "raw", raw, "created_at",
                     "2026-11-20T10:00:00.000Z", "post_type", 1, "topic_slug", "a-topic",
                     "category_id", 4, "reply_to_post_number");
}

/* posts.json with ids from high down to low (inclusive), by "ann". */
static json_t *latest(int64_t high, int64_t low)
{
    json_t *list = json_array();
    for (int64_t id = high; id >= low; id--)
        json_array_append_new(list, post(id, 412, id, "ann", "the export is broken"));
    return json_pack("{s:o}", "latest_posts", list);
}

static json_t *notification(int64_t id, int type, int64_t topic, int64_t post_id)
{
    return json_pack("{s:I, s:i, s:I, s:I, s:b, s:{s:I, s:s}}", "id", (json_int_t)id,
                     "notification_type", type, "topic_id", (json_int_t)topic, "post_number",
                     (json_int_t)1, "read", 0, "data", "original_post_id", (json_int_t)post_id,
                     "original_username", "ann");
}

/* A topic view; posts (steals) and stream (steals, may be NULL: the ids
 * of posts). */
static json_t *topic(int64_t id, const char *archetype, json_t *posts, json_t *stream)
{
    if (stream == NULL) {
        stream = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(posts, i, p)
        {
            json_int_t post_id = json_integer_value(json_object_get(p, "id"));
            json_array_append_new(stream, json_integer(post_id));
        }
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:{s:o, s:o}}", "id", (json_int_t)id, "archetype",
                     archetype, "slug", "my-topic", "title", "My topic", "post_stream", "posts",
                     posts, "stream", stream);
}

/* Start a fetch and return with its first request pending. */
static void fetch(forum_host *h, gw_instance *inst, fake_host_op *op)
{
    (void)h; /* for symmetry with the expect_* calls that follow */
    fake_host_op_clear(op);
    plugin->fetch(inst, (gw_op *)op);
}

static void expect_done(fake_host_op *op, gw_outcome outcome, uint64_t delay_ms)
{
    if (op->completions != 1)
        fail_msg("op completed %d times (last: %s)", op->completions, op->message);
    if (op->outcome != outcome || op->delay_ms != delay_ms)
        fail_msg("op completed %d after %llu ms (%s); expected %d after %llu ms", op->outcome,
                 (unsigned long long)op->delay_ms, op->message, outcome,
                 (unsigned long long)delay_ms);
}

/* ---- setup ------------------------------------------------------------ */

static int load_plugin(void **state)
{
    (void)state;
    plugin = fake_host_load_plugin(FORUM_SO, "build target plugin_forum first", &plugin_handle);
    return plugin != NULL ? 0 : -1;
}

static int unload_plugin(void **state)
{
    (void)state;
    if (plugin_handle != NULL)
        dlclose(plugin_handle);
    return 0;
}

/* ---- descriptor and options --------------------------------------------------- */

static void test_descriptor(void **state)
{
    (void)state;
    assert_int_equal(plugin->struct_size, sizeof(gw_plugin));
    assert_int_equal(plugin->abi_major, GW_ABI_MAJOR);
    assert_string_equal(plugin->name, "forum");
    assert_int_equal(plugin->capabilities,
                     GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK);
    assert_int_equal(plugin->max_text_length, 32000);
    /* Only the entry point is exported. */
    assert_null(dlsym(plugin_handle, "forum_normalise_post"));
    assert_null(dlsym(plugin_handle, "gw_sdk_hmac_sha256"));

    const char *required[] = {"base_url", "api_key", "api_username"};
    const char *secret[] = {"api_key", "webhook_secret"};
    size_t n = 0;
    for (const gw_option *o = plugin->options; o->name != NULL; o++) {
        n++;
        assert_true(o->help != NULL && strlen(o->help) > 10 && strchr(o->help, '\n') == NULL);
        int want_required = 0, want_secret = 0;
        for (size_t i = 0; i < 3; i++)
            want_required |= strcmp(o->name, required[i]) == 0;
        for (size_t i = 0; i < 2; i++)
            want_secret |= strcmp(o->name, secret[i]) == 0;
        assert_int_equal((o->flags & GW_OPTF_REQUIRED) != 0, want_required);
        assert_int_equal((o->flags & GW_OPTF_SECRET) != 0, want_secret);
    }
    assert_int_equal(n, 14);
}

static void expect_create_fails(const char *options, const char *part)
{
    forum_host *h = host_new(options);
    fake_host_create_fails(&h->base, GW_EINVAL, part, "not-to-be-seen");
    host_free(h);
}

static void test_create_checks_options(void **state)
{
    (void)state;
    expect_create_fails("{\"base_url\":\"\"}", "base_url");
    expect_create_fails("{\"base_url\":\"ftp://forum\"}", "base_url");
    expect_create_fails("{\"base_url\":\"https://forum/?x=1\"}", "base_url");
    expect_create_fails("{\"base_url\":\"https:///path\"}", "base_url");
    expect_create_fails("{\"api_key\":\"\"}", "api_key");
    expect_create_fails("{\"api_key\":\"not-to-be-seen x\"}", "api_key");
    expect_create_fails("{\"api_username\":\"two words\"}", "api_username");
    expect_create_fails("{\"categories\":[\"4\",\"support\"]}", "categories");
    expect_create_fails("{\"max_pages\":0}", "max_pages");
    /* A good one, with the trailing '/' of base_url dropped (see
     * expect_request's paths). */
    forum_host *h = host_new("{\"categories\":[\"4\"]}");
    gw_instance *inst = fake_host_instance_new(&h->base);
    plugin->destroy(inst);
    host_free(h);
}

/* ---- fetch --------------------------------------------------------------- */

static void test_first_fetch_reads_every_source(void **state)
{
    (void)state;
    forum_host *h = host_new(NULL);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    fetch(h, inst, &op);

    expect_request(h, "GET", "/posts.json");
    json_t *page = json_array();
    json_array_append_new(page, post(9003, 412, 4, "acme_support", "we are on it"));
    json_array_append_new(page, post(9002, 412, 3, "ann", "@acme_support the export is broken"));
    json_t *reply = post(9001, 412, 2, "bob", "me too");
    json_object_set_new(reply, "reply_to_post_number", json_integer(1));
    json_array_append_new(page, reply);
    json_array_append_new(page, post(9000, 412, 1, "carl", "Export broken since Monday"));
    answer_json(h, 200, json_pack("{s:o}", "latest_posts", page));

    expect_request(h, "GET", "/notifications.json");
    json_t *list = json_array();
    json_array_append_new(list, notification(703, 6, 501, 9010));
    json_array_append_new(list, notification(701, 1, 412, 9002)); /* covered by posts.json */
    answer_json(h, 200, json_pack("{s:o}", "notifications", list));

    expect_request(h, "GET", "/topics/private-messages/acme_support.json");
    answer_json(h, 200,
                json_pack("{s:{s:[{s:i, s:i, s:s}]}}", "topic_list", "topics", "id", 501,
                          "highest_post_number", 2, "archetype", "private_message"));
    expect_request(h, "GET", "/t/501.json");
    json_t *pm = json_array();
    json_array_append_new(pm, post(9010, 501, 1, "ann", "where is order 1234?"));
    json_array_append_new(pm, post(9011, 501, 2, "acme_support", "looking"));
    answer_json(h, 200, topic(501, "private_message", pm, NULL));

    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    /* Oldest first within the page; the brand's own posts are left out. */
    assert_int_equal(json_array_size(h->base.events), 4);
    assert_string_equal(fake_host_event_str(&h->base, 0, "native_id"), "9000");
    assert_string_equal(fake_host_event_str(&h->base, 1, "native_id"), "9001");
    assert_string_equal(fake_host_event_str(&h->base, 1, "type"), "comment");
    assert_string_equal(fake_host_event_str(&h->base, 1, "in_reply_to"), "9000");
    assert_string_equal(fake_host_event_str(&h->base, 2, "native_id"), "9002");
    assert_string_equal(fake_host_event_str(&h->base, 2, "type"), "mention");
    assert_string_equal(fake_host_event_str(&h->base, 2, "in_reply_to"), "9000");
    assert_string_equal(fake_host_event_str(&h->base, 3, "native_id"), "9010");
    assert_string_equal(fake_host_event_str(&h->base, 3, "type"), "message");
    assert_string_equal(fake_host_event_str(&h->base, 3, "visibility"), "private");
    assert_string_equal(fake_host_event_str(&h->base, 3, "url"), BASE "/t/a-topic/501/1");
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "9003");
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "703");
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[2,9011]}");
    fake_host_op_clear(&op);

    /* The next fetch finds nothing new and asks only for the lists. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(9003, 9000));
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, json_pack("{s:[]}", "notifications"));
    expect_request(h, "GET", "/topics/private-messages/acme_support.json");
    answer_json(h, 200,
                json_pack("{s:{s:[{s:i, s:i}]}}", "topic_list", "topics", "id", 501,
                          "highest_post_number", 2));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 4);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

#define MORE_LINK(n) "/notifications?offset=" #n "&username=acme_support"

/* A notifications page: mentions (ids newest first, notification id naming
 * post 8300 + id) and its load_more_notifications link. */
static json_t *notif_page(const int64_t *ids, size_t n, const char *more)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, notification(ids[i], 1, 412, 8300 + ids[i]));
    return json_pack("{s:o, s:s}", "notifications", list, "load_more_notifications", more);
}

/* Topic 412 holding posts 9002..9005 (numbers 2..5). */
static void mention_topic(forum_host *h)
{
    expect_request(h, "GET", "/t/412.json");
    json_t *posts = json_array();
    for (int i = 2; i <= 5; i++)
        json_array_append_new(posts, post(9000 + i, 412, i, "ann", "@acme_support help"));
    answer_json(h, 200, topic(412, "regular", posts, NULL));
}

static void test_capped_notification_walk_goes_on_at_the_next_fetch(void **state)
{
    (void)state;
    forum_host *h = host_new("{\"fetch_posts\":false,\"fetch_private\":false,"
                             "\"max_notification_pages\":1}");
    json_object_set_new(h->base.kv, "notifications_max", json_string("700"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};

    /* One page a fetch and the cursor not met: handled newest first, the
     * walk stored, the cursor kept. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, notif_page((int64_t[]){704, 703}, 2, MORE_LINK(2)));
    mention_topic(h);
    expect_done(&op, GW_OUTCOME_OK, 0);
    expect_idle(h);
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "700");
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"),
                        "{\"top\":704,\"low\":703,\"next\":\"" MORE_LINK(2) "\"}");

    /* 705 arrived on top and pushed the list down: 703 shows again and is
     * not handled twice; 705 is left to the walk after this one. */
    fetch(h, inst, &op);
    expect_request(h, "GET", MORE_LINK(2));
    answer_json(h, 200, notif_page((int64_t[]){703, 702}, 2, MORE_LINK(4)));
    mention_topic(h);
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"),
                        "{\"top\":704,\"low\":702,\"next\":\"" MORE_LINK(4) "\"}");

    /* The cursor met: the gap is closed, the cursor moves to the top. */
    fetch(h, inst, &op);
    expect_request(h, "GET", MORE_LINK(4));
    answer_json(h, 200, notif_page((int64_t[]){700}, 1, MORE_LINK(6)));
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "704");
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"), "null");

    /* From the top again, down to 704: 705. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, notif_page((int64_t[]){705, 704}, 2, MORE_LINK(2)));
    mention_topic(h);
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "705");
    assert_int_equal(json_array_size(h->base.events), 4);
    const char *order[] = {"9004", "9003", "9002", "9005"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(fake_host_event_str(&h->base, i, "native_id"), order[i]);

    /* A walk stored but closed (the cursor written, the clearing lost to a
     * crash): dropped, the fetch lists from the top. */
    json_object_set_new(h->base.kv, "notifications_walk",
                        json_string("{\"top\":705,\"low\":702,\"next\":\"" MORE_LINK(4) "\"}"));
    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, notif_page((int64_t[]){705}, 1, MORE_LINK(1)));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"), "null");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

/* A page of one notification of the given type and its link. */
static json_t *notif_one(int64_t id, int type, const char *more)
{
    return json_pack("{s:[o], s:s}", "notifications", notification(id, type, 412, 8300 + id),
                     "load_more_notifications", more);
}

static void test_notification_walk_out_of_requests_still_gets_on(void **state)
{
    (void)state;
    /* Five requests a fetch, all spent listing: what was read becomes a
     * capped walk, which then handles a page before it lists on. */
    forum_host *h = host_new("{\"fetch_posts\":false,\"fetch_private\":false,"
                             "\"max_requests\":5,\"max_notification_pages\":10}");
    json_object_set_new(h->base.kv, "notifications_max", json_string("700"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};

    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, notif_page((int64_t[]){705}, 1, MORE_LINK(1)));
    expect_request(h, "GET", MORE_LINK(1));
    answer_json(h, 200, notif_one(704, 5, MORE_LINK(2))); /* liked: nothing to read */
    expect_request(h, "GET", MORE_LINK(2));
    answer_json(h, 200, notif_one(703, 5, MORE_LINK(3)));
    expect_request(h, "GET", MORE_LINK(3));
    answer_json(h, 200, notif_one(702, 1, MORE_LINK(4)));
    expect_request(h, "GET", MORE_LINK(4));
    answer_json(h, 200, notif_one(701, 5, MORE_LINK(5)));
    expect_done(&op, GW_OUTCOME_OK, 0);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 0);
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "700");
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"),
                        "{\"top\":705,\"low\":706,\"next\":\"/notifications.json\"}");

    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, notif_page((int64_t[]){705}, 1, MORE_LINK(1)));
    mention_topic(h);
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"),
                        "{\"top\":705,\"low\":705,\"next\":\"" MORE_LINK(1) "\"}");

    fetch(h, inst, &op);
    expect_request(h, "GET", MORE_LINK(1));
    answer_json(h, 200, notif_one(704, 5, MORE_LINK(2)));
    expect_request(h, "GET", MORE_LINK(2));
    answer_json(h, 200, notif_one(703, 5, MORE_LINK(3)));
    expect_request(h, "GET", MORE_LINK(3));
    answer_json(h, 200, notif_one(702, 1, MORE_LINK(4)));
    mention_topic(h);
    expect_done(&op, GW_OUTCOME_OK, 0);

    fetch(h, inst, &op);
    expect_request(h, "GET", MORE_LINK(4));
    answer_json(h, 200, notif_one(701, 5, MORE_LINK(5)));
    expect_request(h, "GET", MORE_LINK(5));
    answer_json(h, 200, notif_one(700, 5, MORE_LINK(6)));
    expect_done(&op, GW_OUTCOME_OK, 0);
    expect_idle(h);
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "705");
    assert_string_equal(fake_host_kv(&h->base, "notifications_walk"), "null");
    assert_int_equal(json_array_size(h->base.events), 2);
    assert_string_equal(fake_host_event_str(&h->base, 0, "native_id"), "9005");
    assert_string_equal(fake_host_event_str(&h->base, 1, "native_id"), "9002");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

#define ONLY_POSTS "{\"fetch_mentions\":false,\"fetch_private\":false"

static void test_paging_walks_down_to_the_cursor(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_POSTS "}");
    json_object_set_new(h->base.kv, "posts_max", json_string("100"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(110, 106));
    expect_request(h, "GET", "/posts.json?before=106");
    /* A page that repeats what before= excluded: not delivered twice. */
    answer_json(h, 200, latest(106, 102));
    expect_request(h, "GET", "/posts.json?before=102");
    /* 101 is one above the cursor: nothing can lie between. */
    answer_json(h, 200, latest(101, 96));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 10);
    /* Page by page newest first, oldest first within a page. */
    const char *order[] = {"106", "107", "108", "109", "110", "102", "103", "104", "105", "101"};
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(fake_host_event_str(&h->base, i, "native_id"), order[i]);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "110");
    fake_host_op_clear(&op);

    /* Overlap with the last fetch: only the new post is delivered. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(111, 107));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_int_equal(json_array_size(h->base.events), 11);
    assert_string_equal(fake_host_event_str(&h->base, 10, "native_id"), "111");
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "111");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_backlog_continues_in_the_next_fetch(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_POSTS ",\"max_pages\":1}");
    json_object_set_new(h->base.kv, "posts_max", json_string("100"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};

    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(110, 106));
    expect_done(&op, GW_OUTCOME_OK, 0); /* more is ready */
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "100");
    assert_string_equal(fake_host_kv(&h->base, "posts_walk_top"), "110");
    assert_string_equal(fake_host_kv(&h->base, "posts_walk_before"), "106");
    fake_host_op_clear(&op);

    /* A new post meanwhile waits until the backlog is read. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json?before=106");
    answer_json(h, 200, latest(105, 102));
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(fake_host_kv(&h->base, "posts_walk_before"), "102");
    fake_host_op_clear(&op);

    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json?before=102");
    answer_json(h, 200, latest(101, 96));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "110");
    assert_string_equal(fake_host_kv(&h->base, "posts_walk_top"), "0");
    fake_host_op_clear(&op);

    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(112, 108));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_int_equal(json_array_size(h->base.events), 12);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "112");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_first_fetch_without_backfill(void **state)
{
    (void)state;
    forum_host *h = host_new("{\"backfill_pages\":0}");
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(50, 41));
    expect_request(h, "GET", "/notifications.json");
    json_t *list = json_array();
    json_array_append_new(list, notification(703, 1, 412, 9002));
    answer_json(h, 200, json_pack("{s:o}", "notifications", list));
    expect_request(h, "GET", "/topics/private-messages/acme_support.json");
    answer_json(h, 200,
                json_pack("{s:{s:[{s:i, s:i}]}}", "topic_list", "topics", "id", 501,
                          "highest_post_number", 30));
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 0);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "50");
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "703");
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[30,0]}");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

#define ONLY_MENTIONS "{\"fetch_posts\":false,\"fetch_private\":false}"

static void test_mentions_through_notifications(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_MENTIONS);
    json_object_set_new(h->base.kv, "notifications_max", json_string("700"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    fetch(h, inst, &op);
    expect_request(h, "GET", "/notifications.json");
    json_t *list = json_array();
    json_array_append_new(list, notification(706, 1, 501, 9201)); /* inside a PM */
    json_array_append_new(list, notification(705, 1, 412, 9102));
    json_array_append_new(list, notification(704, 2, 412, 9101));
    json_array_append_new(list, notification(703, 1, 600, 9300)); /* topic gone */
    json_array_append_new(list, notification(702, 9, 412, 9100)); /* a like: ignored */
    json_array_append_new(list, notification(699, 1, 412, 9050)); /* handled before */
    answer_json(h, 200, json_pack("{s:o}", "notifications", list));

    expect_request(h, "GET", "/t/600.json");
    answer_json(h, 404,
                json_pack("{s:[s], s:s}", "errors",
                          "The requested URL or resource could "
                          "not be found.",
                          "error_type", "not_found"));
    expect_request(h, "GET", "/t/412.json");
    json_t *posts = json_array();
    json_array_append_new(posts, post(9000, 412, 1, "carl", "Export broken"));
    json_array_append_new(posts, post(9101, 412, 3, "bob", "did you try again?"));
    answer_json(h, 200, topic(412, "regular", posts, json_pack("[i,i,i]", 9000, 9101, 9102)));
    /* 9102 is beyond the view: read alone, in the same topic. */
    expect_request(h, "GET", "/posts/9102.json");
    json_t *p = post(9102, 412, 4, "ann", "@acme_support please look");
    json_object_del(p, "topic_slug");
    answer_json(h, 200, p);
    expect_request(h, "GET", "/t/501.json");
    json_t *pm = json_array();
    json_array_append_new(pm, post(9201, 501, 1, "ann", "@acme_support private question"));
    answer_json(h, 200, topic(501, "private_message", pm, NULL));

    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 3);
    assert_string_equal(fake_host_event_str(&h->base, 0, "native_id"), "9101");
    assert_string_equal(fake_host_event_str(&h->base, 0, "type"),
                        "comment"); /* a reply, no @mention */
    assert_string_equal(fake_host_event_str(&h->base, 0, "in_reply_to"), "9000");
    assert_string_equal(fake_host_event_str(&h->base, 1, "native_id"), "9102");
    assert_string_equal(fake_host_event_str(&h->base, 1, "type"), "mention");
    /* The slug came from the topic view. */
    assert_string_equal(fake_host_event_str(&h->base, 1, "url"), BASE "/t/my-topic/412/4");
    /* A mention inside a PM stays private. */
    assert_string_equal(fake_host_event_str(&h->base, 2, "native_id"), "9201");
    assert_string_equal(fake_host_event_str(&h->base, 2, "type"), "message");
    assert_string_equal(fake_host_event_str(&h->base, 2, "visibility"), "private");
    assert_string_equal(fake_host_kv(&h->base, "notifications_max"), "706");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

#define ONLY_PRIVATE "{\"fetch_posts\":false,\"fetch_mentions\":false"

static void pm_listing(forum_host *h, int highest)
{
    expect_request(h, "GET", "/topics/private-messages/acme_support.json");
    answer_json(h, 200,
                json_pack("{s:{s:[{s:i, s:i}]}}", "topic_list", "topics", "id", 501,
                          "highest_post_number", highest));
}

/* With fetch_mentions off the notifications are still listed, for the PM
 * topics they name (none here); then the inbox. */
static void pm_lists(forum_host *h, int highest)
{
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, json_pack("{s:[]}", "notifications"));
    pm_listing(h, highest);
}

/* The view of topic 501 with posts 1..20 loaded and ids 9001..(9000 + n). */
static void pm_view(forum_host *h, int n)
{
    expect_request(h, "GET", "/t/501.json");
    json_t *posts = json_array(), *stream = json_array();
    for (int i = 1; i <= n; i++) {
        if (i <= 20)
            json_array_append_new(posts, post(9000 + i, 501, i, "ann", "message text"));
        json_array_append_new(stream, json_integer(9000 + i));
    }
    answer_json(h, 200, topic(501, "private_message", posts, stream));
}

static void pm_single(forum_host *h, int number)
{
    char path[64];
    snprintf(path, sizeof path, "/posts/%d.json", 9000 + number);
    expect_request(h, "GET", path);
    answer_json(h, 200, post(9000 + number, 501, number, "ann", "a later message"));
}

static void test_private_messages_after_a_baseline(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_PRIVATE ",\"backfill_pages\":0}");
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};

    fetch(h, inst, &op);
    pm_lists(h, 30);
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[30,0]}");
    fake_host_op_clear(&op);

    /* Two new posts, beyond the view: read newest first down to an old one. */
    fetch(h, inst, &op);
    pm_lists(h, 32);
    pm_view(h, 32);
    pm_single(h, 32);
    pm_single(h, 31);
    pm_single(h, 30);
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 2);
    assert_string_equal(fake_host_event_str(&h->base, 0, "native_id"), "9032");
    assert_string_equal(fake_host_event_str(&h->base, 1, "native_id"), "9031");
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[32,9032]}");
    fake_host_op_clear(&op);

    /* Now the ids are known: only what is above them is read. */
    fetch(h, inst, &op);
    pm_lists(h, 33);
    pm_view(h, 33);
    pm_single(h, 33);
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 3);
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[33,9033]}");
    fake_host_op_clear(&op);

    /* Nothing new: the listing alone. */
    fetch(h, inst, &op);
    pm_lists(h, 33);
    expect_done(&op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    expect_idle(h);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

/* The lists of posts and notifications, with nothing new in them. */
static void quiet_lists(forum_host *h)
{
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(100, 99));
    expect_request(h, "GET", "/notifications.json");
    answer_json(h, 200, json_pack("{s:[]}", "notifications"));
}

static void test_request_budget_splits_a_topic(void **state)
{
    (void)state;
    /* A new PM topic of 25 posts, 5 requests per fetch: two lists, the PM
     * listing, the view and one post per fetch, remembered as it goes. */
    forum_host *h = host_new("{\"max_requests\":5}");
    json_object_set_new(h->base.kv, "posts_max", json_string("100"));
    json_object_set_new(h->base.kv, "notifications_max", json_string("700"));
    json_object_set_new(h->base.kv, "pm_topics", json_string("{}"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    fetch(h, inst, &op);
    quiet_lists(h);
    pm_listing(h, 25);
    pm_view(h, 25);
    pm_single(h, 21);
    expect_done(&op, GW_OUTCOME_OK, 0);
    expect_idle(h);
    assert_int_equal(json_array_size(h->base.events), 21);
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[0,9021]}");
    fake_host_op_clear(&op);
    fetch(h, inst, &op);
    quiet_lists(h);
    pm_listing(h, 25);
    pm_view(h, 25);
    pm_single(h, 22);
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_int_equal(json_array_size(h->base.events), 22);
    assert_string_equal(fake_host_kv(&h->base, "pm_topics"), "{\"501\":[0,9022]}");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_rate_limit_and_errors(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_POSTS "}");
    json_object_set_new(h->base.kv, "posts_max", json_string("100"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};

    /* 429: wait as long as the host read from Retry-After. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_full(h, 429, "{\"errors\":[\"slow down\"],\"error_type\":\"rate_limit\"}", 7000, 0,
                NULL);
    expect_done(&op, GW_OUTCOME_RETRY, 7000);
    /* ... or, when it read none, as long as the body's wait_seconds. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer(h, 429,
           "{\"errors\":[\"x\"],\"error_type\":\"rate_limit\",\"extras\":"
           "{\"wait_seconds\":12,\"time_left\":\"12 seconds\"}}");
    expect_done(&op, GW_OUTCOME_RETRY, 12000);

    /* A half-read walk keeps what it emitted and its cursor stays. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(110, 106));
    expect_request(h, "GET", "/posts.json?before=106");
    answer(h, 401, "{\"errors\":[\"You are not permitted\"],\"error_type\":\"invalid_access\"}");
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    assert_non_null(strstr(op.message, "401"));
    assert_int_equal(json_array_size(h->base.events), 5);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "100");
    /* A 401 is the host's to see; the plugin reports nothing itself. */
    assert_int_equal(h->base.credentials_failed, 0);

    /* Discourse's answer to a revoked key on a page the brand can always
     * read: the plugin tells the host its credentials failed. */
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer(h, 403, "{\"errors\":[\"You are not permitted\"],\"error_type\":\"invalid_access\"}");
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    assert_int_equal(h->base.credentials_failed, 1);
    assert_non_null(strstr(h->base.credentials_reason, "403 invalid_access"));

    /* Malformed, cut and odd bodies: RETRY, nothing emitted. */
    const char *bodies[] = {"{\"latest_posts\": [{\"id\": 9001, \"username\": \"ann", "",
                            "<html>502</html>", "[]", "{\"latest_posts\": {}}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        fetch(h, inst, &op);
        expect_request(h, "GET", "/posts.json");
        answer(h, 200, bodies[i]);
        expect_done(&op, GW_OUTCOME_RETRY, 0);
    }
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_full(h, 0, NULL, 0, GW_EIO, "transfer closed with 100 bytes remaining to read");
    expect_done(&op, GW_OUTCOME_RETRY, 0);
    assert_non_null(strstr(op.message, "transfer closed"));
    fetch(h, inst, &op);
    expect_request(h, "GET", "/posts.json");
    answer_full(h, 503, "<html>down</html>", 2000, 0, NULL);
    expect_done(&op, GW_OUTCOME_RETRY, 2000);
    assert_int_equal(json_array_size(h->base.events), 5);
    assert_string_equal(fake_host_kv(&h->base, "posts_max"), "100");

    /* A request the host refuses to send. */
    h->http_rc = GW_ESTATE;
    fetch(h, inst, &op);
    expect_done(&op, GW_OUTCOME_RETRY, 0);
    h->http_rc = 0;
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_superseded_fetch_and_destroy(void **state)
{
    (void)state;
    forum_host *h = host_new(ONLY_POSTS "}");
    json_object_set_new(h->base.kv, "posts_max", json_string("100"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op first = {0}, second = {0};
    fetch(h, inst, &first);
    /* The host timed the first out and fetches again. */
    fetch(h, inst, &second);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(105, 101));
    expect_done(&first, GW_OUTCOME_RETRY, 0);
    assert_int_equal(json_array_size(h->base.events), 0);
    expect_request(h, "GET", "/posts.json");
    answer_json(h, 200, latest(101, 100));
    expect_done(&second, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL);
    assert_int_equal(json_array_size(h->base.events), 1);

    /* Destroyed while a request is out: nothing completes, nothing leaks. */
    fake_host_op_clear(&first);
    fetch(h, inst, &first);
    plugin->destroy(inst);
    assert_int_equal(first.completions, 0);
    fake_host_op_clear(&first);
    fake_host_op_clear(&second);
    host_free(h);
}

/* ---- post_public and send_private ---------------------------------------- */

static gw_action action_make(const char *text, const char *in_reply_to, const char *to,
                             const json_t *event)
{
    gw_action a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.action_id = "act-1";
    a.text = text;
    a.in_reply_to = in_reply_to;
    a.to = to;
    a.in_reply_to_event = event;
    return a;
}

static json_t *stored_event(const char *type, const char *native, const char *thread,
                            const char *url, int post_number)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "type", type, "native_id",
                           native, "thread_id", thread, "url", url, "visibility",
                           strcmp(type, "message") == 0 ? "private" : "public", "author", "id",
                           "10", "handle", "ann");
    if (post_number > 0)
        json_object_set_new(ev, "raw", json_pack("{s:i}", "post_number", post_number));
    return ev;
}

static const char *created =
    "{\"id\":9104,\"topic_id\":412,\"post_number\":6,\"topic_slug\":\"export-broken\","
    "\"username\":\"acme_support\",\"raw\":\"x\"}";

static void test_post_public(void **state)
{
    (void)state;
    forum_host *h = host_new(NULL);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    const char *text = "Thanks Ann, a fix ships tomorrow.";

    /* From the stored event: topic and post number are known. */
    json_t *ev = stored_event("mention", "9002", "412", BASE "/t/export-broken/412/3", 3);
    gw_action a = action_make(text, "9002", NULL, ev);
    plugin->post_public(inst, (gw_op *)&op, &a);
    fake_request *r = expect_request(h, "POST", "/posts.json");
    json_t *want =
        json_pack("{s:i, s:s, s:i}", "topic_id", 412, "raw", text, "reply_to_post_number", 3);
    assert_true(json_equal(r->body, want));
    json_decref(want);
    answer(h, 200, created);
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "9104");
    assert_string_equal(gw_sdk_json_string(op.result, "url", ""), BASE "/t/export-broken/412/6");
    json_decref(ev);

    /* The post number from the URL alone. */
    fake_host_op_clear(&op);
    ev = stored_event("comment", "9002", "412", BASE "/t/export-broken/412/3", 0);
    a = action_make(text, "9002", NULL, ev);
    plugin->post_public(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_int_equal(json_integer_value(json_object_get(r->body, "reply_to_post_number")), 3);
    answer(h, 200, created);
    expect_done(&op, GW_OUTCOME_OK, 0);
    json_decref(ev);

    /* Without the event: the forum is asked where the post is. */
    fake_host_op_clear(&op);
    a = action_make(text, "9002", NULL, NULL);
    plugin->post_public(inst, (gw_op *)&op, &a);
    expect_request(h, "GET", "/posts/9002.json");
    answer_json(h, 200, post(9002, 412, 3, "ann", "broken"));
    r = expect_request(h, "POST", "/posts.json");
    assert_int_equal(json_integer_value(json_object_get(r->body, "topic_id")), 412);
    assert_int_equal(json_integer_value(json_object_get(r->body, "reply_to_post_number")), 3);
    answer(h, 200, created);
    expect_done(&op, GW_OUTCOME_OK, 0);

    /* The answered post is gone. */
    fake_host_op_clear(&op);
    plugin->post_public(inst, (gw_op *)&op, &a);
    expect_request(h, "GET", "/posts/9002.json");
    answer(h, 404, "{\"errors\":[\"not found\"],\"error_type\":\"not_found\"}");
    expect_done(&op, GW_OUTCOME_FATAL, 0);

    /* A thread without a post to answer: a plain reply in the topic. */
    fake_host_op_clear(&op);
    a = action_make(text, NULL, NULL, NULL);
    a.thread_id = "412";
    plugin->post_public(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_null(json_object_get(r->body, "reply_to_post_number"));
    answer(h, 200, created);
    expect_done(&op, GW_OUTCOME_OK, 0);

    /* Nothing to answer, no text. */
    fake_host_op_clear(&op);
    a = action_make(text, NULL, NULL, NULL);
    plugin->post_public(inst, (gw_op *)&op, &a);
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    fake_host_op_clear(&op);
    a = action_make("", "9002", NULL, NULL);
    plugin->post_public(inst, (gw_op *)&op, &a);
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    expect_idle(h);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_post_public_outcomes(void **state)
{
    (void)state;
    forum_host *h = host_new(NULL);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    json_t *ev = stored_event("mention", "9002", "412", BASE "/t/x/412/3", 3);
    gw_action a = action_make("ok", "9002", NULL, ev);
    const struct {
        int status;
        const char *body;
        uint64_t retry_after;
        int error;
        const char *error_message;
        gw_outcome want;
        uint64_t want_delay;
        const char *want_text;
    } cases[] = {
        {422,
         "{\"action\":\"create_post\",\"errors\":[\"Body is too short (minimum is 20 "
         "characters)\"]}",
         0, 0, NULL, GW_OUTCOME_FATAL, 0, "Body is too short"},
        {429, "{\"errors\":[\"wait\"],\"error_type\":\"rate_limit\"}", 5000, 0, NULL,
         GW_OUTCOME_RETRY, 5000, "429"},
        {503, "<html/>", 0, 0, NULL, GW_OUTCOME_RETRY, 0, "503"},
        {500, "<html/>", 0, 0, NULL, GW_OUTCOME_FATAL, 0, "outcome unknown"},
        {504, "", 0, 0, NULL, GW_OUTCOME_FATAL, 0, "outcome unknown"},
        {403, "{\"errors\":[\"You are not permitted\"],\"error_type\":\"invalid_access\"}", 0, 0,
         NULL, GW_OUTCOME_FATAL, 0, "You are not permitted"},
        {200, "{\"id\":", 0, 0, NULL, GW_OUTCOME_FATAL, 0, "outcome unknown"},
        {0, NULL, 0, GW_EIO, "connection reset", GW_OUTCOME_FATAL, 0, "outcome unknown"},
        {0, NULL, 3000, GW_EBUSY, "rate limit reached; the next request is allowed in 3000 ms",
         GW_OUTCOME_RETRY, 3000, "rate limit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_host_op_clear(&op);
        plugin->post_public(inst, (gw_op *)&op, &a);
        expect_request(h, "POST", "/posts.json");
        answer_full(h, cases[i].status, cases[i].body, cases[i].retry_after, cases[i].error,
                    cases[i].error_message);
        expect_done(&op, cases[i].want, cases[i].want_delay);
        if (strstr(op.message, cases[i].want_text) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, op.message, cases[i].want_text);
    }
    json_decref(ev);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

static void test_send_private(void **state)
{
    (void)state;
    forum_host *h = host_new(NULL);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    const char *text = "Could you send us your order number?";

    /* A new conversation with the named user. */
    gw_action a = action_make(text, NULL, "ann", NULL);
    plugin->send_private(inst, (gw_op *)&op, &a);
    fake_request *r = expect_request(h, "POST", "/posts.json");
    json_t *want =
        json_pack("{s:s, s:s, s:s, s:s}", "title", "A reply from our support team", "raw", text,
                  "target_recipients", "ann", "archetype", "private_message");
    assert_true(json_equal(r->body, want));
    json_decref(want);
    answer(h, 200, "{\"id\":9400,\"topic_id\":520,\"post_number\":1,\"topic_slug\":\"a-reply\"}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "9400");

    /* Answering a private message: inside its conversation. */
    fake_host_op_clear(&op);
    json_t *ev = stored_event("message", "9010", "501", BASE "/t/my-order/501/1", 1);
    a = action_make(text, "9010", NULL, ev);
    plugin->send_private(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    want = json_pack("{s:i, s:s, s:i}", "topic_id", 501, "raw", text, "reply_to_post_number", 1);
    assert_true(json_equal(r->body, want));
    json_decref(want);
    answer(h, 200, "{\"id\":9012,\"topic_id\":501,\"post_number\":3,\"topic_slug\":\"my-order\"}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    json_decref(ev);

    /* Answering a public post privately: a new conversation with its author. */
    fake_host_op_clear(&op);
    ev = stored_event("mention", "9002", "412", BASE "/t/x/412/3", 3);
    a = action_make(text, "9002", NULL, ev);
    plugin->send_private(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_string_equal(gw_sdk_json_string(r->body, "target_recipients", ""), "ann");
    assert_null(json_object_get(r->body, "topic_id"));
    answer(h, 422,
           "{\"action\":\"create_post\",\"errors\":[\"The user ann could not be found.\"]}");
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    assert_non_null(strstr(op.message, "could not be found"));
    json_decref(ev);

    /* What the action API sends by default: `to` is the author's id. */
    fake_host_op_clear(&op);
    ev = stored_event("mention", "9002", "412", BASE "/t/x/412/3", 3);
    a = action_make(text, "9002", "10", ev);
    plugin->send_private(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_string_equal(gw_sdk_json_string(r->body, "target_recipients", ""), "ann");
    answer(h, 200, "{\"id\":9401,\"topic_id\":521,\"post_number\":1}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    assert_string_equal(gw_sdk_json_string(op.result, "url", ""), BASE "/t/-/521/1");
    json_decref(ev);
    fake_host_op_clear(&op);
    ev = stored_event("message", "9010", "501", BASE "/t/my-order/501/1", 1);
    a = action_make(text, "9010", "10", ev);
    a.thread_id = "501";
    plugin->send_private(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_int_equal(json_integer_value(json_object_get(r->body, "topic_id")), 501);
    answer(h, 200, "{\"id\":9013,\"topic_id\":501,\"post_number\":4}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    json_decref(ev);

    /* A thread without its event: stay in it only if it is private. */
    fake_host_op_clear(&op);
    a = action_make(text, "9010", NULL, NULL);
    a.thread_id = "501";
    plugin->send_private(inst, (gw_op *)&op, &a);
    expect_request(h, "GET", "/t/501.json");
    answer_json(h, 200, topic(501, "private_message", json_array(), NULL));
    r = expect_request(h, "POST", "/posts.json");
    assert_int_equal(json_integer_value(json_object_get(r->body, "topic_id")), 501);
    answer(h, 200, "{\"id\":9014,\"topic_id\":501,\"post_number\":5}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    fake_host_op_clear(&op);
    a = action_make(text, "9002", "ann", NULL);
    a.thread_id = "412";
    plugin->send_private(inst, (gw_op *)&op, &a);
    r = expect_request(h, "POST", "/posts.json");
    assert_null(json_object_get(r->body, "topic_id"));
    answer(h, 200, "{\"id\":9402,\"topic_id\":522,\"post_number\":1}");
    expect_done(&op, GW_OUTCOME_OK, 0);
    fake_host_op_clear(&op);
    a = action_make(text, "9002", NULL, NULL);
    a.thread_id = "412";
    plugin->send_private(inst, (gw_op *)&op, &a);
    expect_request(h, "GET", "/t/412.json");
    answer_json(h, 200, topic(412, "regular", json_array(), NULL));
    /* Public thread, nobody named: refused rather than posted publicly. */
    expect_done(&op, GW_OUTCOME_FATAL, 0);

    /* Nobody to write to. */
    fake_host_op_clear(&op);
    a = action_make(text, NULL, NULL, NULL);
    plugin->send_private(inst, (gw_op *)&op, &a);
    expect_done(&op, GW_OUTCOME_FATAL, 0);
    expect_idle(h);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    host_free(h);
}

/* ---- webhooks ------------------------------------------------------------- */

static void sign(const char *secret, const char *body, char *out, size_t outlen)
{
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char hex[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
    gw_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
    snprintf(out, outlen, "sha256=%s", hex);
}

/* Deliver body with the given signature (NULL: none) and event name;
 * returns the answer's status, its parsed body in *doc (caller decrefs). */
static int deliver(gw_instance *inst, const char *method, const char *body, const char *signature,
                   const char *event, json_t **doc)
{
    gw_http_header headers[3];
    size_t n = 0;
    headers[n++] = (gw_http_header){"x-discourse-event-type", "post"};
    if (event != NULL)
        headers[n++] = (gw_http_header){"x-discourse-event", event};
    if (signature != NULL)
        headers[n++] = (gw_http_header){"x-discourse-event-signature", signature};
    gw_webhook_request req = {
        .struct_size = sizeof req,
        .method = method,
        .query = "",
        .headers = headers,
        .header_count = n,
        .body = (const unsigned char *)body,
        .body_len = strlen(body),
    };
    fake_host_op op = {0};
    plugin->webhook(inst, (gw_op *)&op, &req);
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_string_equal(gw_sdk_json_string(op.result, "content_type", ""), "application/json");
    *doc = json_loads(gw_sdk_json_string(op.result, "body", ""), 0, NULL);
    assert_non_null(*doc);
    int status = (int)gw_sdk_json_int(op.result, "status", 0);
    /* Every error in the host's shape; a 405 names what Allow says. */
    if (status >= 400) {
        assert_true(strlen(gw_sdk_json_string(*doc, "error", "")) > 0);
        assert_true(strlen(gw_sdk_json_string(*doc, "message", "")) > 0);
    }
    if (status == 405)
        assert_string_equal(gw_sdk_json_string(op.result, "allow", ""), "POST");
    fake_host_op_clear(&op);
    return status;
}

static void test_webhook(void **state)
{
    (void)state;
    forum_host *h = host_new(NULL);
    gw_instance *inst = fake_host_instance_new(&h->base);
    const char *body =
        "{\"post\":{\"id\":9105,\"username\":\"ann\",\"user_id\":10,\"raw\":\"@acme_support "
        "hello\",\"post_number\":7,\"topic_id\":412,\"topic_slug\":\"export-broken\","
        "\"topic_archetype\":\"regular\",\"created_at\":\"2026-11-20T10:05:00.000Z\"}}";
    char good[128], upper[128], other[128];
    sign(SECRET, body, good, sizeof good);
    for (size_t i = 0; good[i] != '\0'; i++)
        upper[i] =
            i < 7 ? good[i] : (char)((good[i] >= 'a' && good[i] <= 'f') ? good[i] - 32 : good[i]);
    upper[strlen(good)] = '\0';
    sign("another-secret", body, other, sizeof other);
    json_t *doc;

    /* Refused, nothing emitted: wrong secret, no signature, no prefix, a
     * cut signature, a body changed after signing. */
    const char *bad[] = {other, NULL, good + 7, "sha256=abc", "sha1=0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(deliver(inst, "POST", body, bad[i], "post_created", &doc), 401);
        assert_non_null(json_object_get(doc, "error"));
        json_decref(doc);
    }
    assert_int_equal(deliver(inst, "POST", "{\"post\":{\"id\":1}}", good, "post_created", &doc),
                     401);
    json_decref(doc);
    assert_int_equal(json_array_size(h->base.events), 0);

    /* Accepted. */
    assert_int_equal(deliver(inst, "POST", body, good, "post_created", &doc), 200);
    assert_int_equal(gw_sdk_json_int(doc, "accepted", -1), 1);
    json_decref(doc);
    assert_int_equal(json_array_size(h->base.events), 1);
    assert_string_equal(fake_host_event_str(&h->base, 0, "type"), "mention");
    assert_string_equal(fake_host_event_str(&h->base, 0, "url"), BASE "/t/export-broken/412/7");
    assert_int_equal(deliver(inst, "POST", body, upper, "post_created", &doc), 200);
    json_decref(doc);

    /* Signed, but nothing to deliver. */
    char sig[128];
    const char *ping = "{\"ping\":\"OK\"}";
    sign(SECRET, ping, sig, sizeof sig);
    assert_int_equal(deliver(inst, "POST", ping, sig, "ping", &doc), 200);
    json_decref(doc);
    assert_int_equal(deliver(inst, "POST", body, good, "topic_created", &doc), 200);
    json_decref(doc);
    const char *own = "{\"post\":{\"id\":9106,\"username\":\"acme_support\",\"raw\":\"hi\","
                      "\"topic_id\":412}}";
    sign(SECRET, own, sig, sizeof sig);
    assert_int_equal(deliver(inst, "POST", own, sig, "post_created", &doc), 200);
    json_decref(doc);
    assert_int_equal(json_array_size(h->base.events), 2);

    const char *junk = "not json";
    sign(SECRET, junk, sig, sizeof sig);
    assert_int_equal(deliver(inst, "POST", junk, sig, "post_created", &doc), 400);
    json_decref(doc);
    assert_int_equal(deliver(inst, "GET", body, good, "post_created", &doc), 405);
    json_decref(doc);
    plugin->destroy(inst);

    /* Without a secret every delivery is refused. */
    json_object_del(h->base.config, "webhook_secret");
    inst = fake_host_instance_new(&h->base);
    assert_int_equal(deliver(inst, "POST", body, good, "post_created", &doc), 401);
    json_decref(doc);
    assert_int_equal(json_array_size(h->base.events), 2);
    plugin->destroy(inst);
    host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_create_checks_options),
        cmocka_unit_test(test_first_fetch_reads_every_source),
        cmocka_unit_test(test_paging_walks_down_to_the_cursor),
        cmocka_unit_test(test_backlog_continues_in_the_next_fetch),
        cmocka_unit_test(test_first_fetch_without_backfill),
        cmocka_unit_test(test_mentions_through_notifications),
        cmocka_unit_test(test_capped_notification_walk_goes_on_at_the_next_fetch),
        cmocka_unit_test(test_notification_walk_out_of_requests_still_gets_on),
        cmocka_unit_test(test_private_messages_after_a_baseline),
        cmocka_unit_test(test_request_budget_splits_a_topic),
        cmocka_unit_test(test_rate_limit_and_errors),
        cmocka_unit_test(test_superseded_fetch_and_destroy),
        cmocka_unit_test(test_post_public),
        cmocka_unit_test(test_post_public_outcomes),
        cmocka_unit_test(test_send_private),
        cmocka_unit_test(test_webhook),
    };
    return cmocka_run_group_tests(tests, load_plugin, unload_plugin);
}
