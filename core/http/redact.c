/* redact.c - credential masking for log lines; see redact.h. */
#include "http/redact.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

/* A bounded writer: appends what fits and remembers that something did not,
 * so callers build the redacted text in one pass without length juggling. */
typedef struct out_buf {
    char *buf;
    size_t cap; /* bytes available including the NUL */
    size_t len;
    bool truncated;
} out_buf;

static void out_append(out_buf *o, const char *s, size_t n)
{
    size_t room = o->cap - 1 - o->len;
    if (n > room) {
        n = room;
        o->truncated = true;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_append_str(out_buf *o, const char *s)
{
    out_append(o, s, strlen(s));
}

/* Query parameter names whose value is a credential. Kept exact (not "any
 * name ending in _token") because cursors like pagination_token must stay
 * readable in logs to debug paging. */
static const char *const secret_params[] = {
    "access_token",  "token",           "key",       "api_key",          "apikey",
    "client_secret", "appsecret_proof", "signature", "password",         "secret",
    "crc_token",     "refresh_token",   "id_token",  "hub.verify_token",
};

/* Does the (possibly percent-encoded) parameter name name a secret? The
 * name is decoded first so "access%5Ftoken" cannot slip past. */
static bool param_is_secret(const char *name, size_t len)
{
    char decoded[64];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '%' && i + 2 < len && gw_sdk_hex_value(name[i + 1]) >= 0 && gw_sdk_hex_value(name[i + 2]) >= 0) {
            c = (char)(gw_sdk_hex_value(name[i + 1]) * 16 + gw_sdk_hex_value(name[i + 2]));
            i += 2;
        }
        if (n + 1 >= sizeof decoded)
            break; /* long names are checked on their prefix (oauth_*) */
        decoded[n++] = c;
    }
    decoded[n] = '\0';
    if (strncasecmp(decoded, "oauth_", 6) == 0)
        return true;
    for (size_t i = 0; i < sizeof secret_params / sizeof secret_params[0]; i++) {
        if (strcasecmp(decoded, secret_params[i]) == 0)
            return true;
    }
    return false;
}

/* Copy "a=1&b=2" from [p, end), masking secret values. '&' and ';' both
 * separate parameters (some servers accept ';'), so a value never runs
 * past either unmasked. */
static void copy_params(out_buf *o, const char *p, const char *end)
{
    while (p < end) {
        const char *sep = p;
        while (sep < end && *sep != '&' && *sep != ';')
            sep++;
        const char *eq = memchr(p, '=', (size_t)(sep - p));
        if (eq != NULL && param_is_secret(p, (size_t)(eq - p))) {
            out_append(o, p, (size_t)(eq - p) + 1);
            out_append_str(o, REDACT_MASK);
        } else {
            out_append(o, p, (size_t)(sep - p));
        }
        if (sep < end)
            out_append(o, sep, 1);
        p = sep + 1;
    }
}

/* Copy "scheme://userinfo@host" masking the userinfo's password, or all of
 * the userinfo when it has no ':' (a bare token used as a user name).
 * Returns where the rest of the URL starts. */
static const char *copy_authority(out_buf *o, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *first_delim = strpbrk(url, "?#");
    if (scheme_end == NULL || (first_delim != NULL && first_delim < scheme_end))
        return url;
    const char *auth = scheme_end + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth + auth_len; q++) {
        if (*q == '@')
            at = q; /* the last '@' ends the userinfo */
    }
    out_append(o, url, (size_t)(auth - url));
    if (at == NULL)
        return auth;
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon != NULL) {
        out_append(o, auth, (size_t)(colon - auth) + 1);
        out_append_str(o, REDACT_MASK);
    } else {
        out_append_str(o, REDACT_MASK);
    }
    return at; /* the '@' and host follow */
}

int redact_url(const char *url, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return GW_EINVAL;
    out[0] = '\0';
    if (url == NULL)
        return GW_EINVAL;
    out_buf o = {out, outlen, 0, false};
    const char *p = copy_authority(&o, url);
    const char *end = p + strlen(p);
    const char *query = strchr(p, '?');
    const char *frag = strchr(p, '#');
    if (query != NULL && frag != NULL && frag < query)
        query = NULL; /* a '?' inside the fragment belongs to the fragment */
    const char *path_end = query ? query : frag ? frag : end;
    out_append(&o, p, (size_t)(path_end - p));
    if (query != NULL) {
        const char *qend = frag ? frag : end;
        out_append(&o, "?", 1);
        copy_params(&o, query + 1, qend);
    }
    if (frag != NULL) {
        /* OAuth implicit grants return access_token in the fragment. */
        out_append(&o, "#", 1);
        copy_params(&o, frag + 1, end);
    }
    return o.truncated ? GW_ERANGE : GW_OK;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    }
    return false;
}

static const char *const secret_headers[] = {
    "authorization", "proxy-authorization", "api-key", "user-api-key", "x-api-key",
    "cookie",        "set-cookie",
};

int redact_header_is_secret(const char *name)
{
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < sizeof secret_headers / sizeof secret_headers[0]; i++) {
        if (strcasecmp(name, secret_headers[i]) == 0)
            return 1;
    }
    return contains_nocase(name, "token") || contains_nocase(name, "secret") ||
           contains_nocase(name, "api-key") || contains_nocase(name, "apikey") ||
           contains_nocase(name, "password");
}

/* Length of a leading auth-scheme word followed by a space, or 0. The
 * scheme ("Bearer", "Basic", "OAuth") is public and says which credential
 * was sent, which is what one needs when debugging a 401. */
static size_t auth_scheme_len(const char *value)
{
    size_t n = 0;
    while (value[n] != '\0' &&
           (isalnum((unsigned char)value[n]) || value[n] == '-' || value[n] == '_'))
        n++;
    if (n == 0 || n > 24 || value[n] != ' ')
        return 0;
    return n;
}

int redact_header(const char *name, const char *value, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return GW_EINVAL;
    out[0] = '\0';
    if (name == NULL || value == NULL)
        return GW_EINVAL;
    out_buf o = {out, outlen, 0, false};
    if (!redact_header_is_secret(name)) {
        out_append_str(&o, value);
    } else {
        size_t scheme = 0;
        if (strcasecmp(name, "authorization") == 0 || strcasecmp(name, "proxy-authorization") == 0)
            scheme = auth_scheme_len(value);
        if (scheme > 0) {
            out_append(&o, value, scheme + 1);
        }
        out_append_str(&o, REDACT_MASK);
    }
    return o.truncated ? GW_ERANGE : GW_OK;
}
