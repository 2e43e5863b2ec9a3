/* test_conv_store.c - a contact's conversations through the links written
 * in batches (conv_store_link_contacts) and the conversations after the
 * last batch, read from the table: the history and the open count are
 * whole whatever the batches' progress, across a reopen, and a lost tick
 * puts the mark back; a conversation's items moved out of its row read
 * back in order. Real SQLite in a temporary directory. */
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
#include "store/contact_store.h"
#include "store/conv_store.h"
#include "store/store.h"

#define CONVS 40

typedef struct fixture {
    char dir[64], path[96];
    store *st;
    conv_store *cs;
    contact_store *ks;
} fixture;

static void open_all(fixture *f)
{
    char err[256];
    store_options opts = {.synchronous_full = 0};
    if (store_open(f->path, &opts, &f->st, err, sizeof err) != GW_OK)
        fail_msg("store_open: %s", err);
    if (conv_store_open(f->st, &f->cs, err, sizeof err) != GW_OK ||
        contact_store_open(f->cs, &f->ks, err, sizeof err) != GW_OK)
        fail_msg("conv_store_open: %s", err);
    assert_int_equal(GW_OK, store_commit(f->st));
}

static void close_all(fixture *f)
{
    contact_store_close(f->ks);
    conv_store_close(f->cs);
    store_close(f->st);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gw-conv-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/gateway.db", f->dir);
    open_all(f);
    /* contacts 1 and 2 are one person (1), contact 3 its own */
    for (int64_t id = 1; id <= 3; id++) {
        char author[16];
        snprintf(author, sizeof author, "a%lld", (long long)id);
        contact_row r = {.id = id, .network = "mock", .author = author, .followers = -1,
                         .first_ms = 1, .last_ms = 1, .person = id == 2 ? 1 : id};
        assert_int_equal(GW_OK, contact_store_put(f->ks, &r));
    }
    /* conversation i: contact i % 3 + 1 (none for every seventh), closed
     * for every fifth */
    conv_row rows[CONVS];
    char threads[CONVS][16];
    for (int i = 0; i < CONVS; i++) {
        snprintf(threads[i], sizeof threads[i], "t%d", i);
        rows[i] = (conv_row){.id = i + 1, .network = "mock", .account = "acme",
                             .thread = threads[i], .contact = i % 7 == 6 ? 0 : i % 3 + 1,
                             .visibility = "public", .state = i % 5 == 4 ? "closed" : "open",
                             .items = 1, .first_ms = 1000 + i, .last_ms = 1000 + i,
                             .seqs = "1"};
    }
    assert_int_equal(GW_OK, conv_store_put_conversations(f->cs, rows, CONVS));
    assert_int_equal(GW_OK, store_commit(f->st));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    close_all(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(0, system(cmd));
    free(f);
    return 0;
}

typedef struct seen {
    int64_t ids[CONVS];
    size_t n;
} seen;

static int collect(void *arg, const conv_row *r)
{
    seen *s = arg;
    s->ids[s->n++] = r->id;
    return 0;
}

/* What the history and the open counts must be, from the rows above. */
static void check_reads(fixture *f)
{
    seen person1 = {0};
    int n = conv_store_each_of_person(f->cs, 1, CONVS, collect, &person1);
    assert_int_equal(n, (int)person1.n);
    size_t want = 0;
    for (int i = CONVS - 1; i >= 0; i--) { /* newest first */
        int64_t contact = i % 7 == 6 ? 0 : i % 3 + 1;
        if (contact == 1 || contact == 2) {
            assert_true(want < person1.n);
            assert_int_equal(person1.ids[want++], i + 1);
        }
    }
    assert_int_equal(want, person1.n);
    for (int64_t c = 1; c <= 3; c++) {
        int64_t open = 0;
        for (int i = 0; i < CONVS; i++)
            open += (i % 7 == 6 ? 0 : i % 3 + 1) == c && i % 5 != 4;
        assert_int_equal(open, conv_store_open_of_contact(f->cs, c));
    }
}

static void test_reads_are_whole_at_every_mark(void **state)
{
    fixture *f = *state;
    assert_int_equal(0, conv_store_linked_through(f->cs));
    check_reads(f); /* nothing linked: all from the table */
    for (int64_t upto = 7; upto <= CONVS + 5; upto += 13) {
        assert_int_equal(GW_OK, conv_store_link_contacts(f->cs, upto));
        assert_int_equal(upto, conv_store_linked_through(f->cs));
        check_reads(f); /* some linked, the rest from the table */
        assert_int_equal(GW_OK, store_commit(f->st));
    }
    /* the mark survives a reopen */
    int64_t mark = conv_store_linked_through(f->cs);
    close_all(f);
    open_all(f);
    assert_int_equal(mark, conv_store_linked_through(f->cs));
    check_reads(f);
}

static void test_lost_tick_puts_the_mark_back(void **state)
{
    fixture *f = *state;
    assert_int_equal(GW_OK, conv_store_link_contacts(f->cs, 10));
    assert_int_equal(GW_OK, store_commit(f->st));
    assert_int_equal(GW_OK, conv_store_link_contacts(f->cs, 30));
    /* the tick is lost (as when its commit fails) */
    assert_int_equal(SQLITE_OK, sqlite3_exec(store_db(f->st), "ROLLBACK", NULL, NULL, NULL));
    assert_int_equal(30, conv_store_linked_through(f->cs)); /* memory ran ahead */
    assert_int_equal(GW_OK, conv_store_load_mark(f->cs));
    assert_int_equal(10, conv_store_linked_through(f->cs));
    check_reads(f);
}

static void expect_items(fixture *f, int64_t id, const char *tail, size_t max, const char *want)
{
    char *got = NULL;
    assert_int_equal(GW_OK, conv_store_items(f->cs, id, tail, max, &got));
    assert_string_equal(want, got);
    free(got);
}

static void test_items_moved_out_read_back_in_order(void **state)
{
    fixture *f = *state;
    /* chunks of conversation 5 written out of order, one of 6 between */
    assert_int_equal(GW_OK, conv_store_put_items(f->cs, 5, "10,11,12", 8));
    assert_int_equal(GW_OK, conv_store_put_items(f->cs, 6, "4,7", 3));
    assert_int_equal(GW_OK, conv_store_put_items(f->cs, 5, "1,2,3,xx", 5)); /* len: "1,2,3" */
    assert_int_equal(GW_EINVAL, conv_store_put_items(f->cs, 5, ",9", 2));
    assert_int_equal(GW_EINVAL, conv_store_put_items(f->cs, 5, "77", 0)); /* no digit within len */
    assert_int_equal(GW_OK, store_commit(f->st));
    expect_items(f, 5, "20,21", 100, "1,2,3,10,11,12,20,21");
    expect_items(f, 5, NULL, 100, "1,2,3,10,11,12");
    expect_items(f, 5, "", 100, "1,2,3,10,11,12");
    expect_items(f, 6, "30", 100, "4,7,30");
    /* no chunk: the row's own list, or nothing */
    expect_items(f, 9, "7,8", 100, "7,8");
    expect_items(f, 9, NULL, 100, "");
    /* enough after a chunk: the rest is not read */
    expect_items(f, 5, "20,21", 3, "1,2,3");
    expect_items(f, 5, "20,21", 4, "1,2,3,10,11,12");
    /* the same chunk again (a tick written twice) replaces it */
    assert_int_equal(GW_OK, conv_store_put_items(f->cs, 5, "1,2,3", 5));
    expect_items(f, 5, NULL, 100, "1,2,3,10,11,12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_are_whole_at_every_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_tick_puts_the_mark_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items_moved_out_read_back_in_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
