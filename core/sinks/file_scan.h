/* file_scan.h - reading the "file" sink's output back (file.c): the seq
 * of one JSON line, and the seq of the last complete line of a file,
 * cutting away a torn last line (a crash mid-write), which is how the
 * sink finds where it stopped. Safe on the sink's worker thread.
 */
#ifndef GW_SINKS_FILE_SCAN_H
#define GW_SINKS_FILE_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* One line "file sink: <what> <path>: <strerror(errnum)>" into err. */
void file_scan_error(char *err, size_t errlen, const char *what, const char *path, int errnum);

/* The "seq" of the JSON line data[0, len) into *seq; 0 when it is no
 * event with a positive integer seq, else 1. */
int file_scan_line_seq(const char *data, size_t len, int64_t *seq);

/* The seq of the last complete line of fd (named name in errors) into
 * *seq (0 when the file holds none); a torn last line is truncated away
 * first. Returns 0, or a GW_E* code with err set. */
int file_scan_last_seq(int fd, const char *name, int64_t *seq, char *err, size_t errlen);

#endif /* GW_SINKS_FILE_SCAN_H */
