/* events_api.c - GET /v1/events: live, resumable Server-Sent Events and
 * JSON pages over the event log; see events_api.h.
 *
 * Why this shape: a thousand streams must cost little. The fan-out reads
 * each new event from the log once and builds its frame once, whatever
 * the number of streams; a stream that is behind reads its own pages only
 * while its client keeps up (on_drain), so a replay of a big log neither
 * stalls the loop (pages, a budget per pump) nor grows memory (the
 * stream's bounded buffer). A caught-up client too slow for the live rate
 * passes its buffer's bound and is cut: it reconnects with Last-Event-ID
 * and reads the rest from the log at its own pace.
 */
#include "api/events_api.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_auth.h"
#include "api/events_query.h"
#include "gateway/error.h"
#include "http/http_server.h"

#define COMPONENT "events"
/* Events the fan-out reads from the log per pump. */
#define LIVE_PAGE 256
/* Events read per pump, over all streams that are behind, and per read. */
#define CATCHUP_BUDGET 1024
#define CATCHUP_PAGE 128
/* A JSON page reads the log in slices of this many events, and scans at
 * most PAGE_SCAN_MAX events for matches, so a narrow filter over a big log
 * answers quickly with next_after moved on rather than holding the loop. */
#define PAGE_SLICE 500
#define PAGE_SCAN_MAX 10000
#define PAGE_DEFAULT_LIMIT 100

static const char keepalive_line[] = ": keep-alive\n\n";

typedef struct ev_link {
    struct ev_link *prev, *next;
} ev_link;

#define SUB_OF(l, member) ((events_sub *)(void *)((char *)(l)-offsetof(events_sub, member)))

static void link_init(ev_link *l)
{
    l->prev = l->next = l;
}

static void link_remove(ev_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    link_init(l);
}

static void link_push_back(ev_link *head, ev_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

typedef struct events_hub events_hub;

typedef struct events_sub {
    events_hub *hub; /* NULL once the hub closed: on_close only frees */
    http_stream *st;
    ev_link all;     /* hub->subs */
    ev_link queued;  /* hub->queue: behind, with room for a page */
    bool in_queue;
    bool cut;        /* cut for its bound; waiting for on_close */
    int64_t cursor;  /* highest seq sent or skipped by the filters */
    events_query q;
} events_sub;

struct events_hub {
    gw_runtime *rt;
    uv_timer_t keepalive;
    uv_idle_t pump; /* active while fan-out or catch-up work waits: one
                       slice per loop iteration (a 0 ms timer restarted in
                       its own callback would run again at once) */
    int handles_open;
    int64_t live_seq; /* highest seq the fan-out has handled */
    egress_reader egress; /* the fan-out's pass over the events' members */
    ev_link subs, queue;
    size_t stream_buffer;
    uint64_t keepalive_ms;
    events_api_stats stats;
    bool closing;
};

/* ---- streams ----------------------------------------------------------- */

static void sub_cut(events_sub *sub)
{
    if (sub->cut)
        return;
    sub->cut = true;
    if (sub->hub) {
        sub->hub->stats.streams_cut++;
        link_remove(&sub->queued);
        sub->in_queue = false;
    }
    http_stream_cut(sub->st);
}

/* Write one frame; a live stream past its bound is cut. Returns the
 * write's result. */
static int sub_write(events_sub *sub, const char *frame, size_t len, bool cut_when_full)
{
    if (sub->cut)
        return GW_ESTATE;
    int rc = http_stream_write(sub->st, frame, len);
    if (rc == GW_ERANGE && cut_when_full)
        sub_cut(sub);
    else if (rc == GW_ENOMEM)
        sub_cut(sub);
    return rc;
}

static void on_pump(uv_idle_t *t);

static void pump_schedule(events_hub *hub)
{
    if (!hub->closing)
        uv_idle_start(&hub->pump, on_pump);
}

static bool sub_has_room(const events_hub *hub, const events_sub *sub)
{
    return http_stream_buffered(sub->st) <= hub->stream_buffer / 4;
}

static void sub_enqueue(events_hub *hub, events_sub *sub)
{
    if (sub->in_queue || sub->cut || sub->cursor >= hub->live_seq)
        return;
    sub->in_queue = true;
    link_push_back(&hub->queue, &sub->queued);
    pump_schedule(hub);
}

static void on_stream_drain(void *arg, http_stream *st)
{
    (void)st;
    events_sub *sub = arg;
    if (sub->hub)
        sub_enqueue(sub->hub, sub);
}

static void on_stream_close(void *arg, http_stream *st)
{
    (void)st;
    events_sub *sub = arg;
    if (sub->hub) {
        link_remove(&sub->all);
        link_remove(&sub->queued);
        sub->hub->stats.streams_open--;
    }
    events_query_free(&sub->q);
    free(sub);
}

/* ---- reading the log ----------------------------------------------------- */

/* One stored event's fields for filters and framing. */
typedef struct ev_fields {
    json_t *obj; /* owned */
    const char *network, *account, *type;
} ev_fields;

static void fields_parse(ev_fields *f, const char *json, size_t len)
{
    f->obj = json_loadb(json, len, 0, NULL);
    f->network = json_string_value(json_object_get(f->obj, "network"));
    f->account = json_string_value(json_object_get(f->obj, "account"));
    f->type = json_string_value(json_object_get(f->obj, "type"));
}

/* The fan-out: one event to every caught-up stream. */
static int fan_one(void *arg, int64_t seq, const char *json, size_t len)
{
    events_hub *hub = arg;
    int64_t prev = hub->live_seq;
    int rc = egress_event(&hub->egress, seq, json, len, &json, &len); /* its members */
    if (rc != GW_OK)
        return rc;
    ev_fields f;
    fields_parse(&f, json, len);
    char *frame = NULL;
    size_t flen = 0;
    for (ev_link *l = hub->subs.next; l != &hub->subs; l = l->next) {
        events_sub *sub = SUB_OF(l, all);
        if (sub->cursor < prev || sub->cursor >= seq || sub->cut)
            continue; /* behind (reads its own pages), ahead, or gone */
        sub->cursor = seq;
        if (!events_query_match(&sub->q, f.network, f.account, f.type))
            continue;
        if (frame == NULL && (frame = events_sse_frame(seq, f.type, json, len, &flen)) == NULL) {
            sub_cut(sub); /* out of memory: it resumes later */
            continue;
        }
        if (sub_write(sub, frame, flen, true) == GW_OK)
            hub->stats.events_sent++;
    }
    free(frame);
    json_decref(f.obj);
    hub->live_seq = seq;
    return 0;
}

typedef struct catch_ctx {
    events_hub *hub;
    events_sub *sub;
    egress_reader egress;
    size_t read;
    bool reached_live; /* met an event past the live position */
} catch_ctx;

/* A stream that is behind: one event of its own page. Stops at the live
 * position (the fan-out delivers what follows) and at a full buffer. */
static int catch_one(void *arg, int64_t seq, const char *json, size_t len)
{
    catch_ctx *c = arg;
    if (seq > c->hub->live_seq) {
        c->reached_live = true;
        return 1;
    }
    int erc = egress_event(&c->egress, seq, json, len, &json, &len); /* its members */
    if (erc != GW_OK)
        return erc;
    c->read++;
    ev_fields f;
    fields_parse(&f, json, len);
    int stop = 0;
    if (events_query_match(&c->sub->q, f.network, f.account, f.type)) {
        size_t flen = 0;
        char *frame = events_sse_frame(seq, f.type, json, len, &flen);
        int rc = frame ? sub_write(c->sub, frame, flen, false) : GW_ENOMEM;
        free(frame);
        if (rc != GW_OK)
            stop = 1; /* the cursor stays: this event is read again */
        else
            c->hub->stats.events_sent++;
    }
    if (!stop)
        c->sub->cursor = seq;
    json_decref(f.obj);
    return stop;
}

/* Streams that are behind read pages within one budget per pump. Returns
 * true when some are still queued. */
static bool catch_up(events_hub *hub)
{
    size_t budget = CATCHUP_BUDGET;
    while (budget > 0 && hub->queue.next != &hub->queue) {
        events_sub *sub = SUB_OF(hub->queue.next, queued);
        link_remove(&sub->queued);
        sub->in_queue = false;
        catch_ctx c = {.hub = hub, .sub = sub};
        size_t page = budget < CATCHUP_PAGE ? budget : CATCHUP_PAGE;
        egress_begin(&c.egress, &hub->rt->egress);
        int rc = store_read(hub->rt->store, sub->cursor, page, catch_one, &c);
        egress_end(&c.egress);
        budget -= c.read > 0 ? (c.read < budget ? c.read : budget) : 1;
        if (rc < 0) {
            log_warn(&hub->rt->log, COMPONENT, "reading the log for a stream failed: %s",
                     store_last_error(hub->rt->store));
            sub_cut(sub); /* it resumes by id */
            continue;
        }
        if (sub->cut)
            continue;
        if (c.reached_live || (rc == 0 && c.read < page))
            sub->cursor = hub->live_seq; /* nothing more up to the live position */
        if (sub_has_room(hub, sub))
            sub_enqueue(hub, sub); /* else on_stream_drain queues it */
    }
    return hub->queue.next != &hub->queue;
}

/* True when some stream is caught up (the fan-out has work for it). */
static bool any_live(const events_hub *hub)
{
    for (const ev_link *l = hub->subs.next; l != &hub->subs; l = l->next) {
        const events_sub *sub = SUB_OF(l, all);
        if (sub->cursor >= hub->live_seq && !sub->cut)
            return true;
    }
    return false;
}

static void on_pump(uv_idle_t *t)
{
    events_hub *hub = t->data;
    bool more = false;
    /* no event leaves before the members kept beside it (egress.h) */
    int64_t committed = egress_limit(&hub->rt->egress, store_committed_seq(hub->rt->store));
    if (hub->live_seq < committed && !any_live(hub)) {
        /* Nobody to fan out to: streams that are behind read their own
         * pages up to the live position anyway. */
        hub->live_seq = committed;
    } else if (hub->live_seq < committed) {
        egress_begin(&hub->egress, &hub->rt->egress);
        int rc = store_read_upto(hub->rt->store, hub->live_seq, committed, LIVE_PAGE, fan_one, hub);
        egress_end(&hub->egress);
        if (rc < 0)
            log_warn(&hub->rt->log, COMPONENT, "reading new events for the streams failed: %s",
                     store_last_error(hub->rt->store));
        else
            more = hub->live_seq < committed;
    }
    more = catch_up(hub) || more;
    if (!more)
        uv_idle_stop(&hub->pump);
}

/* Only streams with nothing waiting are idle: the others are sending (or
 * their client reads nothing, which the server's idle timeout ends). The
 * comment keeps proxies between the client and us from timing an idle
 * stream out. */
static void on_keepalive(uv_timer_t *t)
{
    events_hub *hub = t->data;
    for (ev_link *l = hub->subs.next; l != &hub->subs; l = l->next) {
        events_sub *sub = SUB_OF(l, all);
        if (http_stream_buffered(sub->st) == 0)
            sub_write(sub, keepalive_line, sizeof keepalive_line - 1, true);
    }
}

/* ---- one JSON page ------------------------------------------------------- */

typedef struct page_ctx {
    const events_query *q;
    egress_reader egress;
    char *buf;
    size_t len, cap;
    long matched, limit;
    size_t scanned;
    int64_t last;
    int oom;
} page_ctx;

static void page_append(page_ctx *p, const char *s, size_t n)
{
    if (p->oom)
        return;
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *grown = realloc(p->buf, cap);
        if (grown == NULL) {
            p->oom = 1;
            return;
        }
        p->buf = grown;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static int page_one(void *arg, int64_t seq, const char *json, size_t len)
{
    page_ctx *p = arg;
    int rc = egress_event(&p->egress, seq, json, len, &json, &len); /* its members */
    if (rc != GW_OK)
        return rc;
    p->scanned++;
    p->last = seq;
    ev_fields f;
    fields_parse(&f, json, len);
    if (events_query_match(p->q, f.network, f.account, f.type)) {
        if (p->matched++ > 0)
            page_append(p, ",", 1);
        page_append(p, json, len);
    }
    json_decref(f.obj);
    return p->matched >= p->limit;
}

static void respond_page(gw_runtime *rt, http_exchange *ex, const events_query *q, int64_t after)
{
    page_ctx p = {.q = q, .limit = q->limit > 0 ? q->limit : PAGE_DEFAULT_LIMIT, .last = after};
    page_append(&p, "{\"events\":[", 11);
    /* no event leaves before the members kept beside it (egress.h) */
    int64_t upto = egress_limit(&rt->egress, store_committed_seq(rt->store));
    egress_begin(&p.egress, &rt->egress);
    for (;;) {
        size_t before = p.scanned;
        int rc = store_read_upto(rt->store, p.last, upto, PAGE_SLICE, page_one, &p);
        if (rc < 0) {
            egress_end(&p.egress);
            free(p.buf);
            http_exchange_respond_error(ex, 503, "store_unavailable",
                                        "the event log could not be read; retry later");
            return;
        }
        if (rc > 0 || p.scanned - before < PAGE_SLICE || p.scanned >= PAGE_SCAN_MAX)
            break;
    }
    egress_end(&p.egress);
    char tail[64];
    int n = snprintf(tail, sizeof tail, "],\"next_after\":%lld}", (long long)p.last);
    page_append(&p, tail, (size_t)n);
    if (p.oom) {
        free(p.buf);
        http_exchange_respond_error(ex, 500, "out_of_memory", "the page could not be built");
        return;
    }
    http_exchange_respond(ex, 200, "application/json", p.buf, p.len, NULL, 0);
    free(p.buf);
}

/* ---- the route ------------------------------------------------------------ */

/* A poller asks for JSON: Accept names application/json and not
 * text/event-stream (EventSource always sends the latter). */
static bool wants_json(const http_exchange *ex)
{
    const char *accept = http_exchange_header(ex, "accept");
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/event-stream");
}

static void start_stream(events_hub *hub, http_exchange *ex, events_query *q, int64_t after)
{
    events_sub *sub = calloc(1, sizeof *sub);
    if (sub == NULL) {
        http_exchange_respond_error(ex, 500, "out_of_memory", "the stream could not be set up");
        return;
    }
    sub->q = *q;
    memset(q, 0, sizeof *q); /* moved */
    sub->cursor = after >= 0 ? after
                             : egress_limit(&hub->rt->egress, store_committed_seq(hub->rt->store));
    link_init(&sub->all);
    link_init(&sub->queued);
    static const gw_http_header headers[] = {{"Cache-Control", "no-cache"},
                                             {"X-Accel-Buffering", "no"}};
    static const http_stream_callbacks cbs = {.on_drain = on_stream_drain,
                                              .on_close = on_stream_close};
    http_stream *st = http_exchange_respond_stream(ex, 200, "text/event-stream", headers, 2,
                                                   hub->stream_buffer, &cbs, sub);
    if (st == NULL) {
        events_query_free(&sub->q);
        free(sub);
        return;
    }
    sub->st = st;
    sub->hub = hub;
    link_push_back(&hub->subs, &sub->all);
    hub->stats.streams_open++;
    hub->stats.streams_total++;
    /* Sends the head at once, so the client knows the stream is open. */
    sub_write(sub, ": ok\n\n", 6, true);
    sub_enqueue(hub, sub);
}

static void events_get(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    events_hub *hub = rt->events;
    if (hub == NULL || hub->closing) {
        http_exchange_respond_error(ex, 503, "shutting_down", "the gateway is shutting down");
        return;
    }
    events_query q;
    char why[160] = "";
    int rc = events_query_parse(http_exchange_query(ex), &q, why, sizeof why);
    int64_t after = q.after;
    const char *last_id = http_exchange_header(ex, "last-event-id");
    if (rc == GW_OK && last_id != NULL && events_parse_seq(last_id, &after) != GW_OK) {
        snprintf(why, sizeof why, "Last-Event-ID must be a seq: a non-negative integer");
        rc = GW_EINVAL;
    }
    if (rc != GW_OK) {
        if (rc == GW_EINVAL)
            http_exchange_respond_error(ex, 400, "bad_request", why);
        else
            http_exchange_respond_error(ex, 500, "out_of_memory", "the query could not be read");
    } else if (q.limit > 0 || wants_json(ex)) {
        respond_page(rt, ex, &q,
                     after >= 0 ? after : egress_limit(&rt->egress, store_committed_seq(rt->store)));
    } else {
        start_stream(hub, ex, &q, after);
    }
    events_query_free(&q);
}

/* ---- hub life ----------------------------------------------------------- */

static uint64_t api_setting(const gw_runtime *rt, const char *key, uint64_t fallback)
{
    const json_t *v = json_object_get(rt->cfg->api, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
                                                           : fallback;
}

int events_api_install(gw_runtime *rt)
{
    events_hub *hub = calloc(1, sizeof *hub);
    if (hub == NULL)
        return GW_ENOMEM;
    hub->rt = rt;
    hub->live_seq = egress_limit(&rt->egress, store_committed_seq(rt->store));
    hub->stream_buffer = (size_t)api_setting(rt, "stream_buffer", 256u << 10);
    hub->keepalive_ms = api_setting(rt, "stream_keepalive", 15000);
    link_init(&hub->subs);
    link_init(&hub->queue);
    uv_timer_init(&rt->loop, &hub->keepalive);
    uv_idle_init(&rt->loop, &hub->pump);
    hub->keepalive.data = hub->pump.data = hub;
    hub->handles_open = 2;
    uv_timer_start(&hub->keepalive, on_keepalive, hub->keepalive_ms, hub->keepalive_ms);
    rt->events = hub;
    return http_server_route(rt->server, "GET", "/v1/events", 0, events_get, rt);
}

void events_api_notify(gw_runtime *rt)
{
    if (rt->events)
        pump_schedule(rt->events);
}

static void on_hub_handle_closed(uv_handle_t *h)
{
    events_hub *hub = h->data;
    if (--hub->handles_open == 0)
        free(hub);
}

void events_api_close(gw_runtime *rt)
{
    events_hub *hub = rt->events;
    if (hub == NULL)
        return;
    rt->events = NULL;
    hub->closing = true;
    while (hub->subs.next != &hub->subs) {
        events_sub *sub = SUB_OF(hub->subs.next, all);
        link_remove(&sub->all);
        link_remove(&sub->queued);
        sub->hub = NULL;
        http_stream_end(sub->st);
    }
    uv_close((uv_handle_t *)&hub->keepalive, on_hub_handle_closed);
    uv_close((uv_handle_t *)&hub->pump, on_hub_handle_closed);
}

const events_api_stats *events_api_stats_get(const gw_runtime *rt)
{
    return rt->events ? &rt->events->stats : NULL;
}
