/* plugins/youtube/options.c - the YouTube plugin's declared options and
 * their reading.
 *
 * The table is what the host validates and documents; this file checks
 * what a table cannot say: the shape of the channel id, that the OAuth
 * 2.0 credentials come together, that reading needs an API key or OAuth,
 * that held comments need OAuth, and that the reserve for replies leaves
 * something to poll with. validate() (check-config, start-up) and
 * create() share it; messages never quote a secret. Secrets belong in the
 * environment: refresh_token = "${YT_REFRESH_TOKEN}".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

#define DEFAULT_BASE "https://www.googleapis.com/youtube/v3"
#define DEFAULT_TOKEN_URL "https://oauth2.googleapis.com/token"

const gw_option yt_option_table[] = {
    {"channel_id", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "the brand's channel id (UC...): comments on its videos are read, its own skipped"},
    {"api_key", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "API key for reading public comments (else the OAuth 2.0 token reads too)"},
    {"client_id", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 2.0 client id: replies and held comments need client_id, client_secret and "
     "refresh_token"},
    {"client_secret", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0, "OAuth 2.0 client secret"},
    {"refresh_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 2.0 refresh token of the brand's channel (scope youtube.force-ssl)"},
    {"base_url", GW_OPT_STRING, 0, DEFAULT_BASE, NULL, 0, 0,
     "YouTube Data API v3 root, or a test server"},
    {"token_url", GW_OPT_STRING, 0, DEFAULT_TOKEN_URL, NULL, 0, 0,
     "Google's OAuth 2.0 token endpoint, or a test server"},
    {"daily_quota", GW_OPT_INT, GW_OPTF_BOUNDED, "10000", NULL, 1, 100000000,
     "the project's quota units per day (reset at midnight Pacific time); polls are paced "
     "so it lasts"},
    {"reply_reserve", GW_OPT_INT, GW_OPTF_BOUNDED, "1000", NULL, 0, 100000000,
     "units polling leaves for replies (a reply costs 50)"},
    {"include_held", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "also read comments held for review (needs OAuth 2.0)"},
    {"max_results", GW_OPT_INT, GW_OPTF_BOUNDED, "100", NULL, 1, 100,
     "threads (and replies) asked for per page"},
    {"max_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 100,
     "thread pages read per fetch; a longer backlog continues at the next fetch"},
    {"max_reply_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 100,
     "pages of replies read per thread per fetch"},
    {"include_raw", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "copy YouTube's own comment into the event's \"raw\" member"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const char *read_string(const json_t *config, const char *name)
{
    const char *value = gw_sdk_json_string(config, name, NULL);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static int fail(const char **key, const char *name, char *err, size_t errlen,
                const char *message)
{
    if (key != NULL)
        *key = name;
    char line[512];
    snprintf(line, sizeof line, "youtube: %s", message);
    gw_sdk_str_copy(err, errlen, line);
    return GW_EINVAL;
}

bool yt_options_have_oauth(const yt_options *opt)
{
    return opt->client_id != NULL && opt->client_secret != NULL && opt->refresh_token != NULL;
}

static char *read_url(const json_t *config, const char *name, const char *def)
{
    const char *v = gw_sdk_json_string(config, name, def);
    if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
        return NULL;
    char *copy = gw_sdk_str_dup(v);
    if (copy == NULL)
        return NULL;
    size_t n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    return copy;
}

static int read_oauth(const json_t *config, yt_options *opt, const char **key, char *err,
                      size_t errlen)
{
    static const char *const names[3] = {"client_id", "client_secret", "refresh_token"};
    const char *values[3];
    int given = 0, missing = -1;
    for (int i = 0; i < 3; i++) {
        values[i] = read_string(config, names[i]);
        if (values[i] != NULL)
            given++;
        else if (missing < 0)
            missing = i;
    }
    if (given > 0 && given < 3) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "OAuth 2.0 needs client_id, client_secret and refresh_token together; %s is "
                 "missing",
                 names[missing]);
        return fail(key, names[missing], err, errlen, msg);
    }
    opt->client_id = values[0];
    opt->client_secret = values[1];
    opt->refresh_token = values[2];
    return 0;
}

int yt_options_load(const json_t *config, yt_options *opt, const char **key, char *err,
                    size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    opt->base_url = read_url(config, "base_url", DEFAULT_BASE);
    if (opt->base_url == NULL)
        return fail(key, "base_url", err, errlen,
                    "base_url must start with https:// (or http:// for a test server)");
    opt->token_url = read_url(config, "token_url", DEFAULT_TOKEN_URL);
    if (opt->token_url == NULL)
        return fail(key, "token_url", err, errlen,
                    "token_url must start with https:// (or http:// for a test server)");

    opt->channel_id = read_string(config, "channel_id");
    if (opt->channel_id == NULL || strncmp(opt->channel_id, "UC", 2) != 0 ||
        strlen(opt->channel_id) < 3 || strlen(opt->channel_id) > 64 ||
        strspn(opt->channel_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(opt->channel_id))
        return fail(key, "channel_id", err, errlen,
                    "channel_id must be the channel's id (UC followed by letters, digits, - or _; "
                    "see YouTube Studio > Settings > Channel), not its @handle");

    opt->api_key = read_string(config, "api_key");
    int rc = read_oauth(config, opt, key, err, errlen);
    if (rc < 0)
        return rc;
    opt->include_held = gw_sdk_json_bool(config, "include_held", 0) != 0;
    opt->include_raw = gw_sdk_json_bool(config, "include_raw", 0) != 0;
    if (opt->api_key == NULL && !yt_options_have_oauth(opt))
        return fail(key, "api_key", err, errlen,
                    "reading comments needs api_key, or client_id, client_secret and "
                    "refresh_token");
    if (opt->include_held && !yt_options_have_oauth(opt))
        return fail(key, "include_held", err, errlen,
                    "include_held needs OAuth 2.0 (client_id, client_secret, refresh_token): "
                    "only the channel's owner sees held comments");

    json_int_t results = gw_sdk_json_int(config, "max_results", 100);
    json_int_t pages = gw_sdk_json_int(config, "max_pages", 5);
    json_int_t reply_pages = gw_sdk_json_int(config, "max_reply_pages", 5);
    json_int_t quota = gw_sdk_json_int(config, "daily_quota", 10000);
    json_int_t reserve = gw_sdk_json_int(config, "reply_reserve", 1000);
    if (results < 1 || results > 100)
        return fail(key, "max_results", err, errlen, "max_results must be between 1 and 100");
    if (pages < 1 || pages > 100)
        return fail(key, "max_pages", err, errlen, "max_pages must be between 1 and 100");
    if (reply_pages < 1 || reply_pages > 100)
        return fail(key, "max_reply_pages", err, errlen,
                    "max_reply_pages must be between 1 and 100");
    if (quota < 1)
        return fail(key, "daily_quota", err, errlen, "daily_quota must be at least 1");
    if (reserve < 0 || reserve >= quota)
        return fail(key, "reply_reserve", err, errlen,
                    "reply_reserve must be below daily_quota, or nothing is left to poll with");
    opt->max_results = (unsigned)results;
    opt->max_pages = (unsigned)pages;
    opt->max_reply_pages = (unsigned)reply_pages;
    opt->daily_quota = (uint64_t)quota;
    opt->reply_reserve = (uint64_t)reserve;
    return 0;
}

void yt_options_free(yt_options *opt)
{
    free(opt->base_url);
    free(opt->token_url);
    memset(opt, 0, sizeof *opt);
}
