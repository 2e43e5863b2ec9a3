/* cli_deadletter.h - `gateway deadletter list|show|replay|drop`: the
 * events a sink's receiver refused for good, through the running
 * gateway's API (/v1/deadletters; the data directory is locked by the
 * running gateway, so the API is the way in).
 *
 *   deadletter [list] [--sink NAME]   one line per dead letter
 *   deadletter show ID                the dead letter and its event, JSON
 *   deadletter replay ID...           send again, before the sink's next
 *                                     batch; the row goes once delivered
 *   deadletter drop ID...             forget
 *
 * The token and address as for `gateway accounts` (cli_http.h).
 * Exit codes: 0 done; 1 refused (an unknown id) or the gateway not
 * reached; 2 bad usage.
 */
#ifndef GW_CLI_DEADLETTER_H
#define GW_CLI_DEADLETTER_H

#include "cli/args.h"

/* Run `deadletter` (parsed against commands.c's table; borrowed).
 * Returns the process exit code. */
int cli_deadletter_main(const cli_parsed *p);

#endif /* GW_CLI_DEADLETTER_H */
