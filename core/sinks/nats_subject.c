/* nats_subject.c - the nats sink's subject template; see nats_subject.h. */
#include "sinks/nats_subject.h"

#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

static const char *const placeholders[] = {"{network}", "{account}", "{type}", NULL};

/* Index of the placeholder the token [p, p+len) is, or -1. */
static int placeholder_of(const char *p, size_t len)
{
    for (int i = 0; placeholders[i] != NULL; i++)
        if (strlen(placeholders[i]) == len && memcmp(p, placeholders[i], len) == 0)
            return i;
    return -1;
}

static int literal_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int nats_subject_check(const char *tmpl, char *err, size_t errlen)
{
    if (tmpl == NULL || tmpl[0] == '\0') {
        snprintf(err, errlen, "subject must not be empty");
        return GW_EINVAL;
    }
    if (strlen(tmpl) > NATS_SUBJECT_MAX / 2) {
        snprintf(err, errlen, "subject is longer than %d characters", NATS_SUBJECT_MAX / 2);
        return GW_EINVAL;
    }
    const char *p = tmpl;
    for (;;) {
        size_t len = strcspn(p, ".");
        if (len == 0) {
            snprintf(err, errlen,
                     "subject \"%s\" has an empty token (two dots, or a dot at an end)", tmpl);
            return GW_EINVAL;
        }
        if (placeholder_of(p, len) < 0) {
            for (size_t i = 0; i < len; i++) {
                if (!literal_char(p[i])) {
                    snprintf(err, errlen,
                             "subject \"%s\": token \"%.*s\" must be literal text "
                             "([A-Za-z0-9_-]) or exactly one of {network}, {account}, {type}",
                             tmpl, (int)len, p);
                    return GW_EINVAL;
                }
            }
        }
        if (p[len] == '\0')
            return GW_OK;
        p += len + 1;
    }
}

int nats_subject_token(const char *value, char *out, size_t outlen)
{
    size_t n = 0;
    if (value == NULL || value[0] == '\0')
        value = "_";
    for (const char *v = value; *v != '\0'; v++) {
        unsigned char c = (unsigned char)*v;
        if (n + 1 >= outlen)
            return GW_ERANGE;
        out[n++] = (c <= 0x20 || c == 0x7f || c == '.' || c == '*' || c == '>') ? '_' : (char)c;
    }
    if (outlen == 0)
        return GW_ERANGE;
    out[n] = '\0';
    return (int)n;
}

/* The template with each placeholder token replaced: by the sanitised
 * value (values != NULL) or by '*'. */
static int expand(const char *tmpl, const char *const *values, char *out, size_t outlen)
{
    size_t n = 0;
    const char *p = tmpl;
    for (;;) {
        size_t len = strcspn(p, ".");
        int which = placeholder_of(p, len);
        int rc;
        if (which < 0) {
            if (n + len >= outlen)
                return GW_ERANGE;
            memcpy(out + n, p, len);
            rc = (int)len;
        } else if (values == NULL) {
            rc = n + 1 < outlen ? (out[n] = '*', 1) : GW_ERANGE;
        } else {
            rc = nats_subject_token(values[which], out + n, outlen - n);
        }
        if (rc < 0)
            return rc;
        n += (size_t)rc;
        if (p[len] == '\0')
            break;
        if (n + 1 >= outlen)
            return GW_ERANGE;
        out[n++] = '.';
        p += len + 1;
    }
    if (n >= outlen)
        return GW_ERANGE;
    out[n] = '\0';
    return (int)n;
}

int nats_subject_fill(const char *tmpl, const char *network, const char *account, const char *type,
                      char *out, size_t outlen)
{
    const char *values[] = {network, account, type};
    return expand(tmpl, values, out, outlen);
}

int nats_subject_wildcard(const char *tmpl, char *out, size_t outlen)
{
    return expand(tmpl, NULL, out, outlen);
}

int nats_subject_overlap(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        int wild = (la == 1 && a[0] == '*') || (lb == 1 && b[0] == '*');
        if (!wild && (la != lb || memcmp(a, b, la) != 0))
            return 0;
        if (a[la] == '\0' || b[lb] == '\0')
            return a[la] == b[lb]; /* both ended: same number of tokens */
        a += la + 1;
        b += lb + 1;
    }
}
