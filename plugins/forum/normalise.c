/* plugins/forum/normalise.c - one Discourse post -> one gateway.event/1 item.
 *
 * Every source of posts (posts.json, a topic view, a single post, a
 * webhook) goes through forum_normalise_post, so an item looks the same
 * whichever way it arrived and the host's dedupe on "forum:<post id>"
 * collapses the copies. The mapping:
 *   native_id    the post id (post ids are global to a forum);
 *   thread_id    the topic id;
 *   type         message in a private-message topic; else mention when the
 *                post @-mentions the brand user (or a notification said
 *                so); else comment;
 *   visibility   private for messages, else public;
 *   in_reply_to  the post id of reply_to_post_number, or of the topic's
 *                first post when a reply names no post, when that id is
 *                known (ctx->lookup); absent otherwise;
 *   url          <base>/t/<slug or "-">/<topic_id>/<post_number>;
 *   author       id = user_id (stable across renames), handle = username,
 *                name = display name;
 *   text         raw (the Markdown the author wrote) or else cooked HTML
 *                turned into text, cut to FORUM_TEXT_MAX bytes;
 *   created_at   created_at, rewritten as RFC 3339 UTC with milliseconds;
 *   raw          {post_number, topic_id, topic_title, category_id,
 *                 reply_to_post_number, archetype}: what post_public needs
 *                to answer (post_number) and what the event lacks.
 * Pure: no host calls, no allocation that outlives the call except the
 * returned event; the fuzz target drives it with arbitrary JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

static void say(char *why, size_t whylen, const char *reason)
{
    gw_sdk_str_copy(why, whylen, reason);
}

static bool is_private(const forum_context *ctx, const json_t *post)
{
    if (ctx->archetype == FORUM_ARCHETYPE_PRIVATE)
        return true;
    if (ctx->archetype == FORUM_ARCHETYPE_REGULAR)
        return false;
    /* Webhook payloads say it; when they do not, a post is public. */
    const char *archetype = gw_sdk_json_string(post, "topic_archetype", NULL);
    return archetype != NULL && strcmp(archetype, "private_message") == 0;
}

/* The post's text, cleaned: raw first, cooked otherwise. NULL when the
 * post has neither; *oom set when memory ran out. Caller frees. */
static char *post_text(const json_t *post, bool *oom)
{
    const json_t *raw = json_object_get(post, "raw");
    const json_t *cooked = json_object_get(post, "cooked");
    char *text = NULL;
    if (json_is_string(raw))
        text = forum_text_clean(json_string_value(raw), json_string_length(raw), FORUM_TEXT_MAX);
    else if (json_is_string(cooked))
        text = forum_cooked_to_text(json_string_value(cooked), json_string_length(cooked),
                                    FORUM_TEXT_MAX);
    else
        return NULL;
    *oom = text == NULL;
    return text;
}

/* <base>/t/<slug>/<topic>[/<number>]; false when it would not fit. A
 * topic without a known slug gets "-", which Discourse accepts, so the
 * shape never varies and forum_event_post_number can read it back. */
static bool post_url(const forum_context *ctx, const char *slug, int64_t topic_id,
                     int64_t post_number, char *buf, size_t buflen)
{
    char encoded[512];
    if (slug == NULL || slug[0] == '\0' || !forum_url_segment(slug, encoded, sizeof encoded))
        snprintf(encoded, sizeof encoded, "-");
    int n = snprintf(buf, buflen, "%s/t/%s/%lld", ctx->base, encoded, (long long)topic_id);
    if (n < 0 || (size_t)n >= buflen)
        return false;
    if (post_number > 0) {
        int m = snprintf(buf + n, buflen - (size_t)n, "/%lld", (long long)post_number);
        if (m < 0 || (size_t)m >= buflen - (size_t)n)
            return false;
    }
    return true;
}

static int set_id(json_t *obj, const char *key, int64_t id)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)id);
    return json_object_set_new(obj, key, json_string(s));
}

static json_t *author_of(const json_t *post, const char *username)
{
    json_t *author = json_object();
    if (author == NULL)
        return NULL;
    int64_t user_id;
    int rc = forum_json_id(post, "user_id", &user_id)
                 ? set_id(author, "id", user_id)
                 : gw_sdk_json_set_string(author, "id", username);
    rc |= gw_sdk_json_set_string(author, "handle", username);
    const char *name = gw_sdk_json_string(post, "name", NULL);
    if (name != NULL && name[0] != '\0')
        rc |= gw_sdk_json_set_string(author, "name", name);
    if (rc != 0) {
        json_decref(author);
        return NULL;
    }
    return author;
}

/* The raw member: the parts of the post the event has no place for. */
static json_t *raw_of(const json_t *post, int64_t topic_id, int64_t post_number, int64_t reply_to,
                      bool private_message, const char *title)
{
    json_t *raw = json_object();
    if (raw == NULL)
        return NULL;
    int64_t category;
    int rc = json_object_set_new(raw, "topic_id", json_integer(topic_id));
    if (post_number > 0)
        rc |= json_object_set_new(raw, "post_number", json_integer(post_number));
    if (reply_to > 0)
        rc |= json_object_set_new(raw, "reply_to_post_number", json_integer(reply_to));
    if (forum_json_id(post, "category_id", &category))
        rc |= json_object_set_new(raw, "category_id", json_integer(category));
    if (title != NULL)
        rc |= gw_sdk_json_set_string(raw, "topic_title", title);
    rc |= gw_sdk_json_set_string(raw, "archetype", private_message ? "private_message" : "regular");
    if (rc != 0) {
        json_decref(raw);
        return NULL;
    }
    return raw;
}

forum_verdict forum_normalise_post(const forum_context *ctx, const json_t *post, json_t **event,
                                   char *why, size_t whylen)
{
    *event = NULL;
    int64_t id, topic_id;
    if (!json_is_object(post) || !forum_json_id(post, "id", &id)) {
        say(why, whylen, "a post without a numeric \"id\"");
        return FORUM_INVALID;
    }
    if (!forum_json_id(post, "topic_id", &topic_id)) {
        say(why, whylen, "a post without a numeric \"topic_id\"");
        return FORUM_INVALID;
    }
    const char *username = gw_sdk_json_string(post, "username", NULL);
    if (username == NULL || username[0] == '\0') {
        say(why, whylen, "a post without a \"username\"");
        return FORUM_INVALID;
    }
    if (forum_username_equal(username, ctx->brand)) {
        say(why, whylen, "the brand's own post");
        return FORUM_ECHO;
    }
    /* 1 is a regular post; 2-4 are moderator actions, small actions
     * ("closed the topic") and staff whispers: nothing a customer wrote. */
    const json_t *post_type = json_object_get(post, "post_type");
    if (json_is_integer(post_type) && json_integer_value(post_type) != 1) {
        say(why, whylen, "not a regular post (post_type != 1)");
        return FORUM_IGNORED;
    }
    if (json_is_string(json_object_get(post, "deleted_at")) ||
        json_is_true(json_object_get(post, "user_deleted"))) {
        say(why, whylen, "a deleted post");
        return FORUM_IGNORED;
    }

    bool oom = false;
    char *text = post_text(post, &oom);
    json_t *ev = oom ? NULL : json_object();
    if (ev == NULL) {
        free(text);
        say(why, whylen, "out of memory");
        return FORUM_INVALID;
    }

    const bool private_message = is_private(ctx, post);
    const char *type = "comment";
    if (private_message)
        type = "message";
    else if (ctx->mentioned || forum_text_mentions(text, ctx->brand))
        type = "mention";

    int64_t post_number = 0, reply_to = 0, answered = 0;
    forum_json_id(post, "post_number", &post_number);
    forum_json_id(post, "reply_to_post_number", &reply_to);
    if (ctx->lookup != NULL) {
        /* A reply that names no post answers the topic: its first post. */
        if (reply_to > 0)
            answered = ctx->lookup(ctx->lookup_arg, topic_id, reply_to);
        else if (post_number > 1)
            answered = ctx->lookup(ctx->lookup_arg, topic_id, 1);
        if (answered == id)
            answered = 0;
    }

    const char *slug = gw_sdk_json_string(post, "topic_slug", ctx->topic_slug);
    const char *title = gw_sdk_json_string(post, "topic_title", ctx->topic_title);
    char url[2048];
    int rc = gw_sdk_json_set_string(ev, "type", type);
    rc |= gw_sdk_json_set_string(ev, "visibility", private_message ? "private" : "public");
    rc |= set_id(ev, "native_id", id);
    rc |= set_id(ev, "thread_id", topic_id);
    if (answered > 0)
        rc |= set_id(ev, "in_reply_to", answered);
    if (ctx->base != NULL && post_url(ctx, slug, topic_id, post_number, url, sizeof url))
        rc |= gw_sdk_json_set_string(ev, "url", url);
    rc |= json_object_set_new(ev, "author", author_of(post, username));
    if (text != NULL)
        rc |= gw_sdk_json_set_string(ev, "text", text);
    int64_t created_ms;
    const char *created = gw_sdk_json_string(post, "created_at", NULL);
    if (created != NULL && gw_sdk_time_parse(created, &created_ms) == 0) {
        char stamp[GW_SDK_RFC3339_SIZE];
        if (gw_sdk_time_format(created_ms, stamp, sizeof stamp) > 0)
            rc |= gw_sdk_json_set_string(ev, "created_at", stamp);
    }
    rc |= json_object_set_new(
        ev, "raw", raw_of(post, topic_id, post_number, reply_to, private_message, title));
    free(text);
    /* json_object_set_new fails on a NULL value (and frees nothing), so a
     * failed author_of or raw_of lands here too. */
    if (rc != 0) {
        json_decref(ev);
        say(why, whylen, "out of memory");
        return FORUM_INVALID;
    }
    *event = ev;
    return FORUM_EVENT;
}

int64_t forum_event_post_number(const json_t *event)
{
    int64_t n;
    if (forum_json_id(json_object_get(event, "raw"), "post_number", &n))
        return n;
    const char *url = gw_sdk_json_string(event, "url", NULL);
    if (url == NULL)
        return 0;
    /* Read from the end: .../t/<slug>/<topic digits>/<number digits>. */
    const char *end = url + strlen(url);
    const char *cut[3]; /* the slashes before number, topic and slug */
    const char *p = end;
    for (int k = 0; k < 3; k++) {
        while (p > url && p[-1] != '/')
            p--;
        if (p == url)
            return 0;
        cut[k] = --p;
    }
    if (cut[2] - url < 2 || memcmp(cut[2] - 2, "/t", 2) != 0)
        return 0;
    int topic_digits = 0;
    n = 0;
    for (const char *q = cut[1] + 1; q < cut[0]; q++)
        if (*q < '0' || *q > '9' || ++topic_digits > 20)
            return 0;
    if (topic_digits == 0 || cut[0] + 1 == end)
        return 0;
    for (const char *q = cut[0] + 1; q < end; q++) {
        if (*q < '0' || *q > '9' || n > INT64_C(900719925474099))
            return 0;
        n = n * 10 + (*q - '0');
    }
    return n;
}
