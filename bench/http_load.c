/* http_load.c - a small closed-loop HTTP load generator on plain libcurl
 * multi (curl's own poll loop, no libuv). It is the baseline the
 * gateway's client is compared with, and the load for the server benches.
 *
 * usage: http_load URL CONCURRENCY TOTAL [BODY_TEMPLATE]
 * With a body template the requests are POSTs of that JSON, "{n}" replaced
 * by the request number (so each webhook item has its own id).
 * Prints: requests/s, p50 and p99 latency in ms, and non-2xx count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

typedef struct slot {
    CURL *easy;
    double started;
    char *body;
} slot;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Ownership: returns a malloc'd body (caller frees). */
static char *make_body(const char *tmpl, long n)
{
    char num[24];
    snprintf(num, sizeof num, "%ld", n);
    size_t cap = strlen(tmpl) * 2 + 64, len = 0;
    char *out = malloc(cap);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{n}", 3) == 0) {
            len += (size_t)snprintf(out + len, cap - len, "%s", num);
            p += 3;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

static void start(CURLM *multi, slot *s, const char *url, const char *tmpl, long n,
                  struct curl_slist *headers)
{
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    if (tmpl != NULL) {
        free(s->body);
        s->body = make_body(tmpl, n);
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, headers);
    }
    s->started = now_s();
    curl_multi_add_handle(multi, s->easy);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL CONCURRENCY TOTAL [BODY_TEMPLATE]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *tmpl = argc > 4 ? argv[4] : NULL;
    long conc = atol(argv[2]), total = atol(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    slot *slots = calloc((size_t)conc, sizeof *slots);
    double *lat = calloc((size_t)total, sizeof *lat);
    long issued = 0, done = 0, bad = 0;
    double t0 = now_s();
    for (long i = 0; i < conc && issued < total; i++) {
        slots[i].easy = curl_easy_init();
        start(multi, &slots[i], url, tmpl, issued++, headers);
    }
    while (done < total) {
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            slot *s;
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (msg->data.result != CURLE_OK || code < 200 || code > 299)
                bad++;
            lat[done++] = now_s() - s->started;
            curl_multi_remove_handle(multi, s->easy);
            if (issued < total)
                start(multi, s, url, tmpl, issued++, headers);
        }
        if (done < total)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double dt = now_s() - t0;
    qsort(lat, (size_t)total, sizeof *lat, cmp_double);
    printf("%.0f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %ld\n", (double)total / dt,
           lat[total / 2] * 1e3, lat[(long)((double)total * 0.99)] * 1e3, bad);
    for (long i = 0; i < conc; i++) {
        if (slots[i].easy)
            curl_easy_cleanup(slots[i].easy);
        free(slots[i].body);
    }
    free(slots);
    free(lat);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return bad ? 1 : 0;
}
