/* cli_triage.h - `gateway triage "text"`: the tags and reasons triage
 * gives a sample item, from the configuration's [triage] and [[rule]]
 * tables (-c FILE, else ./gateway.toml when there is one, else the
 * defaults), without running the gateway, so a team can tune its rules
 * and lexicons. --json prints the tags object as the event would carry it.
 *
 * Exit codes: 0 printed; 2 bad usage or a bad configuration (rules,
 * lexicons).
 */
#ifndef GW_CLI_TRIAGE_H
#define GW_CLI_TRIAGE_H

#include "cli/args.h"

/* Run `triage` (options and arguments as parsed against commands.c's
 * table; borrowed). Returns the process exit code. */
int cli_triage_main(const cli_parsed *p);

#endif /* GW_CLI_TRIAGE_H */
