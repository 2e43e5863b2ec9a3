/* config_internal.h - what config.c and config_document.c share: the walk
 * over a parsed document that fills a gw_config's sections. Not for other
 * modules: they use config.h.
 */
#ifndef GW_CONFIG_INTERNAL_H
#define GW_CONFIG_INTERNAL_H

#include "config/config_errors.h"

/* config.h's type (not included: config.c includes this file, and the two
 * would include each other) */
typedef struct gw_config gw_config;

/* Check cfg->doc against the declared keys of every section and fill
 * cfg's sections (gateway, http, api, service, accounts, sinks, triage,
 * rules), each error going to c. Returns 0; or after reporting, GW_EINVAL
 * (or another negative code a section returned), with every section
 * still checked; or GW_ENOMEM at once. Whatever was filled is cfg's, to
 * be freed by config_free, on failure too. */
int config_document_validate(cfg_ctx *c, gw_config *cfg);

#endif /* GW_CONFIG_INTERNAL_H */
