/* test_outbox_store.c - the outbox table's guard on state moves
 * (core/store/outbox_store.c), and the data directory's lock
 * (core/store/datadir.c): the two things that keep a second writer from
 * posting an answer twice or leaving a contradictory row. Real SQLite in
 * a temporary directory; the lock is contended from a real second
 * process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/error.h"
#include "store/datadir.h"
#include "store/outbox_store.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    store *st;
    outbox_store *os;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/gw-test-outbox-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char db[128], err[512] = "";
    snprintf(db, sizeof db, "%s/gateway.db", f->dir);
    store_options opts = {0};
    if (store_open(db, &opts, &f->st, err, sizeof err) != GW_OK)
        fail_msg("store_open: %s", err);
    if (outbox_store_open(f->st, &f->os, err, sizeof err) != GW_OK)
        fail_msg("outbox_store_open: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    outbox_store_close(f->os);
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void insert(fixture *f, const char *id)
{
    outbox_new_row row = {.id = id, .key = id, .network = "mock", .account = "a",
                          .kind = "private", .recipient = "u1", .text = "hello",
                          .now_ms = 1000};
    assert_int_equal(outbox_store_insert(f->os, &row), GW_OK);
}

static int move(fixture *f, const char *id, const char *state, const char *reason)
{
    return outbox_store_update(f->os, id, state, 1, 0, 2000, NULL, NULL, reason);
}

typedef struct seen {
    char state[16];
    char reason[128];
    int has_reason;
} seen;

static int copy_row(void *arg, const outbox_row *row)
{
    seen *s = arg;
    snprintf(s->state, sizeof s->state, "%s", row->state);
    s->has_reason = row->reason != NULL;
    snprintf(s->reason, sizeof s->reason, "%s", row->reason ? row->reason : "");
    return 0;
}

static seen read_row(fixture *f, const char *id)
{
    seen s = {0};
    assert_int_equal(outbox_store_get(f->os, id, copy_row, &s), 1);
    return s;
}

/* The moves the state machine makes are written. */
static void test_the_state_machine_moves(void **state)
{
    fixture *f = *state;
    insert(f, "A1");
    assert_int_equal(move(f, "A1", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A1", "retrying", "429 from the network"), GW_OK);
    assert_int_equal(move(f, "A1", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A1", "queued", NULL), GW_OK); /* hook never ran */
    assert_int_equal(move(f, "A1", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A1", "succeeded", NULL), GW_OK);
    seen s = read_row(f, "A1");
    assert_string_equal(s.state, "succeeded");
    /* A success carries no failure reason left over from a retry. */
    assert_false(s.has_reason);
}

/* What the issue saw: another process failed the row as "outcome
 * unknown", then this one recorded a success on top. Now refused, and
 * the row keeps the first final state. */
static void test_a_final_row_stays_final(void **state)
{
    fixture *f = *state;
    insert(f, "A2");
    assert_int_equal(move(f, "A2", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A2", "failed", "outcome unknown: stopped in flight"), GW_OK);
    assert_int_equal(move(f, "A2", "succeeded", NULL), GW_ESTATE);
    assert_int_equal(move(f, "A2", "sending", NULL), GW_ESTATE);
    assert_int_equal(move(f, "A2", "failed", "again"), GW_ESTATE);
    seen s = read_row(f, "A2");
    assert_string_equal(s.state, "failed");
    assert_string_equal(s.reason, "outcome unknown: stopped in flight");

    insert(f, "A3");
    assert_int_equal(move(f, "A3", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A3", "succeeded", NULL), GW_OK);
    assert_int_equal(move(f, "A3", "failed", "late"), GW_ESTATE);
    assert_string_equal(read_row(f, "A3").state, "succeeded");
}

/* Moves that skip a step are refused too: nothing succeeds without having
 * been sent, nothing is sent twice at once. */
static void test_moves_that_skip_a_step_are_refused(void **state)
{
    fixture *f = *state;
    insert(f, "A4");
    assert_int_equal(move(f, "A4", "succeeded", NULL), GW_ESTATE);
    assert_int_equal(move(f, "A4", "retrying", NULL), GW_ESTATE);
    assert_int_equal(move(f, "A4", "sending", NULL), GW_OK);
    assert_int_equal(move(f, "A4", "sending", NULL), GW_ESTATE);
    assert_string_equal(read_row(f, "A4").state, "sending");
    assert_int_equal(move(f, "no-such-row", "sending", NULL), GW_ESTATE);
}

/* ---- the data directory's lock ------------------------------------------ */

static void test_datadir_lock_is_exclusive_and_names_the_holder(void **state)
{
    fixture *f = *state;
    char dir[128], err[512] = "";
    snprintf(dir, sizeof dir, "%s/data/nested", f->dir); /* made on the way */
    datadir_lock mine;
    assert_int_equal(datadir_lock_take(dir, &mine, err, sizeof err), GW_OK);
    assert_true(mine.fd >= 0);

    /* A second process is refused and told who holds it. */
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        datadir_lock other;
        char cerr[512] = "";
        int rc = datadir_lock_take(dir, &other, cerr, sizeof cerr);
        dprintf(pipefd[1], "%d|%s", rc, cerr);
        _exit(0);
    }
    close(pipefd[1]);
    char got[600] = "";
    ssize_t n = read(pipefd[0], got, sizeof got - 1);
    close(pipefd[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(n > 0);
    char want[256];
    snprintf(want, sizeof want, "%d|data_dir %s is in use by pid %ld", GW_EBUSY, dir,
             (long)getpid());
    if (strncmp(got, want, strlen(want)) != 0)
        fail_msg("got \"%s\", want it to start with \"%s\"", got, want);

    /* In this process too: a second open of the lock is refused. */
    datadir_lock again;
    assert_int_equal(datadir_lock_take(dir, &again, err, sizeof err), GW_EBUSY);
    assert_int_equal(again.fd, -1);

    /* Released, it can be taken again; releasing twice is harmless. */
    datadir_lock_release(&mine);
    datadir_lock_release(&mine);
    assert_int_equal(datadir_lock_take(dir, &again, err, sizeof err), GW_OK);
    datadir_lock_release(&again);
}

static void test_datadir_that_cannot_be_made_says_why(void **state)
{
    fixture *f = *state;
    char file[128], dir[160], err[512] = "";
    snprintf(file, sizeof file, "%s/a-file", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(dir, sizeof dir, "%s/sub", file);
    datadir_lock l;
    assert_int_equal(datadir_lock_take(dir, &l, err, sizeof err), GW_EIO);
    assert_non_null(strstr(err, "cannot create the data directory"));
    assert_int_equal(l.fd, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_state_machine_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_final_row_stays_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moves_that_skip_a_step_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datadir_lock_is_exclusive_and_names_the_holder,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_datadir_that_cannot_be_made_says_why, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
