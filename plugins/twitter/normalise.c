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
 * Everything here is a pure function of the JSON and the brand, so the
 * fuzz target and the unit tests drive it without a host. Network input
 * is untrusted: every member may be absent or of another type, and an
 * item without a usable id is counted and skipped, never fatal.
 */
#include <stdio.h>
#include <string.h>

#include "twitter.h"

#define URL_MAX 256

bool tw_id_parse(const char *text, uint64_t *out)
{
    if (text == NULL)
        return false;
    size_t n = strspn(text, "0123456789");
    if (n == 0 || n > 19 || text[n] != '\0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(text[i] - '0'); /* 19 digits fit in 64 bits */
    *out = v;
    return true;
}

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

/* ---- small builders ----------------------------------------------------- */

static bool is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True when `needle` occurs in text as a whole word, ignoring ASCII case:
 * not glued to letters, digits or '_' on either side, as X tokenises
 * ("acme" is in "Acme's order" but not in "acmeville"). */
static bool contains_word(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        size_t i = 0;
        while (i < n && p[i] != '\0' &&
               ascii_lower((unsigned char)p[i]) == ascii_lower((unsigned char)needle[i]))
            i++;
        if (i < n)
            continue;
        bool before_ok = p == text || !is_word_char((unsigned char)p[-1]);
        bool after_ok = !is_word_char((unsigned char)p[n]);
        if (before_ok && after_ok)
            return true;
    }
    return false;
}

static bool ascii_ieq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Set obj[key] to a string when value is not NULL. False only when
 * memory ran out (input strings come from jansson, so they are UTF-8). */
static bool put_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL)
        return true;
    return gw_sdk_json_set_string(obj, key, value) == 0;
}

/* A language tag X gives that says something: not "und" (undetermined),
 * "zxx" or X's private q-codes (qme: media only, qht: hashtags only). */
static const char *useful_lang(const char *lang)
{
    /* 35: the longest tag the gateway stores (the event schema's limit). */
    if (lang == NULL || strcmp(lang, "und") == 0 || strcmp(lang, "zxx") == 0 ||
        (strlen(lang) == 3 && lang[0] == 'q') || strlen(lang) > 35)
        return NULL;
    /* BCP 47 shape, as the event schema has it. */
    size_t n = 0;
    while ((lang[n] >= 'a' && lang[n] <= 'z') || (lang[n] >= 'A' && lang[n] <= 'Z'))
        n++;
    if (n < 2 || n > 8)
        return NULL;
    for (const char *p = lang + n; *p != '\0';) {
        if (*p != '-')
            return NULL;
        size_t k = 1;
        while (is_word_char((unsigned char)p[k]) && p[k] != '_')
            k++;
        if (k < 2 || k > 9)
            return NULL;
        p += k;
    }
    return lang;
}

/* created_at as the gateway writes it (UTC, milliseconds), from Unix ms. */
static bool put_time(json_t *ev, int64_t unix_ms)
{
    char stamp[GW_SDK_RFC3339_SIZE];
    if (gw_sdk_time_format(unix_ms, stamp, sizeof stamp) < 0)
        return true; /* outside 0000-9999: leave it to the host */
    return put_string(ev, "created_at", stamp);
}

static bool put_time_rfc3339(json_t *ev, const char *text)
{
    int64_t ms;
    if (text == NULL || gw_sdk_time_parse(text, &ms) < 0)
        return true; /* unreadable: the host uses the receive time */
    return put_time(ev, ms);
}

/* tags {"keywords": [...], "mentioned": bool} from the text. */
static bool put_tags(json_t *ev, const tw_brand *b, const char *text, bool mentioned)
{
    json_t *keywords = json_array();
    json_t *tags = json_object();
    if (keywords == NULL || tags == NULL)
        goto fail;
    if (text != NULL) {
        if (!mentioned && b->handle != NULL && b->handle[0] != '\0') {
            char at[TW_HANDLE_MAX + 1];
            snprintf(at, sizeof at, "@%s", b->handle);
            mentioned = contains_word(text, at);
        }
        for (size_t i = 0; i < b->term_count; i++) {
            if (contains_word(text, b->terms[i]) &&
                json_array_append_new(keywords, json_string(b->terms[i])) < 0)
                goto fail;
        }
    }
    if (json_object_set_new(tags, "keywords", keywords) < 0) {
        keywords = NULL; /* stolen even on failure */
        goto fail;
    }
    keywords = NULL;
    if (json_object_set_new(tags, "mentioned", json_boolean(mentioned)) < 0)
        goto fail;
    return json_object_set_new(ev, "tags", tags) == 0;
fail:
    json_decref(keywords);
    json_decref(tags);
    return false;
}

/* The author object: id always, the rest when X gave it. */
static json_t *author_new(const char *id, const char *handle, const char *name,
                          const json_t *followers, const json_t *verified)
{
    json_t *a = json_object();
    if (a == NULL || !put_string(a, "id", id) || !put_string(a, "handle", handle) ||
        !put_string(a, "name", name))
        goto fail;
    if (json_is_integer(followers) && json_integer_value(followers) >= 0 &&
        json_object_set(a, "followers", (json_t *)followers) < 0)
        goto fail;
    if (json_is_boolean(verified) && json_object_set(a, "verified", (json_t *)verified) < 0)
        goto fail;
    return a;
fail:
    json_decref(a);
    return NULL;
}

static json_t *event_new(const char *type, const char *visibility, const char *native_id)
{
    return json_pack("{s:s, s:s, s:s}", "type", type, "visibility", visibility, "native_id",
                     native_id);
}

/* Hand one event to emit and count the outcome. */
static void deliver(json_t *ev, tw_emit_fn emit, void *arg, tw_page_stats *stats)
{
    if (ev == NULL) {
        stats->invalid++; /* out of memory while building it */
        return;
    }
    int rc = emit(arg, ev);
    if (rc == GW_ESTATE)
        stats->stopped = true;
    else if (rc < 0)
        stats->invalid++;
    else
        stats->emitted++;
}

static void note_id(tw_page_stats *stats, uint64_t id)
{
    if (id > stats->max_id)
        stats->max_id = id;
}

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
        if ((id != NULL && b->user_id != NULL && strcmp(id, b->user_id) == 0) ||
            (b->handle != NULL && b->handle[0] != '\0' && ascii_ieq(username, b->handle)))
            return true;
    }
    return false;
}

static json_t *v2_author(const char *author_id, const json_t *users)
{
    const json_t *user = users != NULL ? json_object_get(users, author_id) : NULL;
    const json_t *metrics = json_object_get(user, "public_metrics");
    return author_new(author_id, gw_sdk_json_string(user, "username", NULL),
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
    json_t *ev = event_new("mention", "public", id);
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

    char url[URL_MAX];
    if (username != NULL && strlen(username) < TW_HANDLE_MAX &&
        strspn(username, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
            strlen(username) &&
        username[0] != '\0')
        snprintf(url, sizeof url, "https://x.com/%s/status/%s", username, id);
    else
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);

    if (!put_string(ev, "thread_id", conversation) ||
        !put_string(ev, "in_reply_to", v2_replied_to(tweet)) || !put_string(ev, "url", url) ||
        !put_string(ev, "text", text) ||
        !put_string(ev, "lang", useful_lang(gw_sdk_json_string(tweet, "lang", NULL))) ||
        !put_time_rfc3339(ev, gw_sdk_json_string(tweet, "created_at", NULL)) ||
        !put_tags(ev, b, text, from_mentions || v2_mentions_brand(b, tweet)))
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
        stats->items++;
        if (!tw_id_parse(id, &id_value)) {
            stats->invalid++;
            continue;
        }
        note_id(stats, id_value);
        const char *author_id = gw_sdk_json_string(tweet, "author_id", NULL);
        if (author_id != NULL && b->user_id != NULL && strcmp(author_id, b->user_id) == 0) {
            stats->echoes++;
            continue;
        }
        if (v2_is_retweet(tweet)) {
            stats->skipped++;
            continue;
        }
        deliver(v2_tweet_event(b, tweet, id, users, from_mentions), emit, arg, stats);
    }
    json_decref(users);
    return 0;
}

static json_t *v2_dm_event(const tw_brand *b, const json_t *dm, const char *id, const json_t *users)
{
    json_t *ev = event_new("message", "private", id);
    if (ev == NULL)
        return NULL;
    const char *conversation = gw_sdk_json_string(dm, "dm_conversation_id", NULL);
    /* "<id>-<id>" for one-to-one, digits for a group: nothing else. */
    if (conversation != NULL && (conversation[0] == '\0' || strlen(conversation) > 2 * TW_ID_MAX ||
                                 strspn(conversation, "0123456789-") != strlen(conversation)))
        conversation = NULL;
    char url[URL_MAX];
    if (conversation != NULL)
        snprintf(url, sizeof url, "https://x.com/messages/%s", conversation);
    const char *text = gw_sdk_json_string(dm, "text", NULL);
    const char *sender = gw_sdk_json_string(dm, "sender_id", NULL);
    uint64_t ignored;
    if (!tw_id_parse(sender, &ignored))
        sender = NULL;

    if (!put_string(ev, "thread_id", conversation) ||
        !put_string(ev, "url", conversation != NULL ? url : NULL) ||
        !put_string(ev, "text", text) ||
        !put_time_rfc3339(ev, gw_sdk_json_string(dm, "created_at", NULL)) ||
        !put_tags(ev, b, text, false))
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
        stats->items++;
        if (!tw_id_parse(id, &id_value)) {
            stats->invalid++;
            continue;
        }
        note_id(stats, id_value);
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
        if (sender != NULL && b->user_id != NULL && strcmp(sender, b->user_id) == 0) {
            stats->echoes++;
            continue;
        }
        deliver(v2_dm_event(b, dm, id, users), emit, arg, stats);
    }
    json_decref(users);
    return 0;
}

/* ---- v1.1 (webhooks) ------------------------------------------------------- */

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
        if ((id != NULL && b->user_id != NULL && strcmp(id, b->user_id) == 0) ||
            (b->handle != NULL && b->handle[0] != '\0' &&
             ascii_ieq(gw_sdk_json_string(m, "screen_name", NULL), b->handle)))
            return true;
    }
    return false;
}

static json_t *v1_author(const json_t *user, const char *id)
{
    return author_new(id, gw_sdk_json_string(user, "screen_name", NULL),
                      gw_sdk_json_string(user, "name", NULL),
                      json_object_get(user, "followers_count"), json_object_get(user, "verified"));
}

static json_t *v1_tweet_event(const tw_brand *b, const json_t *tweet, const char *id)
{
    json_t *ev = event_new("mention", "public", id);
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

    char url[URL_MAX];
    if (screen_name != NULL && screen_name[0] != '\0' && strlen(screen_name) < TW_HANDLE_MAX &&
        strspn(screen_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
            strlen(screen_name))
        snprintf(url, sizeof url, "https://x.com/%s/status/%s", screen_name, id);
    else
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", id);

    int64_t ms;
    /* v1.1 has no conversation id: a tweet that replies to nothing starts
     * its own conversation; for a reply the root is unknown here. */
    if (!put_string(ev, "thread_id", reply_to == NULL ? id : NULL) ||
        !put_string(ev, "in_reply_to", reply_to) || !put_string(ev, "url", url) ||
        !put_string(ev, "text", text) ||
        !put_string(ev, "lang", useful_lang(gw_sdk_json_string(tweet, "lang", NULL))) ||
        (tw_time_parse_v1(gw_sdk_json_string(tweet, "created_at", NULL), &ms) == 0 &&
         !put_time(ev, ms)) ||
        !put_tags(ev, b, text, v1_mentions_brand(b, tweet)))
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
    json_t *ev = event_new("message", "private", id);
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
    char url[URL_MAX];
    snprintf(url, sizeof url, "https://x.com/messages/%s", thread);

    /* created_timestamp is Unix ms as a string. */
    const char *stamp = gw_sdk_json_string(dm, "created_timestamp", NULL);
    uint64_t ms = 0;
    bool have_time = stamp != NULL && strlen(stamp) <= 15 && tw_id_parse(stamp, &ms);

    if (!put_string(ev, "thread_id", thread[0] != '\0' ? thread : NULL) ||
        !put_string(ev, "url", thread[0] != '\0' ? url : NULL) || !put_string(ev, "text", text) ||
        (have_time && !put_time(ev, (int64_t)ms)) || !put_tags(ev, b, text, false))
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
        stats->items++;
        if (!tw_id_parse(id, &id_value)) {
            stats->invalid++;
            continue;
        }
        note_id(stats, id_value);
        const char *author = gw_sdk_json_string(json_object_get(item, "user"), "id_str", NULL);
        if (author != NULL && b->user_id != NULL && strcmp(author, b->user_id) == 0) {
            stats->echoes++;
            continue;
        }
        if (json_object_get(item, "retweeted_status") != NULL) {
            stats->skipped++;
            continue;
        }
        deliver(v1_tweet_event(b, item, id), emit, arg, stats);
    }
    json_array_foreach(dms, i, item)
    {
        if (stats->stopped)
            break;
        const char *id = gw_sdk_json_string(item, "id", NULL);
        uint64_t id_value;
        stats->items++;
        if (!tw_id_parse(id, &id_value)) {
            stats->invalid++;
            continue;
        }
        note_id(stats, id_value);
        if (strcmp(gw_sdk_json_string(item, "type", ""), "message_create") != 0) {
            stats->skipped++;
            continue;
        }
        const char *sender =
            gw_sdk_json_string(json_object_get(item, "message_create"), "sender_id", NULL);
        if (sender != NULL && b->user_id != NULL && strcmp(sender, b->user_id) == 0) {
            stats->echoes++;
            continue;
        }
        deliver(v1_dm_event(b, item, id, users), emit, arg, stats);
    }
    return 0;
}
