/* deadletters_api.c - handlers of /v1/deadletters; see deadletters_api.h.
 *
 * The HTTP edge only: the table is store/deadletter_store.c's, and the
 * replay itself is the sink's dispatcher's (engine/dispatch.c), woken
 * once the request for it is durable.
 */
#include "api/deadletters_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_auth.h"
#include "api/api_query.h"
#include "engine/dispatch.h"
#include "gateway/sdk.h"
#include "http/http_server.h"
#include "store/deadletter_store.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define REPLAY_SUFFIX "/replay"


/* A member of the event, or null (a new reference either way). */
static json_t *member_or_null(const json_t *event, const char *key)
{
    json_t *v = json_object_get(event, key);
    return v != NULL ? json_incref(v) : json_null();
}

static json_t *row_document(const deadletter_row *row, int with_event)
{
    char at[40] = "";
    if (gw_sdk_time_format(row->parked_ms, at, sizeof at) < 0)
        at[0] = '\0';
    json_t *event = json_loads(row->event, 0, NULL);
    json_t *doc = json_pack("{s:I, s:s, s:I, s:o, s:o, s:i, s:s, s:s, s:b}", "id",
                            (json_int_t)row->id, "sink", row->sink, "seq", (json_int_t)row->seq,
                            "event_id", member_or_null(event, "id"), "event_type",
                            member_or_null(event, "type"), "status", row->status, "reason",
                            row->reason, "parked_at", at, "replay_pending", row->replay != 0);
    if (doc != NULL && with_event && event != NULL)
        json_object_set(doc, "event", event);
    json_decref(event);
    return doc;
}

typedef struct list_ctx {
    json_t *list;
    int64_t last_id;
    int with_event;
    json_t *one;
} list_ctx;

static void on_row(void *arg, const deadletter_row *row)
{
    list_ctx *c = arg;
    json_t *doc = row_document(row, c->with_event);
    if (c->list != NULL && doc != NULL)
        json_array_append(c->list, doc);
    if (c->one == NULL && c->list == NULL)
        c->one = json_incref(doc);
    json_decref(doc);
    c->last_id = row->id;
}

static void list_deadletters(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    const char *q = http_exchange_query(ex);
    char sink[256], after_s[32], limit_s[32];
    const char *sink_v = api_query_value(q, "sink", sink, sizeof sink);
    const char *after_v = api_query_value(q, "after", after_s, sizeof after_s);
    const char *limit_v = api_query_value(q, "limit", limit_s, sizeof limit_s);
    int64_t after = after_v ? (strcmp(after_v, "0") == 0 ? 0
                                                         : api_query_id(after_v, strlen(after_v)))
                            : 0;
    int64_t limit = limit_v ? api_query_id(limit_v, strlen(limit_v)) : LIST_DEFAULT;
    if (after < 0 || limit < 0 || limit > LIST_MAX) {
        http_exchange_respond_error(ex, 400, "invalid_query",
                                    "after must be a dead letter id (0 or more) and limit 1 to "
                                    "1000");
        return;
    }
    list_ctx c = {.list = json_array()};
    int n = deadletter_list(rt->store, sink_v, after, (size_t)limit, on_row, &c);
    if (n < 0 || c.list == NULL) {
        json_decref(c.list);
        http_exchange_respond_error(ex, 503, "store_unavailable", "the dead letters could not "
                                                                  "be read");
        return;
    }
    json_t *next = n == limit ? json_integer(c.last_id) : json_null();
    http_exchange_respond_json(ex, 200,
                               json_pack("{s:o, s:o}", "deadletters", c.list, "next_after", next));
}

/* The one dead letter of id; 1 and *doc set, 0 answered (404/503). */
static int find_row(gw_runtime *rt, http_exchange *ex, int64_t id, json_t **doc)
{
    list_ctx c = {.with_event = 1};
    int rc = id > 0 ? deadletter_get(rt->store, id, on_row, &c) : 0;
    if (rc < 0) {
        http_exchange_respond_error(ex, 503, "store_unavailable", "the dead letters could not "
                                                                  "be read");
        return 0;
    }
    if (rc == 0 || c.one == NULL) {
        json_decref(c.one);
        http_exchange_respond_error(ex, 404, "unknown_dead_letter", "no dead letter with that id");
        return 0;
    }
    *doc = c.one;
    return 1;
}

static dispatcher *sink_of(const gw_runtime *rt, const char *name)
{
    for (size_t i = 0; name != NULL && i < rt->sink_count; i++)
        if (strcmp(dispatch_name(rt->sinks[i]) + 5, name) == 0)
            return rt->sinks[i];
    return NULL;
}

typedef struct deferred {
    gw_runtime *rt;
    http_exchange *ex;
    int status;
    json_t *body;
    char sink[256]; /* replay: the sink to wake once durable; "" none */
} deferred;

static void answer_after_commit(void *arg, int committed)
{
    deferred *d = arg;
    if (!committed) {
        json_decref(d->body);
        http_exchange_respond_error(d->ex, 503, "store_unavailable",
                                    "the change could not be stored; send the request again");
    } else {
        dispatcher *sink = d->sink[0] ? sink_of(d->rt, d->sink) : NULL;
        if (sink != NULL)
            dispatch_replay(sink);
        http_exchange_respond_json(d->ex, d->status, d->body);
    }
    free(d);
}

static void respond_after_commit(gw_runtime *rt, http_exchange *ex, int status, json_t *body,
                                 const char *sink)
{
    deferred *d = calloc(1, sizeof *d);
    if (d == NULL || body == NULL) {
        free(d);
        json_decref(body);
        http_exchange_respond_error(ex, 503, "out_of_memory", "try again later");
        return;
    }
    *d = (deferred){.rt = rt, .ex = ex, .status = status, .body = body};
    snprintf(d->sink, sizeof d->sink, "%s", sink ? sink : "");
    if (runtime_after_commit(rt, answer_after_commit, d) != GW_OK) {
        json_decref(body);
        free(d);
        http_exchange_respond_error(ex, 503, "out_of_memory", "try again later");
    }
}

static void one_deadletter(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    const char *tail = http_exchange_path_tail(ex);
    const char *method = http_exchange_method(ex);
    size_t len = strlen(tail), slen = strlen(REPLAY_SUFFIX);
    int replay = len > slen && strcmp(tail + len - slen, REPLAY_SUFFIX) == 0;
    int64_t id = api_query_id(tail, replay ? len - slen : len);
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int del = strcmp(method, "DELETE") == 0;
    if (replay ? strcmp(method, "POST") != 0 : !(get || del)) {
        gw_http_header allow = {"Allow", replay ? "POST" : "GET, HEAD, DELETE"};
        http_exchange_respond_error_headers(ex, 405, "method_not_allowed",
                                            replay ? "replay takes POST"
                                                   : "a dead letter takes GET or DELETE",
                                            &allow, 1);
        return;
    }
    json_t *doc = NULL;
    if (!find_row(rt, ex, id, &doc))
        return;
    if (get) {
        http_exchange_respond_json(ex, 200, doc);
        return;
    }
    if (rt->stopping) {
        json_decref(doc);
        http_exchange_respond_error(ex, 503, "shutting_down", "the gateway is stopping");
        return;
    }
    const char *sink = json_string_value(json_object_get(doc, "sink"));
    if (replay && sink_of(rt, sink) == NULL) {
        json_decref(doc);
        http_exchange_respond_error(ex, 409, "sink_not_configured",
                                    "the dead letter's sink is no longer configured; drop it "
                                    "or configure the sink again");
        return;
    }
    int rc = replay ? deadletter_request_replay(rt->store, id) : deadletter_drop(rt->store, id);
    dispatcher *held = !replay && rc > 0 ? sink_of(rt, sink) : NULL;
    if (held != NULL)
        dispatch_dead_letter_dropped(held);
    if (rc < 0) {
        json_decref(doc);
        http_exchange_respond_error(ex, 503, "store_unavailable", "the change could not be "
                                                                  "stored");
        return;
    }
    json_t *body = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "sink", sink ? sink : "",
                             replay ? "replay_pending" : "dropped", 1);
    char sink_copy[256];
    snprintf(sink_copy, sizeof sink_copy, "%s", sink ? sink : "");
    json_decref(doc);
    respond_after_commit(rt, ex, replay ? 202 : 200, body, replay ? sink_copy : NULL);
}

int deadletters_api_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "GET", "/v1/deadletters", 0, list_deadletters, rt)) ||
        (rc = http_server_route(rt->server, "GET,POST,DELETE", "/v1/deadletters/", 1,
                                one_deadletter, rt)))
        return rc;
    return GW_OK;
}
