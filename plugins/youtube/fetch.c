/* plugins/youtube/fetch.c - one fetch: the walk over the channel's comment
 * threads, newest first, and the replies threads do not embed.
 *
 * The API has no "since": commentThreads.list with order=time lists the
 * threads by their top-level comment, newest first, and the walk stops at
 * the first thread it already knew (the newest top-level comment of the
 * last finished walk, by id, or anything older). Every comment is emitted
 * and the host drops those it holds (the id is the comment's), so reading
 * a known thread again costs nothing but units. Each pass (published, and
 * with include_held heldForReview) keeps, in the host's key/value store:
 *   <pass>.stop_id / .stop_ms   the newest top-level comment of the last
 *                               finished walk: where the next one stops;
 *   <pass>.next_token           where an unfinished walk resumes;
 *   <pass>.walk_id / .walk_ms   that walk's newest, which becomes the stop
 *                               once the walk ends.
 * As with X, the stop may only move when a walk reached its end, so a walk
 * cut at max_pages loses nothing: the next fetch (at once) resumes it.
 *
 * Replies. A thread embeds a few replies; when totalReplyCount says there
 * are more than embedded and more than this account last read for it
 * (replies.<thread id>), comments.list?parentId= pages through them all.
 *
 * Quota. Before each call the units are checked (quota.c): a fetch never
 * spends the reply reserve. When the day's fetching units are spent the
 * fetch ends, keeping its place, and the next one is due at the reset. The
 * pause after a finished fetch stretches beyond the poll interval when the
 * units left would otherwise run out before midnight Pacific. Google's
 * quotaExceeded (its count and ours disagree) waits for the reset too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

typedef struct pending_thread {
    char id[YT_ID_MAX];
    char video[YT_ID_MAX];
    uint64_t total;
} pending_thread;

struct yt_fetch {
    gw_instance *inst;
    gw_op *op;
    bool superseded;
    int pass; /* 0 published, 1 heldForReview */
    unsigned pages;
    bool more;
    bool resumed;
    bool reached_known;
    char token[YT_TOKEN_MAX];
    char stop_id[YT_ID_MAX];
    uint64_t stop_ms;
    char walk_id[YT_ID_MAX];
    uint64_t walk_ms;
    bool page_has_next;
    char page_next[YT_TOKEN_MAX];
    /* replies still to read after this page */
    pending_thread *queue;
    size_t queue_len, queue_pos;
    unsigned reply_pages;
    char reply_token[YT_TOKEN_MAX];
    uint64_t units; /* spent by this fetch */
    size_t emitted, echoes;
};

static const char *const pass_name[2] = {"published", "held"};

/* ---- key/value ------------------------------------------------------------ */

static void kv_key(char *buf, size_t n, int pass, const char *what)
{
    snprintf(buf, n, "%s.%s", pass_name[pass], what);
}

static void kv_get_text(gw_instance *inst, const char *key, char *buf, size_t n)
{
    if (inst->host->kv_get(inst->acct, key, buf, n) < 0)
        buf[0] = '\0';
}

static void kv_put_text(gw_instance *inst, const char *key, const char *value)
{
    if (inst->host->kv_set(inst->acct, key, value) < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "youtube: cannot store '%s'", key);
}

static uint64_t kv_get_u64(gw_instance *inst, const char *key)
{
    uint64_t v = 0;
    if (gw_sdk_kv_get_u64(inst->host, inst->acct, key, 0, &v) < 0)
        return 0;
    return v;
}

static void kv_put_u64(gw_instance *inst, const char *key, uint64_t v)
{
    if (gw_sdk_kv_set_u64(inst->host, inst->acct, key, v) < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "youtube: cannot store '%s'", key);
}

/* ---- completion ------------------------------------------------------------ */

static void fetch_free(void *ctx)
{
    yt_fetch *f = ctx;
    if (f->inst->fetch == f)
        f->inst->fetch = NULL;
    free(f->queue);
    free(f);
}

static void finish(yt_fetch *f, gw_outcome outcome, uint64_t delay_ms, const char *message)
{
    gw_instance *inst = f->inst;
    gw_op *op = f->op;
    if (f->emitted > 0 || f->echoes > 0)
        inst->host->log(inst->acct, GW_LOG_INFO,
                        "youtube: %zu comment%s emitted; %zu of the channel's own skipped "
                        "(%llu units)",
                        f->emitted, f->emitted == 1 ? "" : "s", f->echoes,
                        (unsigned long long)f->units);
    inst->paced = true;
    if (outcome == GW_OUTCOME_OK) {
        if (f->units > 0 && !f->more)
            inst->quota.last_poll = f->units;
        int64_t now = (int64_t)inst->host->now_ms(inst->acct);
        yt_quota_roll(&inst->quota, now);
        if (!yt_quota_affords(&inst->quota, inst->quota.last_poll, false)) {
            delay_ms = yt_quota_pace_ms(&inst->quota, now) + 1000;
        } else if (f->more) {
            delay_ms = 0;
        } else {
            uint64_t pace = yt_quota_pace_ms(&inst->quota, now);
            if (inst->host_pace_ms == 0 || pace <= inst->host_pace_ms) {
                delay_ms = GW_DELAY_POLL_INTERVAL;
                inst->paced = false;
            } else {
                delay_ms = pace;
                inst->host->log(inst->acct, GW_LOG_INFO,
                                "youtube: pacing polls %llus apart so the quota lasts until "
                                "the reset (%llu of %llu units used, %llu kept for replies)",
                                (unsigned long long)(pace / 1000),
                                (unsigned long long)inst->quota.used,
                                (unsigned long long)inst->quota.limit,
                                (unsigned long long)inst->quota.reserve);
            }
        }
    }
    yt_quota_refresh(inst);
    fetch_free(f);
    inst->host->complete(op, outcome, delay_ms, message, NULL);
}

/* ---- requests ---------------------------------------------------------------- */

static void on_threads(gw_instance *inst, void *ctx, const gw_http_response *resp);
static void on_replies(gw_instance *inst, void *ctx, const gw_http_response *resp);
static void pass_begin(yt_fetch *f);
static void next_step(yt_fetch *f);

/* True when the fetch may spend one more list call; else it ends. */
static bool can_spend(yt_fetch *f)
{
    gw_instance *inst = f->inst;
    yt_quota_roll(&inst->quota, (int64_t)inst->host->now_ms(inst->acct));
    if (yt_quota_affords(&inst->quota, YT_COST_LIST, false))
        return true;
    inst->host->log(inst->acct, GW_LOG_WARN,
                    "youtube: the day's units for polling are spent (%llu of %llu used, %llu kept "
                    "for replies); polling resumes after midnight Pacific time",
                    (unsigned long long)inst->quota.used, (unsigned long long)inst->quota.limit,
                    (unsigned long long)inst->quota.reserve);
    f->more = false;
    finish(f, GW_OUTCOME_OK, 0, NULL);
    return false;
}

static void send(yt_fetch *f, char *url, yt_auth auth, yt_response_fn fn)
{
    if (url == NULL) {
        finish(f, GW_OUTCOME_RETRY, YT_RETRY_DELAY_MS, "youtube: out of memory");
        return;
    }
    int rc = yt_request(f->inst, "GET", url, auth, NULL, YT_COST_LIST, fn, fetch_free, f);
    free(url);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "youtube: cannot send the request: %s", gw_strerror(rc));
        finish(f, rc == GW_EINVAL ? GW_OUTCOME_FATAL : GW_OUTCOME_RETRY, YT_RETRY_DELAY_MS, msg);
        return;
    }
    f->units += YT_COST_LIST;
}

static void send_threads(yt_fetch *f)
{
    if (!can_spend(f))
        return;
    const yt_options *opt = &f->inst->opt;
    char number[8];
    snprintf(number, sizeof number, "%u", opt->max_results);
    yt_url u;
    yt_url_start(&u, opt->base_url, "/commentThreads");
    gw_sdk_buf_url_param(&u, "part", "snippet,replies");
    gw_sdk_buf_url_param(&u, "allThreadsRelatedToChannelId", opt->channel_id);
    gw_sdk_buf_url_param(&u, "order", "time");
    gw_sdk_buf_url_param(&u, "textFormat", "plainText");
    gw_sdk_buf_url_param(&u, "maxResults", number);
    if (f->pass == 1)
        gw_sdk_buf_url_param(&u, "moderationStatus", "heldForReview");
    if (f->token[0] != '\0')
        gw_sdk_buf_url_param(&u, "pageToken", f->token);
    send(f, gw_sdk_buf_take(&u), f->pass == 1 ? YT_AUTH_USER : YT_AUTH_READ, on_threads);
}

static void send_replies(yt_fetch *f)
{
    if (!can_spend(f))
        return;
    const yt_options *opt = &f->inst->opt;
    const pending_thread *t = &f->queue[f->queue_pos];
    char number[8];
    snprintf(number, sizeof number, "%u", opt->max_results);
    yt_url u;
    yt_url_start(&u, opt->base_url, "/comments");
    gw_sdk_buf_url_param(&u, "part", "snippet");
    gw_sdk_buf_url_param(&u, "parentId", t->id);
    gw_sdk_buf_url_param(&u, "textFormat", "plainText");
    gw_sdk_buf_url_param(&u, "maxResults", number);
    if (f->reply_token[0] != '\0')
        gw_sdk_buf_url_param(&u, "pageToken", f->reply_token);
    send(f, gw_sdk_buf_take(&u), f->pass == 1 ? YT_AUTH_USER : YT_AUTH_READ, on_replies);
}

/* ---- the walk -------------------------------------------------------------------- */

static void pass_next(yt_fetch *f)
{
    if (f->pass == 0 && f->inst->opt.include_held) {
        f->pass = 1;
        pass_begin(f);
        return;
    }
    finish(f, GW_OUTCOME_OK, 0, NULL);
}

static void walk_done(yt_fetch *f)
{
    gw_instance *inst = f->inst;
    char key[64];
    if (f->walk_id[0] != '\0') {
        kv_key(key, sizeof key, f->pass, "stop_id");
        kv_put_text(inst, key, f->walk_id);
        kv_key(key, sizeof key, f->pass, "stop_ms");
        kv_put_u64(inst, key, f->walk_ms);
    }
    if (f->resumed) {
        kv_key(key, sizeof key, f->pass, "next_token");
        kv_put_text(inst, key, "");
        kv_key(key, sizeof key, f->pass, "walk_id");
        kv_put_text(inst, key, "");
    }
    pass_next(f);
}

static void walk_continue(yt_fetch *f)
{
    gw_instance *inst = f->inst;
    char key[64];
    gw_sdk_str_copy(f->token, sizeof f->token, f->page_next);
    kv_key(key, sizeof key, f->pass, "next_token");
    kv_put_text(inst, key, f->token);
    kv_key(key, sizeof key, f->pass, "walk_id");
    kv_put_text(inst, key, f->walk_id);
    kv_key(key, sizeof key, f->pass, "walk_ms");
    kv_put_u64(inst, key, f->walk_ms);
    f->resumed = true;
    if (f->pages < inst->opt.max_pages) {
        send_threads(f);
        return;
    }
    f->more = true;
    pass_next(f);
}

/* After a page and its replies: on to the next page, or the walk ends. */
static void next_step(yt_fetch *f)
{
    if (f->queue_pos < f->queue_len) {
        f->reply_pages = 0;
        f->reply_token[0] = '\0';
        send_replies(f);
        return;
    }
    if (f->reached_known || !f->page_has_next)
        walk_done(f);
    else
        walk_continue(f);
}

static void pass_begin(yt_fetch *f)
{
    gw_instance *inst = f->inst;
    char key[64];
    kv_key(key, sizeof key, f->pass, "stop_id");
    kv_get_text(inst, key, f->stop_id, sizeof f->stop_id);
    kv_key(key, sizeof key, f->pass, "stop_ms");
    f->stop_ms = kv_get_u64(inst, key);
    kv_key(key, sizeof key, f->pass, "next_token");
    kv_get_text(inst, key, f->token, sizeof f->token);
    f->resumed = f->token[0] != '\0';
    f->walk_id[0] = '\0';
    f->walk_ms = 0;
    if (f->resumed) {
        kv_key(key, sizeof key, f->pass, "walk_id");
        kv_get_text(inst, key, f->walk_id, sizeof f->walk_id);
        kv_key(key, sizeof key, f->pass, "walk_ms");
        f->walk_ms = kv_get_u64(inst, key);
    }
    f->pages = 0;
    f->reached_known = false;
    send_threads(f);
}

static int emit_event(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    return inst->host->emit(inst->acct, event);
}

/* A refused call: Google's reason decides. */
static void failed(yt_fetch *f, const gw_http_response *resp, const char *what)
{
    gw_instance *inst = f->inst;
    char reason[64], line[400], msg[512];
    yt_error_read(resp, reason, sizeof reason, line, sizeof line);
    snprintf(msg, sizeof msg, "youtube: %s: %s", what, line);
    if (strcmp(reason, "quotaExceeded") == 0 || strcmp(reason, "dailyLimitExceeded") == 0) {
        uint64_t wait = yt_quota_spent(inst);
        char at[GW_SDK_RFC3339_SIZE];
        gw_sdk_time_format(inst->quota.reset_ms, at, sizeof at);
        snprintf(msg, sizeof msg,
                 "youtube: %s: Google says the day's quota is spent (quotaExceeded); waiting "
                 "until the reset at %s",
                 what, at);
        finish(f, GW_OUTCOME_RETRY, wait, msg);
        return;
    }
    if (resp->status == 400 && strcmp(reason, "invalidPageToken") == 0 && f->token[0] != '\0') {
        char key[64];
        kv_key(key, sizeof key, f->pass, "next_token");
        kv_put_text(inst, key, "");
        inst->host->log(inst->acct, GW_LOG_WARN, "%s; dropping the stored page token", msg);
        finish(f, GW_OUTCOME_RETRY, 0, msg);
        return;
    }
    bool transient = resp->suggested == GW_OUTCOME_RETRY || strcmp(reason, "processingFailure") == 0 ||
                     strcmp(reason, "rateLimitExceeded") == 0 ||
                     strcmp(reason, "userRateLimitExceeded") == 0 || resp->status == 0;
    if (transient)
        finish(f, GW_OUTCOME_RETRY,
               resp->retry_after_ms > 0 ? resp->retry_after_ms : YT_RETRY_DELAY_MS, msg);
    else
        finish(f, GW_OUTCOME_FATAL, 0, msg);
}

/* The JSON object of a 200, or NULL after finishing the fetch. */
static json_t *body_or_finish(yt_fetch *f, const gw_http_response *resp, const char *what)
{
    if (resp->status != 200) {
        failed(f, resp, what);
        return NULL;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "items"))) {
        char msg[200];
        snprintf(msg, sizeof msg, "youtube: %s: Google answered 200 with a body that is not a "
                                  "list (%zu bytes)",
                 what, resp->body_len);
        json_decref(doc);
        finish(f, GW_OUTCOME_RETRY, YT_RETRY_DELAY_MS, msg);
        return NULL;
    }
    return doc;
}

/* A superseded fetch's answer is dropped; true when that happened. */
static bool dropped(yt_fetch *f)
{
    if (!f->superseded)
        return false;
    gw_op *op = f->op;
    gw_instance *inst = f->inst;
    free(f->queue);
    free(f);
    inst->host->complete(op, GW_OUTCOME_RETRY, 0, "youtube: superseded by a newer fetch", NULL);
    return true;
}

static bool queue_push(yt_fetch *f, const yt_thread_info *info)
{
    pending_thread *q = realloc(f->queue, (f->queue_len + 1) * sizeof *q);
    if (q == NULL)
        return false;
    f->queue = q;
    pending_thread *t = &q[f->queue_len++];
    gw_sdk_str_copy(t->id, sizeof t->id, info->id);
    gw_sdk_str_copy(t->video, sizeof t->video, info->video_id != NULL ? info->video_id : "");
    t->total = info->total_replies;
    return true;
}

static void on_threads(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    yt_fetch *f = ctx;
    (void)inst;
    if (dropped(f))
        return;
    json_t *doc = body_or_finish(f, resp, "reading comment threads");
    if (doc == NULL)
        return;
    f->pages++;
    f->queue_len = f->queue_pos = 0;
    yt_stats st = {0};
    const char *held = f->pass == 1 ? "heldForReview" : NULL;
    size_t i;
    const json_t *thread;
    json_array_foreach(json_object_get(doc, "items"), i, thread)
    {
        yt_thread_info info;
        if (yt_thread(&f->inst->brand, thread, held, emit_event, f->inst, &info, &st) < 0)
            continue;
        if (st.stopped)
            break;
        uint64_t ms = info.published_ms > 0 ? (uint64_t)info.published_ms : 0;
        /* The walk's newest top-level comment: the next walk's stop. */
        if (f->walk_id[0] == '\0' || ms > f->walk_ms) {
            f->walk_ms = ms;
            gw_sdk_str_copy(f->walk_id, sizeof f->walk_id, info.id);
        }
        if ((f->stop_id[0] != '\0' && strcmp(info.id, f->stop_id) == 0) ||
            (f->stop_ms > 0 && ms > 0 && ms < f->stop_ms))
            f->reached_known = true;
        if (info.total_replies > info.embedded) {
            char key[YT_ID_MAX + 16];
            snprintf(key, sizeof key, "replies.%s", info.id);
            if (kv_get_u64(f->inst, key) < info.total_replies && !queue_push(f, &info))
                st.invalid++;
        }
    }
    f->emitted += st.emitted;
    f->echoes += st.echoes;
    if (st.invalid > 0)
        f->inst->host->log(f->inst->acct, GW_LOG_WARN,
                           "youtube: %zu comment%s without a usable id or refused", st.invalid,
                           st.invalid == 1 ? "" : "s");
    const char *next = gw_sdk_json_string(doc, "nextPageToken", NULL);
    f->page_has_next = next != NULL && next[0] != '\0';
    if (f->page_has_next && strlen(next) >= sizeof f->page_next) {
        json_decref(doc);
        finish(f, GW_OUTCOME_FATAL, 0, "youtube: Google sent a page token longer than expected");
        return;
    }
    gw_sdk_str_copy(f->page_next, sizeof f->page_next, f->page_has_next ? next : "");
    json_decref(doc);
    if (st.stopped) {
        finish(f, GW_OUTCOME_OK, 0, NULL);
        return;
    }
    next_step(f);
}

static void on_replies(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    yt_fetch *f = ctx;
    (void)inst;
    if (dropped(f))
        return;
    json_t *doc = body_or_finish(f, resp, "reading replies");
    if (doc == NULL)
        return;
    pending_thread *t = &f->queue[f->queue_pos];
    yt_stats st = {0};
    const char *held = f->pass == 1 ? "heldForReview" : NULL;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(doc, "items"), i, c)
    {
        if (yt_reply(&f->inst->brand, c, t->id, t->video[0] ? t->video : NULL, held, emit_event,
                     f->inst, &st) == GW_ESTATE)
            break;
    }
    f->emitted += st.emitted;
    f->echoes += st.echoes;
    f->reply_pages++;
    const char *next = gw_sdk_json_string(doc, "nextPageToken", NULL);
    bool more = next != NULL && next[0] != '\0' && strlen(next) < sizeof f->reply_token;
    if (more)
        gw_sdk_str_copy(f->reply_token, sizeof f->reply_token, next);
    json_decref(doc);
    if (st.stopped) {
        finish(f, GW_OUTCOME_OK, 0, NULL);
        return;
    }
    if (more && f->reply_pages < f->inst->opt.max_reply_pages) {
        send_replies(f);
        return;
    }
    if (!more) {
        /* Every reply read: the count is what the thread said. */
        char key[YT_ID_MAX + 16];
        snprintf(key, sizeof key, "replies.%s", t->id);
        kv_put_u64(f->inst, key, t->total);
    }
    f->queue_pos++;
    next_step(f);
}

void yt_fetch_start(gw_instance *inst, gw_op *op)
{
    uint64_t now = inst->host->monotonic_ms(inst->acct);
    /* The host's own interval, measured while it ran us at it. */
    if (inst->last_fetch_mono != 0 && !inst->paced)
        inst->host_pace_ms = now - inst->last_fetch_mono;
    inst->last_fetch_mono = now;
    if (inst->fetch != NULL) {
        inst->fetch->superseded = true;
        inst->fetch = NULL;
        inst->host->log(inst->acct, GW_LOG_WARN,
                        "youtube: the previous fetch is still waiting for Google; it is "
                        "superseded");
    }
    yt_fetch *f = calloc(1, sizeof *f);
    if (f == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, YT_RETRY_DELAY_MS, "youtube: out of memory",
                             NULL);
        return;
    }
    f->inst = inst;
    f->op = op;
    inst->fetch = f;
    yt_quota_refresh(inst);
    pass_begin(f);
}

void yt_fetch_forget(gw_instance *inst)
{
    inst->fetch = NULL;
}
