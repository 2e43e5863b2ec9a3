/* config_errors.h - the list of one-line, user-facing errors the config
 * layer produces (cfg_errors, public through config/config.h), and the
 * collector the validators report into (cfg_ctx), which words every line
 * "file:line:col: key.path: message" and hands them over in file order.
 */
#ifndef GW_CONFIG_ERRORS_H
#define GW_CONFIG_ERRORS_H

#include <stddef.h>

#include "gateway/plugin.h" /* GW_PRINTF */
#include "config/toml.h"

/* A list of one-line, user-facing error messages. */
typedef struct cfg_errors {
    char **lines;  /* owned */
    size_t count;
} cfg_errors;

void cfg_errors_free(cfg_errors *errs);  /* frees the lines, resets count */
/* printf-style append (used by the module and by callers that add their
 * own checks, e.g. "no plugin for network"). */
void cfg_errors_add(cfg_errors *errs, const char *fmt, ...) GW_PRINTF(2, 3);

/* Append the line for a TOML syntax error in text (len bytes), the
 * document `file` names: "file:line:col: message", with the key path
 * when the error lies inside a key's value. A bare value that would be a
 * valid duration or size as a string (5s, 10MB) gets a hint to quote it,
 * at the value's position. */
void cfg_errors_add_parse(cfg_errors *errs, const char *file, const char *text, size_t len,
                          const toml_error *err);

/* An error waiting to be sorted into file order (config_errors.c). */
typedef struct cfg_pending cfg_pending;

/* Where validation reports to. Set the first four fields; the rest start
 * zeroed. */
typedef struct cfg_ctx {
    const char *file; /* the name messages start with */
    const char *dir;  /* absolute; relative paths resolve against it */
    cfg_errors *errs;
    cfg_pending *pending; /* owned; moved into errs by cfg_ctx_flush */
    size_t pending_count;
    int in_default; /* checking a declared default, not the user's text */
} cfg_ctx;

/* Record "file:line:col: path: message" (no position when line is 0, no
 * path when it is ""). Kept until cfg_ctx_flush. */
void cfg_ctx_error(cfg_ctx *c, int line, int col, const char *path, const char *fmt, ...)
    GW_PRINTF(5, 6);

/* Move the recorded errors into c->errs, sorted so the user reads them
 * top to bottom whatever order the checks ran in: by position, errors
 * without one last, ties in the order found. */
void cfg_ctx_flush(cfg_ctx *c);

#endif /* GW_CONFIG_ERRORS_H */
