/* test_http_stream.c - streamed answers of the embedded HTTP server
 * (http_exchange_respond_stream, http_stream_*) over loopback sockets.
 *
 * The server runs on a uv loop in the main thread; each test's client runs
 * in a helper thread with blocking sockets (timeouts bound every wait), and
 * the loop runs until a condition holds, under a watchdog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "base/log.h"
#include "gateway/error.h"
#include "http/http_server.h"

#define WATCHDOG_MS 20000

typedef struct fixture {
    uv_loop_t loop;
    logger log;
    http_server *srv;
    int port;
    uv_timer_t watchdog, later;
    uv_prepare_t until;
    int (*cond)(struct fixture *);
    int watchdog_fired, server_closed;
    pthread_t thread;
    int thread_running;

    /* handler side */
    http_stream *st;
    size_t max_buffered;
    int opened, closes, drains;
    int write_rc[4];
    const char *later_action; /* what the timer does: "write-end", "write" */

    /* client side (read after the thread ended) */
    char got[65536];
    size_t got_len;
    int eof;
    int hangup_early; /* the client leaves right after the head */
} fixture;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- client thread ------------------------------------------------------ */

static void *client_main(void *arg)
{
    fixture *fx = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return NULL;
    }
    const char req[] = "GET /s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    (void)!send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
    for (;;) {
        ssize_t n = recv(fd, fx->got + fx->got_len, sizeof fx->got - 1 - fx->got_len, 0);
        if (n <= 0) {
            fx->eof = n == 0 || errno == ECONNRESET;
            break;
        }
        fx->got_len += (size_t)n;
        fx->got[fx->got_len] = '\0';
        if (fx->hangup_early && strstr(fx->got, "\r\n\r\n"))
            break;
    }
    close(fd);
    return NULL;
}

static void start_client(fixture *fx)
{
    assert_int_equal(pthread_create(&fx->thread, NULL, client_main, fx), 0);
    fx->thread_running = 1;
}

static void join_client(fixture *fx)
{
    if (fx->thread_running)
        pthread_join(fx->thread, NULL);
    fx->thread_running = 0;
}

/* The chunked body of what arrived, decoded; NULL when malformed. */
static char *dechunk(const char *raw, int *complete)
{
    const char *p = strstr(raw, "\r\n\r\n");
    *complete = 0;
    if (p == NULL)
        return NULL;
    p += 4;
    char *out = calloc(1, strlen(p) + 1);
    size_t o = 0;
    for (;;) {
        char *end;
        unsigned long n = strtoul(p, &end, 16);
        if (end == p || strncmp(end, "\r\n", 2) != 0)
            break; /* torn */
        p = end + 2;
        if (n == 0) {
            *complete = strncmp(p, "\r\n", 2) == 0;
            break;
        }
        if (strlen(p) < n + 2)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n + 2;
    }
    return out;
}

/* ---- loop side --------------------------------------------------------- */

static void on_watchdog(uv_timer_t *t)
{
    fixture *fx = t->data;
    fx->watchdog_fired = 1;
    uv_stop(t->loop);
}

static void on_until(uv_prepare_t *p)
{
    fixture *fx = p->data;
    if (fx->cond(fx))
        uv_stop(p->loop);
}

static void run_until(fixture *fx, int (*cond)(fixture *))
{
    fx->cond = cond;
    uv_prepare_start(&fx->until, on_until);
    uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
    if (!cond(fx))
        uv_run(&fx->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&fx->watchdog);
    uv_prepare_stop(&fx->until);
    assert_false(fx->watchdog_fired);
}

static void on_drain(void *arg, http_stream *st)
{
    (void)st;
    ((fixture *)arg)->drains++;
}

static void on_close(void *arg, http_stream *st)
{
    fixture *fx = arg;
    assert_ptr_equal(st, fx->st);
    fx->closes++;
    fx->st = NULL;
}

static void on_later(uv_timer_t *t)
{
    fixture *fx = t->data;
    if (fx->st == NULL)
        return;
    if (strcmp(fx->later_action, "write-end") == 0) {
        fx->write_rc[1] = http_stream_write(fx->st, "world\n", 6);
        http_stream_end(fx->st);
        fx->write_rc[2] = http_stream_write(fx->st, "late", 4); /* after end */
    } else {
        fx->write_rc[1] = http_stream_write(fx->st, "ping\n", 5);
        uv_timer_start(&fx->later, on_later, 20, 0); /* until the client is noticed gone */
    }
}

static void h_stream(void *arg, http_exchange *ex)
{
    fixture *fx = arg;
    static const http_stream_callbacks cbs = {.on_drain = on_drain, .on_close = on_close};
    static const gw_http_header hdr[] = {{"Cache-Control", "no-cache"}};
    fx->st = http_exchange_respond_stream(ex, 200, "text/event-stream", hdr, 1, fx->max_buffered,
                                          &cbs, fx);
    assert_non_null(fx->st);
    fx->opened++;
    fx->write_rc[0] = http_stream_write(fx->st, "hello\n", 6);
    if (fx->later_action)
        uv_timer_start(&fx->later, on_later, 50, 0);
}

static void on_server_closed(void *arg)
{
    ((fixture *)arg)->server_closed = 1;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    uv_timer_init(&fx->loop, &fx->watchdog);
    uv_timer_init(&fx->loop, &fx->later);
    uv_prepare_init(&fx->loop, &fx->until);
    fx->watchdog.data = fx->later.data = fx->until.data = fx;
    fx->log.level = getenv("GW_TEST_DEBUG") ? GW_LOG_DEBUG : GW_LOG_ERROR;
    fx->log.out = stderr;
    char err[256];
    assert_int_equal(GW_OK, http_server_start(&fx->loop, &fx->log, "127.0.0.1:0", NULL, &fx->srv,
                                              err, sizeof err));
    fx->port = http_server_port(fx->srv);
    assert_int_equal(GW_OK, http_server_route(fx->srv, "GET", "/s", 0, h_stream, fx));
    *state = fx;
    return 0;
}

static int is_server_closed(fixture *fx)
{
    return fx->server_closed;
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->srv) {
        http_server_close(fx->srv, on_server_closed, fx);
        fx->srv = NULL;
        run_until(fx, is_server_closed);
    }
    join_client(fx);
    uv_close((uv_handle_t *)&fx->watchdog, on_handle_closed);
    uv_close((uv_handle_t *)&fx->later, on_handle_closed);
    uv_close((uv_handle_t *)&fx->until, on_handle_closed);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&fx->loop);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static int stream_closed(fixture *fx)
{
    return fx->closes > 0;
}

static int stream_open(fixture *fx)
{
    return fx->opened > 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_writes_arrive_in_order_and_end_completes_the_chunked_body(void **state)
{
    fixture *fx = *state;
    fx->later_action = "write-end";
    start_client(fx);
    run_until(fx, stream_closed);
    join_client(fx);
    assert_int_equal(1, fx->closes);
    assert_int_equal(GW_OK, fx->write_rc[0]);
    assert_int_equal(GW_OK, fx->write_rc[1]);
    assert_int_equal(GW_ESTATE, fx->write_rc[2]);
    assert_non_null(strstr(fx->got, "HTTP/1.1 200"));
    assert_non_null(strstr(fx->got, "Content-Type: text/event-stream"));
    assert_non_null(strstr(fx->got, "Transfer-Encoding: chunked"));
    int complete = 0;
    char *body = dechunk(fx->got, &complete);
    assert_string_equal("hello\nworld\n", body);
    assert_true(complete);
    free(body);
}

static void test_bound_refuses_a_write_and_cut_closes_the_connection(void **state)
{
    fixture *fx = *state;
    fx->max_buffered = 4096;
    start_client(fx);
    run_until(fx, stream_open);
    static char big[4000];
    memset(big, 'x', sizeof big);
    /* "hello\n" is buffered (or sent); 4000 more may fit, 8000 never. */
    int rc = http_stream_write(fx->st, big, sizeof big);
    assert_true(rc == GW_OK || rc == GW_ERANGE);
    assert_int_equal(GW_ERANGE, http_stream_write(fx->st, big, sizeof big));
    assert_int_equal(GW_ERANGE, http_stream_write(fx->st, big, 2 * sizeof big));
    assert_true(http_stream_buffered(fx->st) <= 4096);
    http_stream_cut(fx->st);
    http_stream_cut(fx->st); /* idempotent */
    run_until(fx, stream_closed);
    join_client(fx);
    assert_int_equal(1, fx->closes);
    assert_true(fx->eof);
    int complete = 1;
    free(dechunk(fx->got, &complete));
    assert_false(complete); /* cut: no terminating chunk */
}

static int stream_empty(fixture *fx)
{
    return fx->st != NULL && http_stream_buffered(fx->st) == 0;
}

static void test_an_empty_buffer_takes_one_write_larger_than_the_bound(void **state)
{
    fixture *fx = *state;
    fx->max_buffered = 4096;
    start_client(fx);
    run_until(fx, stream_open);
    run_until(fx, stream_empty); /* "hello\n" went out */
    static char big[10000];
    memset(big, 'z', sizeof big);
    assert_int_equal(GW_OK, http_stream_write(fx->st, big, sizeof big));
    assert_int_equal(GW_ERANGE, http_stream_write(fx->st, "x", 1));
    http_stream_end(fx->st);
    run_until(fx, stream_closed);
    join_client(fx);
    int complete = 0;
    char *body = dechunk(fx->got, &complete);
    assert_true(complete);
    assert_int_equal(6 + sizeof big, strlen(body));
    free(body);
}

static void test_client_gone_is_noticed_by_the_next_write(void **state)
{
    fixture *fx = *state;
    fx->hangup_early = 1;
    fx->later_action = "write";
    start_client(fx);
    run_until(fx, stream_closed);
    join_client(fx);
    assert_int_equal(1, fx->closes);
}

/* Nothing is written after "hello": the server notices the client leave
 * from the connection itself, so an idle stream is not left open until
 * its next keep-alive write. */
static void test_client_gone_from_an_idle_stream_is_noticed_without_a_write(void **state)
{
    fixture *fx = *state;
    fx->hangup_early = 1;
    start_client(fx);
    run_until(fx, stream_closed);
    join_client(fx);
    assert_int_equal(1, fx->closes);
    assert_int_equal(GW_OK, fx->write_rc[0]);
}

static void test_server_close_ends_open_streams_without_waiting_for_the_drain(void **state)
{
    fixture *fx = *state;
    start_client(fx);
    run_until(fx, stream_open);
    uint64_t t0 = now_ms();
    http_server_close(fx->srv, on_server_closed, fx);
    fx->srv = NULL;
    run_until(fx, is_server_closed);
    assert_true(now_ms() - t0 < 1500); /* the drain's grace is 2 s */
    join_client(fx);
    assert_int_equal(1, fx->closes);
    int complete = 0;
    char *body = dechunk(fx->got, &complete);
    assert_string_equal("hello\n", body);
    assert_true(complete);
    free(body);
}

static int drained(fixture *fx)
{
    return fx->drains > 0;
}

static void test_on_drain_after_the_buffer_empties_below_low_water(void **state)
{
    fixture *fx = *state;
    fx->max_buffered = 8192;
    start_client(fx);
    run_until(fx, stream_open);
    static char chunk[3000]; /* above low water (2048) */
    memset(chunk, 'y', sizeof chunk);
    assert_int_equal(GW_OK, http_stream_write(fx->st, chunk, sizeof chunk));
    run_until(fx, drained);
    assert_int_equal(1, fx->drains);
    http_stream_end(fx->st);
    run_until(fx, stream_closed);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* see http_server.h, "Signals" */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_writes_arrive_in_order_and_end_completes_the_chunked_body, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bound_refuses_a_write_and_cut_closes_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_an_empty_buffer_takes_one_write_larger_than_the_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_gone_is_noticed_by_the_next_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_client_gone_from_an_idle_stream_is_noticed_without_a_write, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_close_ends_open_streams_without_waiting_for_the_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_on_drain_after_the_buffer_empties_below_low_water,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
