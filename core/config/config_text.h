/* config_text.h - how the config layer's messages write values and key
 * paths: quoted and escaped strings, TOML values after "found", floats
 * that read back exactly, and key paths ("account[0].options.rate") in the
 * same form the TOML parser uses for its errors.
 */
#ifndef GW_CONFIG_TEXT_H
#define GW_CONFIG_TEXT_H

#include <stddef.h>

#include "config/toml.h"

/* Longest part of a value echoed in a message. */
#define CONFIG_QUOTE_MAX 60
/* Room for one quoted value: every byte may become a 4-byte escape. */
#define CONFIG_QUOTE_BUF (CONFIG_QUOTE_MAX * 4 + 16)
/* Room for a key path. */
#define CONFIG_PATH_BUF 512

/* Write s (n bytes) as a double-quoted, escaped, single-line string,
 * cut after CONFIG_QUOTE_MAX bytes. buf must hold CONFIG_QUOTE_BUF bytes. */
void config_quote(const char *s, size_t n, char *buf);

/* The shortest text that reads back as the same double: 0.1, not
 * 0.10000000000000001; always with a '.', 'e', "nan" or "inf" so it reads
 * as a float. */
void config_format_float(double v, char *buf, size_t len);

/* Describe a TOML value after "found": scalars as written (strings
 * quoted), other values by kind; a secret key's value only by kind. */
void config_describe_value(const toml_value *v, int secret, char *buf, size_t len);

/* buf = parent + "." + key (parent may be ""), a key that is not bare in
 * TOML quoted so the path can be read back; see toml_path_key. buf holds
 * CONFIG_PATH_BUF bytes and must not be parent. */
void config_path_key(char *buf, const char *parent, const char *key, size_t key_len);

/* buf = parent + "[index]"; buf holds CONFIG_PATH_BUF bytes and must not
 * be parent. */
void config_path_index(char *buf, const char *parent, size_t index);

#endif /* GW_CONFIG_TEXT_H */
