/* file_scan.c - reading the file sink's output back (see file_scan.h):
 * the seq of one line, and the seq of the last complete line of a file,
 * scanning backwards from its end in chunks.
 */
#include "sinks/file_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/error.h"

/* Bytes read per step when scanning the file backwards for a line end. */
#define FILE_SCAN_CHUNK 65536
/* A last line longer than this was not written by the gateway. */
#define FILE_MAX_LINE (64 * 1024 * 1024)

/* One line "file sink: <what> <path>: <strerror>" into err. strerror_r,
 * because write() runs on a worker thread. */
void file_scan_error(char *err, size_t errlen, const char *what, const char *path, int errnum)
{
    char reason[128];

    if (strerror_r(errnum, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", errnum);
    snprintf(err, errlen, "file sink: %s %s: %s", what, path, reason);
}

/* pread all of [offset, offset + len). Returns 0 or an errno value. */
static int file_read_at(int fd, char *buf, size_t len, off_t offset)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO; /* the file shrank under us */
        buf += n;
        len -= (size_t)n;
        offset += n;
    }
    return 0;
}

/* Offset of the last '\n' before `before`, or -1 when there is none,
 * reading backwards a chunk at a time. Returns 0 or an errno value. */
static int file_find_newline(int fd, off_t before, off_t *found)
{
    char buf[FILE_SCAN_CHUNK];

    *found = -1;
    while (before > 0) {
        size_t n = before > FILE_SCAN_CHUNK ? FILE_SCAN_CHUNK : (size_t)before;
        off_t start = before - (off_t)n;
        int rc = file_read_at(fd, buf, n, start);
        if (rc)
            return rc;
        for (size_t i = n; i > 0; i--) {
            if (buf[i - 1] == '\n') {
                *found = start + (off_t)(i - 1);
                return 0;
            }
        }
        before = start;
    }
    return 0;
}

static int line_is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return 0;
    return 1;
}

/* The "seq" of the JSON line data[0, len) into *seq; 0 when it is no
 * event with a positive integer seq. */
int file_scan_line_seq(const char *data, size_t len, int64_t *seq)
{
    json_error_t jerr;
    json_t *event = json_loadb(data, len, 0, &jerr);
    json_t *value = json_object_get(event, "seq");
    int ok = json_is_integer(value) && json_integer_value(value) >= 1;

    if (ok)
        *seq = json_integer_value(value);
    json_decref(event);
    return ok;
}

/* The "seq" of the line [start, end) of fd. */
static int file_parse_line_seq(int fd, const char *name, off_t start, off_t end, int *blank,
                               int64_t *seq, char *err, size_t errlen)
{
    size_t len = (size_t)(end - start);
    char *line;
    int rc;

    if (end - start > FILE_MAX_LINE) {
        snprintf(err, errlen,
                 "file sink: the last line of %s (at byte %lld) is over 64 MiB; it was not "
                 "written by the gateway, move the file aside",
                 name, (long long)start);
        return GW_EPARSE;
    }
    line = malloc(len ? len : 1);
    if (!line) {
        snprintf(err, errlen, "file sink: out of memory");
        return GW_ENOMEM;
    }
    if ((rc = file_read_at(fd, line, len, start)) != 0) {
        file_scan_error(err, errlen, "cannot read", name, rc);
        rc = GW_EIO;
        goto done;
    }
    *blank = line_is_blank(line, len);
    if (*blank)
        goto done;
    if (!file_scan_line_seq(line, len, seq)) {
        snprintf(err, errlen,
                 "file sink: the last line of %s (at byte %lld) is not an event with a "
                 "positive integer \"seq\"; move the file aside so the gateway starts a "
                 "new one",
                 name, (long long)start);
        rc = GW_EPARSE;
    }
done:
    free(line);
    return rc;
}

/* The highest seq in the file open as fd (its last complete, non-blank
 * line), or *seq = 0 when it holds none. A torn last line (no '\n', left
 * by a crash mid-write) is truncated away first and the cut made durable,
 * so the next batch starts on a line of its own. */
int file_scan_last_seq(int fd, const char *name, int64_t *seq, char *err, size_t errlen)
{
    struct stat st;
    off_t line_end, line_start;
    int rc;

    *seq = 0;
    if (fstat(fd, &st) != 0) {
        file_scan_error(err, errlen, "cannot stat", name, errno);
        return GW_EIO;
    }
    if ((rc = file_find_newline(fd, st.st_size, &line_end)) != 0) {
        file_scan_error(err, errlen, "cannot read", name, rc);
        return GW_EIO;
    }
    if (line_end + 1 < st.st_size) {
        if (ftruncate(fd, line_end + 1) != 0 || fdatasync(fd) != 0) {
            file_scan_error(err, errlen, "cannot truncate the torn last line of", name, errno);
            return GW_EIO;
        }
    }
    while (line_end >= 0) {
        int blank = 0;
        if ((rc = file_find_newline(fd, line_end, &line_start)) != 0) {
            file_scan_error(err, errlen, "cannot read", name, rc);
            return GW_EIO;
        }
        rc = file_parse_line_seq(fd, name, line_start + 1, line_end, &blank, seq, err, errlen);
        if (rc || !blank)
            return rc;
        line_end = line_start;
    }
    return 0;
}
