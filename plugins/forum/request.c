/* plugins/forum/request.c - jobs, requests to the forum, reading answers.
 *
 * A job is one hook call that needs several requests (a fetch walks pages;
 * a reply may first look its parent up). It owns its op until it
 * completes it, sits on the instance's list while a request is in flight
 * so destroy() can free it (the host cancels the request without calling
 * back), and has at most one request in flight.
 *
 * Every request carries Api-Key and Api-Username (Discourse takes no
 * credentials in the query string), Accept: application/json, and for a
 * body Content-Type: application/json. The host redacts these headers
 * from its logs; this file never logs them.
 *
 * Reading an answer maps it to what the hook should do, the same way for
 * every request: 2xx with a JSON object -> OK; 429 -> RETRY no earlier
 * than the host's reading of Retry-After (else the body's wait_seconds);
 * 5xx and transport errors -> the host's suggestion; 401/403/404/422 and
 * other 4xx -> FATAL with the forum's own error text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

void forum_job_attach(gw_instance *inst, forum_job *job)
{
    job->inst = inst;
    job->prev = NULL;
    job->next = inst->jobs;
    if (inst->jobs != NULL)
        inst->jobs->prev = job;
    inst->jobs = job;
}

static void job_detach(forum_job *job)
{
    gw_instance *inst = job->inst;
    if (job->prev != NULL)
        job->prev->next = job->next;
    else if (inst->jobs == job)
        inst->jobs = job->next;
    if (job->next != NULL)
        job->next->prev = job->prev;
    job->prev = job->next = NULL;
    if (inst->fetch == job)
        inst->fetch = NULL;
}

void forum_job_finish(forum_job *job, gw_outcome outcome, uint64_t delay_ms, const char *message,
                      json_t *result)
{
    const gw_host *host = job->inst->host;
    gw_op *op = job->op;
    /* message may point into the job (a reply's text): copy it out. */
    char line[320];
    gw_sdk_str_copy(line, sizeof line, message);
    job_detach(job);
    job->free_job(job);
    host->complete(op, outcome, delay_ms, message != NULL ? line : NULL, result);
}

void forum_jobs_free_all(gw_instance *inst)
{
    while (inst->jobs != NULL) {
        forum_job *job = inst->jobs;
        job_detach(job);
        job->free_job(job);
    }
}

static void job_http_cb(void *arg, const gw_http_response *response)
{
    forum_job *job = arg;
    job->on_response(job, response);
}

int forum_job_send(forum_job *job, const char *method, const char *path, const json_t *body)
{
    gw_instance *inst = job->inst;
    char url[4096];
    int n = snprintf(url, sizeof url, "%s%s", inst->opt.base, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return GW_ERANGE;
    char *payload = NULL;
    if (body != NULL) {
        payload = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (payload == NULL)
            return GW_ENOMEM;
    }
    gw_http_header headers[] = {
        {"Api-Key", inst->opt.api_key},
        {"Api-Username", inst->opt.api_username},
        {"Accept", "application/json"},
        {"Content-Type", "application/json"},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = payload != NULL ? 4 : 3,
        .body = (const unsigned char *)payload,
        .body_len = payload != NULL ? strlen(payload) : 0,
        .timeout_ms = inst->opt.request_timeout_ms,
    };
    /* The host copies the request: the body can go at once. */
    int rc = inst->host->http_request(inst->acct, &req, job_http_cb, job);
    free(payload);
    return rc;
}

/* The forum's error text: {"errors": ["...", ...]} joined by "; ", or
 * {"error": "..."}; "" when the body says nothing. */
static void error_text(const json_t *doc, char *buf, size_t buflen)
{
    buf[0] = '\0';
    const json_t *errors = json_object_get(doc, "errors");
    size_t used = 0, i;
    const json_t *item;
    json_array_foreach(errors, i, item)
    {
        const char *s = json_string_value(item);
        if (s == NULL || used + 3 >= buflen)
            continue;
        if (used > 0) {
            memcpy(buf + used, "; ", 3);
            used += 2;
        }
        gw_sdk_str_copy(buf + used, buflen - used, s);
        used = strlen(buf);
    }
    if (used == 0)
        gw_sdk_str_copy(buf, buflen, gw_sdk_json_string(doc, "error", ""));
}

void forum_reply_read(const gw_http_response *r, const char *what, forum_reply *out)
{
    memset(out, 0, sizeof *out);
    out->status = r->status;
    if (r->error != 0 || r->status == 0) {
        out->outcome = r->suggested == GW_OUTCOME_OK ? GW_OUTCOME_RETRY : r->suggested;
        out->delay_ms = r->retry_after_ms;
        snprintf(out->message, sizeof out->message, "%s: %s", what,
                 r->error_message != NULL ? r->error_message : "no answer");
        return;
    }
    json_error_t jerr;
    memset(&jerr, 0, sizeof jerr);
    snprintf(jerr.text, sizeof jerr.text, "empty body");
    if (r->body != NULL && r->body_len > 0)
        out->doc = json_loadb((const char *)r->body, r->body_len, 0, &jerr);
    char detail[192];
    error_text(out->doc, detail, sizeof detail);

    if (r->status >= 200 && r->status < 300) {
        if (json_is_object(out->doc)) {
            out->outcome = GW_OUTCOME_OK;
            return;
        }
        /* A proxy's HTML page, a cut body: the forum will likely answer
         * properly soon; the host's backoff decides how soon. */
        out->outcome = GW_OUTCOME_RETRY;
        out->delay_ms = 0;
        if (out->doc == NULL)
            snprintf(out->message, sizeof out->message,
                     "%s: %d with a malformed JSON body (line %d column %d: %s)", what, r->status,
                     jerr.line, jerr.column, jerr.text);
        else
            snprintf(out->message, sizeof out->message,
                     "%s: %d with a JSON body that is not an "
                     "object",
                     what, r->status);
        return;
    }
    if (r->status == 429) {
        out->outcome = GW_OUTCOME_RETRY;
        out->delay_ms = r->retry_after_ms;
        if (out->delay_ms == 0) {
            /* The host read no Retry-After: the body's extras may say. */
            double wait =
                gw_sdk_json_number(json_object_get(out->doc, "extras"), "wait_seconds", 0);
            out->delay_ms =
                wait > 0 && wait < 86400 ? (uint64_t)(wait * 1000.0 + 0.5) : FORUM_RETRY_DEFAULT_MS;
        }
        snprintf(out->message, sizeof out->message, "%s: rate limited (429), next try in %llu ms",
                 what, (unsigned long long)out->delay_ms);
        return;
    }
    if (r->status >= 500) {
        out->outcome = GW_OUTCOME_RETRY;
        out->delay_ms = r->retry_after_ms;
        snprintf(out->message, sizeof out->message, "%s: server error %d%s%s", what, r->status,
                 detail[0] != '\0' ? ": " : "", detail);
        return;
    }
    out->outcome = GW_OUTCOME_FATAL;
    if (r->status == 401)
        snprintf(out->message, sizeof out->message,
                 "%s: 401 Unauthorized: the forum refused api_key / api_username", what);
    else
        snprintf(out->message, sizeof out->message, "%s: %d%s%s", what, r->status,
                 detail[0] != '\0' ? ": " : "", detail);
}

void forum_reply_clear(forum_reply *reply)
{
    json_decref(reply->doc);
    reply->doc = NULL;
}
