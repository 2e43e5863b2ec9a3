/* actions_submit.h - one action request, whatever carried it: the body of
 * POST /v1/actions read, checked and submitted to the outbox, and the
 * answer (status and JSON) made once what it reports is durable. The
 * HTTP route (actions_api.c) and the requests over NATS (actions_nats.c)
 * both go through here, so their answers are the same bytes.
 *
 * Answers: 202 with the action (created), 200 with it (an idempotent
 * repeat), or {"error", "message"} (plus "action_id", "limit", "length"
 * where the refusal has them) with the status docs/openapi.yaml gives.
 * Authentication is the caller's (the bearer token; the broker's).
 */
#ifndef GW_ACTIONS_SUBMIT_H
#define GW_ACTIONS_SUBMIT_H

#include <stddef.h>

#include <jansson.h>

#include "engine/runtime.h"

/* Receives the answer: status, the JSON body (len bytes, borrowed for the
 * call) and the Location path of the action, or NULL. Runs exactly once
 * per request, on the loop, maybe later than the submit call. */
typedef void (*actions_answer_fn)(void *arg, int status, const char *json, size_t len,
                                  const char *location);

/* Handle one request body (borrowed). idempotency_key: a key that came
 * beside the body (the Idempotency-Key header of a NATS request), or
 * NULL; it stands for a missing "idempotency_key" member and must equal
 * one that is present. */
void actions_submit(gw_runtime *rt, const unsigned char *body, size_t len,
                    const char *idempotency_key, actions_answer_fn answer, void *arg);

/* Answer body (steals) with status after the next commit (503
 * store_unavailable if it fails); action_id: for the Location, or NULL. */
void actions_answer_after_commit(gw_runtime *rt, int status, json_t *body, const char *action_id,
                                 actions_answer_fn answer, void *arg);

/* Answer {"error": code, "message": message} now. */
void actions_answer_error(int status, const char *code, const char *message,
                          actions_answer_fn answer, void *arg);

#endif /* GW_ACTIONS_SUBMIT_H */
