/* plugins/mock/options.c - the mock's declared options: the table the host
 * validates and documents, and the reading of the validated values.
 *
 * The table is the single source of truth: defaults, bounds and allowed
 * values are read back from it here, so the declaration and the behaviour
 * cannot drift apart. The host has already checked types, bounds and
 * allowed values and filled the defaults; this checks again anyway,
 * because tests and other hosts (the conformance checker) may hand over a
 * config that skipped that step, and a bad value must fail create() with
 * a message rather than misbehave later. Missing keys take the defaults.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* The help lines end up in docs/configuration.md: say what the option
 * does and what its edge values mean. A duration's default is written in
 * ms so that it reads back as a number. */
const gw_option mock_option_table[] = {
    {"seed", GW_OPT_INT, 0, "1", NULL, 0, 0,
     "PRNG seed: the same seed yields the same events (native ids, texts, authors)"},
    {"rate", GW_OPT_FLOAT, GW_OPTF_BOUNDED, "5", NULL, 0, 1e6,
     "events per second; 0 = as fast as the pipeline takes them (batch per fetch)"},
    {"batch", GW_OPT_INT, GW_OPTF_BOUNDED, "500", NULL, 1, 100000,
     "maximum number of events emitted by one fetch"},
    {"count", GW_OPT_INT, GW_OPTF_BOUNDED, "0", NULL, 0, 9007199254740992.0,
     "stop after this many events in total, across restarts (0 = unlimited)"},
    {"scenario", GW_OPT_STRING, GW_OPTF_PATH, NULL, NULL, 0, 0,
     "JSONL file replayed instead of synthetic events, one event object per line"},
    {"actions_log", GW_OPT_STRING, GW_OPTF_PATH, NULL, NULL, 0, 0,
     "JSONL file to which every accepted post_public and send_private is appended"},
    {"error_rate", GW_OPT_FLOAT, GW_OPTF_BOUNDED, "0", NULL, 0, 1,
     "fraction of fetch, post_public and send_private calls that answer RETRY"},
    {"latency", GW_OPT_DURATION, GW_OPTF_BOUNDED, "0ms", NULL, 0, 3600000,
     "every operation completes after this delay"},
    {"fail_op", GW_OPT_STRING, 0, "none", "none|fetch|post_public|send_private", 0, 0,
     "operation that fails on purpose (see fail_with and fail_times)"},
    {"fail_with", GW_OPT_STRING, 0, "fatal", "retry|fatal", 0, 0,
     "how fail_op fails: retry (transient) or fatal"},
    {"fail_times", GW_OPT_INT, GW_OPTF_BOUNDED, "0", NULL, 0, 1e9,
     "fail_op fails this many times, then succeeds (0 = always fails)"},
    {"echo_actions", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "the next fetch brings back every action the mock accepted, as a network shows the "
     "brand's own posts (to test the gateway's echo suppression)"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const gw_option *option_find(const char *name)
{
    for (const gw_option *o = mock_option_table; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    abort(); /* a typo in this file, caught by the first test */
}

static int option_error(char *err, size_t errlen, const gw_option *o, const char *got)
{
    char msg[320];
    if (o->allowed != NULL) {
        snprintf(msg, sizeof msg, "mock: option '%s' must be one of %s (got '%.64s')", o->name,
                 o->allowed, got);
    } else {
        /* Durations reach the plugin in ms; say so, the user wrote "5s". */
        const char *unit = o->type == GW_OPT_DURATION ? "ms" : "";
        snprintf(msg, sizeof msg,
                 "mock: option '%s' must be %s between %.17g%s and %.17g%s (got %s%s)", o->name,
                 o->type == GW_OPT_FLOAT ? "a number" : "a whole number", o->min, unit, o->max,
                 unit, got, unit);
    }
    gw_sdk_str_copy(err, errlen, msg);
    return GW_EINVAL;
}

/* The value of a numeric option within its declared bounds. */
static int read_number(const json_t *config, const char *name, double *out, char *err,
                       size_t errlen)
{
    const gw_option *o = option_find(name);
    double value = gw_sdk_json_number(config, name, strtod(o->default_value, NULL));
    bool whole = o->type != GW_OPT_FLOAT;
    /* Range first: the cast below is only defined for values that fit. A
     * whole value may arrive as a JSON real from some hosts. */
    if (!(value >= o->min && value <= o->max) || (whole && value != (double)(uint64_t)value)) {
        char got[32];
        snprintf(got, sizeof got, "%g", value);
        return option_error(err, errlen, o, got);
    }
    *out = value;
    return 0;
}

static int read_whole(const json_t *config, const char *name, uint64_t *out, char *err,
                      size_t errlen)
{
    double value;
    int rc = read_number(config, name, &value, err, errlen);
    if (rc == 0)
        *out = (uint64_t)value;
    return rc;
}

/* The position of the option's value in its "a|b|c" allowed list. */
static int read_choice(const json_t *config, const char *name, int *out, char *err, size_t errlen)
{
    const gw_option *o = option_find(name);
    const char *value = gw_sdk_json_string(config, name, o->default_value);
    size_t len = strlen(value);
    int index = 0;
    for (const char *p = o->allowed; *p != '\0'; index++) {
        size_t n = strcspn(p, "|");
        if (n == len && strncmp(p, value, n) == 0) {
            *out = index;
            return 0;
        }
        p += n;
        if (*p == '|')
            p++;
    }
    return option_error(err, errlen, o, value);
}

/* An empty string reads as "not set", as TOML cannot express null. */
static const char *read_path(const json_t *config, const char *name)
{
    const char *value = gw_sdk_json_string(config, name, NULL);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

int mock_options_load(const json_t *config, mock_options *opt, char *err, size_t errlen)
{
    /* In the order of the allowed lists of the table. */
    static const mock_op_kind fail_ops[] = {MOCK_OP_NONE, MOCK_OP_FETCH, MOCK_OP_POST_PUBLIC,
                                            MOCK_OP_SEND_PRIVATE};
    static const gw_outcome fail_withs[] = {GW_OUTCOME_RETRY, GW_OUTCOME_FATAL};

    memset(opt, 0, sizeof *opt);
    /* Any int64 is a seed; a negative one is used for its bits. */
    json_int_t seed_default = strtoll(option_find("seed")->default_value, NULL, 10);
    opt->seed = (uint64_t)gw_sdk_json_int(config, "seed", seed_default);

    int rc, fail_op = 0, fail_with = 0;
    if ((rc = read_number(config, "rate", &opt->rate, err, errlen)) < 0 ||
        (rc = read_whole(config, "batch", &opt->batch, err, errlen)) < 0 ||
        (rc = read_whole(config, "count", &opt->count, err, errlen)) < 0 ||
        (rc = read_number(config, "error_rate", &opt->error_rate, err, errlen)) < 0 ||
        (rc = read_whole(config, "latency", &opt->latency_ms, err, errlen)) < 0 ||
        (rc = read_choice(config, "fail_op", &fail_op, err, errlen)) < 0 ||
        (rc = read_choice(config, "fail_with", &fail_with, err, errlen)) < 0 ||
        (rc = read_whole(config, "fail_times", &opt->fail_times, err, errlen)) < 0)
        return rc;
    opt->fail_op = fail_ops[fail_op];
    opt->fail_with = fail_withs[fail_with];
    opt->echo_actions = gw_sdk_json_bool(config, "echo_actions", 0) != 0;
    opt->scenario = read_path(config, "scenario");
    opt->actions_log = read_path(config, "actions_log");
    return 0;
}
