/* plugins/twitter/options.c - the X plugin's declared options and their
 * reading.
 *
 * The table is what the host validates and documents (types, bounds,
 * defaults, help lines); this file then checks what a table cannot say:
 * the shape of ids and handles, which credentials each enabled stream
 * needs, and that the keyword search fits X's query length. Every check
 * fails validate() (check-config, start-up) and create() alike with one
 * line saying what to change, never quoting a secret. Secrets are declared GW_OPTF_SECRET and belong in the
 * environment: bearer_token = "${X_BEARER_TOKEN}".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

const gw_option tw_option_table[] = {
    {"base_url", GW_OPT_STRING, 0, "https://api.x.com", NULL, 0, 0,
     "X API root; https://api.x.com (api.twitter.com serves the same), or a test server"},
    {"user_id", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0,
     "numeric id of the brand's X account: its mentions and DMs are read, its own posts "
     "skipped"},
    {"handle", GW_OPT_STRING, 0, NULL, NULL, 0, 0,
     "the brand's @handle (with or without the @): tags @-mentions found by keyword search "
     "and builds links to replies"},
    {"bearer_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "app-only bearer token for reading mentions and search (else OAuth 1.0a is used)"},
    {"consumer_key", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 1.0a consumer (API) key: user context for DMs, replies and webhooks"},
    {"consumer_secret", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 1.0a consumer secret; also the key of webhook CRC answers and signatures"},
    {"access_token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 1.0a access token of the brand account"},
    {"access_token_secret", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "OAuth 1.0a access token secret of the brand account"},
    {"search_terms", GW_OPT_STRING_ARRAY, 0, "", NULL, 0, 0,
     "brand keywords searched without @ (recent search, OR-ed); empty = no keyword search"},
    {"fetch_mentions", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read the brand's mentions timeline (GET /2/users/{id}/mentions)"},
    {"fetch_search", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "run the keyword search when search_terms is not empty"},
    {"fetch_dms", GW_OPT_BOOL, 0, "true", NULL, 0, 0,
     "read direct messages (GET /2/dm_events); needs the four OAuth 1.0a credentials"},
    {"max_results", GW_OPT_INT, GW_OPTF_BOUNDED, "100", NULL, 10, 100, "items asked for per page"},
    {"max_pages", GW_OPT_INT, GW_OPTF_BOUNDED, "5", NULL, 1, 100,
     "pages read per stream in one fetch; a longer backlog continues at the next fetch"},
    {"include_raw", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "copy X's own item into the event's \"raw\" member"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

/* An empty string reads as "not set": TOML cannot express null, and an
 * unset ${ENV} is refused by the host rather than expanded to "". */
static const char *read_string(const json_t *config, const char *name)
{
    const char *value = gw_sdk_json_string(config, name, NULL);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* name: the option the message is about, handed back through *key (may
 * be NULL) so the host can point at its line. */
static int fail(const char **key, const char *name, char *err, size_t errlen,
                const char *message)
{
    if (key != NULL)
        *key = name;
    char line[512];
    snprintf(line, sizeof line, "twitter: %s", message);
    gw_sdk_str_copy(err, errlen, line);
    return GW_EINVAL;
}

bool tw_options_have_user_context(const tw_options *opt)
{
    return opt->oauth.consumer_key != NULL && opt->oauth.consumer_secret != NULL &&
           opt->oauth.token != NULL && opt->oauth.token_secret != NULL;
}

static bool is_digits(const char *s, size_t max)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= max && s[n] == '\0';
}

/* The OAuth 1.0a credentials are all or nothing; name what is missing. */
static int read_oauth(const json_t *config, tw_options *opt, const char **key, char *err,
                      size_t errlen)
{
    static const char *const names[4] = {"consumer_key", "consumer_secret", "access_token",
                                         "access_token_secret"};
    const char *values[4];
    char missing[128] = "";
    int given = 0, first_missing = -1;
    for (int i = 0; i < 4; i++) {
        values[i] = read_string(config, names[i]);
        if (values[i] != NULL) {
            given++;
        } else {
            if (first_missing < 0)
                first_missing = i;
            if (missing[0] != '\0')
                strcat(missing, ", ");
            strcat(missing, names[i]);
        }
    }
    if (given > 0 && given < 4) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "OAuth 1.0a needs all four credentials; missing: %s (set them, e.g. "
                 "\"${X_ACCESS_TOKEN}\", or remove the others)",
                 missing);
        return fail(key, names[first_missing], err, errlen, msg);
    }
    if (given == 4) {
        opt->oauth.consumer_key = values[0];
        opt->oauth.consumer_secret = values[1];
        opt->oauth.token = values[2];
        opt->oauth.token_secret = values[3];
    }
    return 0;
}

/* Keywords go into an X query: (a OR "b c") -is:retweet -from:handle
 * -@handle. */
static int read_terms(const json_t *config, tw_options *opt, const char **key, char *err,
                      size_t errlen)
{
    const json_t *terms = json_object_get(config, "search_terms");
    size_t n = json_array_size(terms);
    if (n == 0)
        return 0;
    opt->terms = calloc(n, sizeof *opt->terms);
    if (opt->terms == NULL)
        return GW_ENOMEM;
    char query[TW_QUERY_MAX + 1] = "(";
    size_t len = 1;
    bool too_long = false;
    for (size_t i = 0; i < n; i++) {
        const char *term = json_string_value(json_array_get(terms, i));
        char msg[256];
        if (term == NULL || term[strspn(term, " \t")] == '\0')
            return fail(key, "search_terms", err, errlen,
                        "search_terms must not hold empty strings");
        if (term[0] == '@') {
            snprintf(msg, sizeof msg,
                     "search_terms are keywords without the @ (got \"%.64s\"); @-mentions are "
                     "read by fetch_mentions",
                     term);
            return fail(key, "search_terms", err, errlen, msg);
        }
        if (strchr(term, '"') != NULL || strchr(term, '\n') != NULL) {
            snprintf(msg, sizeof msg,
                     "search_terms \"%.64s\" holds a double quote or a newline, which an X "
                     "query cannot carry",
                     term);
            return fail(key, "search_terms", err, errlen, msg);
        }
        opt->terms[opt->term_count++] = term;
        /* A phrase is quoted so X matches it whole. */
        bool phrase = strpbrk(term, " \t()") != NULL;
        int w = snprintf(query + len, sizeof query - len, "%s%s%s%s", i > 0 ? " OR " : "",
                         phrase ? "\"" : "", term, phrase ? "\"" : "");
        if (w < 0 || (size_t)w >= sizeof query - len)
            too_long = true;
        else
            len += (size_t)w;
    }
    /* Not the brand's own posts (our replies), and, when the mentions
     * timeline is read anyway, not @-mentions: each would cost search
     * budget to find what is already there. */
    bool skip_mentions = opt->handle[0] != '\0' && opt->fetch_mentions;
    int w = snprintf(query + len, sizeof query - len, ") -is:retweet%s%s%s%s",
                     opt->handle[0] != '\0' ? " -from:" : "", opt->handle,
                     skip_mentions ? " -@" : "", skip_mentions ? opt->handle : "");
    if (too_long || w < 0 || (size_t)w >= sizeof query - len) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "search_terms make an X query longer than %d characters; use fewer or shorter "
                 "terms",
                 TW_QUERY_MAX);
        return fail(key, "search_terms", err, errlen, msg);
    }
    opt->search_query = gw_sdk_str_dup(query);
    return opt->search_query != NULL ? 0 : GW_ENOMEM;
}

int tw_options_load(const json_t *config, tw_options *opt, const char **key, char *err,
                    size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    int rc;

    const char *base = gw_sdk_json_string(config, "base_url", "https://api.x.com");
    if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
        return fail(key, "base_url", err, errlen,
                    "base_url must start with https:// (or http:// for a test server)");
    opt->base_url = gw_sdk_str_dup(base);
    if (opt->base_url == NULL)
        return GW_ENOMEM;
    size_t blen = strlen(opt->base_url);
    while (blen > 0 && opt->base_url[blen - 1] == '/')
        opt->base_url[--blen] = '\0';

    opt->user_id = read_string(config, "user_id");
    if (opt->user_id == NULL || !is_digits(opt->user_id, 19))
        return fail(key, "user_id", err, errlen,
                    "user_id must be the account's numeric id (1 to 19 digits), not its @handle");

    const char *handle = read_string(config, "handle");
    if (handle != NULL) {
        if (handle[0] == '@')
            handle++;
        size_t hlen = strlen(handle);
        if (hlen == 0 || hlen >= TW_HANDLE_MAX ||
            strspn(handle, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                hlen)
            return fail(key, "handle", err, errlen,
                        "handle must be an X username: 1 to 15 letters, digits or _");
        memcpy(opt->handle, handle, hlen + 1);
    }

    opt->bearer_token = read_string(config, "bearer_token");
    if ((rc = read_oauth(config, opt, key, err, errlen)) < 0)
        return rc;

    opt->fetch_mentions = gw_sdk_json_bool(config, "fetch_mentions", 1) != 0;
    opt->fetch_search = gw_sdk_json_bool(config, "fetch_search", 1) != 0;
    opt->fetch_dms = gw_sdk_json_bool(config, "fetch_dms", 1) != 0;
    opt->include_raw = gw_sdk_json_bool(config, "include_raw", 0) != 0;
    json_int_t max_results = gw_sdk_json_int(config, "max_results", 100);
    json_int_t max_pages = gw_sdk_json_int(config, "max_pages", 5);
    if (max_results < 10 || max_results > 100)
        return fail(key, "max_results", err, errlen, "max_results must be between 10 and 100");
    if (max_pages < 1 || max_pages > 100)
        return fail(key, "max_pages", err, errlen, "max_pages must be between 1 and 100");
    opt->max_results = (unsigned)max_results;
    opt->max_pages = (unsigned)max_pages;

    if ((rc = read_terms(config, opt, key, err, errlen)) < 0)
        return rc;

    bool user = tw_options_have_user_context(opt);
    bool reads = opt->fetch_mentions || (opt->fetch_search && opt->search_query != NULL);
    if (reads && opt->bearer_token == NULL && !user)
        return fail(key, "bearer_token", err, errlen,
                    "reading mentions or search needs bearer_token (or the four OAuth 1.0a "
                    "credentials)");
    if (opt->fetch_dms && !user)
        return fail(key, "fetch_dms", err, errlen,
                    "fetch_dms needs consumer_key, consumer_secret, access_token and "
                    "access_token_secret (X reads DMs in user context only); or set "
                    "fetch_dms = false");
    return 0;
}

void tw_options_free(tw_options *opt)
{
    free(opt->base_url);
    free(opt->terms);
    free(opt->search_query);
    memset(opt, 0, sizeof *opt);
}
