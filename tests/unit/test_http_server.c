/* test_http_server.c - the embedded HTTP server over real loopback sockets.
 *
 * The server runs on a uv loop in the test's main thread; each test's
 * client runs in a helper thread with blocking sockets (receive and send
 * timeouts bound every wait) and wakes the loop with a uv_async when it is
 * done. A watchdog timer bounds every loop run. Handlers run on the loop
 * thread and keep their observations in the fixture; the main thread reads
 * the client's results only after joining it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "gateway/error.h"
#include "http/http_server.h"
#include "base/log.h"

#define WATCHDOG_MS 20000
#define SOCKET_TIMEOUT_S 5
#define MAX_HELD 64
#define FIFTY 50

/* ------------------------------------------------------------------------
 * Client side (helper threads only).
 */
typedef struct response {
    int status;       /* 0 when no status line arrived */
    char head[16384]; /* status line and headers, NUL-terminated */
    unsigned char *body;
    size_t body_len;
    int closed; /* the server closed (EOF or reset) */
    int error;  /* errno of a failed read, 0 otherwise */
} response;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int cl_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {SOCKET_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int cl_send(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int cl_send_str(int fd, const char *s)
{
    return cl_send(fd, s, strlen(s));
}

/* Value of header `name` in r->head (case-insensitive), copied to buf. */
static const char *resp_header(const response *r, const char *name, char *buf, size_t buflen)
{
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");
    while (line && line[2] != '\0') {
        line += 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            size_t vlen = end ? (size_t)(end - v) : strlen(v);
            if (vlen >= buflen)
                vlen = buflen - 1;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

/* Read one response: headers, then Content-Length bytes or until EOF.
 * `head_only` for HEAD. Returns 0 when a status line arrived. */
static int cl_read_response(int fd, response *r, int head_only)
{
    memset(r, 0, sizeof *r);
    size_t used = 0;
    char *end = NULL;
    while (end == NULL) {
        if (used + 1 >= sizeof r->head)
            return -1;
        ssize_t n = recv(fd, r->head + used, 1, 0); /* byte-wise: never eat the body */
        if (n <= 0) {
            r->closed = 1;
            r->error = n < 0 ? errno : 0;
            return r->status ? 0 : -1;
        }
        used += (size_t)n;
        r->head[used] = '\0';
        if (r->status == 0 && used >= 12 && strncmp(r->head, "HTTP/1.", 7) == 0)
            r->status = atoi(r->head + 9);
        end = strstr(r->head, "\r\n\r\n");
    }
    end[2] = '\0'; /* keep the last header's CRLF for resp_header */
    char cl[32];
    long long want = -1;
    if (resp_header(r, "Content-Length", cl, sizeof cl))
        want = atoll(cl);
    if (head_only)
        want = 0;
    size_t cap = want >= 0 ? (size_t)want + 1 : 65536;
    r->body = malloc(cap);
    if (r->body == NULL)
        return -1;
    while (want < 0 || r->body_len < (size_t)want) {
        if (r->body_len + 1 >= cap) {
            cap *= 2;
            unsigned char *grown = realloc(r->body, cap);
            if (grown == NULL)
                return -1;
            r->body = grown;
        }
        size_t room = (want >= 0 ? (size_t)want : cap - 1) - r->body_len;
        ssize_t n = recv(fd, r->body + r->body_len, room, 0);
        if (n <= 0) {
            r->closed = 1;
            r->error = n < 0 ? errno : 0;
            break;
        }
        r->body_len += (size_t)n;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

static void resp_free(response *r)
{
    free(r->body);
    r->body = NULL;
}

/* Connect, send `raw`, read one response, close. */
static void cl_exchange(int port, const void *raw, size_t len, response *r)
{
    memset(r, 0, sizeof *r);
    int fd = cl_connect(port);
    if (fd < 0) {
        r->error = errno;
        return;
    }
    if (cl_send(fd, raw, len) == 0)
        cl_read_response(fd, r, 0);
    else
        r->error = errno;
    close(fd);
}

static void cl_get(int port, const char *path, response *r)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    cl_exchange(port, req, strlen(req), r);
}

/* Wait until the server closes fd; returns ms waited, or -1 on timeout.
 * Sets *got_bytes when anything arrived first. */
static long cl_wait_closed(int fd, int timeout_ms, int *got_bytes)
{
    uint64_t start = now_ms();
    *got_bytes = 0;
    for (;;) {
        long left = timeout_ms - (long)(now_ms() - start);
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        char b[256];
        ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (n > 0) {
            *got_bytes = 1;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return (long)(now_ms() - start);
    }
}

/* Parse a JSON body and check its "error" member. */
static void assert_json_error(const response *r, int status, const char *code)
{
    char ct[128];
    assert_int_equal(r->status, status);
    assert_non_null(resp_header(r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/json");
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)r->body, r->body_len, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "error")), code);
    const char *msg = json_string_value(json_object_get(doc, "message"));
    assert_non_null(msg);
    assert_true(strlen(msg) > 0);
    json_decref(doc);
}

/* ------------------------------------------------------------------------
 * Fixture: loop, server, client thread.
 */
typedef struct fixture fixture;
typedef void (*client_fn)(fixture *fx);

struct fixture {
    uv_loop_t loop;
    logger log;
    http_server *srv;
    int port;
    uv_async_t client_done;
    uv_timer_t watchdog;
    int watchdog_fired;
    uv_prepare_t until; /* checks run_until's condition before the loop blocks */
    int (*until_cond)(fixture *fx);
    int closed; /* http_server_close's done callback ran */
    pthread_t thread;
    client_fn client;

    /* handler side (loop thread) */
    int calls;
    http_exchange *held[MAX_HELD];
    size_t held_count;
    size_t max_held;
    size_t release_at; /* answer all held once this many are held */
    uv_timer_t answer_timer;
    int answer_timer_used;
    char seen_method[16], seen_path[256], seen_tail[256], seen_query[256];
    char seen_sig[64], seen_remote[64];
    int seen_lowercase_names;
    unsigned char *seen_body;
    size_t seen_body_len;
    int signal_pipe[2]; /* handler -> client thread: "I hold it" */

    /* client side (helper thread; read after join) */
    response r[FIFTY + 4];
    long waited_ms[8];
    int flags[8];
    const unsigned char *payload;
    size_t payload_len;
};

static void on_client_done(uv_async_t *a)
{
    uv_stop(a->loop);
}

static void on_watchdog(uv_timer_t *t)
{
    fixture *fx = t->data;
    fx->watchdog_fired = 1;
    uv_stop(t->loop);
}

static void *client_main(void *arg)
{
    fixture *fx = arg;
    fx->client(fx);
    uv_async_send(&fx->client_done);
    return NULL;
}

/* Run the loop while `fn` runs in a helper thread; bounded. */
static void run_client(fixture *fx, client_fn fn)
{
    fx->client = fn;
    assert_int_equal(pthread_create(&fx->thread, NULL, client_main, fx), 0);
    uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&fx->watchdog);
    pthread_join(fx->thread, NULL);
    assert_false(fx->watchdog_fired);
}

static void on_server_closed(void *arg)
{
    fixture *fx = arg;
    fx->closed = 1;
    uv_stop(&fx->loop);
}

static void on_until(uv_prepare_t *p)
{
    fixture *fx = p->data;
    if (fx->until_cond(fx))
        uv_stop(p->loop);
}

/* Run the loop until cond holds (checked before each poll); bounded. */
static void run_until(fixture *fx, int (*cond)(fixture *fx))
{
    fx->until_cond = cond;
    uv_prepare_start(&fx->until, on_until);
    uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
    if (!cond(fx))
        uv_run(&fx->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&fx->watchdog);
    uv_prepare_stop(&fx->until);
    assert_false(fx->watchdog_fired);
    assert_true(cond(fx));
}

static int server_closed(fixture *fx)
{
    return fx->closed;
}

/* Run the loop until the server's close completed; bounded. */
static void run_until_closed(fixture *fx)
{
    run_until(fx, server_closed);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    uv_loop_init(&fx->loop);
    uv_async_init(&fx->loop, &fx->client_done, on_client_done);
    uv_timer_init(&fx->loop, &fx->watchdog);
    uv_timer_init(&fx->loop, &fx->answer_timer);
    uv_prepare_init(&fx->loop, &fx->until);
    fx->until.data = fx;
    fx->watchdog.data = fx;
    fx->answer_timer.data = fx;
    fx->log.level = getenv("GW_TEST_DEBUG") ? GW_LOG_DEBUG : GW_LOG_ERROR;
    fx->log.out = stderr;
    *state = fx;
    return 0;
}

static void on_closed_handle(uv_handle_t *h)
{
    (void)h;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->srv) {
        http_server_close(fx->srv, on_server_closed, fx);
        fx->srv = NULL;
        run_until_closed(fx);
    }
    /* A test that kept exchanges past the close releases them now. */
    for (size_t i = 0; i < fx->held_count; i++)
        http_exchange_respond(fx->held[i], 200, NULL, NULL, 0, NULL, 0);
    uv_close((uv_handle_t *)&fx->client_done, on_closed_handle);
    uv_close((uv_handle_t *)&fx->watchdog, on_closed_handle);
    uv_close((uv_handle_t *)&fx->answer_timer, on_closed_handle);
    uv_close((uv_handle_t *)&fx->until, on_closed_handle);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&fx->loop);
    for (size_t i = 0; i < sizeof fx->r / sizeof fx->r[0]; i++)
        resp_free(&fx->r[i]);
    free(fx->seen_body);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static void start_server(fixture *fx, const http_server_limits *lim)
{
    char err[256];
    int rc = http_server_start(&fx->loop, &fx->log, "127.0.0.1:0", lim, &fx->srv, err, sizeof err);
    if (rc != 0)
        fail_msg("start: %s", err);
    fx->port = http_server_port(fx->srv);
    assert_true(fx->port > 0);
}

/* ------------------------------------------------------------------------
 * Handlers (loop thread).
 */
static void h_health(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    http_exchange_respond(ex, 200, "text/plain", "ok", 2, NULL, 0);
}

static void h_record(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    snprintf(fx->seen_method, sizeof fx->seen_method, "%s", http_exchange_method(ex));
    snprintf(fx->seen_path, sizeof fx->seen_path, "%s", http_exchange_path(ex));
    snprintf(fx->seen_tail, sizeof fx->seen_tail, "%s", http_exchange_path_tail(ex));
    snprintf(fx->seen_query, sizeof fx->seen_query, "%s", http_exchange_query(ex));
    const char *sig = http_exchange_header(ex, "X-SIGNATURE");
    snprintf(fx->seen_sig, sizeof fx->seen_sig, "%s", sig ? sig : "(none)");
    snprintf(fx->seen_remote, sizeof fx->seen_remote, "%s", http_exchange_remote_addr(ex));
    size_t n = 0;
    const gw_http_header *hs = http_exchange_headers(ex, &n);
    fx->seen_lowercase_names = n > 0;
    for (size_t i = 0; i < n; i++) {
        for (const char *p = hs[i].name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                fx->seen_lowercase_names = 0;
    }
    size_t len = 0;
    const unsigned char *body = http_exchange_body(ex, &len);
    free(fx->seen_body);
    fx->seen_body = malloc(len + 1);
    memcpy(fx->seen_body, body, len + 1);
    fx->seen_body_len = len;
    gw_http_header extra[] = {{"X-Test", "yes"}};
    http_exchange_respond(ex, 200, "text/plain", "recorded", 8, extra, 1);
}

static void answer_all_held(fixture *fx)
{
    for (size_t i = 0; i < fx->held_count; i++) {
        json_t *body = json_pack("{s:b, s:i}", "ok", 1, "n", (int)i);
        http_exchange_respond_json(fx->held[i], 200, body);
    }
    fx->held_count = 0;
}

static void on_answer_timer(uv_timer_t *t)
{
    answer_all_held(t->data);
}

/* Holds the exchange; answers from a timer (async) or once release_at
 * exchanges are held at the same time. */
static void h_hold(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    assert_true(fx->held_count < MAX_HELD);
    fx->held[fx->held_count++] = ex;
    if (fx->held_count > fx->max_held)
        fx->max_held = fx->held_count;
    if (fx->release_at && fx->held_count >= fx->release_at)
        answer_all_held(fx);
    else if (fx->answer_timer_used)
        uv_timer_start(&fx->answer_timer, on_answer_timer, 100, 0);
}

static void h_hold_and_signal(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    fx->held[fx->held_count++] = ex;
    char one = 1;
    assert_int_equal(write(fx->signal_pipe[1], &one, 1), 1);
}

static void h_bad_header(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    gw_http_header extra[] = {{"X-Evil", "a\r\nSet-Cookie: x=1"}};
    http_exchange_respond(ex, 200, "text/plain", "no", 2, extra, 1);
}

static void on_close_timer(uv_timer_t *t)
{
    fixture *fx = t->data;
    http_server_close(fx->srv, on_server_closed, fx);
    fx->srv = NULL;
}

static void h_hold_then_close(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    fx->calls++;
    fx->held[fx->held_count++] = ex;
    /* Close from a later loop callback, as a signal handler would. */
    uv_timer_start(&fx->answer_timer, on_close_timer, 0, 0);
}

static void h_exact(void *arg, http_exchange *ex)
{
    (void)arg;
    http_exchange_respond(ex, 200, "text/plain", "exact", 5, NULL, 0);
}

static void h_prefix(void *arg, http_exchange *ex)
{
    (void)arg;
    const char *tail = http_exchange_path_tail(ex);
    http_exchange_respond(ex, 200, "text/plain", tail, strlen(tail), NULL, 0);
}

/* ------------------------------------------------------------------------
 * Tests.
 */
static void test_listen_strings_are_validated(void **state)
{
    fixture *fx = *state;
    const char *bad[] = {
        "",       "127.0.0.1",  "127.0.0.1:", "127.0.0.1:99999", "localhost:80", "[::1]80",
        "::1:80", "1.2.3.4:8x", "[::1]:",     "[zz]:80",         "1.2.3.4.5:80", ":8080"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        http_server *s = NULL;
        assert_int_equal(http_server_start(&fx->loop, &fx->log, bad[i], NULL, &s, err, sizeof err),
                         GW_EINVAL);
        assert_null(s);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        assert_non_null(strstr(err, quoted));
    }

    /* Limits out of range are refused too. */
    http_server_limits tiny = {.max_header_bytes = 100};
    char err[256];
    http_server *s = NULL;
    assert_int_equal(
        http_server_start(&fx->loop, &fx->log, "127.0.0.1:0", &tiny, &s, err, sizeof err),
        GW_EINVAL);

    /* IPv6 in brackets with an ephemeral port, where the host has ::1. */
    int rc = http_server_start(&fx->loop, &fx->log, "[::1]:0", NULL, &s, err, sizeof err);
    if (rc == GW_OK) {
        assert_true(http_server_port(s) > 0);
        http_server_close(s, on_server_closed, fx);
        run_until_closed(fx);
        fx->closed = 0;
    } else {
        assert_int_equal(rc, GW_EIO);
        assert_non_null(strstr(err, "[::1]:0"));
    }

    /* A port in use is reported with the address. */
    start_server(fx, NULL);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", fx->port);
    assert_int_equal(http_server_start(&fx->loop, &fx->log, addr, NULL, &s, err, sizeof err),
                     GW_EIO);
    assert_non_null(strstr(err, addr));
}

static void test_route_registration_rules(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/a/b", 0, h_exact, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "GET, POST", "/a/", 1, h_prefix, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "GET", "/a/b", 0, h_exact, fx), GW_EEXIST);
    assert_int_equal(http_server_route(fx->srv, "PUT", "/a/b", 0, h_exact, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "BREW", "/c", 0, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "", "/c", 0, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "GET,,POST", "/c", 0, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "GET", "c", 0, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/c", 1, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/c d", 0, h_exact, fx), GW_EINVAL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/c", 0, NULL, fx), GW_EINVAL);
}

static void client_routes(fixture *fx)
{
    cl_get(fx->port, "/a/b", &fx->r[0]);
    cl_get(fx->port, "/a/x/y%20z", &fx->r[1]);
    const char *del = "DELETE /a/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    cl_exchange(fx->port, del, strlen(del), &fx->r[2]);
    cl_get(fx->port, "/nothing/here", &fx->r[3]);
    const char *head = "HEAD /a/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    int fd = cl_connect(fx->port);
    if (fd >= 0) {
        cl_send_str(fd, head);
        cl_read_response(fd, &fx->r[4], 1);
        close(fd);
    }
}

static void test_routing_exact_prefix_404_405(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/a/b", 0, h_exact, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "PUT", "/a/b", 0, h_exact, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "GET,POST", "/a/", 1, h_prefix, fx), GW_OK);
    run_client(fx, client_routes);

    assert_int_equal(fx->r[0].status, 200);
    assert_string_equal((char *)fx->r[0].body, "exact");
    assert_int_equal(fx->r[1].status, 200);
    assert_string_equal((char *)fx->r[1].body, "x/y%20z"); /* raw, not decoded */

    /* Known path, other method: 405, JSON, Allow = every method that would
     * have been accepted at this path. */
    assert_json_error(&fx->r[2], 405, "method_not_allowed");
    char allow[64];
    assert_non_null(resp_header(&fx->r[2], "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD, POST, PUT");

    assert_json_error(&fx->r[3], 404, "not_found");

    /* GET implies HEAD; MHD sends headers only. */
    assert_int_equal(fx->r[4].status, 200);
    assert_int_equal(fx->r[4].body_len, 0);

    const http_server_stats *st = http_server_stats_get(fx->srv);
    assert_int_equal(st->responses_by_status[200], 3);
    assert_int_equal(st->responses_by_status[404], 1);
    assert_int_equal(st->responses_by_status[405], 1);
}

static void client_record_post(fixture *fx)
{
    char head[512];
    snprintf(head, sizeof head,
             "POST /hooks/acme/a%%20b?x=1&y=%%2F&flag HTTP/1.1\r\nHost: t\r\n"
             "X-Signature: sha256=abc\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             fx->payload_len);
    size_t hlen = strlen(head);
    unsigned char *req = malloc(hlen + fx->payload_len);
    memcpy(req, head, hlen);
    memcpy(req + hlen, fx->payload, fx->payload_len);
    cl_exchange(fx->port, req, hlen + fx->payload_len, &fx->r[0]);
    free(req);
}

static unsigned char *binary_payload(size_t len)
{
    unsigned char *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)((i * 7u + i / 256u) & 0xff); /* NULs every 256 bytes, and more */
    p[0] = 0;
    p[len - 1] = 0;
    return p;
}

static void test_immediate_answer_and_exact_binary_body(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);
    unsigned char *payload = binary_payload(70000);
    fx->payload = payload;
    fx->payload_len = 70000;
    run_client(fx, client_record_post);

    assert_int_equal(fx->r[0].status, 200);
    assert_string_equal((char *)fx->r[0].body, "recorded");
    char v[64];
    assert_non_null(resp_header(&fx->r[0], "X-Test", v, sizeof v));
    assert_string_equal(v, "yes");

    assert_int_equal(fx->calls, 1);
    assert_string_equal(fx->seen_method, "POST");
    assert_string_equal(fx->seen_path, "/hooks/acme/a%20b");
    assert_string_equal(fx->seen_tail, "acme/a%20b");
    assert_string_equal(fx->seen_query, "x=1&y=%2F&flag");
    assert_string_equal(fx->seen_sig, "sha256=abc");
    assert_string_equal(fx->seen_remote, "127.0.0.1");
    assert_true(fx->seen_lowercase_names);
    assert_int_equal(fx->seen_body_len, 70000);
    assert_memory_equal(fx->seen_body, payload, 70000);
    free(payload);
}

static void client_chunked(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "POST /hooks/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                    "Connection: close\r\n\r\n");
    size_t off = 0;
    while (off < fx->payload_len) {
        size_t n = fx->payload_len - off < 1000 ? fx->payload_len - off : 1000;
        char size_line[32];
        snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        cl_send_str(fd, size_line);
        cl_send(fd, fx->payload + off, n);
        cl_send_str(fd, "\r\n");
        off += n;
    }
    cl_send_str(fd, "0\r\n\r\n");
    cl_read_response(fd, &fx->r[0], 0);
    close(fd);
}

static void test_chunked_body_reaches_handler_exactly(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);
    unsigned char *payload = binary_payload(5500);
    fx->payload = payload;
    fx->payload_len = 5500;
    run_client(fx, client_chunked);
    assert_int_equal(fx->r[0].status, 200);
    assert_int_equal(fx->seen_body_len, 5500);
    assert_memory_equal(fx->seen_body, payload, 5500);
    free(payload);
}

static void client_async(fixture *fx)
{
    uint64_t t0 = now_ms();
    cl_get(fx->port, "/later", &fx->r[0]);
    fx->waited_ms[0] = (long)(now_ms() - t0);
}

static void test_async_answer_from_a_timer(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/later", 0, h_hold, fx), GW_OK);
    fx->answer_timer_used = 1; /* h_hold answers 100 ms later */
    run_client(fx, client_async);
    assert_int_equal(fx->calls, 1);
    assert_int_equal(fx->r[0].status, 200);
    assert_true(fx->waited_ms[0] >= 90);
    json_t *doc = json_loadb((const char *)fx->r[0].body, fx->r[0].body_len, 0, NULL);
    assert_non_null(doc);
    assert_true(json_is_true(json_object_get(doc, "ok")));
    json_decref(doc);
}

static void client_big_content_length(fixture *fx)
{
    /* Headers only: a client using Expect would wait for our verdict. */
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "POST /hooks/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
    cl_read_response(fd, &fx->r[0], 0);
    close(fd);
}

static void client_big_chunked(fixture *fx)
{
    unsigned char *p = binary_payload(3000);
    fx->payload = p;
    fx->payload_len = 3000;
    client_chunked(fx);
    free(p);
    fx->payload = NULL;
}

static void test_body_over_limit_is_413_and_never_handled(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.max_body_bytes = 1024};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);

    run_client(fx, client_big_content_length);
    assert_json_error(&fx->r[0], 413, "body_too_large");
    assert_int_equal(fx->calls, 0);

    resp_free(&fx->r[0]);
    run_client(fx, client_big_chunked);
    assert_json_error(&fx->r[0], 413, "body_too_large");
    assert_int_equal(fx->calls, 0);

    assert_int_equal(http_server_stats_get(fx->srv)->rejected_body_too_large, 2);
}

static void client_headers(fixture *fx)
{
    size_t sizes[3] = {1900, 2100, 20000};
    for (int i = 0; i < 3; i++) {
        char *req = malloc(sizes[i] + 256);
        int n = snprintf(req, 256,
                         "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                         "X-Big: ");
        memset(req + n, 'a', sizes[i]);
        memcpy(req + n + sizes[i], "\r\n\r\n", 5);
        cl_exchange(fx->port, req, strlen(req), &fx->r[i]);
        free(req);
    }
}

static void test_headers_over_limit_get_431(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.max_header_bytes = 2048};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_headers);
    assert_int_equal(fx->r[0].status, 200);                 /* ~1990 bytes: within 2048 */
    assert_json_error(&fx->r[1], 431, "headers_too_large"); /* ~2190 bytes: ours */
    /* Far beyond: refused as soon as the limit is passed, without waiting
     * for the head's end, with the same JSON answer. */
    assert_json_error(&fx->r[2], 431, "headers_too_large");
    assert_int_equal(fx->calls, 1);
    assert_int_equal(http_server_stats_get(fx->srv)->rejected_header_too_large, 2);
    assert_int_equal(http_server_stats_get(fx->srv)->responses_by_status[431], 2);
}

static void client_malformed(fixture *fx)
{
    const char *absolute = "GET http://example.com/health HTTP/1.1\r\nHost: t\r\n"
                           "Connection: close\r\n\r\n";
    cl_exchange(fx->port, absolute, strlen(absolute), &fx->r[0]);
    const char *no_host = "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n";
    cl_exchange(fx->port, no_host, strlen(no_host), &fx->r[1]);
    const char *bad_length = "POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 12x\r\n\r\n";
    cl_exchange(fx->port, bad_length, strlen(bad_length), &fx->r[2]);
    cl_get(fx->port, "/bad-answer", &fx->r[3]);
    /* Framing a proxy might read differently: refused, connection closed. */
    const char *spaced = "POST /health HTTP/1.1\r\nHost: t\r\nContent-Length : 5\r\n\r\nhello";
    cl_exchange(fx->port, spaced, strlen(spaced), &fx->r[4]);
    const char *both = "POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    cl_exchange(fx->port, both, strlen(both), &fx->r[5]);
    const char *gzip = "POST /health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nxx";
    cl_exchange(fx->port, gzip, strlen(gzip), &fx->r[6]);
    const char *space_in_target = "GET /health x HTTP/1.1\r\nHost: t\r\n\r\n";
    cl_exchange(fx->port, space_in_target, strlen(space_in_target), &fx->r[7]);
}

static void test_malformed_requests_get_400(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET,POST", "/health", 0, h_health, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "GET", "/bad-answer", 0, h_bad_header, fx), GW_OK);
    run_client(fx, client_malformed);
    /* Ours, as JSON: not a path; HTTP/1.1 without Host. */
    assert_json_error(&fx->r[0], 400, "bad_request");
    assert_json_error(&fx->r[1], 400, "bad_request");
    /* MHD's own 400 (it parses Content-Length before we see the request):
     * only the status line is dependable, see docs/design.md. */
    assert_int_equal(fx->r[2].status, 400);
    /* A handler's invalid header becomes a 500, never header injection. */
    assert_json_error(&fx->r[3], 500, "internal_error");
    assert_null(strstr(fx->r[3].head, "Set-Cookie"));
    assert_json_error(&fx->r[4], 400, "bad_request");
    char conn[32];
    assert_non_null(resp_header(&fx->r[4], "Connection", conn, sizeof conn));
    assert_string_equal(conn, "close"); /* "hello" is never read as a request */
    assert_json_error(&fx->r[5], 400, "bad_request");
    assert_json_error(&fx->r[6], 501, "unsupported_transfer_encoding");
    assert_json_error(&fx->r[7], 400, "bad_request");
    assert_int_equal(fx->calls, 1);
}

/* NUL bytes hidden from MHD's C strings, and heads that must still pass:
 * bare LF, empty and blank values, trailing blanks, a query. */
static const struct {
    const char *raw;
    size_t len;
    int status;
} nul_cases[] = {
#define RAW(s, status)                                                                             \
    {                                                                                              \
        s, sizeof s - 1, status                                                                    \
    }
    RAW("GET /health\0junk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health%00 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health?x=%00 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\0\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nX-A:\0 a\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-A: \0\r\n\r\n", 400),
    RAW("GE\0T /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\0\r\n\r\n", 400),
    /* obs-fold: RFC 9112 lets a server refuse it, and it is refused. */
    RAW("GET /health HTTP/1.1\r\nHost: t\r\nX-F: a\r\n b\r\nConnection: close\r\n\r\n", 400),
    RAW("GET /health?a=b&c=%41+x HTTP/1.1\r\nHost: t\r\nX-T: v \t \r\nX-E:\r\nX-S:   \r\n"
        "Connection: close\r\n\r\n",
        200),
    RAW("GET   /health HTTP/1.1\nHost: t\nX-E:\nConnection: close\n\n", 200),
    RAW("\r\nGET /health HTTP/1.0\r\n\r\n", 200),
    RAW("GET /health HTTP/1.0\n\n", 200),
#undef RAW
};
#define NUL_CASES (sizeof nul_cases / sizeof nul_cases[0])

static void client_nul(fixture *fx)
{
    for (size_t i = 0; i < NUL_CASES; i++)
        cl_exchange(fx->port, nul_cases[i].raw, nul_cases[i].len, &fx->r[i]);
}

static void test_nul_bytes_in_the_head_get_400(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_nul);
    int ok = 0;
    for (size_t i = 0; i < NUL_CASES; i++) {
        if (nul_cases[i].status == 400) {
            assert_json_error(&fx->r[i], 400, "bad_request");
        } else {
            assert_int_equal(fx->r[i].status, nul_cases[i].status);
            ok++;
        }
    }
    /* A refused head never reaches the handler. */
    assert_int_equal(fx->calls, ok);
}

static void client_one_get(fixture *fx)
{
    cl_get(fx->port, "/never", &fx->r[0]);
}

static void test_handler_too_slow_gets_503_and_late_respond_is_safe(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.request_timeout_ms = 200};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET", "/never", 0, h_hold, fx), GW_OK);
    run_client(fx, client_one_get);
    assert_json_error(&fx->r[0], 503, "handler_timeout");
    assert_int_equal(fx->held_count, 1);
    /* The handler still owns its reference; the answer would be dropped. */
    assert_true(http_exchange_expired(fx->held[0]));
    assert_string_equal(http_exchange_path(fx->held[0]), "/never");
    http_exchange_respond_error(fx->held[0], 200, "late", "too late");
    fx->held_count = 0;
    assert_int_equal(http_server_stats_get(fx->srv)->handler_timeouts, 1);
}

typedef struct slow_result {
    int port;
    long closed_after_ms;
    int got_bytes;
} slow_result;

static void *slow_loris(void *arg)
{
    slow_result *res = arg;
    res->closed_after_ms = -1;
    int fd = cl_connect(res->port);
    if (fd < 0)
        return NULL;
    const char *req =
        "GET /health HTTP/1.1\r\nHost: t\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    uint64_t t0 = now_ms();
    for (size_t i = 0; req[i] && res->closed_after_ms < 0; i++) {
        if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1) {
            res->closed_after_ms = (long)(now_ms() - t0);
            break;
        }
        /* One byte per 100 ms, watching for the server's close meanwhile. */
        int got = 0;
        if (cl_wait_closed(fd, 100, &got) >= 0)
            res->closed_after_ms = (long)(now_ms() - t0);
        res->got_bytes |= got;
    }
    close(fd);
    return NULL;
}

static void client_slow_loris(fixture *fx)
{
    slow_result res = {fx->port, -1, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, slow_loris, &res) != 0)
        return;
    /* Others are served meanwhile, promptly. */
    long worst = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t t0 = now_ms();
        cl_get(fx->port, "/health", &fx->r[i]);
        long took = (long)(now_ms() - t0);
        if (took > worst)
            worst = took;
        usleep(150 * 1000);
    }
    pthread_join(t, NULL);
    fx->waited_ms[0] = res.closed_after_ms;
    fx->waited_ms[1] = worst;
    fx->flags[0] = res.got_bytes;
}

static void test_slow_loris_is_cut_while_others_are_served(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.receive_timeout_ms = 1000, .idle_timeout_s = 30};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_slow_loris);
    for (int i = 0; i < 8; i++)
        assert_int_equal(fx->r[i].status, 200);
    assert_true(fx->waited_ms[1] < 800);
    /* Cut after about 1 s, long before its 8 s of headers ended. */
    assert_true(fx->waited_ms[0] >= 900);
    assert_true(fx->waited_ms[0] < 3000);
    assert_false(fx->flags[0]); /* no answer: MHD cannot send one before the headers */
    assert_int_equal(fx->calls, 8);
    assert_true(http_server_stats_get(fx->srv)->receive_timeouts >= 1);
}

static void client_idle(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "GET /health HTTP/1.1\r\n"); /* then silence */
    fx->waited_ms[0] = cl_wait_closed(fd, 5000, &fx->flags[0]);
    close(fd);
}

static void test_idle_connection_is_closed_without_answer(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.idle_timeout_s = 1, .receive_timeout_ms = 10000};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_idle);
    assert_true(fx->waited_ms[0] >= 800);
    assert_true(fx->waited_ms[0] < 3500);
    assert_false(fx->flags[0]); /* MHD 0.9.75 closes; it sends no 408 */
    assert_int_equal(fx->calls, 0);
    assert_int_equal(http_server_stats_get(fx->srv)->idle_timeouts, 1);
}

typedef struct par_arg {
    int port;
    response *r;
} par_arg;

static void *one_client(void *arg)
{
    par_arg *a = arg;
    cl_get(a->port, "/async", a->r);
    return NULL;
}

static void client_fifty(fixture *fx)
{
    pthread_t t[FIFTY];
    par_arg args[FIFTY];
    int started[FIFTY] = {0};
    for (int i = 0; i < FIFTY; i++) {
        args[i] = (par_arg){fx->port, &fx->r[i]};
        started[i] = pthread_create(&t[i], NULL, one_client, &args[i]) == 0;
    }
    for (int i = 0; i < FIFTY; i++) {
        if (started[i])
            pthread_join(t[i], NULL);
    }
}

static void test_fifty_concurrent_clients_all_answered(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/async", 0, h_hold, fx), GW_OK);
    fx->release_at = FIFTY; /* every exchange waits until all 50 are held */
    run_client(fx, client_fifty);
    for (int i = 0; i < FIFTY; i++)
        assert_int_equal(fx->r[i].status, 200);
    assert_int_equal(fx->calls, FIFTY);
    assert_int_equal(fx->max_held, FIFTY);
    assert_int_equal(http_server_stats_get(fx->srv)->responses_by_status[200], FIFTY);
}

static void client_limit(fixture *fx)
{
    int c1 = cl_connect(fx->port);
    int c2 = cl_connect(fx->port);
    int c3 = cl_connect(fx->port); /* accepted by the kernel, refused by the server */
    if (c1 < 0 || c2 < 0 || c3 < 0)
        return;
    cl_send_str(c1, "GET /health HTTP/1.1\r\nHost: t\r\n");
    cl_send_str(c2, "GET /health HTTP/1.1\r\nHost: t\r\n");
    fx->waited_ms[0] = cl_wait_closed(c3, 3000, &fx->flags[0]);
    close(c3);
    /* The two admitted connections still work. */
    cl_send_str(c1, "Connection: close\r\n\r\n");
    cl_send_str(c2, "Connection: close\r\n\r\n");
    cl_read_response(c1, &fx->r[0], 0);
    cl_read_response(c2, &fx->r[1], 0);
    close(c1);
    close(c2);
    /* Once they are gone, a slot is free again; retry while the server
     * notices the closes. */
    for (int i = 0; i < 20 && fx->r[2].status != 200; i++) {
        resp_free(&fx->r[2]);
        cl_get(fx->port, "/health", &fx->r[2]);
        if (fx->r[2].status != 200)
            usleep(50 * 1000);
    }
}

static void test_connection_limit_refuses_extra_connections(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.max_connections = 2};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_limit);
    assert_true(fx->waited_ms[0] >= 0); /* closed promptly, not left hanging */
    assert_false(fx->flags[0]);
    assert_int_equal(fx->r[0].status, 200);
    assert_int_equal(fx->r[1].status, 200);
    assert_int_equal(fx->r[2].status, 200);
    assert_true(http_server_stats_get(fx->srv)->connections_refused >= 1);
}

static void client_close_pending(fixture *fx)
{
    cl_get(fx->port, "/hold", &fx->r[0]);
    /* The listen socket is closed by now. */
    int fd = cl_connect(fx->port);
    fx->flags[0] = fd < 0;
    if (fd >= 0)
        close(fd);
}

static void test_close_answers_pending_exchange_503(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/hold", 0, h_hold_then_close, fx), GW_OK);
    run_client(fx, client_close_pending);
    assert_json_error(&fx->r[0], 503, "shutting_down");
    char conn[32];
    assert_non_null(resp_header(&fx->r[0], "Connection", conn, sizeof conn));
    assert_string_equal(conn, "close");
    assert_true(fx->flags[0]);
    run_until_closed(fx);
    assert_true(fx->closed);
    /* The handler answers after the server is gone: safe, and frees. */
    assert_int_equal(fx->held_count, 1);
    assert_true(http_exchange_expired(fx->held[0]));
    http_exchange_respond_error(fx->held[0], 200, "late", "after close");
    fx->held_count = 0;
}

static int request_finished(fixture *fx)
{
    const http_server_stats *st = http_server_stats_get(fx->srv);
    return st->responses_by_status[200] + st->aborted > 0;
}

static void client_gone_while_suspended(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    struct pollfd p = {fx->signal_pipe[0], POLLIN, 0};
    fx->flags[0] = poll(&p, 1, SOCKET_TIMEOUT_S * 1000) == 1;
    close(fd); /* gone while the handler holds the exchange */
}

static void test_client_gone_while_suspended_then_respond_is_safe(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(pipe(fx->signal_pipe), 0);
    assert_int_equal(http_server_route(fx->srv, "GET", "/hold", 0, h_hold_and_signal, fx), GW_OK);
    run_client(fx, client_gone_while_suspended);
    assert_true(fx->flags[0]);
    assert_int_equal(fx->held_count, 1);
    /* MHD does not watch a suspended socket, so the exchange still looks
     * alive; the answer goes to a dead socket and the request completes. */
    http_exchange_respond(fx->held[0], 200, "text/plain", "late", 4, NULL, 0);
    fx->held_count = 0;
    run_until(fx, request_finished);
    close(fx->signal_pipe[0]);
    close(fx->signal_pipe[1]);
}

static void client_keep_alive(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++) {
        cl_send_str(fd, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        cl_read_response(fd, &fx->r[i], 0);
    }
    cl_send_str(fd, "POST /hooks/k HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    cl_read_response(fd, &fx->r[3], 0);
    cl_send_str(fd, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    cl_read_response(fd, &fx->r[4], 0);
    cl_send_str(fd, "GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
    cl_read_response(fd, &fx->r[5], 0);
    close(fd);
}

static void test_keep_alive_serves_several_requests(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "GET", "/later", 0, h_hold, fx), GW_OK);
    fx->answer_timer_used = 1;
    run_client(fx, client_keep_alive);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fx->r[i].status, 200);
        assert_false(fx->r[i].closed);
    }
    assert_int_equal(fx->r[3].status, 200);
    assert_int_equal(fx->seen_body_len, 5);
    assert_memory_equal(fx->seen_body, "hello", 5);
    assert_json_error(&fx->r[4], 404, "not_found");
    assert_int_equal(fx->r[5].status, 200); /* async answer on a kept-alive connection */
    assert_int_equal(http_server_stats_get(fx->srv)->connections_accepted, 1);
}

/* ------------------------------------------------------------------------
 * Framing the server does itself: pipelining, Expect, versions, limits.
 */
static void client_pipelined(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    /* Three requests in one send: each answered, in order. */
    cl_send_str(fd, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"
                    "POST /hooks/p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                    "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 3; i++)
        cl_read_response(fd, &fx->r[i], 0);
    fx->waited_ms[0] = cl_wait_closed(fd, 5000, &fx->flags[0]);
    close(fd);
}

static void test_pipelined_requests_are_answered_in_order(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/health", 0, h_health, fx), GW_OK);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);
    run_client(fx, client_pipelined);
    assert_int_equal(fx->r[0].status, 200);
    assert_string_equal((char *)fx->r[0].body, "ok");
    assert_int_equal(fx->r[1].status, 200);
    assert_string_equal((char *)fx->r[1].body, "recorded");
    assert_int_equal(fx->r[2].status, 200);
    char conn[32];
    assert_non_null(resp_header(&fx->r[2], "Connection", conn, sizeof conn));
    assert_string_equal(conn, "close");
    assert_true(fx->waited_ms[0] >= 0); /* then the server closed */
    assert_false(fx->flags[0]);
    assert_int_equal(fx->calls, 3);
    assert_int_equal(fx->seen_body_len, 5);
    assert_memory_equal(fx->seen_body, "hello", 5);
}

static void client_expect(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "POST /hooks/e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                    "Expect: 100-continue\r\nConnection: close\r\n\r\n");
    /* The interim answer first, before any body byte was sent. */
    char interim[64] = "";
    size_t got = 0;
    while (got + 1 < sizeof interim && strstr(interim, "\r\n\r\n") == NULL) {
        ssize_t n = recv(fd, interim + got, 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        interim[got] = '\0';
    }
    fx->flags[0] = strcmp(interim, "HTTP/1.1 100 Continue\r\n\r\n") == 0;
    cl_send_str(fd, "hello");
    cl_read_response(fd, &fx->r[0], 0);
    close(fd);
}

static void test_expect_100_continue_gets_the_interim_answer(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "POST", "/hooks/", 1, h_record, fx), GW_OK);
    run_client(fx, client_expect);
    assert_true(fx->flags[0]);
    assert_int_equal(fx->r[0].status, 200);
    assert_int_equal(fx->seen_body_len, 5);
    assert_memory_equal(fx->seen_body, "hello", 5);
}

static void client_versions(fixture *fx)
{
    const char *h2 = "GET /health HTTP/2.0\r\nHost: t\r\n\r\n";
    cl_exchange(fx->port, h2, strlen(h2), &fx->r[0]);
    char *line = malloc(4096);
    memcpy(line, "GET /", 5);
    memset(line + 5, 'a', 3000);
    strcpy(line + 3005, " HTTP/1.1\r\nHost: t\r\n\r\n");
    cl_exchange(fx->port, line, strlen(line), &fx->r[1]);
    free(line);
    const char *bad_chunk = "POST /health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                            "\r\nzz\r\n";
    cl_exchange(fx->port, bad_chunk, strlen(bad_chunk), &fx->r[2]);
    const char *head = "HEAD /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    int fd = cl_connect(fx->port);
    if (fd >= 0) {
        cl_send_str(fd, head);
        cl_read_response(fd, &fx->r[3], 1);
        fx->waited_ms[0] = cl_wait_closed(fd, 5000, &fx->flags[0]);
        close(fd);
    }
}

static void test_versions_long_lines_and_bad_chunks_get_json_errors(void **state)
{
    fixture *fx = *state;
    http_server_limits lim = {.max_header_bytes = 2048};
    start_server(fx, &lim);
    assert_int_equal(http_server_route(fx->srv, "GET,POST", "/health", 0, h_health, fx), GW_OK);
    run_client(fx, client_versions);
    assert_json_error(&fx->r[0], 505, "http_version_not_supported");
    assert_json_error(&fx->r[1], 414, "uri_too_long");
    assert_json_error(&fx->r[2], 400, "bad_request");
    /* HEAD: GET's headers, Content-Length included, and no body at all. */
    assert_int_equal(fx->r[3].status, 200);
    char len[16];
    assert_non_null(resp_header(&fx->r[3], "Content-Length", len, sizeof len));
    assert_string_equal(len, "2");
    assert_false(fx->flags[0]);
    assert_int_equal(fx->calls, 1);
    assert_int_equal(http_server_stats_get(fx->srv)->rejected_header_too_large, 1);
}

static void client_half_close(fixture *fx)
{
    int fd = cl_connect(fx->port);
    if (fd < 0)
        return;
    cl_send_str(fd, "GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
    shutdown(fd, SHUT_WR); /* done sending; still reading */
    cl_read_response(fd, &fx->r[0], 0);
    fx->waited_ms[0] = cl_wait_closed(fd, 5000, &fx->flags[0]);
    close(fd);
}

/* A client that shuts its sending side after the request (nc -N does)
 * still gets its answer, given while the server already saw the EOF;
 * then the connection is closed. */
static void test_a_half_closed_client_still_gets_its_answer(void **state)
{
    fixture *fx = *state;
    start_server(fx, NULL);
    assert_int_equal(http_server_route(fx->srv, "GET", "/later", 0, h_hold, fx), GW_OK);
    fx->answer_timer_used = 1; /* h_hold answers 100 ms later */
    run_client(fx, client_half_close);
    assert_int_equal(fx->r[0].status, 200);
    assert_true(fx->waited_ms[0] >= 0);
    assert_false(fx->flags[0]);
    assert_int_equal(http_server_stats_get(fx->srv)->responses_by_status[200], 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* see http_server.h, "Signals" */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listen_strings_are_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_route_registration_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing_exact_prefix_404_405, setup, teardown),
        cmocka_unit_test_setup_teardown(test_immediate_answer_and_exact_binary_body, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chunked_body_reaches_handler_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_answer_from_a_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_over_limit_is_413_and_never_handled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_headers_over_limit_get_431, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_bytes_in_the_head_get_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_requests_get_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_too_slow_gets_503_and_late_respond_is_safe,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_loris_is_cut_while_others_are_served, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_connection_is_closed_without_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fifty_concurrent_clients_all_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connection_limit_refuses_extra_connections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_answers_pending_exchange_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_serves_several_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_gone_while_suspended_then_respond_is_safe,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_requests_are_answered_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expect_100_continue_gets_the_interim_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_versions_long_lines_and_bad_chunks_get_json_errors,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_half_closed_client_still_gets_its_answer, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
