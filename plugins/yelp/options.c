/* plugins/yelp/options.c - the Yelp plugin's declared options and their
 * reading. The table is what the host validates and documents; this file
 * checks what a table cannot say (id shapes, options that go together).
 * Secrets are declared GW_OPTF_SECRET and belong in the environment:
 * api_key = "${YELP_API_KEY}".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

const gw_option yelp_option_table[] = {
    {"business_id", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "the Yelp business id (or alias) whose reviews and leads are read"},
    {"api_key", GW_OPT_STRING, GW_OPTF_REQUIRED | GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "Places (Fusion) API key: reads review excerpts"},
    {"partner_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "business-user OAuth token of the partner APIs (Respond to Reviews, Leads); without it "
     "the account reads reviews but cannot answer"},
    {"webhook_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "secret in the webhook URL (?token=...): Yelp signs nothing, so deliveries without it "
     "are refused; unset: webhooks are refused"},
    {"base_url", GW_OPT_STRING, 0, "https://api.yelp.com", NULL, 0, 0,
     "Places and Leads API root, or a test server"},
    {"partner_base_url", GW_OPT_STRING, 0, "https://partner-api.yelp.com", NULL, 0, 0,
     "partner API root (Respond to Reviews), or a test server"},
    {"fetch_leads", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "read Request-a-Quote leads as private messages (advertising partners only; needs "
     "partner_token)"},
    {"max_leads", GW_OPT_INT, GW_OPTF_BOUNDED, "10", NULL, 1, 100,
     "the newest leads whose new events are read at each fetch"},
    {"daily_comment_quota", GW_OPT_INT, GW_OPTF_BOUNDED, "20", NULL, 1, 20,
     "public responses allowed per location and day (Yelp: 20; the day ends at midnight UTC)"},
    {"locale", GW_OPT_STRING, 0, "en_US", NULL, 0, 0, "locale of the review excerpts"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const char *read_string(const json_t *config, const char *name)
{
    const char *value = gw_sdk_json_string(config, name, NULL);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static int fail(const char **key, const char *name, char *err, size_t errlen, const char *msg)
{
    if (key != NULL)
        *key = name;
    char line[400];
    snprintf(line, sizeof line, "yelp: %s", msg);
    gw_sdk_str_copy(err, errlen, line);
    return GW_EINVAL;
}

static bool is_id(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return n > 0 && n < YELP_ID_MAX && s[n] == '\0';
}

/* A copy of the URL without trailing slashes, or NULL (GW_EINVAL / ENOMEM
 * in *rc). */
static char *read_url(const json_t *config, const char *name, const char *def, int *rc)
{
    const char *url = gw_sdk_json_string(config, name, def);
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        *rc = GW_EINVAL;
        return NULL;
    }
    char *copy = gw_sdk_str_dup(url);
    if (copy == NULL) {
        *rc = GW_ENOMEM;
        return NULL;
    }
    size_t n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    return copy;
}

int yelp_options_load(const json_t *config, yelp_options *opt, const char **key, char *err,
                      size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    int rc = 0;
    opt->base_url = read_url(config, "base_url", "https://api.yelp.com", &rc);
    if (opt->base_url == NULL)
        return rc == GW_ENOMEM ? rc
                               : fail(key, "base_url", err, errlen,
                                      "base_url must start with https:// (or http:// for a test "
                                      "server)");
    opt->partner_base_url =
        read_url(config, "partner_base_url", "https://partner-api.yelp.com", &rc);
    if (opt->partner_base_url == NULL)
        return rc == GW_ENOMEM ? rc
                               : fail(key, "partner_base_url", err, errlen,
                                      "partner_base_url must start with https:// (or http:// "
                                      "for a test server)");
    opt->business_id = read_string(config, "business_id");
    if (opt->business_id == NULL || !is_id(opt->business_id))
        return fail(key, "business_id", err, errlen,
                    "business_id must be the business's Yelp id or alias (letters, digits, '-' "
                    "and '_', at most 64)");
    opt->api_key = read_string(config, "api_key");
    if (opt->api_key == NULL)
        return fail(key, "api_key", err, errlen,
                    "api_key is empty; set it from the environment, e.g. \"${YELP_API_KEY}\"");
    opt->partner_token = read_string(config, "partner_token");
    opt->webhook_token = read_string(config, "webhook_token");
    opt->locale = gw_sdk_json_string(config, "locale", "en_US");
    const char *l = opt->locale;
    if (strlen(l) != 5 || l[2] != '_' || strspn(l, "abcdefghijklmnopqrstuvwxyz") != 2 ||
        strspn(l + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2)
        return fail(key, "locale", err, errlen, "locale must look like en_US");
    opt->fetch_leads = gw_sdk_json_bool(config, "fetch_leads", 0) != 0;
    if (opt->fetch_leads && opt->partner_token == NULL)
        return fail(key, "fetch_leads", err, errlen,
                    "fetch_leads needs partner_token (the Leads API takes the business-user "
                    "token)");
    json_int_t leads = gw_sdk_json_int(config, "max_leads", 10);
    json_int_t quota = gw_sdk_json_int(config, "daily_comment_quota", 20);
    if (leads < 1 || leads > 100)
        return fail(key, "max_leads", err, errlen, "max_leads must be between 1 and 100");
    if (quota < 1 || quota > 20)
        return fail(key, "daily_comment_quota", err, errlen,
                    "daily_comment_quota must be between 1 and 20");
    opt->max_leads = (unsigned)leads;
    opt->comment_quota = (unsigned)quota;
    return 0;
}

void yelp_options_free(yelp_options *opt)
{
    free(opt->base_url);
    free(opt->partner_base_url);
    memset(opt, 0, sizeof *opt);
}
