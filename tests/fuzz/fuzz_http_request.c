/* fuzz_http_request.c - libFuzzer target for the HTTP server's request
 * framing (core/http/server_parse.c): where a head ends, what it says,
 * and the chunked body after it.
 *
 * The input is what a client sends. Beyond "does not crash or read out of
 * bounds", every input checks:
 *   - the head's end is the same found at once or byte by byte (the scan
 *     position carried between calls);
 *   - a head that parses has a token method, a target without spaces or
 *     control bytes, token header names, values without control bytes
 *     (tabs aside) and without blanks at either end, every span inside
 *     the head; one that does not parse gets 400 or 505 and a reason;
 *   - the bytes after the head, read as a chunked body, decode to the same
 *     state and data whether given whole or one byte at a time.
 *
 * Built with -DGW_FUZZ_REPLAY it gets a main that replays the files of
 * tests/fuzz/corpus/fuzz_http_request/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/server_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void check_head(const char *buf, size_t end)
{
    parse_head h;
    const char *why = NULL;
    int rc = parse_head_read(buf, end, &h, &why);
    if (rc != 0) {
        check((rc == 400 || rc == 505) && why != NULL && why[0] != '\0');
        check(h.fields == NULL && h.field_count == 0);
        return;
    }
    check(h.method_len > 0 && h.method_off + h.method_len <= end);
    check(h.target_len > 0 && h.target_off + h.target_len <= end);
    check(h.minor == 0 || h.minor == 1);
    for (size_t i = 0; i < h.target_len; i++) {
        unsigned char c = (unsigned char)buf[h.target_off + i];
        check(c != ' ' && !is_ctl(c) && c != '\t');
    }
    for (size_t i = 0; i < h.field_count; i++) {
        const parse_field *f = &h.fields[i];
        check(f->name_len > 0 && f->name_off + f->name_len <= end);
        check(f->value_off + f->value_len <= end);
        check(buf[f->name_off + f->name_len] == ':');
        for (size_t k = 0; k < f->name_len; k++) {
            unsigned char c = (unsigned char)buf[f->name_off + k];
            check(c > ' ' && c < 0x7f && c != ':');
        }
        for (size_t k = 0; k < f->value_len; k++)
            check(!is_ctl((unsigned char)buf[f->value_off + k]));
        if (f->value_len > 0) {
            char first = buf[f->value_off], last = buf[f->value_off + f->value_len - 1];
            check(first != ' ' && first != '\t' && last != ' ' && last != '\t');
        }
    }
    free(h.fields);
}

/* Decode in pieces of at most `step` bytes; the data goes to out. */
static parse_chunk_state decode(const char *in, size_t len, size_t step, char *out,
                                size_t *out_len, size_t *used)
{
    parse_chunked d;
    parse_chunked_init(&d, 64, 256);
    *out_len = 0;
    size_t at = 0;
    while (at < len && d.state != CHUNK_DONE && d.state != CHUNK_ERROR) {
        size_t piece = len - at < step ? len - at : step;
        size_t got = 0;
        while (got < piece && d.state != CHUNK_DONE && d.state != CHUNK_ERROR) {
            const char *data;
            size_t n;
            size_t c = parse_chunked_step(&d, in + at + got, piece - got, &data, &n);
            check(c <= piece - got);
            if (n > 0) {
                check(data >= in + at + got && data + n <= in + at + got + c);
                memcpy(out + *out_len, data, n);
                *out_len += n;
            }
            if (c == 0)
                break;
            got += c;
        }
        at += got;
        if (got < piece)
            break;
    }
    *used = at;
    if (d.state == CHUNK_ERROR)
        check(d.why != NULL);
    return d.state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input alone in a buffer of its size, so reading past it shows. */
    char *buf = malloc(size ? size : 1);
    check(buf != NULL);
    memcpy(buf, data, size);

    size_t skip = parse_skip_empty_lines(buf, size);
    check(skip <= size);
    const char *head = buf + skip;
    size_t len = size - skip;
    size_t scan = 0;
    size_t end = parse_head_end(head, len, &scan);
    check(end <= len);
    size_t scan2 = 0, end2 = 0;
    for (size_t n = 0; n <= len && end2 == 0; n++)
        end2 = parse_head_end(head, n, &scan2);
    check(end == end2);
    if (end > 0) {
        check(head[end - 1] == '\n');
        check(parse_request_line_end(head, end) > 0);
        check_head(head, end);
    }

    const char *body = end > 0 ? head + end : head;
    size_t blen = end > 0 ? len - end : len;
    char *whole = malloc(blen ? blen : 1), *bytewise = malloc(blen ? blen : 1);
    check(whole != NULL && bytewise != NULL);
    size_t wlen, blen2, used1, used2;
    parse_chunk_state s1 = decode(body, blen, blen ? blen : 1, whole, &wlen, &used1);
    parse_chunk_state s2 = decode(body, blen, 1, bytewise, &blen2, &used2);
    check(s1 == s2);
    if (s1 != CHUNK_ERROR) {
        check(wlen == blen2 && memcmp(whole, bytewise, wlen) == 0);
        check(used1 == used2);
    }
    free(whole);
    free(bytewise);
    free(buf);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_main(argc, argv);
}
#endif
