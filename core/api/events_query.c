/* events_query.c - query parsing, filter match and SSE framing for
 * GET /v1/events; see events_query.h.
 */
#include "api/events_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

/* Percent-decode n bytes of s ('+' is a space, as forms send it) into a
 * new string; NULL (and *bad set) for a broken escape or %00. */
static char *decode(const char *s, size_t n, int *bad)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < n ? gw_sdk_hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? gw_sdk_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                *bad = 1;
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

int events_parse_seq(const char *text, int64_t *out)
{
    if (text == NULL || *text == '\0' || strlen(text) > 18)
        return GW_EINVAL;
    int64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return GW_EINVAL;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return GW_OK;
}

static int add_value(events_filter *f, const char *name, char *value, char *err, size_t errlen)
{
    if (f->count >= EVENTS_QUERY_MAX_VALUES) {
        snprintf(err, errlen, "at most %d values of %s", EVENTS_QUERY_MAX_VALUES, name);
        free(value);
        return GW_EINVAL;
    }
    f->values[f->count++] = value;
    return GW_OK;
}

static int take(events_query *q, const char *name, char *value, char *err, size_t errlen)
{
    if (strcmp(name, "network") == 0)
        return add_value(&q->network, name, value, err, errlen);
    if (strcmp(name, "account") == 0)
        return add_value(&q->account, name, value, err, errlen);
    if (strcmp(name, "type") == 0)
        return add_value(&q->type, name, value, err, errlen);
    int rc = GW_OK;
    if (strcmp(name, "after") == 0) {
        if (q->after >= 0)
            snprintf(err, errlen, "after is given twice"), rc = GW_EINVAL;
        else if (events_parse_seq(value, &q->after) != GW_OK)
            snprintf(err, errlen, "after must be a seq: a non-negative integer"), rc = GW_EINVAL;
    } else if (strcmp(name, "limit") == 0) {
        int64_t n = 0;
        if (q->limit > 0)
            snprintf(err, errlen, "limit is given twice"), rc = GW_EINVAL;
        else if (events_parse_seq(value, &n) != GW_OK || n < 1 || n > EVENTS_QUERY_MAX_LIMIT)
            snprintf(err, errlen, "limit must be an integer from 1 to %d",
                     EVENTS_QUERY_MAX_LIMIT),
                rc = GW_EINVAL;
        else
            q->limit = (long)n;
    } else {
        snprintf(err, errlen,
                 "unknown query parameter \"%.40s\"; known: after, limit, network, account, type",
                 name);
        rc = GW_EINVAL;
    }
    free(value);
    return rc;
}

int events_query_parse(const char *raw, events_query *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->after = -1;
    if (raw == NULL)
        return GW_OK;
    const char *p = raw;
    while (*p) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (n == 0) {
            p++;
            continue;
        }
        int bad = 0;
        size_t nlen = eq ? (size_t)(eq - p) : n;
        char *name = decode(p, nlen, &bad);
        char *value = eq ? decode(eq + 1, n - nlen - 1, &bad) : NULL;
        if (name == NULL || value == NULL) {
            free(name);
            free(value);
            if (bad || eq == NULL) {
                snprintf(err, errlen, "query parameters must be name=value with valid "
                                      "percent-encoding");
                return GW_EINVAL;
            }
            return GW_ENOMEM;
        }
        if (value[0] == '\0') {
            snprintf(err, errlen, "query parameter \"%.40s\" has an empty value", name);
            free(name);
            free(value);
            return GW_EINVAL;
        }
        int rc = take(q, name, value, err, errlen);
        free(name);
        if (rc != GW_OK)
            return rc;
        p += n;
        if (*p == '&')
            p++;
    }
    return GW_OK;
}

static void filter_free(events_filter *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->values[i]);
    f->count = 0;
}

void events_query_free(events_query *q)
{
    filter_free(&q->network);
    filter_free(&q->account);
    filter_free(&q->type);
}

static int filter_match(const events_filter *f, const char *v, int prefix)
{
    if (f->count == 0)
        return 1;
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < f->count; i++) {
        size_t n = strlen(f->values[i]);
        if (prefix ? strncmp(v, f->values[i], n) == 0 : strcmp(v, f->values[i]) == 0)
            return 1;
    }
    return 0;
}

int events_query_match(const events_query *q, const char *network, const char *account,
                       const char *type)
{
    return filter_match(&q->network, network, 0) && filter_match(&q->account, account, 0) &&
           filter_match(&q->type, type, 1);
}

char *events_sse_frame(int64_t seq, const char *type, const char *json, size_t len,
                       size_t *out_len)
{
    int type_ok = type != NULL && type[0] != '\0' && strpbrk(type, "\r\n") == NULL;
    size_t tlen = type_ok ? strlen(type) : 0;
    size_t cap = 32 + (type_ok ? tlen + 8 : 0) + 7 + len + 2;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    int n = snprintf(out, cap, "id: %lld\n", (long long)seq);
    size_t o = (size_t)n;
    if (type_ok) {
        memcpy(out + o, "event: ", 7);
        memcpy(out + o + 7, type, tlen);
        o += 7 + tlen;
        out[o++] = '\n';
    }
    memcpy(out + o, "data: ", 6);
    o += 6;
    for (size_t i = 0; i < len; i++)
        out[o++] = (json[i] == '\n' || json[i] == '\r') ? ' ' : json[i];
    out[o++] = '\n';
    out[o++] = '\n';
    *out_len = o;
    return out;
}
