/* conversations_api.h - the conversations (the work queue) and contacts
 * over HTTP:
 *   GET  /v1/conversations?state=&sort=priority|id&limit=&cursor=
 *   GET  /v1/conversations/<id>          the conversation, its items and
 *                                        answers in order
 *   POST /v1/conversations/<id>/close
 * (contacts: contacts_api.h). The same bearer token as the action API
 * (api_auth.h); errors are JSON {"error", "message"}; docs/openapi.yaml
 * is the reference. 503 service_disabled when [service] conversations =
 * false.
 */
#ifndef GW_CONVERSATIONS_API_H
#define GW_CONVERSATIONS_API_H

#include <jansson.h>

#include "engine/runtime.h"
#include "http/http_server.h"
#include "store/conv_store.h"

/* Register the routes on rt->server. Returns 0 or a negative GW_E* code. */
int conversations_api_install(gw_runtime *rt);

/* The API's document of one conversation row (a new reference, NULL
 * without memory); shared with the contacts' history. */
json_t *conversations_api_doc(const conv_row *row);

/* 1 when the service is on; else answers 503 and returns 0. */
int conversations_api_enabled(gw_runtime *rt, http_exchange *ex);

#endif /* GW_CONVERSATIONS_API_H */
