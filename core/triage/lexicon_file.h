/* lexicon_file.h - the line format of a lexicon file, apart from what the
 * lines mean: "phrase" or "phrase, weight", '#' comments (at the start of
 * a line or after a space), blank lines skipped. lexicon.c gives each
 * entry a meaning.
 */
#ifndef GW_TRIAGE_LEXICON_FILE_H
#define GW_TRIAGE_LEXICON_FILE_H

#include <stddef.h>

#include "config/config.h"

/* One entry: the phrase as written (trimmed, len bytes, not
 * NUL-terminated), its weight when the line gives one (has_weight), and
 * its line number. Returns 0, GW_EINVAL after adding its own
 * "path:line: ..." error to errs (parsing goes on), or GW_ENOMEM (parsing
 * stops). */
typedef int (*lexicon_entry_fn)(void *arg, const char *phrase, size_t len, int has_weight,
                                double weight, int line);

/* Parse text (NUL-terminated), the file path names in messages, calling
 * fn for each entry. Returns 0, GW_EINVAL when a line or an entry was
 * refused (every error is in errs), or GW_ENOMEM. */
int lexicon_file_parse(const char *text, const char *path, lexicon_entry_fn fn, void *arg,
                       cfg_errors *errs);

/* Read a whole file into *out (caller frees). Returns 0, GW_EIO with a
 * "path: reason" error in errs, or GW_ENOMEM. */
int lexicon_file_read(const char *path, char **out, cfg_errors *errs);

#endif /* GW_TRIAGE_LEXICON_FILE_H */
