/* test_deadletter_store.c - the dead-letter table's reads: one sink's
 * page and the next replay asked read that sink's rows only, whatever
 * the others hold (nothing prunes dead letters, and these run on the
 * loop). Counted in SQLite's virtual machine steps, not in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/error.h"
#include "store/deadletter_store.h"
#include "store/store.h"

#define MANY 20000

typedef struct seen {
    int64_t ids[8];
    int64_t seqs[8];
    size_t n;
} seen;

static void collect(void *arg, const deadletter_row *row)
{
    seen *s = arg;
    assert_true(s->n < 8);
    assert_string_equal("b", row->sink);
    s->ids[s->n] = row->id;
    s->seqs[s->n++] = row->seq;
}

/* The id of a row of sink a. */
static void id_of_a(void *arg, const deadletter_row *row)
{
    assert_string_equal("a", row->sink);
    *(int64_t *)arg = row->id;
}

static int count_progress(void *arg)
{
    (*(long *)arg)++;
    return 0;
}

static void test_one_sink_reads_its_own_rows(void **state)
{
    (void)state;
    char dir[] = "/tmp/gw-test-deadletters-XXXXXX", path[64], err[256] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gateway.db", dir);
    store_options opts = {0};
    store *s = NULL;
    assert_int_equal(GW_OK, store_open(path, &opts, &s, err, sizeof err));
    assert_int_equal(GW_OK, deadletter_init(s));
    /* sink b's three among sink a's many, one near each end */
    for (int64_t seq = 1; seq <= MANY; seq++) {
        const char *sink = seq == 5 || seq == MANY / 2 || seq == MANY - 1 ? "b" : "a";
        assert_int_equal(GW_OK, deadletter_park(s, sink, seq, "{}", 2, 400, "no", 1000));
    }
    assert_int_equal(GW_OK, store_commit(s));
    assert_int_equal(3, deadletter_count(s, "b"));

    long ticks = 0;
    sqlite3_progress_handler(store_db(s), 100, count_progress, &ticks);
    seen page = {0};
    assert_int_equal(2, deadletter_list(s, "b", 0, 2, collect, &page));
    assert_int_equal(1, deadletter_list(s, "b", page.ids[1], 2, collect, &page));
    assert_int_equal(0, deadletter_list(s, "b", page.ids[2], 2, collect, &page));
    int64_t want[] = {5, MANY / 2, MANY - 1};
    assert_memory_equal(want, page.seqs, sizeof want);
    /* no replay asked of b, then one of its middle row */
    seen next = {0};
    assert_int_equal(0, deadletter_next_replay(s, "b", collect, &next));
    assert_int_equal(1, deadletter_request_replay(s, page.ids[1]));
    assert_int_equal(1, deadletter_next_replay(s, "b", collect, &next));
    assert_int_equal(MANY / 2, next.seqs[0]);
    /* the one asked of a, its last row: found without walking the others */
    int64_t last_of_a = 0;
    assert_int_equal(1, deadletter_list(s, NULL, MANY - 1, 1, id_of_a, &last_of_a));
    assert_int_equal(1, deadletter_request_replay(s, last_of_a));
    int64_t found = 0;
    assert_int_equal(1, deadletter_next_replay(s, "a", id_of_a, &found));
    assert_int_equal(last_of_a, found);
    sqlite3_progress_handler(store_db(s), 0, NULL, NULL);
    /* a few dozen steps a statement; a walk over a's rows is 20 and more each */
    assert_true(ticks < 20);

    assert_int_equal(1, deadletter_drop(s, page.ids[0]));
    assert_int_equal(GW_OK, store_commit(s));
    assert_int_equal(2, deadletter_count(s, "b"));
    store_close(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(0, system(cmd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sink_reads_its_own_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
