/* test_sink_stdout.c - unit tests of the "stdout" sink
 * (core/sinks/stdout.c): standard output is swapped for a pipe with dup2
 * and the bytes read back, including a batch much larger than the pipe
 * through a non-blocking pipe, and a reader that went away. Then the
 * readable text form (core/sinks/stdout_text.c): the line's fields, escapes
 * of what a terminal would act on, the cut at the width, and format =
 * "auto" choosing JSON for a pipe and text for a terminal (a pty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/error.h"
#include "sinks/sink.h"
#include "sinks/stdout_text.h"

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

/* format: "json", "text", "auto" */
static void *open_stdout_sink(const sink_type *type, const char *format)
{
    json_t *settings =
        json_pack("{s:s, s:s, s:s}", "name", "console", "type", "stdout", "format", format);
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
    s = open_stdout_sink(type, "json");
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
    s = open_stdout_sink(type, "json");
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
    s = open_stdout_sink(type, "json");
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

/* ---- the text form ---------------------------------------------------- */

/* An event as the pipeline makes it, with the members the line shows. */
static json_t *sample_event(const char *text)
{
    json_t *ev = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s}",
                           "id", "mock:7-1", "seq", 1, "type", "mention", "network", "mock",
                           "account", "acme", "visibility", "public", "native_id", "7-1",
                           "author", "id", "42", "handle", "jane", "name", "Jane Doe",
                           "created_at", "2026-03-04T05:06:07.000Z", "received_at",
                           "2026-03-04T05:06:08.500Z");
    assert_non_null(ev);
    if (text != NULL)
        json_object_set_new(ev, "text", json_string(text));
    return ev;
}

/* The line for ev (stolen) at width, compared with want. */
static void assert_line(json_t *ev, int width, const char *want)
{
    char *line = stdout_text_line(ev, width);

    json_decref(ev);
    assert_non_null(line);
    assert_string_equal(line, want);
    free(line);
}

/* Columns of a line as a terminal shows it: one per character (the tests
 * use no wide characters), after checking it is valid UTF-8. */
static int columns(const char *s)
{
    int cols = 0;

    while (*s != '\0' && *s != '\n') {
        unsigned char c = (unsigned char)*s;
        int len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        assert_true(c < 0x80 || c >= 0xc2); /* never a continuation byte first */
        for (int i = 1; i < len; i++)
            assert_int_equal((unsigned char)s[i] & 0xc0, 0x80);
        s += len;
        cols++;
    }
    return cols;
}

/* UTC, so the local time the line shows is the stamp's. */
static int utc_setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static void test_text_line_fields(void **state)
{
    json_t *ev;

    (void)state;
    assert_line(sample_event("Where is my order?"), 0,
                "05:06:07 mock/acme mention @jane: Where is my order?\n");

    /* no handle: the name; no text: no colon */
    ev = sample_event(NULL);
    json_object_del(json_object_get(ev, "author"), "handle");
    assert_line(ev, 0, "05:06:07 mock/acme mention Jane Doe\n");

    /* priority from triage, at the top or in tags */
    ev = sample_event("refund now");
    json_object_set_new(ev, "tags", json_pack("{s:s}", "priority", "urgent"));
    assert_line(ev, 0, "05:06:07 mock/acme mention [urgent] @jane: refund now\n");
    ev = sample_event("refund now");
    json_object_set_new(ev, "priority", json_string("high"));
    assert_line(ev, 0, "05:06:07 mock/acme mention [high] @jane: refund now\n");

    /* an item from another day says which */
    ev = sample_event("old review");
    json_object_set_new(ev, "created_at", json_string("2025-12-31T23:59:00+00:00"));
    assert_line(ev, 0, "2025-12-31 23:59 mock/acme mention @jane: old review\n");

    /* a gateway event: no author, no text */
    ev = sample_event(NULL);
    json_object_del(ev, "author");
    json_object_set_new(ev, "type", json_string("action.succeeded"));
    assert_line(ev, 0, "05:06:07 mock/acme action.succeeded\n");

    /* no usable time */
    ev = sample_event("x");
    json_object_del(ev, "created_at");
    json_object_set_new(ev, "received_at", json_string("yesterday"));
    assert_line(ev, 0, "--:--:-- mock/acme mention @jane: x\n");
}

/* A customer's text must not drive the terminal: newlines become spaces,
 * C0 controls, DEL, C1 controls and bidirectional overrides are escaped,
 * in the text and in every other member shown. */
static void test_text_escapes_controls(void **state)
{
    json_t *ev = sample_event("line1\r\nline2\tred:\x1b[31m bell:\x07 del:\x7f "
                              "csi:\xc2\x9b" "2J rlo:\xe2\x80\xae" "gnp.exe ls:\xe2\x80\xa8!");
    json_object_set_new(json_object_get(ev, "author"), "handle", json_string("x\x1b]0;pwned\x07"));
    char *line = stdout_text_line(ev, 0);

    (void)state;
    json_decref(ev);
    assert_non_null(line);
    assert_string_equal(line, "05:06:07 mock/acme mention @x\\x1b]0;pwned\\x07: line1  line2 "
                              "red:\\x1b[31m bell:\\x07 del:\\x7f csi:\\u009b2J "
                              "rlo:\\u202egnp.exe ls: !\n");
    for (const char *p = line; *p != '\0'; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n');
    free(line);

    /* a line that is not JSON at all: escaped the same way, bad UTF-8 too */
    line = stdout_text_raw("not json \x1b[2J \xff\xc3", 16, 0);
    assert_non_null(line);
    assert_string_equal(line, "not json \\x1b[2J \\xff\\xc3\n");
    free(line);
}

static void test_text_cut_at_width(void **state)
{
    char text[400];
    char *line;

    (void)state;
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    json_t *ev = sample_event(text);
    line = stdout_text_line(ev, 60);
    assert_non_null(line);
    assert_int_equal(columns(line), 60);
    assert_non_null(strstr(line, "a\xe2\x80\xa6\n"));
    assert_int_equal(strncmp(line, "05:06:07 mock/acme mention @jane: aaa", 37), 0);
    free(line);

    /* exactly the width: no cut */
    line = stdout_text_line(ev, 0);
    int full = columns(line);
    free(line);
    line = stdout_text_line(ev, full);
    assert_null(strstr(line, "\xe2\x80\xa6"));
    assert_int_equal(columns(line), full);
    free(line);
    json_decref(ev);

    /* an escape is cut whole, never shown in part */
    ev = sample_event("\x1b\x1b\x1b\x1b");
    line = stdout_text_line(ev, 41); /* 34 columns before the text, then 4 each */
    assert_string_equal(line, "05:06:07 mock/acme mention @jane: \\x1b\xe2\x80\xa6\n");
    free(line);
    json_decref(ev);
}

/* At every width, a text of two- three- and four-byte characters is cut
 * between characters, and the line never exceeds the width. */
static void test_text_cut_never_splits_utf8(void **state)
{
    json_t *ev = sample_event("\xc3\xa9t\xc3\xa9 \xe2\x82\xac\xe2\x82\xac \xf0\x9d\x84\x9e"
                              "\xf0\x9d\x84\x9e \xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e end");

    (void)state;
    for (int width = 1; width < 60; width++) {
        char *line = stdout_text_line(ev, width);
        assert_non_null(line);
        assert_true(columns(line) <= width);
        free(line);
    }
    json_decref(ev);
}

static void test_text_width(void **state)
{
    int p[2], master, slave;
    struct winsize ws = {.ws_row = 24, .ws_col = 57};

    (void)state;
    assert_int_equal(pipe(p), 0);
    setenv("COLUMNS", "42", 1);
    assert_int_equal(stdout_text_width(p[1]), 42);
    setenv("COLUMNS", "wide", 1);
    assert_int_equal(stdout_text_width(p[1]), 100);
    unsetenv("COLUMNS");
    assert_int_equal(stdout_text_width(p[1]), 100);
    close(p[0]);
    close(p[1]);

    assert_int_equal(openpty(&master, &slave, NULL, NULL, &ws), 0);
    assert_int_equal(stdout_text_width(slave), 57);
    close(slave);
    close(master);
}

/* Write one event through a sink opened with `format` while standard
 * output is `fd`; returns what the sink wrote to fd (caller frees). */
static char *write_through(const char *format, int fd, int read_fd)
{
    const sink_type *type = sink_type_find("stdout");
    json_t *ev = sample_event("hi \x1b[2J");
    char *jsonl = json_dumps(ev, JSON_COMPACT);
    size_t n = strlen(jsonl);
    char err[256] = "";
    int saved;
    void *s;

    json_decref(ev);
    jsonl = realloc(jsonl, n + 2);
    strcpy(jsonl + n, "\n");
    sink_batch batch = {.data = jsonl, .len = n + 1, .count = 1, .first_seq = 1, .last_seq = 1};
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    s = open_stdout_sink(type, format); /* auto looks at stdout now */
    int rc = type->write(s, &batch, err, sizeof err);
    type->close(s);
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    close(fd);
    assert_int_equal(rc, 0);

    char *got = calloc(1, 4096);
    size_t used = 0;
    for (;;) { /* until the line's end: a pty gives no end of file */
        ssize_t r = read(read_fd, got + used, 4095 - used);
        assert_true(r > 0);
        used += (size_t)r;
        if (got[used - 1] == '\n')
            break;
    }
    close(read_fd);
    free(jsonl);
    return got;
}

static void test_auto_pipe_is_json_terminal_is_text(void **state)
{
    int p[2], master, slave;
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    struct termios raw;
    char *got;

    (void)state;
    assert_int_equal(pipe(p), 0);
    got = write_through("auto", p[1], p[0]);
    json_t *back = json_loads(got, 0, NULL); /* the JSON line, as is */
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "text")), "hi \x1b[2J");
    json_decref(back);
    free(got);

    assert_int_equal(openpty(&master, &slave, NULL, NULL, &ws), 0);
    assert_int_equal(tcgetattr(slave, &raw), 0);
    cfmakeraw(&raw); /* no "\n" -> "\r\n" on the way to the master */
    assert_int_equal(tcsetattr(slave, TCSANOW, &raw), 0);
    got = write_through("auto", slave, master);
    assert_string_equal(got, "05:06:07 mock/acme mention @jane: hi \\x1b[2J\n");
    free(got);

    /* text asked for explicitly: text into a pipe too */
    assert_int_equal(pipe(p), 0);
    got = write_through("text", p[1], p[0]);
    assert_string_equal(got, "05:06:07 mock/acme mention @jane: hi \\x1b[2J\n");
    free(got);
}

static void test_type_declaration(void **state)
{
    const sink_type *type = sink_type_find("stdout");

    (void)state;
    assert_non_null(type);
    assert_string_equal(type->name, "stdout");
    assert_non_null(type->help);
    assert_non_null(type->options);
    assert_string_equal(type->options[0].name, "format");
    assert_string_equal(type->options[0].default_value, "auto");
    assert_string_equal(type->options[0].allowed, "auto|text|json");
    assert_null(type->options[1].name);
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
        cmocka_unit_test_setup(test_text_line_fields, utc_setup),
        cmocka_unit_test_setup(test_text_escapes_controls, utc_setup),
        cmocka_unit_test_setup(test_text_cut_at_width, utc_setup),
        cmocka_unit_test_setup(test_text_cut_never_splits_utf8, utc_setup),
        cmocka_unit_test(test_text_width),
        cmocka_unit_test_setup(test_auto_pipe_is_json_terminal_is_text, utc_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
