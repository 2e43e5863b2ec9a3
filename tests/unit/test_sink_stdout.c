/* test_sink_stdout.c - unit tests of the "stdout" sink
 * (core/sinks/stdout.c): standard output is swapped for a pipe with dup2
 * and the bytes read back, including a batch much larger than the pipe
 * through a non-blocking pipe, and a reader that went away.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/error.h"
#include "sinks/sink.h"

/* Standard output swapped for a pipe's write end. */
typedef struct redirect {
    int saved;   /* the real stdout */
    int read_fd; /* the test reads here */
} redirect;

static void redirect_start(redirect *r, int nonblocking)
{
    int p[2];

    fflush(stdout); /* cmocka's own pending output stays out of the pipe */
    assert_int_equal(pipe(p), 0);
    if (nonblocking)
        assert_int_equal(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK), 0);
    r->saved = dup(STDOUT_FILENO);
    assert_true(r->saved >= 0);
    assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
    close(p[1]);
    r->read_fd = p[0];
}

/* Put the real stdout back; the pipe's write side is then closed, so the
 * reader sees end of file. */
static void redirect_stop(redirect *r)
{
    assert_int_equal(dup2(r->saved, STDOUT_FILENO), STDOUT_FILENO);
    close(r->saved);
}

/* Everything until end of file (caller frees). */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);

    assert_non_null(buf);
    for (;;) {
        ssize_t n;
        if (used == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        used += (size_t)n;
    }
    *len = used;
    return buf;
}

static void *open_stdout_sink(const sink_type *type)
{
    json_t *settings = json_pack("{s:s, s:s}", "name", "console", "type", "stdout");
    char err[256] = "";
    void *state = NULL;

    assert_int_equal(type->open(settings, &state, err, sizeof err), 0);
    json_decref(settings);
    return state;
}

static void test_writes_batch_to_stdout(void **state)
{
    const sink_type *type = sink_type_find("stdout");
    const char *jsonl = "{\"id\":\"mock:1\",\"seq\":1}\n{\"id\":\"mock:2\",\"seq\":2}\n";
    sink_batch batch = {
        .data = jsonl, .len = strlen(jsonl), .count = 2, .first_seq = 1, .last_seq = 2};
    char err[256] = "";
    redirect r;
    size_t len;
    char *got;
    void *s;
    int rc;

    (void)state;
    assert_non_null(type);
    s = open_stdout_sink(type);
    redirect_start(&r, 0);
    rc = type->write(s, &batch, err, sizeof err);
    redirect_stop(&r);
    got = read_all(r.read_fd, &len);
    close(r.read_fd);
    type->close(s);

    assert_int_equal(rc, 0);
    assert_int_equal(len, batch.len);
    assert_memory_equal(got, jsonl, len);
    free(got);
}

/* FNV-1a, to compare what the child read without shipping it back. */
static uint64_t checksum(const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
    return h;
}

/* 4 MiB through a 64 KiB non-blocking pipe: the sink must wait out EAGAIN
 * and resume after short writes. A forked child drains the pipe. */
static void test_large_batch_through_nonblocking_pipe(void **state)
{
    const sink_type *type = sink_type_find("stdout");
    size_t len = 4 * 1024 * 1024;
    char *data = malloc(len);
    char err[256] = "";
    uint64_t result[2] = {0, 0};
    int report[2], status = 0, rc;
    redirect r;
    pid_t pid;
    void *s;

    (void)state;
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
    s = open_stdout_sink(type);
    assert_int_equal(pipe(report), 0);
    redirect_start(&r, 1);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t got_len;
        char *got;
        close(STDOUT_FILENO); /* the child must not hold the write end */
        got = read_all(r.read_fd, &got_len);
        uint64_t out[2] = {got_len, checksum(got, got_len)};
        _exit(write(report[1], out, sizeof out) == (ssize_t)sizeof out ? 0 : 1);
    }
    close(r.read_fd);
    close(report[1]);

    sink_batch batch = {.data = data, .len = len, .count = len / 100};
    rc = type->write(s, &batch, err, sizeof err);
    redirect_stop(&r);
    assert_int_equal(read(report[0], result, sizeof result), (ssize_t)sizeof result);
    close(report[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    type->close(s);

    assert_int_equal(rc, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(result[0], len);
    assert_true(result[1] == checksum(data, len));
    free(data);
}

static void test_closed_reader_is_an_error(void **state)
{
    const sink_type *type = sink_type_find("stdout");
    sink_batch batch = {.data = "{}\n", .len = 3, .count = 1};
    void (*old_handler)(int) = signal(SIGPIPE, SIG_IGN);
    char err[256] = "";
    redirect r;
    void *s;
    int rc;

    (void)state;
    s = open_stdout_sink(type);
    redirect_start(&r, 0);
    close(r.read_fd);
    rc = type->write(s, &batch, err, sizeof err);
    redirect_stop(&r);
    signal(SIGPIPE, old_handler);
    type->close(s);

    assert_int_equal(rc, GW_EIO);
    assert_non_null(strstr(err, "stdout"));
    assert_non_null(strstr(err, "Broken pipe"));
}

static void test_type_declaration(void **state)
{
    const sink_type *type = sink_type_find("stdout");

    (void)state;
    assert_non_null(type);
    assert_string_equal(type->name, "stdout");
    assert_non_null(type->help);
    assert_non_null(type->options);
    assert_null(type->options[0].name); /* no keys of its own */
    assert_null(type->reconcile);       /* at-least-once */
    assert_null(type->reopen);
    type->close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_batch_to_stdout),
        cmocka_unit_test(test_large_batch_through_nonblocking_pipe),
        cmocka_unit_test(test_closed_reader_is_an_error),
        cmocka_unit_test(test_type_declaration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
