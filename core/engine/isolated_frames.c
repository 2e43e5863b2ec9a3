/* isolated_frames.c - what an isolated plugin's child asks of the core:
 * each frame becomes a call of the account's real gw_host function
 * (account_host.c), so an isolated account's events, cursors, requests,
 * rate limits and completions take the same paths as an inline one's.
 * See isolated_internal.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/isolated_internal.h"

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- HTTP through the core's client ------------------------------------- */

static void call_unlink(iso_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->px->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void send_response(iso_proxy *px, uint64_t id, const gw_http_response *r)
{
    json_t *j = json_pack("{s:i,s:o,s:i,s:i,s:I,s:i}", "status", r->status, "headers",
                          isolate_headers_json(r->headers, r->header_count), "error", r->error,
                          "suggested", (int)r->suggested, "retry_after_ms",
                          (json_int_t)r->retry_after_ms, "not_sent",
                          GW_HAS_MEMBER(r, gw_http_response, not_sent) ? r->not_sent : 0);
    if (j != NULL && r->error_message != NULL)
        json_object_set_new(j, "error_message", json_string(r->error_message));
    if (j != NULL)
        iso_send(px, ISOLATE_T_HTTP_RESPONSE, id, j, r->body, r->body ? r->body_len : 0);
    json_decref(j);
}

static void http_done(void *arg, const gw_http_response *response)
{
    iso_call *c = arg;
    iso_proxy *px = c->px;
    call_unlink(c);
    /* A restarted child never asked for this answer. */
    if (c->gen == px->gen && px->state != ISO_DOWN)
        send_response(px, c->id, response);
    free(c);
}

/* The request failed before it started: the child still expects its
 * callback, as the plugin was told 0. */
static void refuse_request(iso_proxy *px, uint64_t id, int rc, const char *why)
{
    gw_http_response r = {
        .struct_size = sizeof r,
        .error = rc,
        .error_message = why,
        .suggested = GW_OUTCOME_RETRY,
        .not_sent = 1,
    };
    send_response(px, id, &r);
}

static void on_http_request(iso_proxy *px, const isolate_msg *m)
{
    gw_http_header *headers = NULL;
    long n = isolate_headers_parse(json_object_get(m->json, "headers"), &headers);
    const char *method = str(m->json, "method"), *url = str(m->json, "url");
    if (n < 0 || method == NULL || url == NULL) {
        free(headers);
        refuse_request(px, m->id, GW_EINVAL, "malformed request frame");
        return;
    }
    iso_call *c = calloc(1, sizeof *c);
    if (c == NULL) {
        free(headers);
        refuse_request(px, m->id, GW_ENOMEM, "out of memory");
        return;
    }
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = (size_t)n,
        .body = m->blob,
        .body_len = m->blob_len,
        .timeout_ms = (uint64_t)json_integer_value(json_object_get(m->json, "timeout_ms")),
        .rate_class = str(m->json, "rate_class"),
        .handles_401 = (int)json_integer_value(json_object_get(m->json, "handles_401")),
    };
    c->px = px;
    c->gen = px->gen;
    c->id = m->id;
    int rc = px->host->http_request(px->acct, &req, http_done, c);
    free(headers);
    if (rc != GW_OK) {
        free(c);
        refuse_request(px, m->id, rc, gw_strerror(rc));
        return;
    }
    c->next = px->calls;
    if (px->calls)
        px->calls->prev = c;
    px->calls = c;
}

/* ---- the rest ------------------------------------------------------------- */

static void on_complete(iso_proxy *px, isolate_msg *m)
{
    iso_op **p = &px->ops;
    while (*p != NULL && (*p)->id != m->id)
        p = &(*p)->next;
    iso_op *o = *p;
    if (o == NULL)
        return; /* not an op of this child: ignored, as a double completion inline */
    *p = o->next;
    int outcome = (int)json_integer_value(json_object_get(m->json, "outcome"));
    if (outcome < GW_OUTCOME_OK || outcome > GW_OUTCOME_UNSUPPORTED)
        outcome = GW_OUTCOME_FATAL;
    if (outcome == GW_OUTCOME_OK)
        px->crashes = 0; /* the child works again */
    json_t *result = json_incref(json_object_get(m->json, "result"));
    uint64_t delay = (uint64_t)json_integer_value(json_object_get(m->json, "delay_ms"));
    /* GW_DELAY_POLL_INTERVAL crosses as -1 (json_int_t). */
    if (json_integer_value(json_object_get(m->json, "delay_ms")) < 0)
        delay = GW_DELAY_POLL_INTERVAL;
    px->host->complete(o->op, (gw_outcome)outcome, delay, str(m->json, "message"), result);
    free(o);
}

static void on_ready(iso_proxy *px, const isolate_msg *m)
{
    px->ready_rc = (int)json_integer_value(json_object_get(m->json, "rc"));
    snprintf(px->ready_message, sizeof px->ready_message, "%s",
             str(m->json, "message") ? str(m->json, "message") : "");
    if (px->ready_rc != 0) {
        px->ready_rc = px->ready_rc < 0 ? px->ready_rc : GW_EINVAL;
        return; /* the child exits; its exit is the crash */
    }
    uint32_t keep = (uint32_t)json_integer_value(json_object_get(m->json, "keep"));
    uint32_t caps = px->ip->real->desc.capabilities;
    if ((keep & caps) != caps && px->host->narrow_capabilities != NULL)
        px->host->narrow_capabilities(px->acct, keep, str(m->json, "reason"));
    if (px->state == ISO_STARTING && px->gen > 1)
        log_info(&px->rt->log, px->acct->label, "plugin process restarted (pid %d)", (int)px->pid);
    px->state = ISO_UP;
    px->acct->stats.plugin_restarting = 0;
}

static void on_kv_get(iso_proxy *px, const isolate_msg *m)
{
    char value[GW_KV_VALUE_MAX + 1];
    const char *key = str(m->json, "key");
    int rc = key != NULL ? px->host->kv_get(px->acct, key, value, sizeof value) : GW_EINVAL;
    json_t *j = json_pack("{s:i}", "rc", rc < 0 ? rc : 0);
    if (j != NULL && rc >= 0)
        json_object_set_new(j, "value", json_stringn(value, (size_t)rc));
    if (j != NULL)
        iso_send(px, ISOLATE_T_KV_VALUE, m->id, j, NULL, 0);
    json_decref(j);
}

void iso_on_frame(iso_proxy *px, isolate_msg *m)
{
    const json_t *j = m->json;
    switch (m->type) {
    case ISOLATE_T_READY: on_ready(px, m); break;
    case ISOLATE_T_LOG: {
        int level = (int)json_integer_value(json_object_get(j, "level"));
        if (level < GW_LOG_ERROR || level > GW_LOG_DEBUG)
            level = GW_LOG_INFO;
        px->host->log(px->acct, (gw_log_level)level, "%s", str(j, "message") ? str(j, "message") : "");
        break;
    }
    case ISOLATE_T_EMIT:
        if (m->json != NULL) {
            px->host->emit(px->acct, m->json); /* steals */
            m->json = NULL;
        }
        break;
    case ISOLATE_T_KV_GET: on_kv_get(px, m); break;
    case ISOLATE_T_KV_SET:
        if (str(j, "key") != NULL && str(j, "value") != NULL)
            px->host->kv_set(px->acct, str(j, "key"), str(j, "value"));
        break;
    case ISOLATE_T_COMPLETE: on_complete(px, m); break;
    case ISOLATE_T_HTTP_REQUEST: on_http_request(px, m); break;
    case ISOLATE_T_CREDENTIALS_FAILED:
        px->host->credentials_failed(px->acct, str(j, "reason"));
        break;
    case ISOLATE_T_METRIC_SET:
        if (str(j, "name") != NULL)
            px->host->metric_set(px->acct, str(j, "name"), str(j, "help"),
                                 json_number_value(json_object_get(j, "value")));
        break;
    case ISOLATE_T_PONG:
        if (m->id > px->pong_seen)
            px->pong_seen = m->id;
        break;
    default:
        snprintf(px->kill_reason, sizeof px->kill_reason, "sent an unexpected %s frame",
                 isolate_type_name((int)m->type));
        if (px->pid > 0)
            kill(px->pid, SIGKILL);
        break;
    }
}
