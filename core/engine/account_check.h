/* account_check.h - the accounts against the loaded plugins, before
 * anything is opened: the one check `gateway check-config` and
 * `gateway run` share, so a file that passes one passes the other.
 */
#ifndef GW_ACCOUNT_CHECK_H
#define GW_ACCOUNT_CHECK_H

#include "config/config.h"
#include "engine/loader.h"

/* For every [[account]], enabled or not: its network has an accepted
 * plugin in set, its [account.options] pass the plugin's declaration, and
 * the plugin's validate hook (ABI 1.2, when it has one) accepts them.
 * Returns 0, or GW_EINVAL (GW_ENOMEM) with one "file:line:col: key:
 * message" line per problem appended to errs. cfg and set are borrowed. */
int account_check_config(const gw_config *cfg, const plugin_set *set, cfg_errors *errs);

#endif /* GW_ACCOUNT_CHECK_H */
