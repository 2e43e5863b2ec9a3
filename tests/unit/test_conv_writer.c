/* test_conv_writer.c - the thread that writes the conversation service's
 * rows (service/conv_writer.c): a tick's batch is written and committed
 * with its applied seq, with copies of the rows' strings; rows handed
 * over without a commit are the loop's to read on the same connection
 * and no one else's until a commit; after a failed batch (another
 * connection holds the write lock) the batches handed over before the
 * failure is taken are dropped, not committed past the lost rows; a
 * hand-over waits while CONV_WRITER_QUEUED_MAX batches are queued; the
 * close writes every batch handed over; a tick's event members are a row
 * read back on a connection of the loop's own once committed (a gap
 * without rows answered at once for all of it), the durable
 * seq and its callback follow the commit, and pruning deletes the rows
 * of older events. Real SQLite files, a real thread
 * and a real uv loop; rows are read back through a connection of the
 * test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/error.h"
#include "service/conv_writer.h"

typedef struct fixture {
    char dir[64], path[128];
    uv_loop_t loop;
    store *db;
    conv_store *cs;
    contact_store *ks;
    event_members *em;
    conv_writer *w;
    int failed_calls, durable_calls;
} fixture;

static void on_failed(void *arg)
{
    fixture *f = arg;
    f->failed_calls++;
}

static void on_durable(void *arg)
{
    fixture *f = arg;
    f->durable_calls++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/gw-convwriter-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/conversations.db", f->dir);
    store_options o = {.bare = 1};
    char err[256];
    if (uv_loop_init(&f->loop) != 0 || store_open(f->path, &o, &f->db, err, sizeof err) != GW_OK ||
        conv_store_open(f->db, &f->cs, err, sizeof err) != GW_OK ||
        contact_store_open(f->cs, &f->ks, err, sizeof err) != GW_OK ||
        event_members_open(f->db, &f->em, err, sizeof err) != GW_OK ||
        store_commit(f->db) != GW_OK)
        return -1;
    conv_writer_hooks hooks = {.failed = on_failed, .durable = on_durable, .arg = f};
    if (conv_writer_start(&f->loop, f->db, f->cs, f->ks, f->em, &hooks, &f->w) != GW_OK)
        return -1;
    *state = f;
    return 0;
}

static void writer_close(fixture *f)
{
    if (f->w != NULL) {
        conv_writer_close(f->w);
        uv_run(&f->loop, UV_RUN_DEFAULT); /* the handle's close frees it */
        f->w = NULL;
    }
}

static int teardown(void **state)
{
    fixture *f = *state;
    writer_close(f);
    contact_store_close(f->ks);
    conv_store_close(f->cs);
    event_members_close(f->em);
    store_close(f->db);
    uv_loop_close(&f->loop);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static conv_row row_of(int64_t id, const char *thread, const char *seqs)
{
    return (conv_row){.id = id,
                      .network = "mock",
                      .account = "acme",
                      .thread = thread,
                      .contact = 1,
                      .visibility = "public",
                      .state = "open",
                      .priority_score = 50,
                      .priority = "normal",
                      .items = 1,
                      .first_ms = 1000,
                      .last_ms = 1000,
                      .seqs = seqs};
}

/* One integer from sql on a connection of the test's own: the committed
 * state, as another process would see it. -1 when there is no row. */
static int64_t others_see(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL));
    assert_int_equal(SQLITE_OK, sqlite3_prepare_v2(db, sql, -1, &q, NULL));
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static int64_t applied_as_others_see(const fixture *f)
{
    return others_see(f, "SELECT seq FROM applied");
}

static void test_a_tick_batch_is_written_and_committed_with_its_applied_seq(void **state)
{
    fixture *f = *state;
    char thread[16] = "t1", seqs[16] = "1,2";
    conv_row r = row_of(1, thread, seqs);
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &r));
    char author[16] = "u1";
    contact_row c = {.id = 1,
                     .network = "mock",
                     .author = author,
                     .handle = "@u1",
                     .followers = 10,
                     .first_ms = 1000,
                     .last_ms = 1000,
                     .items = 2,
                     .open = 1,
                     .person = 1};
    assert_int_equal(GW_OK, conv_writer_contact(f->w, &c));
    assert_int_equal(GW_OK, conv_writer_items(f->w, 1, "1", 1));
    conv_writer_link(f->w, 1);
    /* the batch holds copies: the loop reuses its buffers at once */
    strcpy(thread, "xx");
    strcpy(seqs, "9");
    strcpy(author, "zz");
    assert_true(conv_writer_pending(f->w));
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 7, 1));
    assert_false(conv_writer_pending(f->w));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));

    assert_int_equal(7, applied_as_others_see(f));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM conversations WHERE thread = 't1' "
                                      "AND seqs = '1,2'"));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM contacts WHERE author = 'u1'"));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM conversation_items"));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM contact_conversations"));
    assert_int_equal(0, f->failed_calls);
}

static void test_rows_without_a_commit_are_the_loops_to_read_until_a_commit(void **state)
{
    fixture *f = *state;
    conv_row r = row_of(3, "t3", "5");
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &r));
    assert_int_equal(GW_OK, conv_writer_submit(f->w, -1, 0));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    /* the loop's reads, on the writer's connection once it waited */
    int64_t max_conv = 0, max_contact = 0;
    assert_int_equal(GW_OK, conv_store_max_ids(f->cs, &max_conv, &max_contact));
    assert_int_equal(3, max_conv);
    assert_int_equal(0, others_see(f, "SELECT count(*) FROM conversations"));
    /* an empty batch that commits: what the earlier one wrote */
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 12, 1));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM conversations"));
    assert_int_equal(12, applied_as_others_see(f));
    /* and an empty batch without a commit is not handed over at all */
    assert_int_equal(GW_OK, conv_writer_submit(f->w, -1, 0));
}

static void test_batches_after_a_failed_one_are_dropped_until_the_take(void **state)
{
    fixture *f = *state;
    sqlite3 *other = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open(f->path, &other));
    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL));

    conv_row a = row_of(1, "ta", "1");
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &a));
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 1, 1));
    assert_int_equal(GW_EIO, conv_writer_wait(f->w)); /* after the store's busy wait */
    /* made before the loop heard of the failure: it must not commit an
     * applied seq past row 1, which the file lacks */
    conv_row b = row_of(2, "tb", "2");
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &b));
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 2, 1));
    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL));
    sqlite3_close(other);

    /* the uv_async tells the loop (bounded: the send came before the
     * wait above returned) */
    for (int i = 0; i < 1000 && f->failed_calls == 0; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(1, f->failed_calls);

    char err[256] = "";
    assert_int_equal(GW_EIO, conv_writer_take_failure(f->w, err, sizeof err));
    assert_non_null(strstr(err, "locked"));
    assert_int_equal(GW_OK, conv_writer_take_failure(f->w, err, sizeof err)); /* taken */
    assert_int_equal(0, others_see(f, "SELECT count(*) FROM conversations"));
    assert_int_equal(-1, applied_as_others_see(f));

    /* batches run again: what the retry hands over is written */
    conv_row c = row_of(3, "tc", "3");
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &c));
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 3, 1));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(1, others_see(f, "SELECT count(*) FROM conversations"));
    assert_int_equal(3, applied_as_others_see(f));
}

/* The loop's side of the bound test, on a thread of its own: hands over
 * QUEUED_MAX + 2 batches, counting those whose hand-over returned. */
typedef struct submitter {
    conv_writer *w;
    atomic_int done;
} submitter;

#define BOUND_BATCHES (CONV_WRITER_QUEUED_MAX + 2)

static void *submit_all(void *arg)
{
    submitter *s = arg;
    for (int64_t i = 1; i <= BOUND_BATCHES; i++) {
        char thread[16];
        snprintf(thread, sizeof thread, "q%lld", (long long)i);
        conv_row r = row_of(i, thread, "1");
        if (conv_writer_conversation(s->w, &r) != GW_OK || conv_writer_submit(s->w, i, 1) != GW_OK)
            break;
        atomic_store(&s->done, (int)i);
    }
    return NULL;
}

/* Another connection holds the write lock, so the thread is stuck in the
 * store's busy wait on the first batch. The hand-overs fill the queue,
 * and the one past CONV_WRITER_QUEUED_MAX waits instead of queueing: one
 * batch busy, sixteen queued, so at least one of the eighteen cannot
 * have returned while the lock is held. Without the bound every
 * hand-over returns, the wait count stays 0 and the bounded poll fails.
 * Released, every batch is written. */
static void test_a_full_queue_makes_the_hand_over_wait(void **state)
{
    fixture *f = *state;
    sqlite3 *other = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open(f->path, &other));
    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL));

    submitter s = {.w = f->w};
    pthread_t t;
    assert_int_equal(0, pthread_create(&t, NULL, submit_all, &s));
    /* well within the store's 5 s busy wait, which would fail batch 1 */
    conv_writer_stats st = {0};
    for (int i = 0; i < 300; i++) {
        conv_writer_stats_get(f->w, &st);
        if (st.full_waits > 0 && st.queued == CONV_WRITER_QUEUED_MAX)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    assert_true(st.full_waits > 0);
    assert_int_equal(CONV_WRITER_QUEUED_MAX, st.queued);
    assert_true(atomic_load(&s.done) < BOUND_BATCHES);

    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL));
    sqlite3_close(other);
    assert_int_equal(0, pthread_join(t, NULL));
    assert_int_equal(BOUND_BATCHES, atomic_load(&s.done));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(BOUND_BATCHES, others_see(f, "SELECT count(*) FROM conversations"));
    assert_int_equal(BOUND_BATCHES, applied_as_others_see(f));
    assert_int_equal(0, f->failed_calls);
}

/* The members of seqs first..last ("m<seq>" each; none for an odd seq
 * when skip_odd), as the service builds a tick's body. */
static size_t members_body(char **body, int64_t first, int64_t last, int skip_odd)
{
    size_t len = 0, cap = 0;
    *body = NULL;
    for (int64_t s = first; s <= last; s++) {
        if (skip_odd && s % 2 == 1)
            continue;
        char text[32];
        int n = snprintf(text, sizeof text, "\"m\":%lld", (long long)s);
        assert_int_equal(GW_OK, members_body_add(body, &len, &cap, first, s, text, (size_t)n));
    }
    return len;
}

static void expect_members(members_walk *w, int64_t seq, const char *want)
{
    const char *text = NULL;
    size_t len = 0;
    int found = members_walk_find(w, seq, &text, &len);
    if (want == NULL) {
        assert_int_equal(0, found);
        return;
    }
    assert_int_equal(1, found);
    assert_int_equal(strlen(want), len);
    assert_memory_equal(want, text, len);
}

static void test_a_ticks_members_are_read_back_once_committed(void **state)
{
    fixture *f = *state;
    char err[256];
    members_reader *r = NULL;
    assert_int_equal(GW_OK, members_reader_open(f->path, &r, err, sizeof err));
    assert_int_equal(-1, conv_writer_durable(f->w));

    char *body;
    size_t len = members_body(&body, 10, 20, 1);
    assert_int_equal(GW_OK, conv_writer_members(f->w, 10, 20, body, len));
    free(body); /* copied */
    len = members_body(&body, 21, 23, 0);
    assert_int_equal(GW_OK, conv_writer_members(f->w, 21, 23, body, len));
    free(body);
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 23, 1));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(23, conv_writer_durable(f->w));
    /* the callback comes through the loop */
    for (int i = 0; i < 1000 && f->durable_calls == 0; i++) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        if (f->durable_calls == 0)
            usleep(1000);
    }
    assert_int_equal(1, f->durable_calls);

    members_walk w;
    assert_int_equal(1, members_reader_find(r, 14, &w));
    assert_int_equal(10, w.first);
    assert_int_equal(20, w.last);
    expect_members(&w, 10, "\"m\":10");
    expect_members(&w, 11, NULL); /* an event without members */
    expect_members(&w, 14, "\"m\":14");
    expect_members(&w, 20, "\"m\":20");
    expect_members(&w, 12, "\"m\":12"); /* asked again, lower: from the start */
    assert_int_equal(1, members_reader_find(r, 23, &w));
    expect_members(&w, 23, "\"m\":23");
    /* before every row: a gap up to the first, asked once */
    assert_int_equal(0, members_reader_find(r, 5, &w));
    assert_int_equal(5, w.first);
    assert_int_equal(9, w.last);
    assert_int_equal(0, members_reader_find(r, 24, &w)); /* not written: none after */
    assert_int_equal(INT64_MAX, w.last);

    /* pruned: the rows of events before 21 go, with the next commit */
    conv_writer_prune(f->w, 21);
    assert_int_equal(GW_OK, conv_writer_submit(f->w, 24, 1));
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(0, members_reader_find(r, 14, &w));
    assert_int_equal(1, members_reader_find(r, 22, &w));
    expect_members(&w, 22, "\"m\":22");
    assert_int_equal(24, conv_writer_durable(f->w));
    members_reader_close(r);
}

/* Batches recycle their string blocks (a tick's members are one string
 * of hundreds of kilobytes): each of many ticks, handed over without
 * waiting and of sizes that grow and shrink, must be written as it was
 * given, never with a later tick's bytes in a block it shared. */
static void test_recycled_blocks_keep_every_ticks_members(void **state)
{
    fixture *f = *state;
    enum { TICKS = 3 * CONV_WRITER_QUEUED_MAX, BASE = 100000 };
    for (int64_t t = 0; t < TICKS; t++) {
        int64_t first = t * BASE + 1, count = 4000 + (t % 5) * 3000; /* ~70-230 KB */
        char *body;
        size_t len = members_body(&body, first, first + count - 1, 0);
        char thread[16];
        snprintf(thread, sizeof thread, "b%lld", (long long)t);
        conv_row r = row_of(t + 1, thread, "1,2,3");
        assert_int_equal(GW_OK, conv_writer_conversation(f->w, &r));
        assert_int_equal(GW_OK, conv_writer_members(f->w, first, first + count - 1, body, len));
        free(body);
        assert_int_equal(GW_OK, conv_writer_submit(f->w, first + count - 1, 1));
    }
    assert_int_equal(GW_OK, conv_writer_wait(f->w));
    assert_int_equal(TICKS, others_see(f, "SELECT count(*) FROM conversations"));

    char err[256];
    members_reader *rd = NULL;
    assert_int_equal(GW_OK, members_reader_open(f->path, &rd, err, sizeof err));
    for (int64_t t = 0; t < TICKS; t++) {
        int64_t first = t * BASE + 1, last = first + 4000 + (t % 5) * 3000 - 1;
        members_walk w;
        assert_int_equal(1, members_reader_find(rd, first, &w));
        assert_int_equal(first, w.first);
        assert_int_equal(last, w.last);
        int64_t probes[] = {first, first + 1234, last - 1, last};
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
            char want[32];
            snprintf(want, sizeof want, "\"m\":%lld", (long long)probes[i]);
            expect_members(&w, probes[i], want);
        }
    }
    members_reader_close(rd);
}

static void test_the_close_writes_every_batch_handed_over(void **state)
{
    fixture *f = *state;
    for (int64_t i = 1; i <= 50; i++) {
        char thread[16];
        snprintf(thread, sizeof thread, "t%lld", (long long)i);
        conv_row r = row_of(i, thread, "1");
        assert_int_equal(GW_OK, conv_writer_conversation(f->w, &r));
        assert_int_equal(GW_OK, conv_writer_submit(f->w, i, 1));
    }
    conv_row r = row_of(51, "never", "1"); /* filled, not handed over */
    assert_int_equal(GW_OK, conv_writer_conversation(f->w, &r));
    writer_close(f);
    assert_int_equal(50, others_see(f, "SELECT count(*) FROM conversations"));
    assert_int_equal(50, applied_as_others_see(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_tick_batch_is_written_and_committed_with_its_applied_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_rows_without_a_commit_are_the_loops_to_read_until_a_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_after_a_failed_one_are_dropped_until_the_take,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_full_queue_makes_the_hand_over_wait, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_ticks_members_are_read_back_once_committed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recycled_blocks_keep_every_ticks_members, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_close_writes_every_batch_handed_over, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
