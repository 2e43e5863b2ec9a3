/* cli_actions.h - `gateway reply` and `gateway dm`: answer a customer from
 * the command line through the running gateway's own action API
 * (POST /v1/actions, then GET /v1/actions/<id> until the outcome is
 * known), with the token from $GATEWAY_API_TOKEN. A blocking libcurl
 * client is fine here: this runs in its own short-lived process, never in
 * the daemon's loop.
 *
 * Exit codes: 0 the answer was posted; 1 refused by the API, failed, or
 * the gateway could not be reached; 2 bad usage; 3 accepted but its
 * outcome is not known yet (--wait ran out, or was 0; the gateway keeps
 * trying).
 */
#ifndef GW_CLI_ACTIONS_H
#define GW_CLI_ACTIONS_H

#include "cli/args.h"

/* How long the commands wait for an outcome without --wait (seconds);
 * commands.c says it in their help. */
#define CLI_ACTIONS_DEFAULT_WAIT_S 30

/* Run p's command, "reply" or "dm" (options and arguments as parsed
 * against commands.c's table; borrowed). p->config_path locates the
 * gateway's address and default account when --url or --account are not
 * given. Returns the process exit code. */
int cli_actions_main(const cli_parsed *p);

#endif /* GW_CLI_ACTIONS_H */
