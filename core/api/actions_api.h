/* actions_api.h - the action API on the embedded HTTP server:
 *   POST /v1/actions        queue an answer (202), or get the action an
 *                           idempotency key already names (200)
 *   GET  /v1/actions/<id>   an action's state and, once done, the
 *                           network's id and URL of the posted item
 *
 * Every request needs "Authorization: Bearer <[api] token>" (compared in
 * constant time, never logged); without a configured token the API is
 * disabled and answers 503 "api_disabled" rather than run open. Errors
 * are JSON {"error": code, "message": text} (plus "action_id" on 409 and
 * "limit"/"length" on text_too_long). A success is answered only after
 * the commit that makes what it reports durable. docs/openapi.yaml is the
 * reference; tests/integration/test_openapi.py checks the real answers
 * against it.
 */
#ifndef GW_ACTIONS_API_H
#define GW_ACTIONS_API_H

#include "engine/runtime.h"

/* Register the routes on rt->server (rt->outbox may be NULL only when the
 * token is not configured). Returns 0 or a negative GW_E* code. */
int actions_api_install(gw_runtime *rt);

#endif /* GW_ACTIONS_API_H */
