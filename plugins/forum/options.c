/* plugins/forum/options.c - the forum plugin's declared options and their
 * reading.
 *
 * The table is what the host validates and documents; this file reads
 * the validated values back and checks what a type cannot say (a URL, a
 * user name, category ids). The host has already applied the table, but
 * tests and other hosts may hand over a config that skipped that step, so
 * a bad value fails create() with a message rather than misbehaving later.
 * Messages name an option, never the value of a secret one.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

/* The help lines end up in docs/configuration.md. */
const gw_option forum_option_table[] = {
    {"base_url", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "base URL of the Discourse forum, e.g. \"https://forum.example.com\""},
    {"api_key", GW_OPT_STRING, GW_OPTF_REQUIRED | GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "API key sent as Api-Key; keep it out of the file: \"${DISCOURSE_API_KEY}\""},
    {"api_username", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "the brand's forum user the key acts as (Api-Username); its own posts are never delivered"},
    {"webhook_secret", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "secret of the forum's webhook, \"${DISCOURSE_WEBHOOK_SECRET}\"; unset refuses deliveries"},
    {"fetch_posts", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read every new post of the forum (posts.json), as comment or mention"},
    {"fetch_mentions", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read posts that mention or reply to the brand user (notifications.json)"},
    {"fetch_private", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read private messages in the brand user's inbox, as message"},
    {"categories", GW_OPT_STRING_ARRAY, 0, NULL, NULL, 0, 0,
     "category ids whose posts fetch_posts delivers, e.g. [\"4\", \"7\"]; unset = all"},
    {"max_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 1000,
     "posts.json pages one fetch reads; a longer backlog continues at the next fetch"},
    {"max_notification_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 1000,
     "notifications.json pages (60 each) one fetch reads; a longer backlog continues at the "
     "next fetch"},
    {"max_requests", GW_OPT_INT, GW_OPTF_BOUNDED, "30", NULL, 5, 10000,
     "requests one fetch sends in all; what is left continues at the next fetch"},
    {"backfill_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "1", NULL, 0, 1000,
     "first fetch of a new account: pages of existing posts delivered (0 = only new ones)"},
    {"request_timeout", GW_OPT_DURATION, GW_OPTF_BOUNDED, "0ms", NULL, 0, 600000,
     "time one request to the forum may take; 0 = the gateway's default"},
    {"private_title", GW_OPT_STRING, 0, "A reply from our support team", NULL, 0, 0,
     "title of a new private message started by send_private"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const gw_option *option_find(const char *name)
{
    for (const gw_option *o = forum_option_table; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    abort(); /* a typo in this file, caught by the first test */
}

/* name is handed back through *key (may be NULL) so the host can point
 * at the option's line. */
static int fail(const char **key, char *err, size_t errlen, const char *name, const char *what)
{
    if (key != NULL)
        *key = name;
    char msg[256];
    snprintf(msg, sizeof msg, "forum: option '%s' %s", name, what);
    gw_sdk_str_copy(err, errlen, msg);
    return GW_EINVAL;
}

/* A non-empty string option; NULL when absent or empty. */
static const char *read_string(const json_t *config, const char *name)
{
    const gw_option *o = option_find(name);
    const char *value = gw_sdk_json_string(config, name, o->default_value);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static bool has_space_or_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int read_bool(const json_t *config, const char *name, bool *out)
{
    const gw_option *o = option_find(name);
    *out = gw_sdk_json_bool(config, name, strcmp(o->default_value, "true") == 0) != 0;
    return 0;
}

static int read_whole(const json_t *config, const char *name, uint64_t *out, const char **key,
                      char *err, size_t errlen)
{
    const gw_option *o = option_find(name);
    double value = gw_sdk_json_number(config, name, strtod(o->default_value, NULL));
    /* A duration's default is written with a unit; strtod reads its number,
     * which for "0ms" is the 0 meant. */
    if (!(value >= o->min && value <= o->max) || value != (double)(uint64_t)value) {
        char what[160];
        snprintf(what, sizeof what, "must be a whole number from %.0f to %.0f%s", o->min, o->max,
                 o->type == GW_OPT_DURATION ? " ms" : "");
        return fail(key, err, errlen, name, what);
    }
    *out = (uint64_t)value;
    return 0;
}

static int read_base_url(const json_t *config, forum_options *opt, const char **key, char *err,
                         size_t errlen)
{
    const char *url = read_string(config, "base_url");
    if (url == NULL)
        return fail(key, err, errlen, "base_url",
                    "is required, e.g. \"https://forum.example.com\"");
    size_t scheme = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
    if (scheme == 0 || url[scheme] == '\0' || url[scheme] == '/' || has_space_or_control(url) ||
        strpbrk(url, "?#") != NULL)
        return fail(key, err, errlen, "base_url",
                    "must be an http(s) URL without query, e.g. \"https://forum.example.com\"");
    size_t len = strlen(url);
    while (len > scheme && url[len - 1] == '/')
        len--;
    opt->base = malloc(len + 1);
    if (opt->base == NULL) {
        gw_sdk_str_copy(err, errlen, "forum: out of memory");
        return GW_ENOMEM;
    }
    memcpy(opt->base, url, len);
    opt->base[len] = '\0';
    return 0;
}

static int read_categories(const json_t *config, forum_options *opt, const char **key,
                           char *err, size_t errlen)
{
    const json_t *list = json_object_get(config, "categories");
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return fail(key, err, errlen, "categories", "must be an array of category ids");
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *s = json_string_value(item);
        bool digits = s != NULL && s[0] != '\0' && strlen(s) <= 15;
        for (const char *p = s; digits && *p != '\0'; p++)
            digits = isdigit((unsigned char)*p) != 0;
        if (!digits)
            return fail(key, err, errlen, "categories",
                        "must hold category ids as decimal strings, e.g. [\"4\", \"7\"]");
    }
    opt->categories = json_array_size(list) > 0 ? list : NULL;
    return 0;
}

int forum_options_load(const json_t *config, forum_options *opt, const char **key, char *err,
                       size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    int rc = read_base_url(config, opt, key, err, errlen);
    if (rc < 0)
        return rc;

    opt->api_key = read_string(config, "api_key");
    if (opt->api_key == NULL)
        return fail(key, err, errlen, "api_key",
                    "is required: api_key = \"${DISCOURSE_API_KEY}\"");
    if (has_space_or_control(opt->api_key))
        return fail(key, err, errlen, "api_key", "holds white space or control characters");
    opt->api_username = read_string(config, "api_username");
    if (opt->api_username == NULL || has_space_or_control(opt->api_username) ||
        strlen(opt->api_username) > 60)
        return fail(key, err, errlen, "api_username",
                    "is required: the brand's forum user name, e.g. \"acme_support\"");
    opt->webhook_secret = read_string(config, "webhook_secret");
    opt->private_title = read_string(config, "private_title");
    if (opt->private_title == NULL)
        opt->private_title = option_find("private_title")->default_value;

    if ((rc = read_bool(config, "fetch_posts", &opt->fetch_posts)) < 0 ||
        (rc = read_bool(config, "fetch_mentions", &opt->fetch_mentions)) < 0 ||
        (rc = read_bool(config, "fetch_private", &opt->fetch_private)) < 0 ||
        (rc = read_whole(config, "max_pages", &opt->max_pages, key, err, errlen)) < 0 ||
        (rc = read_whole(config, "max_notification_pages", &opt->max_notification_pages, key, err,
                         errlen)) < 0 ||
        (rc = read_whole(config, "max_requests", &opt->max_requests, key, err, errlen)) < 0 ||
        (rc = read_whole(config, "backfill_pages", &opt->backfill_pages, key, err, errlen)) < 0 ||
        (rc = read_whole(config, "request_timeout", &opt->request_timeout_ms, key, err, errlen)) < 0 ||
        (rc = read_categories(config, opt, key, err, errlen)) < 0)
        return rc;
    return 0;
}

void forum_options_free(forum_options *opt)
{
    free(opt->base);
    opt->base = NULL;
}

bool forum_category_wanted(const forum_options *opt, int64_t category_id)
{
    if (opt->categories == NULL)
        return true;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)category_id);
    size_t i;
    const json_t *item;
    json_array_foreach(opt->categories, i, item)
    {
        if (strcmp(json_string_value(item), id) == 0)
            return true;
    }
    return false;
}
