/* config_reference.h - the generated configuration reference
 * (config_reference.c); public through config/config.h.
 */
#ifndef GW_CONFIG_REFERENCE_H
#define GW_CONFIG_REFERENCE_H

#include <stddef.h>
#include <stdio.h>

#include "gateway/plugin.h"

/* Write docs/configuration.md: every core section, every sink type and
 * every given plugin's options (sorted by name), from their
 * declarations. Returns 0, GW_ENOMEM, or GW_EIO when writing failed. */
int config_write_reference(FILE *out, const gw_plugin *const *plugins, size_t plugin_count);

#endif /* GW_CONFIG_REFERENCE_H */
