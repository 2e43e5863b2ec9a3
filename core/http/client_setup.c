/* client_setup.c - request checks, header lines and curl options; see
 * client_setup.h.
 */
#include "http/client_setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/error.h"
#include "http/server_parse.h"

#define MAX_REDIRECTS 5L

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};

static bool header_name_ok(const char *name)
{
    return name != NULL && parse_is_token(name, strlen(name));
}

static bool url_scheme_ok(const char *url, bool *https)
{
    if (strncasecmp(url, "https://", 8) == 0) {
        *https = true;
        return true;
    }
    *https = false;
    return strncasecmp(url, "http://", 7) == 0;
}

int client_setup_check(const http_client *c, const gw_http_request *req, const char **method,
                       bool *https, uint64_t *timeout_ms)
{
    if (req->struct_size < offsetof(gw_http_request, body_len) + sizeof req->body_len ||
        req->method == NULL || req->url == NULL ||
        (req->header_count > 0 && req->headers == NULL) || (req->body_len > 0 && req->body == NULL))
        return GW_EINVAL;
    if (!url_scheme_ok(req->url, https) || strpbrk(req->url, " \r\n") != NULL)
        return GW_EINVAL;
    const char *m = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(req->method, methods[i]) == 0)
            m = methods[i];
    }
    if (m == NULL || (req->body_len > 0 && strcmp(m, "GET") == 0) ||
        (req->body_len > 0 && strcmp(m, "HEAD") == 0))
        return GW_EINVAL;
    *method = m;
    uint64_t t = GW_HAS_MEMBER(req, gw_http_request, timeout_ms) ? req->timeout_ms : 0;
    if (t == 0)
        t = c->opts.default_timeout_ms;
    if (t > (uint64_t)LONG_MAX)
        t = (uint64_t)LONG_MAX;
    *timeout_ms = t;
    return GW_OK;
}

static int build_headers(http_req *r, const gw_http_request *req)
{
    bool has_expect = false;
    for (size_t i = 0; i < req->header_count; i++) {
        const gw_http_header *h = &req->headers[i];
        if (!header_name_ok(h->name) || !parse_is_field_value(h->value))
            return GW_EINVAL;
        if (strcasecmp(h->name, "expect") == 0)
            has_expect = true;
        size_t len = strlen(h->name) + strlen(h->value) + 3;
        char *line = malloc(len);
        if (line == NULL)
            return GW_ENOMEM;
        /* curl drops "Name:" with an empty value; "Name;" sends it empty. */
        if (h->value[0] == '\0')
            snprintf(line, len, "%s;", h->name);
        else
            snprintf(line, len, "%s: %s", h->name, h->value);
        struct curl_slist *grown = r->client->lib.slist_append(r->req_headers, line);
        free(line);
        if (grown == NULL)
            return GW_ENOMEM;
        r->req_headers = grown;
    }
    /* "Expect: 100-continue" on large bodies costs a round trip (or a 1 s
     * stall against servers that ignore it); API bodies are small. */
    if (req->body_len > 0 && !has_expect) {
        struct curl_slist *grown = r->client->lib.slist_append(r->req_headers, "Expect:");
        if (grown == NULL)
            return GW_ENOMEM;
        r->req_headers = grown;
    }
    return GW_OK;
}

static int setup_easy(http_client *c, http_req *r, const gw_http_request *req, bool https)
{
    CURL *e = r->easy;
    bool ok = true;
#define SET(opt, val) ok = ok && c->lib.easy_setopt(e, opt, val) == CURLE_OK
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PRIVATE, (char *)r);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* Follow redirects, but never from https down to http. */
    SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* the cap counts decoded bytes */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
    SET(CURLOPT_WRITEFUNCTION, client_response_on_body);
    SET(CURLOPT_WRITEDATA, &r->resp);
    SET(CURLOPT_HEADERFUNCTION, client_response_on_header);
    SET(CURLOPT_HEADERDATA, &r->resp);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    if (r->req_headers != NULL)
        SET(CURLOPT_HTTPHEADER, r->req_headers);
    if (c->ca_file != NULL)
        SET(CURLOPT_CAINFO, c->ca_file);

    const char *m = r->method;
    if (strcmp(m, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(m, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "POST") == 0 || req->body_len > 0) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_POSTFIELDS, r->req_body != NULL ? (char *)r->req_body : "");
        if (strcmp(m, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, m);
    } else {
        SET(CURLOPT_CUSTOMREQUEST, m); /* PUT/PATCH/DELETE without a body */
    }
#undef SET
    return ok ? GW_OK : GW_EINVAL;
}

int client_setup_transfer(http_client *c, http_req *r, const gw_http_request *req, bool https)
{
    int rc = build_headers(r, req);
    if (rc != GW_OK)
        return rc;
    if ((r->easy = c->lib.easy_init()) == NULL)
        return GW_ENOMEM;
    return setup_easy(c, r, req, https);
}
