/* plugins/facebook/options.c - the Facebook plugin's declared options and
 * their reading. The table is what the host validates and documents; this
 * file checks what a table cannot say (id and version shapes) and computes
 * appsecret_proof once. Secrets are declared GW_OPTF_SECRET and belong in
 * the environment: page_access_token = "${FB_PAGE_TOKEN}".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

const gw_option fb_option_table[] = {
    {"page_id", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "numeric id of the Facebook Page: its feed, tags and Messenger inbox are read, its own "
     "posts and comments skipped"},
    {"page_access_token", GW_OPT_STRING, GW_OPTF_REQUIRED | GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "Page access token (pages_read_engagement, pages_read_user_content, "
     "pages_manage_engagement, pages_messaging)"},
    {"app_secret", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "the app's secret: sends appsecret_proof on every call and verifies webhook signatures"},
    {"verify_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "the token you typed into the app's webhook settings (hub.verify_token handshake)"},
    {"graph_version", GW_OPT_STRING, 0, "v25.0", NULL, 0, 0,
     "Graph API version, pinned (vNN.0)"},
    {"base_url", GW_OPT_STRING, 0, "https://graph.facebook.com", NULL, 0, 0,
     "Graph API root, or a test server"},
    {"fetch_comments", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read new comments and replies under the Page's newest posts"},
    {"fetch_visitor_posts", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read posts visitors write on the Page (GET /{page-id}/feed)"},
    {"fetch_tagged", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read posts that tag the Page (GET /{page-id}/tagged)"},
    {"fetch_messages", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read Messenger conversations (GET /{page-id}/conversations)"},
    {"limit", GW_OPT_INT, GW_OPTF_BOUNDED, "50", NULL, 1, 100, "items asked for per page"},
    {"max_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 100,
     "pages read per stream in one fetch; a longer backlog continues at the next fetch"},
    {"watch_posts", GW_OPT_INT, GW_OPTF_BOUNDED, "10", NULL, 1, FB_WATCH_MAX,
     "the newest posts of the feed whose comments are polled (webhooks cover older ones)"},
    {"human_agent", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "answer Messenger up to 7 days after the customer's message with the HUMAN_AGENT tag "
     "(needs the Human Agent permission); else the 24-hour window applies"},
    {"include_raw", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "copy Facebook's own item (with attachments) into the event's \"raw\" member"},
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
    snprintf(line, sizeof line, "facebook: %s", msg);
    gw_sdk_str_copy(err, errlen, line);
    return GW_EINVAL;
}

static bool is_digits(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n < 32 && s[n] == '\0';
}

int fb_options_load(const json_t *config, fb_options *opt, const char **key, char *err,
                    size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    const char *base = gw_sdk_json_string(config, "base_url", "https://graph.facebook.com");
    if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
        return fail(key, "base_url", err, errlen,
                    "base_url must start with https:// (or http:// for a test server)");
    opt->base_url = gw_sdk_str_dup(base);
    if (opt->base_url == NULL)
        return GW_ENOMEM;
    size_t blen = strlen(opt->base_url);
    while (blen > 0 && opt->base_url[blen - 1] == '/')
        opt->base_url[--blen] = '\0';

    opt->graph_version = gw_sdk_json_string(config, "graph_version", "v25.0");
    const char *v = opt->graph_version;
    size_t major = v[0] == 'v' ? strspn(v + 1, "0123456789") : 0;
    if (major == 0 || major > 3 || v[1 + major] != '.' ||
        strspn(v + 2 + major, "0123456789") != strlen(v + 2 + major) || v[2 + major] == '\0')
        return fail(key, "graph_version", err, errlen,
                    "graph_version must look like v25.0");

    opt->page_id = read_string(config, "page_id");
    if (opt->page_id == NULL || !is_digits(opt->page_id))
        return fail(key, "page_id", err, errlen,
                    "page_id must be the Page's numeric id (Page settings, About), not its name");
    opt->token = read_string(config, "page_access_token");
    if (opt->token == NULL)
        return fail(key, "page_access_token", err, errlen,
                    "page_access_token is empty; set it from the environment, e.g. "
                    "\"${FB_PAGE_TOKEN}\"");
    opt->app_secret = read_string(config, "app_secret");
    opt->verify_token = read_string(config, "verify_token");
    if (opt->app_secret != NULL) {
        unsigned char mac[GW_SDK_SHA256_SIZE];
        gw_sdk_hmac_sha256(opt->app_secret, strlen(opt->app_secret), opt->token,
                           strlen(opt->token), mac);
        gw_sdk_hex_encode(mac, sizeof mac, opt->proof, sizeof opt->proof);
    }

    opt->fetch_comments = gw_sdk_json_bool(config, "fetch_comments", 1) != 0;
    opt->fetch_visitor_posts = gw_sdk_json_bool(config, "fetch_visitor_posts", 1) != 0;
    opt->fetch_tagged = gw_sdk_json_bool(config, "fetch_tagged", 1) != 0;
    opt->fetch_messages = gw_sdk_json_bool(config, "fetch_messages", 1) != 0;
    opt->human_agent = gw_sdk_json_bool(config, "human_agent", 0) != 0;
    opt->include_raw = gw_sdk_json_bool(config, "include_raw", 0) != 0;
    json_int_t limit = gw_sdk_json_int(config, "limit", 50);
    json_int_t pages = gw_sdk_json_int(config, "max_pages", 5);
    json_int_t watch = gw_sdk_json_int(config, "watch_posts", 10);
    if (limit < 1 || limit > 100)
        return fail(key, "limit", err, errlen, "limit must be between 1 and 100");
    if (pages < 1 || pages > 100)
        return fail(key, "max_pages", err, errlen, "max_pages must be between 1 and 100");
    if (watch < 1 || watch > FB_WATCH_MAX)
        return fail(key, "watch_posts", err, errlen, "watch_posts must be between 1 and 100");
    opt->limit = (unsigned)limit;
    opt->max_pages = (unsigned)pages;
    opt->watch_posts = (unsigned)watch;
    return 0;
}

void fb_options_free(fb_options *opt)
{
    free(opt->base_url);
    /* The proof is derived from two secrets. */
    memset(opt, 0, sizeof *opt);
}
