/* cli_plugin_check.h - `gateway plugin-check FILE.so [--options FILE.toml]
 * [--fake URL]`: the plugin contract checker (core/check/) from the
 * command line. --fake URL is put in the environment as FAKE_URL, so an
 * options file points the plugin at a fake network with
 * base_url = "${FAKE_URL}".
 *
 * Exit codes: 0 no breach, 1 breaches (one line each), 2 bad usage or an
 * options file the plugin's declaration refuses.
 */
#ifndef GW_CLI_PLUGIN_CHECK_H
#define GW_CLI_PLUGIN_CHECK_H

#include "cli/args.h"

/* Run `plugin-check` (options and arguments as parsed against commands.c's
 * table; borrowed). Returns the process exit code. */
int cli_plugin_check_main(const cli_parsed *p);

#endif /* GW_CLI_PLUGIN_CHECK_H */
