/* triage_bench - triage's own cost per item, on the event loop's path
 * (triage_enrich_text: the tags written as text), without the rest of
 * the gateway: the flood benchmark's noise (the store, the sink, the
 * host) is larger than the changes to triage worth measuring.
 *
 * The items are a JSONL file's (default: the labelled sample,
 * tests/data/triage_sample.jsonl; a flood's events.jsonl works too),
 * triaged with the flood benchmark's [triage] table. The baseline, from
 * the same run, is serialising each item once (base/json_write), which
 * the gateway does to every event it stores: triage's cost is printed
 * beside it and as a multiple of it.
 *
 * The members triage reads are looked up once, before the rounds, as the
 * gateway's pipeline hands them over from validation: looking them up
 * again for each call was a fifth of the instructions measured, and most
 * of the cache misses, with 20,000 items.
 *
 * usage: triage_bench [ITEMS.jsonl] [ROUNDS]
 * Figures only; nothing is asserted. CPU time of this thread, median of
 * the rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/json_write.h"
#include "config/config.h"
#include "gateway/error.h"
#include "triage/triage.h"

#define ITEMS_MAX 100000

static const char flood_triage[] = "[triage]\nenabled = true\nbrand_terms = [\"acme\"]\n"
                                   "brand_handles = [\"@acme\"]\ncompetitors = [\"Globex\"]\n";

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* An item as a plugin emits it: the file's event without the tags a
 * gateway added, so every item takes the text path. Caller owns it. */
static json_t *item_of(const char *line)
{
    json_t *ev = json_loads(line, 0, NULL);
    if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "text"))) {
        json_decref(ev);
        return NULL;
    }
    json_object_del(ev, "tags");
    if (json_object_get(ev, "type") == NULL)
        json_object_set_new(ev, "type", json_string("mention"));
    if (json_object_get(ev, "visibility") == NULL)
        json_object_set_new(ev, "visibility", json_string("public"));
    return ev;
}

static size_t read_items(const char *path, json_t **items)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (n < ITEMS_MAX && getline(&line, &cap, f) > 0) {
        if ((items[n] = item_of(line)) != NULL)
            n++;
    }
    free(line);
    fclose(f);
    return n;
}

static const char *network_of(const json_t *ev)
{
    const char *n = json_string_value(json_object_get(ev, "network"));
    return n != NULL ? n : "mock";
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : GW_SOURCE_DIR "/tests/data/triage_sample.jsonl";
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    if (rounds < 1 || rounds > 1000) {
        fprintf(stderr, "usage: triage_bench [ITEMS.jsonl] [ROUNDS 1-1000]\n");
        return 2;
    }
    static json_t *items[ITEMS_MAX];
    static triage_item views[ITEMS_MAX];
    static const char *networks[ITEMS_MAX];
    size_t n = read_items(path, items);
    if (n == 0) {
        fprintf(stderr, "%s: no items with a text\n", path);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        triage_item_of(items[i], &views[i]);
        networks[i] = network_of(items[i]);
    }
    cfg_errors errs = {0};
    gw_config *cfg = NULL;
    triage *t = NULL;
    if (config_load_string(flood_triage, strlen(flood_triage), "bench.toml", ".", &cfg, &errs) !=
            GW_OK ||
        triage_open(cfg, &t, &errs) != GW_OK) {
        fprintf(stderr, "triage_bench: the [triage] table did not load\n");
        return 1;
    }
    /* Enough passes over the items for a round to take ~0.1 s or more. */
    size_t passes = 200000 / n + 1;
    double *tri = calloc((size_t)rounds, sizeof *tri), *base = calloc((size_t)rounds, sizeof *base);
    jw_buf b = {0};
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = thread_seconds();
        for (size_t p = 0; p < passes; p++) {
            for (size_t i = 0; i < n; i++) {
                triage_out out;
                if (triage_enrich_text(t, networks[i], items[i], &views[i], &out) < 0) {
                    fprintf(stderr, "triage_bench: item %zu failed\n", i);
                    return 1;
                }
                bytes += out.len;
            }
        }
        double t1 = thread_seconds();
        for (size_t p = 0; p < passes; p++) {
            for (size_t i = 0; i < n; i++) {
                if (jw_dump(&b, items[i]) != GW_OK)
                    return 1;
                bytes += b.len;
            }
        }
        double t2 = thread_seconds();
        tri[r] = (t1 - t0) * 1e9 / (double)(passes * n);
        base[r] = (t2 - t1) * 1e9 / (double)(passes * n);
    }
    qsort(tri, (size_t)rounds, sizeof *tri, cmp_double);
    qsort(base, (size_t)rounds, sizeof *base, cmp_double);
    double tm = tri[rounds / 2], bm = base[rounds / 2];
    printf("%zu items from %s, %zu passes a round, %d rounds (medians, this thread's CPU):\n", n,
           path, passes, rounds);
    printf("  baseline (serialising the item, base/json_write): %7.0f ns an item\n", bm);
    printf("  triage (triage_enrich_text, the tags as text):    %7.0f ns an item, %.2fx the "
           "baseline (fastest round %.0f, slowest %.0f)\n",
           tm, tm / bm, tri[0], tri[rounds - 1]);
    fprintf(stderr, "(%zu bytes written)\n", bytes);
    jw_buf_free(&b);
    for (size_t i = 0; i < n; i++)
        json_decref(items[i]);
    free(tri);
    free(base);
    triage_free(t);
    config_free(cfg);
    return 0;
}
