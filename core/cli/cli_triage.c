/* cli_triage.c - `gateway triage`; see cli_triage.h. */
#include "cli/cli_triage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "gateway/error.h"
#include "triage/triage.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2 };

static int usage(const char *fmt, ...) GW_PRINTF(1, 2);

static int usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gateway triage: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see gateway triage --help)\n");
    return EXIT_USAGE;
}

/* The configuration: -c FILE, else ./gateway.toml when present, else the
 * defaults. Returns 0 or EXIT_USAGE after printing the errors. */
static int load(const cli_parsed *p, gw_config **cfg)
{
    cfg_errors errs = {0};
    FILE *probe = p->config_given ? NULL : fopen(p->config_path, "r");
    int rc;
    if (probe != NULL)
        fclose(probe);
    if (p->config_given || probe != NULL)
        rc = config_load(p->config_path, cfg, &errs);
    else
        rc = config_load_string("", 0, "(defaults)", ".", cfg, &errs);
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "%s\n", errs.lines[i]);
    if (rc != GW_OK && errs.count == 0)
        fprintf(stderr, "%s: %s\n", p->config_path, gw_strerror(rc));
    cfg_errors_free(&errs);
    return rc == GW_OK ? EXIT_OK : EXIT_USAGE;
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && *out >= lo && *out <= hi;
}

/* The sample item, as a plugin would deliver it. Returns NULL after a
 * usage error was printed (*code set). */
static json_t *sample_item(const cli_parsed *p, int *code)
{
    const char *type = cli_value(p, "type");
    const char *rating = cli_value(p, "rating");
    const char *followers = cli_value(p, "followers");
    double r = 0, n = 0;
    *code = EXIT_USAGE;
    if (rating != NULL && !parse_number(rating, 1, 5, &r)) {
        usage("--rating is \"%s\"; give a number of stars from 1 to 5", rating);
        return NULL;
    }
    if (followers != NULL && (!parse_number(followers, 0, 1e15, &n) || n != (double)(long long)n)) {
        usage("--followers is \"%s\"; give a whole number, 0 or more", followers);
        return NULL;
    }
    if (type == NULL)
        type = rating != NULL ? "review" : "mention";
    if (strcmp(type, "mention") != 0 && strcmp(type, "comment") != 0 &&
        strcmp(type, "review") != 0 && strcmp(type, "message") != 0) {
        usage("--type is \"%s\"; give mention, comment, review or message", type);
        return NULL;
    }
    if (rating != NULL && strcmp(type, "review") != 0) {
        usage("--rating goes with a review, not a %s; drop --type or give --type review", type);
        return NULL;
    }
    json_t *author = json_pack("{s:s}", "id", "sample");
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", type, "visibility",
                           strcmp(type, "message") == 0 ? "private" : "public", "native_id",
                           "sample", "text", p->argv[0], "author", author);
    if (ev == NULL)
        return NULL;
    if (rating != NULL)
        json_object_set_new(ev, "rating", json_real(r));
    if (followers != NULL)
        json_object_set_new(author, "followers", json_integer((json_int_t)n));
    if (cli_value(p, "verified") != NULL)
        json_object_set_new(author, "verified", json_true());
    *code = EXIT_OK;
    return ev;
}

static void print_list(const char *label, const json_t *arr)
{
    size_t i;
    const json_t *v;
    printf("%-11s", label);
    if (json_array_size(arr) == 0)
        printf("-");
    json_array_foreach(arr, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
    printf("\n");
}

static void print_tags(const json_t *tags)
{
    const json_t *reasons = json_object_get(tags, "priority_reasons");
    const char *influence = json_string_value(json_object_get(tags, "influence"));
    printf("%-11s%s (%lld/100)\n",
           "priority:", json_string_value(json_object_get(tags, "priority")),
           (long long)json_integer_value(json_object_get(tags, "priority_score")));
    print_list("intent:", json_object_get(tags, "intent"));
    printf("%-11s%s (%.2f)\n", "sentiment:", json_string_value(json_object_get(tags, "sentiment")),
           json_number_value(json_object_get(tags, "sentiment_score")));
    printf("%-11s%s\n", "influence:", influence != NULL ? influence : "- (no follower count)");
    print_list("keywords:", json_object_get(tags, "keywords"));
    printf("%-11s%s\n", "mentioned:",
           json_is_true(json_object_get(tags, "mentioned"))     ? "yes"
           : json_is_true(json_object_get(tags, "unaddressed")) ? "no (unaddressed)"
                                                                : "no");
    printf("reasons:\n");
    size_t i;
    const json_t *v;
    json_array_foreach(reasons, i, v) printf("  - %s\n", json_string_value(v));
    if (json_array_size(reasons) == 0)
        printf("  (none)\n");
}

int cli_triage_main(const cli_parsed *p)
{
    if (p->argc != 1)
        return usage("%s", p->argc == 0 ? "give the TEXT to triage, in quotes"
                                        : "one TEXT only; put it in quotes");
    const char *network = cli_value(p, "network");
    if (network == NULL)
        network = "sample";
    gw_config *cfg = NULL;
    int code = load(p, &cfg);
    if (code != EXIT_OK)
        return code;
    cfg_errors errs = {0};
    triage *t = NULL;
    json_t *ev = NULL;
    if (triage_open(cfg, &t, &errs) != GW_OK) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.lines[i]);
        code = EXIT_USAGE;
        goto done;
    }
    if (!triage_enabled(t))
        fprintf(stderr,
                "gateway triage: [triage] enabled = false in %s: the gateway adds no "
                "tags; showing what it would add\n",
                cfg->path);
    if ((ev = sample_item(p, &code)) == NULL)
        goto done;
    if (triage_enrich(t, network, ev) != GW_OK) {
        fprintf(stderr, "gateway triage: out of memory\n");
        code = 1;
        goto done;
    }
    const json_t *tags = json_object_get(ev, "tags");
    if (cli_value(p, "json") != NULL) {
        char *s = json_dumps(tags, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        printf("%s\n", s != NULL ? s : "{}");
        free(s);
    } else {
        print_tags(tags);
    }
done:
    json_decref(ev);
    triage_free(t);
    cfg_errors_free(&errs);
    config_free(cfg);
    return code;
}
