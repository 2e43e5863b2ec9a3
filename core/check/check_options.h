/* check_options.h - the account options the checker runs a plugin with:
 * a TOML file whose top-level keys are the [account.options] table,
 * checked against the plugin's declaration by the config layer exactly as
 * gateway.toml's would be (${ENV} expanded, defaults filled), then by the
 * plugin's own validate hook.
 */
#ifndef GW_CHECK_OPTIONS_H
#define GW_CHECK_OPTIONS_H

#include <jansson.h>

#include "gateway/plugin.h"
#include "check/check_report.h"
#include "config/config.h"

/* Load path (NULL: no file, every key takes its default) for desc
 * (borrowed). Returns 0 and sets *out (caller decrefs), and hands every
 * secret option's value to rep; or a negative GW_E* code with one
 * "file:line:col: options.key: message" line per problem in errs. */
int check_options_load(const char *path, const gw_plugin *desc, check_report *rep, json_t **out,
                       cfg_errors *errs);

#endif /* GW_CHECK_OPTIONS_H */
