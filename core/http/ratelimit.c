/* ratelimit.c - rate-limit header parsing and budgets; see ratelimit.h. */
#include "http/ratelimit.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gateway/error.h"

/* Facebook usage headers are small JSON objects; anything larger is not
 * what we expect and is not worth parsing on the loop thread. */
#define USAGE_JSON_MAX 8192
/* Trust the server's Date only when it is within a day of our clock: a
 * server stuck in 1970 would otherwise turn every reset into a 48 h block. */
#define DATE_TRUST_WINDOW_MS (24ll * 3600 * 1000)

/* ---- small parsers ---------------------------------------------------- */

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parse a whole value as a non-negative decimal integer with optional
 * surrounding blanks. Rejects signs, junk and overflow. */
static bool parse_uint(const char *text, int64_t *out)
{
    const char *p = skip_spaces(text);
    if (!isdigit((unsigned char)*p))
        return false;
    int64_t v = 0;
    for (; isdigit((unsigned char)*p); p++) {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (*skip_spaces(p) != '\0')
        return false;
    *out = v;
    return true;
}

/* Read exactly `width` digits (width 0: one or more, at most 9). */
static bool read_digits(const char **pp, int width, int *out)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (isdigit((unsigned char)*p) && (width == 0 ? n < 9 : n < width)) {
        v = v * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n == 0 || (width != 0 && n != width))
        return false;
    *pp = p;
    *out = v;
    return true;
}

static bool expect_char(const char **pp, char c)
{
    if (**pp != c)
        return false;
    (*pp)++;
    return true;
}

static int month_from_name(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++) {
        if (strncmp(p, names + 3 * m, 3) == 0)
            return m + 1;
    }
    return 0;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar,
 * counted by eras of 400 years so no time zone or libc state is involved. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool make_time(int y, int mo, int d, int h, int mi, int s, int64_t *unix_ms)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || s > 60)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *unix_ms = secs * 1000;
    return true;
}

static bool read_hms(const char **pp, int *h, int *mi, int *s)
{
    return read_digits(pp, 2, h) && expect_char(pp, ':') && read_digits(pp, 2, mi) &&
           expect_char(pp, ':') && read_digits(pp, 2, s);
}

int ratelimit_parse_http_date(const char *text, int64_t *unix_ms)
{
    if (text == NULL)
        return GW_EPARSE;
    const char *p = skip_spaces(text);
    /* The weekday is redundant; skip it without judging it. */
    while (isalpha((unsigned char)*p))
        p++;
    int y, mo, d, h, mi, s;
    if (*p == ',') {
        p = skip_spaces(p + 1);
        if (!read_digits(&p, 2, &d))
            return GW_EPARSE;
        bool rfc850 = *p == '-';
        if (!rfc850 && *p != ' ')
            return GW_EPARSE;
        p++;
        if ((mo = month_from_name(p)) == 0)
            return GW_EPARSE;
        p += 3;
        if (!expect_char(&p, rfc850 ? '-' : ' '))
            return GW_EPARSE;
        if (rfc850) {
            if (!read_digits(&p, 2, &y))
                return GW_EPARSE;
            /* RFC 9110: a two-digit year more than 50 years ahead is in
             * the past century. */
            y += y < 70 ? 2000 : 1900;
        } else if (!read_digits(&p, 4, &y)) {
            return GW_EPARSE;
        }
        if (!expect_char(&p, ' ') || !read_hms(&p, &h, &mi, &s))
            return GW_EPARSE;
        p = skip_spaces(p);
        if (strncmp(p, "GMT", 3) != 0)
            return GW_EPARSE;
        p += 3;
    } else {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        p = skip_spaces(p);
        if ((mo = month_from_name(p)) == 0)
            return GW_EPARSE;
        p = skip_spaces(p + 3);
        if (!read_digits(&p, 0, &d) || d > 31 || !expect_char(&p, ' '))
            return GW_EPARSE;
        if (!read_hms(&p, &h, &mi, &s))
            return GW_EPARSE;
        p = skip_spaces(p);
        if (!read_digits(&p, 4, &y))
            return GW_EPARSE;
    }
    if (*skip_spaces(p) != '\0')
        return GW_EPARSE;
    int64_t t;
    if (!make_time(y, mo, d, h, mi, s, &t))
        return GW_EPARSE;
    *unix_ms = t;
    return GW_OK;
}

int ratelimit_parse_iso8601(const char *text, int64_t *unix_ms)
{
    if (text == NULL)
        return GW_EPARSE;
    const char *p = skip_spaces(text);
    int y, mo, d, h, mi, s;
    if (!read_digits(&p, 4, &y) || !expect_char(&p, '-') || !read_digits(&p, 2, &mo) ||
        !expect_char(&p, '-') || !read_digits(&p, 2, &d))
        return GW_EPARSE;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return GW_EPARSE;
    p++;
    if (!read_hms(&p, &h, &mi, &s))
        return GW_EPARSE;
    int64_t frac_ms = 0;
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return GW_EPARSE;
        int digits = 0;
        bool more = false; /* nonzero digits beyond the ms place */
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            else if (*p != '0')
                more = true;
            digits++;
            p++;
        }
        for (; digits < 3; digits++)
            frac_ms *= 10;
        if (more)
            frac_ms++; /* round up: a reset must never be read as earlier */
    }
    int64_t offset_ms = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om = 0;
        p++;
        if (!read_digits(&p, 2, &oh))
            return GW_EPARSE;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && !read_digits(&p, 2, &om))
            return GW_EPARSE;
        if (oh > 23 || om > 59)
            return GW_EPARSE;
        offset_ms = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
    }
    if (*skip_spaces(p) != '\0')
        return GW_EPARSE;
    int64_t t;
    if (!make_time(y, mo, d, h, mi, s, &t))
        return GW_EPARSE;
    *unix_ms = t + frac_ms - offset_ms;
    return GW_OK;
}

/* ---- reading one response --------------------------------------------- */

/* Everything a response says about the budget. -1 = not present. */
typedef struct rl_report {
    int64_t server_now_ms;
    uint64_t delay_ms;         /* how long this endpoint's window asks us to
                                  wait (X's x-rate-limit-*) */
    uint64_t account_delay_ms; /* how long the whole account must wait:
                                  signals that name no endpoint window */
    int64_t limit, remaining;
    int64_t reset_unix_ms;
    int usage_percent;
} rl_report;

static const char *find_header(const gw_http_header *headers, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (headers[i].name != NULL && headers[i].value != NULL &&
            strcasecmp(headers[i].name, name) == 0)
            return headers[i].value;
    }
    return NULL;
}

static int64_t header_uint(const gw_http_header *headers, size_t n, const char *name)
{
    const char *v = find_header(headers, n, name);
    int64_t out;
    return v != NULL && parse_uint(v, &out) ? out : -1;
}

/* A Unix-seconds header as ms, or -1. */
static int64_t header_unix_seconds(const gw_http_header *headers, size_t n, const char *name)
{
    int64_t secs = header_uint(headers, n, name);
    if (secs < 0 || secs > INT64_MAX / 1000)
        return -1;
    return secs * 1000;
}

static void wait_until(rl_report *r, int64_t unix_ms)
{
    if (unix_ms > r->server_now_ms) {
        uint64_t d = (uint64_t)(unix_ms - r->server_now_ms);
        if (d > r->delay_ms)
            r->delay_ms = d;
    }
}

static void wait_for(rl_report *r, uint64_t ms)
{
    if (ms > r->delay_ms)
        r->delay_ms = ms;
}

/* A wait the whole account owes, whatever class the request was in. */
static void account_wait_for(rl_report *r, uint64_t ms)
{
    if (ms > r->account_delay_ms)
        r->account_delay_ms = ms;
}

static void account_wait_until(rl_report *r, int64_t unix_ms)
{
    if (unix_ms > r->server_now_ms)
        account_wait_for(r, (uint64_t)(unix_ms - r->server_now_ms));
}

static double usage_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : -1;
}

/* Highest of the three percentages Facebook reports in one usage object,
 * and its estimated_time_to_regain_access (minutes) when given. */
static void read_usage_object(const json_t *obj, double *usage, double *regain_min)
{
    if (!json_is_object(obj))
        return;
    static const char *const keys[] = {"call_count", "total_cputime", "total_time"};
    for (size_t i = 0; i < 3; i++) {
        double v = usage_of(obj, keys[i]);
        if (v > *usage)
            *usage = v;
    }
    double regain = usage_of(obj, "estimated_time_to_regain_access");
    if (regain > *regain_min)
        *regain_min = regain;
}

static json_t *load_usage_json(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > USAGE_JSON_MAX)
        return NULL;
    return json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
}

/* X-App-Usage / X-Page-Usage: {"call_count":28,"total_cputime":25,...}
 * X-Business-Use-Case-Usage: {"<id>":[{"type":"pages","call_count":...,
 *   "estimated_time_to_regain_access":<min>}]} */
static void read_facebook_usage(const gw_http_header *headers, size_t n, rl_report *r)
{
    double usage = -1, regain_min = -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = headers[i].name, *value = headers[i].value;
        if (name == NULL || value == NULL)
            continue;
        bool flat = strcasecmp(name, "x-app-usage") == 0 || strcasecmp(name, "x-page-usage") == 0;
        bool buc = strcasecmp(name, "x-business-use-case-usage") == 0;
        if (!flat && !buc)
            continue;
        json_t *root = load_usage_json(value);
        if (root == NULL)
            continue; /* malformed: ignore rather than block */
        if (flat) {
            read_usage_object(root, &usage, &regain_min);
        } else if (json_is_object(root)) {
            const char *key;
            json_t *list;
            json_object_foreach(root, key, list)
            {
                size_t idx;
                json_t *entry;
                if (json_is_array(list)) {
                    json_array_foreach(list, idx, entry)
                        read_usage_object(entry, &usage, &regain_min);
                } else {
                    read_usage_object(list, &usage, &regain_min);
                }
            }
        }
        json_decref(root);
    }
    if (usage >= 0)
        r->usage_percent = usage > 1e6 ? 1000000 : (int)usage;
    /* A nonzero regain estimate means throttled even below 100 %; cap the
     * minutes before converting so a huge value cannot overflow. */
    if (regain_min > 0) {
        double ms = regain_min * 60000.0;
        account_wait_for(r, ms >= (double)RATELIMIT_MAX_DELAY_MS ? RATELIMIT_MAX_DELAY_MS
                                                                 : (uint64_t)ms);
    } else if (usage >= 100) {
        account_wait_for(r, RATELIMIT_FB_DEFAULT_BLOCK_MS);
    }
}

/* Retry-After: "<seconds>" or an HTTP-date (relative to the server's Date).
 * It names no window, so it binds the whole account unless the same
 * response carries X's per-endpoint headers (then it is about that
 * endpoint, like they are). */
static void read_retry_after(const gw_http_header *headers, size_t n, bool per_endpoint,
                             rl_report *r)
{
    const char *v = find_header(headers, n, "retry-after");
    if (v == NULL)
        return;
    int64_t secs, when;
    uint64_t ms = 0;
    if (parse_uint(v, &secs)) {
        uint64_t cap_s = RATELIMIT_MAX_DELAY_MS / 1000;
        ms = ((uint64_t)secs > cap_s ? cap_s : (uint64_t)secs) * 1000;
    } else if (ratelimit_parse_http_date(v, &when) == GW_OK && when > r->server_now_ms) {
        ms = (uint64_t)(when - r->server_now_ms);
    }
    if (per_endpoint)
        wait_for(r, ms);
    else
        account_wait_for(r, ms);
}

static void read_response(int status, const gw_http_header *headers, size_t n, uint64_t now_wall_ms,
                          rl_report *r)
{
    memset(r, 0, sizeof *r);
    r->limit = r->remaining = r->reset_unix_ms = -1;
    r->usage_percent = -1;
    r->server_now_ms = (int64_t)now_wall_ms;
    if (headers == NULL)
        n = 0;

    /* Date is whole seconds rounded down, so measuring from it can only
     * make a wait longer than the server meant, never shorter. */
    int64_t date;
    const char *date_text = find_header(headers, n, "date");
    if (date_text != NULL && ratelimit_parse_http_date(date_text, &date) == GW_OK &&
        date > (int64_t)now_wall_ms - DATE_TRUST_WINDOW_MS &&
        date < (int64_t)now_wall_ms + DATE_TRUST_WINDOW_MS)
        r->server_now_ms = date;

    /* X: the 15-minute window of this endpoint. */
    int64_t x_remaining = header_uint(headers, n, "x-rate-limit-remaining");
    int64_t x_reset = header_unix_seconds(headers, n, "x-rate-limit-reset");
    if (status == 429 || status >= 500)
        read_retry_after(headers, n, x_remaining >= 0 || x_reset >= 0, r);
    if (x_reset >= 0 && (status == 429 || x_remaining == 0))
        wait_until(r, x_reset);
    if (x_remaining >= 0) {
        r->remaining = x_remaining;
        r->limit = header_uint(headers, n, "x-rate-limit-limit");
        r->reset_unix_ms = x_reset;
    }
    /* X: 24-hour write limits. Only a 429 proves they are what stopped us;
     * blocking reads for a day because the last allowed post succeeded
     * would be wrong. */
    static const char *const day_limits[][2] = {
        {"x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"},
        {"x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"},
    };
    for (size_t i = 0; status == 429 && i < 2; i++) {
        int64_t reset = header_unix_seconds(headers, n, day_limits[i][1]);
        if (reset >= 0 && header_uint(headers, n, day_limits[i][0]) == 0)
            wait_until(r, reset);
    }

    /* Yelp: daily budget, ResetTime in ISO 8601. A 429 alone is usually the
     * per-second limit, so only an exhausted count blocks until reset. */
    int64_t y_remaining = header_uint(headers, n, "ratelimit-remaining");
    int64_t y_resource = header_uint(headers, n, "ratelimit-resourceremaining");
    int64_t y_reset = -1;
    const char *reset_text = find_header(headers, n, "ratelimit-resettime");
    if (reset_text != NULL && ratelimit_parse_iso8601(reset_text, &y_reset) != GW_OK)
        y_reset = -1;
    if (y_reset >= 0 && (y_remaining == 0 || y_resource == 0))
        account_wait_until(r, y_reset); /* the API key's day, every endpoint */
    if (y_remaining >= 0 && (r->remaining < 0 || y_remaining < r->remaining)) {
        r->remaining = y_remaining;
        r->limit = header_uint(headers, n, "ratelimit-dailylimit");
        r->reset_unix_ms = y_reset;
    }

    read_facebook_usage(headers, n, r);

    if (r->delay_ms > RATELIMIT_MAX_DELAY_MS)
        r->delay_ms = RATELIMIT_MAX_DELAY_MS;
    if (r->account_delay_ms > RATELIMIT_MAX_DELAY_MS)
        r->account_delay_ms = RATELIMIT_MAX_DELAY_MS;
}

/* ---- budgets ---------------------------------------------------------- */

void ratelimit_init(ratelimit_budget *b)
{
    memset(b, 0, sizeof *b);
    b->limit = -1;
    b->remaining = -1;
    b->usage_percent = -1;
}

uint64_t ratelimit_response_delay_ms(int status, const gw_http_header *headers, size_t n,
                                     uint64_t now_wall_ms)
{
    rl_report r;
    read_response(status, headers, n, now_wall_ms, &r);
    return r.delay_ms > r.account_delay_ms ? r.delay_ms : r.account_delay_ms;
}

/* Extend b's block to now + delay; never shorten it. */
static void block_for(ratelimit_budget *b, uint64_t delay_ms, uint64_t now_mono_ms)
{
    if (delay_ms == 0)
        return;
    uint64_t until = now_mono_ms + delay_ms;
    if (until > b->blocked_until_ms) {
        b->blocked_until_ms = until;
        b->blocks++;
    }
}

void ratelimit_update(ratelimit_budget *b, int status, const gw_http_header *headers, size_t n,
                      uint64_t now_wall_ms, uint64_t now_mono_ms)
{
    rl_report r;
    read_response(status, headers, n, now_wall_ms, &r);
    /* In a class budget, what names this endpoint's window stays in the
     * class; what binds the account goes to the account's own budget,
     * which every class waits on too. */
    block_for(b, r.delay_ms, now_mono_ms);
    block_for(b->account != NULL ? b->account : b, r.account_delay_ms, now_mono_ms);
    if (r.remaining >= 0) {
        b->remaining = r.remaining;
        b->limit = r.limit;
        b->reset_ms = 0;
        if (r.reset_unix_ms > r.server_now_ms) {
            uint64_t in = (uint64_t)(r.reset_unix_ms - r.server_now_ms);
            b->reset_ms = now_mono_ms + (in > RATELIMIT_MAX_DELAY_MS ? RATELIMIT_MAX_DELAY_MS : in);
        }
    }
    if (r.usage_percent >= 0) /* Facebook's usage is the app's or page's */
        (b->account != NULL ? b->account : b)->usage_percent = r.usage_percent;
}

static uint64_t own_delay_ms(const ratelimit_budget *b, uint64_t now_mono_ms)
{
    return b->blocked_until_ms > now_mono_ms ? b->blocked_until_ms - now_mono_ms : 0;
}

uint64_t ratelimit_delay_ms(const ratelimit_budget *b, uint64_t now_mono_ms)
{
    uint64_t own = own_delay_ms(b, now_mono_ms);
    uint64_t shared = b->account != NULL ? own_delay_ms(b->account, now_mono_ms) : 0;
    return own > shared ? own : shared;
}

void ratelimit_note_wait(ratelimit_budget *b)
{
    b->waits++;
}
