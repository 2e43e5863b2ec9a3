/* toml.h - a TOML 1.0 parser producing a read-only document tree.
 *
 * Why our own: Debian packages no C TOML library, and gateway.toml is the
 * first thing every user touches, so errors must carry line and column,
 * and an error inside a value names the value's key.
 *
 * The tree's types, toml_free, toml_table_find, toml_type_name and the
 * key-path helpers are declared in config/toml_tree.h, included here:
 * this is the one header a user of the parser includes.
 */
#ifndef GW_TOML_H
#define GW_TOML_H

#include <stddef.h>

#include "config/toml_tree.h"

/* Parse a whole document. Returns 0 and sets *out (caller frees with
 * toml_free) or a negative GW_E* code (GW_EPARSE for invalid TOML,
 * GW_ENOMEM) with err filled; for an error inside a value err->key names
 * the value's key. text need not be NUL-terminated. */
int toml_parse(const char *text, size_t len, toml_value **out, toml_error *err);

#endif /* GW_TOML_H */
