/* server_parse.c - request heads and chunked bodies; see server_parse.h. */
#include "http/server_parse.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/sdk.h"

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool parse_is_token(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_tchar((unsigned char)p[i]))
            return false;
    }
    return true;
}

/* A control byte (NUL, CR, LF, DEL...) other than a tab. */
static bool is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool parse_is_field_value(const char *s)
{
    if (s == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_ctl(*p))
            return false;
    }
    return true;
}

size_t parse_skip_empty_lines(const char *buf, size_t len)
{
    size_t i = 0;
    for (;;) {
        if (i < len && buf[i] == '\n')
            i += 1;
        else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
            i += 2;
        else
            return i;
    }
}

size_t parse_head_end(const char *buf, size_t len, size_t *scan)
{
    size_t i = *scan;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (nl == NULL)
            break;
        size_t p = (size_t)(nl - buf);
        /* The line after this LF is empty when it is LF or CR LF. */
        if (p + 1 >= len || (buf[p + 1] == '\r' && p + 2 >= len)) {
            *scan = p; /* look at this LF again once more has arrived */
            return 0;
        }
        if (buf[p + 1] == '\n')
            return p + 2;
        if (buf[p + 1] == '\r' && buf[p + 2] == '\n')
            return p + 3;
        i = p + 1;
    }
    *scan = len;
    return 0;
}

size_t parse_request_line_end(const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    return nl ? (size_t)(nl - buf) + 1 : 0;
}

/* The line starting at `pos`: its length without CR LF or LF, and where
 * the next one starts. The head always ends in LF, so one is found. */
static size_t line_at(const char *buf, size_t len, size_t pos, size_t *next)
{
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    *next = end + 1;
    if (end > pos && buf[end - 1] == '\r')
        end--;
    return end - pos;
}

static int request_line(const char *buf, size_t n, parse_head *out, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        if (is_ctl((unsigned char)buf[i]) || buf[i] == '\t') {
            *why = "the request line holds a NUL or another control character";
            return 400;
        }
    }
    const char *sp1 = memchr(buf, ' ', n);
    const char *sp2 = sp1;
    for (const char *p = buf + n; p > buf; p--) {
        if (p[-1] == ' ') {
            sp2 = p - 1;
            break;
        }
    }
    if (sp1 == NULL || sp1 == buf || !parse_is_token(buf, (size_t)(sp1 - buf))) {
        *why = "the request line must start with a method";
        return 400;
    }
    size_t t0 = (size_t)(sp1 - buf), t1 = (size_t)(sp2 - buf);
    while (t0 < t1 && buf[t0] == ' ')
        t0++;
    while (t1 > t0 && buf[t1 - 1] == ' ')
        t1--;
    if (t1 == t0 || memchr(buf + t0, ' ', t1 - t0) != NULL) {
        *why = "the request line must be: method, target (without spaces), HTTP version";
        return 400;
    }
    const char *v = sp2 + 1;
    size_t vlen = n - (size_t)(v - buf);
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9') {
        *why = "the request line must end with the HTTP version, e.g. HTTP/1.1";
        return 400;
    }
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
        *why = "only HTTP/1.0 and HTTP/1.1 are served";
        return 505;
    }
    out->method_off = 0;
    out->method_len = (size_t)(sp1 - buf);
    out->target_off = t0;
    out->target_len = t1 - t0;
    out->minor = v[7] - '0';
    return 0;
}

static int header_line(const char *buf, size_t pos, size_t n, parse_field *f, const char **why)
{
    const char *line = buf + pos;
    if (line[0] == ' ' || line[0] == '\t') {
        *why = "a header is folded over lines (obs-fold), which is not accepted";
        return 400;
    }
    const char *colon = memchr(line, ':', n);
    if (colon == NULL || !parse_is_token(line, (size_t)(colon - line))) {
        *why = "a header line must be a token name, a colon and a value";
        return 400;
    }
    size_t v0 = (size_t)(colon - line) + 1, v1 = n;
    for (size_t i = v0; i < n; i++) {
        if (is_ctl((unsigned char)line[i])) {
            *why = "a header value holds a NUL or another control character";
            return 400;
        }
    }
    while (v0 < v1 && (line[v0] == ' ' || line[v0] == '\t'))
        v0++;
    while (v1 > v0 && (line[v1 - 1] == ' ' || line[v1 - 1] == '\t'))
        v1--;
    *f = (parse_field){pos, (size_t)(colon - line), pos + v0, v1 - v0};
    return 0;
}

int parse_head_read(const char *buf, size_t len, parse_head *out, const char **why)
{
    memset(out, 0, sizeof *out);
    size_t pos;
    size_t n = line_at(buf, len, 0, &pos);
    int rc = request_line(buf, n, out, why);
    if (rc != 0)
        return rc;
    /* At most one field per remaining LF. */
    size_t lines = 0;
    for (const char *p = buf + pos; (p = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p++)
        lines++;
    if (lines > 1) {
        out->fields = malloc((lines - 1) * sizeof *out->fields);
        if (out->fields == NULL)
            return -1;
    }
    while (pos < len) {
        size_t next;
        n = line_at(buf, len, pos, &next);
        if (n == 0)
            break; /* the empty line: the head's end */
        if (out->field_count + 1 >= lines ||
            (rc = header_line(buf, pos, n, &out->fields[out->field_count], why)) != 0) {
            if (rc == 0) {
                *why = "the request head is malformed";
                rc = 400;
            }
            free(out->fields);
            memset(out, 0, sizeof *out);
            return rc;
        }
        out->field_count++;
        pos = next;
    }
    return 0;
}

/* ---- chunked bodies ----------------------------------------------------- */

void parse_chunked_init(parse_chunked *d, size_t max_line, size_t max_trailer)
{
    memset(d, 0, sizeof *d);
    d->state = CHUNK_SIZE;
    d->max_line = max_line;
    d->max_trailer = max_trailer;
}

static size_t chunk_fail(parse_chunked *d, const char *why, size_t consumed)
{
    d->state = CHUNK_ERROR;
    d->why = why;
    return consumed;
}

/* The size line ended: data follows, or the trailers after the last chunk. */
static bool size_line_done(parse_chunked *d)
{
    if (d->digits == 0)
        return false;
    d->state = d->size == 0 ? CHUNK_TRAILER : CHUNK_DATA;
    d->left = d->size;
    d->size = 0;
    d->digits = 0;
    d->in_ext = false;
    d->line = 0;
    return true;
}

/* One byte of a size line; false on a malformed one. */
static bool size_byte(parse_chunked *d, char c)
{
    if (++d->line > d->max_line)
        return false;
    if (d->cr) {
        if (c != '\n')
            return false;
        d->cr = false;
        return size_line_done(d);
    }
    if (c == '\r') {
        d->cr = true;
        return true;
    }
    if (c == '\n')
        return size_line_done(d);
    int v = d->in_ext ? -1 : gw_sdk_hex_value(c);
    if (v >= 0) {
        if (d->digits == 15)
            return false; /* 2^60 bytes: no body we accept comes close */
        d->size = d->size * 16 + (uint64_t)v;
        d->digits++;
        return true;
    }
    /* After the digits: spaces and extensions (";name=value"), ignored. */
    if (d->digits == 0 || is_ctl((unsigned char)c) || (!d->in_ext && c != ';' && c != ' ' &&
                                                      c != '\t'))
        return false;
    d->in_ext = true;
    return true;
}

/* One byte of the trailers; false on a malformed one. Sets CHUNK_DONE at
 * the empty line. */
static bool trailer_byte(parse_chunked *d, char c)
{
    if (++d->trailer > d->max_trailer)
        return false;
    if (d->cr && c != '\n')
        return false;
    if (c == '\r') {
        d->cr = true;
        return true;
    }
    if (c == '\n') {
        d->cr = false;
        if (d->line == 0)
            d->state = CHUNK_DONE;
        d->line = 0;
        return true;
    }
    if (is_ctl((unsigned char)c))
        return false;
    d->line++;
    return true;
}

size_t parse_chunked_step(parse_chunked *d, const char *in, size_t len, const char **data,
                          size_t *data_len)
{
    *data = NULL;
    *data_len = 0;
    size_t i = 0;
    while (i < len) {
        char c = in[i];
        switch (d->state) {
        case CHUNK_SIZE:
            if (!size_byte(d, c))
                return chunk_fail(d, "a chunk size line is malformed", i);
            i++;
            break;
        case CHUNK_DATA: {
            size_t n = len - i;
            if ((uint64_t)n > d->left)
                n = (size_t)d->left;
            *data = in + i;
            *data_len = n;
            d->left -= n;
            if (d->left == 0)
                d->state = CHUNK_DATA_LF;
            return i + n;
        }
        case CHUNK_DATA_LF:
            if (c == '\r' && !d->cr) {
                d->cr = true;
            } else if (c == '\n') {
                d->cr = false;
                d->state = CHUNK_SIZE;
                d->line = 0;
            } else {
                return chunk_fail(d, "a chunk's data is not followed by CRLF", i);
            }
            i++;
            break;
        case CHUNK_TRAILER:
            if (!trailer_byte(d, c))
                return chunk_fail(d, "the trailer after the last chunk is malformed or too long",
                                  i);
            i++;
            if (d->state == CHUNK_DONE)
                return i;
            break;
        case CHUNK_DONE:
        case CHUNK_ERROR:
            return i;
        }
    }
    return i;
}
