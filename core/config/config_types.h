/* config_types.h - what each option type means, in one place for the
 * validator and the generated reference alike: the duration and size
 * syntax, how a bound is written back, the type names, the path rule.
 *
 * cfg_parse_duration and cfg_parse_size are public through
 * config/config.h; the rest is for the config modules.
 */
#ifndef GW_CONFIG_TYPES_H
#define GW_CONFIG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/plugin.h"

/* "500ms", "30s", "5m", "2h", "1d" (a bare integer is seconds) -> ms. */
int cfg_parse_duration(const char *text, uint64_t *ms);
/* "512", "512B", "64KB", "10MB", "1GB" (1024-based) -> bytes. */
int cfg_parse_size(const char *text, uint64_t *bytes);

/* cfg_parse_duration (type GW_OPT_DURATION) or cfg_parse_size (any other
 * type), also saying why text was refused: on GW_EINVAL or GW_ERANGE why
 * holds a reason for the user ("unknown unit \"w\"; use ..."), or "" when
 * the text is just not of the expected shape. */
int config_parse_quantity(gw_option_type type, const char *text, uint64_t *out, char *why,
                          size_t whylen);

/* The path rule: a string key declared with GW_OPTF_PATH holds a file
 * system path, and a relative value is resolved against the config
 * file's directory. Returns 1 for such a key. */
int config_option_is_path(const gw_option *opt);

/* A key's type as the reference and messages name it: "string",
 * "integer", "number", "boolean", "duration", "size", "array of strings".
 * Ownership: static string. */
const char *config_type_name(gw_option_type type);

/* Write a bound of a BOUNDED key the way a user writes it: "100ms", "1d",
 * "64KB", "1000", "0.5". Always NUL-terminates buf. */
void config_format_bound(const gw_option *opt, double value, char *buf, size_t len);

#endif /* GW_CONFIG_TYPES_H */
