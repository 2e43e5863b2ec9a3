/* outbox_final.c - an action's final state (see outbox_internal.h): the
 * row's succeeded or failed, and the action.succeeded / action.failed
 * event that puts it in the stream, what a help desk reads to learn that
 * its answer reached the customer, or why not. outbox.c decides when.
 */
#include "engine/outbox_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"

/* Only an http(s) URL without spaces may become the event's "url" (the
 * schema's format); anything else stays in detail only. */
static int url_is_linkable(const char *url)
{
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return 0;
    return strpbrk(url, " \t\r\n") == NULL;
}

/* The event. Ownership: a new object (the caller passes it on or decrefs
 * it), NULL when out of memory. */
static json_t *outcome_event(const outbox_outcome *o)
{
    char native[96];
    snprintf(native, sizeof native, "action:%s", o->id);
    json_t *detail =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "action_id", o->id, "kind",
                  outbox_kind_name(o->kind), "idempotency_key", o->key, "in_reply_to",
                  outbox_string_or_null(o->reply_native), "native_id",
                  outbox_string_or_null(o->result_native), "url", outbox_string_or_null(o->url),
                  "to", outbox_string_or_null(o->recipient), "attempts",
                  (json_int_t)(o->attempts ? o->attempts : 1));
    if (detail == NULL)
        return NULL;
    if (!o->succeeded &&
        (json_object_set_new(detail, "reason", json_string(o->reason ? o->reason : "")) ||
         json_object_set_new(detail, "outcome_unknown", json_boolean(o->outcome_unknown)))) {
        json_decref(detail);
        return NULL;
    }
    /* The event mirrors the answer: a public reply is public, a private
     * message private, so a consumer can tell what the customer saw. */
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "type",
                  o->succeeded ? "action.succeeded" : "action.failed", "visibility",
                  o->kind == OUTBOX_REPLY ? "public" : "private", "native_id", native, "thread_id",
                  outbox_string_or_null(o->thread), "in_reply_to",
                  outbox_string_or_null(o->reply_native), "text", o->text, "detail", detail);
    if (ev != NULL && o->succeeded && url_is_linkable(o->url) &&
        json_object_set_new(ev, "url", json_string(o->url)) != 0) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

/* The row goes first so that a failure of the append (last) leaves the
 * store's seq counter untouched by the rollback. */
int outbox_write_final(outbox *ob, const outbox_outcome *o)
{
    int rc = outbox_store_final_begin(ob->db);
    if (rc != GW_OK)
        return rc;
    rc = outbox_store_update(ob->db, o->id, o->succeeded ? "succeeded" : "failed", o->attempts,
                             o->next_at_ms, clock_wall_ms(), o->result_native, o->url, o->reason);
    if (rc == GW_OK) {
        json_t *ev = outcome_event(o);
        rc = ev == NULL
                 ? GW_ENOMEM
                 : pipeline_ingest_host_observed(ob->rt->store, o->network, o->account, ev,
                                                 clock_wall_ms(), &ob->events, &ob->rt->observer);
        rc = rc < 0 ? rc : GW_OK;
    }
    outbox_store_final_end(ob->db, rc == GW_OK);
    return rc;
}
