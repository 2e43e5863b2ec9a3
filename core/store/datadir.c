/* datadir.c - the data directory's exclusive lock (see datadir.h). */
#include "store/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/error.h"

static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "data_dir %s: path too long", path);
        return GW_EIO;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0750) != 0 && errno != EEXIST)
        goto fail;
    return GW_OK;
fail:
    snprintf(err, errlen, "%s: cannot create the data directory: %s", buf, strerror(errno));
    return GW_EIO;
}

/* The pid the holder wrote, or 0 when the file says nothing usable (the
 * holder may be between its flock and its write). */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    return (pid > 0 && (*end == '\n' || *end == '\0')) ? pid : 0;
}

static void write_pid(int fd)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    /* A hint for the next instance's message, not part of the lock: a
     * failed write changes nothing about who holds it. */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n)
        return;
}

int datadir_lock_take(const char *dir, datadir_lock *lock, char *err, size_t errlen)
{
    lock->fd = -1;
    int rc = make_dirs(dir, err, errlen);
    if (rc != GW_OK)
        return rc;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, DATADIR_LOCK_NAME) >= (int)sizeof path) {
        snprintf(err, errlen, "data_dir %s: path too long", dir);
        return GW_EIO;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the data directory's lock: %s", path,
                 strerror(errno));
        return GW_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = holder_pid(fd);
            if (pid > 0)
                snprintf(err, errlen,
                         "data_dir %s is in use by pid %ld (one gateway per data "
                         "directory: stop it, or give this one another data_dir)",
                         dir, pid);
            else
                snprintf(err, errlen,
                         "data_dir %s is in use by another gateway (one gateway per data "
                         "directory: stop it, or give this one another data_dir)",
                         dir);
            close(fd);
            return GW_EBUSY;
        }
        snprintf(err, errlen, "%s: cannot lock the data directory: %s", path, strerror(e));
        close(fd);
        return GW_EIO;
    }
    write_pid(fd);
    lock->fd = fd;
    return GW_OK;
}

void datadir_lock_release(datadir_lock *lock)
{
    if (lock->fd < 0)
        return;
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    lock->fd = -1;
}
