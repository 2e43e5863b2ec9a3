/* webhook.c - the "webhook" sink: events POSTed as JSON to a receiver's
 * URL, signed, one event per request or `batch` of them as an array.
 *
 * Owns: its settings (the secret among them: never logged, never put in a
 * message) and the one request in flight: its body, kept so a retry sends
 * the same bytes under the same Gateway-Delivery id.
 *
 * Asynchronous (sink.h write_async): the request goes out through the
 * host's HTTP client on the loop (sink_io.http_send), and the answer is
 * read by webhook_classify (webhook_sign.c). The retry policy is the
 * dispatcher's backoff; this file only says what an answer means: a
 * refusal (a 4xx other than 408/429) is retried up to max_attempts times
 * for the same batch and then reported for parking. The signature is made
 * afresh per attempt, so its timestamp is the time of that attempt and a
 * receiver's tolerance window holds for retries too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/error.h"
#include "sinks/sink.h"
#include "sinks/webhook_sign.h"

/* A shorter secret is too easy to guess offline from one signed body. */
#define WEBHOOK_MIN_SECRET 16
/* Characters of a refusing answer's body kept in its message. */
#define WEBHOOK_BODY_SNIPPET 200

typedef struct sink_webhook {
    char *url;
    char *secret;
    size_t batch;              /* events per request; 1: a bare object */
    uint64_t timeout_ms;
    unsigned max_attempts;     /* answers refusing one batch before parking */

    /* The batch in flight (one at a time, the dispatcher's promise). */
    sink_done_fn done;
    void *done_arg;
    char *body;
    size_t body_len, body_cap;
    int64_t body_first_seq;    /* body holds this batch; 0: none built */
    int64_t body_last_seq;
    char delivery[192];
    unsigned refused;          /* refusals of the batch in body so far */
    char message[320];
} sink_webhook;

static const gw_option sink_webhook_options[] = {
    {.name = "url",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED,
     .help = "the receiver's http:// or https:// URL events are POSTed to (TLS is always "
             "verified)"},
    {.name = "secret",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED | GW_OPTF_SECRET,
     .help = "the HMAC-SHA256 key of the Gateway-Signature header, at least 16 characters; "
             "write it as \"${ENV_VAR}\""},
    {.name = "batch",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "1",
     .min = 1,
     .max = 1000,
     .help = "events per request: 1 POSTs each event as a JSON object, more POSTs a JSON "
             "array of up to this many"},
    {.name = "timeout",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "10s",
     .min = 100,
     .max = 600000,
     .help = "longest wait for the receiver's answer to one request; then it is retried"},
    {.name = "max_attempts",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "3",
     .min = 1,
     .max = 100,
     .help = "times a request the receiver refuses (a 4xx other than 408 and 429) is sent "
             "before its events are parked as dead letters (gateway deadletter)"},
    {.name = NULL},
};

static void sink_webhook_close(void *state)
{
    sink_webhook *w = state;
    if (w == NULL)
        return;
    free(w->url);
    if (w->secret != NULL)
        memset(w->secret, 0, strlen(w->secret));
    free(w->secret);
    free(w->body);
    free(w);
}

static int sink_webhook_open(const json_t *settings, void **state, char *err, size_t errlen)
{
    const char *url = json_string_value(json_object_get(settings, "url"));
    const char *secret = json_string_value(json_object_get(settings, "secret"));
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        snprintf(err, errlen, "url must start with http:// or https://");
        return GW_EINVAL;
    }
    if (secret == NULL || strlen(secret) < WEBHOOK_MIN_SECRET) {
        snprintf(err, errlen, "secret must be at least %d characters (found %zu)",
                 WEBHOOK_MIN_SECRET, secret ? strlen(secret) : (size_t)0);
        return GW_EINVAL;
    }
    sink_webhook *w = calloc(1, sizeof *w);
    if (w == NULL || (w->url = strdup(url)) == NULL || (w->secret = strdup(secret)) == NULL) {
        sink_webhook_close(w);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    json_int_t batch = json_integer_value(json_object_get(settings, "batch"));
    json_int_t timeout = json_integer_value(json_object_get(settings, "timeout"));
    json_int_t attempts = json_integer_value(json_object_get(settings, "max_attempts"));
    w->batch = batch > 0 ? (size_t)batch : 1;
    w->timeout_ms = timeout > 0 ? (uint64_t)timeout : 10000;
    w->max_attempts = attempts > 0 ? (unsigned)attempts : 3;
    *state = w;
    return GW_OK;
}

static size_t sink_webhook_max_batch(void *state)
{
    return ((sink_webhook *)state)->batch;
}

/* An array's delivery id is "<sink>.<first>-<last>"; one event's is its
 * seq alone, the same whatever the batch around it. */
static int sink_webhook_names_batches(void *state)
{
    return ((sink_webhook *)state)->batch > 1;
}

/* The request body: the one event's line without its '\n', or the lines
 * joined into a JSON array. */
static int build_body(sink_webhook *w, const sink_batch *b)
{
    size_t need = b->len + 2;
    if (need > w->body_cap) {
        char *grown = realloc(w->body, need);
        if (grown == NULL)
            return GW_ENOMEM;
        w->body = grown;
        w->body_cap = need;
    }
    size_t n = 0;
    if (w->batch > 1)
        w->body[n++] = '[';
    const char *p = b->data, *end = b->data + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 1 && w->batch > 1)
            w->body[n++] = ',';
        memcpy(w->body + n, p, len);
        n += len;
        p += len + 1;
    }
    if (w->batch > 1)
        w->body[n++] = ']';
    w->body_len = n;
    return GW_OK;
}

/* The answer's body as one printable line, for the message and the dead
 * letter's reason. */
static void snippet(const gw_http_response *r, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < r->body_len && i < WEBHOOK_BODY_SNIPPET && n + 1 < outlen; i++) {
        unsigned char c = r->body[i];
        out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[n] = '\0';
}

static void on_response(void *arg, const gw_http_response *r)
{
    sink_webhook *w = arg;
    sink_result res = {.rc = GW_OK, .status = r->status};
    char body[WEBHOOK_BODY_SNIPPET + 1];
    switch (webhook_classify(r->status, r->error)) {
    case WEBHOOK_DELIVERED:
        w->refused = 0;
        w->body_first_seq = 0;
        break;
    case WEBHOOK_RETRY:
        res.rc = r->error != 0 ? r->error : GW_EIO;
        res.retry_after_ms = r->retry_after_ms;
        if (r->error != 0)
            snprintf(w->message, sizeof w->message, "no answer from the receiver: %s",
                     r->error_message ? r->error_message : gw_strerror(r->error));
        else
            snprintf(w->message, sizeof w->message, "the receiver answered %d", r->status);
        res.message = w->message;
        break;
    case WEBHOOK_REFUSED:
        w->refused++;
        snippet(r, body, sizeof body);
        snprintf(w->message, sizeof w->message, "the receiver refused it with %d (%u/%u): %s",
                 r->status, w->refused, w->max_attempts, body[0] ? body : "no body");
        res.rc = GW_EINVAL;
        res.message = w->message;
        if (w->refused >= w->max_attempts) {
            res.park = 1;
            w->refused = 0;
            w->body_first_seq = 0;
        }
        break;
    }
    sink_done_fn done = w->done;
    w->done = NULL;
    done(w->done_arg, &res);
}

static int sink_webhook_write_async(void *state, const sink_batch *batch, const sink_io *io,
                                    sink_done_fn done, void *arg, char *err, size_t errlen)
{
    sink_webhook *w = state;
    /* A new batch (not a retry of the one in body): build it, and its
     * refusals start from zero. */
    if (w->body_first_seq != batch->first_seq || w->body_last_seq != batch->last_seq) {
        if (build_body(w, batch) != GW_OK) {
            snprintf(err, errlen, "out of memory");
            return GW_ENOMEM;
        }
        w->body_first_seq = batch->first_seq;
        w->body_last_seq = batch->last_seq;
        w->refused = 0;
        webhook_delivery_id(io->sink_name, batch->first_seq, batch->last_seq, w->batch > 1,
                            w->delivery, sizeof w->delivery);
    }
    char sig[WEBHOOK_SIGNATURE_MAX];
    int rc = webhook_signature(w->secret, strlen(w->secret), (int64_t)time(NULL), w->body,
                               w->body_len, sig, sizeof sig);
    if (rc < 0) {
        snprintf(err, errlen, "cannot sign the request: %s", gw_strerror(rc));
        return rc;
    }
    const gw_http_header headers[] = {
        {"content-type", "application/json"},
        {"gateway-signature", sig},
        {"gateway-delivery", w->delivery},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = "POST",
        .url = w->url,
        .headers = headers,
        .header_count = sizeof headers / sizeof headers[0],
        .body = (const unsigned char *)w->body,
        .body_len = w->body_len,
        .timeout_ms = w->timeout_ms,
    };
    w->done = done;
    w->done_arg = arg;
    rc = io->http_send(io->ctx, &req, on_response, w);
    if (rc < 0) {
        w->done = NULL;
        snprintf(err, errlen, "cannot send the request: %s", gw_strerror(rc));
        return rc;
    }
    return GW_OK;
}

const sink_type sink_webhook_type = {
    .name = "webhook",
    .help = "POST events as signed JSON to an HTTP receiver, in order, retried until it "
            "answers; refused ones are parked as dead letters (at-least-once, with a "
            "stable Gateway-Delivery id)",
    .options = sink_webhook_options,
    .open = sink_webhook_open,
    .reconcile = NULL,
    .write = NULL,
    .write_async = sink_webhook_write_async,
    .max_batch = sink_webhook_max_batch,
    .names_batches = sink_webhook_names_batches,
    .reopen = NULL,
    .close = sink_webhook_close,
};
