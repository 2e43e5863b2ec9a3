/* file.c - the "file" sink: events appended as JSON lines to a local file,
 * rotated by size, fsynced by policy, and reconciled after a crash so each
 * event lands in the file exactly once.
 *
 * Owns: the open descriptor of the active file and its settings.
 *
 * Exactly-once. The dispatcher moves the sink's cursor only after write()
 * returned, so a crash in between leaves events in the file the cursor does
 * not cover. Lines are written in seq order, so the last complete line of
 * the newest file holds the highest seq delivered; reconcile() reports it
 * (after cutting away a torn last line) and the dispatcher resumes there.
 * A failed write is cut back the same way before it is reported, so the
 * retry of the batch never duplicates a line.
 *
 * Rotation (path -> path.1 -> ... -> path.N, file_rotate.c) keeps every
 * file within max_size: a batch fills the room the active file has left
 * with whole lines and goes on in a fresh file, so one batch may span
 * several files. Only an event larger than max_size on its own makes a
 * file bigger; it goes alone into a file of its own. A rotation always
 * leaves a non-empty path.1, so when the active file holds nothing (a
 * crash right after a rotation, or a torn first line cut away) the newest
 * events are at the end of path.1, and reconcile looks there. (With
 * max_files = 0 there is no path.1: the resumed batch is written again,
 * but the only other copy of its first part was just deleted.) When a
 * write fails after part of its batch went into files since rotated
 * (synced by the rotation unless fsync = "never"), those lines stay and
 * the retry of the batch steps over them by seq (split_seq) instead of
 * writing them twice; the cursor still moves only once the whole batch is
 * written.
 *
 * Missing parent directories of path are created (mode 0755): the default
 * configuration writes under a data directory that need not exist yet.
 * Reading lines back (their seq, the last complete one) is file_scan.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "gateway/error.h"
#include "sinks/file_rotate.h"
#include "sinks/file_scan.h"
#include "sinks/sink.h"


typedef enum file_fsync {
    FILE_FSYNC_BATCH,    /* after every batch */
    FILE_FSYNC_INTERVAL, /* at most every fsync_interval_ms */
    FILE_FSYNC_NEVER     /* the kernel writes back when it likes */
} file_fsync;

typedef struct sink_file {
    char *path; /* owned: the active file */
    int fd;     /* the active file, O_APPEND; -1 when closed */
    file_fsync fsync_mode;
    int64_t fsync_interval_ms;
    int64_t max_size;     /* bytes; 0: never rotate */
    int64_t max_files;    /* rotated files kept */
    int unsynced;         /* written since the last fsync */
    int64_t last_sync_ms; /* monotonic */
    off_t cut_back_to;    /* >= 0: a failed batch left bytes past here */
    int64_t split_seq;    /* > 0: a failed batch's lines up to this seq are
                           * already in files since rotated */
} sink_file;

static const gw_option sink_file_options[] = {
    {.name = "path",
     .type = GW_OPT_STRING,
     .flags = GW_OPTF_REQUIRED | GW_OPTF_PATH,
     .help = "the JSONL file events are appended to; missing directories are created"},
    {.name = "fsync",
     .type = GW_OPT_STRING,
     .default_value = "batch",
     .allowed = "batch|interval|never",
     .help = "when to fsync: after every batch, at most every fsync_interval, or never "
             "(leave it to the OS)"},
    {.name = "fsync_interval",
     .type = GW_OPT_DURATION,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "1s",
     .min = 1,
     .max = 86400000,
     .help = "with fsync = \"interval\": the longest time written events stay unsynced "
             "while batches keep coming"},
    {.name = "max_size",
     .type = GW_OPT_SIZE,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "100MB",
     .min = 0,
     .max = 1099511627776.0,
     .help = "largest size of a file: a batch that would take the file past it is split "
             "at a line end and goes on in a fresh file (the full one becomes path.1); an "
             "event larger than this on its own is written alone to a file of its own; 0 "
             "never rotates"},
    {.name = "max_files",
     .type = GW_OPT_INT,
     .flags = GW_OPTF_BOUNDED,
     .default_value = "5",
     .min = 0,
     .max = 1000,
     .help = "rotated files kept as path.1 (newest) to path.N; older ones are deleted"},
    {.name = NULL},
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of data, resuming after short writes and signals. Returns 0
 * or an errno value. */
static int file_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len > SSIZE_MAX ? SSIZE_MAX : len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Create the missing directories above path (mkdir -p of its dirname). */
static int file_make_parents(const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path);
    int rc = 0;

    if (!dir) {
        snprintf(err, errlen, "file sink: out of memory");
        return GW_ENOMEM;
    }
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            file_scan_error(err, errlen, "cannot create directory", dir, errno);
            rc = GW_EIO;
            break;
        }
        *p = '/';
    }
    free(dir);
    return rc;
}

/* fsync the directory holding path, so a newly created file or a rename
 * survives a power loss, not only its contents. */
static int file_sync_dir(const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path);
    char *slash;
    int fd, rc = 0;

    if (!dir) {
        snprintf(err, errlen, "file sink: out of memory");
        return GW_ENOMEM;
    }
    slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        file_scan_error(err, errlen, "cannot sync directory", dir, errno);
        rc = GW_EIO;
    }
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* Open (creating) the active file. O_RDWR rather than O_WRONLY because
 * reconcile reads the tail and truncates a torn line through the same
 * descriptor. */
static int file_open_active(sink_file *f, char *err, size_t errlen)
{
    const int flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC;
    struct stat st;
    int fd, rc;

    fd = open(f->path, flags, 0644);
    if (fd < 0 && errno == ENOENT) {
        if ((rc = file_make_parents(f->path, err, errlen)) != 0)
            return rc;
        fd = open(f->path, flags, 0644);
    }
    if (fd < 0) {
        file_scan_error(err, errlen, "cannot open", f->path, errno);
        return GW_EIO;
    }
    if (fstat(fd, &st) != 0) {
        file_scan_error(err, errlen, "cannot stat", f->path, errno);
        close(fd);
        return GW_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen,
                 "file sink: %s is not a regular file (use the stdout sink for a terminal "
                 "or pipe)",
                 f->path);
        close(fd);
        return GW_EINVAL;
    }
    if (f->fsync_mode != FILE_FSYNC_NEVER && st.st_size == 0 &&
        (rc = file_sync_dir(f->path, err, errlen)) != 0) {
        close(fd);
        return rc;
    }
    f->fd = fd;
    f->unsynced = 0;
    f->cut_back_to = -1;
    return 0;
}

/* fsync what was written, whatever the policy: before a rotation, a
 * reopen or a close. */
static int file_flush(sink_file *f, char *err, size_t errlen)
{
    if (f->fd < 0 || !f->unsynced || f->fsync_mode == FILE_FSYNC_NEVER)
        return 0;
    if (fdatasync(f->fd) != 0) {
        file_scan_error(err, errlen, "cannot sync", f->path, errno);
        return GW_EIO;
    }
    f->unsynced = 0;
    f->last_sync_ms = monotonic_ms();
    return 0;
}

/* The active file is full: sync and close it, shift the files (path
 * becomes path.1) and start a fresh path. */
static int file_rotate(sink_file *f, char *err, size_t errlen)
{
    int64_t failed = 0;
    int rc = file_flush(f, err, errlen);

    if (rc)
        return rc;
    close(f->fd);
    f->fd = -1;
    if ((rc = file_rotate_shift(f->path, f->max_files, &failed)) != 0) {
        char *name = failed > 0 ? file_rotate_name(f->path, failed) : NULL;
        file_scan_error(err, errlen, f->max_files ? "cannot rotate" : "cannot remove",
                   name ? name : f->path, rc);
        free(name);
        return rc == ENOMEM ? GW_ENOMEM : GW_EIO;
    }
    /* file_open_active syncs the directory, which covers the renames. */
    return file_open_active(f, err, errlen);
}

static int sink_file_reconcile(void *state, int64_t *last_seq, char *err, size_t errlen)
{
    sink_file *f = state;
    char *older;
    int fd, rc;

    *last_seq = 0;
    if (f->fd < 0 && (rc = file_open_active(f, err, errlen)) != 0)
        return rc;
    if ((rc = file_scan_last_seq(f->fd, f->path, last_seq, err, errlen)) != 0 || *last_seq > 0)
        return rc;

    /* The active file holds nothing: a rotation may have happened just
     * before the crash, leaving the newest events in path.1. */
    if (!(older = file_rotate_name(f->path, 1))) {
        snprintf(err, errlen, "file sink: out of memory");
        return GW_ENOMEM;
    }
    fd = open(older, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        rc = 0;
        if (errno != ENOENT) {
            file_scan_error(err, errlen, "cannot open", older, errno);
            rc = GW_EIO;
        }
    } else {
        rc = file_scan_last_seq(fd, older, last_seq, err, errlen);
        close(fd);
    }
    free(older);
    return rc;
}

/* Apply the fsync policy after a batch was written. */
static int file_sync_policy(sink_file *f, char *err, size_t errlen)
{
    switch (f->fsync_mode) {
    case FILE_FSYNC_BATCH:
        return file_flush(f, err, errlen);
    case FILE_FSYNC_INTERVAL:
        if (monotonic_ms() - f->last_sync_ms >= f->fsync_interval_ms)
            return file_flush(f, err, errlen);
        return 0;
    case FILE_FSYNC_NEVER:
    default:
        return 0;
    }
}

/* After a write failed part way (split_seq > 0), the lines of the retried
 * batch up to split_seq are already in files since rotated: step over
 * them. A line without a seq stops the skipping; it is written. */
static void file_skip_written(const sink_file *f, const sink_batch *batch, const char **data,
                              size_t *len)
{
    int64_t seq;

    if (f->split_seq <= 0 || batch->first_seq > f->split_seq)
        return;
    while (*len > 0) {
        size_t line = file_rotate_first_line(*data, *len);
        if (!file_scan_line_seq(*data, line, &seq) || seq > f->split_seq)
            return;
        *data += line;
        *len -= line;
    }
}

/* The batch in parts, each into the room the active file has left (see
 * the top of this file), then the fsync policy. */
static int sink_file_write(void *state, const sink_batch *batch, char *err, size_t errlen)
{
    sink_file *f = state;
    const char *data = batch->data, *part_data;
    size_t len = batch->len, part;
    off_t part_at = -1; /* where the part being written starts in the active file */
    struct stat st;
    int64_t seq;
    int rc, just_rotated = 0;

    if (f->fd < 0 && (rc = file_open_active(f, err, errlen)) != 0)
        return rc;
    if (f->cut_back_to >= 0) {
        if (ftruncate(f->fd, f->cut_back_to) != 0) {
            file_scan_error(err, errlen, "cannot remove a failed batch from", f->path, errno);
            return GW_EIO;
        }
        f->cut_back_to = -1;
    }
    file_skip_written(f, batch, &data, &len);
    part_data = data;
    while (len > 0) {
        part_data = data;
        part_at = -1;
        if (fstat(f->fd, &st) != 0) {
            file_scan_error(err, errlen, "cannot stat", f->path, errno);
            rc = GW_EIO;
            goto failed;
        }
        part = f->max_size > 0 ? file_rotate_fit(data, len, f->max_size - st.st_size) : len;
        /* (A fresh file that is not empty, someone else's, is not rotated
         * again and again: the line goes in.) */
        if (part == 0 && st.st_size > 0 && !just_rotated) {
            if ((rc = file_rotate(f, err, errlen)) != 0)
                goto failed;
            just_rotated = 1;
            continue;
        }
        just_rotated = 0;
        if (part == 0) /* one event larger than max_size: alone in a fresh file */
            part = file_rotate_first_line(data, len);
        part_at = st.st_size;
        if ((rc = file_write_all(f->fd, data, part)) != 0) {
            file_scan_error(err, errlen, "cannot write", f->path, rc);
            rc = GW_EIO;
            goto failed;
        }
        f->unsynced = 1;
        data += part;
        len -= part;
    }
    if ((rc = file_sync_policy(f, err, errlen)) != 0)
        goto failed;
    f->split_seq = 0;
    return 0;

failed:
    /* The batch will be retried whole. What reached the active file is
     * taken back, now or (if this fails too) before the next write. */
    if (part_at >= 0 && ftruncate(f->fd, part_at) != 0)
        f->cut_back_to = part_at;
    /* Lines before this part went into files since rotated (or into path
     * before a rotation that failed): they stay, and the retry skips them. */
    if (part_data > batch->data) {
        const char *last = part_data - 1;
        while (last > batch->data && last[-1] != '\n')
            last--;
        if (file_scan_line_seq(last, (size_t)(part_data - last), &seq))
            f->split_seq = seq;
    }
    return rc;
}

static int sink_file_reopen(void *state, char *err, size_t errlen)
{
    sink_file *f = state;
    int rc = file_flush(f, err, errlen);

    if (rc)
        return rc;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    return file_open_active(f, err, errlen);
}

static void sink_file_close(void *state)
{
    sink_file *f = state;
    char ignored[256]; /* room for the message file_flush writes, unread */

    if (!f)
        return;
    /* Nobody is left to report a failed fsync to; close anyway. */
    (void)file_flush(f, ignored, sizeof ignored);
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f);
}

/* An integer setting, or def when absent. */
static int settings_int(const json_t *settings, const char *key, int64_t def, int64_t min,
                        int64_t *out, char *err, size_t errlen)
{
    const json_t *value = json_object_get(settings, key);

    if (!value) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(value) || json_integer_value(value) < min) {
        snprintf(err, errlen, "file sink: \"%s\" must be an integer of at least %lld", key,
                 (long long)min);
        return GW_EINVAL;
    }
    *out = json_integer_value(value);
    return 0;
}

/* Sets *state to a sink_file (freed by sink_file_close). */
static int sink_file_open(const json_t *settings, void **state, char *err, size_t errlen)
{
    const char *path = json_string_value(json_object_get(settings, "path"));
    const json_t *fsync_value = json_object_get(settings, "fsync");
    const char *mode = fsync_value ? json_string_value(fsync_value) : "batch";
    sink_file *f = NULL;
    int rc;

    *state = NULL;
    if (!path || !*path) {
        snprintf(err, errlen, "file sink: \"path\" is required (the JSONL file to append to)");
        return GW_EINVAL;
    }
    f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        snprintf(err, errlen, "file sink: out of memory");
        return GW_ENOMEM;
    }
    f->fd = -1;
    f->cut_back_to = -1;
    if (mode && strcmp(mode, "batch") == 0) {
        f->fsync_mode = FILE_FSYNC_BATCH;
    } else if (mode && strcmp(mode, "interval") == 0) {
        f->fsync_mode = FILE_FSYNC_INTERVAL;
    } else if (mode && strcmp(mode, "never") == 0) {
        f->fsync_mode = FILE_FSYNC_NEVER;
    } else {
        snprintf(err, errlen, "file sink %s: \"fsync\" must be batch, interval or never", path);
        rc = GW_EINVAL;
        goto fail;
    }
    if ((rc = settings_int(settings, "fsync_interval", 1000, 1, &f->fsync_interval_ms, err,
                           errlen)) != 0 ||
        (rc = settings_int(settings, "max_size", 100 * 1024 * 1024, 0, &f->max_size, err,
                           errlen)) != 0 ||
        (rc = settings_int(settings, "max_files", 5, 0, &f->max_files, err, errlen)) != 0)
        goto fail;
    /* Open now so a bad path is reported at startup, not at the first
     * event. */
    if ((rc = file_open_active(f, err, errlen)) != 0)
        goto fail;
    f->last_sync_ms = monotonic_ms();
    *state = f;
    return 0;

fail:
    sink_file_close(f);
    return rc;
}

const sink_type sink_file_type = {
    .name = "file",
    .help = "append events as JSON lines to a local file, rotated by size, exactly once "
            "across crashes",
    .options = sink_file_options,
    .open = sink_file_open,
    .reconcile = sink_file_reconcile,
    .write = sink_file_write,
    .reopen = sink_file_reopen,
    .close = sink_file_close,
};
