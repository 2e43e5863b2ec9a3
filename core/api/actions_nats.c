/* actions_nats.c - the action API over NATS; see actions_nats.h.
 *
 * Owns, per nats sink with actions_subject: a libnats table
 * (sinks/nats_lib.h: libnats is loaded only when actions_subject is set),
 * one connection (libnats reconnects it by itself, forever: a
 * request/reply has no order to keep), a queue subscription per account,
 * the requests waiting for the loop and the answers still to send.
 *
 * Lifetime: the subscriptions' callbacks get this struct as closure. They
 * only touch it under its mutex and do nothing once `closed` is set; it
 * is freed only after libnats has called every subscription's completion
 * callback (the delivery thread is then done with it).
 */
#include "api/actions_nats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "api/actions_submit.h"
#include "sinks/nats_lib.h"
#include "sinks/nats_options.h"
#include "sinks/nats_subject.h"

#define COMPONENT "api"
#define QUEUE_GROUP "gateway-actions"
/* How long close waits for libnats to finish with the subscriptions. */
#define CLOSE_WAIT_MS 2000
/* How long close lets the last answers reach the server. */
#define FLUSH_WAIT_MS 1000

typedef struct request {
    struct request *next;
    natsMsg *msg;
} request;

struct actions_nats {
    actions_nats *next; /* the next sink's */
    nats_lib lib;       /* every libnats call; closed with the struct, after
                           the connection and subscriptions are destroyed */
    gw_runtime *rt;
    char *prefix; /* actions_subject */
    char *sink;   /* the sink's name, for the log */
    natsConnection *nc;
    natsSubscription **subs;
    size_t sub_count;
    uv_async_t *wake;
    size_t answers_pending; /* submitted, not yet answered */
    int closing;            /* close waits for answers_pending */

    /* Shared with libnats threads. */
    uv_mutex_t mu;
    uv_cond_t cond; /* subs_open went down */
    int closed;
    size_t subs_open; /* subscriptions not yet completed */
    request *head, *tail;
};

typedef struct reply_to {
    actions_nats *an;
    char subject[];
} reply_to;

/* ---- libnats threads ----------------------------------------------------- */

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    actions_nats *an = closure;
    request *r = malloc(sizeof *r);
    uv_mutex_lock(&an->mu);
    if (an->closed || r == NULL) {
        uv_mutex_unlock(&an->mu);
        free(r);
        an->lib.natsMsg_Destroy(msg);
        return;
    }
    r->next = NULL;
    r->msg = msg;
    if (an->tail != NULL)
        an->tail->next = r;
    else
        an->head = r;
    an->tail = r;
    uv_async_send(an->wake);
    uv_mutex_unlock(&an->mu);
}

static void on_sub_complete(void *closure)
{
    actions_nats *an = closure;
    uv_mutex_lock(&an->mu);
    an->subs_open--;
    uv_cond_signal(&an->cond);
    uv_mutex_unlock(&an->mu);
}

/* ---- the loop ------------------------------------------------------------ */

static void finish_close(actions_nats *an);

static void send_answer(void *arg, int status, const char *json, size_t len, const char *location)
{
    reply_to *to = arg;
    actions_nats *an = to->an;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    natsMsg *m = NULL;
    natsStatus s = an->lib.natsMsg_Create(&m, to->subject, NULL, json, (int)len);
    if (s == NATS_OK)
        s = an->lib.natsMsgHeader_Set(m, "Gateway-Status", code);
    if (s == NATS_OK)
        s = an->lib.natsMsgHeader_Set(m, "Content-Type", "application/json");
    if (s == NATS_OK && location != NULL)
        s = an->lib.natsMsgHeader_Set(m, "Location", location);
    if (s == NATS_OK)
        s = an->lib.natsConnection_PublishMsg(an->nc, m);
    if (s != NATS_OK)
        log_warn(&an->rt->log, COMPONENT, "sink %s: could not answer an action request (%d): %s",
                 an->sink, status, an->lib.natsStatus_GetText(s));
    an->lib.natsMsg_Destroy(m);
    free(to);
    an->answers_pending--;
    if (an->closing && an->answers_pending == 0)
        finish_close(an);
}

/* A subject's tokens after the prefix must name the account the body
 * names: a worker cannot post for one account through another's subject. */
static int subject_matches_body(const actions_nats *an, const char *subject, const natsMsg *msg,
                                char *why, size_t whylen)
{
    json_t *body = json_loadb(an->lib.natsMsg_GetData(msg),
                              (size_t)an->lib.natsMsg_GetDataLength(msg), 0, NULL);
    const char *network = json_string_value(json_object_get(body, "network"));
    const char *account = json_string_value(json_object_get(body, "account"));
    int ok = 1;
    if (network != NULL && account != NULL) {
        char want[NATS_SUBJECT_MAX], net[NATS_SUBJECT_MAX / 4], acct[NATS_SUBJECT_MAX / 4];
        if (nats_subject_token(network, net, sizeof net) < 0 ||
            nats_subject_token(account, acct, sizeof acct) < 0)
            net[0] = acct[0] = '\0';
        snprintf(want, sizeof want, "%s.%s.%s", an->prefix, net, acct);
        if (strcmp(want, subject) != 0) {
            snprintf(why, whylen,
                     "the body names network \"%.64s\", account \"%.64s\": send it on %.200s",
                     network, account, want);
            ok = 0;
        }
    }
    json_decref(body);
    return ok;
}

static void handle(actions_nats *an, natsMsg *msg)
{
    const char *reply = an->lib.natsMsg_GetReply(msg);
    if (reply == NULL || reply[0] == '\0') {
        log_warn(&an->rt->log, COMPONENT,
                 "sink %s: an action request on %s without a reply subject was ignored (send "
                 "it as a request)",
                 an->sink, an->lib.natsMsg_GetSubject(msg));
        return;
    }
    size_t n = strlen(reply);
    reply_to *to = malloc(sizeof *to + n + 1);
    if (to == NULL)
        return;
    to->an = an;
    memcpy(to->subject, reply, n + 1);
    an->answers_pending++;
    char why[400];
    if (!subject_matches_body(an, an->lib.natsMsg_GetSubject(msg), msg, why, sizeof why)) {
        actions_answer_error(400, "invalid_request", why, send_answer, to);
        return;
    }
    const char *key = NULL;
    if (an->lib.natsMsgHeader_Get(msg, "Idempotency-Key", &key) != NATS_OK)
        key = NULL;
    actions_submit(an->rt, (const unsigned char *)an->lib.natsMsg_GetData(msg),
                   (size_t)an->lib.natsMsg_GetDataLength(msg), key, send_answer, to);
}

static void on_wake(uv_async_t *a)
{
    actions_nats *an = a->data;
    uv_mutex_lock(&an->mu);
    request *r = an->head;
    an->head = an->tail = NULL;
    uv_mutex_unlock(&an->mu);
    while (r != NULL) {
        request *next = r->next;
        if (!an->closing)
            handle(an, r->msg);
        an->lib.natsMsg_Destroy(r->msg);
        free(r);
        r = next;
    }
}

static void free_cb(uv_handle_t *h)
{
    actions_nats *an = h->data;
    free(h);
    if (an == NULL) /* kept: a delivery thread may still hold it */
        return;
    uv_cond_destroy(&an->cond);
    uv_mutex_destroy(&an->mu);
    nats_lib_close(&an->lib); /* finish_close destroyed all it made */
    free(an->subs);
    free(an->prefix);
    free(an->sink);
    free(an);
}

/* Unsubscribe, wait for libnats to let go, then free. */
static void finish_close(actions_nats *an)
{
    uv_mutex_lock(&an->mu);
    an->closed = 1;
    uv_mutex_unlock(&an->mu);
    for (size_t i = 0; i < an->sub_count; i++)
        an->lib.natsSubscription_Unsubscribe(an->subs[i]);
    uint64_t deadline = uv_hrtime() + (uint64_t)CLOSE_WAIT_MS * 1000000u;
    uv_mutex_lock(&an->mu);
    while (an->subs_open > 0 && uv_hrtime() < deadline)
        uv_cond_timedwait(&an->cond, &an->mu, 10 * 1000000u);
    size_t left = an->subs_open;
    request *r = an->head;
    an->head = an->tail = NULL;
    uv_mutex_unlock(&an->mu);
    for (; r != NULL; r = r->next)
        an->lib.natsMsg_Destroy(r->msg);
    for (size_t i = 0; i < an->sub_count; i++)
        an->lib.natsSubscription_Destroy(an->subs[i]);
    if (an->nc != NULL && an->lib.natsConnection_Status(an->nc) == NATS_CONN_STATUS_CONNECTED)
        an->lib.natsConnection_FlushTimeout(an->nc, FLUSH_WAIT_MS);
    an->lib.natsConnection_Destroy(an->nc);
    an->nc = NULL;
    if (left > 0) {
        /* A delivery thread may still hold it: keep it rather than free
         * memory a callback could touch (closed: it no longer wakes us). */
        log_warn(&an->rt->log, COMPONENT, "sink %s: NATS subscriptions did not close in time",
                 an->sink);
        an->wake->data = NULL;
    }
    uv_close((uv_handle_t *)an->wake, free_cb);
}

void actions_nats_close(actions_nats *an)
{
    while (an != NULL) {
        actions_nats *next = an->next;
        an->next = NULL;
        an->closing = 1;
        if (an->answers_pending == 0)
            finish_close(an);
        an = next;
    }
}

/* Subscribe for every account of the gateway. */
static int subscribe_all(actions_nats *an, char *err, size_t errlen)
{
    const gw_config *cfg = an->rt->cfg;
    an->subs = calloc(cfg->account_count ? cfg->account_count : 1, sizeof *an->subs);
    if (an->subs == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < cfg->account_count; i++) {
        char net[NATS_SUBJECT_MAX / 4], acct[NATS_SUBJECT_MAX / 4], subject[NATS_SUBJECT_MAX];
        if (nats_subject_token(cfg->accounts[i].network, net, sizeof net) < 0 ||
            nats_subject_token(cfg->accounts[i].name, acct, sizeof acct) < 0) {
            snprintf(err, errlen, "account %s is too long for a subject", cfg->accounts[i].name);
            return GW_EINVAL;
        }
        snprintf(subject, sizeof subject, "%s.%s.%s", an->prefix, net, acct);
        natsSubscription *sub = NULL;
        natsStatus s = an->lib.natsConnection_QueueSubscribe(&sub, an->nc, subject, QUEUE_GROUP,
                                                             on_request, an);
        if (s == NATS_OK) {
            uv_mutex_lock(&an->mu);
            an->subs_open++;
            uv_mutex_unlock(&an->mu);
            an->subs[an->sub_count++] = sub;
            s = an->lib.natsSubscription_SetOnCompleteCB(sub, on_sub_complete, an);
        }
        if (s != NATS_OK) {
            char why[240];
            nats_options_describe(&an->lib, s, why, sizeof why);
            snprintf(err, errlen, "cannot subscribe to %.150s: %.120s", subject, why);
            return GW_EIO;
        }
    }
    return GW_OK;
}

static int open_one(gw_runtime *rt, const cfg_sink *sk, const char *prefix, actions_nats **out,
                    char *err, size_t errlen)
{
    actions_nats *an = calloc(1, sizeof *an);
    uv_async_t *wake = calloc(1, sizeof *wake);
    if (an == NULL || wake == NULL || (an->prefix = strdup(prefix)) == NULL ||
        (an->sink = strdup(sk->name)) == NULL) {
        if (an != NULL)
            free(an->prefix);
        free(an);
        free(wake);
        return GW_ENOMEM;
    }
    /* Before anything that needs closing: finish_close calls libnats. */
    char why[300];
    int rc = nats_lib_open(&an->lib, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "sink \"%s\": actions_subject: %s", sk->name, why);
        free(an->prefix);
        free(an->sink);
        free(an);
        free(wake);
        return rc;
    }
    an->rt = rt;
    uv_mutex_init(&an->mu);
    uv_cond_init(&an->cond);
    uv_async_init(&rt->loop, wake, on_wake);
    wake->data = an;
    an->wake = wake;
    *out = an; /* closed by the caller from here on, whatever fails */

    natsOptions *o = NULL;
    rc = nats_options_new(&an->lib, sk->settings, "social-gateway-actions", 1, &o, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "sink \"%s\": actions_subject: %s", sk->name, why);
        return rc;
    }
    /* A broker that is down now is normal: libnats connects later and
     * sends the subscriptions then. */
    natsStatus s = an->lib.natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
    if (s == NATS_OK)
        s = an->lib.natsConnection_Connect(&an->nc, o);
    an->lib.natsOptions_Destroy(o);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
        nats_options_describe(&an->lib, s, why, sizeof why);
        snprintf(err, errlen, "sink \"%s\": actions_subject: cannot connect: %s", sk->name, why);
        return GW_EIO;
    }
    if (s == NATS_NOT_YET_CONNECTED)
        log_warn(&rt->log, COMPONENT,
                 "sink %s: the NATS server is not reachable yet; action requests are taken once "
                 "it is",
                 sk->name);
    if ((rc = subscribe_all(an, why, sizeof why)) != GW_OK) {
        snprintf(err, errlen, "sink \"%s\": actions_subject: %s", sk->name, why);
        return rc;
    }
    log_info(&rt->log, COMPONENT,
             "sink %s: action requests over NATS on %s.<network>.<account> "
             "(%zu account%s)",
             sk->name, prefix, an->sub_count, an->sub_count == 1 ? "" : "s");
    return GW_OK;
}

int actions_nats_open(gw_runtime *rt, actions_nats **out, char *err, size_t errlen)
{
    const gw_config *cfg = rt->cfg;
    *out = NULL;
    for (size_t i = 0; i < cfg->sink_count; i++) {
        const cfg_sink *sk = &cfg->sinks[i];
        const char *prefix = json_string_value(json_object_get(sk->settings, "actions_subject"));
        if (strcmp(sk->type, "nats") != 0 || prefix == NULL || prefix[0] == '\0')
            continue;
        actions_nats *an = NULL;
        int rc = open_one(rt, sk, prefix, &an, err, errlen);
        if (an != NULL) {
            an->next = *out;
            *out = an;
        }
        if (rc != GW_OK) {
            if (rc == GW_ENOMEM)
                snprintf(err, errlen, "out of memory");
            actions_nats_close(*out);
            *out = NULL;
            return rc;
        }
    }
    return GW_OK;
}
