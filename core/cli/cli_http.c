/* cli_http.c - the CLI's requests to the running gateway's API; see
 * cli_http.h.
 */
#define _GNU_SOURCE /* asprintf */
#include "cli/cli_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http/curl_lib.h"

#include "config/config.h"

#define REQUEST_TIMEOUT_MS 10000L
#define TOKEN_ENV "GATEWAY_API_TOKEN"

typedef struct cli_buffer {
    char *data;
    size_t len;
} cli_buffer;

static size_t collect_cb(char *ptr, size_t size, size_t n, void *arg)
{
    cli_buffer *b = arg;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

long cli_api_call(const curl_lib *lib, const char *url, const char *token, const char *body, json_t **doc, char *why,
                  size_t whylen)
{
    return cli_api_method(lib, body != NULL ? "POST" : "GET", url, token, body, doc, why, whylen);
}

long cli_api_method(const curl_lib *lib, const char *method, const char *url, const char *token, const char *body,
                    json_t **doc, char *why, size_t whylen)
{
    *doc = NULL;
    CURL *h = lib->easy_init();
    if (h == NULL) {
        snprintf(why, whylen, "cannot start an HTTP client");
        return 0;
    }
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *headers = lib->slist_append(NULL, auth);
    headers = lib->slist_append(headers, "Content-Type: application/json");
    headers = lib->slist_append(headers, "Accept: application/json");
    cli_buffer answer = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    lib->easy_setopt(h, CURLOPT_URL, url);
    lib->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    lib->easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    lib->easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    lib->easy_setopt(h, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    lib->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    lib->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL)
        lib->easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        lib->easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    long status = 0;
    CURLcode rc = lib->easy_perform(h);
    if (rc != CURLE_OK)
        snprintf(why, whylen, "cannot reach the gateway at %s: %s", url,
                 errbuf[0] ? errbuf : lib->easy_strerror(rc));
    else
        lib->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 0 && answer.data != NULL) {
        json_error_t jerr;
        *doc = json_loads(answer.data, 0, &jerr);
    }
    free(answer.data);
    lib->slist_free_all(headers);
    lib->easy_cleanup(h);
    return status;
}

char *cli_url_from_listen(const char *listen, char *why, size_t whylen)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (colon == NULL || atoi(colon + 1) == 0) {
        snprintf(why, whylen,
                 "cannot tell the gateway's address from [http] listen = \"%s\"; pass --url",
                 listen ? listen : "");
        return NULL;
    }
    const char *host = listen;
    size_t host_len = (size_t)(colon - listen);
    /* A wildcard address listens on loopback too. */
    if (host_len == 7 && strncmp(host, "0.0.0.0", 7) == 0) {
        host = "127.0.0.1";
        host_len = 9;
    } else if (host_len == 4 && strncmp(host, "[::]", 4) == 0) {
        host = "[::1]";
        host_len = 5;
    }
    char *url = NULL;
    if (asprintf(&url, "http://%.*s:%s", (int)host_len, host, colon + 1) < 0)
        return NULL;
    return url;
}

/* Where the gateway is and its token, from the options, the environment
 * and the configuration. Returns 0 with *base and *token set (caller
 * frees both), or an exit code after saying why. */
int cli_api_locate(const cli_parsed *p, const char *cmd, char **base, char **token)
{
    const char *url = cli_value(p, "url");
    const char *env = getenv(TOKEN_ENV);
    *base = url != NULL ? strdup(url) : NULL;
    *token = env != NULL && env[0] != '\0' ? strdup(env) : NULL;
    if (*base == NULL || *token == NULL) {
        gw_config *cfg = NULL;
        cfg_errors errs = {0};
        if (config_load(p->config_path, &cfg, &errs) != GW_OK) {
            fprintf(stderr, "gateway %s: %s; pass --url and set $" TOKEN_ENV ", or -c FILE\n", cmd,
                    errs.count ? errs.lines[0] : "cannot read the configuration");
            cfg_errors_free(&errs);
            free(*base);
            free(*token);
            return 2;
        }
        char why[512] = "";
        if (*base == NULL)
            *base = cli_url_from_listen(json_string_value(json_object_get(cfg->http, "listen")),
                                        why, sizeof why);
        const char *t = json_string_value(json_object_get(cfg->api, "token"));
        if (*token == NULL && t != NULL && t[0] != '\0')
            *token = strdup(t);
        cfg_errors_free(&errs);
        config_free(cfg);
        if (*base == NULL || *token == NULL) {
            fprintf(stderr, "gateway %s: %s\n", cmd,
                    *base == NULL ? (why[0] ? why : "out of memory")
                                  : "no token: set [api] token or $" TOKEN_ENV);
            free(*base);
            free(*token);
            return 2;
        }
    }
    /* A trailing '/' would make "//v1/accounts". */
    size_t n = strlen(*base);
    while (n > 0 && (*base)[n - 1] == '/')
        (*base)[--n] = '\0';
    return 0;
}
