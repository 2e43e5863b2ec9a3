/* config_file.h - the file system side of the configuration: reading the
 * file, the absolute directory it lives in, and paths in it resolved
 * against that directory.
 */
#ifndef GW_CONFIG_FILE_H
#define GW_CONFIG_FILE_H

#include <stddef.h>

#include "config/config_errors.h"

/* Read a whole file (at most 16MB: larger is surely not a configuration
 * file). Returns 0 and sets *text (NUL-terminated, caller frees) and *len,
 * or GW_EIO / GW_ENOMEM after adding a line to errs. */
int config_file_read(const char *path, char **text, size_t *len, cfg_errors *errs);

/* An absolute form of dir (the working directory when NULL or empty),
 * made without the file system when dir does not exist. Returns a new
 * string (caller frees) or NULL when out of memory. */
char *config_file_absolute_dir(const char *dir);

/* Resolve a relative path p against dir (absolute). "" stays "" (an
 * optional path left empty), an absolute p stays as it is, and leading
 * "./" are dropped. Returns a new string (caller frees) or NULL when out
 * of memory. */
char *config_file_resolve(const char *dir, const char *p);

#endif /* GW_CONFIG_FILE_H */
