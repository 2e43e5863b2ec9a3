/* test_store_checkpoint.c - WAL checkpoints on their own thread
 * (core/store/store_checkpoint.c): commits past the threshold run
 * checkpoints without error while the store keeps committing, and every
 * committed event is there after stop, close and reopen; under steady
 * commits the WAL still starts over, so its file stays small; a file
 * made with larger pages keeps them, and the default threshold counts
 * its bytes, not its pages.
 */
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "store/store.h"
#include "store/store_checkpoint.h"

static store *open_sized(const char *path, unsigned page_size)
{
    store_options opts = {.synchronous_full = 0, .page_size = page_size};
    char err[512] = "";
    store *s = NULL;
    if (store_open(path, &opts, &s, err, sizeof err) != 0)
        fail_msg("store_open %s: %s", path, err);
    return s;
}

static store *open_store(const char *path)
{
    return open_sized(path, 0);
}

/* The page size of the file at path, read by a connection of the test's. */
static int file_page_size(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int size = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return size;
}

static void append_many(store *s, int from, int count)
{
    char id[64], text[600];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    for (int i = from; i < from + count; i++) {
        snprintf(id, sizeof id, "ev-%d", i);
        json_t *ev = json_pack("{s:s, s:s}", "id", id, "text", text);
        int64_t seq;
        assert_int_equal(store_append(s, ev, &seq), 1);
        json_decref(ev);
        if (i % 20 == 19)
            assert_int_equal(store_commit(s), GW_OK);
    }
    assert_int_equal(store_commit(s), GW_OK);
}

static int count_cb(void *arg, int64_t seq, const char *json, size_t len)
{
    (void)seq, (void)json, (void)len;
    ++*(int *)arg;
    return 0;
}

/* Stop the checkpointer, close, reopen: every one of the expected events
 * committed is there. Removes dir. */
static void stop_and_count(store_checkpointer *c, store *s, const char *db, const char *dir,
                           int expected)
{
    store_checkpoint_stop(c, s);
    store_close(s);
    s = open_store(db);
    int n = 0;
    assert_int_equal(store_read(s, 0, 100000, count_cb, &n), 0);
    assert_int_equal(n, expected);
    store_close(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_checkpoints_off_the_committing_thread(void **state)
{
    (void)state;
    char dir[] = "/tmp/gwtest-ckpt-XXXXXX", db[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/gateway.db", dir);
    store *s = open_store(db);
    store_checkpointer *c = NULL;
    assert_int_equal(store_checkpoint_start(s, db, 0, 50, &c, err, sizeof err), GW_OK);

    append_many(s, 0, 2000);
    /* bounded wait: the thread checkpoints once a commit crossed 50 pages */
    store_checkpoint_stats st = {0};
    for (int i = 0; i < 1000; i++) {
        store_checkpoint_stats_get(c, &st);
        if (st.runs > 0)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    assert_true(st.runs > 0);
    assert_int_equal(st.failures, 0);
    assert_true(st.max_pages >= 50);
    append_many(s, 2000, 500); /* commits go on beside the thread */
    stop_and_count(c, s, db, dir, 2500);
}

/* Wait, at most 10 s in 1 ms polls, until c has counted more RESTARTs
 * than restarts. Returns whether it did. */
static int wait_for_restart(store_checkpointer *c, uint64_t restarts)
{
    store_checkpoint_stats st = {0};
    for (int i = 0; i < 10000; i++) {
        store_checkpoint_stats_get(c, &st);
        if (st.restarts > restarts)
            return 1;
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
    }
    return 0;
}

/* Steady commits, each after a 0.2 ms pause (the loop's work between
 * ticks): 12 MB of events through a checkpointer whose threshold is 50
 * pages. PASSIVE runs alone never found the WAL copied whole at a commit,
 * so it grew with the load; RESTARTs let it start over.
 *
 * How far the commits got ahead of the RESTART due at 200 pages was the
 * scheduler's: the largest WAL file was 1.0-3.2 MB on the 2-core VM, and
 * 6.4 MB once under CI load, the checkpoint thread given no CPU beside
 * this one. So a commit that leaves the WAL at twice that, 400 pages,
 * waits for a RESTART counted after it: this thread cannot outrun the
 * checkpoint thread, and the bound below holds however the two are
 * scheduled. It waits for a RESTART, not any run: a PASSIVE run alone
 * during the pause, with no commit beside it, would copy the WAL whole
 * and let the next commit start it over, and the test could no longer
 * tell PASSIVE runs alone from RESTARTs. */
static void test_wal_starts_over_under_steady_commits(void **state)
{
    (void)state;
    char dir[] = "/tmp/gwtest-ckpt-XXXXXX", db[128], wal[140], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/gateway.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    store *s = open_store(db);
    store_checkpointer *c = NULL;
    assert_int_equal(store_checkpoint_start(s, db, 0, 50, &c, err, sizeof err), GW_OK);
    const uint64_t behind = 2 * 50 * STORE_CHECKPOINT_RESTART_FACTOR;

    char id[64], text[600];
    memset(text, 'y', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    off_t wal_max = 0;
    store_checkpoint_stats st = {0};
    int waits = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "steady-%d", i);
        json_t *ev = json_pack("{s:s, s:s}", "id", id, "text", text);
        int64_t seq;
        assert_int_equal(store_append(s, ev, &seq), 1);
        json_decref(ev);
        if (i % 20 == 19) {
            assert_int_equal(store_commit(s), GW_OK);
            struct stat sb;
            if (stat(wal, &sb) == 0 && sb.st_size > wal_max)
                wal_max = sb.st_size;
            store_checkpoint_stats_get(c, &st);
            if (st.last_pages >= behind) {
                /* the next PASSIVE run, a RESTART after it */
                if (!wait_for_restart(c, st.restarts))
                    fail_msg("no RESTART within 10 s of a commit leaving %llu pages of WAL",
                             (unsigned long long)st.last_pages);
                waits++;
            }
            nanosleep(&(struct timespec){.tv_nsec = 200 * 1000}, NULL);
        }
    }
    store_checkpoint_stats_get(c, &st);
    print_message("checkpoints %llu, restarts %llu, largest WAL file %lld bytes "
                  "(%llu pages), %d waits for a RESTART\n",
                  (unsigned long long)st.runs, (unsigned long long)st.restarts, (long long)wal_max,
                  (unsigned long long)st.max_pages, waits);
    assert_true(st.restarts > 0);
    assert_int_equal(st.failures, 0);
    /* After each wait the next commit starts the WAL over, so it never
     * holds more than 400 pages and what one commit of 20 events adds
     * (18 pages at most; 64 of margin), each page a frame of the page and
     * 24 bytes after the WAL's 32-byte header: 1.9 MB. Were the WAL not
     * starting over it would hold everything (over 30 MB, frames and
     * their pages). */
    const off_t frame = 24 + (off_t)file_page_size(db);
    assert_true(wal_max <= 32 + (off_t)(behind + 64) * frame);
    stop_and_count(c, s, db, dir, 20000);
}

/* A file made with 16 KiB pages keeps them when opened again with
 * another size. The default threshold is STORE_CHECKPOINT_BYTES: 250
 * such pages, where a threshold in pages would have let the WAL reach
 * 1000 (16 MB) before the first checkpoint. */
static void test_page_size_and_a_threshold_in_bytes(void **state)
{
    (void)state;
    char dir[] = "/tmp/gwtest-ckpt-XXXXXX", db[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/gateway.db", dir);
    store *s = open_sized(db, 16384);
    store_close(s);
    assert_int_equal(file_page_size(db), 16384);
    s = open_sized(db, 4096);
    assert_int_equal(file_page_size(db), 16384);

    store_checkpointer *c = NULL;
    assert_int_equal(store_checkpoint_start(s, db, 0, 0, &c, err, sizeof err), GW_OK);
    const unsigned threshold = STORE_CHECKPOINT_BYTES / 16384;
    store_checkpoint_stats st = {0};
    int appended = 0;
    /* below the threshold no checkpoint starts; past it one does */
    while (appended < 40000) {
        append_many(s, appended, 20);
        appended += 20;
        store_checkpoint_stats_get(c, &st);
        if (st.max_pages >= threshold)
            break;
        assert_int_equal(st.runs + st.busy + st.failures, 0);
    }
    assert_true(st.max_pages >= threshold);
    for (int i = 0; i < 1000 && st.runs == 0; i++) {
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        store_checkpoint_stats_get(c, &st);
    }
    assert_true(st.runs > 0);
    assert_true(st.max_pages < 1000);
    stop_and_count(c, s, db, dir, appended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_off_the_committing_thread),
        cmocka_unit_test(test_wal_starts_over_under_steady_commits),
        cmocka_unit_test(test_page_size_and_a_threshold_in_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
