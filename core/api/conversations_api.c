/* conversations_api.c - handlers of /v1/conversations; see
 * conversations_api.h. The HTTP edge only: the state is the conversation
 * service's (core/service/), the rows conv_store's; the service chooses
 * memory or the table for each read, and keeps the table current for
 * it. */
#include "api/conversations_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_auth.h"
#include "api/api_query.h"
#include "base/clock.h"
#include "gateway/sdk.h"
#include "http/http_server.h"
#include "service/conv_service.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define CLOSE_SUFFIX "/close"
#define ITEMS_MAX 1000 /* items listed with one conversation */

static json_t *time_or_null(int64_t ms)
{
    char at[40];
    if (ms <= 0 || gw_sdk_time_format(ms, at, sizeof at) < 0)
        return json_null();
    return json_string(at);
}

json_t *conversations_api_doc(const conv_row *r)
{
    char id[24], contact[24];
    conv_id_format("cv_", r->id, id, sizeof id);
    conv_id_format("ct_", r->contact, contact, sizeof contact);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:I}", "id", id,
                            "state", r->state, "network", r->network, "account", r->account,
                            "thread_id", r->thread, "visibility", r->visibility, "contact_id",
                            r->contact > 0 ? json_string(contact) : json_null(),
                            "priority_score", r->priority_score, "priority",
                            r->priority ? json_string(r->priority) : json_null(), "item_count",
                            (json_int_t)r->items);
    if (doc == NULL)
        return NULL;
    json_object_set_new(doc, "first_item_at", time_or_null(r->first_ms));
    json_object_set_new(doc, "waiting_since", time_or_null(r->waiting_ms));
    json_object_set_new(doc, "last_activity_at", time_or_null(r->last_ms));
    json_object_set_new(doc, "answered_at", time_or_null(r->answered_ms));
    json_object_set_new(doc, "closed_at", time_or_null(r->closed_ms));
    json_object_set_new(doc, "first_response_seconds",
                        r->answered_ms > 0
                            ? json_real((double)(r->answered_ms - r->first_ms) / 1000.0)
                            : json_null());
    json_object_set_new(doc, "sla_deadline", time_or_null(r->deadline_ms));
    json_object_set_new(doc, "sla_breached", json_boolean(r->breached));
    return doc;
}

int conversations_api_enabled(gw_runtime *rt, http_exchange *ex)
{
    if (!api_authorize(rt, ex))
        return 0;
    if (rt->conv == NULL) {
        http_exchange_respond_error(ex, 503, "service_disabled",
                                    "conversations are off ([service] conversations = false)");
        return 0;
    }
    return 1;
}

typedef struct list_ctx {
    json_t *list;
    conv_row last; /* the page's last row (its cursor fields) */
} list_ctx;

static int on_row(void *arg, const conv_row *row)
{
    list_ctx *c = arg;
    json_t *doc = conversations_api_doc(row);
    if (doc == NULL || json_array_append_new(c->list, doc) != 0)
        return GW_ENOMEM;
    c->last = (conv_row){.id = row->id,
                         .priority_score = row->priority_score,
                         .waiting_ms = row->waiting_ms};
    return 0;
}

/* The cursor is opaque to clients: "<score>.<waiting_ms>.<id>" in queue
 * order, "<id>" in id order. */
static int parse_cursor(const char *s, conv_page *p)
{
    if (s == NULL)
        return 1;
    long long a, b, c;
    char end;
    if (p->by_priority) {
        if (sscanf(s, "%lld.%lld.%lld%c", &a, &b, &c, &end) != 3 || a < 0 || a > 100 || b < 0 ||
            c < 0)
            return 0;
        p->after_score = (int)a;
        p->after_waiting = b;
        p->after_id = c;
        p->has_cursor = 1;
        return 1;
    }
    p->after_id = api_query_id(s, strlen(s));
    return p->after_id > 0;
}

static void list_conversations(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!conversations_api_enabled(rt, ex))
        return;
    const char *q = http_exchange_query(ex);
    char state[32], sort[32], limit_s[32], cursor[96];
    conv_page page = {.state = api_query_value(q, "state", state, sizeof state)};
    const char *sort_v = api_query_value(q, "sort", sort, sizeof sort);
    const char *limit_v = api_query_value(q, "limit", limit_s, sizeof limit_s);
    int64_t limit = limit_v ? api_query_id(limit_v, strlen(limit_v)) : LIST_DEFAULT;
    if (page.state != NULL && strcmp(page.state, "open") != 0 &&
        strcmp(page.state, "answered") != 0 && strcmp(page.state, "closed") != 0) {
        http_exchange_respond_error(ex, 400, "invalid_query",
                                    "state must be open, answered or closed");
        return;
    }
    if (sort_v != NULL && strcmp(sort_v, "priority") != 0 && strcmp(sort_v, "id") != 0) {
        http_exchange_respond_error(ex, 400, "invalid_query", "sort must be priority or id");
        return;
    }
    page.by_priority = sort_v != NULL && strcmp(sort_v, "priority") == 0;
    if (limit < 1 || limit > LIST_MAX ||
        !parse_cursor(api_query_value(q, "cursor", cursor, sizeof cursor), &page)) {
        http_exchange_respond_error(ex, 400, "invalid_query",
                                    "limit must be 1 to 1000 and cursor a next_cursor this "
                                    "endpoint gave with the same sort");
        return;
    }
    /* Conversations not closed are all in memory and served from there
     * (conv_list.c); closed ones by the table, by id only: ordering them
     * by priority would scan and sort the whole table on the loop. */
    int active = page.state != NULL && strcmp(page.state, "closed") != 0;
    if (page.by_priority && !active) {
        http_exchange_respond_error(ex, 400, "invalid_query",
                                    "sort=priority orders the conversations still waiting or "
                                    "answered: add state=open or state=answered (the others "
                                    "list by id)");
        return;
    }
    page.limit = (size_t)limit;
    list_ctx c = {.list = json_array()};
    int n = c.list == NULL ? GW_ENOMEM : conv_service_list(rt->conv, &page, on_row, &c);
    if (n < 0) {
        json_decref(c.list);
        http_exchange_respond_error(ex, 503, "store_unavailable",
                                    "the conversations could not be read");
        return;
    }
    json_t *next = json_null();
    if (n == limit) {
        char buf[96];
        if (page.by_priority)
            snprintf(buf, sizeof buf, "%d.%" PRId64 ".%" PRId64, c.last.priority_score,
                     c.last.waiting_ms, c.last.id);
        else
            snprintf(buf, sizeof buf, "%" PRId64, c.last.id);
        next = json_string(buf);
    }
    http_exchange_respond_json(ex, 200,
                               json_pack("{s:o, s:o}", "conversations", c.list, "next_cursor",
                                         next));
}

static int on_one(void *arg, const conv_row *row)
{
    json_t **out = arg;
    *out = conversations_api_doc(row);
    return *out ? 0 : GW_ENOMEM;
}

typedef struct item_ctx {
    int64_t want;
    json_t *items;
    egress_reader egress;
} item_ctx;

static int on_event(void *arg, int64_t seq, const char *json, size_t len)
{
    item_ctx *c = arg;
    if (seq != c->want) /* pruned by retention: the next one came instead */
        return 0;
    /* with its members; not held back: this is a read, not a delivery */
    int rc = egress_event(&c->egress, seq, json, len, &json, &len);
    if (rc != GW_OK)
        return rc;
    json_t *ev = json_loadb(json, len, 0, NULL);
    if (ev != NULL)
        json_array_append_new(c->items, ev);
    return 0;
}

/* The conversation's events in log order, from its "seqs" column. */
static json_t *items_of(gw_runtime *rt, const char *seqs)
{
    item_ctx c = {.items = json_array()};
    egress_begin(&c.egress, &rt->egress);
    size_t n = 0;
    for (const char *p = seqs; c.items != NULL && p != NULL && *p && n < ITEMS_MAX; n++) {
        c.want = strtoll(p, NULL, 10);
        if (c.want > 0)
            store_read(rt->store, c.want - 1, 1, on_event, &c);
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    egress_end(&c.egress);
    return c.items;
}

typedef struct seqs_ctx {
    conv_service *svc;
    int with_items; /* read the items' seqs too */
    json_t *doc;
    char *seqs;
} seqs_ctx;

static int on_one_with_seqs(void *arg, const conv_row *row)
{
    seqs_ctx *c = arg;
    c->doc = conversations_api_doc(row);
    if (c->doc == NULL)
        return GW_ENOMEM;
    return !c->with_items ? 0
                          : conv_service_items(c->svc, row->id, row->seqs, ITEMS_MAX, &c->seqs);
}

static void one_conversation(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!conversations_api_enabled(rt, ex))
        return;
    const char *tail = http_exchange_path_tail(ex);
    const char *method = http_exchange_method(ex);
    size_t len = strlen(tail), slen = strlen(CLOSE_SUFFIX);
    int close = len > slen && strcmp(tail + len - slen, CLOSE_SUFFIX) == 0;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (close ? strcmp(method, "POST") != 0 : !get) {
        gw_http_header allow = {"Allow", close ? "POST" : "GET, HEAD"};
        http_exchange_respond_error_headers(ex, 405, "method_not_allowed",
                                            close ? "close takes POST"
                                                  : "a conversation takes GET",
                                            &allow, 1);
        return;
    }
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "%.*s", (int)(close ? len - slen : len), tail);
    int64_t id = conv_id_parse("cv_", idbuf);
    if (close && id > 0) {
        int rc = conv_service_close_conversation(rt->conv, id, clock_wall_ms());
        if (rc == 0) {
            json_t *doc = NULL;
            int found = conv_service_get(rt->conv, id, on_one, &doc);
            json_decref(doc);
            if (found > 0) {
                http_exchange_respond_error(ex, 409, "already_closed",
                                            "the conversation is closed already");
                return;
            }
        }
    }
    seqs_ctx c = {.svc = rt->conv, .with_items = !close};
    int rc = id > 0 ? conv_service_get(rt->conv, id, on_one_with_seqs, &c) : 0;
    if (rc <= 0 || c.doc == NULL) {
        json_decref(c.doc);
        free(c.seqs);
        if (rc < 0)
            http_exchange_respond_error(ex, 503, "store_unavailable",
                                        "the conversation could not be read");
        else
            http_exchange_respond_error(ex, 404, "unknown_conversation",
                                        "no conversation with that id");
        return;
    }
    if (!close)
        json_object_set_new(c.doc, "items", items_of(rt, c.seqs));
    free(c.seqs);
    http_exchange_respond_json(ex, 200, c.doc);
}

int conversations_api_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "GET", "/v1/conversations", 0, list_conversations,
                                rt)) ||
        (rc = http_server_route(rt->server, "GET,POST", "/v1/conversations/", 1,
                                one_conversation, rt)))
        return rc;
    return GW_OK;
}
