/* isolate/child.c - the plugin host's start and loop: descriptors and
 * sandbox, loading the plugin, then frames from the core turned into
 * hook calls, with the child's own timers between them. */
#define _GNU_SOURCE
#include "isolate/child.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isolate/child_internal.h"
#include "isolate/child_io.h"
#include "isolate/sandbox.h"

static void complete_now(child *c, uint64_t id, gw_outcome outcome, const char *message)
{
    json_t *j = json_pack("{s:i,s:i,s:s}", "outcome", (int)outcome, "delay_ms", 0, "message",
                          message);
    child_send(c, ISOLATE_T_COMPLETE, id, j, NULL, 0);
    json_decref(j);
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int on_init(child *c, const isolate_msg *m)
{
    const char *account = str(m->json, "account");
    json_t *config = json_object_get(m->json, "config");
    if (c->inst != NULL || account == NULL || !json_is_object(config)) {
        fprintf(stderr, "plugin host: INIT without account and config\n");
        return -1;
    }
    c->account = strdup(account);
    c->config = json_incref(config);
    char err[512] = "";
    c->keep = c->plugin->capabilities;
    int rc = c->plugin->create(&c->host, (gw_account *)c, &c->inst, err, sizeof err);
    json_t *ready = json_pack("{s:i,s:s,s:I}", "rc", rc, "message", err, "keep",
                              (json_int_t)c->keep);
    if (c->keep_reason != NULL)
        json_object_set_new(ready, "reason", json_string(c->keep_reason));
    child_send(c, ISOLATE_T_READY, 0, ready, NULL, 0);
    json_decref(ready);
    return rc == 0 ? 0 : -1;
}

static void on_webhook(child *c, const isolate_msg *m, gw_op *op)
{
    gw_http_header *headers;
    long n = isolate_headers_parse(json_object_get(m->json, "headers"), &headers);
    const char *method = str(m->json, "method"), *query = str(m->json, "query");
    if (n < 0 || method == NULL) {
        c->host.complete(op, GW_OUTCOME_FATAL, 0, "malformed webhook frame", NULL);
        return;
    }
    gw_webhook_request req = {
        .struct_size = sizeof req,
        .method = method,
        .query = query ? query : "",
        .headers = headers,
        .header_count = (size_t)n,
        .body = m->blob ? m->blob : (const unsigned char *)"",
        .body_len = m->blob_len,
    };
    c->plugin->webhook(c->inst, op, &req);
    free(headers);
}

static void on_action(child *c, const isolate_msg *m, gw_op *op)
{
    gw_action a = {
        .struct_size = sizeof a,
        .action_id = str(m->json, "action_id"),
        .idempotency_key = str(m->json, "idempotency_key"),
        .text = str(m->json, "text"),
        .in_reply_to = str(m->json, "in_reply_to"),
        .thread_id = str(m->json, "thread_id"),
        .to = str(m->json, "to"),
        .in_reply_to_event = json_object_get(m->json, "in_reply_to_event"),
    };
    if (a.action_id == NULL || a.text == NULL) {
        c->host.complete(op, GW_OUTCOME_FATAL, 0, "malformed action frame", NULL);
        return;
    }
    if (m->type == ISOLATE_T_POST_PUBLIC)
        c->plugin->post_public(c->inst, op, &a);
    else
        c->plugin->send_private(c->inst, op, &a);
}

static void on_response(child *c, const isolate_msg *m)
{
    child_request **p = &c->requests;
    while (*p != NULL && (*p)->id != m->id)
        p = &(*p)->next;
    child_request *r = *p;
    if (r == NULL)
        return; /* cancelled by destroy, or never ours */
    *p = r->next;
    gw_http_header *headers;
    long n = isolate_headers_parse(json_object_get(m->json, "headers"), &headers);
    /* The ABI promises a NUL-terminated body. */
    unsigned char *body = malloc(m->blob_len + 1);
    if (body != NULL) {
        if (m->blob_len > 0)
            memcpy(body, m->blob, m->blob_len);
        body[m->blob_len] = '\0';
    }
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = (int)json_integer_value(json_object_get(m->json, "status")),
        .headers = n > 0 ? headers : NULL,
        .header_count = n > 0 ? (size_t)n : 0,
        .body = body,
        .body_len = body ? m->blob_len : 0,
        .error = (int)json_integer_value(json_object_get(m->json, "error")),
        .error_message = str(m->json, "error_message"),
        .suggested = (gw_outcome)json_integer_value(json_object_get(m->json, "suggested")),
        .retry_after_ms = (uint64_t)json_integer_value(json_object_get(m->json, "retry_after_ms")),
        .not_sent = (int)json_integer_value(json_object_get(m->json, "not_sent")),
    };
    if (body == NULL || n < 0) {
        resp.status = 0;
        resp.error = body == NULL ? GW_ENOMEM : GW_EINVAL;
        resp.error_message = "plugin host: malformed response frame";
        resp.suggested = GW_OUTCOME_RETRY;
    }
    r->cb(r->arg, &resp);
    free(headers);
    free(body);
    free(r);
}

/* A hook frame: the op the core numbered, and the hook it names. */
static void on_hook(child *c, const isolate_msg *m)
{
    const gw_plugin *p = c->plugin;
    int has = (m->type == ISOLATE_T_FETCH && p->fetch) ||
              (m->type == ISOLATE_T_WEBHOOK && p->webhook) ||
              (m->type == ISOLATE_T_POST_PUBLIC && p->post_public) ||
              (m->type == ISOLATE_T_SEND_PRIVATE && p->send_private);
    if (c->inst == NULL || !has) {
        complete_now(c, m->id, GW_OUTCOME_UNSUPPORTED, "the plugin has no such hook");
        return;
    }
    gw_op *op = (gw_op *)child_op_new(c, m->id);
    if (op == NULL) {
        complete_now(c, m->id, GW_OUTCOME_RETRY, "plugin host out of memory");
        return;
    }
    if (m->type == ISOLATE_T_FETCH)
        p->fetch(c->inst, op);
    else if (m->type == ISOLATE_T_WEBHOOK)
        on_webhook(c, m, op);
    else
        on_action(c, m, op);
}

/* Returns 1 to go on, 0 after SHUTDOWN, -1 on a protocol error. */
static int dispatch(child *c, const isolate_msg *m)
{
    switch (m->type) {
    case ISOLATE_T_INIT: return on_init(c, m) == 0 ? 1 : -1;
    case ISOLATE_T_FETCH:
    case ISOLATE_T_WEBHOOK:
    case ISOLATE_T_POST_PUBLIC:
    case ISOLATE_T_SEND_PRIVATE: on_hook(c, m); return 1;
    case ISOLATE_T_HTTP_RESPONSE: on_response(c, m); return 1;
    case ISOLATE_T_PING: child_send(c, ISOLATE_T_PONG, m->id, NULL, NULL, 0); return 1;
    case ISOLATE_T_SHUTDOWN: return 0;
    case ISOLATE_T_KV_VALUE: return 1; /* an answer nobody waits for any more */
    default:
        fprintf(stderr, "plugin host: unexpected %s frame\n", isolate_type_name((int)m->type));
        return -1;
    }
}

/* Runs the timers that are due; returns the poll timeout until the next. */
static int run_timers(child *c)
{
    uint64_t now = child_monotonic_ms(), next = UINT64_MAX;
    child_timer **p = &c->timers;
    while (*p != NULL) {
        child_timer *t = *p;
        if (t->cb != NULL && t->due_ms > now) {
            if (t->due_ms < next)
                next = t->due_ms;
            p = &t->next;
            continue;
        }
        *p = t->next;
        if (t->cb != NULL)
            t->cb(t->arg); /* may start timers: they go to the head, seen next pass */
        free(t);
        p = &c->timers; /* the list may have changed under us */
        now = child_monotonic_ms();
        next = UINT64_MAX;
    }
    return next == UINT64_MAX ? -1 : (int)(next - now > 60000 ? 60000 : next - now);
}

static int serve(child *c)
{
    for (;;) {
        int timeout = run_timers(c);
        isolate_msg m;
        int rc = child_next_buffered(c, &m);
        if (rc == 0) {
            int go = dispatch(c, &m);
            isolate_msg_clear(&m);
            if (go <= 0)
                return go < 0 ? 1 : 0;
            continue;
        }
        if (rc != GW_EBUSY)
            return 1;
        child_flush(c);
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, timeout);
        if (n < 0 && errno != EINTR)
            return 1;
        if (n > 0 && child_read_more(c) != 0)
            return 0; /* the core closed the socket: it is stopping or gone */
    }
}

/* Frees what the child holds, so a sanitizer build exits clean. */
static void release(child *c)
{
    while (c->timers != NULL) {
        child_timer *t = c->timers;
        c->timers = t->next;
        free(t);
    }
    while (c->requests != NULL) {
        child_request *r = c->requests;
        c->requests = r->next;
        free(r);
    }
    while (c->free_ops != NULL) {
        child_op *op = c->free_ops;
        c->free_ops = op->next_free;
        free(op);
    }
    isolate_buf_free(&c->out);
    isolate_buf_free(&c->in);
    isolate_buf_free(&c->later);
    json_decref(c->config);
    free(c->account);
    free(c->keep_reason);
}

static const gw_plugin *load(const char *so_path)
{
    void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        fprintf(stderr, "plugin host: %s\n", dlerror());
        return NULL;
    }
    gw_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, GW_PLUGIN_ENTRY_SYMBOL);
    const gw_plugin *p = entry ? entry() : NULL;
    if (p == NULL || p->abi_major != GW_ABI_MAJOR || p->abi_minor > GW_ABI_MINOR ||
        p->create == NULL) {
        fprintf(stderr, "plugin host: %s is not a plugin of ABI %d.%d\n", so_path, GW_ABI_MAJOR,
                GW_ABI_MINOR);
        return NULL;
    }
    return p; /* the library stays loaded until the process exits */
}

int isolate_child_main(int fd, const char *so_path)
{
    /* A terminal's ^C or a service manager's SIGTERM to the whole group
     * must not kill the child under a gateway that drains: it exits when
     * the core closes the socket. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    char err[256];
    if (isolate_sandbox_close_fds(fd, err, sizeof err) != 0) {
        fprintf(stderr, "plugin host: %s\n", err);
        return 1;
    }
    int rc = isolate_sandbox_apply(err, sizeof err);
    if (rc == GW_EUNSUPPORTED)
        fprintf(stderr, "plugin host: %s; running without a filter\n", err);
    else if (rc != 0) {
        fprintf(stderr, "plugin host: %s\n", err);
        return 1;
    }
    child c = {.fd = fd};
    child_host_init(&c);
    if ((c.plugin = load(so_path)) == NULL)
        return 1;
    int status = serve(&c);
    if (c.inst != NULL && c.plugin->destroy != NULL)
        c.plugin->destroy(c.inst);
    child_flush(&c);
    release(&c);
    return status;
}
