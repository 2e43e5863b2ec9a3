/* plugins/youtube/normalise.c - YouTube's comment JSON -> gateway.event/1.
 *
 * A CommentThread carries its top-level comment and up to a few replies;
 * comments.list?parentId= gives the rest. Each comment becomes one
 * "comment" item (public): native_id the comment id, thread_id the
 * top-level comment's id (YouTube has one level of replies, and a reply is
 * posted under that id), in_reply_to the top-level comment for a reply,
 * the author's channel, the original text, the publishing time, a link
 * that opens the comment under its video, and "context" naming the video
 * (its id, kind "video", link; with include_held the moderation status).
 *
 * The brand's own comments (our replies coming back, or the channel
 * commenting on its own video) are counted as echoes, not delivered.
 *
 * Pure functions of the JSON and the brand: the fuzz target and unit
 * tests drive them without a host. Every member may be absent or of
 * another type; a comment without a usable id is counted and skipped.
 */
#include <stdio.h>
#include <string.h>

#include "youtube.h"

#define URL_MAX 512

bool yt_id_ok(const char *id)
{
    if (id == NULL)
        return false;
    size_t n = strlen(id);
    return n > 0 && n < YT_ID_MAX &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static bool put_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL)
        return true;
    return gw_sdk_json_set_string(obj, key, value) == 0;
}

static bool put_time(json_t *ev, const char *text, int64_t *ms_out)
{
    int64_t ms;
    char stamp[GW_SDK_RFC3339_SIZE];
    if (text == NULL || gw_sdk_time_parse(text, &ms) < 0 ||
        gw_sdk_time_format(ms, stamp, sizeof stamp) < 0)
        return true; /* unreadable: the host uses the receive time */
    if (ms_out != NULL)
        *ms_out = ms;
    return put_string(ev, "created_at", stamp);
}

static json_t *author_new(const json_t *snip)
{
    const char *id = gw_sdk_json_string(json_object_get(snip, "authorChannelId"), "value", NULL);
    if (!yt_id_ok(id))
        return NULL;
    const char *name = gw_sdk_json_string(snip, "authorDisplayName", NULL);
    json_t *a = json_object();
    if (a == NULL || !put_string(a, "id", id) || !put_string(a, "name", name) ||
        (name != NULL && name[0] == '@' && name[1] != '\0' && !put_string(a, "handle", name + 1))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *context_new(const char *video_id, const char *held)
{
    json_t *c = json_object();
    if (c == NULL)
        return NULL;
    char url[URL_MAX];
    snprintf(url, sizeof url, "https://www.youtube.com/watch?v=%s", video_id);
    if (!put_string(c, "kind", "video") || !put_string(c, "id", video_id) ||
        !put_string(c, "url", url) || !put_string(c, "moderation_status", held)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* One comment -> one event, emitted. thread_id NULL: it is the top. */
static int emit_comment(const yt_brand *b, const json_t *comment, const char *thread_id,
                        const char *video_id, const char *held, yt_emit_fn emit, void *arg,
                        yt_stats *stats, int64_t *published_ms)
{
    const char *id = gw_sdk_json_string(comment, "id", NULL);
    const json_t *snip = json_object_get(comment, "snippet");
    if (!yt_id_ok(id) || !json_is_object(snip)) {
        stats->invalid++;
        return GW_EINVAL;
    }
    if (published_ms != NULL)
        *published_ms = 0;
    const char *author_id =
        gw_sdk_json_string(json_object_get(snip, "authorChannelId"), "value", NULL);
    if (author_id != NULL && b->channel_id != NULL && strcmp(author_id, b->channel_id) == 0) {
        stats->echoes++;
        int64_t ms;
        const char *t = gw_sdk_json_string(snip, "publishedAt", NULL);
        if (published_ms != NULL && t != NULL && gw_sdk_time_parse(t, &ms) == 0)
            *published_ms = ms;
        return 0;
    }
    const char *text = gw_sdk_json_string(snip, "textOriginal", NULL);
    if (text == NULL)
        text = gw_sdk_json_string(snip, "textDisplay", "");
    if (!yt_id_ok(video_id))
        video_id = NULL;
    json_t *ev = json_object();
    bool ok = ev != NULL && put_string(ev, "type", "comment") &&
              put_string(ev, "visibility", "public") && put_string(ev, "native_id", id) &&
              put_string(ev, "thread_id", thread_id != NULL ? thread_id : id) &&
              put_string(ev, "in_reply_to", thread_id) && put_string(ev, "text", text) &&
              put_time(ev, gw_sdk_json_string(snip, "publishedAt", NULL), published_ms);
    if (ok && video_id != NULL) {
        char url[URL_MAX];
        snprintf(url, sizeof url, "https://www.youtube.com/watch?v=%s&lc=%s", video_id, id);
        json_t *ctx = context_new(video_id, held);
        ok = put_string(ev, "url", url) && ctx != NULL && json_object_set_new(ev, "context", ctx) == 0;
    }
    json_t *author = ok ? author_new(snip) : NULL;
    if (author != NULL)
        ok = json_object_set_new(ev, "author", author) == 0;
    if (ok && b->include_raw)
        ok = json_object_set(ev, "raw", (json_t *)comment) == 0;
    if (!ok) {
        json_decref(ev);
        stats->invalid++;
        return GW_ENOMEM;
    }
    int rc = emit(arg, ev);
    if (rc == GW_ESTATE) {
        stats->stopped = true;
        return rc;
    }
    if (rc < 0) {
        stats->invalid++;
        return rc;
    }
    stats->emitted++;
    return 0;
}

int yt_thread(const yt_brand *b, const json_t *thread, const char *held, yt_emit_fn emit,
              void *arg, yt_thread_info *info, yt_stats *stats)
{
    memset(info, 0, sizeof *info);
    const json_t *snip = json_object_get(thread, "snippet");
    const json_t *top = json_object_get(snip, "topLevelComment");
    const char *id = gw_sdk_json_string(thread, "id", NULL);
    const char *top_id = gw_sdk_json_string(top, "id", NULL);
    /* The thread's id is its top-level comment's. */
    if (!yt_id_ok(id) || !json_is_object(snip) || top_id == NULL || strcmp(id, top_id) != 0) {
        stats->invalid++;
        return GW_EINVAL;
    }
    info->id = id;
    info->video_id = gw_sdk_json_string(snip, "videoId", NULL);
    if (!yt_id_ok(info->video_id))
        info->video_id = gw_sdk_json_string(json_object_get(top, "snippet"), "videoId", NULL);
    if (!yt_id_ok(info->video_id))
        info->video_id = NULL;
    json_int_t total = gw_sdk_json_int(snip, "totalReplyCount", 0);
    info->total_replies = total > 0 ? (uint64_t)total : 0;
    int rc = emit_comment(b, top, NULL, info->video_id, held, emit, arg, stats,
                          &info->published_ms);
    if (rc == GW_ESTATE)
        return 0;
    const json_t *replies = json_object_get(json_object_get(thread, "replies"), "comments");
    size_t i;
    const json_t *c;
    json_array_foreach(replies, i, c)
    {
        info->embedded++;
        if (yt_reply(b, c, id, info->video_id, held, emit, arg, stats) == GW_ESTATE)
            break;
    }
    return 0;
}

int yt_reply(const yt_brand *b, const json_t *comment, const char *thread_id,
             const char *video_id, const char *held, yt_emit_fn emit, void *arg,
             yt_stats *stats)
{
    if (!yt_id_ok(thread_id)) {
        stats->invalid++;
        return GW_EINVAL;
    }
    /* A reply names its parent: one that belongs elsewhere is not ours. */
    const char *parent = gw_sdk_json_string(json_object_get(comment, "snippet"), "parentId", NULL);
    if (parent != NULL && strcmp(parent, thread_id) != 0) {
        stats->invalid++;
        return GW_EINVAL;
    }
    return emit_comment(b, comment, thread_id, video_id, held, emit, arg, stats, NULL);
}
