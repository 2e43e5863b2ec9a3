/* test_http_client.c - the curl-multi/libuv HTTP client against a real
 * loopback server (tests/fakes/http_fault_server.py, started here).
 *
 * Every test runs its own loop and client and ends by closing both; a
 * uv_loop_close() that fails means a handle leaked. One fake server serves
 * the whole group; tests tell their requests apart with a unique "tag"
 * query parameter and ask the server's /count?match=<tag> what it saw.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

#include "base/clock.h"
#include "base/sanitizer.h"
#include "gateway/error.h"
#include "http/http_client.h"
#include "http/ratelimit.h"

#define FAKE_SERVER GW_SOURCE_DIR "/tests/fakes/http_fault_server.py"
#define PYTHON "/usr/bin/python3"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the fake server ------------------------------------------------------ */

typedef struct fake_server {
    pid_t pid;
    int port;
} fake_server;

typedef struct suite {
    char dir[64]; /* scratch directory: port files, certificates, logs */
    fake_server http;
    fake_server https; /* pid 0 when openssl is not available */
    char cert[128];
} suite;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* fork/exec the server and poll (bounded) for its port file. */
static int fake_start(fake_server *f, const char *port_file, const char *cert, const char *key)
{
    unlink(port_file);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* The server prints its port on stdout too; keep test output clean. */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        if (cert != NULL)
            execl(PYTHON, "python3", FAKE_SERVER, "--port", "0", "--port-file", port_file, "--cert",
                  cert, "--key", key, (char *)NULL);
        else
            execl(PYTHON, "python3", FAKE_SERVER, "--port", "0", "--port-file", port_file,
                  (char *)NULL);
        _exit(127);
    }
    f->pid = pid;
    for (int i = 0; i < 500; i++) { /* up to 10 s */
        FILE *fp = fopen(port_file, "r");
        if (fp != NULL) {
            int port = 0;
            int ok = fscanf(fp, "%d", &port) == 1;
            fclose(fp);
            if (ok && port > 0) {
                f->port = port;
                return 0;
            }
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            f->pid = 0;
            return -1;
        }
        sleep_ms(20);
    }
    return -1;
}

static void fake_stop(fake_server *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        int status;
        waitpid(f->pid, &status, 0);
        f->pid = 0;
    }
}

static int run_command(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *null = freopen("/dev/null", "w", stderr);
        (void)null;
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int group_setup(void **state)
{
    /* The gateway's main ignores SIGPIPE; a test process must too. */
    signal(SIGPIPE, SIG_IGN);
    suite *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/gw-http-test-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    char port_file[128];
    snprintf(port_file, sizeof port_file, "%s/port", s->dir);
    if (fake_start(&s->http, port_file, NULL, NULL) != 0) {
        fprintf(stderr, "cannot start %s\n", FAKE_SERVER);
        return -1;
    }
    /* A self-signed certificate for 127.0.0.1 serves as its own CA. */
    char key[128], subj_alt[] = "subjectAltName=IP:127.0.0.1";
    snprintf(s->cert, sizeof s->cert, "%s/cert.pem", s->dir);
    snprintf(key, sizeof key, "%s/key.pem", s->dir);
    char *openssl[] = {"/usr/bin/openssl",
                       "req",
                       "-x509",
                       "-newkey",
                       "ec",
                       "-pkeyopt",
                       "ec_paramgen_curve:prime256v1",
                       "-nodes",
                       "-keyout",
                       key,
                       "-out",
                       s->cert,
                       "-days",
                       "2",
                       "-subj",
                       "/CN=127.0.0.1",
                       "-addext",
                       subj_alt,
                       NULL};
    if (access(openssl[0], X_OK) == 0 && run_command(openssl) == 0) {
        snprintf(port_file, sizeof port_file, "%s/tls-port", s->dir);
        if (fake_start(&s->https, port_file, s->cert, key) != 0)
            s->https.pid = 0;
    }
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    suite *s = *state;
    fake_stop(&s->http);
    fake_stop(&s->https);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
    free(s);
    return 0;
}

/* ---- loop, client and results ------------------------------------------------- */

typedef struct tctx {
    uv_loop_t loop;
    http_client *client;
    logger log;
    int closed;
} tctx;

static void on_client_closed(void *arg)
{
    *(int *)arg = 1;
}

static void guard_fired(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

/* Run the loop until *flag is set or limit_ms passes (a guard timer makes
 * sure uv_run returns even if nothing else happens). */
static void run_until(tctx *t, const int *flag, uint64_t limit_ms)
{
    int expired = 0;
    uv_timer_t guard;
    uv_timer_init(&t->loop, &guard);
    guard.data = &expired;
    uv_timer_start(&guard, guard_fired, limit_ms, 0);
    while (!*flag && !expired)
        uv_run(&t->loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&t->loop, UV_RUN_NOWAIT);
}

static void run_for(tctx *t, uint64_t ms)
{
    int never = 0;
    run_until(t, &never, ms);
}

static void test_options(http_client_options *o)
{
    http_client_options_init(o);
    o->retry_base_ms = 20;
    o->retry_max_ms = 5000;
}

static void ctx_open(tctx *t, const http_client_options *opts)
{
    memset(t, 0, sizeof *t);
    assert_int_equal(0, uv_loop_init(&t->loop));
    t->log.level = GW_LOG_WARN;
    t->log.out = stderr;
    http_client_options o;
    if (opts != NULL) {
        o = *opts;
    } else {
        test_options(&o);
    }
    if (o.log == NULL)
        o.log = &t->log;
    char err[200];
    assert_int_equal(GW_OK, http_client_new(&t->loop, &o, &t->client, err, sizeof err));
}

static void ctx_close(tctx *t)
{
    http_client_close(t->client, on_client_closed, &t->closed);
    run_until(t, &t->closed, 5000);
    assert_true(t->closed);
    /* Every uv handle is gone: nothing leaked on the loop. */
    assert_int_equal(0, uv_loop_close(&t->loop));
}

typedef struct result {
    int called;
    int status;
    int error;
    char *error_message;
    gw_outcome suggested;
    uint64_t retry_after_ms;
    int not_sent;
    char *body;
    size_t body_len;
    json_t *headers; /* name -> value */
    uint64_t at_ms;
} result;

static void on_result(void *arg, const gw_http_response *resp)
{
    result *r = arg;
    r->called++;
    r->at_ms = clock_monotonic_ms();
    r->status = resp->status;
    r->error = resp->error;
    free(r->error_message);
    r->error_message = resp->error_message ? strdup(resp->error_message) : NULL;
    r->suggested = resp->suggested;
    r->retry_after_ms = resp->retry_after_ms;
    r->not_sent = resp->not_sent;
    free(r->body);
    assert_non_null(resp->body);
    assert_int_equal('\0', resp->body[resp->body_len]); /* NUL-terminated */
    r->body = malloc(resp->body_len + 1);
    memcpy(r->body, resp->body, resp->body_len + 1);
    r->body_len = resp->body_len;
    json_decref(r->headers);
    r->headers = json_object();
    for (size_t i = 0; i < resp->header_count; i++)
        json_object_set_new(r->headers, resp->headers[i].name, json_string(resp->headers[i].value));
}

static void result_free(result *r)
{
    free(r->error_message);
    free(r->body);
    json_decref(r->headers);
    memset(r, 0, sizeof *r);
}

static const char *result_header(const result *r, const char *name)
{
    return json_string_value(json_object_get(r->headers, name));
}

static void make_url(char *buf, size_t len, const fake_server *f, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", f->port, path);
}

static int send_req(tctx *t, ratelimit_budget *budget, void *owner, const char *method,
                    const char *url, const gw_http_header *headers, size_t n, const char *body,
                    uint64_t timeout_ms, result *res, http_req **out)
{
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = n,
        .body = (const unsigned char *)body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = timeout_ms,
    };
    return http_client_request(t->client, budget, owner, "test/acct", &req, on_result, res, out);
}

/* GET and wait for the answer. */
static void get_sync(tctx *t, const fake_server *f, const char *path, result *res)
{
    char url[256];
    make_url(url, sizeof url, f, path);
    assert_int_equal(GW_OK, send_req(t, NULL, NULL, "GET", url, NULL, 0, NULL, 0, res, NULL));
    assert_int_equal(0, res->called); /* never synchronous */
    run_until(t, &res->called, 20000);
    assert_int_equal(1, res->called);
}

/* What the fake server saw for requests whose path contains `match`. */
static json_t *server_log(tctx *t, const fake_server *f, const char *match)
{
    char path[160];
    snprintf(path, sizeof path, "/count?match=%s", match);
    result r = {0};
    get_sync(t, f, path, &r);
    assert_int_equal(200, r.status);
    json_t *root = json_loads(r.body, 0, NULL);
    assert_non_null(root);
    json_t *reqs = json_incref(json_object_get(root, "requests"));
    json_decref(root);
    result_free(&r);
    return reqs;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_get_200_with_headers_and_body(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    result r = {0};
    get_sync(&t, &s->http, "/ok?tag=get200", &r);
    assert_int_equal(200, r.status);
    assert_int_equal(0, r.error);
    assert_null(r.error_message);
    assert_int_equal(GW_OUTCOME_OK, r.suggested);
    assert_int_equal(0, r.retry_after_ms);
    assert_string_equal("{\"ok\": true}", r.body);
    /* Names arrive lower-cased, values trimmed. */
    assert_string_equal("application/json", result_header(&r, "content-type"));
    assert_string_equal("12", result_header(&r, "content-length"));
    assert_non_null(result_header(&r, "date"));
    const http_client_stats *st = http_client_stats_get(t.client);
    assert_int_equal(1, st->requests);
    assert_int_equal(1, st->attempts);
    assert_int_equal(1, st->status_class[2]);
    assert_int_equal(1, st->completed);
    assert_int_equal(0, http_client_pending(t.client));
    result_free(&r);
    ctx_close(&t);
}

static void test_post_json_is_echoed(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char url[256];
    make_url(url, sizeof url, &s->http, "/echo?tag=echo");
    gw_http_header h[] = {{"Content-Type", "application/json"},
                          {"X-Custom", "  value with spaces"},
                          {"Authorization", "Bearer not-a-real-token"},
                          {"X-Empty", ""}};
    const char *body = "{\"text\":\"h\\u00e9llo\",\"reply\":{\"in_reply_to_tweet_id\":\"1860\"}}";
    result r = {0};
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "POST", url, h, COUNT(h), body, 0, &r, NULL));
    run_until(&t, &r.called, 10000);
    assert_int_equal(1, r.called);
    assert_int_equal(200, r.status);
    json_t *echo = json_loads(r.body, 0, NULL);
    assert_non_null(echo);
    assert_string_equal("POST", json_string_value(json_object_get(echo, "method")));
    assert_string_equal(body, json_string_value(json_object_get(echo, "body")));
    json_t *eh = json_object_get(echo, "headers");
    assert_string_equal("application/json", json_string_value(json_object_get(eh, "content-type")));
    assert_string_equal("value with spaces", json_string_value(json_object_get(eh, "x-custom")));
    assert_string_equal("Bearer not-a-real-token",
                        json_string_value(json_object_get(eh, "authorization")));
    assert_string_equal("", json_string_value(json_object_get(eh, "x-empty")));
    assert_string_equal("social-gateway/" GW_VERSION,
                        json_string_value(json_object_get(eh, "user-agent")));
    assert_null(json_object_get(eh, "expect"));
    json_decref(echo);
    result_free(&r);

    /* PUT and DELETE, with and without a body. */
    const char *methods[] = {"PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < COUNT(methods); i++) {
        for (int with_body = 0; with_body < 2; with_body++) {
            result m = {0};
            assert_int_equal(GW_OK, send_req(&t, NULL, NULL, methods[i], url, NULL, 0,
                                             with_body ? "{\"a\":1}" : NULL, 0, &m, NULL));
            run_until(&t, &m.called, 10000);
            assert_int_equal(200, m.status);
            json_t *e = json_loads(m.body, 0, NULL);
            assert_string_equal(methods[i], json_string_value(json_object_get(e, "method")));
            assert_int_equal(with_body ? 7 : 0, json_integer_value(json_object_get(e, "body_len")));
            json_decref(e);
            result_free(&m);
        }
    }
    ctx_close(&t);
}

static void test_429_retried_not_before_reset(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_retries = 1;
    tctx t;
    ctx_open(&t, &o);
    ratelimit_budget budget;
    ratelimit_init(&budget);
    result r = {0};
    char url[256];
    make_url(url, sizeof url, &s->http, "/429?reset=2&tag=t429a");
    uint64_t start = clock_monotonic_ms();
    assert_int_equal(GW_OK, send_req(&t, &budget, NULL, "GET", url, NULL, 0, NULL, 0, &r, NULL));
    run_until(&t, &r.called, 15000);
    assert_int_equal(1, r.called);
    assert_int_equal(429, r.status);
    assert_int_equal(0, r.error);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    /* The second 429 asked for ~2 s more. */
    assert_true(r.retry_after_ms >= 1000 && r.retry_after_ms <= 3000);
    assert_true(r.at_ms - start >= 1000);
    assert_string_equal("0", result_header(&r, "x-rate-limit-remaining"));

    json_t *seen = server_log(&t, &s->http, "t429a");
    assert_int_equal(2, json_array_size(seen));
    double first_reset = json_number_value(json_object_get(json_array_get(seen, 0), "reset"));
    double second_at = json_number_value(json_object_get(json_array_get(seen, 1), "t"));
    printf("429: reset announced %.3f, retry arrived %.3f (%.3f s after)\n", first_reset, second_at,
           second_at - first_reset);
    assert_true(second_at >= first_reset); /* never sent early */
    json_decref(seen);

    const http_client_stats *st = http_client_stats_get(t.client);
    assert_int_equal(2, st->status_429);
    assert_int_equal(1, st->retries);
    assert_true(budget.blocks >= 1);
    assert_true(ratelimit_delay_ms(&budget, clock_monotonic_ms()) > 0);
    result_free(&r);
    ctx_close(&t);
}

/* Without a budget the retry still honours Retry-After, here an HTTP-date. */
static void test_429_http_date_without_budget(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_retries = 1;
    tctx t;
    ctx_open(&t, &o);
    result r = {0};
    get_sync(&t, &s->http, "/429?reset=1&date=1&tag=t429b", &r);
    assert_int_equal(429, r.status);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_true(r.retry_after_ms > 0);
    json_t *seen = server_log(&t, &s->http, "t429b");
    assert_int_equal(2, json_array_size(seen));
    double first_reset = json_number_value(json_object_get(json_array_get(seen, 0), "reset"));
    double second_at = json_number_value(json_object_get(json_array_get(seen, 1), "t"));
    assert_true(second_at >= first_reset);
    json_decref(seen);
    result_free(&r);
    ctx_close(&t);
}

/* A server asking for longer than retry_max_ms: the host does not sit it
 * out, the caller gets RETRY with the wait at once. */
static void test_429_long_reset_goes_back_to_caller(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_retries = 2;
    o.retry_max_ms = 1000;
    tctx t;
    ctx_open(&t, &o);
    result r = {0};
    get_sync(&t, &s->http, "/429?reset=30&tag=t429c", &r);
    assert_int_equal(429, r.status);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_true(r.retry_after_ms >= 29000 && r.retry_after_ms <= 31000);
    assert_int_equal(0, http_client_stats_get(t.client)->retries);
    result_free(&r);
    ctx_close(&t);
}

static void test_503_retried_then_retry(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL); /* max_retries 2 */
    result r = {0};
    get_sync(&t, &s->http, "/503?tag=t503", &r);
    assert_int_equal(503, r.status);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_string_equal("{\"error\": \"service unavailable\"}", r.body);
    json_t *seen = server_log(&t, &s->http, "t503");
    assert_int_equal(3, json_array_size(seen));
    json_decref(seen);
    const http_client_stats *st = http_client_stats_get(t.client);
    assert_int_equal(2, st->retries);
    assert_int_equal(3, st->status_class[5]);
    result_free(&r);

    /* Retry-After on a 503 is honoured by the retries and reported. */
    result ra = {0};
    uint64_t start = clock_monotonic_ms();
    get_sync(&t, &s->http, "/503?retry_after=1&tag=t503ra", &ra);
    assert_int_equal(GW_OUTCOME_RETRY, ra.suggested);
    assert_int_equal(1000, ra.retry_after_ms);
    assert_true(ra.at_ms - start >= 2000); /* two waits of >= 1 s */
    result_free(&ra);
    ctx_close(&t);
}

/* A POST that may have been acted on is not sent twice by the host. */
static void test_post_503_not_resent(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char url[256];
    make_url(url, sizeof url, &s->http, "/503?tag=post503");
    result r = {0};
    assert_int_equal(
        GW_OK, send_req(&t, NULL, NULL, "POST", url, NULL, 0, "{\"text\":\"hi\"}", 0, &r, NULL));
    run_until(&t, &r.called, 10000);
    assert_int_equal(503, r.status);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_int_equal(0, r.not_sent); /* the server answered: it saw it */
    json_t *seen = server_log(&t, &s->http, "post503");
    assert_int_equal(1, json_array_size(seen));
    json_decref(seen);
    result_free(&r);
    ctx_close(&t);
}

static void test_401_403_fatal_404_ok(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    const struct {
        const char *path;
        int status;
        gw_outcome outcome;
    } cases[] = {{"/status?code=401&tag=s401", 401, GW_OUTCOME_FATAL},
                 {"/status?code=403&tag=s403", 403, GW_OUTCOME_FATAL},
                 {"/status?code=404&tag=s404", 404, GW_OUTCOME_OK},
                 {"/status?code=422&tag=s422", 422, GW_OUTCOME_OK},
                 {"/status?code=201&tag=s201", 201, GW_OUTCOME_OK},
                 {"/status?code=302&tag=s302", 302, GW_OUTCOME_OK}};
    for (size_t i = 0; i < COUNT(cases); i++) {
        result r = {0};
        get_sync(&t, &s->http, cases[i].path, &r);
        assert_int_equal(cases[i].status, r.status);
        assert_int_equal(cases[i].outcome, r.suggested);
        assert_int_equal(0, r.error);
        result_free(&r);
    }
    const http_client_stats *st = http_client_stats_get(t.client);
    assert_int_equal(1, st->status_401);
    assert_int_equal(1, st->status_403);
    assert_int_equal(0, st->retries);
    ctx_close(&t);
}

static void test_hang_past_timeout(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_retries = 0;
    tctx t;
    ctx_open(&t, &o);
    char url[256];
    make_url(url, sizeof url, &s->http, "/hang?ms=3000&tag=hang");
    result r = {0};
    uint64_t start = clock_monotonic_ms();
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET", url, NULL, 0, NULL, 300, &r, NULL));
    run_until(&t, &r.called, 10000);
    assert_int_equal(1, r.called);
    uint64_t took = r.at_ms - start;
    assert_true(took >= 300 && took < 2500);
    assert_int_equal(0, r.status);
    assert_int_equal(GW_EBUSY, r.error);
    assert_non_null(strstr(r.error_message, "timed out"));
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_int_equal(0, r.body_len);
    assert_int_equal(1, http_client_stats_get(t.client)->timeouts);
    result_free(&r);

    /* The default timeout applies when the request gives none. */
    http_client_options o2;
    test_options(&o2);
    o2.max_retries = 0;
    o2.default_timeout_ms = 200;
    tctx t2;
    ctx_open(&t2, &o2);
    result r2 = {0};
    get_sync(&t2, &s->http, "/hang?ms=3000&tag=hang2", &r2);
    assert_int_equal(GW_EBUSY, r2.error);
    result_free(&r2);
    ctx_close(&t2);
    ctx_close(&t);
}

static void test_truncated_body_is_transport_error(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_retries = 1;
    tctx t;
    ctx_open(&t, &o);
    result r = {0};
    get_sync(&t, &s->http, "/truncated?tag=trunc", &r);
    assert_int_equal(0, r.status);
    assert_int_equal(GW_EIO, r.error);
    assert_non_null(strstr(r.error_message, "truncated"));
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_int_equal(0, r.body_len); /* the partial body is not handed out */
    json_t *seen = server_log(&t, &s->http, "trunc");
    assert_int_equal(2, json_array_size(seen)); /* a GET is retried */
    json_decref(seen);
    assert_int_equal(2, http_client_stats_get(t.client)->transport_errors);
    result_free(&r);
    ctx_close(&t);
}

static void test_oversized_body_is_erange(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_response_bytes = 100000;
    tctx t;
    ctx_open(&t, &o);
    /* Known length (rejected from Content-Length), then chunked (rejected
     * while streaming): both are GW_ERANGE and not retried. */
    const char *paths[] = {"/big?bytes=200000&tag=bigcl", "/big?bytes=200000&chunked=1&tag=bigch"};
    for (size_t i = 0; i < COUNT(paths); i++) {
        result r = {0};
        get_sync(&t, &s->http, paths[i], &r);
        assert_int_equal(0, r.status);
        assert_int_equal(GW_ERANGE, r.error);
        assert_string_equal("response larger than 100000 bytes", r.error_message);
        assert_int_equal(GW_OUTCOME_FATAL, r.suggested);
        result_free(&r);
    }
    json_t *seen = server_log(&t, &s->http, "tag=big");
    assert_int_equal(2, json_array_size(seen));
    json_decref(seen);
    /* Exactly at the cap is fine. */
    result ok = {0};
    get_sync(&t, &s->http, "/big?bytes=100000&chunked=1&tag=bigok", &ok);
    assert_int_equal(200, ok.status);
    assert_int_equal(100000, ok.body_len);
    assert_int_equal(2, http_client_stats_get(t.client)->too_large);
    result_free(&ok);
    ctx_close(&t);
}

static void test_malformed_json_delivered_as_is(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    result r = {0};
    get_sync(&t, &s->http, "/badjson", &r);
    assert_int_equal(200, r.status);
    assert_int_equal(GW_OUTCOME_OK, r.suggested);
    assert_string_equal("{\"data\": [1, 2,", r.body);
    assert_int_equal(15, r.body_len);
    result_free(&r);
    ctx_close(&t);
}

static void test_connection_refused(void **state)
{
    (void)state;
    /* A port nobody listens on: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(0, bind(fd, (struct sockaddr *)&sa, sizeof sa));
    socklen_t sl = sizeof sa;
    assert_int_equal(0, getsockname(fd, (struct sockaddr *)&sa, &sl));
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/posts.json", ntohs(sa.sin_port));

    http_client_options o;
    test_options(&o);
    o.max_retries = 1;
    tctx t;
    ctx_open(&t, &o);
    result r = {0};
    /* Even a POST is retried: nothing reached a server. */
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "POST", url, NULL, 0, "{}", 0, &r, NULL));
    run_until(&t, &r.called, 10000);
    assert_int_equal(1, r.called);
    assert_int_equal(0, r.status);
    assert_int_equal(GW_EIO, r.error);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_int_equal(1, r.not_sent); /* no attempt got past connecting */
    const http_client_stats *st = http_client_stats_get(t.client);
    assert_int_equal(2, st->attempts);
    assert_int_equal(2, st->transport_errors);
    result_free(&r);
    ctx_close(&t);
}

typedef struct many {
    int done;
    int ok;
    int target;
} many;

static void on_many(void *arg, const gw_http_response *resp)
{
    many *m = arg;
    m->done++;
    if (resp->status == 200 && resp->error == 0)
        m->ok++;
}

static void test_200_concurrent_requests(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char url[256];
    make_url(url, sizeof url, &s->http, "/ok?tag=conc200");
    many m = {0, 0, 200};
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = url};
    for (int i = 0; i < 200; i++)
        assert_int_equal(
            GW_OK, http_client_request(t.client, NULL, NULL, "test/conc", &req, on_many, &m, NULL));
    assert_int_equal(200, http_client_pending(t.client));
    int all = 0;
    uint64_t start = clock_monotonic_ms();
    while (m.done < 200 && clock_monotonic_ms() - start < 60000) {
        run_until(&t, &all, 100);
    }
    assert_int_equal(200, m.done);
    assert_int_equal(200, m.ok);
    /* The per-host cap held: at most 8 connections (client ports). */
    json_t *seen = server_log(&t, &s->http, "conc200");
    assert_int_equal(200, json_array_size(seen));
    json_t *ports = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(seen, i, e)
    {
        char key[16];
        snprintf(key, sizeof key, "%lld", json_integer_value(json_object_get(e, "port")));
        json_object_set_new(ports, key, json_true());
    }
    printf("200 concurrent requests used %zu connections\n", json_object_size(ports));
    assert_true(json_object_size(ports) <= 8);
    json_decref(ports);
    json_decref(seen);
    ctx_close(&t);
}

static void test_connections_are_reused(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    for (int i = 0; i < 10; i++) {
        result r = {0};
        get_sync(&t, &s->http, "/ok?tag=reuse", &r);
        assert_int_equal(200, r.status);
        result_free(&r);
    }
    json_t *seen = server_log(&t, &s->http, "tag=reuse");
    assert_int_equal(10, json_array_size(seen));
    json_int_t port = json_integer_value(json_object_get(json_array_get(seen, 0), "port"));
    for (size_t i = 1; i < 10; i++)
        assert_int_equal(port,
                         json_integer_value(json_object_get(json_array_get(seen, i), "port")));
    json_decref(seen);
    ctx_close(&t);
}

/* Block a budget for `seconds` the way X does: a 200 with remaining 0. */
static void block_budget(ratelimit_budget *b, int seconds)
{
    char reset[32];
    uint64_t reset_s = clock_wall_ms() / 1000 + (uint64_t)seconds;
    snprintf(reset, sizeof reset, "%llu", (unsigned long long)reset_s);
    gw_http_header h[] = {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", reset}};
    ratelimit_update(b, 200, h, COUNT(h), clock_wall_ms(), clock_monotonic_ms());
}

static void test_budget_holds_requests_until_reset(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    ratelimit_budget budget;
    ratelimit_init(&budget);
    char url[256];
    /* The server says: no calls left until reset (+2 s). */
    make_url(url, sizeof url, &s->http, "/limited?remaining=0&reset=2&tag=lim1");
    result first = {0};
    assert_int_equal(GW_OK,
                     send_req(&t, &budget, NULL, "GET", url, NULL, 0, NULL, 0, &first, NULL));
    run_until(&t, &first.called, 10000);
    assert_int_equal(200, first.status);
    assert_int_equal(GW_OUTCOME_OK, first.suggested);
    assert_int_equal(0, budget.remaining);
    assert_true(ratelimit_delay_ms(&budget, clock_monotonic_ms()) > 0);

    /* The next request on the account waits for the reset. */
    make_url(url, sizeof url, &s->http, "/ok?tag=lim2");
    result second = {0};
    assert_int_equal(GW_OK,
                     send_req(&t, &budget, NULL, "GET", url, NULL, 0, NULL, 0, &second, NULL));
    run_until(&t, &second.called, 10000);
    assert_int_equal(200, second.status);
    assert_int_equal(1, budget.waits);
    assert_int_equal(1, http_client_stats_get(t.client)->ratelimit_waits);

    json_t *a = server_log(&t, &s->http, "lim1");
    json_t *b = server_log(&t, &s->http, "lim2");
    double reset = json_number_value(json_object_get(json_array_get(a, 0), "reset"));
    double sent = json_number_value(json_object_get(json_array_get(b, 0), "t"));
    printf("budget: reset %.3f, held request arrived %.3f (%.3f s after)\n", reset, sent,
           sent - reset);
    assert_true(sent >= reset);
    json_decref(a);
    json_decref(b);
    result_free(&first);
    result_free(&second);
    ctx_close(&t);
}

static void test_budget_beyond_max_wait_answers_retry(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_budget_wait_ms = 500;
    tctx t;
    ctx_open(&t, &o);
    ratelimit_budget budget;
    ratelimit_init(&budget);
    block_budget(&budget, 5);
    char url[256];
    make_url(url, sizeof url, &s->http, "/ok?tag=reject");
    result r = {0};
    assert_int_equal(GW_OK, send_req(&t, &budget, NULL, "GET", url, NULL, 0, NULL, 0, &r, NULL));
    assert_int_equal(0, r.called); /* asynchronous even when nothing is sent */
    run_until(&t, &r.called, 5000);
    assert_int_equal(1, r.called);
    assert_int_equal(0, r.status);
    assert_int_equal(GW_EBUSY, r.error);
    assert_int_equal(GW_OUTCOME_RETRY, r.suggested);
    assert_true(r.retry_after_ms > 3000 && r.retry_after_ms <= 6000);
    assert_int_equal(1, r.not_sent);
    assert_int_equal(1, http_client_stats_get(t.client)->budget_rejects);
    json_t *seen = server_log(&t, &s->http, "tag=reject");
    assert_int_equal(0, json_array_size(seen));
    json_decref(seen);
    result_free(&r);
    ctx_close(&t);
}

/* Stopping: a request held for its owner's budget is released at once, as
 * a RETRY that was not sent; another owner's held request stays held. */
static void test_release_owner_completes_held_requests_unsent(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    ratelimit_budget budget;
    ratelimit_init(&budget);
    block_budget(&budget, 30);
    char url[256];
    make_url(url, sizeof url, &s->http, "/ok?tag=released");
    int owner_a = 0, owner_b = 0, nobody = 0;
    result a = {0}, b = {0};
    assert_int_equal(GW_OK, send_req(&t, &budget, &owner_a, "POST", url, NULL, 0, "{}", 0, &a,
                                     NULL));
    assert_int_equal(GW_OK, send_req(&t, &budget, &owner_b, "POST", url, NULL, 0, "{}", 0, &b,
                                     NULL));
    assert_int_equal(0, http_client_release_owner(t.client, &nobody, "nobody's"));
    assert_int_equal(1, http_client_release_owner(t.client, &owner_a, "the gateway is stopping"));
    assert_int_equal(0, a.called); /* delivered from the loop, never inline */
    run_until(&t, &a.called, 5000);
    assert_int_equal(1, a.called);
    assert_int_equal(0, a.status);
    assert_int_equal(GW_EBUSY, a.error);
    assert_int_equal(GW_OUTCOME_RETRY, a.suggested);
    assert_int_equal(1, a.not_sent);
    assert_string_equal("the gateway is stopping", a.error_message);
    assert_int_equal(0, b.called);
    assert_int_equal(1, http_client_pending(t.client));
    assert_int_equal(1, http_client_cancel_owner(t.client, &owner_b));
    json_t *seen = server_log(&t, &s->http, "tag=released");
    assert_int_equal(0, json_array_size(seen));
    json_decref(seen);
    result_free(&a);
    result_free(&b);
    ctx_close(&t);
}

static void test_cancel_means_no_callback(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    ratelimit_budget blocked;
    ratelimit_init(&blocked);
    block_budget(&blocked, 2);
    char hang[256], ok[256];
    make_url(hang, sizeof hang, &s->http, "/hang?ms=400&tag=cancel");
    make_url(ok, sizeof ok, &s->http, "/ok?tag=cancelok");
    int owner_a = 0, owner_b = 0;

    result running = {0}, waiting = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b1 = {0};
    http_req *h_running = NULL, *h_waiting = NULL;
    assert_int_equal(GW_OK,
                     send_req(&t, NULL, NULL, "GET", hang, NULL, 0, NULL, 0, &running, &h_running));
    assert_int_equal(
        GW_OK, send_req(&t, &blocked, NULL, "GET", ok, NULL, 0, NULL, 0, &waiting, &h_waiting));
    assert_int_equal(GW_OK, send_req(&t, NULL, &owner_a, "GET", hang, NULL, 0, NULL, 0, &a1, NULL));
    assert_int_equal(GW_OK,
                     send_req(&t, &blocked, &owner_a, "GET", ok, NULL, 0, NULL, 0, &a2, NULL));
    assert_int_equal(GW_OK, send_req(&t, NULL, &owner_b, "GET", ok, NULL, 0, NULL, 0, &b1, NULL));
    run_for(&t, 50); /* the hanging ones are on the wire now */
    http_client_cancel(h_running);
    http_client_cancel(h_waiting);
    assert_int_equal(GW_OK, send_req(&t, NULL, &owner_a, "GET", ok, NULL, 0, NULL, 0, &a3, NULL));
    assert_int_equal(3, http_client_cancel_owner(t.client, &owner_a));
    assert_int_equal(0, http_client_cancel_owner(t.client, &owner_a));
    run_for(&t, 2500); /* past the hang and the budget's reset */
    assert_int_equal(0, running.called);
    assert_int_equal(0, waiting.called);
    assert_int_equal(0, a1.called + a2.called + a3.called);
    assert_int_equal(1, b1.called);
    assert_int_equal(200, b1.status);
    assert_int_equal(5, http_client_stats_get(t.client)->cancelled);
    assert_int_equal(0, http_client_pending(t.client));
    /* The budget-blocked ones were never sent. */
    json_t *seen = server_log(&t, &s->http, "tag=cancelok");
    assert_int_equal(1, json_array_size(seen));
    json_decref(seen);
    result_free(&b1);
    ctx_close(&t);
}

/* Close with everything in flight: no callbacks, every handle closed, and
 * (under ASan/valgrind) nothing leaked. */
static void test_close_with_requests_in_flight(void **state)
{
    suite *s = *state;
    http_client_options o;
    test_options(&o);
    o.max_host_connections = 64; /* the hanging ones must not queue /ok */
    tctx t;
    ctx_open(&t, &o);
    ratelimit_budget blocked;
    ratelimit_init(&blocked);
    block_budget(&blocked, 3);
    char hang[256], ok[256], post[256];
    make_url(hang, sizeof hang, &s->http, "/hang?ms=2000&tag=closehang");
    make_url(ok, sizeof ok, &s->http, "/ok?tag=closeok");
    make_url(post, sizeof post, &s->http, "/503?tag=closeretry");
    result hangs[20] = {{0}}, waits[5] = {{0}}, retrying = {0}, first = {0};
    for (size_t i = 0; i < COUNT(hangs); i++)
        assert_int_equal(GW_OK,
                         send_req(&t, NULL, NULL, "GET", hang, NULL, 0, NULL, 0, &hangs[i], NULL));
    for (size_t i = 0; i < COUNT(waits); i++)
        assert_int_equal(
            GW_OK, send_req(&t, &blocked, NULL, "POST", ok, NULL, 0, "{}", 0, &waits[i], NULL));
    assert_int_equal(GW_OK,
                     send_req(&t, NULL, NULL, "GET", post, NULL, 0, NULL, 0, &retrying, NULL));
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET", ok, NULL, 0, NULL, 0, &first, NULL));
    run_until(&t, &first.called, 5000);
    assert_int_equal(1, first.called);
    ctx_close(&t);
    int calls = retrying.called;
    for (size_t i = 0; i < COUNT(hangs); i++)
        calls += hangs[i].called;
    for (size_t i = 0; i < COUNT(waits); i++)
        calls += waits[i].called;
    assert_int_equal(0, calls);
    result_free(&first);
}

typedef struct closer {
    tctx *t;
    int called;
} closer;

static void close_from_callback(void *arg, const gw_http_response *resp)
{
    closer *c = arg;
    (void)resp;
    c->called++;
    http_client_close(c->t->client, on_client_closed, &c->t->closed);
}

static void test_close_from_inside_a_callback(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char ok[256], hang[256];
    make_url(ok, sizeof ok, &s->http, "/ok?tag=cbclose");
    make_url(hang, sizeof hang, &s->http, "/hang?ms=1000&tag=cbclosehang");
    result others[5] = {{0}};
    for (size_t i = 0; i < COUNT(others); i++)
        assert_int_equal(GW_OK,
                         send_req(&t, NULL, NULL, "GET", hang, NULL, 0, NULL, 0, &others[i], NULL));
    closer c = {&t, 0};
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = ok};
    assert_int_equal(GW_OK, http_client_request(t.client, NULL, NULL, NULL, &req,
                                                close_from_callback, &c, NULL));
    run_until(&t, &t.closed, 5000);
    assert_int_equal(1, c.called);
    assert_true(t.closed);
    assert_int_equal(0, uv_loop_close(&t.loop));
    for (size_t i = 0; i < COUNT(others); i++)
        assert_int_equal(0, others[i].called);
}

typedef struct canceller {
    http_req **victim;
    const void *owner;
    http_client *client;
    int called;
} canceller;

/* A callback may cancel another request, or its own owner's, including
 * itself (a no-op): nothing breaks and no cancelled callback runs. */
static void cancel_from_callback(void *arg, const gw_http_response *resp)
{
    canceller *c = arg;
    (void)resp;
    c->called++;
    http_client_cancel(*c->victim);
    http_client_cancel_owner(c->client, c->owner);
}

static void test_cancel_from_inside_a_callback(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char ok[256], hang[256];
    make_url(ok, sizeof ok, &s->http, "/ok?tag=cbcancel");
    make_url(hang, sizeof hang, &s->http, "/hang?ms=300&tag=cbcancelhang");
    int owner = 0;
    http_req *victim = NULL;
    result v = {0}, sibling = {0};
    canceller c = {&victim, &owner, t.client, 0};
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET", hang, NULL, 0, NULL, 0, &v, &victim));
    assert_int_equal(GW_OK,
                     send_req(&t, NULL, &owner, "GET", hang, NULL, 0, NULL, 0, &sibling, NULL));
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = ok};
    assert_int_equal(GW_OK, http_client_request(t.client, NULL, &owner, NULL, &req,
                                                cancel_from_callback, &c, NULL));
    run_for(&t, 800);
    assert_int_equal(1, c.called);
    assert_int_equal(0, v.called);
    assert_int_equal(0, sibling.called);
    assert_int_equal(0, http_client_pending(t.client));
    ctx_close(&t);
}

static void test_invalid_requests_are_refused(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char ok[256];
    make_url(ok, sizeof ok, &s->http, "/ok");
    result r = {0};
    gw_http_header crlf[] = {{"X-Evil", "a\r\nX-Injected: 1"}};
    /* every control byte but a tab, as the server refuses them */
    gw_http_header ctl[] = {{"X-Ctl", "a\001b"}}, del[] = {{"X-Del", "a\177"}};
    gw_http_header badname[] = {{"Bad Name", "v"}};
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "TRACE", ok, NULL, 0, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "get", ok, NULL, 0, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", "ftp://127.0.0.1/x", NULL, 0, NULL,
                                         0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", "file:///etc/passwd", NULL, 0, NULL,
                                         0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", ok, crlf, 1, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", ok, ctl, 1, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", ok, del, 1, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", ok, badname, 1, NULL, 0, &r, NULL));
    assert_int_equal(GW_EINVAL, send_req(&t, NULL, NULL, "GET", ok, NULL, 0, "body", 0, &r, NULL));
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = ok};
    assert_int_equal(GW_EINVAL,
                     http_client_request(t.client, NULL, NULL, NULL, &req, NULL, NULL, NULL));
    gw_http_request old = {.struct_size = 8, .method = "GET", .url = ok};
    assert_int_equal(GW_EINVAL,
                     http_client_request(t.client, NULL, NULL, NULL, &old, on_result, &r, NULL));
    run_for(&t, 50);
    assert_int_equal(0, r.called);
    assert_int_equal(0, http_client_stats_get(t.client)->requests);
    ctx_close(&t);
}

static void test_logs_carry_no_secrets(void **state)
{
    suite *s = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/client.log", s->dir);
    FILE *logf = fopen(path, "w+");
    assert_non_null(logf);
    logger lg = {GW_LOG_DEBUG, logf};
    http_client_options o;
    test_options(&o);
    o.log = &lg;
    o.max_retries = 1;
    tctx t;
    ctx_open(&t, &o);
    gw_http_header h[] = {{"Authorization", "Bearer SEKRIT-HEADER"}, {"Api-Key", "SEKRIT-APIKEY"}};
    const char *paths[] = {"/ok?access_token=SEKRIT-1&fields=id", "/503?token=SEKRIT-2&tag=logs",
                           "/truncated?oauth_signature=SEKRIT-3", "/status?code=401&key=SEKRIT-4"};
    for (size_t i = 0; i < COUNT(paths); i++) {
        char url[256];
        make_url(url, sizeof url, &s->http, paths[i]);
        result r = {0};
        assert_int_equal(GW_OK,
                         send_req(&t, NULL, NULL, "GET", url, h, COUNT(h), NULL, 0, &r, NULL));
        run_until(&t, &r.called, 10000);
        assert_int_equal(1, r.called);
        result_free(&r);
    }
    /* A URL with credentials in the userinfo, to a dead port. */
    result dead = {0};
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET",
                                     "http://user:SEKRIT-5@127.0.0.1:1/x?apikey=SEKRIT-6", NULL, 0,
                                     NULL, 0, &dead, NULL));
    run_until(&t, &dead.called, 10000);
    result_free(&dead);
    ctx_close(&t);

    fflush(logf);
    rewind(logf);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, logf);
    buf[n] = '\0';
    fclose(logf);
    assert_true(n > 0);
    if (strstr(buf, "SEKRIT") != NULL)
        fprintf(stderr, "leaked:\n%s\n", buf);
    assert_null(strstr(buf, "SEKRIT"));
    assert_non_null(strstr(buf, "access_token=***&fields=id"));
    assert_non_null(strstr(buf, "retry 1/1")); /* the 503 warned */
    assert_non_null(strstr(buf, "-> 200 in")); /* the debug line */
    assert_non_null(strstr(buf, "test/acct")); /* the account label */
}

static void test_tls_verification_is_on(void **state)
{
    suite *s = *state;
    if (s->https.pid == 0) {
        printf("openssl or the TLS fake server unavailable; skipped\n");
        skip();
    }
    char url[256];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/ok?tag=tls", s->https.port);

    /* With the test CA: verified, 200. */
    http_client_options o;
    test_options(&o);
    o.ca_file = s->cert;
    tctx t;
    ctx_open(&t, &o);
    result r = {0};
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET", url, NULL, 0, NULL, 0, &r, NULL));
    run_until(&t, &r.called, 10000);
    assert_int_equal(200, r.status);
    result_free(&r);
    ctx_close(&t);

    /* With the system bundle the self-signed server is refused, and that is
     * permanent: FATAL, no host retries. */
    test_options(&o);
    ctx_open(&t, &o);
    result bad = {0};
    assert_int_equal(GW_OK, send_req(&t, NULL, NULL, "GET", url, NULL, 0, NULL, 0, &bad, NULL));
    run_until(&t, &bad.called, 10000);
    assert_int_equal(0, bad.status);
    assert_int_equal(GW_EIO, bad.error);
    assert_int_equal(GW_OUTCOME_FATAL, bad.suggested);
    printf("TLS without the CA: %s\n", bad.error_message);
    assert_int_equal(1, http_client_stats_get(t.client)->attempts);
    result_free(&bad);
    ctx_close(&t);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

typedef struct chain {
    tctx *t;
    const char *url;
    int done;
    int failed;
    int total;
    long rss_at_200;
    int finished;
} chain;

static void chain_next(void *arg, const gw_http_response *resp)
{
    chain *c = arg;
    c->done++;
    if (resp->status != 200)
        c->failed++;
    if (c->done == 200)
        c->rss_at_200 = rss_kb();
    if (c->done == c->total) {
        c->finished = 1;
        return;
    }
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = c->url};
    if (http_client_request(c->t->client, NULL, NULL, "test/chain", &req, chain_next, c, NULL) != 0)
        c->finished = 1;
}

/* 2000 sequential requests must not grow the process: a leak of even a
 * kilobyte per request would show as ~2 MB here. */
static void test_memory_flat_over_2000_requests(void **state)
{
    suite *s = *state;
    tctx t;
    ctx_open(&t, NULL);
    char url[256];
    make_url(url, sizeof url, &s->http, "/ok?tag=flat");
    chain c = {&t, url, 0, 0, 2000, 0, 0};
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = url};
    assert_int_equal(
        GW_OK, http_client_request(t.client, NULL, NULL, "test/chain", &req, chain_next, &c, NULL));
    run_until(&t, &c.finished, 300000);
    long rss_end = rss_kb();
    assert_int_equal(2000, c.done);
    assert_int_equal(0, c.failed);
    long growth = rss_end - c.rss_at_200;
    printf("RSS after 200 requests: %ld kB, after 2000: %ld kB, growth %ld kB\n", c.rss_at_200,
           rss_end, growth);
    bool instrumented = false;
#ifdef GW_UNDER_ASAN
    instrumented = true; /* ASan's quarantine holds freed memory on purpose */
#endif
#ifdef HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND)
        instrumented = true; /* so does valgrind's freed-block queue */
#endif
    if (instrumented)
        printf("(memory checker active: growth bound not asserted; its leak check applies)\n");
    else
        assert_true(growth < 2048);
    ctx_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_200_with_headers_and_body),
        cmocka_unit_test(test_post_json_is_echoed),
        cmocka_unit_test(test_429_retried_not_before_reset),
        cmocka_unit_test(test_429_http_date_without_budget),
        cmocka_unit_test(test_429_long_reset_goes_back_to_caller),
        cmocka_unit_test(test_503_retried_then_retry),
        cmocka_unit_test(test_post_503_not_resent),
        cmocka_unit_test(test_401_403_fatal_404_ok),
        cmocka_unit_test(test_hang_past_timeout),
        cmocka_unit_test(test_truncated_body_is_transport_error),
        cmocka_unit_test(test_oversized_body_is_erange),
        cmocka_unit_test(test_malformed_json_delivered_as_is),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_200_concurrent_requests),
        cmocka_unit_test(test_connections_are_reused),
        cmocka_unit_test(test_budget_holds_requests_until_reset),
        cmocka_unit_test(test_budget_beyond_max_wait_answers_retry),
        cmocka_unit_test(test_cancel_means_no_callback),
        cmocka_unit_test(test_close_with_requests_in_flight),
        cmocka_unit_test(test_close_from_inside_a_callback),
        cmocka_unit_test(test_cancel_from_inside_a_callback),
        cmocka_unit_test(test_release_owner_completes_held_requests_unsent),
        cmocka_unit_test(test_invalid_requests_are_refused),
        cmocka_unit_test(test_logs_carry_no_secrets),
        cmocka_unit_test(test_tls_verification_is_on),
        cmocka_unit_test(test_memory_flat_over_2000_requests),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
