/* plugins/facebook/normalise.c - Graph JSON and Page webhook payloads ->
 * gateway.event/1.
 *
 * Items: a post a visitor writes on the Page or that tags the Page is a
 * "mention" (thread: the post); a comment or reply is a "comment" (thread:
 * the post, in_reply_to: the parent comment or the post); a Messenger
 * message is a "message" (thread: the customer's page-scoped id, PSID,
 * which polling and webhooks both know, author: that PSID). The Page's
 * own posts, comments and messages (our replies coming back) are echoes
 * and never delivered.
 *
 * Webhook feed changes with verb "edited" or "remove" are not new customer
 * items: they become item.edited / item.removed gateway events whose
 * detail.item_id names the original item.
 *
 * Pure functions of the JSON: the fuzz target drives them without a host.
 * Every member may be absent or of another type; an item without a usable
 * id is counted and skipped.
 */
#include <stdio.h>
#include <string.h>

#include "facebook.h"

int fb_time_parse(const char *text, int64_t *unix_ms)
{
    if (text == NULL)
        return GW_EPARSE;
    size_t n = strlen(text);
    /* Graph writes "+0000"; RFC 3339 wants "+00:00". */
    if (n == 24 && (text[19] == '+' || text[19] == '-') &&
        strspn(text + 20, "0123456789") == 4) {
        char fixed[32];
        snprintf(fixed, sizeof fixed, "%.22s:%.2s", text, text + 22);
        return gw_sdk_time_parse(fixed, unix_ms);
    }
    return gw_sdk_time_parse(text, unix_ms);
}

static bool good_id(const char *id)
{
    if (id == NULL || id[0] == '\0' || strlen(id) >= FB_ID_MAX)
        return false;
    for (const char *p = id; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    }
    return true;
}

static bool put_string(json_t *obj, const char *key, const char *value)
{
    return value == NULL || gw_sdk_json_set_string(obj, key, value) == 0;
}

static bool put_time_ms(json_t *ev, int64_t ms)
{
    char stamp[GW_SDK_RFC3339_SIZE];
    if (ms <= 0 || gw_sdk_time_format(ms, stamp, sizeof stamp) < 0)
        return true; /* the host uses the receive time */
    return put_string(ev, "created_at", stamp);
}

/* created_time as Graph text or webhook Unix seconds; 0 when unreadable. */
static int64_t item_time(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    int64_t ms = 0;
    if (json_is_string(v) && fb_time_parse(json_string_value(v), &ms) == 0)
        return ms;
    if (json_is_integer(v) && json_integer_value(v) > 0 &&
        json_integer_value(v) < (json_int_t)253402300799)
        return (int64_t)json_integer_value(v) * 1000;
    return 0;
}

static bool put_url(json_t *ev, const char *url)
{
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
        strlen(url) > 2048 || strpbrk(url, " \t\r\n") != NULL)
        return true;
    return put_string(ev, "url", url);
}

/* author {id, name} from a Graph "from"; NULL id: no author. */
static bool put_author(json_t *ev, const json_t *from)
{
    const char *id = gw_sdk_json_string(from, "id", NULL);
    if (!good_id(id))
        return true;
    json_t *a = json_object();
    if (a == NULL || !put_string(a, "id", id) ||
        !put_string(a, "name", gw_sdk_json_string(from, "name", NULL))) {
        json_decref(a);
        return false;
    }
    return json_object_set_new(ev, "author", a) == 0;
}

static void deliver(json_t *ev, fb_emit_fn emit, void *arg, fb_stats *st)
{
    if (ev == NULL) {
        st->invalid++;
        return;
    }
    int rc = emit(arg, ev);
    if (rc == GW_ESTATE)
        st->stopped = true;
    else if (rc < 0)
        st->invalid++;
    else
        st->emitted++;
}

static void note_time(fb_stats *st, int64_t ms)
{
    if (ms > st->newest_ms)
        st->newest_ms = ms;
}

static bool is_page(const fb_brand *b, const json_t *from)
{
    const char *id = gw_sdk_json_string(from, "id", NULL);
    return id != NULL && b->page_id != NULL && strcmp(id, b->page_id) == 0;
}

/* The members every item shares. Returns the event or NULL (memory). */
static json_t *item_new(const fb_brand *b, const char *type, const char *visibility,
                        const char *id, const char *thread, const char *in_reply_to,
                        const char *text, const json_t *from, int64_t ms, const json_t *raw)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", type, "visibility", visibility,
                           "native_id", id);
    if (ev == NULL || !put_string(ev, "thread_id", thread) ||
        !put_string(ev, "in_reply_to", in_reply_to) || !put_string(ev, "text", text) ||
        !put_time_ms(ev, ms) || !put_author(ev, from) ||
        (b->include_raw && raw != NULL && json_object_set(ev, "raw", (json_t *)raw) < 0)) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

static json_t *mention_new(const fb_brand *b, const json_t *post, const char *id, int64_t ms)
{
    json_t *ev = item_new(b, "mention", "public", id, id, NULL,
                          gw_sdk_json_string(post, "message", NULL), json_object_get(post, "from"),
                          ms, post);
    json_t *tags = json_pack("{s:[], s:b}", "keywords", "mentioned", 1);
    if (ev == NULL || tags == NULL || json_object_set_new(ev, "tags", tags) < 0 ||
        !put_url(ev, gw_sdk_json_string(post, "permalink_url", NULL))) {
        if (tags != NULL && json_object_get(ev, "tags") != tags)
            json_decref(tags);
        json_decref(ev);
        return NULL;
    }
    return ev;
}

int fb_page_posts(const fb_brand *b, const json_t *doc, bool tagged, int64_t after_ms,
                  fb_emit_fn emit, void *arg, fb_stats *st)
{
    (void)tagged; /* both are posts addressed to the brand */
    memset(st, 0, sizeof *st);
    if (!json_is_object(doc))
        return GW_EINVAL;
    const json_t *data = json_object_get(doc, "data");
    /* Graph lists newest first; the log reads better oldest first. */
    for (size_t i = json_array_size(data); i-- > 0 && !st->stopped;) {
        const json_t *post = json_array_get(data, i);
        const char *id = gw_sdk_json_string(post, "id", NULL);
        st->items++;
        if (!good_id(id)) {
            st->invalid++;
            continue;
        }
        int64_t ms = item_time(post, "created_time");
        note_time(st, ms);
        if (is_page(b, json_object_get(post, "from"))) {
            st->echoes++;
            continue;
        }
        if (after_ms > 0 && ms > 0 && ms < after_ms) {
            st->skipped++;
            continue;
        }
        deliver(mention_new(b, post, id, ms), emit, arg, st);
    }
    return 0;
}

static json_t *comment_new(const fb_brand *b, const json_t *c, const char *id, const char *post,
                           const char *parent, int64_t ms)
{
    json_t *ev = item_new(b, "comment", "public", id, post, parent != NULL ? parent : post,
                          gw_sdk_json_string(c, "message", NULL), json_object_get(c, "from"), ms,
                          c);
    if (ev != NULL && !put_url(ev, gw_sdk_json_string(c, "permalink_url", NULL))) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

int fb_page_comments(const fb_brand *b, const json_t *doc, const char *post_id, fb_emit_fn emit,
                     void *arg, fb_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!json_is_object(doc) || !good_id(post_id))
        return GW_EINVAL;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(doc, "data"), i, c)
    {
        if (st->stopped)
            break;
        const char *id = gw_sdk_json_string(c, "id", NULL);
        st->items++;
        if (!good_id(id)) {
            st->invalid++;
            continue;
        }
        int64_t ms = item_time(c, "created_time");
        note_time(st, ms);
        if (is_page(b, json_object_get(c, "from"))) {
            st->echoes++;
            continue;
        }
        const char *parent = gw_sdk_json_string(json_object_get(c, "parent"), "id", NULL);
        deliver(comment_new(b, c, id, post_id, good_id(parent) ? parent : NULL, ms), emit, arg,
                st);
    }
    return 0;
}

int fb_page_conversations(const fb_brand *b, const json_t *doc, int64_t after_ms,
                          fb_emit_fn emit, void *arg, fb_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!json_is_object(doc))
        return GW_EINVAL;
    size_t i;
    const json_t *conv;
    json_array_foreach(json_object_get(doc, "data"), i, conv)
    {
        int64_t updated = item_time(conv, "updated_time");
        if (after_ms > 0 && updated > 0 && updated <= after_ms) {
            st->reached_known = true; /* most recently updated first */
            break;
        }
        const json_t *msgs = json_object_get(json_object_get(conv, "messages"), "data");
        /* Newest first: walk backwards so the log reads in order. */
        for (size_t k = json_array_size(msgs); k-- > 0 && !st->stopped;) {
            const json_t *m = json_array_get(msgs, k);
            const char *id = gw_sdk_json_string(m, "id", NULL);
            st->items++;
            if (!good_id(id)) {
                st->invalid++;
                continue;
            }
            int64_t ms = item_time(m, "created_time");
            note_time(st, ms);
            const json_t *from = json_object_get(m, "from");
            if (is_page(b, from)) {
                st->echoes++;
                continue;
            }
            if (after_ms > 0 && ms > 0 && ms <= after_ms) {
                st->skipped++;
                continue;
            }
            const char *psid = gw_sdk_json_string(from, "id", NULL);
            deliver(item_new(b, "message", "private", id, good_id(psid) ? psid : NULL, NULL,
                             gw_sdk_json_string(m, "message", NULL), from, ms, m),
                    emit, arg, st);
        }
        if (st->stopped)
            break;
    }
    return 0;
}

/* ---- webhooks ------------------------------------------------------------ */

/* item.edited / item.removed for a feed change on item `id`. */
static json_t *change_event(const fb_brand *b, const json_t *v, const char *id, bool removed,
                            int64_t ms)
{
    char native[FB_ID_MAX + 40];
    snprintf(native, sizeof native, "%s#%s@%lld", id, removed ? "removed" : "edited",
             (long long)(ms / 1000));
    const char *post = gw_sdk_json_string(v, "post_id", NULL);
    json_t *ev = item_new(b, removed ? "item.removed" : "item.edited", "public", native,
                          good_id(post) ? post : NULL, NULL,
                          removed ? NULL : gw_sdk_json_string(v, "message", NULL),
                          json_object_get(v, "from"), ms, v);
    json_t *detail = json_pack("{s:s, s:s}", "item_id", id, "item",
                               gw_sdk_json_string(v, "item", "post"));
    if (ev == NULL || detail == NULL || json_object_set_new(ev, "detail", detail) < 0) {
        if (detail != NULL && json_object_get(ev, "detail") != detail)
            json_decref(detail);
        json_decref(ev);
        return NULL;
    }
    return ev;
}

static void feed_change(const fb_brand *b, const json_t *v, int64_t entry_ms, fb_emit_fn emit,
                        void *arg, fb_stats *st)
{
    const char *item = gw_sdk_json_string(v, "item", "");
    const char *verb = gw_sdk_json_string(v, "verb", "");
    bool comment = strcmp(item, "comment") == 0;
    bool post = strcmp(item, "post") == 0 || strcmp(item, "status") == 0 ||
                strcmp(item, "photo") == 0 || strcmp(item, "video") == 0 ||
                strcmp(item, "share") == 0;
    st->items++;
    if (!comment && !post) {
        st->skipped++; /* reactions, likes, ratings... */
        return;
    }
    const char *id = gw_sdk_json_string(v, comment ? "comment_id" : "post_id", NULL);
    if (!good_id(id)) {
        st->invalid++;
        return;
    }
    int64_t ms = item_time(v, "created_time");
    if (ms == 0)
        ms = entry_ms;
    note_time(st, ms);
    bool removed = strcmp(verb, "remove") == 0;
    if (removed || strcmp(verb, "edited") == 0) {
        deliver(change_event(b, v, id, removed, ms), emit, arg, st);
        return;
    }
    if (strcmp(verb, "add") != 0) {
        st->skipped++; /* hide, unhide, block... */
        return;
    }
    if (is_page(b, json_object_get(v, "from"))) {
        st->echoes++;
        return;
    }
    if (comment) {
        const char *post_id = gw_sdk_json_string(v, "post_id", NULL);
        const char *parent = gw_sdk_json_string(v, "parent_id", NULL);
        if (!good_id(post_id)) {
            st->invalid++;
            return;
        }
        deliver(comment_new(b, v, id, post_id, good_id(parent) ? parent : NULL, ms), emit, arg,
                st);
    } else {
        deliver(mention_new(b, v, id, ms), emit, arg, st);
    }
}

static void messaging_item(const fb_brand *b, const json_t *m, fb_emit_fn emit, void *arg,
                           fb_stats *st)
{
    const json_t *message = json_object_get(m, "message");
    const json_t *sender = json_object_get(m, "sender");
    st->items++;
    if (!json_is_object(message)) {
        st->skipped++; /* deliveries, reads, postbacks */
        return;
    }
    const char *mid = gw_sdk_json_string(message, "mid", NULL);
    if (!good_id(mid)) {
        st->invalid++;
        return;
    }
    json_int_t ts = gw_sdk_json_int(m, "timestamp", 0);
    int64_t ms = ts > 0 && ts < (json_int_t)253402300799000 ? (int64_t)ts : 0;
    note_time(st, ms);
    if (gw_sdk_json_bool(message, "is_echo", 0) || is_page(b, sender)) {
        st->echoes++;
        return;
    }
    const char *psid = gw_sdk_json_string(sender, "id", NULL);
    deliver(item_new(b, "message", "private", mid, good_id(psid) ? psid : NULL, NULL,
                     gw_sdk_json_string(message, "text", NULL), sender, ms, m),
            emit, arg, st);
}

int fb_webhook_payload(const fb_brand *b, const json_t *doc, fb_emit_fn emit, void *arg,
                       fb_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!json_is_object(doc))
        return GW_EINVAL;
    if (strcmp(gw_sdk_json_string(doc, "object", ""), "page") != 0)
        return 0; /* another object's subscription: nothing for a Page */
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(doc, "entry"), i, entry)
    {
        const char *page = gw_sdk_json_string(entry, "id", NULL);
        if (page != NULL && b->page_id != NULL && strcmp(page, b->page_id) != 0) {
            st->skipped++; /* another Page of the same app */
            continue;
        }
        json_int_t t = gw_sdk_json_int(entry, "time", 0);
        int64_t entry_ms = t > 0 && t < (json_int_t)253402300799 ? (int64_t)t * 1000 : 0;
        size_t k;
        const json_t *item;
        json_array_foreach(json_object_get(entry, "changes"), k, item)
        {
            if (st->stopped)
                return 0;
            if (strcmp(gw_sdk_json_string(item, "field", ""), "feed") != 0) {
                st->items++;
                st->skipped++;
                continue;
            }
            feed_change(b, json_object_get(item, "value"), entry_ms, emit, arg, st);
        }
        json_array_foreach(json_object_get(entry, "messaging"), k, item)
        {
            if (st->stopped)
                return 0;
            messaging_item(b, item, emit, arg, st);
        }
    }
    return 0;
}
