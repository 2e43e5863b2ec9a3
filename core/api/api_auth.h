/* api_auth.h - the bearer token check shared by the gateway's
 * authenticated APIs (/v1/actions: actions_api.c, /v1/accounts:
 * accounts_api.c), so both refuse the same way.
 */
#ifndef GW_API_AUTH_H
#define GW_API_AUTH_H

#include "engine/runtime.h"
#include "http/http_server.h"

/* Check "Authorization: Bearer <[api] token>" (in constant time; what was
 * sent is never logged). Returns 1 when the request may go on; otherwise
 * it has been answered: 503 api_disabled without a configured token, 401
 * with WWW-Authenticate for a missing or wrong one. */
int api_authorize(gw_runtime *rt, http_exchange *ex);

#endif /* GW_API_AUTH_H */
