/* cli_report.c - `gateway report`; see cli_report.h. */
#include "cli/cli_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "config/config.h"
#include "config/config_errors.h"
#include "config/config_types.h"
#include "gateway/error.h"
#include "gateway/sdk.h"
#include "store/conv_store.h"

#define REPORT_GROUPS 64 /* networks, priorities: a handful each */

typedef struct report_group {
    char name[64];
    size_t count, answered, targeted, within;
    double *seconds; /* owned: first responses of the answered */
} report_group;

typedef struct report {
    report_group networks[REPORT_GROUPS], priorities[REPORT_GROUPS], total;
    size_t network_count, priority_count;
    int failed;
} report;

static report_group *group(report_group *groups, size_t *count, const char *name)
{
    for (size_t i = 0; i < *count; i++) {
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    }
    if (*count == REPORT_GROUPS)
        return NULL;
    report_group *g = &groups[(*count)++];
    snprintf(g->name, sizeof g->name, "%s", name);
    return g;
}

static int add(report_group *g, const conv_row *r)
{
    g->count++;
    if (r->deadline_ms > 0) {
        g->targeted++;
        g->within += r->answered_ms > 0 && r->answered_ms <= r->deadline_ms;
    }
    if (r->answered_ms <= 0)
        return 0;
    double *grown = realloc(g->seconds, (g->answered + 1) * sizeof *grown);
    if (grown == NULL)
        return GW_ENOMEM;
    g->seconds = grown;
    g->seconds[g->answered++] = (double)(r->answered_ms - r->first_ms) / 1000.0;
    return 0;
}

static int on_row(void *arg, const conv_row *r)
{
    report *rep = arg;
    report_group *n = group(rep->networks, &rep->network_count, r->network);
    report_group *p = group(rep->priorities, &rep->priority_count,
                            r->priority != NULL ? r->priority : "none");
    if (n == NULL || p == NULL || add(n, r) || add(p, r) || add(&rep->total, r)) {
        rep->failed = 1;
        return GW_ENOMEM;
    }
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted values; NAN when none. */
static double percentile(const report_group *g, double q)
{
    if (g->answered == 0)
        return NAN;
    size_t rank = (size_t)ceil(q * (double)g->answered);
    return g->seconds[rank > 0 ? rank - 1 : 0];
}

static json_t *number_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static json_t *group_json(const report_group *g)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "conversations", (json_int_t)g->count,
                     "answered", (json_int_t)g->answered, "answered_share",
                     number_or_null(g->count ? (double)g->answered / (double)g->count : NAN),
                     "within_target_share",
                     number_or_null(g->targeted ? (double)g->within / (double)g->targeted : NAN),
                     "median_first_response_seconds", number_or_null(percentile(g, 0.5)),
                     "p90_first_response_seconds", number_or_null(percentile(g, 0.9)));
}

static void duration_text(double s, char *buf, size_t len)
{
    if (isnan(s))
        snprintf(buf, len, "-");
    else if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else
        snprintf(buf, len, "%.0fh%02.0fm", floor(s / 3600), floor(fmod(s, 3600) / 60));
}

static void share_text(size_t part, size_t whole, char *buf, size_t len)
{
    if (whole == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", 100.0 * (double)part / (double)whole);
}

static void print_row(const report_group *g)
{
    char answered[16], within[16], median[24], p90[24];
    share_text(g->answered, g->count, answered, sizeof answered);
    share_text(g->within, g->targeted, within, sizeof within);
    duration_text(percentile(g, 0.5), median, sizeof median);
    duration_text(percentile(g, 0.9), p90, sizeof p90);
    printf("  %-20s %13zu %9zu %9s %14s %9s %9s\n", g->name, g->count, g->answered, answered,
           within, median, p90);
}

static void print_table(const char *title, const report_group *groups, size_t count)
{
    printf("%-22s %13s %9s %9s %14s %9s %9s\n", title, "conversations", "answered", "share",
           "within target", "median", "p90");
    for (size_t i = 0; i < count; i++)
        print_row(&groups[i]);
}

static void sort_all(report *rep)
{
    report_group *all[2] = {rep->networks, rep->priorities};
    size_t counts[2] = {rep->network_count, rep->priority_count};
    /* qsort's array must not be NULL, even for none: a group with no
     * answered conversation has no array */
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++)
            if (all[k][i].answered > 0)
                qsort(all[k][i].seconds, all[k][i].answered, sizeof(double), by_value);
    if (rep->total.answered > 0)
        qsort(rep->total.seconds, rep->total.answered, sizeof(double), by_value);
}

static void free_all(report *rep)
{
    for (size_t i = 0; i < rep->network_count; i++)
        free(rep->networks[i].seconds);
    for (size_t i = 0; i < rep->priority_count; i++)
        free(rep->priorities[i].seconds);
    free(rep->total.seconds);
}

static void print_json(const report *rep, const char *since)
{
    json_t *doc = json_pack("{s:s, s:o, s:{}, s:{}}", "since", since, "total",
                            group_json(&rep->total), "by_network", "by_priority");
    for (size_t i = 0; doc && i < rep->network_count; i++)
        json_object_set_new(json_object_get(doc, "by_network"), rep->networks[i].name,
                            group_json(&rep->networks[i]));
    for (size_t i = 0; doc && i < rep->priority_count; i++)
        json_object_set_new(json_object_get(doc, "by_priority"), rep->priorities[i].name,
                            group_json(&rep->priorities[i]));
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(doc);
}

int cli_report_main(const cli_parsed *p)
{
    const char *since_text = cli_value(p, "since");
    uint64_t since_ms = 7ull * 86400 * 1000;
    if (since_text != NULL && cfg_parse_duration(since_text, &since_ms) != 0) {
        fprintf(stderr, "gateway report: --since \"%s\" is not a duration like 7d, 24h or 90m\n",
                since_text);
        return CLI_EXIT_USAGE;
    }
    gw_config *cfg = NULL;
    cfg_errors errs = {0};
    int rc = config_load(p->config_path, &cfg, &errs);
    if (rc != GW_OK) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.lines[i]);
        if (errs.count == 0)
            fprintf(stderr, "%s: %s\n", p->config_path, gw_strerror(rc));
        cfg_errors_free(&errs);
        return CLI_EXIT_USAGE;
    }
    cfg_errors_free(&errs);
    char db[4096], err[512], since[40];
    /* a data directory the gateway has not opened since the
     * conversations got a file of their own still has them in the log's */
    const char *dir = json_string_value(json_object_get(cfg->gateway, "data_dir"));
    snprintf(db, sizeof db, "%s/conversations.db", dir);
    if (access(db, F_OK) != 0)
        snprintf(db, sizeof db, "%s/gateway.db", dir);
    config_free(cfg);
    int64_t from = (int64_t)clock_wall_ms() - (int64_t)since_ms;
    gw_sdk_time_format(from, since, sizeof since);
    report rep = {.total = {.name = "total"}};
    int n = conv_store_report(db, from, on_row, &rep, err, sizeof err);
    if (n < 0 || rep.failed) {
        fprintf(stderr, "gateway report: %s\n", rep.failed ? "out of memory" : err);
        free_all(&rep);
        return 1;
    }
    sort_all(&rep);
    if (cli_value(p, "json") != NULL) {
        print_json(&rep, since);
    } else {
        printf("first responses of the conversations since %s\n\n", since);
        print_table("by network", rep.networks, rep.network_count);
        printf("\n");
        print_table("by priority", rep.priorities, rep.priority_count);
        printf("\n");
        print_table("all", &rep.total, 1);
    }
    free_all(&rep);
    return 0;
}
