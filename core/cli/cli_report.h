/* cli_report.h - `gateway report [--since 7d] [--json]`: response times
 * from the conversations table, read-only, also while the gateway runs:
 * per network and per priority, the conversations, the share answered,
 * the share answered within [service] target, and the median and 90th
 * percentile of the first response (nearest rank, wall-clock time from
 * the first customer item to the first answer).
 */
#ifndef GW_CLI_REPORT_H
#define GW_CLI_REPORT_H

#include "cli/args.h"

/* Run the command; returns the exit code (0 printed, 1 the database could
 * not be read, 2 bad usage or configuration). */
int cli_report_main(const cli_parsed *p);

#endif /* GW_CLI_REPORT_H */
