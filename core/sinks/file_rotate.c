/* file_rotate.c - size rotation for the "file" sink; see file_rotate.h.
 *
 * Owns nothing: the sink (file.c) keeps the descriptor and calls these to
 * cut a batch at line ends and to shift the rotated files. Kept apart from
 * file.c because it is the one part that knows the naming scheme and the
 * split rule, and the sink's write loop reads better without them.
 */
#include "sinks/file_rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t file_rotate_fit(const char *data, size_t len, int64_t room)
{
    if (room <= 0)
        return 0;
    if ((uint64_t)room >= len)
        return len;
    /* The last line end inside the room: everything up to it fits. */
    for (size_t i = (size_t)room; i > 0; i--)
        if (data[i - 1] == '\n')
            return i;
    return 0;
}

size_t file_rotate_first_line(const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);

    return nl ? (size_t)(nl - data) + 1 : len;
}

char *file_rotate_name(const char *path, int64_t n)
{
    size_t need = strlen(path) + 24; /* '.', up to 20 digits, NUL */
    char *name = malloc(need);

    if (name)
        snprintf(name, need, "%s.%lld", path, (long long)n);
    return name;
}

int file_rotate_shift(const char *path, int64_t max_files, int64_t *failed)
{
    *failed = 0;
    if (max_files == 0)
        return unlink(path) != 0 && errno != ENOENT ? errno : 0;
    /* Oldest first, so no rename overwrites a file still to be moved. A
     * crash half way leaves the newest events in path or path.1, which is
     * where the sink's reconcile looks. */
    for (int64_t i = max_files - 1; i >= 0; i--) {
        char *from = i == 0 ? strdup(path) : file_rotate_name(path, i);
        char *to = file_rotate_name(path, i + 1);
        int rc = 0;

        if (!from || !to)
            rc = ENOMEM;
        else if (rename(from, to) != 0 && errno != ENOENT)
            rc = errno;
        free(from);
        free(to);
        if (rc) {
            *failed = i;
            return rc;
        }
    }
    return 0;
}
