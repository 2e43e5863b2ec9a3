/* deadletters_api.h - the dead letters on the embedded HTTP server (what
 * `gateway deadletter` calls):
 *   GET    /v1/deadletters[?sink=NAME&after=ID&limit=N]  parked events,
 *          oldest first, without their bodies; next_after pages on
 *   GET    /v1/deadletters/<id>           one, with the event
 *   POST   /v1/deadletters/<id>/replay    send it to its sink again, before
 *          the sink's next batch (202; the row goes once delivered)
 *   DELETE /v1/deadletters/<id>           forget it
 *
 * The same bearer token as the action API (api_auth.h). Writes answer
 * after they are durable. Errors are JSON {"error": code, "message":
 * text}. docs/openapi.yaml is the reference.
 */
#ifndef GW_DEADLETTERS_API_H
#define GW_DEADLETTERS_API_H

#include "engine/runtime.h"

/* Register the routes on rt->server. Returns 0 or a negative GW_E* code. */
int deadletters_api_install(gw_runtime *rt);

#endif /* GW_DEADLETTERS_API_H */
