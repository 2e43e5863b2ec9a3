/* outbox_write.c - an action's row as it is written (see
 * outbox_internal.h): its state at each attempt, and a final state
 * (succeeded or failed) with the action.succeeded / action.failed event
 * that puts it in the stream, what a help desk reads to learn that its
 * answer reached the customer, or why not. outbox.c decides when.
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
static json_t *outcome_event(const outbox_action *a, int succeeded, const char *result_native,
                             const char *url, const char *reason, int outcome_unknown)
{
    char native[96];
    snprintf(native, sizeof native, "action:%s", a->id);
    json_t *detail = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "action_id", a->id, "kind",
        outbox_kind_name(a->kind), "idempotency_key", a->key, "in_reply_to",
        outbox_string_or_null(a->reply_native), "native_id", outbox_string_or_null(result_native),
        "url", outbox_string_or_null(url), "to", outbox_string_or_null(a->recipient), "attempts",
        (json_int_t)(a->attempts ? a->attempts : 1));
    if (detail == NULL)
        return NULL;
    if (!succeeded &&
        (json_object_set_new(detail, "reason", json_string(reason ? reason : "")) ||
         json_object_set_new(detail, "outcome_unknown", json_boolean(outcome_unknown)))) {
        json_decref(detail);
        return NULL;
    }
    /* The event mirrors the answer: a public reply is public, a private
     * message private, so a consumer can tell what the customer saw. */
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "type",
                  succeeded ? "action.succeeded" : "action.failed", "visibility",
                  a->kind == OUTBOX_REPLY ? "public" : "private", "native_id", native, "thread_id",
                  outbox_string_or_null(a->thread), "in_reply_to",
                  outbox_string_or_null(a->reply_native), "text", a->text, "detail", detail);
    if (ev != NULL && succeeded && url_is_linkable(url) &&
        json_object_set_new(ev, "url", json_string(url)) != 0) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

int outbox_write_state(const outbox_action *a, action_state state)
{
    return outbox_store_update(a->ob->db, a->id, outbox_state_name(state), a->attempts,
                               a->next_at_ms, clock_wall_ms(), NULL, NULL, NULL);
}

/* The row goes first so that a failure of the append (last) leaves the
 * store's seq counter untouched by the rollback. */
int outbox_write_final(const outbox_action *a, int succeeded, const char *result_native,
                       const char *url, const char *reason, int outcome_unknown)
{
    outbox *ob = a->ob;
    int rc = outbox_store_final_begin(ob->db);
    if (rc != GW_OK)
        return rc;
    rc = outbox_store_update(ob->db, a->id, outbox_state_name(succeeded ? ST_SUCCEEDED : ST_FAILED),
                             a->attempts, a->next_at_ms, clock_wall_ms(), result_native, url,
                             reason);
    if (rc == GW_OK) {
        json_t *ev = outcome_event(a, succeeded, result_native, url, reason, outcome_unknown);
        rc = ev == NULL
                 ? GW_ENOMEM
                 : pipeline_ingest_host_observed(ob->rt->store, a->network, a->account, ev,
                                                 clock_wall_ms(), &ob->events, &ob->rt->observer);
        rc = rc < 0 ? rc : GW_OK;
    }
    outbox_store_final_end(ob->db, rc == GW_OK);
    return rc;
}
