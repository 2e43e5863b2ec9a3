/* plugins/twitter/fetch.c - one fetch: a small state machine over the
 * host's asynchronous HTTP requests.
 *
 * A fetch walks up to three streams in turn, one page at a time:
 *   mentions  GET /2/users/{id}/mentions       cursor: since_id
 *   search    GET /2/tweets/search/recent      cursor: since_id
 *   dms       GET /2/dm_events                 no since_id: stop at the
 *                                              newest event id already seen
 * emitting each page's items as it arrives and completing the op once,
 * after the last stream (or at the first failure).
 *
 * Cursors live in the host's key/value store, which commits them with the
 * events emitted in the same loop tick, so a crash never skips items and
 * replays at most one page (the host drops the duplicates by id). Per
 * stream:
 *   <stream>.since_id (dms: dms.newest_id)  newest id of a finished walk;
 *   <stream>.next_token                     where an unfinished walk
 *                                           resumes ("" = none);
 *   <stream>.walk_newest                    newest id of that walk, which
 *                                           becomes since_id when it ends.
 * X lists newest first, so since_id may only move once a walk has reached
 * its end (the oldest page): moving it after the first page would skip
 * the older pages if the walk were cut short. A walk longer than
 * max_pages continues at the next fetch, which the host runs at once
 * (complete OK with delay 0).
 *
 * The host abandons a fetch that outlives fetch_timeout and starts a new
 * one while the old request may still be in flight (the ABI cannot cancel
 * it). The old fetch is then marked superseded: its answer is dropped
 * unread, so two walks never race over the same cursors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

typedef enum tw_stream { TW_MENTIONS = 0, TW_SEARCH = 1, TW_DMS = 2, TW_STREAMS = 3 } tw_stream;

typedef struct stream_info {
    const char *name;
    const char *rate_class; /* X's window for the stream's endpoint */
    const char *key_since;
    const char *key_token;
    const char *key_walk;
} stream_info;

static const stream_info streams[TW_STREAMS] = {
    {"mentions", TW_CLASS_MENTIONS, "mentions.since_id", "mentions.next_token", "mentions.walk_newest"},
    {"search", TW_CLASS_SEARCH, "search.since_id", "search.next_token", "search.walk_newest"},
    {"dms", TW_CLASS_DM_READ, "dms.newest_id", "dms.next_token", "dms.walk_newest"},
};
#define KV_SEARCH_QUERY "search.query"

#define TWEET_FIELDS                                                                               \
    "author_id,conversation_id,created_at,entities,in_reply_to_user_id,lang,note_tweet,"           \
    "referenced_tweets"
#define USER_FIELDS "name,public_metrics,username,verified"
#define DM_FIELDS "created_at,dm_conversation_id,event_type,id,sender_id,text"

struct tw_fetch {
    gw_instance *inst; /* borrowed */
    gw_op *op;         /* borrowed until complete() */
    bool superseded;   /* a newer fetch took over; drop our answer */
    tw_stream stream;
    unsigned pages; /* pages of the current stream read by this fetch */
    bool more;      /* a stream stopped at max_pages with more to read */
    /* The current stream's walk, loaded when the stream begins. */
    uint64_t since;
    uint64_t walk_newest;
    char token[TW_TOKEN_MAX];
    bool resumed; /* the walk began from a stored token */
    size_t emitted[TW_STREAMS];
    size_t echoes;
};

/* ---- key/value helpers ------------------------------------------------ */

static uint64_t kv_get_id(tw_fetch *f, const char *key)
{
    gw_instance *inst = f->inst;
    uint64_t value = 0;
    int rc = gw_sdk_kv_get_u64(inst->host, inst->acct, key, 0, &value);
    if (rc < 0) {
        /* Start over rather than stall: the host drops what repeats. */
        inst->host->log(inst->acct, GW_LOG_WARN, "twitter: stored '%s' unreadable (%s); reset", key,
                        gw_strerror(rc));
        return 0;
    }
    return value;
}

static void kv_put_id(tw_fetch *f, const char *key, uint64_t value)
{
    gw_instance *inst = f->inst;
    int rc = gw_sdk_kv_set_u64(inst->host, inst->acct, key, value);
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "twitter: cannot store '%s': %s", key,
                        gw_strerror(rc));
}

static void kv_get_text(tw_fetch *f, const char *key, char *buf, size_t buflen)
{
    gw_instance *inst = f->inst;
    int rc = inst->host->kv_get(inst->acct, key, buf, buflen);
    if (rc < 0)
        buf[0] = '\0';
}

static void kv_put_text(tw_fetch *f, const char *key, const char *value)
{
    gw_instance *inst = f->inst;
    int rc = inst->host->kv_set(inst->acct, key, value);
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "twitter: cannot store '%s': %s", key,
                        gw_strerror(rc));
}

/* ---- the walk ------------------------------------------------------------ */

static void stream_begin(tw_fetch *f);

static bool stream_enabled(const gw_instance *inst, tw_stream s)
{
    const tw_options *opt = &inst->opt;
    switch (s) {
    case TW_MENTIONS:
        return opt->fetch_mentions;
    case TW_SEARCH:
        return opt->fetch_search && opt->search_query != NULL;
    case TW_DMS:
        return opt->fetch_dms;
    default:
        return false;
    }
}

static void fetch_free(void *ctx)
{
    tw_fetch *f = ctx;
    if (f->inst->fetch == f)
        f->inst->fetch = NULL;
    free(f);
}

/* Complete the op and free the fetch. complete() is the last thing done
 * with the instance: the host may destroy it once no op is outstanding. */
static void finish(tw_fetch *f, gw_outcome outcome, uint64_t delay_ms, const char *message)
{
    gw_instance *inst = f->inst;
    gw_op *op = f->op;
    size_t total = f->emitted[TW_MENTIONS] + f->emitted[TW_SEARCH] + f->emitted[TW_DMS];
    if (total > 0 || f->echoes > 0)
        inst->host->log(inst->acct, GW_LOG_INFO,
                        "twitter: %zu item%s emitted (mentions %zu, search %zu, dms %zu); %zu "
                        "of the brand's own skipped",
                        total, total == 1 ? "" : "s", f->emitted[TW_MENTIONS],
                        f->emitted[TW_SEARCH], f->emitted[TW_DMS], f->echoes);
    if (outcome == GW_OUTCOME_OK)
        delay_ms = f->more ? 0 : GW_DELAY_POLL_INTERVAL;
    fetch_free(f);
    inst->host->complete(op, outcome, delay_ms, message, NULL);
}

static void next_stream(tw_fetch *f)
{
    for (int s = (int)f->stream + 1; s < TW_STREAMS; s++) {
        if (stream_enabled(f->inst, (tw_stream)s)) {
            f->stream = (tw_stream)s;
            stream_begin(f);
            return;
        }
    }
    finish(f, GW_OUTCOME_OK, 0, NULL);
}

static char *page_url(tw_fetch *f)
{
    const tw_options *opt = &f->inst->opt;
    char number[24], since[24];
    snprintf(number, sizeof number, "%u", opt->max_results);
    snprintf(since, sizeof since, "%llu", (unsigned long long)f->since);
    tw_url u;
    switch (f->stream) {
    case TW_MENTIONS: {
        char path[64];
        snprintf(path, sizeof path, "/2/users/%s/mentions", opt->user_id);
        tw_url_start(&u, opt->base_url, path);
        gw_sdk_buf_url_param(&u, "max_results", number);
        if (f->since != 0)
            gw_sdk_buf_url_param(&u, "since_id", since);
        if (f->token[0] != '\0')
            gw_sdk_buf_url_param(&u, "pagination_token", f->token);
        break;
    }
    case TW_SEARCH:
        tw_url_start(&u, opt->base_url, "/2/tweets/search/recent");
        gw_sdk_buf_url_param(&u, "query", opt->search_query);
        gw_sdk_buf_url_param(&u, "max_results", number);
        if (f->since != 0)
            gw_sdk_buf_url_param(&u, "since_id", since);
        if (f->token[0] != '\0')
            gw_sdk_buf_url_param(&u, "next_token", f->token);
        break;
    case TW_DMS:
    default:
        tw_url_start(&u, opt->base_url, "/2/dm_events");
        gw_sdk_buf_url_param(&u, "event_types", "MessageCreate");
        gw_sdk_buf_url_param(&u, "dm_event.fields", DM_FIELDS);
        gw_sdk_buf_url_param(&u, "expansions", "sender_id");
        gw_sdk_buf_url_param(&u, "user.fields", USER_FIELDS);
        gw_sdk_buf_url_param(&u, "max_results", number);
        if (f->token[0] != '\0')
            gw_sdk_buf_url_param(&u, "pagination_token", f->token);
        return gw_sdk_buf_take(&u);
    }
    gw_sdk_buf_url_param(&u, "tweet.fields", TWEET_FIELDS);
    gw_sdk_buf_url_param(&u, "expansions", "author_id");
    gw_sdk_buf_url_param(&u, "user.fields", USER_FIELDS);
    return gw_sdk_buf_take(&u);
}

static void on_page(gw_instance *inst, void *ctx, const gw_http_response *resp);

static void send_page(tw_fetch *f)
{
    char *url = page_url(f);
    if (url == NULL) {
        finish(f, GW_OUTCOME_RETRY, TW_RETRY_DELAY_MS, "twitter: out of memory");
        return;
    }
    /* DMs are only readable in user context. */
    tw_auth auth = f->stream == TW_DMS ? TW_AUTH_USER : TW_AUTH_APP;
    int rc = tw_request(f->inst, "GET", url, auth, streams[f->stream].rate_class, NULL, on_page,
                        fetch_free, f);
    free(url);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "twitter: cannot send the %s request: %s",
                 streams[f->stream].name, gw_strerror(rc));
        finish(f, rc == GW_ENOMEM || rc == GW_EBUSY ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL,
               TW_RETRY_DELAY_MS, msg);
    }
}

static void stream_begin(tw_fetch *f)
{
    const stream_info *si = &streams[f->stream];
    gw_instance *inst = f->inst;
    if (f->stream == TW_SEARCH) {
        /* Cursors belong to the query they were read with. */
        char stored[TW_QUERY_MAX + 1];
        kv_get_text(f, KV_SEARCH_QUERY, stored, sizeof stored);
        if (strcmp(stored, inst->opt.search_query) != 0) {
            if (stored[0] != '\0')
                inst->host->log(inst->acct, GW_LOG_INFO,
                                "twitter: search_terms changed; keyword search starts afresh");
            kv_put_id(f, si->key_since, 0);
            kv_put_text(f, si->key_token, "");
            kv_put_id(f, si->key_walk, 0);
            kv_put_text(f, KV_SEARCH_QUERY, inst->opt.search_query);
        }
    }
    f->since = kv_get_id(f, si->key_since);
    kv_get_text(f, si->key_token, f->token, sizeof f->token);
    f->resumed = f->token[0] != '\0';
    f->walk_newest = f->resumed ? kv_get_id(f, si->key_walk) : 0;
    f->pages = 0;
    send_page(f);
}

/* The walk reached its end: its newest id becomes the cursor. */
static void walk_done(tw_fetch *f)
{
    const stream_info *si = &streams[f->stream];
    if (f->walk_newest > f->since) {
        f->since = f->walk_newest;
        kv_put_id(f, si->key_since, f->since);
    }
    if (f->resumed) {
        kv_put_text(f, si->key_token, "");
        kv_put_id(f, si->key_walk, 0);
    }
    next_stream(f);
}

/* More pages follow: remember where, then read on or stop for now. */
static void walk_continue(tw_fetch *f, const char *next_token)
{
    const stream_info *si = &streams[f->stream];
    gw_sdk_str_copy(f->token, sizeof f->token, next_token);
    kv_put_text(f, si->key_token, f->token);
    kv_put_id(f, si->key_walk, f->walk_newest);
    f->resumed = true;
    if (f->pages < f->inst->opt.max_pages) {
        send_page(f);
        return;
    }
    f->more = true;
    next_stream(f);
}

static int emit_event(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    return inst->host->emit(inst->acct, event);
}

/* A failed page: decide the op's outcome. */
static void page_failed(tw_fetch *f, const gw_http_response *resp)
{
    const stream_info *si = &streams[f->stream];
    gw_instance *inst = f->inst;
    char why[320], msg[400];
    tw_error_text(resp, why, sizeof why);
    snprintf(msg, sizeof msg, "twitter: %s: %s", si->name, why);

    /* 400 names a bad parameter. Ours are fixed, except what we stored:
     * an expired pagination token, or a since_id X no longer accepts
     * (recent search covers 7 days). Drop one of them and retry; when
     * neither is left the request itself is wrong. */
    if (resp->status == 400 && (f->resumed || f->since != 0)) {
        if (f->resumed) {
            kv_put_text(f, si->key_token, "");
            kv_put_id(f, si->key_walk, 0);
        } else {
            kv_put_id(f, si->key_since, 0);
        }
        inst->host->log(inst->acct, GW_LOG_WARN, "%s; dropping the stored %s and retrying", msg,
                        f->resumed ? "pagination token" : "since_id");
        finish(f, GW_OUTCOME_RETRY, 0, msg);
        return;
    }
    switch (resp->suggested) {
    case GW_OUTCOME_RETRY:
        finish(f, GW_OUTCOME_RETRY, resp->retry_after_ms, msg);
        break;
    case GW_OUTCOME_FATAL:
    default:
        finish(f, GW_OUTCOME_FATAL, 0, msg);
        break;
    case GW_OUTCOME_OK:
        /* A 4xx the host has no opinion on (400, 404): asking again the
         * same way will not help. */
        finish(f, GW_OUTCOME_FATAL, 0, msg);
        break;
    }
}

static void on_page(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    tw_fetch *f = ctx;
    (void)inst;
    if (f->superseded) {
        gw_op *op = f->op;
        gw_instance *owner = f->inst;
        free(f);
        /* The host timed this op out already and ignores the outcome. */
        owner->host->complete(op, GW_OUTCOME_RETRY, 0, "twitter: superseded by a newer fetch",
                              NULL);
        return;
    }
    const stream_info *si = &streams[f->stream];
    if (resp->status != 200) {
        page_failed(f, resp);
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, &jerr);
    if (!json_is_object(doc)) {
        char msg[300];
        snprintf(msg, sizeof msg, "twitter: %s: X answered 200 with %s (%d bytes)%s%.160s",
                 si->name, doc == NULL ? "malformed JSON" : "JSON that is not an object",
                 (int)resp->body_len, doc == NULL ? ": " : "", doc == NULL ? jerr.text : "");
        json_decref(doc);
        f->inst->host->log(f->inst->acct, GW_LOG_WARN, "%s", msg);
        finish(f, GW_OUTCOME_RETRY, TW_RETRY_DELAY_MS, msg);
        return;
    }
    /* A 200 with errors and no data: the request was wrong (an unknown
     * user id, a suspended account). */
    if (json_object_get(doc, "data") == NULL && json_is_array(json_object_get(doc, "errors")) &&
        gw_sdk_json_int(json_object_get(doc, "meta"), "result_count", -1) < 0) {
        gw_http_response as_error = *resp;
        as_error.suggested = GW_OUTCOME_FATAL;
        json_decref(doc);
        page_failed(f, &as_error);
        return;
    }

    tw_page_stats st;
    const json_t *meta = json_object_get(doc, "meta");
    if (f->stream == TW_DMS)
        tw_page_dms(&f->inst->brand, doc, f->since, emit_event, f->inst, &st);
    else
        tw_page_tweets(&f->inst->brand, doc, f->stream == TW_MENTIONS, emit_event, f->inst, &st);
    f->pages++;
    f->emitted[f->stream] += st.emitted;
    f->echoes += st.echoes;
    if (st.invalid > 0)
        f->inst->host->log(f->inst->acct, GW_LOG_WARN,
                           "twitter: %s: %zu item%s without a usable id or refused", si->name,
                           st.invalid, st.invalid == 1 ? "" : "s");

    uint64_t newest = st.max_id, meta_newest;
    if (tw_id_parse(gw_sdk_json_string(meta, "newest_id", NULL), &meta_newest) &&
        meta_newest > newest)
        newest = meta_newest;
    if (newest > f->walk_newest)
        f->walk_newest = newest;
    const char *next = gw_sdk_json_string(meta, "next_token", NULL);
    if (next != NULL && next[0] == '\0')
        next = NULL;
    if (next != NULL && strlen(next) >= TW_TOKEN_MAX) {
        /* Ending the walk here would move since_id past the pages not
         * read, losing them: refuse loudly instead (X's tokens are short). */
        char msg[160];
        snprintf(msg, sizeof msg,
                 "twitter: %s: X sent a pagination token of %zu bytes (at most %d "
                 "expected)",
                 si->name, strlen(next), TW_TOKEN_MAX - 1);
        json_decref(doc);
        finish(f, GW_OUTCOME_FATAL, 0, msg);
        return;
    }
    if (st.stopped) {
        /* The account is being destroyed: what was emitted is kept, the
         * cursor stays where it was, so the rest comes next time. */
        json_decref(doc);
        finish(f, GW_OUTCOME_OK, 0, NULL);
        return;
    }
    /* DM pages have no since_id: the walk ends where known ids begin. */
    if (next == NULL || (f->stream == TW_DMS && st.reached_known) ||
        (f->stream != TW_DMS && st.items == 0))
        walk_done(f);
    else
        walk_continue(f, next);
    json_decref(doc);
}

void tw_fetch_start(gw_instance *inst, gw_op *op)
{
    if (inst->fetch != NULL) {
        /* The host abandoned that fetch (it timed out); its request is
         * still out. Let it die quietly when it answers. */
        inst->fetch->superseded = true;
        inst->fetch = NULL;
        inst->host->log(inst->acct, GW_LOG_WARN,
                        "twitter: the previous fetch is still waiting for X; it is superseded");
    }
    tw_fetch *f = calloc(1, sizeof *f);
    if (f == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, TW_RETRY_DELAY_MS, "twitter: out of memory",
                             NULL);
        return;
    }
    f->inst = inst;
    f->op = op;
    inst->fetch = f;
    f->stream = TW_MENTIONS;
    if (stream_enabled(inst, TW_MENTIONS)) {
        stream_begin(f);
        return;
    }
    next_stream(f);
}

void tw_fetch_forget(gw_instance *inst)
{
    /* The fetch record belongs to its request in flight, which
     * tw_request_forget_all frees; only the borrowed pointer goes. */
    inst->fetch = NULL;
}
