/* plugins/yelp/normalise.c - Yelp JSON into gateway.event/1, without a
 * host: the plugin, its unit test and the fuzz target link it.
 *
 * Time. A review's time_created ("2026-11-19 18:33:21") carries no offset;
 * Yelp's reference says it is in "PST". We read that as US Pacific civil
 * time, PDT in summer (what Yelp's own pages show), by the US rules in
 * force since 2007: daylight time from the second Sunday of March at
 * 02:00 to the first Sunday of November at 02:00. The hour that repeats in
 * November reads as standard time. Lead events carry ISO 8601 with an
 * offset and are read as given.
 *
 * Emoji. R2R refuses them; the ranges here are the pictographic blocks
 * (U+1F000-1FAFF: emoticons, symbols, flags' regional indicators),
 * miscellaneous symbols and dingbats (U+2600-27BF), the common emoji
 * outside those (watch, hourglass, media keys, star, circle) and the two
 * marks that turn text into emoji (U+FE0F, U+20E3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#define DAY_S 86400

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The day of the n-th Sunday (n >= 1) of y-m, in days from 1970. */
static int64_t nth_sunday(int64_t y, int m, int n)
{
    int64_t first = days_from_civil(y, m, 1);
    int64_t dow = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    return first + (7 - dow) % 7 + 7 * (n - 1);
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int yelp_pacific_parse(const char *text, int64_t *unix_ms)
{
    int y, mo, d, h, mi, s;
    if (text == NULL || strlen(text) != 19 || text[4] != '-' || text[7] != '-' ||
        text[10] != ' ' || text[13] != ':' || text[16] != ':' || !digits(text, 4, &y) ||
        !digits(text + 5, 2, &mo) || !digits(text + 8, 2, &d) || !digits(text + 11, 2, &h) ||
        !digits(text + 14, 2, &mi) || !digits(text + 17, 2, &s))
        return GW_EPARSE;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        s > 59)
        return GW_EPARSE;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return GW_EPARSE;
    int64_t local = days_from_civil(y, mo, d) * DAY_S + h * 3600 + mi * 60 + s;
    int64_t dst_start = nth_sunday(y, 3, 2) * DAY_S + 2 * 3600;
    int64_t dst_end = nth_sunday(y, 11, 1) * DAY_S + 1 * 3600; /* local standard-time view */
    int64_t offset_h = local >= dst_start && local < dst_end ? 7 : 8;
    *unix_ms = (local + offset_h * 3600) * 1000;
    return 0;
}

static bool id_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) < YELP_ID_MAX;
}

json_t *yelp_review_event(const char *business, const json_t *review)
{
    const char *id = gw_sdk_json_string(review, "id", NULL);
    const json_t *rating_v = json_object_get(review, "rating");
    double rating = json_is_number(rating_v) ? json_number_value(rating_v) : 0;
    int64_t created;
    if (!id_ok(id) || rating < 1 || rating > 5 ||
        yelp_pacific_parse(gw_sdk_json_string(review, "time_created", NULL), &created) != 0)
        return NULL;
    const json_t *user = json_object_get(review, "user");
    const char *uid = gw_sdk_json_string(user, "id", NULL);
    char when[GW_SDK_RFC3339_SIZE];
    if (gw_sdk_time_format(created, when, sizeof when) < 0)
        return NULL;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "type", "review", "visibility",
                           "public", "native_id", id, "thread_id", id, "rating", rating,
                           "created_at", when);
    if (ev == NULL)
        return NULL;
    json_t *author = json_pack("{s:s}", "id", id_ok(uid) ? uid : "unknown");
    gw_sdk_json_set_string(author, "name", gw_sdk_json_string(user, "name", NULL));
    json_object_set_new(ev, "author", author);
    gw_sdk_json_set_string(ev, "text", gw_sdk_json_string(review, "text", NULL));
    const char *url = gw_sdk_json_string(review, "url", NULL);
    if (url != NULL && strncmp(url, "https://", 8) == 0) {
        gw_sdk_json_set_string(ev, "url", url);
    } else {
        char buf[200];
        snprintf(buf, sizeof buf, "https://www.yelp.com/biz/%s?hrid=%s", business, id);
        gw_sdk_json_set_string(ev, "url", buf);
    }
    /* For triage: a one- or two-star review is the unhappy customer. */
    if (rating <= 2)
        json_object_set_new(ev, "tags", json_pack("{s:b}", "low_rating", 1));
    json_object_set_new(ev, "context", json_pack("{s:s, s:s}", "kind", "business", "id",
                                                 business));
    return ev;
}

int yelp_reviews_page(const char *business, const json_t *doc, yelp_emit_fn emit, void *arg)
{
    const json_t *reviews = json_object_get(doc, "reviews");
    if (!json_is_array(reviews))
        return GW_EPARSE;
    int emitted = 0;
    /* Newest first on the wire; hand them over oldest first. */
    for (size_t i = json_array_size(reviews); i-- > 0;) {
        json_t *ev = yelp_review_event(business, json_array_get(reviews, i));
        if (ev != NULL && emit(arg, ev) == 0)
            emitted++;
    }
    return emitted;
}

json_t *yelp_lead_event(const char *lead_id, const json_t *ev)
{
    const char *id = gw_sdk_json_string(ev, "id", NULL);
    const char *who = gw_sdk_json_string(ev, "user_type", NULL);
    const json_t *content = json_object_get(ev, "event_content");
    const char *text = gw_sdk_json_string(content, "text", NULL);
    if (text == NULL || text[0] == '\0')
        text = gw_sdk_json_string(content, "fallback_text", NULL);
    if (!id_ok(id) || !id_ok(lead_id) || who == NULL || strcmp(who, "CONSUMER") != 0 ||
        text == NULL || text[0] == '\0')
        return NULL;
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "visibility",
                            "private", "native_id", id, "thread_id", lead_id, "text", text);
    if (out == NULL)
        return NULL;
    /* The Leads API names the consumer only by display name: the lead is
     * the stable handle of the person who asked. */
    json_t *author = json_pack("{s:s}", "id", lead_id);
    gw_sdk_json_set_string(author, "name", gw_sdk_json_string(ev, "user_display_name", NULL));
    json_object_set_new(out, "author", author);
    int64_t created;
    char when[GW_SDK_RFC3339_SIZE];
    if (gw_sdk_time_parse(gw_sdk_json_string(ev, "time_created", ""), &created) == 0 &&
        gw_sdk_time_format(created, when, sizeof when) > 0)
        gw_sdk_json_set_string(out, "created_at", when);
    return out;
}

int yelp_webhook_updates(const json_t *doc, const char *business, yelp_update *out, size_t max)
{
    const json_t *data = json_object_get(doc, "data");
    const json_t *updates = json_object_get(data, "updates");
    if (!json_is_array(updates))
        return GW_EPARSE;
    const char *biz = gw_sdk_json_string(data, "id", NULL);
    if (biz != NULL && business != NULL && strcmp(biz, business) != 0)
        return 0;
    size_t n = 0;
    size_t i;
    const json_t *u;
    json_array_foreach(updates, i, u)
    {
        if (n == max)
            break;
        const char *type = gw_sdk_json_string(u, "event_type", "");
        bool review = strcmp(type, "NEW_REVIEW_EVENT") == 0;
        if (!review && strcmp(type, "NEW_EVENT") != 0)
            continue;
        const char *id = gw_sdk_json_string(u, review ? "review_id" : "lead_id", NULL);
        if (!id_ok(id))
            continue;
        memset(&out[n], 0, sizeof out[n]);
        out[n].review = review;
        gw_sdk_str_copy(out[n].id, sizeof out[n].id, id);
        const char *uid = gw_sdk_json_string(u, "user_id", NULL);
        if (review && id_ok(uid))
            gw_sdk_str_copy(out[n].user_id, sizeof out[n].user_id, uid);
        double r = gw_sdk_json_number(u, "rating", 0);
        out[n].rating = r >= 1 && r <= 5 ? r : 0;
        n++;
    }
    return (int)n;
}

static bool is_emoji(uint32_t c)
{
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) || c == 0xFE0F ||
           c == 0x20E3 || c == 0x2B50 || c == 0x2B55 || c == 0x231A || c == 0x231B ||
           (c >= 0x23E9 && c <= 0x23FA);
}

int yelp_first_emoji(const char *text, uint32_t *code_point, size_t *position)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t pos = 1; p != NULL && *p != '\0'; pos++) {
        uint32_t c = *p;
        size_t n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        if (n > 0)
            c &= 0x3Fu >> n;
        size_t i = 1;
        for (; i <= n && p[i] != '\0'; i++)
            c = (c << 6) | (p[i] & 0x3Fu);
        p += i;
        if (is_emoji(c)) {
            *code_point = c;
            *position = pos;
            return 1;
        }
    }
    return 0;
}
