/* test_isolate_child.c - the plugin host as the core will drive it: the
 * real `gateway __plugin-host FD PLUGIN.so` on a socketpair, with the
 * real mock plugin (fetch, webhook, reply exactly as inline), the probe
 * plugin (HTTP through the core), and the crashy one (a crash ends the
 * child alone, with its signal; the sandbox refuses socket and execve).
 * Every wait is bounded (poll with a deadline), none is timed. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/error.h"
#include "gateway/plugin.h"
#include "isolate/wire.h"

#define WAIT_MS 20000

typedef struct host_proc {
    pid_t pid;
    int fd;
    isolate_buf in;
    size_t used;
    char logs[4096]; /* LOG frames' messages, one per line */
} host_proc;

static void start(host_proc *h, const char *so)
{
    memset(h, 0, sizeof(*h));
    int sv[2];
    assert_int_equal(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    h->pid = fork();
    assert_true(h->pid >= 0);
    if (h->pid == 0) {
        int fd = dup(sv[1]); /* without CLOEXEC: the one the child keeps */
        char fdstr[16];
        snprintf(fdstr, sizeof fdstr, "%d", fd);
        /* In a sanitizer build, LeakSanitizer's check at exit traces the
         * process from a forked helper: the sandbox forbids both, by
         * design, so the child runs without it; and its own SIGSEGV
         * handler would turn a crash into an abort: the test wants the
         * signal the core will see in a release build. */
        char asan[512];
        const char *given = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof asan, "%s%sdetect_leaks=0:handle_segv=0", given ? given : "", given ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
        execl(GW_BUILD_DIR "/gateway", "gateway", "__plugin-host", fdstr, so, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    h->fd = sv[0];
}

static void send_frame(host_proc *h, isolate_type type, uint64_t id, const char *json,
                       const char *blob)
{
    isolate_buf b = {0};
    json_t *j = json ? json_loads(json, 0, NULL) : NULL;
    assert_true(json == NULL || j != NULL);
    assert_int_equal(0, isolate_encode(&b, type, id, j, blob, blob ? strlen(blob) : 0));
    json_decref(j);
    assert_int_equal((ssize_t)b.len, write(h->fd, b.data, b.len));
    isolate_buf_free(&b);
}

/* The next frame other than LOG (kept in h->logs) and KV_GET (answered
 * "absent"); 0, or -1 when the child closed the socket. */
static int next_frame(host_proc *h, isolate_msg *m)
{
    for (;;) {
        isolate_buf_consume(&h->in, h->used);
        h->used = 0;
        int rc = isolate_decode(h->in.data, h->in.len, m, &h->used, NULL, 0);
        if (rc == 0 && m->type == ISOLATE_T_LOG) {
            strncat(h->logs, json_string_value(json_object_get(m->json, "message")),
                    sizeof h->logs - strlen(h->logs) - 2);
            strcat(h->logs, "\n");
            isolate_msg_clear(m);
            continue;
        }
        if (rc == 0 && m->type == ISOLATE_T_KV_GET) {
            char answer[64];
            snprintf(answer, sizeof answer, "{\"rc\":%d}", GW_ENOENT);
            send_frame(h, ISOLATE_T_KV_VALUE, m->id, answer, NULL);
            isolate_msg_clear(m);
            continue;
        }
        if (rc == 0)
            return 0;
        assert_int_equal(GW_EBUSY, rc);
        struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
        assert_int_equal(1, poll(&pfd, 1, WAIT_MS));
        if (h->in.cap - h->in.len < 65536) {
            h->in.data = realloc(h->in.data, h->in.cap + 65536);
            h->in.cap += 65536;
        }
        ssize_t n = read(h->fd, h->in.data + h->in.len, h->in.cap - h->in.len);
        if (n <= 0)
            return -1;
        h->in.len += (size_t)n;
    }
}

/* Frames until COMPLETE for op; counts the EMITs on the way. */
static json_t *until_complete(host_proc *h, uint64_t op, int *emits)
{
    for (;;) {
        isolate_msg m;
        assert_int_equal(0, next_frame(h, &m));
        if (m.type == ISOLATE_T_EMIT && emits)
            (*emits)++;
        if (m.type == ISOLATE_T_COMPLETE && m.id == op) {
            json_t *j = json_incref(m.json);
            isolate_msg_clear(&m);
            return j;
        }
        isolate_msg_clear(&m);
    }
}

static void init(host_proc *h, const char *config)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"account\":\"a1\",\"config\":%s}", config);
    send_frame(h, ISOLATE_T_INIT, 0, json, NULL);
    isolate_msg m;
    assert_int_equal(0, next_frame(h, &m));
    assert_int_equal(ISOLATE_T_READY, m.type);
    assert_int_equal(0, json_integer_value(json_object_get(m.json, "rc")));
    isolate_msg_clear(&m);
}

static int finish(host_proc *h)
{
    int status;
    close(h->fd);
    assert_int_equal(h->pid, waitpid(h->pid, &status, 0));
    isolate_buf_free(&h->in);
    return status;
}

#define MOCK_CONFIG                                                                           \
    "{\"seed\":1,\"rate\":0,\"batch\":5,\"count\":0,\"error_rate\":0,\"latency\":0,"            \
    "\"fail_op\":\"none\",\"fail_with\":\"fatal\",\"fail_times\":0,\"echo_actions\":false}"

static void test_mock_fetch_webhook_and_reply_cross_the_socket(void **state)
{
    (void)state;
    host_proc h;
    start(&h, GW_BUILD_DIR "/plugins/mock.so");
    init(&h, MOCK_CONFIG);

    int emits = 0;
    send_frame(&h, ISOLATE_T_FETCH, 7, NULL, NULL);
    json_t *done = until_complete(&h, 7, &emits);
    assert_int_equal(GW_OUTCOME_OK, json_integer_value(json_object_get(done, "outcome")));
    assert_int_equal(5, emits);
    json_decref(done);

    send_frame(&h, ISOLATE_T_POST_PUBLIC, 8, "{\"action_id\":\"act1\",\"text\":\"thanks\","
               "\"in_reply_to\":\"n1\",\"thread_id\":\"t1\"}", NULL);
    done = until_complete(&h, 8, NULL);
    assert_int_equal(GW_OUTCOME_OK, json_integer_value(json_object_get(done, "outcome")));
    assert_non_null(json_string_value(
        json_object_get(json_object_get(done, "result"), "native_id")));
    json_decref(done);

    emits = 0;
    send_frame(&h, ISOLATE_T_WEBHOOK, 9,
               "{\"method\":\"POST\",\"query\":\"\",\"headers\":[[\"content-type\","
               "\"application/json\"]]}",
               "{\"type\":\"mention\",\"native_id\":\"w1\",\"visibility\":\"public\","
               "\"text\":\"pushed\"}");
    done = until_complete(&h, 9, &emits);
    json_t *result = json_object_get(done, "result");
    assert_true(json_integer_value(json_object_get(result, "status")) / 100 == 2);
    assert_int_equal(1, emits);
    json_decref(done);

    send_frame(&h, ISOLATE_T_PING, 42, NULL, NULL);
    isolate_msg m;
    assert_int_equal(0, next_frame(&h, &m));
    assert_int_equal(ISOLATE_T_PONG, m.type);
    assert_int_equal(42, m.id);
    isolate_msg_clear(&m);

    send_frame(&h, ISOLATE_T_SHUTDOWN, 0, NULL, NULL);
    assert_int_equal(-1, next_frame(&h, &m));
    int status = finish(&h);
    assert_true(WIFEXITED(status));
    assert_int_equal(0, WEXITSTATUS(status));
}

static void test_http_goes_through_the_core(void **state)
{
    (void)state;
    host_proc h;
    start(&h, GW_BUILD_DIR "/tests/testplugins/probe.so");
    init(&h, "{\"url\":\"https://api.example.com/items\",\"immediate\":false}");
    send_frame(&h, ISOLATE_T_FETCH, 3, NULL, NULL);
    isolate_msg m;
    assert_int_equal(0, next_frame(&h, &m));
    assert_int_equal(ISOLATE_T_HTTP_REQUEST, m.type);
    assert_string_equal("GET", json_string_value(json_object_get(m.json, "method")));
    assert_string_equal("https://api.example.com/items",
                        json_string_value(json_object_get(m.json, "url")));
    uint64_t req = m.id;
    isolate_msg_clear(&m);
    isolate_buf b = {0};
    json_t *j = json_pack("{s:i,s:[],s:i}", "status", 200, "headers", "suggested", 0);
    const char *body = "[{\"type\":\"mention\",\"native_id\":\"p1\",\"visibility\":\"public\"},"
                       "{\"type\":\"mention\",\"native_id\":\"p2\",\"visibility\":\"public\"}]";
    assert_int_equal(0, isolate_encode(&b, ISOLATE_T_HTTP_RESPONSE, req, j, body, strlen(body)));
    json_decref(j);
    assert_int_equal((ssize_t)b.len, write(h.fd, b.data, b.len));
    isolate_buf_free(&b);
    int emits = 0;
    json_t *done = until_complete(&h, 3, &emits);
    assert_int_equal(GW_OUTCOME_OK, json_integer_value(json_object_get(done, "outcome")));
    assert_int_equal(2, emits);
    json_decref(done);
    finish(&h); /* closing the socket ends the child */
}

/* The crashy plugin in `mode`: the first fetch behaves and its event and
 * cursor cross before its COMPLETE; the second misbehaves, and the child
 * ends with the returned signal (a loop is killed here, after a PING
 * went unanswered, as the core's heartbeat will). What the crashing hook
 * emitted may be lost with it: the child writes a hook's frames when it
 * is done, and its cursor with them, so nothing was committed. */
static int crash_with(const char *mode, host_proc *h)
{
    char config[128];
    snprintf(config, sizeof config, "{\"mode\":\"%s\",\"after\":1,\"leak_mb\":8}", mode);
    start(h, GW_BUILD_DIR "/tests/testplugins/crashy.so");
    init(h, config);
    int emits = 0;
    send_frame(h, ISOLATE_T_FETCH, 1, NULL, NULL);
    json_decref(until_complete(h, 1, &emits));
    assert_int_equal(1, emits);
    send_frame(h, ISOLATE_T_FETCH, 2, NULL, NULL);
    isolate_msg m;
    if (strcmp(mode, "loop") == 0) {
        send_frame(h, ISOLATE_T_PING, 5, NULL, NULL);
        struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
        assert_int_equal(0, poll(&pfd, 1, 300)); /* a loop cannot answer */
        kill(h->pid, SIGKILL);
    }
    while (next_frame(h, &m) == 0) {
        assert_int_not_equal(ISOLATE_T_COMPLETE, m.type);
        isolate_msg_clear(&m);
    }
    int status = finish(h);
    assert_true(WIFSIGNALED(status));
    return WTERMSIG(status);
}

static void test_a_crash_ends_only_the_child_with_its_signal(void **state)
{
    (void)state;
    host_proc h;
    assert_int_equal(SIGSEGV, crash_with("segv", &h));
    assert_int_equal(SIGABRT, crash_with("abort", &h));
    assert_int_equal(SIGKILL, crash_with("loop", &h));
}

static void test_the_sandbox_refuses_socket_and_execve(void **state)
{
    (void)state;
    host_proc h;
    start(&h, GW_BUILD_DIR "/tests/testplugins/crashy.so");
    init(&h, "{\"mode\":\"socket\",\"after\":0,\"leak_mb\":0}");
    send_frame(&h, ISOLATE_T_FETCH, 1, NULL, NULL);
    json_decref(until_complete(&h, 1, NULL));
    assert_non_null(strstr(h.logs, "crashy: socket() = -1 (Operation not permitted)"));
    assert_non_null(strstr(h.logs, "crashy: execve() = -1 (Operation not permitted)"));
    send_frame(&h, ISOLATE_T_SHUTDOWN, 0, NULL, NULL);
    int status = finish(&h);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_a_malformed_frame_ends_the_child(void **state)
{
    (void)state;
    host_proc h;
    start(&h, GW_BUILD_DIR "/plugins/mock.so");
    const uint8_t garbage[] = {13, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal((ssize_t)sizeof garbage, write(h.fd, garbage, sizeof garbage));
    isolate_msg m;
    assert_int_equal(-1, next_frame(&h, &m));
    int status = finish(&h);
    assert_true(WIFEXITED(status));
    assert_int_equal(1, WEXITSTATUS(status));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock_fetch_webhook_and_reply_cross_the_socket),
        cmocka_unit_test(test_http_goes_through_the_core),
        cmocka_unit_test(test_a_crash_ends_only_the_child_with_its_signal),
        cmocka_unit_test(test_the_sandbox_refuses_socket_and_execve),
        cmocka_unit_test(test_a_malformed_frame_ends_the_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
