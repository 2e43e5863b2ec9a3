/* test_sink_file.c - unit tests of the "file" sink (core/sinks/file.c,
 * file_rotate.c): writing, size rotation (a batch split across files, an
 * oversized event alone, a crash or failure between the parts), reopen
 * after an external rename, reconcile after a crash (clean, torn tail,
 * rotated, missing), failed writes cut back, and the registry entry with
 * its declared options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/error.h"
#include "sinks/sink.h"

typedef struct fixture {
    char dir[64];
    char path[128];  /* the sink's file */
    char other[160]; /* scratch for path.N names */
    const sink_type *type;
} fixture;

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char child[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
    }
    closedir(d);
    rmdir(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/gw-test-sink-file-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/events.jsonl", f->dir);
    f->type = sink_type_find("file");
    assert_non_null(f->type);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_tree(f->dir);
    free(f);
    return 0;
}

static const char *rotated(fixture *f, int n)
{
    snprintf(f->other, sizeof f->other, "%s.%d", f->path, n);
    return f->other;
}

/* Open a file sink on path; the settings as the config module would hand
 * them over (defaults filled, ms and bytes). */
static void *sink_open(fixture *f, const char *path, const char *fsync, int64_t max_size,
                       int64_t max_files)
{
    json_t *settings =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "name", "archive", "type", "file", "path",
                  path, "fsync", fsync, "fsync_interval", (json_int_t)1000, "max_size",
                  (json_int_t)max_size, "max_files", (json_int_t)max_files);
    char err[512] = "";
    void *state = NULL;
    int rc = f->type->open(settings, &state, err, sizeof err);
    json_decref(settings);
    if (rc != 0)
        fail_msg("open %s: %s", path, err);
    assert_non_null(state);
    return state;
}

/* JSONL for events first..last where event `big` (0: none) carries a
 * text that makes its line big_len bytes long. */
static char *lines_with_big(int64_t first, int64_t last, int64_t big, size_t big_len, size_t *len)
{
    size_t cap = 64 * (size_t)(last - first + 1) + big_len + 1, used = 0;
    char *buf = malloc(cap);

    assert_non_null(buf);
    buf[0] = '\0';
    for (int64_t seq = first; seq <= last; seq++) {
        if (seq != big) {
            used += (size_t)snprintf(buf + used, cap - used,
                                     "{\"id\":\"mock:%lld\",\"type\":\"mention\",\"seq\":%lld}\n",
                                     (long long)seq, (long long)seq);
            continue;
        }
        size_t start = used;
        used += (size_t)snprintf(buf + used, cap - used, "{\"id\":\"mock:%lld\",\"text\":\"",
                                 (long long)seq);
        char tail[64];
        int tail_len = snprintf(tail, sizeof tail, "\",\"seq\":%lld}\n", (long long)seq);
        assert_true(big_len > used - start + (size_t)tail_len);
        memset(buf + used, 'x', big_len - (used - start) - (size_t)tail_len);
        used = start + big_len - (size_t)tail_len;
        memcpy(buf + used, tail, (size_t)tail_len + 1);
        used += (size_t)tail_len;
    }
    *len = used;
    return buf;
}

/* JSONL for events first..last, as the dispatcher hands them over. */
static char *lines(int64_t first, int64_t last, size_t *len)
{
    return lines_with_big(first, last, 0, 0, len);
}

static int write_data(fixture *f, void *state, const char *data, size_t len, int64_t first,
                      int64_t last, char *err, size_t errlen)
{
    sink_batch batch = {.data = data,
                        .len = len,
                        .count = (size_t)(last - first + 1),
                        .first_seq = first,
                        .last_seq = last};
    return f->type->write(state, &batch, err, errlen);
}

static int write_seqs(fixture *f, void *state, int64_t first, int64_t last, char *err,
                      size_t errlen)
{
    size_t len;
    char *data = lines(first, last, &len);
    int rc = write_data(f, state, data, len, first, last, err, errlen);

    free(data);
    return rc;
}

static void write_ok(fixture *f, void *state, int64_t first, int64_t last)
{
    char err[512] = "";
    int rc = write_seqs(f, state, first, last, err, sizeof err);
    if (rc != 0)
        fail_msg("write %lld..%lld: %s", (long long)first, (long long)last, err);
}

/* The whole file, NUL-terminated (caller frees), or NULL when missing. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long size;

    if (!fp)
        return NULL;
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    if (len)
        *len = (size_t)size;
    return buf;
}

static void spew(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* Assert the file holds exactly the lines of first..last. */
static void assert_file_holds(const char *path, int64_t first, int64_t last)
{
    size_t want_len, got_len = 0;
    char *want = lines(first, last, &want_len);
    char *got = slurp(path, &got_len);

    if (!got)
        fail_msg("%s is missing", path);
    assert_string_equal(got, want);
    assert_int_equal(got_len, want_len);
    free(want);
    free(got);
}

static int64_t reconcile_ok(fixture *f, void *state)
{
    char err[512] = "";
    int64_t seq = -1;
    int rc = f->type->reconcile(state, &seq, err, sizeof err);
    if (rc != 0)
        fail_msg("reconcile: %s", err);
    return seq;
}

static void test_write_and_read_back(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "batch", 0, 5);

    assert_int_equal(reconcile_ok(f, s), 0);
    write_ok(f, s, 1, 3);
    write_ok(f, s, 4, 5);
    assert_file_holds(f->path, 1, 5);
    assert_int_equal(reconcile_ok(f, s), 5);
    f->type->close(s);

    /* a second instance appends, never truncates */
    s = sink_open(f, f->path, "never", 0, 5);
    write_ok(f, s, 6, 6);
    f->type->close(s);
    assert_file_holds(f->path, 1, 6);

    s = sink_open(f, f->path, "interval", 0, 5);
    write_ok(f, s, 7, 8);
    f->type->close(s);
    assert_file_holds(f->path, 1, 8);
}

static void test_creates_parent_directories(void **state)
{
    fixture *f = *state;
    char nested[256];
    void *s;

    snprintf(nested, sizeof nested, "%s/data/sinks/events.jsonl", f->dir);
    s = sink_open(f, nested, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 0);
    write_ok(f, s, 1, 2);
    f->type->close(s);
    assert_file_holds(nested, 1, 2);
}

static void test_rotation_keeps_max_files(void **state)
{
    fixture *f = *state;
    size_t two_lines;
    char *sample = lines(10, 11, &two_lines);
    /* room for two batches of two lines, not three */
    void *s = sink_open(f, f->path, "batch", (int64_t)two_lines * 2 + 10, 2);
    struct stat st;

    free(sample);
    write_ok(f, s, 10, 11);
    write_ok(f, s, 12, 13);
    assert_int_equal(stat(rotated(f, 1), &st), -1);
    write_ok(f, s, 14, 15); /* 14 does not fit: it starts a fresh file */
    assert_file_holds(rotated(f, 1), 10, 13);
    assert_file_holds(f->path, 14, 15);
    write_ok(f, s, 16, 17);
    write_ok(f, s, 18, 19);
    assert_file_holds(f->path, 18, 19);
    assert_file_holds(rotated(f, 1), 14, 17);
    assert_file_holds(rotated(f, 2), 10, 13);
    write_ok(f, s, 20, 21);
    write_ok(f, s, 22, 23); /* the oldest file is dropped */
    assert_file_holds(f->path, 22, 23);
    assert_file_holds(rotated(f, 1), 18, 21);
    assert_file_holds(rotated(f, 2), 14, 17);
    assert_int_equal(stat(rotated(f, 3), &st), -1);
    assert_int_equal(errno, ENOENT);
    f->type->close(s);
}

/* Assert path.(nfiles-1) ... path.lowest (path.0 is path) hold want in
 * this order, that path.nfiles does not exist, and that each file ends on a
 * line end and is at most max_size bytes unless it holds a single line. */
static void assert_files_hold(fixture *f, int nfiles, int lowest, int64_t max_size,
                              const char *want, size_t want_len)
{
    size_t at = 0;
    struct stat st;

    for (int n = nfiles - 1; n >= lowest; n--) {
        const char *name = n ? rotated(f, n) : f->path;
        size_t len = 0;
        char *got = slurp(name, &len);
        if (!got)
            fail_msg("%s is missing", name);
        assert_true(len > 0 && got[len - 1] == '\n');
        if ((int64_t)len > max_size && memchr(got, '\n', len) != got + len - 1)
            fail_msg("%s is %zu bytes, over max_size %lld", name, len, (long long)max_size);
        assert_true(at + len <= want_len);
        assert_memory_equal(got, want + at, len);
        at += len;
        free(got);
    }
    assert_int_equal(at, want_len);
    assert_int_equal(stat(rotated(f, nfiles), &st), -1);
}

/* path and its rotated files: how many there are. */
static int count_files(fixture *f)
{
    struct stat st;
    int n = 0;

    while (stat(n ? rotated(f, n) : f->path, &st) == 0)
        n++;
    return n;
}

/* The issue: a batch after a backlog took the file far past max_size. It
 * now fills the room left and goes on in fresh files, none over max_size,
 * together the batch once and in order. */
static void test_batch_split_across_files(void **state)
{
    fixture *f = *state;
    const int64_t max_size = 1000;
    void *s = sink_open(f, f->path, "batch", max_size, 100);
    size_t want_len;
    char *want = lines(1, 300, &want_len);
    int nfiles;

    assert_true((int64_t)want_len > 10 * max_size);
    write_ok(f, s, 1, 5);
    write_ok(f, s, 6, 300); /* ~13 KB in one batch */
    nfiles = count_files(f);
    assert_true(nfiles >= 13);
    assert_files_hold(f, nfiles, 0, max_size, want, want_len);
    assert_int_equal(reconcile_ok(f, s), 300);
    f->type->close(s);

    /* a fresh instance resumes after 300, in the room path has left */
    s = sink_open(f, f->path, "batch", max_size, 100);
    assert_int_equal(reconcile_ok(f, s), 300);
    write_ok(f, s, 301, 302);
    f->type->close(s);
    free(want);
    want = lines(1, 302, &want_len);
    assert_files_hold(f, count_files(f), 0, max_size, want, want_len);
    free(want);
}

/* An event larger than max_size on its own goes alone into a file of its
 * own; the events around it do not join it. */
static void test_oversized_event_alone(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "batch", 100, 10);
    size_t len, first_len;
    char *data = lines_with_big(1, 6, 4, 300, &len);
    char err[512] = "";

    free(lines(1, 2, &first_len));
    assert_true(first_len <= 100); /* 1..2 fit, a third line does not */
    write_ok(f, s, 1, 2);
    assert_int_equal(write_data(f, s, data + first_len, len - first_len, 3, 6, err, sizeof err),
                     0);
    assert_file_holds(rotated(f, 3), 1, 2);
    assert_file_holds(rotated(f, 2), 3, 3);
    assert_file_holds(f->path, 5, 6);
    assert_files_hold(f, 4, 0, 100, data, len); /* path.1 is event 4 alone */
    assert_int_equal(reconcile_ok(f, s), 6);
    f->type->close(s);
    free(data);
}

/* max_size 1000; events 1..10 are written, then a batch 11..30 whose 30 is
 * a 2000-byte event: 11..k fill path, k+1..29 a second file and 30 goes
 * into a third. With the file size limited to 1500 bytes, writing 30 fails
 * half way, after two parts of the batch went into files since rotated. */
#define SPLIT_MAX 1000
#define SPLIT_LIMIT 1500

static char *split_batch(size_t *len, size_t *head_len)
{
    free(lines(1, 10, head_len));
    return lines_with_big(1, 30, 30, 2000, len);
}

/* Write the second batch with the file size limited; returns write's rc. */
static int write_limited(fixture *f, void *s, const char *data, size_t len, char *err,
                         size_t errlen)
{
    struct rlimit saved, limited;
    int rc;

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limited = saved;
    limited.rlim_cur = SPLIT_LIMIT;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);
    rc = write_data(f, s, data, len, 11, 30, err, errlen);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    return rc;
}

/* kill -9 between the parts of a split batch (here SIGXFSZ, which kills
 * as surely, in the middle of the second part): reopen finds the last seq
 * of the first part in path.1, and resuming after it gives each event once. */
static void test_crash_between_parts_reconciles(void **state)
{
    fixture *f = *state;
    size_t len, head_len;
    char *data = split_batch(&len, &head_len);
    char err[512] = "";
    int status = 0;
    int64_t held;
    void *s;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGXFSZ, SIG_DFL);
        s = sink_open(f, f->path, "batch", SPLIT_MAX, 10);
        if (write_data(f, s, data, head_len, 1, 10, err, sizeof err) != 0)
            _exit(3);
        write_limited(f, s, data + head_len, len - head_len, err, sizeof err);
        _exit(4); /* not reached: the limit kills */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGXFSZ);
    /* two parts of the batch went into files since rotated; path holds
     * the torn start of event 30 */
    size_t done_len;
    char *done = lines(1, 29, &done_len);
    assert_files_hold(f, 3, 1, SPLIT_MAX, done, done_len);
    free(done);

    s = sink_open(f, f->path, "batch", SPLIT_MAX, 10);
    held = reconcile_ok(f, s);
    assert_int_equal(held, 29); /* the end of the second part, in path.1 */
    /* the dispatcher resumes after held */
    size_t skip;
    free(lines(1, held, &skip));
    assert_int_equal(write_data(f, s, data + skip, len - skip, held + 1, 30, err, sizeof err), 0);
    assert_files_hold(f, 3, 0, SPLIT_MAX, data, len);
    assert_int_equal(reconcile_ok(f, s), 30);
    f->type->close(s);
    free(data);
}

/* A write failing in its second part: the first part stays in path.1,
 * the retry of the whole batch skips it, and each event is there once. */
static void test_failed_second_part_retried_once(void **state)
{
    fixture *f = *state;
    size_t len, head_len;
    char *data = split_batch(&len, &head_len);
    char err[512] = "";
    void *s = sink_open(f, f->path, "batch", SPLIT_MAX, 10);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    int rc;

    assert_int_equal(write_data(f, s, data, head_len, 1, 10, err, sizeof err), 0);
    rc = write_limited(f, s, data + head_len, len - head_len, err, sizeof err);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, GW_EIO);
    assert_non_null(strstr(err, f->path));
    assert_file_holds(f->path, 1, 0); /* empty: the torn part 2 was cut back */
    assert_int_equal(write_data(f, s, data + head_len, len - head_len, 11, 30, err, sizeof err),
                     0);
    assert_files_hold(f, 3, 0, SPLIT_MAX, data, len);
    f->type->close(s);
    free(data);
}

static void test_rotation_without_kept_files(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "never", 10, 0);
    struct stat st;

    write_ok(f, s, 1, 1);
    write_ok(f, s, 2, 2);
    assert_file_holds(f->path, 2, 2);
    assert_int_equal(stat(rotated(f, 1), &st), -1);
    f->type->close(s);
}

static void test_reopen_after_external_rename(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "batch", 0, 5);
    char moved[192], err[512] = "";

    snprintf(moved, sizeof moved, "%s.logrotated", f->path);
    write_ok(f, s, 1, 2);
    assert_int_equal(rename(f->path, moved), 0);
    write_ok(f, s, 3, 3); /* still the renamed file until reopen */
    assert_int_equal(f->type->reopen(s, err, sizeof err), 0);
    write_ok(f, s, 4, 5);
    f->type->close(s);
    assert_file_holds(moved, 1, 3);
    assert_file_holds(f->path, 4, 5);
}

static void test_reconcile_clean_file(void **state)
{
    fixture *f = *state;
    size_t len;
    char *data = lines(1, 42, &len);
    void *s;

    spew(f->path, data, len);
    free(data);
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 42);
    write_ok(f, s, 43, 44);
    f->type->close(s);
    assert_file_holds(f->path, 1, 44);
}

static void test_reconcile_skips_blank_lines(void **state)
{
    fixture *f = *state;
    const char *data = "{\"id\":\"a\",\"seq\":7}\n\n  \n";
    void *s;

    spew(f->path, data, strlen(data));
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 7);
    f->type->close(s);
}

static void test_reconcile_truncates_torn_tail(void **state)
{
    fixture *f = *state;
    size_t len;
    char *data = lines(1, 3, &len);
    const char *torn = "{\"id\":\"mock:4\",\"type\":\"men";
    char *with_tail = malloc(len + strlen(torn) + 1);
    void *s;

    assert_non_null(with_tail);
    memcpy(with_tail, data, len);
    strcpy(with_tail + len, torn);
    spew(f->path, with_tail, len + strlen(torn));
    free(with_tail);
    free(data);

    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 3);
    assert_file_holds(f->path, 1, 3);
    /* the dispatcher resumes after 3: 4 is written once, on its own line */
    write_ok(f, s, 4, 6);
    f->type->close(s);
    assert_file_holds(f->path, 1, 6);
}

/* Lines longer than the backward-scan chunk: the torn tail and the last
 * complete line both span several chunks. */
static void test_reconcile_long_lines(void **state)
{
    fixture *f = *state;
    size_t big = 200 * 1024, head_len;
    char *head = lines(1, 1, &head_len);
    char *data = malloc(head_len + 2 * big + 128);
    size_t used = head_len;
    void *s;

    assert_non_null(data);
    memcpy(data, head, head_len);
    free(head);
    used += (size_t)sprintf(data + used, "{\"id\":\"mock:2\",\"text\":\"");
    memset(data + used, 'a', big);
    used += big;
    used += (size_t)sprintf(data + used, "\",\"seq\":2}\n");
    size_t complete = used;
    used += (size_t)sprintf(data + used, "{\"id\":\"mock:3\",\"text\":\"");
    memset(data + used, 'b', big);
    used += big;
    spew(f->path, data, used);

    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 2);
    f->type->close(s);
    size_t got_len = 0;
    char *got = slurp(f->path, &got_len);
    assert_int_equal(got_len, complete);
    assert_memory_equal(got, data, complete);
    free(got);
    free(data);
}

static void test_reconcile_only_torn_line(void **state)
{
    fixture *f = *state;
    const char *torn = "{\"id\":\"mock:1\",\"seq\":1}"; /* complete JSON, no newline */
    size_t len = 1;
    void *s;

    spew(f->path, torn, strlen(torn));
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 0);
    f->type->close(s);
    free(slurp(f->path, &len));
    assert_int_equal(len, 0);
}

static void test_reconcile_after_rotation(void **state)
{
    fixture *f = *state;
    size_t len;
    char *data = lines(1, 7, &len);
    void *s;

    spew(rotated(f, 1), data, len);
    spew(rotated(f, 2), data, len / 2); /* older, ignored */
    spew(f->path, "", 0);
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 7);
    f->type->close(s);

    /* missing active file, path.1 with a torn tail */
    unlink(f->path);
    spew(rotated(f, 1), data, len - 10);
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(reconcile_ok(f, s), 6);
    f->type->close(s);
    assert_file_holds(rotated(f, 1), 1, 6);
    free(data);
}

static void test_reconcile_missing_file(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "batch", 0, 5);
    struct stat st;

    assert_int_equal(reconcile_ok(f, s), 0);
    assert_int_equal(stat(f->path, &st), 0); /* created at open */
    f->type->close(s);
}

static void test_reconcile_rejects_foreign_last_line(void **state)
{
    fixture *f = *state;
    const char *data = "{\"id\":\"a\",\"seq\":1}\nhello world\n";
    char err[512] = "";
    int64_t seq = -1;
    void *s;

    spew(f->path, data, strlen(data));
    s = sink_open(f, f->path, "batch", 0, 5);
    assert_int_equal(f->type->reconcile(s, &seq, err, sizeof err), GW_EPARSE);
    assert_non_null(strstr(err, f->path));
    assert_null(strchr(err, '\n'));
    f->type->close(s);
}

static void test_open_errors_name_the_path(void **state)
{
    fixture *f = *state;
    char blocker[128], path[256], err[512] = "";
    json_t *settings;
    void *s = NULL;

    /* a regular file where a directory should be: unwritable even as root */
    snprintf(blocker, sizeof blocker, "%s/plainfile", f->dir);
    spew(blocker, "x", 1);
    snprintf(path, sizeof path, "%s/events.jsonl", blocker);
    settings = json_pack("{s:s}", "path", path);
    assert_int_equal(f->type->open(settings, &s, err, sizeof err), GW_EIO);
    assert_null(s);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "Not a directory"));
    json_decref(settings);

    /* a directory as the file */
    settings = json_pack("{s:s}", "path", f->dir);
    err[0] = '\0';
    assert_true(f->type->open(settings, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_non_null(strstr(err, f->dir));
    json_decref(settings);

    settings = json_pack("{s:s, s:s}", "path", f->path, "fsync", "sometimes");
    err[0] = '\0';
    assert_int_equal(f->type->open(settings, &s, err, sizeof err), GW_EINVAL);
    assert_non_null(strstr(err, "fsync"));
    json_decref(settings);

    settings = json_object();
    assert_int_equal(f->type->open(settings, &s, err, sizeof err), GW_EINVAL);
    assert_non_null(strstr(err, "path"));
    json_decref(settings);
}

/* A write that fails half way (here: the file size limit) is cut back, so
 * the retried batch lands exactly once and whole. */
static void test_failed_write_is_cut_back(void **state)
{
    fixture *f = *state;
    void *s = sink_open(f, f->path, "batch", 0, 5);
    struct rlimit saved, limited;
    char err[512] = "";
    size_t first_len;
    char *first = lines(1, 2, &first_len);
    void (*old_handler)(int);

    free(first);
    write_ok(f, s, 1, 2);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    limited = saved;
    limited.rlim_cur = first_len + 20; /* part of the next batch fits */
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &limited), 0);
    int rc = write_seqs(f, s, 3, 5, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);

    assert_int_equal(rc, GW_EIO);
    assert_non_null(strstr(err, f->path));
    assert_file_holds(f->path, 1, 2);
    write_ok(f, s, 3, 5);
    assert_file_holds(f->path, 1, 5);
    f->type->close(s);
}

static void test_registry_and_declared_options(void **state)
{
    const sink_type *const *all = sink_types();
    const sink_type *file = sink_type_find("file");
    int saw_stdout = 0, saw_file = 0, saw_path = 0, saw_max_files = 0;

    (void)state;
    assert_null(sink_type_find("nope"));
    assert_null(sink_type_find(NULL));
    for (size_t i = 0; all[i]; i++) {
        saw_stdout += strcmp(all[i]->name, "stdout") == 0;
        saw_file += all[i] == file;
    }
    assert_int_equal(saw_stdout, 1);
    assert_int_equal(saw_file, 1);
    assert_non_null(file->reconcile);
    assert_non_null(file->reopen);
    for (const gw_option *o = file->options; o->name; o++) {
        assert_non_null(o->help);
        if (strcmp(o->name, "path") == 0) {
            saw_path = 1;
            assert_true(o->flags & GW_OPTF_REQUIRED);
        } else if (strcmp(o->name, "fsync") == 0) {
            assert_string_equal(o->default_value, "batch");
            assert_string_equal(o->allowed, "batch|interval|never");
        } else if (strcmp(o->name, "fsync_interval") == 0) {
            assert_int_equal(o->type, GW_OPT_DURATION);
            assert_string_equal(o->default_value, "1s");
        } else if (strcmp(o->name, "max_size") == 0) {
            assert_int_equal(o->type, GW_OPT_SIZE);
            assert_string_equal(o->default_value, "100MB");
        } else if (strcmp(o->name, "max_files") == 0) {
            saw_max_files = 1;
            assert_int_equal(o->type, GW_OPT_INT);
            assert_string_equal(o->default_value, "5");
        }
    }
    assert_true(saw_path && saw_max_files);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_creates_parent_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_keeps_max_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_split_across_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_event_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_between_parts_reconciles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_second_part_retried_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_without_kept_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_external_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_clean_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_skips_blank_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_truncates_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_only_torn_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_after_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_rejects_foreign_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors_name_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_is_cut_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry_and_declared_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
