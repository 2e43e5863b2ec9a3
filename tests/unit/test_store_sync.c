/* test_store_sync.c - commits made durable by a separate fdatasync
 * (store_options.defer_sync, store/store_sync.c): nothing counts as
 * committed before the sync that covers it, a synchronous store_commit
 * covers what earlier ticks left unsynced, a tick lost after an unsynced
 * one keeps the earlier one, and the syncer refuses what it cannot do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "store/store.h"
#include "store/store_sync.h"

typedef struct fixture {
    char dir[64];
    char db[128];
    store *s;
} fixture;

static store *open_deferred(const char *path, int full)
{
    store_options opts = {.synchronous_full = full, .defer_sync = 1};
    char err[512] = "";
    store *s = NULL;
    if (store_open(path, &opts, &s, err, sizeof err) != 0)
        fail_msg("store_open %s: %s", path, err);
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/gw-test-sync-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/events.db", f->dir);
    f->s = open_deferred(f->db, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(0, system(cmd));
    free(f);
    return 0;
}

static void append(store *s, const char *id)
{
    json_t *e = json_pack("{s:s, s:s}", "id", id, "type", "mention");
    assert_int_equal(1, store_append(s, e, NULL));
    json_decref(e);
}

static int count_cb(void *arg, int64_t seq, const char *json, size_t len)
{
    (void)seq;
    (void)json;
    (void)len;
    (*(int *)arg)++;
    return 0;
}

static int readable(store *s)
{
    int n = 0;
    assert_int_equal(0, store_read(s, 0, 100, count_cb, &n));
    return n;
}

static void test_nothing_counts_before_the_sync(void **state)
{
    fixture *f = *state;
    assert_non_null(store_syncer(f->s));
    append(f->s, "e1");
    append(f->s, "e2");
    assert_int_equal(0, store_commit_unsynced(f->s));
    /* in SQLite, not yet durable: no sink may see it */
    assert_int_equal(0, store_committed_seq(f->s));
    assert_int_equal(0, readable(f->s));
    uint64_t gen;
    int64_t seq;
    store_sync_point(f->s, &gen, &seq);
    assert_int_equal(1, gen);
    assert_int_equal(2, seq);
    assert_int_equal(0, store_durable_generation(f->s));
    /* a later tick commits while that sync would run */
    append(f->s, "e3");
    assert_int_equal(0, store_commit_unsynced(f->s));
    char err[256];
    assert_int_equal(0, store_sync_run(store_syncer(f->s), err, sizeof err));
    store_mark_durable(f->s, gen, seq);
    assert_int_equal(1, store_durable_generation(f->s));
    assert_int_equal(2, store_committed_seq(f->s));
    assert_int_equal(2, readable(f->s));
    /* marks never go backwards */
    store_mark_durable(f->s, 0, 1);
    assert_int_equal(2, store_committed_seq(f->s));
}

static void test_store_commit_covers_unsynced_ticks(void **state)
{
    fixture *f = *state;
    append(f->s, "e1");
    assert_int_equal(0, store_commit_unsynced(f->s));
    append(f->s, "e2");
    assert_int_equal(0, store_commit_unsynced(f->s));
    /* nothing open: store_commit still waits for the disk */
    assert_int_equal(0, store_commit(f->s));
    assert_int_equal(2, store_durable_generation(f->s));
    assert_int_equal(2, store_committed_seq(f->s));
    assert_int_equal(2, readable(f->s));
}

static void test_a_lost_tick_keeps_the_unsynced_one_before_it(void **state)
{
    fixture *f = *state;
    append(f->s, "e1");
    assert_int_equal(0, store_commit_unsynced(f->s));
    append(f->s, "e2");
    assert_int_equal(GW_EIO, store_write_failed(f->s, SQLITE_IOERR, "append"));
    assert_int_equal(GW_EIO, store_commit_unsynced(f->s));
    /* the seq counter goes back to what SQLite holds, not to the durable mark */
    assert_int_equal(1, store_last_seq(f->s));
    append(f->s, "e3");
    assert_int_equal(0, store_commit(f->s));
    assert_int_equal(2, store_committed_seq(f->s));
    store_close(f->s);
    f->s = open_deferred(f->db, 1);
    assert_int_equal(2, readable(f->s));
    assert_int_equal(2, store_committed_seq(f->s));
}

static void test_no_syncer_without_full(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    f->s = open_deferred(f->db, 0); /* "normal": SQLite never syncs at commit */
    assert_null(store_syncer(f->s));
    append(f->s, "e1");
    assert_int_equal(0, store_commit_unsynced(f->s));
    assert_int_equal(1, store_committed_seq(f->s));
    assert_int_equal(1, store_durable_generation(f->s));
}

static void test_syncer_errors_name_the_file(void **state)
{
    fixture *f = *state;
    char err[256] = "", path[160];
    store_sync *ss = NULL;
    assert_int_equal(GW_EIO, store_sync_open("/nonexistent-dir/x.db", &ss, err, sizeof err));
    assert_null(ss);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db-wal"));
    /* a WAL removed behind the syncer's back is reported, not synced */
    snprintf(path, sizeof path, "%s/other.db-wal", f->dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    assert_int_equal(0, store_sync_open(path, &ss, err, sizeof err));
    assert_int_equal(0, store_sync_run(ss, err, sizeof err));
    snprintf(path, sizeof path, "%s/other.db-wal", f->dir);
    assert_int_equal(0, unlink(path));
    assert_int_equal(GW_EIO, store_sync_run(ss, err, sizeof err));
    assert_non_null(strstr(err, "removed"));
    store_sync_close(ss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nothing_counts_before_the_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_commit_covers_unsynced_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_lost_tick_keeps_the_unsynced_one_before_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_syncer_without_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syncer_errors_name_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
