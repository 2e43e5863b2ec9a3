/* actions_request.h - the body of one action request (POST /v1/actions, or
 * a request over NATS) read and checked, without the runtime: the JSON,
 * its members, their types and bounds, the combinations a kind allows,
 * and an Idempotency-Key given beside the body. What the action names
 * (the account, the event answered, the text's length on the network)
 * is the outbox's to judge (outbox_submit).
 */
#ifndef GW_ACTIONS_REQUEST_H
#define GW_ACTIONS_REQUEST_H

#include <stddef.h>

#include <jansson.h>

#include "engine/outbox_submit.h"

/* Read raw (len bytes, borrowed) into *req. idempotency_key: a key that
 * came beside the body, or NULL; it stands for a missing
 * "idempotency_key" member and must equal one that is present.
 * Returns 0 with *body_out the parsed body (caller decrefs it, and only
 * after the last use of req, whose strings it owns), or 1 with
 * *body_out NULL, *code the error code of the 400 answer ("invalid_json"
 * or "invalid_request", static) and a one-line reason in why (whylen
 * bytes, always NUL-terminated). */
int actions_request_parse(const unsigned char *raw, size_t len, const char *idempotency_key,
                          json_t **body_out, outbox_request *req, const char **code, char *why,
                          size_t whylen);

#endif /* GW_ACTIONS_REQUEST_H */
