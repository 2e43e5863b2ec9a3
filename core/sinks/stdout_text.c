/* stdout_text.c - one event as one readable, terminal-safe line; see
 * stdout_text.h.
 *
 * A line is built unit by unit: a unit is one character as it will be
 * shown (a copied UTF-8 sequence, a space for a newline, or a whole escape
 * such as \x1b), so a cut never falls inside a multi-byte character or an
 * escape. Columns are counted per unit: one per character, two for the
 * common wide (East Asian, emoji) ranges, none for combining marks; a
 * guess without the locale's tables, good enough to keep a line from
 * wrapping in the usual cases.
 */
#include "sinks/stdout_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "gateway/sdk.h"

#define TEXT_DEFAULT_WIDTH 100
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

/* A line being built, with the point to cut back to if it overflows. */
typedef struct line_buf {
    char *data;
    size_t len, cap;
    int width;      /* <= 0: no cut */
    int cols;       /* columns in data */
    size_t cut_len; /* bytes that fit in width - 1 columns (room for "…") */
    int overflow;   /* a unit did not fit: cut at cut_len, add "…" */
    int oom;
} line_buf;

int stdout_text_width(int fd)
{
    struct winsize ws;

    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    if (env != NULL && *env != '\0') {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0 && n <= 100000)
            return (int)n;
    }
    return TEXT_DEFAULT_WIDTH;
}

static void buf_put(line_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Append one unit of `cols` columns, unless the line is already full. */
static void unit_put(line_buf *b, const char *s, size_t n, int cols)
{
    if (b->overflow)
        return;
    if (b->width > 0 && b->cols + cols > b->width) {
        b->overflow = 1;
        return;
    }
    buf_put(b, s, n);
    b->cols += cols;
    if (b->width <= 0 || b->cols <= b->width - 1)
        b->cut_len = b->len;
}

/* Decode one UTF-8 sequence at s (n > 0 bytes left). Returns its length,
 * or 0 when the byte at s does not start a valid sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Code points a terminal or its text layout acts on: shown as \uNNNN.
 * C1 controls (0x9b is a CSI on some terminals) and the bidirectional
 * marks, embeddings, overrides and isolates, which can make a line read
 * differently from what it holds. */
static int is_unsafe(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static int is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
           (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

static int is_combining(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200d) ||
           (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x20d0 && cp <= 0x20ff);
}

/* Append untrusted bytes, one unit per character, escaped as needed. */
static void put_safe(line_buf *b, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    char esc[16];

    while (n > 0 && !b->overflow) {
        uint32_t cp;
        size_t len = utf8_decode(s, n, &cp);
        if (len == 0) { /* not UTF-8: the byte, escaped */
            snprintf(esc, sizeof esc, "\\x%02x", s[0]);
            unit_put(b, esc, 4, 4);
            len = 1;
        } else if (cp == '\n' || cp == '\r' || cp == '\t' || cp == 0x2028 || cp == 0x2029) {
            unit_put(b, " ", 1, 1);
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
            unit_put(b, esc, 4, 4);
        } else if (is_unsafe(cp)) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            unit_put(b, esc, 6, 6);
        } else {
            unit_put(b, (const char *)s, len, is_wide(cp) ? 2 : is_combining(cp) ? 0 : 1);
        }
        s += len;
        n -= len;
    }
}

static void put_safe_str(line_buf *b, const char *s)
{
    put_safe(b, s, strlen(s));
}

/* A string member of obj, or NULL when absent, not a string or empty. */
static const char *member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL && *s != '\0' ? s : NULL;
}

/* The local calendar time of an RFC 3339 stamp; 0 when it does not parse. */
static int local_time(const char *stamp, struct tm *tm)
{
    int64_t ms;

    if (stamp == NULL || gw_sdk_time_parse(stamp, &ms) < 0)
        return 0;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    return localtime_r(&t, tm) != NULL;
}

static void put_time(line_buf *b, const json_t *event)
{
    const char *created = member(event, "created_at");
    const char *received = member(event, "received_at");
    struct tm when, arrived;
    char out[32];

    if (!local_time(created, &when) && !local_time(received, &when)) {
        unit_put(b, "--:--:--", 8, 8);
        return;
    }
    /* An old item (a backfill, a late review) says which day it is from. */
    if (local_time(received, &arrived) &&
        (arrived.tm_year != when.tm_year || arrived.tm_yday != when.tm_yday))
        strftime(out, sizeof out, "%Y-%m-%d %H:%M", &when);
    else
        strftime(out, sizeof out, "%H:%M:%S", &when);
    put_safe_str(b, out);
}

static char *finish(line_buf *b)
{
    if (b->overflow) {
        b->len = b->cut_len;
        b->overflow = 0;
        b->width = 0;
        buf_put(b, ELLIPSIS, sizeof ELLIPSIS - 1);
    }
    buf_put(b, "\n", 1);
    if (b->oom) {
        free(b->data);
        return NULL;
    }
    return b->data;
}

char *stdout_text_line(const json_t *event, int width)
{
    line_buf b = {.width = width};
    const json_t *author = json_object_get(event, "author");
    const char *priority = member(event, "priority");
    const char *text = member(event, "text");
    const char *network = member(event, "network");
    const char *account = member(event, "account");
    const char *type = member(event, "type");

    if (priority == NULL)
        priority = member(json_object_get(event, "tags"), "priority");
    put_time(&b, event);
    unit_put(&b, " ", 1, 1);
    put_safe_str(&b, network ? network : "?");
    unit_put(&b, "/", 1, 1);
    put_safe_str(&b, account ? account : "?");
    unit_put(&b, " ", 1, 1);
    put_safe_str(&b, type ? type : "?");
    if (priority != NULL) {
        unit_put(&b, " [", 2, 2);
        put_safe_str(&b, priority);
        unit_put(&b, "]", 1, 1);
    }
    const char *handle = member(author, "handle");
    const char *name = member(author, "name");
    if (handle != NULL || name != NULL) {
        unit_put(&b, " ", 1, 1);
        if (handle != NULL)
            unit_put(&b, "@", 1, 1);
        put_safe_str(&b, handle != NULL ? handle : name);
        if (text != NULL)
            unit_put(&b, ":", 1, 1);
    }
    if (text != NULL) {
        unit_put(&b, " ", 1, 1);
        put_safe_str(&b, text);
    }
    return finish(&b);
}

char *stdout_text_raw(const char *data, size_t len, int width)
{
    line_buf b = {.width = width};

    put_safe(&b, data, len);
    return finish(&b);
}
