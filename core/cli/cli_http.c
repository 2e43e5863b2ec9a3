/* cli_http.c - the CLI's requests to the running gateway's API; see
 * cli_http.h.
 */
#define _GNU_SOURCE /* asprintf */
#include "cli/cli_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define REQUEST_TIMEOUT_MS 10000L

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

long cli_api_call(const char *url, const char *token, const char *body, json_t **doc, char *why,
                  size_t whylen)
{
    *doc = NULL;
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(why, whylen, "cannot start an HTTP client");
        return 0;
    }
    char auth[1024];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    cli_buffer answer = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long status = 0;
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        snprintf(why, whylen, "cannot reach the gateway at %s: %s", url,
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 0 && answer.data != NULL) {
        json_error_t jerr;
        *doc = json_loads(answer.data, 0, &jerr);
    }
    free(answer.data);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
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
