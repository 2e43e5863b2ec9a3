/* config_schema.h - internal to the config module (config.c,
 * config_schema.c); nothing outside core/config*.c includes it.
 *
 * The declarations of the core sections, and the few helpers that the
 * validator and the generated reference share so that an error message and
 * the documentation describe a key in the same words.
 */
#ifndef GW_CONFIG_SCHEMA_H
#define GW_CONFIG_SCHEMA_H

#include <stddef.h>

#include "gateway/plugin.h"

/* Declared keys of the core sections, each ended by a NULL name. */
extern const gw_option config_gateway_options[];
extern const gw_option config_account_options[];
extern const gw_option config_http_options[];
extern const gw_option config_api_options[]; /* [api]: the action API (actions work item) */
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

/* The path rule: a string key named "path" or ending in "_path" or "_dir"
 * holds a file system path, and a relative value is resolved against the
 * config file's directory. Returns 1 for such a key. */
int config_option_is_path(const gw_option *opt);

/* A key's type as the reference and messages name it: "string",
 * "integer", "number", "boolean", "duration", "size", "array of strings".
 * Ownership: static string. */
const char *config_type_name(gw_option_type type);

/* Write a bound of a BOUNDED key the way a user writes it: "100ms", "1d",
 * "64KB", "1000", "0.5". Always NUL-terminates buf. */
void config_format_bound(const gw_option *opt, double value, char *buf, size_t len);

#endif /* GW_CONFIG_SCHEMA_H */
