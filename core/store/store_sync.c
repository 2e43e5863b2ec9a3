/* store_sync.c - fdatasync of the WAL through a descriptor of our own;
 * see store_sync.h for why. On Linux an fsync covers the file's dirty
 * pages whichever descriptor wrote them, so SQLite's writes through its
 * descriptor are made durable through this one. */
#define _GNU_SOURCE
#include "store/store_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/error.h"

struct store_sync {
    int fd;
    char *path; /* owned: for messages */
};

/* fsync the directory holding path (its entry for the WAL). */
static int sync_dir(const char *path, char *err, size_t errlen)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd >= 0 && fsync(dfd) == 0 ? GW_OK : GW_EIO;
    if (rc != GW_OK)
        snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(errno));
    if (dfd >= 0)
        close(dfd);
    free(copy);
    return rc;
}

int store_sync_open(const char *db_path, store_sync **out, char *err, size_t errlen)
{
    *out = NULL;
    store_sync *ss = calloc(1, sizeof *ss);
    size_t n = strlen(db_path) + sizeof "-wal";
    if (ss == NULL || (ss->path = malloc(n)) == NULL) {
        free(ss);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    snprintf(ss->path, n, "%s-wal", db_path);
    /* read-only is enough: fdatasync needs no write access */
    ss->fd = open(ss->path, O_RDONLY | O_CLOEXEC);
    if (ss->fd < 0) {
        snprintf(err, errlen, "cannot open %s to sync it: %s", ss->path, strerror(errno));
        store_sync_close(ss);
        return GW_EIO;
    }
    int rc = sync_dir(ss->path, err, errlen);
    if (rc != GW_OK) {
        store_sync_close(ss);
        return rc;
    }
    *out = ss;
    return GW_OK;
}

int store_sync_run(store_sync *ss, char *err, size_t errlen)
{
    int rc;
    do
        rc = fdatasync(ss->fd);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        snprintf(err, errlen, "fdatasync %s: %s", ss->path, strerror(errno));
        return GW_EIO;
    }
    /* SQLite keeps its WAL while a connection is open; a WAL unlinked
     * behind us (someone deleted it) means SQLite writes another file. */
    struct stat st;
    if (fstat(ss->fd, &st) != 0 || st.st_nlink == 0) {
        snprintf(err, errlen, "%s was removed while the gateway ran", ss->path);
        return GW_EIO;
    }
    return GW_OK;
}

void store_sync_close(store_sync *ss)
{
    if (ss == NULL)
        return;
    if (ss->fd >= 0)
        close(ss->fd);
    free(ss->path);
    free(ss);
}
