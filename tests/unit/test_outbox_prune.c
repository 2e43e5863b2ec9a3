/* test_outbox_prune.c - pruning finished actions and keeping their
 * idempotency keys (core/store/outbox_store.c, outbox_store_prune and
 * outbox_store_get_pruned_key). Real SQLite in a temporary directory;
 * times are given, not read from the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "store/outbox_store.h"
#include "store/store.h"

#define SECOND ((int64_t)1000)
#define HOUR (3600 * SECOND)

typedef struct fixture {
    char dir[64], db[128];
    store *st;
    outbox_store *os;
} fixture;

static void open_all(fixture *f)
{
    char err[512] = "";
    store_options opts = {0};
    if (store_open(f->db, &opts, &f->st, err, sizeof err) != GW_OK)
        fail_msg("store_open: %s", err);
    if (outbox_store_open(f->st, &f->os, err, sizeof err) != GW_OK)
        fail_msg("outbox_store_open: %s", err);
}

static void close_all(fixture *f)
{
    outbox_store_close(f->os);
    store_close(f->st);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/gw-test-outbox-prune-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/gateway.db", f->dir);
    open_all(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    close_all(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A private answer "id" with key "k-<id>", queued at created. */
static void insert(fixture *f, const char *id, const char *text, int64_t created)
{
    char key[64];
    snprintf(key, sizeof key, "k-%s", id);
    outbox_new_row row = {.id = id, .key = key, .network = "mock", .account = "a",
                          .kind = "private", .recipient = "u1", .to_given = "u1",
                          .text = text, .now_ms = (uint64_t)created};
    assert_int_equal(outbox_store_insert(f->os, &row), GW_OK);
}

/* Sent, and finished (state) at `at`. */
static void finish(fixture *f, const char *id, const char *state, int64_t at)
{
    assert_int_equal(outbox_store_update(f->os, id, "sending", 1, 0, (uint64_t)at, NULL, NULL,
                                         NULL),
                     GW_OK);
    assert_int_equal(outbox_store_update(f->os, id, state, 1, 0, (uint64_t)at, "n-1",
                                         "https://example.invalid/n-1", NULL),
                     GW_OK);
}

static int ignore_row(void *arg, const outbox_row *row)
{
    (void)arg;
    (void)row;
    return 0;
}

static int exists(fixture *f, const char *id)
{
    return outbox_store_get(f->os, id, ignore_row, NULL);
}

typedef struct kept {
    char action_id[64], state[16], fingerprint[OUTBOX_FINGERPRINT_SIZE], native[32];
    int64_t finished_ms;
} kept;

static int copy_key(void *arg, const outbox_key_row *row)
{
    kept *k = arg;
    snprintf(k->action_id, sizeof k->action_id, "%s", row->action_id);
    snprintf(k->state, sizeof k->state, "%s", row->state);
    snprintf(k->fingerprint, sizeof k->fingerprint, "%s", row->fingerprint);
    snprintf(k->native, sizeof k->native, "%s", row->result_native_id ? row->result_native_id : "");
    k->finished_ms = row->finished_ms;
    return 0;
}

static outbox_pruned prune(fixture *f, int64_t now, int64_t retention, int64_t window,
                           int64_t max_rows)
{
    outbox_prune_limits lim = {.now_ms = now, .retention_ms = retention, .window_ms = window,
                               .max_rows = max_rows};
    outbox_pruned done;
    assert_int_equal(outbox_store_prune(f->os, &lim, &done), GW_OK);
    return done;
}

/* Finished rows older than the retention go; younger finished rows and
 * every unfinished row stay, however old. */
static void test_only_old_finished_rows_are_pruned(void **state)
{
    fixture *f = *state;
    int64_t t0 = 10 * HOUR;
    insert(f, "done-old", "a", t0);
    finish(f, "done-old", "succeeded", t0);
    insert(f, "failed-old", "b", t0);
    finish(f, "failed-old", "failed", t0);
    insert(f, "queued-old", "c", t0);
    insert(f, "sending-old", "d", t0);
    assert_int_equal(outbox_store_update(f->os, "sending-old", "sending", 1, 0, (uint64_t)t0,
                                         NULL, NULL, NULL),
                     GW_OK);
    insert(f, "retrying-old", "e", t0);
    assert_int_equal(outbox_store_update(f->os, "retrying-old", "sending", 1, 0, (uint64_t)t0,
                                         NULL, NULL, NULL),
                     GW_OK);
    assert_int_equal(outbox_store_update(f->os, "retrying-old", "retrying", 1, 0, (uint64_t)t0,
                                         NULL, NULL, "429"),
                     GW_OK);
    insert(f, "done-new", "f", t0 + 5 * HOUR);
    finish(f, "done-new", "succeeded", t0 + 5 * HOUR);

    outbox_pruned done = prune(f, t0 + 6 * HOUR, 2 * HOUR, HOUR, 0);
    assert_int_equal(done.actions, 2);
    assert_int_equal(exists(f, "done-old"), 0);
    assert_int_equal(exists(f, "failed-old"), 0);
    assert_int_equal(exists(f, "queued-old"), 1);
    assert_int_equal(exists(f, "sending-old"), 1);
    assert_int_equal(exists(f, "retrying-old"), 1);
    assert_int_equal(exists(f, "done-new"), 1);

    /* Years later, the unfinished rows are still there. */
    done = prune(f, t0 + 1000 * HOUR, 2 * HOUR, HOUR, 0);
    assert_int_equal(done.actions, 1); /* done-new */
    assert_int_equal(exists(f, "queued-old"), 1);
    assert_int_equal(exists(f, "sending-old"), 1);
    assert_int_equal(exists(f, "retrying-old"), 1);

    /* A retention of 0 keeps everything. */
    insert(f, "forever", "g", t0);
    finish(f, "forever", "succeeded", t0);
    assert_int_equal(prune(f, t0 + 1000 * HOUR, 0, HOUR, 0).actions, 0);
    assert_int_equal(exists(f, "forever"), 1);
}

/* The row's body is gone, its key still names the action, with the
 * fingerprint of the request it was made by; and this survives a commit
 * and a reopen. */
static void test_keys_inside_the_window_still_dedupe(void **state)
{
    fixture *f = *state;
    int64_t t0 = 10 * HOUR;
    insert(f, "A1", "thanks, fixed", t0);
    finish(f, "A1", "succeeded", t0 + SECOND);
    assert_int_equal(prune(f, t0 + 2 * HOUR, HOUR, 24 * HOUR, 0).actions, 1);
    assert_int_equal(exists(f, "A1"), 0);
    assert_int_equal(outbox_store_get_by_key(f->os, "k-A1", ignore_row, NULL), 0);

    assert_int_equal(store_commit(f->st), GW_OK);
    close_all(f);
    open_all(f);

    kept k = {0};
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-A1", t0 + 2 * HOUR - 24 * HOUR,
                                                 copy_key, &k),
                     1);
    assert_string_equal(k.action_id, "A1");
    assert_string_equal(k.state, "succeeded");
    assert_string_equal(k.native, "n-1");
    assert_int_equal(k.finished_ms, t0 + SECOND);
    char same[OUTBOX_FINGERPRINT_SIZE], other[OUTBOX_FINGERPRINT_SIZE];
    outbox_store_fingerprint("mock", "a", "private", NULL, "u1", "thanks, fixed", same);
    outbox_store_fingerprint("mock", "a", "private", NULL, "u1", "thanks, fixed!", other);
    assert_string_equal(k.fingerprint, same);
    assert_string_not_equal(k.fingerprint, other);
    /* Field boundaries count: "u1" + "x" is not "u" + "1x". */
    outbox_store_fingerprint("mock", "a", "private", NULL, "u", "1thanks, fixed", other);
    assert_string_not_equal(k.fingerprint, other);

    /* A later slice inside the window leaves the key alone. */
    assert_int_equal(prune(f, t0 + 20 * HOUR, HOUR, 24 * HOUR, 0).keys, 0);
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-A1", t0 + 20 * HOUR - 24 * HOUR,
                                                 copy_key, &k),
                     1);
}

/* After the window the key is new: not found even before a prune deleted
 * its record, then deleted; a new action may take it, and is pruned into
 * a fresh record in its turn. */
static void test_after_the_window_a_key_is_new(void **state)
{
    fixture *f = *state;
    int64_t t0 = 10 * HOUR, window = 24 * HOUR;
    insert(f, "B1", "x", t0);
    finish(f, "B1", "failed", t0);
    assert_int_equal(prune(f, t0 + 2 * HOUR, HOUR, window, 0).actions, 1);
    kept k = {0};
    int64_t later = t0 + window + SECOND;
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-B1", later - window, copy_key, &k), 0);
    outbox_pruned done = prune(f, later, HOUR, window, 0);
    assert_int_equal(done.keys, 1);

    /* The same key again: a new action with a new id. */
    outbox_new_row row = {.id = "B2", .key = "k-B1", .network = "mock", .account = "a",
                          .kind = "private", .recipient = "u1", .text = "y",
                          .now_ms = (uint64_t)later};
    assert_int_equal(outbox_store_insert(f->os, &row), GW_OK);
    finish(f, "B2", "succeeded", later);
    assert_int_equal(prune(f, later + 2 * HOUR, HOUR, window, 0).actions, 1);
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-B1", later, copy_key, &k), 1);
    assert_string_equal(k.action_id, "B2");
}

/* A window shorter than the retention keeps no record (the row kept the
 * key longer than the window already); a window of 0 keeps none. */
static void test_no_record_past_the_window(void **state)
{
    fixture *f = *state;
    int64_t t0 = 10 * HOUR;
    insert(f, "C1", "x", t0);
    finish(f, "C1", "succeeded", t0);
    insert(f, "C2", "x", t0);
    finish(f, "C2", "succeeded", t0);
    assert_int_equal(prune(f, t0 + 48 * HOUR, 24 * HOUR, HOUR, 1).actions, 1);
    assert_int_equal(prune(f, t0 + 48 * HOUR, 24 * HOUR, 0, 1).actions, 1);
    kept k = {0};
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-C1", 0, copy_key, &k), 0);
    assert_int_equal(outbox_store_get_pruned_key(f->os, "k-C2", 0, copy_key, &k), 0);
}

/* One call deletes at most max_rows, the oldest first, so a backlog is
 * worked off in slices. */
static void test_pruning_goes_in_bounded_slices(void **state)
{
    fixture *f = *state;
    int64_t t0 = 10 * HOUR;
    char id[16];
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof id, "S%02d", i);
        insert(f, id, "x", t0);
        finish(f, id, "succeeded", t0 + i * SECOND);
    }
    int64_t now = t0 + 48 * HOUR;
    assert_int_equal(prune(f, now, HOUR, 100 * HOUR, 10).actions, 10);
    assert_int_equal(exists(f, "S09"), 0);
    assert_int_equal(exists(f, "S10"), 1); /* the oldest went first */
    assert_int_equal(prune(f, now, HOUR, 100 * HOUR, 10).actions, 10);
    assert_int_equal(prune(f, now, HOUR, 100 * HOUR, 10).actions, 5);
    assert_int_equal(prune(f, now, HOUR, 100 * HOUR, 10).actions, 0);
    /* Their key records expire in slices as well. */
    int64_t past = t0 + 200 * HOUR;
    assert_int_equal(prune(f, past, HOUR, 100 * HOUR, 10).keys, 10);
    assert_int_equal(prune(f, past, HOUR, 100 * HOUR, 10).keys, 10);
    assert_int_equal(prune(f, past, HOUR, 100 * HOUR, 10).keys, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_old_finished_rows_are_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_inside_the_window_still_dedupe, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_after_the_window_a_key_is_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_record_past_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pruning_goes_in_bounded_slices, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
