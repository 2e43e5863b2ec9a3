/* tests/unit/test_twitter_plugin.c - the X plugin driven through its ABI
 * with a fake host.
 *
 * build/plugins/twitter.so is loaded as the host loads it (dlopen,
 * RTLD_LOCAL, gw_plugin_entry). The fake host records every HTTP request
 * the plugin makes and lets the test answer each one with whatever X
 * might say, so the fetch state machine, the action outcomes and the
 * webhook answers are checked step by step: which request comes next,
 * what it carries (URL, body, a verifiable OAuth 1.0a signature), what is
 * emitted and stored, and how the op completes. The integration tests
 * (tests/integration/test_twitter.py) cover the same ground end to end.
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

#include "fake_host.h"

#define TWITTER_SO GW_BUILD_DIR "/plugins/twitter.so"
#define NOW_MS FAKE_HOST_NOW_MS
#define MAX_REQUESTS 32
#define BASE "https://api.test"

static void *plugin_handle;
static const gw_plugin *plugin;

static const gw_sdk_oauth1_keys KEYS = {"ck", "cs", "100-at", "ats"};

/* ---- the fake host (fake_host.c) plus an HTTP request log --------------- */

typedef struct fake_request {
    char *method, *url, *body, *auth, *content_type; /* owned copies */
    char *rate_class;                                /* owned copy, NULL when unset */
    gw_http_cb cb;
    void *arg;
    int answered;
} fake_request;

/* The gw_account* the plugin sees is &base (its first member): every
 * request it sends is recorded for the test to answer. */
typedef struct twitter_host {
    fake_host base;
    fake_request requests[MAX_REQUESTS];
    size_t nrequests;
} twitter_host;

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int fake_http_request(gw_account *acct, const gw_http_request *req, gw_http_cb cb, void *arg)
{
    twitter_host *h = (twitter_host *)fake_host_of(acct);
    assert_true(h->nrequests < MAX_REQUESTS);
    fake_request *r = &h->requests[h->nrequests++];
    memset(r, 0, sizeof *r);
    r->method = strdup(req->method);
    r->url = strdup(req->url);
    /* The plugin is built against this ABI, so its request reaches it. */
    assert_true(GW_HAS_MEMBER(req, gw_http_request, rate_class));
    r->rate_class = dup_or_null(req->rate_class);
    if (req->body != NULL)
        r->body = strndup((const char *)req->body, req->body_len);
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcmp(req->headers[i].name, "authorization") == 0)
            r->auth = dup_or_null(req->headers[i].value);
        if (strcmp(req->headers[i].name, "content-type") == 0)
            r->content_type = dup_or_null(req->headers[i].value);
    }
    r->cb = cb;
    r->arg = arg;
    return 0;
}

static twitter_host *host_new(const char *config_json)
{
    twitter_host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    fake_host_init(&h->base, plugin, fake_host_parse(config_json));
    h->base.table.http_request = fake_http_request;
    h->base.timers_forbidden = "the twitter plugin never needs a timer";
    h->base.verbose_env = "TWITTER_TEST_VERBOSE";
    return h;
}

static void host_free(twitter_host *h)
{
    for (size_t i = 0; i < h->nrequests; i++) {
        fake_request *r = &h->requests[i];
        free(r->method);
        free(r->url);
        free(r->body);
        free(r->auth);
        free(r->content_type);
        free(r->rate_class);
    }
    fake_host_fini(&h->base);
    free(h);
}

/* Answer request `index` (once). headers may be NULL. */
static void respond_full(twitter_host *h, size_t index, int status, const char *body,
                         gw_outcome suggested, uint64_t retry_after_ms, int error)
{
    assert_true(index < h->nrequests);
    fake_request *r = &h->requests[index];
    assert_false(r->answered);
    r->answered = 1;
    gw_http_header headers[] = {{"content-type", "application/json"},
                                {"x-rate-limit-remaining", "10"}};
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = status,
        .headers = status != 0 ? headers : NULL,
        .header_count = status != 0 ? 2 : 0,
        .body = (const unsigned char *)(body != NULL ? body : ""),
        .body_len = body != NULL ? strlen(body) : 0,
        .error = error,
        .error_message = error == GW_EBUSY && retry_after_ms > 0
                             ? "rate limit reached; the next request is allowed in 90000 ms"
                         : error != 0 ? "injected transport failure"
                                      : NULL,
        .suggested = suggested,
        .retry_after_ms = retry_after_ms,
        /* As the host says of a request it held back for the budget. */
        .not_sent = status == 0 && error == GW_EBUSY && retry_after_ms > 0,
    };
    r->cb(r->arg, &resp);
}

/* A transport failure with the host's own message. */
static void respond_transport(twitter_host *h, size_t index, int error, uint64_t retry_after_ms,
                              const char *message)
{
    assert_true(index < h->nrequests);
    fake_request *r = &h->requests[index];
    r->answered = 1;
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .body = (const unsigned char *)"",
        .error = error,
        .error_message = message,
        .suggested = GW_OUTCOME_RETRY,
        .retry_after_ms = retry_after_ms,
    };
    r->cb(r->arg, &resp);
}

static void respond(twitter_host *h, size_t index, int status, const char *body)
{
    gw_outcome suggested = GW_OUTCOME_OK;
    if (status == 401 || status == 403)
        suggested = GW_OUTCOME_FATAL;
    else if (status == 429 || status >= 500)
        suggested = GW_OUTCOME_RETRY;
    respond_full(h, index, status, body, suggested, status == 429 ? 7000 : 0, 0);
}

/* The value of query parameter `name` in a URL, decoded, into buf. */
static const char *query_param(const char *url, const char *name, char *buf, size_t buflen)
{
    const char *q = strchr(url, '?');
    size_t n = strlen(name);
    for (const char *p = q != NULL ? q + 1 : NULL; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t o = 0;
            for (size_t i = n + 1; i < len && o + 1 < buflen; i++) {
                if (p[i] == '%' && i + 2 < len) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    buf[o++] = (char)strtol(hex, NULL, 16);
                    i += 2;
                } else {
                    buf[o++] = p[i];
                }
            }
            buf[o] = '\0';
            return buf;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* Check an OAuth 1.0a header the way X does: recompute the signature
 * from the request and the known secrets with the nonce and timestamp
 * the header carries. */
static void assert_oauth_valid(const fake_request *r)
{
    assert_non_null(r->auth);
    assert_true(strncmp(r->auth, "OAuth ", 6) == 0);
    char nonce[64] = "", stamp[32] = "", sig[64] = "", key[64] = "", token[64] = "";
    struct {
        const char *name;
        char *out;
    } want[] = {{"oauth_nonce", nonce},
                {"oauth_timestamp", stamp},
                {"oauth_signature", sig},
                {"oauth_consumer_key", key},
                {"oauth_token", token}};
    for (size_t i = 0; i < 5; i++) {
        char pattern[64];
        snprintf(pattern, sizeof pattern, "%s=\"", want[i].name);
        const char *p = strstr(r->auth, pattern);
        assert_non_null(p);
        p += strlen(pattern);
        size_t o = 0;
        for (; *p != '"' && o + 1 < 64; p++) {
            if (*p == '%') {
                char hex[3] = {p[1], p[2], 0};
                want[i].out[o++] = (char)strtol(hex, NULL, 16);
                p += 2;
            } else {
                want[i].out[o++] = *p;
            }
        }
        want[i].out[o] = '\0';
    }
    assert_string_equal(key, "ck");
    assert_string_equal(token, "100-at");
    assert_true(strtoull(stamp, NULL, 10) == NOW_MS / 1000);
    assert_int_equal(strlen(nonce), 32);
    assert_non_null(strstr(r->auth, "oauth_signature_method=\"HMAC-SHA1\""));
    assert_non_null(strstr(r->auth, "oauth_version=\"1.0\""));
    char expected[GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)];
    assert_int_equal(gw_sdk_oauth1_sign(&KEYS, r->method, r->url, NULL, 0, nonce,
                                        strtoull(stamp, NULL, 10), expected, sizeof expected),
                     0);
    assert_string_equal(sig, expected);
}

#define FULL_CONFIG                                                                                \
    "{\"base_url\":\"" BASE "/\",\"user_id\":\"100\",\"handle\":\"@acme\","                        \
    "\"bearer_token\":\"bt\",\"consumer_key\":\"ck\",\"consumer_secret\":\"cs\","                  \
    "\"access_token\":\"100-at\",\"access_token_secret\":\"ats\","                                 \
    "\"search_terms\":[\"acme\",\"acme blender\"],\"max_results\":10,\"max_pages\":2}"

/* ---- setup ----------------------------------------------------------------- */

static int load_plugin(void **state)
{
    (void)state;
    plugin = fake_host_load_plugin(TWITTER_SO, NULL, &plugin_handle);
    return plugin != NULL ? 0 : -1;
}

static int unload_plugin(void **state)
{
    (void)state;
    /* Not dlclose'd: sanitizers report leaks with the plugin's symbols. */
    return 0;
}

/* ---- descriptor and options ---------------------------------------------- */

static void test_descriptor(void **state)
{
    (void)state;
    assert_string_equal(plugin->name, "twitter");
    assert_int_equal(plugin->abi_major, GW_ABI_MAJOR);
    assert_int_equal(plugin->capabilities,
                     GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK);
    int secrets = 0;
    for (const gw_option *o = plugin->options; o->name != NULL; o++) {
        assert_non_null(o->help);
        if (o->flags & GW_OPTF_SECRET)
            secrets++;
    }
    assert_int_equal(secrets, 5); /* bearer and the four OAuth 1.0a values */
}

static void expect_create_fails(const char *config_json, const char *part)
{
    twitter_host *h = host_new(config_json);
    /* A refusal never quotes a secret. */
    fake_host_create_fails(&h->base, GW_EINVAL, part, "s3cret");
    host_free(h);
}

static void test_create_refusals(void **state)
{
    (void)state;
    expect_create_fails("{\"bearer_token\":\"s3cret\"}", "user_id must be");
    expect_create_fails("{\"user_id\":\"acme\",\"bearer_token\":\"s3cret\"}", "user_id must be");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"consumer_key\":\"k\","
                        "\"access_token\":\"s3cret\"}",
                        "missing: consumer_secret, access_token_secret");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\"}",
                        "fetch_dms needs consumer_key");
    expect_create_fails("{\"user_id\":\"1\",\"fetch_dms\":false}",
                        "reading mentions or search needs bearer_token");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"fetch_dms\":false,"
                        "\"handle\":\"not a handle\"}",
                        "handle must be an X username");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"fetch_dms\":false,"
                        "\"search_terms\":[\"ok\",\"@acme\"]}",
                        "keywords without the @");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"fetch_dms\":false,"
                        "\"search_terms\":[\"say \\\"hi\\\"\"]}",
                        "double quote");
    expect_create_fails("{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"fetch_dms\":false,"
                        "\"max_results\":5}",
                        "max_results must be between 10 and 100");
    char long_terms[2048] = "{\"user_id\":\"1\",\"bearer_token\":\"s3cret\",\"fetch_dms\":false,"
                            "\"search_terms\":[";
    for (int i = 0; i < 60; i++)
        strcat(long_terms, i > 0 ? ",\"keyword-x\"" : "\"keyword-x\"");
    strcat(long_terms, "]}");
    expect_create_fails(long_terms, "longer than 512 characters");
}

/* ---- fetch ------------------------------------------------------------------ */

static const char PAGE_1[] =
    "{\"data\":[{\"id\":\"1860000000000000009\",\"text\":\"@acme one\",\"author_id\":\"200\"},"
    "{\"id\":\"1860000000000000008\",\"text\":\"@acme two\",\"author_id\":\"200\"}],"
    "\"includes\":{\"users\":[{\"id\":\"200\",\"name\":\"Ann\",\"username\":\"ann\"}]},"
    "\"meta\":{\"newest_id\":\"1860000000000000009\",\"oldest_id\":\"1860000000000000008\","
    "\"result_count\":2,\"next_token\":\"tok-2\"}}";
static const char PAGE_2[] =
    "{\"data\":[{\"id\":\"1860000000000000007\",\"text\":\"@acme three\",\"author_id\":\"300\"}],"
    "\"meta\":{\"newest_id\":\"1860000000000000007\",\"oldest_id\":\"1860000000000000007\","
    "\"result_count\":1}}";
static const char EMPTY[] = "{\"meta\":{\"result_count\":0}}";
static const char DMS[] =
    "{\"data\":[{\"id\":\"1860000000000000050\",\"event_type\":\"MessageCreate\",\"text\":\"hi\","
    "\"sender_id\":\"200\",\"dm_conversation_id\":\"100-200\"}],"
    "\"meta\":{\"result_count\":1,\"next_token\":\"DMTOKEN0123456789\"}}";

static void test_fetch_walks_every_stream_once(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    char buf[512];

    plugin->fetch(inst, (gw_op *)&op);
    assert_int_equal(h->nrequests, 1);
    fake_request *r = &h->requests[0];
    assert_string_equal(r->method, "GET");
    /* Each endpoint counts against its own X window. */
    assert_string_equal(r->rate_class, "mentions");
    assert_string_equal(r->url,
                        BASE "/2/users/100/mentions?max_results=10&tweet.fields=author_id%2C"
                             "conversation_id%2Ccreated_at%2Centities%2Cin_reply_to_user_id%2C"
                             "lang%2Cnote_tweet%2Creferenced_tweets&expansions=author_id&user."
                             "fields=name%2Cpublic_metrics%2Cusername%2Cverified");
    assert_string_equal(r->auth, "Bearer bt");
    respond(h, 0, 200, PAGE_1);
    assert_int_equal(json_array_size(h->base.events), 2);
    /* The walk is remembered page by page, the cursor only at its end. */
    assert_string_equal(fake_host_kv(&h->base, "mentions.next_token"), "tok-2");
    assert_string_equal(fake_host_kv(&h->base, "mentions.walk_newest"), "1860000000000000009");
    assert_null(fake_host_kv(&h->base, "mentions.since_id"));
    assert_int_equal(h->nrequests, 2);
    assert_string_equal(query_param(h->requests[1].url, "pagination_token", buf, sizeof buf),
                        "tok-2");
    respond(h, 1, 200, PAGE_2);
    assert_string_equal(fake_host_kv(&h->base, "mentions.since_id"), "1860000000000000009");
    assert_string_equal(fake_host_kv(&h->base, "mentions.next_token"), "");

    /* Keyword search: the terms without @, our posts and @-mentions out. */
    assert_int_equal(h->nrequests, 3);
    assert_string_equal(h->requests[2].rate_class, "search");
    assert_string_equal(query_param(h->requests[2].url, "query", buf, sizeof buf),
                        "(acme OR \"acme blender\") -is:retweet -from:acme -@acme");
    respond(h, 2, 200, EMPTY);
    assert_string_equal(fake_host_kv(&h->base, "search.query"),
                        "(acme OR \"acme blender\") -is:retweet -from:acme -@acme");

    /* DMs in user context. */
    assert_int_equal(h->nrequests, 4);
    r = &h->requests[3];
    assert_string_equal(r->rate_class, "dm_read");
    assert_true(strncmp(r->url, BASE "/2/dm_events?event_types=MessageCreate&", 40) == 0);
    assert_oauth_valid(r);
    assert_int_equal(op.completions, 0);
    respond(h, 3, 200, DMS);
    /* A next_token, but max_pages (2) is not reached: page 2 follows. */
    assert_int_equal(h->nrequests, 5);
    respond(h, 4, 200, EMPTY);
    assert_string_equal(fake_host_kv(&h->base, "dms.newest_id"), "1860000000000000050");

    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_int_equal(json_array_size(h->base.events), 4);

    /* The next fetch asks for what is newer and stops DMs at known ids. */
    fake_host_op_clear(&op);
    plugin->fetch(inst, (gw_op *)&op);
    assert_string_equal(query_param(h->requests[5].url, "since_id", buf, sizeof buf),
                        "1860000000000000009");
    respond(h, 5, 200, EMPTY);
    respond(h, 6, 200, EMPTY);
    respond(h, 7, 200, DMS);
    assert_int_equal(h->nrequests, 8); /* the known DM ended the walk */
    assert_int_equal(op.completions, 1);
    assert_int_equal(json_array_size(h->base.events), 4);

    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

static void test_fetch_resumes_a_cut_walk(void **state)
{
    (void)state;
    twitter_host *h = host_new("{\"base_url\":\"" BASE "\",\"user_id\":\"100\",\"bearer_token\":"
                               "\"bt\",\"fetch_dms\":false,\"max_pages\":1}");
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    char buf[256];
    plugin->fetch(inst, (gw_op *)&op);
    respond(h, 0, 200, PAGE_1);
    /* Cut at max_pages: OK with "more is ready" (delay 0). */
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == 0);
    fake_host_op_clear(&op);
    plugin->fetch(inst, (gw_op *)&op);
    assert_string_equal(query_param(h->requests[1].url, "pagination_token", buf, sizeof buf),
                        "tok-2");
    assert_null(query_param(h->requests[1].url, "since_id", buf, sizeof buf));
    respond(h, 1, 200, PAGE_2);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_string_equal(fake_host_kv(&h->base, "mentions.since_id"), "1860000000000000009");
    assert_int_equal(json_array_size(h->base.events), 3);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

typedef struct failure_case {
    int status;
    const char *body;
    int error;
    gw_outcome outcome;
    uint64_t delay_ms;
    const char *message_part;
} failure_case;

static void test_fetch_failures_map_to_outcomes(void **state)
{
    (void)state;
    static const failure_case cases[] = {
        {429,
         "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\","
         "\"type\":\"about:blank\",\"status\":429}",
         0, GW_OUTCOME_RETRY, 7000, "HTTP 429: Too Many Requests"},
        {401,
         "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,"
         "\"detail\":\"Unauthorized\"}",
         0, GW_OUTCOME_FATAL, 0, "mentions: HTTP 401: Unauthorized"},
        {503, "<html>busy</html>", 0, GW_OUTCOME_RETRY, 0, "HTTP 503"},
        {200, "{\"data\": [", 0, GW_OUTCOME_RETRY, 1000, "malformed JSON"},
        {200, "[1,2]", 0, GW_OUTCOME_RETRY, 1000, "not an object"},
        {0, NULL, GW_EIO, GW_OUTCOME_RETRY, 0, "injected transport failure"},
        {200,
         "{\"errors\":[{\"detail\":\"Could not find user with id: [100].\","
         "\"title\":\"Not Found Error\",\"type\":\"https://api.twitter.com/2/problems/"
         "resource-not-found\"}]}",
         0, GW_OUTCOME_FATAL, 0, "Could not find user with id: [100]."},
        {400, "{\"title\":\"Invalid Request\",\"detail\":\"bad\"}", 0, GW_OUTCOME_FATAL, 0,
         "Invalid Request: bad"},
        {404, "{}", 0, GW_OUTCOME_FATAL, 0, "HTTP 404"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const failure_case *c = &cases[i];
        twitter_host *h = host_new(FULL_CONFIG);
        gw_instance *inst = fake_host_instance_new(&h->base);
        fake_host_op op = {0};
        plugin->fetch(inst, (gw_op *)&op);
        gw_outcome suggested = c->outcome;
        if (c->status == 200 || c->status == 400 || c->status == 404)
            suggested = GW_OUTCOME_OK;
        respond_full(h, 0, c->status, c->body, suggested, c->delay_ms == 7000 ? 7000 : 0, c->error);
        assert_int_equal(op.completions, 1);
        if (op.outcome != c->outcome || strstr(op.message, c->message_part) == NULL)
            fail_msg("case %zu: outcome %d message '%s'", i, op.outcome, op.message);
        assert_true(op.delay_ms == c->delay_ms);
        assert_int_equal(h->nrequests, 1); /* the fetch stopped there */
        assert_int_equal(json_array_size(h->base.events), 0);
        plugin->destroy(inst);
        fake_host_op_clear(&op);
        host_free(h);
    }
}

/* A 400 on stored state drops that state and retries; without state it
 * is the request that is wrong. */
static void test_fetch_400_drops_stored_state(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    json_object_set_new(h->base.kv, "mentions.next_token", json_string("expired"));
    json_object_set_new(h->base.kv, "mentions.walk_newest", json_string("1860000000000000009"));
    json_object_set_new(h->base.kv, "mentions.since_id", json_string("1860000000000000001"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    const char *bad = "{\"errors\":[{\"parameters\":{\"pagination_token\":[\"expired\"]},"
                      "\"message\":\"The `pagination_token` query parameter value [expired] "
                      "is not valid\"}],\"title\":\"Invalid Request\",\"type\":"
                      "\"https://api.twitter.com/2/problems/invalid-request\"}";
    plugin->fetch(inst, (gw_op *)&op);
    respond(h, 0, 400, bad);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    assert_string_equal(fake_host_kv(&h->base, "mentions.next_token"), "");
    assert_string_equal(fake_host_kv(&h->base, "mentions.since_id"), "1860000000000000001");

    fake_host_op_clear(&op);
    plugin->fetch(inst, (gw_op *)&op);
    respond(h, 1, 400, bad);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    assert_string_equal(fake_host_kv(&h->base, "mentions.since_id"), "0");

    fake_host_op_clear(&op);
    plugin->fetch(inst, (gw_op *)&op);
    respond(h, 2, 400, bad);
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    assert_non_null(strstr(op.message, "pagination_token"));
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

static void test_changed_search_terms_reset_the_search_cursor(void **state)
{
    (void)state;
    twitter_host *h = host_new("{\"base_url\":\"" BASE "\",\"user_id\":\"100\",\"bearer_token\":"
                               "\"bt\",\"fetch_dms\":false,\"fetch_mentions\":false,"
                               "\"search_terms\":[\"new\"]}");
    json_object_set_new(h->base.kv, "search.query", json_string("(old) -is:retweet"));
    json_object_set_new(h->base.kv, "search.since_id", json_string("1860000000000000001"));
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    char buf[256];
    plugin->fetch(inst, (gw_op *)&op);
    assert_null(query_param(h->requests[0].url, "since_id", buf, sizeof buf));
    assert_string_equal(query_param(h->requests[0].url, "query", buf, sizeof buf),
                        "(new) -is:retweet");
    respond(h, 0, 200, EMPTY);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

/* The host abandoned fetch A (timed out) and started B while A's request
 * is still out: A's answer is dropped unread. */
static void test_superseded_fetch_is_dropped(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op a = {0}, b = {0};
    plugin->fetch(inst, (gw_op *)&a);
    plugin->fetch(inst, (gw_op *)&b);
    assert_int_equal(h->nrequests, 2);
    respond(h, 0, 200, PAGE_1);
    assert_int_equal(a.completions, 1);
    assert_int_equal(a.outcome, GW_OUTCOME_RETRY);
    assert_non_null(strstr(a.message, "superseded"));
    assert_int_equal(json_array_size(h->base.events), 0);
    assert_null(fake_host_kv(&h->base, "mentions.next_token"));
    assert_int_equal(b.completions, 0);
    respond(h, 1, 200, PAGE_2);
    assert_int_equal(json_array_size(h->base.events), 1);
    /* Destroyed with B's next request in flight: freed, never called. */
    plugin->destroy(inst);
    fake_host_op_clear(&a);
    fake_host_op_clear(&b);
    host_free(h);
}

/* ---- actions --------------------------------------------------------------- */

static gw_action action_make(const char *text, const char *in_reply_to, const char *to)
{
    gw_action a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.action_id = "act_1";
    a.text = text;
    a.in_reply_to = in_reply_to;
    a.to = to;
    return a;
}

static void test_post_public_is_signed_and_reports_the_tweet(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    gw_action a = action_make("Sorry Ann, \"checking\" \xe2\x9c\x94", "1860000000000000001", NULL);
    plugin->post_public(inst, (gw_op *)&op, &a);
    assert_int_equal(h->nrequests, 1);
    fake_request *r = &h->requests[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, BASE "/2/tweets");
    assert_string_equal(r->rate_class, "post");
    assert_string_equal(r->content_type, "application/json");
    json_t *body = json_loads(r->body, 0, NULL);
    json_t *want = json_pack("{s:s, s:{s:s}}", "text", "Sorry Ann, \"checking\" \xe2\x9c\x94",
                             "reply", "in_reply_to_tweet_id", "1860000000000000001");
    assert_true(json_equal(body, want));
    json_decref(body);
    json_decref(want);
    assert_oauth_valid(r);
    respond(h, 0, 201,
            "{\"data\":{\"id\":\"1860000000000000099\",\"text\":\"Sorry\","
            "\"edit_history_tweet_ids\":[\"1860000000000000099\"]}}");
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "1860000000000000099");
    assert_string_equal(gw_sdk_json_string(op.result, "url", ""),
                        "https://x.com/acme/status/1860000000000000099");

    /* No in_reply_to: the conversation's root is answered. */
    fake_host_op_clear(&op);
    a.in_reply_to = NULL;
    a.thread_id = "1860000000000000005";
    plugin->post_public(inst, (gw_op *)&op, &a);
    assert_non_null(
        strstr(h->requests[1].body, "\"in_reply_to_tweet_id\":\"1860000000000000005\""));
    respond(h, 1, 201, "{\"data\":{\"id\":\"1860000000000000100\",\"text\":\"x\"}}");
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

static void test_action_outcomes(void **state)
{
    (void)state;
    static const failure_case cases[] = {
        {403,
         "{\"detail\":\"You are not allowed to create a Tweet with duplicate content.\","
         "\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403}",
         0, GW_OUTCOME_FATAL, 0,
         "refused: HTTP 403: Forbidden: You are not allowed to create "
         "a Tweet with duplicate content."},
        {429, "{\"title\":\"Too Many Requests\"}", 0, GW_OUTCOME_RETRY, 7000, "not sent"},
        {503, "{}", 0, GW_OUTCOME_RETRY, 0, "not sent"},
        {500, "{}", 0, GW_OUTCOME_FATAL, 0, "may or may not have been sent"},
        {0, NULL, GW_EIO, GW_OUTCOME_FATAL, 0, "may or may not have been sent"},
        {400, "{\"title\":\"Invalid Request\",\"detail\":\"text too long\"}", 0, GW_OUTCOME_FATAL,
         0, "text too long"},
        {201, "{\"data\":{}}", 0, GW_OUTCOME_FATAL, 0, "carries no id"},
        {201, "not json", 0, GW_OUTCOME_FATAL, 0, "carries no id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const failure_case *c = &cases[i];
        twitter_host *h = host_new(FULL_CONFIG);
        gw_instance *inst = fake_host_instance_new(&h->base);
        fake_host_op op = {0};
        gw_action a = action_make("hello", "1860000000000000001", NULL);
        plugin->post_public(inst, (gw_op *)&op, &a);
        gw_outcome suggested = c->status == 429 || c->status >= 500 || c->status == 0
                                   ? GW_OUTCOME_RETRY
                               : c->status == 403 ? GW_OUTCOME_FATAL
                                                  : GW_OUTCOME_OK;
        respond_full(h, 0, c->status, c->body, suggested, c->delay_ms, c->error);
        assert_int_equal(op.completions, 1);
        if (op.outcome != c->outcome || strstr(op.message, c->message_part) == NULL)
            fail_msg("case %zu: outcome %d message '%s'", i, op.outcome, op.message);
        assert_true(op.delay_ms == c->delay_ms);
        plugin->destroy(inst);
        fake_host_op_clear(&op);
        host_free(h);
    }
    /* Held back by the host on the rate limit, never sent: RETRY. */
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    gw_action a = action_make("hello", NULL, "200");
    plugin->send_private(inst, (gw_op *)&op, &a);
    respond_full(h, 0, 0, NULL, GW_OUTCOME_RETRY, 90000, GW_EBUSY);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    assert_true(op.delay_ms == 90000);
    /* A timeout while the budget happens to be blocked: it was sent, so
     * its fate is unknown and it is not sent again. */
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    respond_transport(h, 1, GW_EBUSY, 4000, "timed out after 15000 ms: Operation timed out");
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    assert_non_null(strstr(op.message, "may or may not have been sent"));
    /* not_sent from a host older than ABI 1.3 (its struct ends before the
     * member): the plugin cannot know, so it stays on the safe side. */
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    {
        fake_request *r = &h->requests[2];
        r->answered = 1;
        gw_http_response old = {
            .struct_size = offsetof(gw_http_response, not_sent),
            .body = (const unsigned char *)"",
            .error = GW_EBUSY,
            .error_message = "rate limit reached; the next request is allowed in 90000 ms",
            .suggested = GW_OUTCOME_RETRY,
            .retry_after_ms = 90000,
            .not_sent = 1,
        };
        r->cb(r->arg, &old);
    }
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

static void test_action_refusals_send_nothing(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    struct {
        const char *text, *in_reply_to, *to;
        int private_message;
        const char *part;
    } cases[] = {
        {"  \n", "1", NULL, 0, "the text is empty"},
        {NULL, "1", NULL, 0, "the text is empty"},
        {"hi", NULL, NULL, 0, "a reply needs in_reply_to"},
        {"hi", "mock:1", NULL, 0, "not an X tweet id"},
        {"hi", NULL, NULL, 1, "needs a recipient"},
        {"hi", NULL, "@ann", 1, "not an X user id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_host_op op = {0};
        gw_action a = action_make(cases[i].text, cases[i].in_reply_to, cases[i].to);
        if (cases[i].private_message)
            plugin->send_private(inst, (gw_op *)&op, &a);
        else
            plugin->post_public(inst, (gw_op *)&op, &a);
        assert_int_equal(op.completions, 1);
        assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
        if (strstr(op.message, cases[i].part) == NULL)
            fail_msg("case %zu: '%s'", i, op.message);
        fake_host_op_clear(&op);
    }
    assert_int_equal(h->nrequests, 0);
    plugin->destroy(inst);
    host_free(h);

    /* Without user-context credentials nothing can be sent. */
    h = host_new("{\"base_url\":\"" BASE "\",\"user_id\":\"100\",\"bearer_token\":\"bt\","
                 "\"fetch_dms\":false}");
    inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    gw_action a = action_make("hi", "1", NULL);
    plugin->post_public(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    assert_non_null(strstr(op.message, "access_token_secret"));
    assert_int_equal(h->nrequests, 0);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

static void test_send_private_to_a_user_or_an_events_author(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);
    fake_host_op op = {0};
    gw_action a = action_make("Here is your tracking", NULL, "200");
    plugin->send_private(inst, (gw_op *)&op, &a);
    fake_request *r = &h->requests[0];
    assert_string_equal(r->url, BASE "/2/dm_conversations/with/200/messages");
    assert_string_equal(r->rate_class, "dm_write");
    assert_string_equal(r->body, "{\"text\":\"Here is your tracking\"}");
    assert_oauth_valid(r);
    respond(h, 0, 201,
            "{\"data\":{\"dm_conversation_id\":\"100-200\","
            "\"dm_event_id\":\"1146654567674912769\"}}");
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "1146654567674912769");
    assert_string_equal(gw_sdk_json_string(op.result, "url", ""), "https://x.com/messages/100-200");

    fake_host_op_clear(&op);
    json_t *event = json_pack("{s:s, s:{s:s, s:s}}", "native_id", "1860000000000000001", "author",
                              "id", "300", "handle", "bob");
    a = action_make("DM for Bob", "1860000000000000001", NULL);
    a.in_reply_to_event = event;
    plugin->send_private(inst, (gw_op *)&op, &a);
    json_decref(event);
    assert_string_equal(h->requests[1].url, BASE "/2/dm_conversations/with/300/messages");
    respond(
        h, 1, 201,
        "{\"data\":{\"dm_conversation_id\":\"100-300\",\"dm_event_id\":\"1146654567674912770\"}}");
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    plugin->destroy(inst);
    fake_host_op_clear(&op);
    host_free(h);
}

/* ---- webhooks ------------------------------------------------------------- */

static json_t *webhook(twitter_host *h, gw_instance *inst, const char *method, const char *query,
                       const char *body, const char *signature)
{
    gw_http_header headers[2] = {{"content-type", "application/json"},
                                 {"x-twitter-webhooks-signature", signature}};
    gw_webhook_request req = {
        .struct_size = sizeof req,
        .method = method,
        .query = query,
        .headers = headers,
        .header_count = signature != NULL ? 2 : 1,
        .body = (const unsigned char *)(body != NULL ? body : ""),
        .body_len = body != NULL ? strlen(body) : 0,
    };
    fake_host_op op = {0};
    plugin->webhook(inst, (gw_op *)&op, &req);
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    (void)h;
    json_t *result = op.result;
    op.result = NULL;
    return result;
}

static void sign(const char *body, char *out, size_t outlen)
{
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char b64[GW_SDK_BASE64_SIZE(GW_SDK_SHA256_SIZE)];
    gw_sdk_hmac_sha256("cs", 2, body, strlen(body), mac);
    gw_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
    snprintf(out, outlen, "sha256=%s", b64);
}

static void test_webhook_crc_and_signature(void **state)
{
    (void)state;
    twitter_host *h = host_new(FULL_CONFIG);
    gw_instance *inst = fake_host_instance_new(&h->base);

    json_t *r = webhook(h, inst, "GET", "x=1&crc_token=a%2Fb+c", NULL, NULL);
    assert_int_equal(gw_sdk_json_int(r, "status", 0), 200);
    char expected[80], body_want[160];
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char b64[GW_SDK_BASE64_SIZE(GW_SDK_SHA256_SIZE)];
    gw_sdk_hmac_sha256("cs", 2, "a/b c", 5, mac);
    gw_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
    snprintf(expected, sizeof expected, "sha256=%s", b64);
    snprintf(body_want, sizeof body_want, "{\"response_token\":\"%s\"}", expected);
    assert_string_equal(gw_sdk_json_string(r, "body", ""), body_want);
    json_decref(r);

    r = webhook(h, inst, "GET", "", NULL, NULL);
    assert_int_equal(gw_sdk_json_int(r, "status", 0), 400);
    json_decref(r);

    const char *delivery = "{\"for_user_id\":\"100\",\"tweet_create_events\":[{\"id_str\":"
                           "\"1861\",\"text\":\"@acme help\",\"user\":{\"id_str\":\"200\"}}]}";
    char sig[80];
    sign(delivery, sig, sizeof sig);
    r = webhook(h, inst, "POST", "", delivery, sig);
    assert_int_equal(gw_sdk_json_int(r, "status", 0), 200);
    assert_string_equal(gw_sdk_json_string(r, "body", ""), "{\"accepted\":1,\"ignored\":0}");
    json_decref(r);
    assert_int_equal(json_array_size(h->base.events), 1);

    /* Wrong, missing, or over other bytes: 401 and nothing emitted. */
    const char *const bad[] = {"sha256=AAAA", NULL, "", sig};
    for (size_t i = 0; i < 4; i++) {
        const char *body = i == 3 ? "{\"for_user_id\":\"100\"} " : delivery;
        r = webhook(h, inst, "POST", "", body, bad[i]);
        assert_int_equal(gw_sdk_json_int(r, "status", 0), 401);
        json_decref(r);
    }
    assert_int_equal(json_array_size(h->base.events), 1);

    /* Signed but not JSON. */
    sign("{oops", sig, sizeof sig);
    r = webhook(h, inst, "POST", "", "{oops", sig);
    assert_int_equal(gw_sdk_json_int(r, "status", 0), 400);
    json_decref(r);
    plugin->destroy(inst);
    host_free(h);

    /* Without a consumer secret nothing can be verified. */
    h = host_new("{\"base_url\":\"" BASE "\",\"user_id\":\"100\",\"bearer_token\":\"bt\","
                 "\"fetch_dms\":false}");
    inst = fake_host_instance_new(&h->base);
    r = webhook(h, inst, "GET", "crc_token=x", NULL, NULL);
    assert_int_equal(gw_sdk_json_int(r, "status", 0), 500);
    json_decref(r);
    plugin->destroy(inst);
    host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_create_refusals),
        cmocka_unit_test(test_fetch_walks_every_stream_once),
        cmocka_unit_test(test_fetch_resumes_a_cut_walk),
        cmocka_unit_test(test_fetch_failures_map_to_outcomes),
        cmocka_unit_test(test_fetch_400_drops_stored_state),
        cmocka_unit_test(test_changed_search_terms_reset_the_search_cursor),
        cmocka_unit_test(test_superseded_fetch_is_dropped),
        cmocka_unit_test(test_post_public_is_signed_and_reports_the_tweet),
        cmocka_unit_test(test_action_outcomes),
        cmocka_unit_test(test_action_refusals_send_nothing),
        cmocka_unit_test(test_send_private_to_a_user_or_an_events_author),
        cmocka_unit_test(test_webhook_crc_and_signature),
    };
    return cmocka_run_group_tests(tests, load_plugin, unload_plugin);
}
