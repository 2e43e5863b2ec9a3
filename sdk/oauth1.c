/* sdk/oauth1.c - OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849).
 *
 * X still authenticates user-context calls (posting, direct messages)
 * with OAuth 1.0a. The signature covers the method, the URL without its
 * query, and every parameter of the query string, of a form body and of
 * the protocol itself, each percent-encoded per RFC 3986, sorted, joined
 * and encoded again. Every step is easy to get subtly wrong (a '+' that
 * should be %20, a default port left in, a parameter sorted by its
 * decoded name), so the base string builder is exposed on its own and
 * tested against the published examples.
 *
 * Nothing here keeps state between calls; strings built here are
 * malloc'ed and handed to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "gateway/sdk.h"

#define NONCE_BYTES 16
#define SIGNATURE_SIZE GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)

/* ---- parameters --------------------------------------------------------- */

/* One parameter, already percent-encoded (RFC 3986), both malloc'ed. */
typedef struct enc_param {
    char *name, *value;
} enc_param;

typedef struct param_list {
    enc_param *items;
    size_t count, cap;
} param_list;

static void params_free(param_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
}

static char *encode_dup(const char *s)
{
    size_t n = gw_sdk_percent_encode(s, NULL, 0);
    char *enc = malloc(n + 1);
    if (enc != NULL)
        gw_sdk_percent_encode(s, enc, n + 1);
    return enc;
}

static int params_add(param_list *l, const char *name, const char *value)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        enc_param *items = realloc(l->items, cap * sizeof *items);
        if (items == NULL)
            return GW_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    enc_param *p = &l->items[l->count];
    p->name = encode_dup(name);
    p->value = encode_dup(value != NULL ? value : "");
    if (p->name == NULL || p->value == NULL) {
        free(p->name);
        free(p->value);
        return GW_ENOMEM;
    }
    l->count++;
    return 0;
}

/* RFC 5849 3.4.1.3.2: by encoded name, then by encoded value, bytewise. */
static int param_cmp(const void *a, const void *b)
{
    const enc_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->value, y->value);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode n bytes of a query component ('+' is a space, as form encoding
 * has it) into a malloc'ed string. GW_EINVAL for a malformed or NUL
 * escape. */
static int form_decode(const char *s, size_t n, char **out)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        return GW_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) { /* fewer than two characters follow */
                free(d);
                return GW_EINVAL;
            }
            int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(d);
                return GW_EINVAL;
            }
            d[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            d[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    d[o] = '\0';
    *out = d;
    return 0;
}

/* Add the parameters of a raw query string (without '?'). */
static int params_add_query(param_list *l, const char *query, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && query[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && query[eq] != '=')
                eq++;
            char *name = NULL, *value = NULL;
            int rc = form_decode(query + i, eq - i, &name);
            if (rc == 0)
                rc = form_decode(eq < end ? query + eq + 1 : "", eq < end ? end - eq - 1 : 0,
                                 &value);
            if (rc == 0)
                rc = params_add(l, name, value);
            free(name);
            free(value);
            if (rc < 0)
                return rc;
        }
        i = end + 1;
    }
    return 0;
}

/* ---- the base string ------------------------------------------------------ */

/* Split an absolute http(s) URL: the base string URI (RFC 5849 3.4.1.2)
 * goes to b, the raw query (or NULL) to *query and *query_len. */
static int base_uri(const char *url, gw_sdk_buf *b, const char **query, size_t *query_len)
{
    const char *p;
    int https;
    if (strncasecmp(url, "https://", 8) == 0) {
        https = 1;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        https = 0;
        p = url + 7;
    } else {
        return GW_EINVAL;
    }
    size_t auth_len = strcspn(p, "/?#");
    if (auth_len == 0 || memchr(p, '@', auth_len) != NULL)
        return GW_EINVAL; /* no host, or credentials in the URL */

    /* The port is after the last ':' outside an IPv6 literal. */
    size_t host_len = auth_len;
    const char *bracket = memchr(p, ']', auth_len);
    const char *colon = NULL;
    for (const char *c = bracket != NULL ? bracket : p; c < p + auth_len; c++)
        if (*c == ':')
            colon = c;
    const char *port = NULL;
    size_t port_len = 0;
    if (colon != NULL) {
        host_len = (size_t)(colon - p);
        port = colon + 1;
        port_len = auth_len - host_len - 1;
    }
    gw_sdk_buf_adds(b, https ? "https://" : "http://");
    for (size_t i = 0; i < host_len; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        gw_sdk_buf_add(b, &c, 1);
    }
    /* An empty or default port is left out. */
    if (port_len > 0 && !(port_len == 2 && !https && memcmp(port, "80", 2) == 0) &&
        !(port_len == 3 && https && memcmp(port, "443", 3) == 0)) {
        gw_sdk_buf_adds(b, ":");
        gw_sdk_buf_add(b, port, port_len);
    }
    const char *path = p + auth_len;
    size_t path_len = strcspn(path, "?#");
    if (path_len == 0)
        gw_sdk_buf_adds(b, "/");
    else
        gw_sdk_buf_add(b, path, path_len);

    *query = NULL;
    *query_len = 0;
    if (path[path_len] == '?') {
        *query = path + path_len + 1;
        *query_len = strcspn(*query, "#");
    }
    return b->failed ? GW_ENOMEM : 0;
}

int gw_sdk_oauth1_base_string(const char *method, const char *url, const gw_sdk_param *params,
                              size_t n, char **out)
{
    if (method == NULL || url == NULL || out == NULL || (params == NULL && n > 0))
        return GW_EINVAL;
    *out = NULL;
    gw_sdk_buf uri = {0}, norm = {0}, base = {0};
    param_list list = {0};
    const char *query;
    size_t query_len;
    int rc = base_uri(url, &uri, &query, &query_len);
    if (rc < 0)
        goto done;
    if (query != NULL && (rc = params_add_query(&list, query, query_len)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (params[i].name == NULL) {
            rc = GW_EINVAL;
            goto done;
        }
        if ((rc = params_add(&list, params[i].name, params[i].value)) < 0)
            goto done;
    }
    if (list.count > 1)
        qsort(list.items, list.count, sizeof *list.items, param_cmp);
    gw_sdk_buf_adds(&norm, "");
    for (size_t i = 0; i < list.count; i++) {
        if (i > 0)
            gw_sdk_buf_adds(&norm, "&");
        gw_sdk_buf_adds(&norm, list.items[i].name);
        gw_sdk_buf_adds(&norm, "=");
        gw_sdk_buf_adds(&norm, list.items[i].value);
    }

    /* The method is upper case (RFC 5849 3.4.1.1). */
    for (const char *m = method; *m != '\0'; m++) {
        char c = *m >= 'a' && *m <= 'z' ? (char)(*m - 'a' + 'A') : *m;
        gw_sdk_buf_add(&base, &c, 1);
    }
    gw_sdk_buf_adds(&base, "&");
    gw_sdk_buf_add_encoded(&base, uri.p != NULL ? uri.p : "");
    gw_sdk_buf_adds(&base, "&");
    gw_sdk_buf_add_encoded(&base, norm.p != NULL ? norm.p : "");
    if (uri.failed || norm.failed || base.failed) {
        rc = GW_ENOMEM;
        goto done;
    }
    *out = gw_sdk_buf_take(&base);
    base.p = NULL;
    rc = *out != NULL ? 0 : GW_ENOMEM;
done:
    free(base.p);
    free(uri.p);
    free(norm.p);
    params_free(&list);
    return rc;
}

/* ---- signing ---------------------------------------------------------------- */

/* The protocol parameters other than the signature, in sorted order. */
typedef struct oauth_fields {
    const char *names[6];
    const char *values[6];
    size_t count;
    char timestamp[24];
} oauth_fields;

static void oauth_fields_fill(oauth_fields *f, const gw_sdk_oauth1_keys *keys, const char *nonce,
                              uint64_t timestamp)
{
    snprintf(f->timestamp, sizeof f->timestamp, "%llu", (unsigned long long)timestamp);
    int has_token = keys->token != NULL && keys->token[0] != '\0';
    size_t n = 0;
    f->names[n] = "oauth_consumer_key";
    f->values[n++] = keys->consumer_key;
    f->names[n] = "oauth_nonce";
    f->values[n++] = nonce;
    f->names[n] = "oauth_signature_method";
    f->values[n++] = "HMAC-SHA1";
    f->names[n] = "oauth_timestamp";
    f->values[n++] = f->timestamp;
    if (has_token) {
        f->names[n] = "oauth_token";
        f->values[n++] = keys->token;
    }
    f->names[n] = "oauth_version";
    f->values[n++] = "1.0";
    f->count = n;
}

static int sign_with(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                     const gw_sdk_param *form, size_t n, const oauth_fields *f, char *sig,
                     size_t siglen)
{
    gw_sdk_param *all = calloc(n + f->count, sizeof *all);
    if (all == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < f->count; i++) {
        all[i].name = f->names[i];
        all[i].value = f->values[i];
    }
    for (size_t i = 0; i < n; i++)
        all[f->count + i] = form[i];
    char *base = NULL;
    int rc = gw_sdk_oauth1_base_string(method, url, all, n + f->count, &base);
    free(all);
    if (rc < 0)
        return rc;

    gw_sdk_buf key = {0};
    gw_sdk_buf_add_encoded(&key, keys->consumer_secret);
    gw_sdk_buf_adds(&key, "&");
    gw_sdk_buf_add_encoded(&key, keys->token_secret != NULL ? keys->token_secret : "");
    if (key.failed) {
        free(key.p);
        free(base);
        return GW_ENOMEM;
    }
    unsigned char mac[GW_SDK_SHA1_SIZE];
    gw_sdk_hmac_sha1(key.p, key.len, base, strlen(base), mac);
    /* The key is the two secrets in clear. */
    memset(key.p, 0, key.len);
    free(key.p);
    free(base);
    return gw_sdk_base64_encode(mac, sizeof mac, sig, siglen) < 0 ? GW_ERANGE : 0;
}

static int check_inputs(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                        const gw_sdk_param *form, size_t n, const char *nonce)
{
    if (keys == NULL || keys->consumer_key == NULL || keys->consumer_key[0] == '\0' ||
        keys->consumer_secret == NULL || method == NULL || url == NULL || nonce == NULL ||
        nonce[0] == '\0' || (form == NULL && n > 0))
        return GW_EINVAL;
    return 0;
}

int gw_sdk_oauth1_sign(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                       const gw_sdk_param *form, size_t n, const char *nonce, uint64_t timestamp,
                       char *sig, size_t siglen)
{
    int rc = check_inputs(keys, method, url, form, n, nonce);
    if (rc < 0)
        return rc;
    if (sig == NULL || siglen < SIGNATURE_SIZE)
        return GW_ERANGE;
    oauth_fields f;
    oauth_fields_fill(&f, keys, nonce, timestamp);
    return sign_with(keys, method, url, form, n, &f, sig, siglen);
}

int gw_sdk_oauth1_header(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                         const gw_sdk_param *form, size_t n, const char *nonce, uint64_t timestamp,
                         char **out)
{
    if (out == NULL)
        return GW_EINVAL;
    *out = NULL;
    int rc = check_inputs(keys, method, url, form, n, nonce);
    if (rc < 0)
        return rc;
    oauth_fields f;
    oauth_fields_fill(&f, keys, nonce, timestamp);
    char sig[SIGNATURE_SIZE];
    if ((rc = sign_with(keys, method, url, form, n, &f, sig, sizeof sig)) < 0)
        return rc;

    /* The signature sorts between oauth_nonce and oauth_signature_method;
     * the order is not significant, but a stable one reads better. */
    gw_sdk_buf b = {0};
    gw_sdk_buf_adds(&b, "OAuth ");
    for (size_t i = 0; i < f.count; i++) {
        if (i == 2) {
            gw_sdk_buf_adds(&b, "oauth_signature=\"");
            gw_sdk_buf_add_encoded(&b, sig);
            gw_sdk_buf_adds(&b, "\", ");
        }
        gw_sdk_buf_adds(&b, f.names[i]);
        gw_sdk_buf_adds(&b, "=\"");
        gw_sdk_buf_add_encoded(&b, f.values[i]);
        gw_sdk_buf_adds(&b, i + 1 < f.count ? "\", " : "\"");
    }
    *out = gw_sdk_buf_take(&b);
    return *out != NULL ? 0 : GW_ENOMEM;
}

int gw_sdk_oauth1_nonce(char *buf, size_t buflen)
{
    unsigned char raw[NONCE_BYTES];
    if (buf == NULL || buflen < 2 * NONCE_BYTES + 1)
        return GW_ERANGE;
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, GRND_NONBLOCK);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (got < sizeof raw) {
        /* getrandom unavailable (old kernel, seccomp): the device. */
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return GW_EIO;
        while (got < sizeof raw) {
            ssize_t n = read(fd, raw + got, sizeof raw - got);
            if (n > 0)
                got += (size_t)n;
            else if (!(n < 0 && errno == EINTR))
                break;
        }
        close(fd);
        if (got < sizeof raw)
            return GW_EIO;
    }
    return gw_sdk_hex_encode(raw, sizeof raw, buf, buflen) < 0 ? GW_ERANGE : 0;
}
