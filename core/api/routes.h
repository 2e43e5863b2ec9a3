/* routes.h - the gateway's own HTTP endpoints on the embedded server:
 *   GET  /healthz                        the process answers
 *   GET  /readyz                         store open, every account started
 *   GET  /metrics                        Prometheus text
 *   GET|POST /webhooks/<network>/<account>  handed to that plugin
 *   POST /v1/actions, GET /v1/actions/<id>  the action API (actions_api.h)
 *   GET  /v1/accounts...                 accounts (accounts_api.h)
 *   GET  /v1/events                      the live event stream (events_api.h)
 */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include "engine/runtime.h"

/* Register every route on rt->server. Returns 0 or a negative GW_E*. */
int routes_install(gw_runtime *rt);

#endif /* GW_ROUTES_H */
