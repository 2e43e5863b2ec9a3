/* plugins/twitter/normalise_v1.c - X's Account Activity webhook payloads
 * (v1.1 tweets and direct_message_events) -> gateway.event/1 items; the v2
 * shapes, and what is and is not delivered, are normalise.c's.
 *
 * A pure function of the JSON and the brand, like normalise.c: network
 * input is untrusted, every member may be absent or of another type.
 */
#include <stdio.h>
#include <string.h>

#include "normalise_build.h"
#include "twitter.h"

int tw_time_parse_v1(const char *t, int64_t *unix_ms)
{
    /* "Wed Oct 10 20:19:24 +0000 2018": fixed width, 30 characters. */
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (t == NULL || strlen(t) != 30 || t[3] != ' ' || t[7] != ' ' || t[10] != ' ' ||
        t[19] != ' ' || (t[20] != '+' && t[20] != '-') || t[25] != ' ')
        return GW_EPARSE;
    int month = 0;
    for (int m = 0; m < 12; m++) {
        if (memcmp(t + 4, months + 3 * m, 3) == 0)
            month = m + 1;
    }
    if (month == 0)
        return GW_EPARSE;
    /* Rebuild it as RFC 3339 and let the SDK check every digit. */
    char rfc[40];
    snprintf(rfc, sizeof rfc, "%.4s-%02d-%.2sT%.8s%c%.2s:%.2s", t + 26, month, t + 8, t + 11, t[20],
             t + 21, t + 23);
    return gw_sdk_time_parse(rfc, unix_ms);
}

static const char *v1_text(const json_t *tweet)
{
    const char *full =
        gw_sdk_json_string(json_object_get(tweet, "extended_tweet"), "full_text", NULL);
    if (full != NULL)
        return full;
    full = gw_sdk_json_string(tweet, "full_text", NULL);
    return full != NULL ? full : gw_sdk_json_string(tweet, "text", NULL);
}

static bool v1_mentions_brand(const tw_brand *b, const json_t *tweet)
{
    const json_t *entities = json_object_get(json_object_get(tweet, "extended_tweet"), "entities");
    if (entities == NULL)
        entities = json_object_get(tweet, "entities");
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(entities, "user_mentions"), i, m)
    {
        const char *id = gw_sdk_json_string(m, "id_str", NULL);
        if (tw_is_brand(b, id) ||
            (b->handle != NULL && b->handle[0] != '\0' &&
             tw_ascii_ieq(gw_sdk_json_string(m, "screen_name", NULL), b->handle)))
            return true;
    }
    return false;
}

static json_t *v1_author(const json_t *user, const char *id)
{
    return tw_author_new(
        id, gw_sdk_json_string(user, "screen_name", NULL), gw_sdk_json_string(user, "name", NULL),
        json_object_get(user, "followers_count"), json_object_get(user, "verified"));
}

static json_t *v1_tweet_event(const tw_brand *b, const json_t *tweet, const char *id)
{
    json_t *ev = tw_event_new("mention", "public", id);
    if (ev == NULL)
        return NULL;
    const json_t *user = json_object_get(tweet, "user");
    const char *user_id = gw_sdk_json_string(user, "id_str", NULL);
    const char *screen_name = gw_sdk_json_string(user, "screen_name", NULL);
    uint64_t ignored;
    if (!tw_id_parse(user_id, &ignored))
        user_id = NULL;
    const char *reply_to = gw_sdk_json_string(tweet, "in_reply_to_status_id_str", NULL);
    if (!tw_id_parse(reply_to, &ignored))
        reply_to = NULL;
    const char *text = v1_text(tweet);

    char url[TW_URL_MAX];
    if (screen_name != NULL && screen_name[0] != '\0' && strlen(screen_name) < TW_HANDLE_MAX &&
        strspn(screen_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
            strlen(screen_name))
        snprintf(url, sizeof url, "https://x.com/%s/status/%s", screen_name, id);
    else
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);

    int64_t ms;
    /* v1.1 has no conversation id: a tweet that replies to nothing starts
     * its own conversation; for a reply the root is unknown here. */
    if (!tw_put_string(ev, "thread_id", reply_to == NULL ? id : NULL) ||
        !tw_put_string(ev, "in_reply_to", reply_to) || !tw_put_string(ev, "url", url) ||
        !tw_put_string(ev, "text", text) ||
        !tw_put_string(ev, "lang", tw_useful_lang(gw_sdk_json_string(tweet, "lang", NULL))) ||
        (tw_time_parse_v1(gw_sdk_json_string(tweet, "created_at", NULL), &ms) == 0 &&
         !tw_put_time(ev, ms)) ||
        !tw_put_tags(ev, b, text, v1_mentions_brand(b, tweet)))
        goto fail;
    if (user_id != NULL) {
        json_t *author = v1_author(user, user_id);
        if (author == NULL || json_object_set_new(ev, "author", author) < 0)
            goto fail;
    }
    if (b->include_raw && json_object_set(ev, "raw", (json_t *)tweet) < 0)
        goto fail;
    return ev;
fail:
    json_decref(ev);
    return NULL;
}

static json_t *v1_dm_event(const tw_brand *b, const json_t *dm, const char *id, const json_t *users)
{
    json_t *ev = tw_event_new("message", "private", id);
    if (ev == NULL)
        return NULL;
    const json_t *create = json_object_get(dm, "message_create");
    const char *sender = gw_sdk_json_string(create, "sender_id", NULL);
    const char *recipient =
        gw_sdk_json_string(json_object_get(create, "target"), "recipient_id", NULL);
    const char *text = gw_sdk_json_string(json_object_get(create, "message_data"), "text", NULL);
    uint64_t s = 0, r = 0;
    if (!tw_id_parse(sender, &s))
        sender = NULL;
    /* v1.1 has no conversation id; v2 names a one-to-one conversation
     * "<lower id>-<higher id>", which both participants' ids give. */
    char thread[2 * TW_ID_MAX + 1] = "";
    if (sender != NULL && tw_id_parse(recipient, &r))
        snprintf(thread, sizeof thread, "%llu-%llu", (unsigned long long)(s < r ? s : r),
                 (unsigned long long)(s < r ? r : s));
    char url[TW_URL_MAX];
    snprintf(url, sizeof url, "https://x.com/messages/%s", thread);

    /* created_timestamp is Unix ms as a string. */
    const char *stamp = gw_sdk_json_string(dm, "created_timestamp", NULL);
    uint64_t ms = 0;
    bool have_time = stamp != NULL && strlen(stamp) <= 15 && tw_id_parse(stamp, &ms);

    if (!tw_put_string(ev, "thread_id", thread[0] != '\0' ? thread : NULL) ||
        !tw_put_string(ev, "url", thread[0] != '\0' ? url : NULL) ||
        !tw_put_string(ev, "text", text) || (have_time && !tw_put_time(ev, (int64_t)ms)) ||
        !tw_put_tags(ev, b, text, false))
        goto fail;
    if (sender != NULL) {
        const json_t *user = json_object_get(users, sender);
        json_t *author = v1_author(user, sender);
        if (author == NULL || json_object_set_new(ev, "author", author) < 0)
            goto fail;
    }
    if (b->include_raw && json_object_set(ev, "raw", (json_t *)dm) < 0)
        goto fail;
    return ev;
fail:
    json_decref(ev);
    return NULL;
}

int tw_webhook_payload(const tw_brand *b, const json_t *doc, tw_emit_fn emit, void *arg,
                       tw_page_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (!json_is_object(doc))
        return GW_EINVAL;
    const json_t *tweets = json_object_get(doc, "tweet_create_events");
    const json_t *dms = json_object_get(doc, "direct_message_events");
    const json_t *users = json_object_get(doc, "users");
    size_t total = json_array_size(tweets) + json_array_size(dms);

    /* One webhook can serve several subscribed users; this account is
     * one of them. */
    const char *for_user = gw_sdk_json_string(doc, "for_user_id", NULL);
    if (for_user != NULL && b->user_id != NULL && strcmp(for_user, b->user_id) != 0) {
        stats->items = stats->skipped = total;
        return 0;
    }

    size_t i;
    const json_t *item;
    json_array_foreach(tweets, i, item)
    {
        if (stats->stopped)
            break;
        const char *id = gw_sdk_json_string(item, "id_str", NULL);
        uint64_t id_value;
        if (!tw_take_id(stats, id, &id_value))
            continue;
        const char *author = gw_sdk_json_string(json_object_get(item, "user"), "id_str", NULL);
        if (tw_is_brand(b, author)) {
            stats->echoes++;
            continue;
        }
        if (json_object_get(item, "retweeted_status") != NULL) {
            stats->skipped++;
            continue;
        }
        tw_deliver(v1_tweet_event(b, item, id), emit, arg, stats);
    }
    json_array_foreach(dms, i, item)
    {
        if (stats->stopped)
            break;
        const char *id = gw_sdk_json_string(item, "id", NULL);
        uint64_t id_value;
        if (!tw_take_id(stats, id, &id_value))
            continue;
        if (strcmp(gw_sdk_json_string(item, "type", ""), "message_create") != 0) {
            stats->skipped++;
            continue;
        }
        const char *sender =
            gw_sdk_json_string(json_object_get(item, "message_create"), "sender_id", NULL);
        if (tw_is_brand(b, sender)) {
            stats->echoes++;
            continue;
        }
        tw_deliver(v1_dm_event(b, item, id, users), emit, arg, stats);
    }
    return 0;
}
