/* plugins/facebook/fetch.c - one fetch: a state machine over the host's
 * asynchronous HTTP requests, walking four streams in turn:
 *
 *   feed      GET /{page}/feed            newest first, since=<s>; visitor
 *                                         posts are delivered, and the ids
 *                                         of the newest posts (the Page's
 *                                         own too) become the watch list
 *   comments  GET /{post}/comments        for each watched post, with
 *                                         filter=stream (replies too, with
 *                                         parent), oldest first, since=<s>
 *   tagged    GET /{page}/tagged          newest first, since=<s>
 *   messages  GET /{page}/conversations   platform=messenger, most recently
 *                                         updated first; stops at the
 *                                         newest message already read
 *
 * Cursors live in the host's key/value store, committed with the events
 * emitted in the same tick, so a crash replays at most a page (the host
 * drops repeated ids). Per walk: "<w>.since" (ms of the newest item of a
 * finished walk), "<w>.after" (paging.cursors.after where an unfinished
 * walk resumes) and "<w>.walk" (the newest item of that walk). Since
 * moves only when a walk ends, so a walk cut short at max_pages loses
 * nothing: the backlog continues at the next fetch, which the host runs
 * at once (complete OK with delay 0). Graph's since is inclusive, so the
 * newest item is read again and dropped by id.
 *
 * The host abandons a fetch that outlives its timeout and may start a new
 * one with the old request in flight; the old fetch is then marked
 * superseded and its answer dropped unread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

typedef enum fb_stream { FB_FEED, FB_COMMENTS, FB_TAGGED, FB_MESSAGES, FB_STREAMS } fb_stream;

static const char *const stream_names[FB_STREAMS] = {"feed", "comments", "tagged", "messages"};

#define KV_WATCH "feed.watch"
#define WATCH_TEXT_MAX (FB_WATCH_MAX * FB_ID_MAX)
#define POST_FIELDS "id,message,created_time,from,permalink_url"
#define COMMENT_FIELDS "id,message,created_time,from,parent,permalink_url,attachment"
#define CONV_FIELDS "id,updated_time,messages.limit(20){id,message,from,created_time}"

struct fb_fetch {
    gw_instance *inst;
    gw_op *op;
    bool superseded;
    fb_stream stream;
    unsigned pages;
    bool more;
    /* the current walk */
    char prefix[FB_ID_MAX + 8]; /* kv key prefix: "feed", "c.<post>" ... */
    int64_t since_ms, walk_ms;
    char after[FB_CURSOR_MAX];
    /* the watch list: newest posts of the feed */
    char watch[FB_WATCH_MAX][FB_ID_MAX];
    size_t watch_n, post_i;
    char seen[FB_WATCH_MAX][FB_ID_MAX]; /* post ids this feed walk found */
    size_t seen_n;
    size_t emitted[FB_STREAMS], echoes;
};

/* ---- key/value ----------------------------------------------------------- */

static void key_of(const fb_fetch *f, const char *suffix, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s.%s", f->prefix, suffix);
}

static void kv_text(fb_fetch *f, const char *suffix, char *buf, size_t buflen)
{
    char key[128];
    key_of(f, suffix, key, sizeof key);
    if (f->inst->host->kv_get(f->inst->acct, key, buf, buflen) < 0)
        buf[0] = '\0';
}

static void kv_put(fb_fetch *f, const char *suffix, const char *value)
{
    char key[128];
    key_of(f, suffix, key, sizeof key);
    int rc = f->inst->host->kv_set(f->inst->acct, key, value);
    if (rc < 0)
        f->inst->host->log(f->inst->acct, GW_LOG_ERROR, "facebook: cannot store '%s': %s", key,
                           gw_strerror(rc));
}

static int64_t kv_ms(fb_fetch *f, const char *suffix)
{
    char key[128];
    uint64_t v = 0;
    key_of(f, suffix, key, sizeof key);
    if (gw_sdk_kv_get_u64(f->inst->host, f->inst->acct, key, 0, &v) < 0 || v > INT64_MAX)
        return 0;
    return (int64_t)v;
}

static void kv_put_ms(fb_fetch *f, const char *suffix, int64_t ms)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)(ms > 0 ? ms : 0));
    kv_put(f, suffix, text);
}

/* ---- the walk ------------------------------------------------------------- */

static bool stream_enabled(const fb_options *opt, fb_stream s)
{
    switch (s) {
    case FB_FEED:
        return opt->fetch_visitor_posts || opt->fetch_comments;
    case FB_COMMENTS:
        return opt->fetch_comments;
    case FB_TAGGED:
        return opt->fetch_tagged;
    case FB_MESSAGES:
        return opt->fetch_messages;
    default:
        return false;
    }
}

static void fetch_free(void *ctx)
{
    fb_fetch *f = ctx;
    if (f->inst->fetch == f)
        f->inst->fetch = NULL;
    free(f);
}

static void finish(fb_fetch *f, gw_outcome outcome, uint64_t delay_ms, const char *message)
{
    gw_instance *inst = f->inst;
    gw_op *op = f->op;
    size_t total = 0;
    for (int s = 0; s < FB_STREAMS; s++)
        total += f->emitted[s];
    if (total > 0 || f->echoes > 0)
        inst->host->log(inst->acct, GW_LOG_INFO,
                        "facebook: %zu item%s emitted (visitor posts %zu, comments %zu, tagged "
                        "%zu, messages %zu); %zu of the Page's own skipped",
                        total, total == 1 ? "" : "s", f->emitted[FB_FEED], f->emitted[FB_COMMENTS],
                        f->emitted[FB_TAGGED], f->emitted[FB_MESSAGES], f->echoes);
    if (outcome == GW_OUTCOME_OK)
        delay_ms = f->more ? 0 : GW_DELAY_POLL_INTERVAL;
    fetch_free(f);
    inst->host->complete(op, outcome, delay_ms, message, NULL);
}

static void walk_begin(fb_fetch *f);

static void load_watch(fb_fetch *f)
{
    char *text = malloc(WATCH_TEXT_MAX);
    f->watch_n = 0;
    if (text == NULL)
        return;
    if (f->inst->host->kv_get(f->inst->acct, KV_WATCH, text, WATCH_TEXT_MAX) < 0)
        text[0] = '\0';
    for (char *save = NULL, *tok = strtok_r(text, " ", &save);
         tok != NULL && f->watch_n < f->inst->opt.watch_posts; tok = strtok_r(NULL, " ", &save))
        gw_sdk_str_copy(f->watch[f->watch_n++], FB_ID_MAX, tok);
    free(text);
}

/* The feed walk found posts: they go first, the older watched ones after. */
static void store_watch(fb_fetch *f)
{
    if (f->seen_n == 0)
        return;
    load_watch(f);
    char *text = calloc(1, WATCH_TEXT_MAX);
    if (text == NULL)
        return;
    size_t n = 0, len = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t count = pass == 0 ? f->seen_n : f->watch_n;
        for (size_t i = 0; i < count && n < f->inst->opt.watch_posts; i++) {
            const char *id = pass == 0 ? f->seen[i] : f->watch[i];
            bool dup = false;
            for (size_t k = 0; k < f->seen_n && pass == 1; k++)
                dup = dup || strcmp(f->seen[k], id) == 0;
            if (dup || len + strlen(id) + 2 > WATCH_TEXT_MAX)
                continue;
            len += (size_t)snprintf(text + len, WATCH_TEXT_MAX - len, "%s%s", n ? " " : "", id);
            n++;
        }
    }
    int rc = f->inst->host->kv_set(f->inst->acct, KV_WATCH, text);
    if (rc < 0)
        f->inst->host->log(f->inst->acct, GW_LOG_ERROR, "facebook: cannot store the watch list");
    free(text);
    f->seen_n = 0;
}

static void next_unit(fb_fetch *f)
{
    if (f->stream == FB_FEED)
        store_watch(f);
    if (f->stream == FB_COMMENTS && f->post_i + 1 < f->watch_n) {
        f->post_i++;
        walk_begin(f);
        return;
    }
    for (int s = (int)f->stream + 1; s < FB_STREAMS; s++) {
        if (!stream_enabled(&f->inst->opt, (fb_stream)s))
            continue;
        f->stream = (fb_stream)s;
        if (f->stream == FB_COMMENTS) {
            load_watch(f);
            f->post_i = 0;
            if (f->watch_n == 0)
                continue;
        }
        walk_begin(f);
        return;
    }
    finish(f, GW_OUTCOME_OK, 0, NULL);
}

static char *page_url(fb_fetch *f)
{
    const fb_options *opt = &f->inst->opt;
    char path[FB_ID_MAX + 32], number[16], since[24];
    snprintf(number, sizeof number, "%u", opt->limit);
    snprintf(since, sizeof since, "%lld", (long long)(f->since_ms / 1000));
    fb_url u;
    switch (f->stream) {
    case FB_COMMENTS:
        snprintf(path, sizeof path, "/%s/comments", f->watch[f->post_i]);
        fb_url_start(&u, opt, path);
        gw_sdk_buf_url_param(&u, "filter", "stream");
        gw_sdk_buf_url_param(&u, "order", "chronological");
        gw_sdk_buf_url_param(&u, "fields", COMMENT_FIELDS);
        break;
    case FB_MESSAGES:
        snprintf(path, sizeof path, "/%s/conversations", opt->page_id);
        fb_url_start(&u, opt, path);
        gw_sdk_buf_url_param(&u, "platform", "messenger");
        gw_sdk_buf_url_param(&u, "fields", CONV_FIELDS);
        break;
    default:
        snprintf(path, sizeof path, "/%s/%s", opt->page_id,
                 f->stream == FB_FEED ? "feed" : "tagged");
        fb_url_start(&u, opt, path);
        gw_sdk_buf_url_param(&u, "fields", POST_FIELDS);
        break;
    }
    gw_sdk_buf_url_param(&u, "limit", number);
    if (f->since_ms > 0 && f->stream != FB_MESSAGES)
        gw_sdk_buf_url_param(&u, "since", since);
    if (f->after[0] != '\0')
        gw_sdk_buf_url_param(&u, "after", f->after);
    return fb_url_take(&u, opt);
}

static void on_page(gw_instance *inst, void *ctx, const gw_http_response *resp);

static void send_page(fb_fetch *f)
{
    char *url = page_url(f);
    if (url == NULL) {
        finish(f, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, "facebook: out of memory");
        return;
    }
    int rc = fb_request(f->inst, "GET", url, NULL, NULL, on_page, fetch_free, f);
    memset(url, 0, strlen(url));
    free(url);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "facebook: cannot send the %s request: %s",
                 stream_names[f->stream], gw_strerror(rc));
        finish(f, rc == GW_ENOMEM || rc == GW_EBUSY ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL,
               FB_RETRY_DELAY_MS, msg);
    }
}

static void walk_begin(fb_fetch *f)
{
    if (f->stream == FB_COMMENTS)
        snprintf(f->prefix, sizeof f->prefix, "c.%s", f->watch[f->post_i]);
    else
        snprintf(f->prefix, sizeof f->prefix, "%s", stream_names[f->stream]);
    f->since_ms = kv_ms(f, "since");
    kv_text(f, "after", f->after, sizeof f->after);
    f->walk_ms = f->after[0] != '\0' ? kv_ms(f, "walk") : 0;
    f->pages = 0;
    send_page(f);
}

static void walk_done(fb_fetch *f)
{
    if (f->walk_ms > f->since_ms)
        kv_put_ms(f, "since", f->walk_ms);
    if (f->after[0] != '\0') {
        kv_put(f, "after", "");
        kv_put_ms(f, "walk", 0);
    }
    next_unit(f);
}

static void walk_continue(fb_fetch *f, const char *after)
{
    gw_sdk_str_copy(f->after, sizeof f->after, after);
    kv_put(f, "after", f->after);
    kv_put_ms(f, "walk", f->walk_ms);
    if (f->pages < f->inst->opt.max_pages) {
        send_page(f);
        return;
    }
    f->more = true;
    next_unit(f);
}

static int emit_event(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    fb_note_inbound(inst, event); /* before emit() takes the event */
    return inst->host->emit(inst->acct, event);
}

/* The feed is read for its post ids even when visitor posts are off. */
static int emit_nothing(void *arg, json_t *event)
{
    (void)arg;
    json_decref(event);
    return 0;
}

static void note_posts(fb_fetch *f, const json_t *doc)
{
    size_t i;
    const json_t *post;
    json_array_foreach(json_object_get(doc, "data"), i, post)
    {
        const char *id = gw_sdk_json_string(post, "id", NULL);
        if (id != NULL && strlen(id) < FB_ID_MAX && strspn(id, "0123456789_") == strlen(id) &&
            f->seen_n < f->inst->opt.watch_posts)
            gw_sdk_str_copy(f->seen[f->seen_n++], FB_ID_MAX, id);
    }
}

static void page_failed(fb_fetch *f, const gw_http_response *resp)
{
    fb_error e;
    fb_error_read(resp, &e);
    char msg[480];
    snprintf(msg, sizeof msg, "facebook: %s: %s", stream_names[f->stream], e.text);
    if (e.credentials)
        fb_credentials_failed(f->inst, "Facebook refused the Page access token (error 190)");
    /* An expired cursor (error 100 on a resumed walk): start the walk over. */
    if (e.code == 100 && f->after[0] != '\0') {
        kv_put(f, "after", "");
        kv_put_ms(f, "walk", 0);
        finish(f, GW_OUTCOME_RETRY, 0, msg);
        return;
    }
    finish(f, e.outcome == GW_OUTCOME_OK ? GW_OUTCOME_FATAL : e.outcome, e.retry_after_ms, msg);
}

static void on_page(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    fb_fetch *f = ctx;
    (void)inst;
    if (f->superseded) {
        gw_op *op = f->op;
        gw_instance *owner = f->inst;
        free(f);
        owner->host->complete(op, GW_OUTCOME_RETRY, 0, "facebook: superseded by a newer fetch",
                              NULL);
        return;
    }
    if (resp->status != 200) {
        page_failed(f, resp);
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "data"))) {
        json_decref(doc);
        char msg[160];
        snprintf(msg, sizeof msg, "facebook: %s: Graph answered 200 without a data list",
                 stream_names[f->stream]);
        finish(f, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, msg);
        return;
    }
    const fb_brand *b = &f->inst->brand;
    fb_stats st;
    switch (f->stream) {
    case FB_FEED:
        note_posts(f, doc);
        fb_page_posts(b, doc, false, 0,
                      f->inst->opt.fetch_visitor_posts ? emit_event : emit_nothing, f->inst, &st);
        if (!f->inst->opt.fetch_visitor_posts)
            st.emitted = 0;
        break;
    case FB_TAGGED:
        fb_page_posts(b, doc, true, 0, emit_event, f->inst, &st);
        break;
    case FB_COMMENTS:
        fb_page_comments(b, doc, f->watch[f->post_i], emit_event, f->inst, &st);
        break;
    default:
        fb_page_conversations(b, doc, f->since_ms, emit_event, f->inst, &st);
        break;
    }
    f->pages++;
    f->emitted[f->stream] += st.emitted;
    f->echoes += st.echoes;
    if (st.newest_ms > f->walk_ms)
        f->walk_ms = st.newest_ms;
    const json_t *paging = json_object_get(doc, "paging");
    const char *after = gw_sdk_json_string(json_object_get(paging, "cursors"), "after", NULL);
    bool has_next = json_is_string(json_object_get(paging, "next"));
    if (st.stopped) {
        json_decref(doc);
        finish(f, GW_OUTCOME_OK, 0, NULL);
        return;
    }
    if (has_next && after != NULL && strlen(after) >= FB_CURSOR_MAX) {
        json_decref(doc);
        finish(f, GW_OUTCOME_FATAL, 0, "facebook: Graph sent a paging cursor too long to keep");
        return;
    }
    if (!has_next || after == NULL || after[0] == '\0' || st.reached_known || st.items == 0)
        walk_done(f);
    else
        walk_continue(f, after);
    json_decref(doc);
}

void fb_fetch_start(gw_instance *inst, gw_op *op)
{
    if (inst->fetch != NULL) {
        inst->fetch->superseded = true;
        inst->fetch = NULL;
        inst->host->log(inst->acct, GW_LOG_WARN,
                        "facebook: the previous fetch is still waiting for Graph; superseded");
    }
    fb_fetch *f = calloc(1, sizeof *f);
    if (f == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, "facebook: out of memory",
                             NULL);
        return;
    }
    f->inst = inst;
    f->op = op;
    inst->fetch = f;
    f->stream = FB_FEED;
    if (stream_enabled(&inst->opt, FB_FEED)) {
        walk_begin(f);
        return;
    }
    next_unit(f);
}

void fb_fetch_forget(gw_instance *inst)
{
    inst->fetch = NULL;
}
