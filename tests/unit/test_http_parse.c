/* test_http_parse.c - the HTTP server's request framing
 * (core/http/server_parse.c): head ends found however the bytes arrive,
 * what a head says, what is refused and why, and chunked bodies decoded
 * the same whatever their split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http/server_parse.h"

#define S(lit) lit, sizeof lit - 1

static size_t end_at_once(const char *buf, size_t len)
{
    size_t scan = 0;
    return parse_head_end(buf, len, &scan);
}

/* The end found when the bytes arrive one at a time. */
static size_t end_bytewise(const char *buf, size_t len)
{
    size_t scan = 0;
    for (size_t n = 1; n <= len; n++) {
        size_t end = parse_head_end(buf, n, &scan);
        if (end)
            return end;
    }
    return 0;
}

static void test_head_end_is_found_however_the_bytes_arrive(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        size_t len, end;
    } cases[] = {
        {S("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 27},
        {S("GET / HTTP/1.1\r\nHost: t\r\n\r\nbody"), 27},
        {S("GET / HTTP/1.0\n\n"), 16},
        {S("GET / HTTP/1.1\nHost: t\n\r\n"), 25},
        {S("GET / HTTP/1.1\r\nHost: t\r\n"), 0},
        {S("GET / HTTP/1.1\r\nHost: t\r\n\r"), 0},
        {S("GET / HTTP/1.1\r\nX: a\r\rY\r\n\r\n"), 27},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(end_at_once(cases[i].raw, cases[i].len), cases[i].end);
        assert_int_equal(end_bytewise(cases[i].raw, cases[i].len), cases[i].end);
    }
    assert_int_equal(parse_skip_empty_lines(S("\r\n\nGET")), 3);
    assert_int_equal(parse_skip_empty_lines(S("\r")), 0); /* may yet be CR LF */
    assert_int_equal(parse_request_line_end(S("GET /very/long")), 0);
    assert_int_equal(parse_request_line_end(S("GET / HTTP/1.1\r\nX")), 16);
}

static void test_a_head_is_read_into_spans(void **state)
{
    (void)state;
    const char raw[] = "POST   /hooks/a?x=1 HTTP/1.1\r\nHost: t\r\nX-T:\t v \t\r\nX-E:\r\n\r\n";
    parse_head h;
    const char *why = NULL;
    assert_int_equal(parse_head_read(raw, sizeof raw - 1, &h, &why), 0);
    assert_int_equal(h.minor, 1);
    assert_memory_equal(raw + h.method_off, "POST", h.method_len);
    assert_int_equal(h.method_len, 4);
    assert_int_equal(h.target_len, strlen("/hooks/a?x=1"));
    assert_memory_equal(raw + h.target_off, "/hooks/a?x=1", h.target_len);
    assert_int_equal(h.field_count, 3);
    assert_memory_equal(raw + h.fields[1].name_off, "X-T", 3);
    assert_int_equal(h.fields[1].value_len, 1); /* blanks around "v" trimmed */
    assert_memory_equal(raw + h.fields[1].value_off, "v", 1);
    assert_int_equal(h.fields[2].value_len, 0);
    free(h.fields);
}

static void test_what_is_refused_and_why(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        size_t len;
        int status;
    } cases[] = {
        {S("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), 400},   /* obs-fold */
        {S("GET / HTTP/1.1\r\nX : a\r\n\r\n"), 400},       /* space before colon */
        {S("GET / HTTP/1.1\r\nX a\r\n\r\n"), 400},         /* no colon */
        {S("GET / HTTP/1.1\r\n: a\r\n\r\n"), 400},         /* empty name */
        {S("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"), 400},     /* NUL in a value */
        {S("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), 400},     /* lone CR */
        {S("GE\0T / HTTP/1.1\r\n\r\n"), 400},              /* NUL in the method */
        {S("GET /a\tb HTTP/1.1\r\n\r\n"), 400},            /* tab in the line */
        {S("GET HTTP/1.1\r\n\r\n"), 400},                  /* no target */
        {S("GET /a b HTTP/1.1\r\n\r\n"), 400},             /* space in the target */
        {S("/ HTTP/1.1\r\n\r\n"), 400},                    /* no method */
        {S("GET / HTTP/1.1 \r\n\r\n"), 400},               /* trailing space */
        {S("GET / http/1.1\r\n\r\n"), 400},
        {S("GET / HTTP/2.0\r\n\r\n"), 505},
        {S("GET / HTTP/1.2\r\n\r\n"), 505},
        {S("G(T / HTTP/1.1\r\n\r\n"), 400},                /* method not a token */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_head h;
        const char *why = NULL;
        size_t scan = 0;
        size_t end = parse_head_end(cases[i].raw, cases[i].len, &scan);
        assert_true(end > 0);
        int rc = parse_head_read(cases[i].raw, end, &h, &why);
        if (rc != cases[i].status)
            print_error("case %zu: got %d\n", i, rc);
        assert_int_equal(rc, cases[i].status);
        assert_non_null(why);
        assert_null(h.fields);
    }
}

/* Decode `in` in pieces of `step` bytes; returns the final state. */
static parse_chunk_state decode(const char *in, size_t len, size_t step, char *out,
                                size_t *out_len, size_t *used)
{
    parse_chunked d;
    parse_chunked_init(&d, 32, 64);
    *out_len = 0;
    *used = 0;
    while (*used < len && d.state != CHUNK_DONE && d.state != CHUNK_ERROR) {
        size_t piece = len - *used < step ? len - *used : step;
        const char *data;
        size_t n;
        size_t c = parse_chunked_step(&d, in + *used, piece, &data, &n);
        if (n > 0)
            memcpy(out + *out_len, data, n);
        *out_len += n;
        *used += c;
        if (c == 0)
            break;
    }
    return d.state;
}

/* Tokens (methods, header names) and field values, as the server's
 * parser, its answers and the HTTP client all check them. */
static void test_tokens_and_field_values(void **state)
{
    (void)state;
    assert_true(parse_is_token("X-Request-Id", 12));
    assert_true(parse_is_token("!#$%&'*+-.^_`|~", 15));
    assert_false(parse_is_token("", 0));
    assert_false(parse_is_token("Bad Name", 8));
    assert_false(parse_is_token("a:b", 3));
    assert_true(parse_is_field_value(""));
    assert_true(parse_is_field_value("text/plain; charset=utf-8"));
    assert_true(parse_is_field_value("a\tb \xc3\xa9")); /* tab and obs-text */
    assert_false(parse_is_field_value(NULL));
    assert_false(parse_is_field_value("a\r\nX-Injected: 1"));
    assert_false(parse_is_field_value("a\nb"));
    assert_false(parse_is_field_value("a\001b"));
    assert_false(parse_is_field_value("a\177"));
}

static void test_chunked_bodies_decode_the_same_in_any_split(void **state)
{
    (void)state;
    const char body[] = "5;name=v\r\nhello\r\n6\r\n world\r\nA \r\n0123456789\n0\r\nT: x\r\n\r\nNEXT";
    char out[64];
    for (size_t step = 1; step <= sizeof body; step++) {
        size_t n, used;
        assert_int_equal(decode(body, sizeof body - 1, step, out, &n, &used), CHUNK_DONE);
        assert_int_equal(n, 21);
        assert_memory_equal(out, "hello world0123456789", 21);
        assert_int_equal(used, sizeof body - 1 - 4); /* "NEXT" is the next request's */
    }
    static const struct {
        const char *raw;
        size_t len;
        parse_chunk_state state;
    } cases[] = {
        {S("x\r\n"), CHUNK_ERROR},                        /* not hex */
        {S("5\r\nhelloX"), CHUNK_ERROR},                  /* no CRLF after data */
        {S("5\r\nhel"), CHUNK_DATA},                      /* more to come */
        {S("1000000000000000\r\n"), CHUNK_ERROR},         /* 16 hex digits */
        {S("5\rX\n"), CHUNK_ERROR},                       /* lone CR */
        {S("5;ext\0\r\n"), CHUNK_ERROR},                  /* NUL in an extension */
        {S("0\r\nT: \0\r\n\r\n"), CHUNK_ERROR},           /* NUL in a trailer */
        {S("0\r\n"), CHUNK_TRAILER},
        {S("2  ;a=b\r\nab\r\n0\r\n\r\n"), CHUNK_DONE},
        {S("1; this extension line is far longer than 32 bytes\r\na\r\n"), CHUNK_ERROR},
        {S("0\r\nTrailer: a long trailer that goes past sixty-four bytes in all\r\n\r\n"),
         CHUNK_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n, used;
        parse_chunk_state st = decode(cases[i].raw, cases[i].len, cases[i].len, out, &n, &used);
        if (st != cases[i].state)
            print_error("case %zu: state %d\n", i, (int)st);
        assert_int_equal(st, cases[i].state);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_end_is_found_however_the_bytes_arrive),
        cmocka_unit_test(test_a_head_is_read_into_spans),
        cmocka_unit_test(test_what_is_refused_and_why),
        cmocka_unit_test(test_tokens_and_field_values),
        cmocka_unit_test(test_chunked_bodies_decode_the_same_in_any_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
