/* test_store.c - unit tests of the event log, cursors and kv (core/store/store.c):
 * dedupe, seq numbering across restarts, committed-only reads, retention,
 * a crash in the middle of a tick (a forked child that never closes), and
 * a failed write failing its whole tick (store_status, store_probe).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    char db[128];
    store *s;
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

static store *open_store(const char *path, int64_t retention_ms)
{
    store_options opts = {.synchronous_full = 0, .retention_ms = retention_ms};
    char err[512] = "";
    store *s = NULL;
    int rc = store_open(path, &opts, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("store_open %s: %s", path, err);
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/gw-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/events.db", f->dir);
    f->s = open_store(f->db, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    remove_tree(f->dir);
    free(f);
    return 0;
}

/* A new event object; caller decrefs. */
static json_t *event_new(const char *id, const char *received_at)
{
    json_t *e = json_pack("{s:s, s:s, s:s}", "id", id, "type", "mention", "text", "hello");
    assert_non_null(e);
    if (received_at)
        json_object_set_new(e, "received_at", json_string(received_at));
    return e;
}

/* Append an event with that id; returns store_append's result. */
static int append_id(store *s, const char *id, const char *received_at, int64_t *seq)
{
    json_t *e = event_new(id, received_at);
    int rc = store_append(s, e, seq);
    json_decref(e);
    return rc;
}

typedef struct collected {
    int64_t seqs[64];
    char ids[64][32];
    size_t count;
    size_t stop_after; /* return 42 after this many; 0: never */
} collected;

static int collect_cb(void *arg, int64_t seq, const char *json, size_t len)
{
    collected *c = arg;
    json_error_t jerr;
    json_t *e = json_loadb(json, len, 0, &jerr);

    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), seq);
    assert_true(c->count < 64);
    c->seqs[c->count] = seq;
    snprintf(c->ids[c->count], sizeof c->ids[0], "%s", json_string_value(json_object_get(e, "id")));
    c->count++;
    json_decref(e);
    return c->stop_after && c->count == c->stop_after ? 42 : 0;
}

static void test_append_assigns_seq_and_dedupes(void **state)
{
    fixture *f = *state;
    int64_t seq = -1;
    json_t *e = event_new("net:1", NULL);

    assert_int_equal(store_append(f->s, e, &seq), 1);
    assert_int_equal(seq, 1);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), 1);
    json_decref(e);

    /* same id in the same tick: nothing stored, the object untouched */
    e = event_new("net:1", NULL);
    json_object_set_new(e, "seq", json_integer(77));
    seq = -1;
    assert_int_equal(store_append(f->s, e, &seq), 0);
    assert_int_equal(seq, -1);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), 77);
    json_decref(e);

    e = event_new("net:1", NULL);
    assert_int_equal(store_append(f->s, e, NULL), 0);
    assert_null(json_object_get(e, "seq"));
    json_decref(e);

    assert_int_equal(store_commit(f->s), 0);
    /* and across commits */
    assert_int_equal(append_id(f->s, "net:1", NULL, NULL), 0);
    assert_int_equal(append_id(f->s, "net:2", NULL, &seq), 1);
    assert_int_equal(seq, 2);
    assert_int_equal(store_last_seq(f->s), 2);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_committed_seq(f->s), 2);
}

static void test_append_requires_string_id(void **state)
{
    fixture *f = *state;
    json_t *e = json_pack("{s:s}", "type", "mention");
    json_t *arr = json_array();

    assert_int_equal(store_append(f->s, e, NULL), GW_EINVAL);
    json_object_set_new(e, "id", json_integer(5));
    assert_int_equal(store_append(f->s, e, NULL), GW_EINVAL);
    json_object_set_new(e, "id", json_string(""));
    assert_int_equal(store_append(f->s, e, NULL), GW_EINVAL);
    assert_int_equal(store_append(f->s, arr, NULL), GW_EINVAL);
    assert_null(json_object_get(e, "seq"));
    assert_int_equal(store_last_seq(f->s), 0);
    assert_non_null(strstr(store_last_error(f->s), "id"));
    json_decref(e);
    json_decref(arr);
}

static void test_body_is_compact_and_ordered(void **state)
{
    fixture *f = *state;
    json_t *e = json_pack("{s:s, s:s, s:s}", "id", "x:1", "type", "mention", "text", "hi");
    json_t *got = NULL;
    char *text;

    assert_int_equal(store_append(f->s, e, NULL), 1);
    json_decref(e);
    assert_int_equal(store_event_get(f->s, "x:1", &got), 0);
    text = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"id\":\"x:1\",\"type\":\"mention\",\"text\":\"hi\",\"seq\":1}");
    free(text);
    json_decref(got);
    assert_int_equal(store_event_get(f->s, "x:2", &got), GW_ENOENT);
    assert_null(got);
}

/* The stored body of event id, compact and in order, is want. */
static void assert_stored(store *s, const char *id, const char *want)
{
    json_t *got = NULL;
    assert_int_equal(store_event_get(s, id, &got), 0);
    char *text = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, want);
    free(text);
    json_decref(got);
}

/* Members given as text follow the object's own (seq included); a
 * duplicate still changes nothing and gets its old "seq" back. */
static void test_append_text_members(void **state)
{
    fixture *f = *state;
    static const char extra[] = "\"contact\":{\"id\":\"ct_1\",\"open_conversations\":2}";
    json_t *e = json_pack("{s:s, s:s}", "id", "x:1", "type", "mention");
    int64_t seq = 0;

    assert_int_equal(store_append_text(f->s, e, extra, strlen(extra), &seq), 1);
    assert_int_equal(seq, 1);
    assert_int_equal(store_append_text(f->s, e, extra, strlen(extra), &seq), 0);
    json_decref(e);
    assert_stored(f->s, "x:1", "{\"id\":\"x:1\",\"type\":\"mention\",\"seq\":1,"
                               "\"contact\":{\"id\":\"ct_1\",\"open_conversations\":2}}");
    /* none given: as store_append */
    e = json_pack("{s:s}", "id", "x:2");
    assert_int_equal(store_append_text(f->s, e, NULL, 0, &seq), 1);
    json_decref(e);
    assert_stored(f->s, "x:2", "{\"id\":\"x:2\",\"seq\":2}");
    /* several fragments, in order, empty ones skipped (the pipeline's
     * triage tags, then the conversation service's members) */
    static const char tags[] = "\"tags\":{\"priority\":\"low\"}";
    store_members parts[] = {{NULL, 0}, {tags, strlen(tags)}, {"", 0}, {extra, strlen(extra)}};
    e = json_pack("{s:s}", "id", "x:3");
    assert_int_equal(store_append_parts(f->s, e, parts, 4, &seq), 1);
    json_decref(e);
    assert_stored(f->s, "x:3", "{\"id\":\"x:3\",\"seq\":3,\"tags\":{\"priority\":\"low\"},"
                               "\"contact\":{\"id\":\"ct_1\",\"open_conversations\":2}}");
}

static void test_seq_monotonic_across_reopen(void **state)
{
    fixture *f = *state;
    int64_t seq = 0;

    assert_int_equal(append_id(f->s, "a", NULL, NULL), 1);
    assert_int_equal(append_id(f->s, "b", NULL, NULL), 1);
    assert_int_equal(append_id(f->s, "c", NULL, NULL), 1);
    store_close(f->s); /* commits */
    f->s = open_store(f->db, 0);
    assert_int_equal(store_last_seq(f->s), 3);
    assert_int_equal(store_committed_seq(f->s), 3);
    assert_int_equal(append_id(f->s, "c", NULL, NULL), 0);
    assert_int_equal(append_id(f->s, "d", NULL, &seq), 1);
    assert_int_equal(seq, 4);
}

static void test_read_returns_only_committed(void **state)
{
    fixture *f = *state;
    collected c = {0};
    char id[16];

    for (int i = 1; i <= 3; i++) {
        snprintf(id, sizeof id, "e%d", i);
        assert_int_equal(append_id(f->s, id, NULL, NULL), 1);
    }
    /* nothing committed yet */
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 0);
    assert_int_equal(store_commit(f->s), 0);

    for (int i = 4; i <= 5; i++) {
        snprintf(id, sizeof id, "e%d", i);
        assert_int_equal(append_id(f->s, id, NULL, NULL), 1);
    }
    assert_int_equal(store_last_seq(f->s), 5);
    assert_int_equal(store_committed_seq(f->s), 3);
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.seqs[2], 3);
    assert_string_equal(c.ids[2], "e3");

    assert_int_equal(store_commit(f->s), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 5);

    /* after_seq and max_count */
    memset(&c, 0, sizeof c);
    assert_int_equal(store_read(f->s, 1, 2, collect_cb, &c), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.seqs[0], 2);
    assert_int_equal(c.seqs[1], 3);

    /* the callback stops the walk and its value is returned */
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 42);
    assert_int_equal(c.count, 1);
}

static void test_commit_without_writes(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_committed_seq(f->s), 0);
}

static void test_cursors_and_kv_survive_reopen(void **state)
{
    fixture *f = *state;
    char buf[64];
    int64_t seq = -1;

    assert_int_equal(store_cursor_get(f->s, "file", &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(store_cursor_set(f->s, "file", 5), 0);
    assert_int_equal(store_cursor_set(f->s, "stdout", 2), 0);
    assert_int_equal(store_cursor_set(f->s, "file", 7), 0);
    assert_int_equal(store_kv_set(f->s, "twitter/brand", "since_id", "100"), 0);
    assert_int_equal(store_kv_set(f->s, "twitter/brand", "since_id", "12345"), 0);
    assert_int_equal(store_kv_set(f->s, "yelp/shop", "since_id", "9"), 0);
    /* visible before commit on the same connection */
    assert_int_equal(store_kv_get(f->s, "twitter/brand", "since_id", buf, sizeof buf), 5);
    assert_int_equal(store_commit(f->s), 0);

    store_close(f->s);
    f->s = open_store(f->db, 0);
    assert_int_equal(store_cursor_get(f->s, "file", &seq), 0);
    assert_int_equal(seq, 7);
    assert_int_equal(store_cursor_get(f->s, "stdout", &seq), 0);
    assert_int_equal(seq, 2);
    assert_int_equal(store_kv_get(f->s, "twitter/brand", "since_id", buf, sizeof buf), 5);
    assert_string_equal(buf, "12345");
    assert_int_equal(store_kv_get(f->s, "yelp/shop", "since_id", buf, sizeof buf), 1);
    assert_string_equal(buf, "9");
    assert_int_equal(store_kv_get(f->s, "yelp/shop", "other", buf, sizeof buf), GW_ENOENT);
    assert_int_equal(store_kv_get(f->s, "nobody", "since_id", buf, sizeof buf), GW_ENOENT);
    /* "12345" needs 6 bytes */
    assert_int_equal(store_kv_get(f->s, "twitter/brand", "since_id", buf, 5), GW_ERANGE);
    assert_int_equal(store_kv_get(f->s, "twitter/brand", "since_id", buf, 6), 5);
}

static void test_prune_respects_cursor_and_keeps_seq(void **state)
{
    fixture *f = *state;
    const char *old = "2020-01-01T00:00:00Z";
    int64_t now_ms = 1700000000000, seq = 0;
    collected c = {0};
    char id[16];

    store_close(f->s);
    f->s = open_store(f->db, 60 * 1000);
    for (int i = 1; i <= 5; i++) {
        snprintf(id, sizeof id, "old%d", i);
        assert_int_equal(append_id(f->s, id, old, NULL), 1);
    }
    /* uncommitted events are never pruned, whatever the cursor says */
    assert_int_equal(store_prune(f->s, now_ms, 100, 0), 0);
    assert_int_equal(store_commit(f->s), 0);

    /* only what every sink passed, in slices of at most max_rows */
    assert_int_equal(store_prune(f->s, now_ms, 3, 2), 2);
    assert_int_equal(store_prune(f->s, now_ms, 3, 2), 1);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.seqs[0], 4);

    /* everything delivered and old: the newest event still stays */
    assert_int_equal(store_prune(f->s, now_ms, 100, 0), 1);
    assert_int_equal(store_commit(f->s), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.seqs[0], 5);

    store_close(f->s);
    f->s = open_store(f->db, 60 * 1000);
    assert_int_equal(store_last_seq(f->s), 5);
    assert_int_equal(append_id(f->s, "new6", "2023-11-14T22:13:00+00:00", &seq), 1);
    assert_int_equal(seq, 6);
    /* a malformed received_at counts as now: too young to prune */
    assert_int_equal(append_id(f->s, "new7", "last tuesday", NULL), 1);
    assert_int_equal(append_id(f->s, "new8", NULL, NULL), 1);
    assert_int_equal(store_commit(f->s), 0);
    /* 6 was received 20 s before now_ms (1700000000000 = 22:13:20Z): kept;
     * 5 is old and delivered, no longer the newest: pruned */
    assert_int_equal(store_prune(f->s, now_ms, 100, 0), 1);
    assert_int_equal(store_prune(f->s, now_ms + 41 * 1000, 100, 0), 1); /* 6 expires */
    assert_int_equal(store_commit(f->s), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_read(f->s, 0, 100, collect_cb, &c), 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.seqs[0], 7);
}

static int count_progress(void *arg)
{
    (*(long *)arg)++;
    return 0;
}

/* Pruning reads the old events only, whatever the size of the retained
 * log: it runs on the loop every minute. Counted in SQLite's virtual
 * machine steps (a progress callback every 100), not in time. The old
 * statement walked the rowids up to the sinks' cursor, every event here,
 * to find the three old enough. */
static void test_prune_reads_only_the_old_events(void **state)
{
    fixture *f = *state;
    int64_t now_ms = 1700000000000;
    long ticks = 0;
    char id[16];

    store_close(f->s);
    f->s = open_store(f->db, 60 * 1000);
    for (int i = 1; i <= 3; i++) {
        snprintf(id, sizeof id, "old%d", i);
        assert_int_equal(append_id(f->s, id, "2020-01-01T00:00:00Z", NULL), 1);
    }
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "new%d", i);
        assert_int_equal(append_id(f->s, id, "2023-11-14T22:13:10Z", NULL), 1);
    }
    assert_int_equal(store_commit(f->s), 0);

    sqlite3_progress_handler(store_db(f->s), 100, count_progress, &ticks);
    assert_int_equal(store_prune(f->s, now_ms, INT64_MAX, 0), 3);
    assert_int_equal(store_prune(f->s, now_ms, INT64_MAX, 0), 0);
    sqlite3_progress_handler(store_db(f->s), 0, NULL, NULL);
    assert_int_equal(store_commit(f->s), 0);
    /* a few dozen steps per statement; the walk took 20 or more per event */
    assert_true(ticks < 20);

    /* A sink stuck for longer than the retention: every old event is
     * past its cursor, and the walk over them would find none to delete. */
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "stuck%d", i);
        assert_int_equal(append_id(f->s, id, "2020-01-01T00:00:00Z", NULL), 1);
    }
    assert_int_equal(store_commit(f->s), 0);
    ticks = 0;
    sqlite3_progress_handler(store_db(f->s), 100, count_progress, &ticks);
    assert_int_equal(store_prune(f->s, now_ms, 3, 0), 0); /* the cursor before them all */
    assert_int_equal(store_prune(f->s, now_ms, 3, 0), 0);
    sqlite3_progress_handler(store_db(f->s), 0, NULL, NULL);
    assert_true(ticks < 20);
}

static void test_prune_disabled_without_retention(void **state)
{
    fixture *f = *state;

    assert_int_equal(append_id(f->s, "a", "2000-01-01T00:00:00Z", NULL), 1);
    assert_int_equal(append_id(f->s, "b", "2000-01-01T00:00:00Z", NULL), 1);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_prune(f->s, 1700000000000, 100, 0), 0);
}

/* The child writes with its own connection and dies without closing:
 * committed events must all be there, the open tick's none of them. The
 * uncommitted tick is large enough to spill pages into the WAL. */
static void test_crash_keeps_committed_only(void **state)
{
    fixture *f = *state;
    char buf[32], big[1024], id[32];
    collected c = {0};
    int status = 0;
    pid_t pid;

    store_close(f->s);
    f->s = NULL;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store_options opts = {.synchronous_full = 1};
        char err[256];
        store *s = NULL;
        int ok = store_open(f->db, &opts, &s, err, sizeof err) == 0;
        for (int i = 1; ok && i <= 3; i++) {
            snprintf(id, sizeof id, "committed%d", i);
            ok = append_id(s, id, NULL, NULL) == 1;
        }
        ok = ok && store_kv_set(s, "net/acct", "cursor", "3") == 0;
        ok = ok && store_commit(s) == 0;
        for (int i = 1; ok && i <= 3000; i++) {
            json_t *e = event_new("", NULL);
            snprintf(id, sizeof id, "lost%d", i);
            json_object_set_new(e, "id", json_string(id));
            json_object_set_new(e, "text", json_string(big));
            ok = store_append(s, e, NULL) == 1;
            json_decref(e);
        }
        ok = ok && store_kv_set(s, "net/acct", "cursor", "3003") == 0;
        ok = ok && store_cursor_set(s, "file", 3003) == 0;
        _exit(ok ? 0 : 3); /* no close, no commit: a kill -9 */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    f->s = open_store(f->db, 0);
    assert_int_equal(store_last_seq(f->s), 3);
    assert_int_equal(store_committed_seq(f->s), 3);
    assert_int_equal(store_read(f->s, 0, 64, collect_cb, &c), 0);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.ids[2], "committed3");
    assert_int_equal(store_kv_get(f->s, "net/acct", "cursor", buf, sizeof buf), 1);
    assert_string_equal(buf, "3");
    int64_t cursor = -1;
    assert_int_equal(store_cursor_get(f->s, "file", &cursor), 0);
    assert_int_equal(cursor, 0);
    assert_int_equal(append_id(f->s, "lost1", NULL, &cursor), 1);
    assert_int_equal(cursor, 4);
}

static void test_open_errors_name_the_file(void **state)
{
    fixture *f = *state;
    char path[256], err[512] = "";
    store *s = NULL;
    int fd;

    snprintf(path, sizeof path, "%s/no/such/dir/events.db", f->dir);
    assert_true(store_open(path, NULL, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_non_null(strstr(err, path));
    assert_null(strchr(err, '\n'));

    snprintf(path, sizeof path, "%s/not-a-db", f->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    for (int i = 0; i < 64; i++)
        assert_int_equal(write(fd, "this is not an sqlite file\n", 27), 27);
    close(fd);
    err[0] = '\0';
    assert_true(store_open(path, NULL, &s, err, sizeof err) < 0);
    assert_null(s);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a database"));
}

static json_t *event_with_id(const char *id)
{
    json_t *ev = json_pack("{s:s}", "id", id);
    assert_non_null(ev);
    return ev;
}

/* A write of another module on the connection (the outbox) fails in a
 * tick that also appended an event and set a plugin's cursor: nothing of
 * the tick may commit, the store is failing, and since plugin state was
 * lost it cannot recover in-process. */
static void test_failed_write_fails_the_whole_tick(void **state)
{
    fixture *f = *state;
    store_status st;
    char buf[16];
    json_t *ev = event_with_id("lost-1"), *got = NULL;

    store_status_get(f->s, &st);
    assert_int_equal(st.errors_total, 0);
    assert_int_equal(st.failing_since_ms, 0);
    assert_int_equal(store_append(f->s, ev, NULL), 1);
    assert_int_equal(store_kv_set(f->s, "mock/acme", "cursor", "7"), 0);
    assert_int_equal(store_write_begin(f->s), 0);
    assert_int_equal(store_write_failed(f->s, SQLITE_FULL, "outbox: insert"), GW_EIO);
    assert_int_equal(store_commit(f->s), GW_EIO);
    assert_non_null(strstr(store_last_error(f->s), "outbox: insert"));
    assert_non_null(strstr(store_last_error(f->s), "rolled back"));
    assert_int_equal(store_committed_seq(f->s), 0);
    assert_int_equal(store_last_seq(f->s), 0);
    assert_int_equal(store_event_get(f->s, "lost-1", &got), GW_ENOENT);
    assert_int_equal(store_kv_get(f->s, "mock/acme", "cursor", buf, sizeof buf), GW_ENOENT);
    store_status_get(f->s, &st);
    assert_int_equal(st.errors_total, 1);
    assert_int_equal(st.failed_commits, 1);
    assert_true(st.failing_since_ms != 0);
    assert_non_null(st.unrecoverable);

    /* the next tick is a fresh transaction and commits */
    assert_int_equal(store_append(f->s, ev, NULL), 1);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_committed_seq(f->s), 1);
    store_status_get(f->s, &st);
    assert_int_equal(st.failing_since_ms, 0);
    assert_int_equal(st.failed_commits, 0);
    json_decref(ev);
}

/* Events alone (a webhook's) are retried by their sender: a lost tick of
 * them is transient, and a probe's commit shows the store is back. */
static void test_lost_events_only_tick_recovers_with_a_probe(void **state)
{
    fixture *f = *state;
    store_status st;
    json_t *ev = event_with_id("wh-1");

    assert_int_equal(store_append(f->s, ev, NULL), 1);
    assert_int_equal(store_write_failed(f->s, SQLITE_IOERR_WRITE, "append"), GW_EIO);
    assert_int_equal(store_commit(f->s), GW_EIO);
    store_status_get(f->s, &st);
    assert_true(st.failing_since_ms != 0);
    assert_null(st.unrecoverable);
    assert_int_equal(store_commit(f->s), 0); /* nothing written: still failing */
    store_status_get(f->s, &st);
    assert_true(st.failing_since_ms != 0);
    assert_int_equal(store_probe(f->s), 0);
    assert_int_equal(store_commit(f->s), 0);
    store_status_get(f->s, &st);
    assert_int_equal(st.failing_since_ms, 0);
    assert_int_equal(st.errors_total, 1);
    json_decref(ev);
}

/* SQLite calling the database corrupt or read-only is never retried. */
static void test_corrupt_or_readonly_is_unrecoverable(void **state)
{
    fixture *f = *state;
    store_status st;

    assert_int_equal(store_write_failed(f->s, SQLITE_READONLY_DBMOVED, "append"), GW_EIO);
    assert_int_equal(store_commit(f->s), GW_EIO);
    store_status_get(f->s, &st);
    assert_non_null(st.unrecoverable);
    assert_non_null(strstr(st.unrecoverable, "read-only"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_assigns_seq_and_dedupes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_requires_string_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_is_compact_and_ordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_text_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_monotonic_across_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_returns_only_committed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_without_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursors_and_kv_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_respects_cursor_and_keeps_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_reads_only_the_old_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_disabled_without_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_keeps_committed_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors_name_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_fails_the_whole_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_events_only_tick_recovers_with_a_probe, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_or_readonly_is_unrecoverable, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
