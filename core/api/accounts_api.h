/* accounts_api.h - the accounts API on the embedded HTTP server:
 *   GET  /v1/accounts                            every configured account:
 *        its state (running, credentials_failing, stopped, disabled,
 *        not_started), last error, consecutive failures and next retry
 *   POST /v1/accounts/<network>/<name>/restart   close the circuit breaker
 *        of a stopped account and fetch again (200 with the account)
 *
 * The same bearer token as the action API (api_auth.h). Errors are JSON
 * {"error": code, "message": text}. docs/openapi.yaml is the reference.
 */
#ifndef GW_ACCOUNTS_API_H
#define GW_ACCOUNTS_API_H

#include "engine/runtime.h"

/* Register the routes on rt->server. Returns 0 or a negative GW_E* code. */
int accounts_api_install(gw_runtime *rt);

#endif /* GW_ACCOUNTS_API_H */
