/* config_schema.h - internal to the config layer: the declarations of the
 * core sections, which the loader (config.c) validates against and the
 * reference (config_reference.c) renders; nothing outside core/config/
 * includes it. How a type is named and a bound written, shared by both so
 * a message and the docs use the same words, is config_types.h.
 */
#ifndef GW_CONFIG_SCHEMA_H
#define GW_CONFIG_SCHEMA_H

#include <stddef.h>

#include "gateway/plugin.h"

/* Declared keys of the core sections, each ended by a NULL name. */
extern const gw_option config_gateway_options[];
extern const gw_option config_account_options[];
extern const gw_option config_http_options[];
extern const gw_option config_service_options[]; /* [service]: conversations */
extern const gw_option config_api_options[]; /* [api]: the action API (actions work item) */
extern const gw_option config_triage_options[]; /* [triage]: enrichment (core/triage/) */
extern const gw_option config_rule_options[];   /* [[rule]]: triage priority rules */
/* Keys every [[sink]] has; a sink type adds its own. The "type" entry has
 * no allowed list here because the list comes from sink_types() at run
 * time: use config_sink_common_options() to get a filled copy. */
extern const gw_option config_sink_options[];

/* The key of [[account]] that is kept raw for the plugin to validate. */
#define CONFIG_ACCOUNT_OPTIONS_KEY "options"

/* Room for a copy of config_sink_options, its terminator included. */
#define CONFIG_SINK_COMMON_MAX 8

/* The shortest [api] token accepted: a short shared secret can be guessed
 * by anyone who reaches the port. */
#define CONFIG_API_TOKEN_MIN 16

/* Copy config_sink_options into dst (CONFIG_SINK_COMMON_MAX entries) with
 * "type" allowed set to the built-in sink type names ("file|stdout").
 * Returns 0 and sets *names, which dst points into (caller frees after it
 * is done with dst), or GW_ENOMEM. */
int config_sink_common_options(gw_option *dst, char **names);

#endif /* GW_CONFIG_SCHEMA_H */
