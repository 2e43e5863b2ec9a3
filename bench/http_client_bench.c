/* http_client_bench.c - the gateway's own HTTP client (curl multi-socket
 * driven by libuv, with budgets, redaction and retries) under the same
 * closed-loop load as bench/http_load, to compare against it.
 *
 * usage: http_client_bench URL CONCURRENCY TOTAL    (prints requests/s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "http/http_client.h"
#include "base/log.h"

typedef struct bench {
    http_client *client;
    const char *url;
    long issued, done, total, bad;
} bench;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void issue(bench *b);

static void answered(void *arg, const gw_http_response *r)
{
    bench *b = arg;
    if (r->status < 200 || r->status > 299)
        b->bad++;
    if (++b->done == b->total)
        http_client_close(b->client, NULL, NULL);
    else if (b->issued < b->total)
        issue(b);
}

static void issue(bench *b)
{
    gw_http_request req = {.struct_size = sizeof req, .method = "GET", .url = b->url};
    b->issued++;
    if (http_client_request(b->client, NULL, b, "bench", &req, answered, b, NULL) != 0) {
        fprintf(stderr, "request refused\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s URL CONCURRENCY TOTAL\n", argv[0]);
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    logger lg = {.level = GW_LOG_WARN, .out = stderr};
    http_client_options opts;
    http_client_options_init(&opts);
    opts.log = &lg;
    opts.max_host_connections = atol(argv[2]);
    bench b = {.url = argv[1], .total = atol(argv[3])};
    char err[256];
    if (http_client_new(&loop, &opts, &b.client, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t0 = now_s();
    for (long i = 0; i < atol(argv[2]) && b.issued < b.total; i++)
        issue(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
    double dt = now_s() - t0;
    printf("%.0f req/s  non-2xx %ld\n", (double)b.total / dt, b.bad);
    uv_loop_close(&loop);
    return b.bad ? 1 : 0;
}
