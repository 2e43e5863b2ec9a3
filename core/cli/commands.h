/* commands.h - the gateway's command line as the user sees it: every
 * command's name, options, arguments and help text, in one table that the
 * parser (args.c) reads and main.c dispatches on. What a command does is
 * elsewhere: main.c (run, check-config, plugins, config-docs) and
 * cli_actions.c (reply, dm).
 */
#ifndef GW_CLI_COMMANDS_H
#define GW_CLI_COMMANDS_H

#include "cli/args.h"

/* The `gateway` program: its commands, "run" the default. */
extern const cli_program cli_gateway;

#endif /* GW_CLI_COMMANDS_H */
