/* test_store_checkpoint.c - WAL checkpoints on their own thread
 * (core/store/store_checkpoint.c): commits past the threshold run
 * checkpoints without error while the store keeps committing, and every
 * committed event is there after stop, close and reopen.
 */
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

#include "gateway/error.h"
#include "store/store.h"
#include "store/store_checkpoint.h"

static store *open_store(const char *path)
{
    store_options opts = {.synchronous_full = 0};
    char err[512] = "";
    store *s = NULL;
    if (store_open(path, &opts, &s, err, sizeof err) != 0)
        fail_msg("store_open %s: %s", path, err);
    return s;
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
    store_checkpoint_stop(c, s);
    store_close(s);

    s = open_store(db);
    int n = 0;
    assert_int_equal(store_read(s, 0, 100000, count_cb, &n), 0);
    assert_int_equal(n, 2500);
    store_close(s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -r '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_off_the_committing_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
