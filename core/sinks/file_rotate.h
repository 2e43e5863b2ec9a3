/* file_rotate.h - size rotation for the "file" sink (file.c): how much of
 * a batch fits in the active file, and shifting path -> path.1 -> ... ->
 * path.N when it is full. Pure helpers on names and buffers: the sink
 * itself flushes, closes and reopens around them.
 */
#ifndef GW_SINKS_FILE_ROTATE_H
#define GW_SINKS_FILE_ROTATE_H

#include <stddef.h>
#include <stdint.h>

/* The bytes at the start of data[0, len) that are whole lines (each ending
 * in '\n') and fit in room bytes: len when all of it fits, 0 when not even
 * its first line does (or room <= 0). */
size_t file_rotate_fit(const char *data, size_t len, int64_t room);

/* The length of the first line of data[0, len), its '\n' included (len
 * when there is no '\n'). */
size_t file_rotate_first_line(const char *data, size_t len);

/* "path.n", caller frees; NULL when out of memory. */
char *file_rotate_name(const char *path, int64_t n);

/* Shift the files: path.(max_files-1) -> path.max_files, ..., path ->
 * path.1, dropping the oldest (rename() replaces its target); with
 * max_files 0 path is removed instead. Missing files are skipped. The
 * caller has closed (and synced) path and creates the fresh one. Returns 0,
 * or an errno value with *failed set to n of the path.n that could not be
 * moved (0: path itself). */
int file_rotate_shift(const char *path, int64_t max_files, int64_t *failed);

#endif /* GW_SINKS_FILE_ROTATE_H */
