/* plugins/twitter/normalise.c - X's JSON -> gateway.event/1 items.
 *
 * Four shapes reach the gateway: v2 tweets (mentions timeline, recent
 * search) with their authors in includes.users; v2 DM events; and, from
 * Account Activity webhooks, v1.1 tweets and v1.1 direct_message_events.
 * Each becomes one item with every field X offers: thread (the
 * conversation), the tweet it replies to, a link, the author (handle,
 * name, followers, verified), the text, language and creation time, and
 * tags saying whether the brand was @-mentioned and which of its
 * keywords appear.
 *
 * Not delivered as customer items: the brand's own tweets and DMs (our
 * replies coming back: the "echo"), retweets (no new words from the
 * customer), DM events other than MessageCreate.
 *
 * This file reads the v2 shapes; normalise_v1.c the webhooks' v1.1
 * shapes; normalise_build.c has what both build items with.
 *
 * Everything here is a pure function of the JSON and the brand, so the
 * fuzz target and the unit tests drive it without a host. Network input
 * is untrusted: every member may be absent or of another type, and an
 * item without a usable id is counted and skipped, never fatal.
 */
#include <stdio.h>
#include <string.h>

#include "normalise_build.h"
#include "twitter.h"

/* ---- v2 ------------------------------------------------------------------ */

/* includes.users[] indexed by id: a new object id -> user (borrowed
 * references held by the index), or NULL when there are none. */
static json_t *users_index(const json_t *doc)
{
    const json_t *users = json_object_get(json_object_get(doc, "includes"), "users");
    if (!json_is_array(users))
        return NULL;
    json_t *index = json_object();
    size_t i;
    const json_t *user;
    json_array_foreach(users, i, user)
    {
        const char *id = gw_sdk_json_string(user, "id", NULL);
        if (index != NULL && id != NULL)
            json_object_set(index, id, (json_t *)user);
    }
    return index;
}

static bool v2_is_retweet(const json_t *tweet)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(tweet, "referenced_tweets"), i, ref)
    {
        const char *type = gw_sdk_json_string(ref, "type", "");
        if (strcmp(type, "retweeted") == 0)
            return true;
    }
    return false;
}

static const char *v2_replied_to(const json_t *tweet)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(tweet, "referenced_tweets"), i, ref)
    {
        const char *type = gw_sdk_json_string(ref, "type", "");
        const char *id = gw_sdk_json_string(ref, "id", NULL);
        uint64_t ignored;
        if (strcmp(type, "replied_to") == 0 && tw_id_parse(id, &ignored))
            return id;
    }
    return NULL;
}

/* The brand named in entities.mentions, when X parsed the text for us. */
static bool v2_mentions_brand(const tw_brand *b, const json_t *tweet)
{
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(json_object_get(tweet, "entities"), "mentions"), i, m)
    {
        const char *id = gw_sdk_json_string(m, "id", NULL);
        const char *username = gw_sdk_json_string(m, "username", NULL);
        if (tw_is_brand(b, id) ||
            (b->handle != NULL && b->handle[0] != '\0' && tw_ascii_ieq(username, b->handle)))
            return true;
    }
    return false;
}

static json_t *v2_author(const char *author_id, const json_t *users)
{
    const json_t *user = users != NULL ? json_object_get(users, author_id) : NULL;
    const json_t *metrics = json_object_get(user, "public_metrics");
    return tw_author_new(author_id, gw_sdk_json_string(user, "username", NULL),
                         gw_sdk_json_string(user, "name", NULL),
                         json_object_get(metrics, "followers_count"),
                         json_object_get(user, "verified"));
}

/* The members both v2 builders end with: the author from the expansions
 * (when the item names one) and, on request, the network's own object.
 * Returns false on allocation failure. */
static bool put_author_and_raw(const tw_brand *b, json_t *ev, const char *author_id,
                               const json_t *users, const json_t *raw)
{
    if (author_id != NULL) {
        json_t *author = v2_author(author_id, users);
        if (author == NULL || json_object_set_new(ev, "author", author) < 0)
            return false;
    }
    return !b->include_raw || json_object_set(ev, "raw", (json_t *)raw) == 0;
}

static json_t *v2_tweet_event(const tw_brand *b, const json_t *tweet, const char *id,
                              const json_t *users, bool from_mentions)
{
    json_t *ev = tw_event_new("mention", "public", id);
    if (ev == NULL)
        return NULL;
    const char *conversation = gw_sdk_json_string(tweet, "conversation_id", NULL);
    uint64_t ignored;
    if (!tw_id_parse(conversation, &ignored))
        conversation = NULL;
    /* A long post's whole text is in note_tweet; "text" is cut there. */
    const char *text = gw_sdk_json_string(json_object_get(tweet, "note_tweet"), "text", NULL);
    if (text == NULL)
        text = gw_sdk_json_string(tweet, "text", NULL);
    const char *author_id = gw_sdk_json_string(tweet, "author_id", NULL);
    if (!tw_id_parse(author_id, &ignored))
        author_id = NULL;
    const json_t *user =
        author_id != NULL && users != NULL ? json_object_get(users, author_id) : NULL;
    const char *username = gw_sdk_json_string(user, "username", NULL);

    char url[TW_URL_MAX];
    if (username != NULL && strlen(username) < TW_HANDLE_MAX &&
        strspn(username, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
            strlen(username) &&
        username[0] != '\0')
        snprintf(url, sizeof url, "https://x.com/%s/status/%s", username, id);
    else
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);

    if (!tw_put_string(ev, "thread_id", conversation) ||
        !tw_put_string(ev, "in_reply_to", v2_replied_to(tweet)) || !tw_put_string(ev, "url", url) ||
        !tw_put_string(ev, "text", text) ||
        !tw_put_string(ev, "lang", tw_useful_lang(gw_sdk_json_string(tweet, "lang", NULL))) ||
        !tw_put_time_rfc3339(ev, gw_sdk_json_string(tweet, "created_at", NULL)) ||
        !tw_put_tags(ev, b, text, from_mentions || v2_mentions_brand(b, tweet)))
        goto fail;
    if (!put_author_and_raw(b, ev, author_id, users, tweet))
        goto fail;
    return ev;
fail:
    json_decref(ev);
    return NULL;
}

int tw_page_tweets(const tw_brand *b, const json_t *doc, bool from_mentions, tw_emit_fn emit,
                   void *arg, tw_page_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (!json_is_object(doc))
        return GW_EINVAL;
    const json_t *data = json_object_get(doc, "data");
    if (!json_is_array(data))
        return 0; /* no results: X leaves "data" out */
    json_t *users = users_index(doc);
    /* X lists newest first; the log reads better oldest first. */
    for (size_t i = json_array_size(data); i-- > 0 && !stats->stopped;) {
        const json_t *tweet = json_array_get(data, i);
        const char *id = gw_sdk_json_string(tweet, "id", NULL);
        uint64_t id_value;
        if (!tw_take_id(stats, id, &id_value))
            continue;
        const char *author_id = gw_sdk_json_string(tweet, "author_id", NULL);
        if (tw_is_brand(b, author_id)) {
            stats->echoes++;
            continue;
        }
        if (v2_is_retweet(tweet)) {
            stats->skipped++;
            continue;
        }
        tw_deliver(v2_tweet_event(b, tweet, id, users, from_mentions), emit, arg, stats);
    }
    json_decref(users);
    return 0;
}

static json_t *v2_dm_event(const tw_brand *b, const json_t *dm, const char *id, const json_t *users)
{
    json_t *ev = tw_event_new("message", "private", id);
    if (ev == NULL)
        return NULL;
    const char *conversation = gw_sdk_json_string(dm, "dm_conversation_id", NULL);
    /* "<id>-<id>" for one-to-one, digits for a group: nothing else. */
    if (conversation != NULL && (conversation[0] == '\0' || strlen(conversation) > 2 * TW_ID_MAX ||
                                 strspn(conversation, "0123456789-") != strlen(conversation)))
        conversation = NULL;
    char url[TW_URL_MAX];
    if (conversation != NULL)
        snprintf(url, sizeof url, "https://x.com/messages/%s", conversation);
    const char *text = gw_sdk_json_string(dm, "text", NULL);
    const char *sender = gw_sdk_json_string(dm, "sender_id", NULL);
    uint64_t ignored;
    if (!tw_id_parse(sender, &ignored))
        sender = NULL;

    if (!tw_put_string(ev, "thread_id", conversation) ||
        !tw_put_string(ev, "url", conversation != NULL ? url : NULL) ||
        !tw_put_string(ev, "text", text) ||
        !tw_put_time_rfc3339(ev, gw_sdk_json_string(dm, "created_at", NULL)) ||
        !tw_put_tags(ev, b, text, false))
        goto fail;
    if (!put_author_and_raw(b, ev, sender, users, dm))
        goto fail;
    return ev;
fail:
    json_decref(ev);
    return NULL;
}

int tw_page_dms(const tw_brand *b, const json_t *doc, uint64_t after_id, tw_emit_fn emit, void *arg,
                tw_page_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (!json_is_object(doc))
        return GW_EINVAL;
    const json_t *data = json_object_get(doc, "data");
    if (!json_is_array(data))
        return 0;
    json_t *users = users_index(doc);
    for (size_t i = json_array_size(data); i-- > 0 && !stats->stopped;) {
        const json_t *dm = json_array_get(data, i);
        const char *id = gw_sdk_json_string(dm, "id", NULL);
        uint64_t id_value;
        if (!tw_take_id(stats, id, &id_value))
            continue;
        /* DM event ids are snowflakes: increasing with time. */
        if (after_id != 0 && id_value <= after_id) {
            stats->reached_known = true;
            continue;
        }
        const char *type = gw_sdk_json_string(dm, "event_type", "MessageCreate");
        if (strcmp(type, "MessageCreate") != 0) {
            stats->skipped++;
            continue;
        }
        const char *sender = gw_sdk_json_string(dm, "sender_id", NULL);
        if (tw_is_brand(b, sender)) {
            stats->echoes++;
            continue;
        }
        tw_deliver(v2_dm_event(b, dm, id, users), emit, arg, stats);
    }
    json_decref(users);
    return 0;
}
