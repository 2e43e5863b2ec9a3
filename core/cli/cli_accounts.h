/* cli_accounts.h - `gateway accounts` (one line per configured account:
 * its state, consecutive failures, next retry and last error) and
 * `gateway accounts restart NETWORK/NAME` (close the circuit breaker of a
 * stopped account), through the running gateway's accounts API
 * (GET /v1/accounts, POST /v1/accounts/<network>/<name>/restart).
 *
 * The token is $GATEWAY_API_TOKEN, else the configuration's [api] token;
 * the address is --url, else [http] listen.
 *
 * Exit codes: 0 listed, or restarted (or it was not stopped); 1 refused
 * by the API or the gateway could not be reached; 2 bad usage.
 */
#ifndef GW_CLI_ACCOUNTS_H
#define GW_CLI_ACCOUNTS_H

#include "cli/args.h"

/* Run `accounts` (options and arguments as parsed against commands.c's
 * table; borrowed). Returns the process exit code. */
int cli_accounts_main(const cli_parsed *p);

#endif /* GW_CLI_ACCOUNTS_H */
