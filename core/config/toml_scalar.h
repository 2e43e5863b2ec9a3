/* toml_scalar.h - internal to the TOML parser: scanning one scalar value
 * (toml_scalar.c), on top of the cursor in toml_lex.h.
 */
#ifndef GW_TOML_SCALAR_H
#define GW_TOML_SCALAR_H

#include "config/toml_lex.h"

/* Scan a scalar value at the cursor (string of any kind, integer, float,
 * boolean, date-time, date or time) into out->type and out->u. For
 * strings out->u.string.ptr is allocated and owned by out afterwards.
 * Line and column are left for the caller to set. Returns 0, GW_EPARSE or
 * GW_ENOMEM; on failure out owns nothing, whatever its type says. */
int toml_scalar_scan(toml_lexer *lx, toml_value *out);

#endif /* GW_TOML_SCALAR_H */
