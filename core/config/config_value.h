/* config_value.h - checking one value of gateway.toml against its key's
 * declaration (type, ${ENV}, units, bounds, allowed values, paths) and
 * turning it into the normalized JSON the rest of the gateway reads.
 */
#ifndef GW_CONFIG_VALUE_H
#define GW_CONFIG_VALUE_H

#include <jansson.h>

#include "gateway/plugin.h"
#include "config/config_errors.h"
#include "config/toml.h"

/* Check the value v of the key declared by o; path names the key in
 * messages. Returns 0 and sets *out (a new reference: strings with ${ENV}
 * expanded and paths resolved against c->dir, durations in ms, sizes in
 * bytes), GW_EINVAL after reporting to c, or GW_ENOMEM. */
int config_value_check(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                       json_t **out);

/* Check o's declared default exactly as if the user had written it, so a
 * default follows the same rules (units, ${ENV}, path resolution); a
 * broken default, a bug in the declaration, is reported without a
 * position. Returns as config_value_check. */
int config_value_default(cfg_ctx *c, const gw_option *o, const char *path, json_t **out);

#endif /* GW_CONFIG_VALUE_H */
