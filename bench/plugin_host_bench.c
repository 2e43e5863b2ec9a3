/* plugin_host_bench.c - what isolation = "process" costs at the plugin
 * boundary: the mock plugin's fetch (batches of synthetic events) driven
 * inline (dlopen in this process, a host whose emit takes the event) and
 * in the plugin host child (gateway __plugin-host, every emit a frame the
 * core decodes), in the same run, with the ratio.
 *
 *   build/bench/plugin_host_bench [EVENTS] [BATCH]
 *
 * It measures the boundary alone: no pipeline, store or sink behind it,
 * so the ratio is the worst case; in the running gateway the commit and
 * the sinks dominate and the same extra cost is a smaller share.
 * Asserts nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/plugin.h"
#include "isolate/wire.h"

typedef struct bench_host {
    json_t *config;
    long emitted;
    int done;
} bench_host;

/* CPU seconds (user + system) of this process, or of its waited-for
 * children: unlike wall time, not inflated by a loaded machine. */
static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static bench_host *of(gw_account *a)
{
    return (bench_host *)a;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void b_log(gw_account *a, gw_log_level l, const char *fmt, ...)
{
    (void)a, (void)l, (void)fmt;
}
static int b_emit(gw_account *a, json_t *e)
{
    of(a)->emitted++;
    json_decref(e);
    return 0;
}
static gw_timer *b_timer_start(gw_account *a, uint64_t d, gw_timer_cb cb, void *arg)
{
    (void)a, (void)d, (void)cb, (void)arg;
    return NULL;
}
static void b_timer_cancel(gw_timer *t)
{
    (void)t;
}
static int b_kv_get(gw_account *a, const char *k, char *buf, size_t n)
{
    (void)a, (void)k, (void)buf, (void)n;
    return GW_ENOENT;
}
static int b_kv_set(gw_account *a, const char *k, const char *v)
{
    (void)a, (void)k, (void)v;
    return 0;
}
static uint64_t b_now(gw_account *a)
{
    (void)a;
    return (uint64_t)(now_s() * 1000);
}
static const json_t *b_config(gw_account *a)
{
    return of(a)->config;
}
static const char *b_name(gw_account *a)
{
    (void)a;
    return "bench";
}
static bench_host *current; /* the one inline account; set before each fetch */
static void b_complete(gw_op *op, gw_outcome o, uint64_t d, const char *m, json_t *r)
{
    (void)op, (void)o, (void)d, (void)m;
    json_decref(r);
    current->done = 1;
}

static double run_inline(const char *so, json_t *config, long events, double *cpu_us)
{
    void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        exit(1);
    }
    gw_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, GW_PLUGIN_ENTRY_SYMBOL);
    const gw_plugin *p = entry();
    gw_host host = {.struct_size = sizeof host, .abi_major = GW_ABI_MAJOR,
                    .abi_minor = GW_ABI_MINOR, .log = b_log, .emit = b_emit,
                    .timer_start = b_timer_start, .timer_cancel = b_timer_cancel,
                    .kv_get = b_kv_get, .kv_set = b_kv_set, .now_ms = b_now,
                    .monotonic_ms = b_now, .config = b_config, .account_name = b_name,
                    .complete = b_complete};
    bench_host b = {.config = config};
    current = &b;
    gw_instance *inst;
    char err[256];
    if (p->create(&host, (gw_account *)&b, &inst, err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        exit(1);
    }
    double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
    while (b.emitted < events) {
        b.done = 0;
        p->fetch(inst, (gw_op *)&b);
    }
    double rate = (double)b.emitted / (now_s() - t0);
    *cpu_us = (cpu_s(RUSAGE_SELF) - c0) * 1e6 / (double)b.emitted;
    p->destroy(inst);
    return rate;
}

static void send_frame(int fd, isolate_type type, uint64_t id, const json_t *j)
{
    isolate_buf b = {0};
    isolate_encode(&b, type, id, j, NULL, 0);
    if (write(fd, b.data, b.len) != (ssize_t)b.len)
        exit(1);
    isolate_buf_free(&b);
}

static double run_isolated(const char *gateway, const char *so, json_t *config, long events,
                           double *cpu_us)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", dup(sv[1]));
        execl(gateway, "gateway", "__plugin-host", fd, so, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    double self0 = cpu_s(RUSAGE_SELF), children0 = cpu_s(RUSAGE_CHILDREN);
    json_t *init = json_pack("{s:s,s:O}", "account", "bench", "config", config);
    send_frame(sv[0], ISOLATE_T_INIT, 0, init);
    json_decref(init);
    isolate_buf in = {0};
    size_t used = 0, off = 0;
    long emitted = 0;
    uint64_t op = 0;
    int waiting = 0;
    double t0 = 0;
    for (;;) {
        if (!waiting && op > 0 && emitted >= events)
            break;
        if (!waiting && t0 > 0) {
            send_frame(sv[0], ISOLATE_T_FETCH, ++op, NULL);
            waiting = 1;
        }
        isolate_msg m;
        int rc = isolate_decode(in.data + off, in.len - off, &m, &used, NULL, 0);
        if (rc == 0) {
            off += used;
            if (m.type == ISOLATE_T_READY)
                t0 = now_s();
            else if (m.type == ISOLATE_T_EMIT)
                emitted++;
            else if (m.type == ISOLATE_T_KV_GET) {
                json_t *a = json_pack("{s:i}", "rc", GW_ENOENT);
                send_frame(sv[0], ISOLATE_T_KV_VALUE, m.id, a);
                json_decref(a);
            } else if (m.type == ISOLATE_T_COMPLETE && m.id == op)
                waiting = 0;
            isolate_msg_clear(&m);
            continue;
        }
        if (rc != GW_EBUSY)
            exit(1);
        isolate_buf_consume(&in, off); /* once per read, not per frame */
        off = 0;
        if (in.cap - in.len < 65536) {
            in.data = realloc(in.data, in.cap + 262144);
            in.cap += 262144;
        }
        ssize_t n = read(sv[0], in.data + in.len, in.cap - in.len);
        if (n <= 0)
            exit(1);
        in.len += (size_t)n;
    }
    double rate = (double)emitted / (now_s() - t0);
    send_frame(sv[0], ISOLATE_T_SHUTDOWN, 0, NULL);
    close(sv[0]);
    waitpid(pid, NULL, 0);
    /* Both ends, start-up and load included: the whole cost per event. */
    *cpu_us = (cpu_s(RUSAGE_SELF) - self0 + cpu_s(RUSAGE_CHILDREN) - children0) * 1e6 /
              (double)emitted;
    isolate_buf_free(&in);
    return rate;
}

int main(int argc, char **argv)
{
    long events = argc > 1 ? atol(argv[1]) : 200000;
    long batch = argc > 2 ? atol(argv[2]) : 500;
    const char *gateway = GW_BUILD_DIR "/gateway", *so = GW_BUILD_DIR "/plugins/mock.so";
    json_t *config = json_pack("{s:i,s:f,s:i,s:i,s:f,s:i,s:s,s:s,s:i,s:b}", "seed", 1, "rate",
                               0.0, "batch", (int)batch, "count", 0, "error_rate", 0.0,
                               "latency", 0, "fail_op", "none", "fail_with", "fatal",
                               "fail_times", 0, "echo_actions", 0);
    double inline_cpu, isolated_cpu;
    double inline_rate = run_inline(so, config, events, &inline_cpu);
    double isolated_rate = run_isolated(gateway, so, config, events, &isolated_cpu);
    printf("mock fetch, %ld events, batch %ld\n", events, batch);
    printf("  inline   %10.0f events/s  %6.2f us CPU/event\n", inline_rate, inline_cpu);
    printf("  isolated %10.0f events/s  %6.2f us CPU/event (both processes)\n", isolated_rate,
           isolated_cpu);
    printf("  isolated/inline: %.0f%% of the throughput, %.1fx the CPU per event\n",
           100.0 * isolated_rate / inline_rate, isolated_cpu / inline_cpu);
    json_decref(config);
    return 0;
}
