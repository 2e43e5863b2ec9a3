/* test_conv_db.c - the conversation service's own database
 * (service/conv_db.c): the events' members are kept there, not in the
 * stored event, and no event leaves before the commit that holds them;
 * a crash after the log's commit and before the service's is made good
 * at the next start by deciding those events again (none of them left),
 * a close lost with the service's tick included; the members of events
 * the log pruned go with them; an older data directory's tables move out
 * of the log's database, and the events an older build stored with their
 * members inside keep the ids they carry. Real SQLite files in a
 * temporary directory, the real pipeline and service; the "crash" frees
 * the service without its commit, as a kill -9 between the two commits
 * would leave the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/pipeline.h"
#include "gateway/error.h"
#include "service/conv_service.h"
#include "store/event_members.h"

#define T0 1790000000000LL /* the items' received_at, ms */

typedef struct fixture {
    char dir[64], log_path[128], conv_path[128];
    uv_loop_t loop;
    logger log;
    store *st;
    conv_service *svc;
    int64_t now;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gw-convdb-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->log_path, sizeof f->log_path, "%s/gateway.db", f->dir);
    snprintf(f->conv_path, sizeof f->conv_path, "%s/conversations.db", f->dir);
    store_options o = {.synchronous_full = 0};
    char err[256];
    if (uv_loop_init(&f->loop) != 0 || store_open(f->log_path, &o, &f->st, err, sizeof err) != 0)
        return -1;
    f->log = (logger){.level = GW_LOG_ERROR, .out = stderr};
    f->now = T0;
    *state = f;
    return 0;
}

static void service_open(fixture *f)
{
    conv_options o = {.contact_cache = 100, .dm_join_window_ms = 3600000};
    char err[256] = "";
    if (conv_service_open(&f->loop, f->st, f->conv_path, &f->log, &o, &f->svc, err, sizeof err) !=
        GW_OK)
        fail_msg("conv_service_open: %s", err);
}

/* As the gateway stops (log_committed) or as a kill -9 after the log's
 * commit leaves it (the service's writes since its last commit lost). */
static void service_end(fixture *f, int log_committed)
{
    conv_service_close(f->svc, log_committed);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the timers' close callbacks */
    conv_service_free(f->svc);
    f->svc = NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->svc != NULL)
        service_end(f, 1);
    store_close(f->st);
    uv_loop_close(&f->loop);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* A mock mention, as a plugin hands it over; its own "contact" member
 * when plugin_contact is not NULL. The pipeline's return (1 stored, 0 a
 * duplicate). */
static int ingest_with(fixture *f, const char *native, const char *thread, const char *author,
                       const char *plugin_contact, pipeline_observer *obs)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I}}", "type", "mention",
                           "visibility", "public", "native_id", native, "thread_id", thread, "text",
                           "@acme where is my parcel", "author", "id", author, "handle", author,
                           "followers", (json_int_t)10);
    if (plugin_contact != NULL)
        json_object_set_new(ev, "contact", json_pack("{s:s}", "id", plugin_contact));
    pipeline_hooks hooks = {.observer = obs};
    pipeline_stats stats = {0};
    char err[256] = "";
    f->now += 1000;
    int rc = pipeline_ingest_hooked(f->st, "mock", "acme", ev, (uint64_t)f->now, &stats, &hooks,
                                    err, sizeof err);
    if (rc < 0)
        fail_msg("ingest %s: %d %s", native, rc, err);
    return rc;
}

/* A customer's mention through the pipeline, obs observing it: stored. */
static void ingest_observed(fixture *f, const char *native, const char *thread, const char *author,
                            pipeline_observer *obs)
{
    if (ingest_with(f, native, thread, author, NULL, obs) != 1)
        fail_msg("ingest %s: a duplicate", native);
}

static void ingest(fixture *f, const char *native, const char *thread, const char *author)
{
    pipeline_observer obs = conv_service_observer(f->svc);
    ingest_observed(f, native, thread, author, &obs);
}

/* An answer sent through the action API to the item in_reply_to, on
 * thread (NULL: none named), as the outbox appends it. */
static void answer(fixture *f, const char *native, const char *in_reply_to, const char *thread)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "type", "action.succeeded", "visibility",
                           "public", "native_id", native, "in_reply_to", in_reply_to);
    if (thread != NULL)
        json_object_set_new(ev, "thread_id", json_string(thread));
    pipeline_observer obs = conv_service_observer(f->svc);
    pipeline_stats stats = {0};
    f->now += 1000;
    assert_int_equal(1, pipeline_ingest_host_observed(f->st, "mock", "acme", ev, (uint64_t)f->now,
                                                      &stats, &obs));
}

/* A tick as the daemon commits it: the log's, then the service's. */
static void commit_both(fixture *f)
{
    assert_int_equal(GW_OK, store_commit(f->st));
    assert_int_equal(GW_OK, conv_service_commit(f->svc));
    assert_int_equal(GW_OK, conv_service_sync(f->svc)); /* the writer's thread has it */
    uv_run(&f->loop, UV_RUN_NOWAIT); /* its word that the members are committed */
}

/* The event with seq, stored as text, as it leaves (egress), parsed
 * (caller decrefs); its text in *out when out is not NULL (caller frees). */
static json_t *egress_of(fixture *f, int64_t seq, const char *text, char **out)
{
    event_egress eg = conv_service_egress(f->svc);
    egress_reader r;
    egress_begin(&r, &eg);
    const char *left;
    size_t n;
    assert_int_equal(GW_OK, egress_event(&r, seq, text, strlen(text), &left, &n));
    json_t *ev = json_loadb(left, n, 0, NULL);
    if (out != NULL)
        *out = strndup(left, n);
    egress_end(&r);
    assert_non_null(ev);
    return ev;
}

/* The mock event native as the log holds it, as text (caller frees), and
 * its seq. */
static char *stored_text(fixture *f, const char *native, int64_t *seq)
{
    char id[64];
    snprintf(id, sizeof id, "mock:%s", native);
    json_t *stored = NULL;
    assert_int_equal(GW_OK, store_event_get(f->st, id, &stored));
    *seq = json_integer_value(json_object_get(stored, "seq"));
    char *text = json_dumps(stored, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(stored);
    assert_non_null(text);
    return text;
}

/* The ids the event leaves with (its members, kept beside the log, added
 * as a sink gets them): its conversation's and (contact not NULL) its
 * contact's. */
static void ids_of(fixture *f, const char *native, int64_t *conv, int64_t *contact)
{
    int64_t seq;
    char *text = stored_text(f, native, &seq);
    assert_null(strstr(text, "\"conversation_id\"")); /* not in the stored event */
    json_t *ev = egress_of(f, seq, text, NULL);
    free(text);
    *conv = conv_id_parse("cv_", json_string_value(json_object_get(ev, "conversation_id")));
    assert_true(*conv > 0);
    if (contact != NULL) { /* an answer has none */
        *contact = conv_id_parse(
            "ct_", json_string_value(json_object_get(json_object_get(ev, "contact"), "id")));
        assert_true(*contact > 0);
    }
    json_decref(ev);
}

/* The seq up to which events may leave: their members are committed. */
static int64_t leave_bound(fixture *f)
{
    event_egress eg = conv_service_egress(f->svc);
    return eg.bound(eg.arg);
}

typedef struct row_copy {
    int64_t contact, items;
    char state[16], seqs[256];
} row_copy;

/* Conversation id as its row in conversations.db, read through a
 * connection of the test's own after the service's commit. */
static row_copy row_of(fixture *f, int64_t id)
{
    row_copy c = {0};
    assert_int_equal(GW_OK, conv_service_commit(f->svc));
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open_v2(f->conv_path, &db, SQLITE_OPEN_READONLY, NULL));
    assert_int_equal(SQLITE_OK, sqlite3_prepare_v2(db,
                                                   "SELECT contact, items, state, seqs FROM"
                                                   " conversations WHERE id = ?1",
                                                   -1, &q, NULL));
    sqlite3_bind_int64(q, 1, id);
    assert_int_equal(SQLITE_ROW, sqlite3_step(q));
    c.contact = sqlite3_column_int64(q, 0);
    c.items = sqlite3_column_int64(q, 1);
    snprintf(c.state, sizeof c.state, "%s", (const char *)sqlite3_column_text(q, 2));
    snprintf(c.seqs, sizeof c.seqs, "%s", (const char *)sqlite3_column_text(q, 3));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return c;
}

static void test_a_lost_commit_is_decided_again_before_its_events_leave(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "a-1", "t1", "u1");
    ingest(f, "a-2", "t2", "u2");
    commit_both(f);
    assert_int_equal(2, leave_bound(f));
    /* the log commits these; the service's commit never happens */
    ingest(f, "a-3", "t1", "u1");
    ingest(f, "a-4", "t3", "u3");
    assert_int_equal(GW_OK, store_commit(f->st));
    int64_t c1, k1, c3, k3, c4, k4;
    ids_of(f, "a-1", &c1, &k1);
    ids_of(f, "a-3", &c3, &k3);
    ids_of(f, "a-4", &c4, &k4);
    assert_int_equal(c1, c3);
    assert_int_equal(2, leave_bound(f)); /* a-3 and a-4 wait for their members */
    service_end(f, 0);

    service_open(f);
    assert_int_equal(4, leave_bound(f));
    int64_t again, k_again;
    ids_of(f, "a-3", &again, &k_again); /* the same state, the same decisions */
    assert_int_equal(c3, again);
    assert_int_equal(k3, k_again);
    ids_of(f, "a-4", &again, &k_again);
    assert_int_equal(c4, again);
    assert_int_equal(k4, k_again);
    row_copy t1 = row_of(f, c1), t3 = row_of(f, c4);
    assert_int_equal(2, t1.items);
    assert_string_equal("1,3", t1.seqs);
    assert_int_equal(1, t3.items);
    assert_string_equal("4", t3.seqs);
    assert_int_equal(k4, t3.contact);
    /* the ids go on after the applied ones: none is handed out twice */
    ingest(f, "a-5", "t4", "u5");
    int64_t c5, k5;
    ids_of(f, "a-5", &c5, &k5);
    assert_true(c5 > c4);
    assert_true(k5 > k4);
    commit_both(f);
    service_end(f, 1);

    /* applied and committed: the next start has nothing to apply */
    service_open(f);
    assert_int_equal(2, row_of(f, c1).items);
    assert_int_equal(1, row_of(f, c5).items);
}

static void test_a_close_lost_with_the_tick_is_decided_without_it(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "b-1", "t1", "u1");
    commit_both(f);
    int64_t first, k;
    ids_of(f, "b-1", &first, &k);
    /* closed by the API, then the customer writes again in the thread:
     * a conversation of its own; the log commits, the service does not */
    assert_int_equal(1, conv_service_close_conversation(f->svc, first, (uint64_t)f->now + 10));
    ingest(f, "b-2", "t1", "u1");
    assert_int_equal(GW_OK, store_commit(f->st));
    int64_t second;
    ids_of(f, "b-2", &second, &k);
    assert_true(second != first);
    assert_int_equal(1, leave_bound(f)); /* b-2 has not left */
    service_end(f, 0);

    /* the close was lost with the tick, and b-2 never left with the
     * second conversation: decided again from the database, it joins the
     * first, still open there */
    service_open(f);
    int64_t again;
    ids_of(f, "b-2", &again, &k);
    assert_int_equal(first, again);
    row_copy a = row_of(f, first);
    assert_string_equal("open", a.state);
    assert_int_equal(2, a.items);
    assert_string_equal("1,2", a.seqs);
}

static int table_count(sqlite3 *db, const char *like)
{
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                           " name LIKE ?1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, like, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
    return n;
}

/* Conversation 7, open since T0 with one item, as an older build wrote it. */
static conv_row row_seven(const char *thread, int64_t contact, const char *seqs)
{
    return (conv_row){.id = 7,
                      .network = "mock",
                      .account = "acme",
                      .thread = thread,
                      .contact = contact,
                      .visibility = "public",
                      .state = "open",
                      .priority = "normal",
                      .items = 1,
                      .first_ms = T0,
                      .waiting_ms = T0,
                      .last_ms = T0,
                      .seqs = seqs};
}

static void test_an_older_data_directory_moves_its_tables_out_of_the_log(void **state)
{
    fixture *f = *state;
    /* the old layout: the tables in the log's database */
    conv_store *old = NULL;
    char err[256] = "";
    assert_int_equal(GW_OK, conv_store_open(f->st, &old, err, sizeof err));
    conv_row r = row_seven("t7", 0, "");
    assert_int_equal(GW_OK, conv_store_put_conversations(old, &r, 1));
    conv_store_close(old);
    assert_int_equal(SQLITE_OK,
                     sqlite3_exec(store_db(f->st), "DROP TABLE applied", NULL, NULL, NULL));
    assert_int_equal(GW_OK, store_commit(f->st));
    assert_int_equal(5, table_count(store_db(f->st), "con%"));

    service_open(f);
    assert_string_equal("open", row_of(f, 7).state);
    assert_int_equal(0, table_count(store_db(f->st), "con%"));
    /* ids go on after the moved ones */
    ingest(f, "c-1", "t8", "u8");
    int64_t c, k;
    ids_of(f, "c-1", &c, &k);
    assert_true(c > 7);
}

/* The log's retention pruned events before seq 4: their members' rows go
 * at the service's next commit, the later ones stay. */
static void test_the_members_of_pruned_events_go_with_them(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "g-1", "t1", "u1");
    ingest(f, "g-2", "t2", "u2");
    commit_both(f); /* a tick: seqs 1-2 */
    ingest(f, "g-3", "t3", "u3");
    commit_both(f); /* 3 */
    ingest(f, "g-4", "t4", "u4");
    ingest(f, "g-5", "t1", "u1");
    commit_both(f); /* 4-5 */
    service_end(f, 1);
    service_open(f); /* from the table now, not the memory of recent ticks */
    int64_t c, k;
    ids_of(f, "g-1", &c, &k);
    conv_service_prune(f->svc, 4);
    commit_both(f);
    char err[256];
    members_reader *r = NULL;
    assert_int_equal(GW_OK, members_reader_open(f->conv_path, &r, err, sizeof err));
    members_walk w;
    assert_int_equal(0, members_reader_find(r, 1, &w));
    assert_int_equal(0, members_reader_find(r, 3, &w));
    assert_int_equal(1, members_reader_find(r, 5, &w));
    members_reader_close(r);
    int64_t c5, k5;
    ids_of(f, "g-5", &c5, &k5);
    assert_int_equal(c, c5); /* the same thread, the same conversation */
}

/* An answer sent through the action API names the event it answers; that
 * event's conversation is found through the members kept beside the log,
 * read back from the table after a restart (the memory of recent ticks
 * is empty then). */
static void test_an_answer_finds_its_conversation_after_a_restart(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "h-1", "t1", "u1");
    ingest(f, "h-2", "t2", "u2");
    commit_both(f);
    int64_t c1, k;
    ids_of(f, "h-1", &c1, &k);
    service_end(f, 1);
    service_open(f);
    answer(f, "act-1", "h-1", "elsewhere");
    commit_both(f);
    int64_t answered;
    ids_of(f, "act-1", &answered, NULL);
    assert_int_equal(c1, answered);
    row_copy r = row_of(f, c1);
    assert_string_equal("answered", r.state);
}

/* What a build from before stop 38 did: its observer set the members on
 * the event before it was stored. */
static void old_annotate(void *arg, json_t *ev, const pipeline_item *it, uint64_t now_ms)
{
    (void)it;
    (void)now_ms;
    json_object_set_new(ev, "conversation_id", json_string(arg));
    json_object_set_new(ev, "contact", json_pack("{s:s, s:s, s:s, s:I}", "id", "ct_3",
                                                 "display_name", "u1", "handle", "u1",
                                                 "followers", (json_int_t)10));
}

static void ingest_old(fixture *f, const char *native, const char *thread, const char *conv_id)
{
    pipeline_observer obs = {.annotate = old_annotate, .arg = (void *)conv_id};
    ingest_observed(f, native, thread, "u1", &obs);
}

/* The mock event native as it leaves, parsed; its text in *text (caller
 * frees both). */
static json_t *leaves_as(fixture *f, const char *native, char **text)
{
    int64_t seq;
    char *stored = stored_text(f, native, &seq);
    json_t *ev = egress_of(f, seq, stored, text);
    free(stored);
    return ev;
}

/* A data directory an older build left: two events carrying their
 * members, conversation 7 and contact 3 in conversations.db, the first
 * event applied, the second not (a kill -9 between the two commits).
 * After the upgrade the ids they carry stand: the first leaves with its
 * own members and nothing added, the second is applied again into
 * conversation 7, a new item of the thread joins it, and an answer to
 * the first finds it. */
static void test_events_an_older_build_stored_keep_the_ids_they_carry(void **state)
{
    fixture *f = *state;
    ingest_old(f, "o-1", "t1", "cv_7");
    ingest_old(f, "o-2", "t1", "cv_7");
    assert_int_equal(GW_OK, store_commit(f->st));
    store *db = NULL;
    conv_store *cs = NULL;
    contact_store *ks = NULL;
    store_options bare = {.bare = 1};
    char err[256] = "";
    assert_int_equal(GW_OK, store_open(f->conv_path, &bare, &db, err, sizeof err));
    assert_int_equal(GW_OK, conv_store_open(db, &cs, err, sizeof err));
    assert_int_equal(GW_OK, contact_store_open(cs, &ks, err, sizeof err));
    conv_row r = row_seven("t1", 3, "1");
    contact_row k = {.id = 3,
                     .network = "mock",
                     .author = "u1",
                     .handle = "u1",
                     .followers = 10,
                     .first_ms = T0,
                     .last_ms = T0,
                     .items = 1,
                     .open = 1,
                     .person = 3};
    assert_int_equal(GW_OK, conv_store_put_conversations(cs, &r, 1));
    assert_int_equal(GW_OK, contact_store_put(ks, &k));
    assert_int_equal(GW_OK, conv_store_set_applied(cs, 1));
    assert_int_equal(GW_OK, store_commit(db));
    contact_store_close(ks);
    conv_store_close(cs);
    store_close(db);

    service_open(f);
    row_copy seven = row_of(f, 7);
    assert_int_equal(2, seven.items);
    assert_string_equal("1,2", seven.seqs);
    static const char *const olds[] = {"o-1", "o-2"}; /* applied before, and applied again */
    for (size_t i = 0; i < 2; i++) {
        char *text = NULL;
        json_t *ev = leaves_as(f, olds[i], &text);
        assert_string_equal("cv_7", json_string_value(json_object_get(ev, "conversation_id")));
        assert_string_equal(
            "ct_3", json_string_value(json_object_get(json_object_get(ev, "contact"), "id")));
        /* once: nothing was added beside what it carries */
        const char *once = strstr(text, "\"conversation_id\"");
        assert_non_null(once);
        assert_null(strstr(once + 1, "\"conversation_id\""));
        assert_null(strstr(strstr(text, "\"contact\"") + 1, "\"contact\""));
        json_decref(ev);
        free(text);
    }

    ingest(f, "n-1", "t1", "u1");
    commit_both(f);
    int64_t c, ct;
    ids_of(f, "n-1", &c, &ct);
    assert_int_equal(7, c);
    assert_int_equal(3, ct);

    answer(f, "act-9", "o-1", NULL);
    commit_both(f);
    assert_string_equal("answered", row_of(f, 7).state);
}

static void test_a_log_behind_the_file_skips_the_seqs_it_lost(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "d-1", "t1", "u1");
    ingest(f, "d-2", "t1", "u1");
    ingest(f, "d-3", "t2", "u2");
    commit_both(f);
    service_end(f, 1);
    /* a power loss took the log's last two events, not the file's commit */
    assert_int_equal(SQLITE_OK, sqlite3_exec(store_db(f->st), "DELETE FROM events WHERE seq > 1",
                                             NULL, NULL, NULL));
    store_close(f->st);
    store_options o = {.synchronous_full = 0};
    char err[256];
    assert_int_equal(GW_OK, store_open(f->log_path, &o, &f->st, err, sizeof err));
    assert_int_equal(1, store_last_seq(f->st));

    service_open(f);
    assert_int_equal(3, store_last_seq(f->st));
    ingest(f, "d-4", "t3", "u3");
    assert_int_equal(4, store_last_seq(f->st)); /* not 2: conversation t1 lists 2 */
    assert_int_equal(GW_OK, store_commit(f->st));
    service_end(f, 1);
    store_close(f->st);
    assert_int_equal(GW_OK, store_open(f->log_path, &o, &f->st, err, sizeof err));
    assert_int_equal(4, store_last_seq(f->st)); /* the mark outlives the restart */
}

/* Another process holds conversations.db's write lock (a sqlite3 shell
 * in a transaction): the service's commit fails once its busy wait gives
 * up, it goes on from memory without writing, and the retry after the
 * lock is released writes what the log holds, its events' members
 * decided again. */
static void test_a_failing_database_is_written_again_by_the_retry(void **state)
{
    fixture *f = *state;
    service_open(f);
    ingest(f, "e-1", "t1", "u1");
    commit_both(f);
    sqlite3 *other = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open(f->conv_path, &other));
    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL));

    ingest(f, "e-2", "t2", "u2");
    assert_int_equal(GW_OK, store_commit(f->st));
    assert_int_equal(GW_OK, conv_service_commit(f->svc)); /* handed to the writer */
    assert_true(conv_service_sync(f->svc) < 0);           /* after the store's busy wait */
    assert_true(conv_service_failing(f->svc));
    ingest(f, "e-3", "t2", "u2"); /* assigned from memory meanwhile */
    assert_int_equal(GW_OK, store_commit(f->st));
    assert_true(conv_service_commit(f->svc) < 0); /* no write until the retry */
    int64_t c2, c3, k;
    ids_of(f, "e-2", &c2, &k);
    ids_of(f, "e-3", &c3, &k);
    assert_int_equal(c2, c3);

    assert_int_equal(SQLITE_OK, sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL));
    sqlite3_close(other);
    /* the retry's timer (1 s); bounded by the loop's other timers */
    for (int i = 0; i < 20 && conv_service_failing(f->svc); i++)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_false(conv_service_failing(f->svc));
    /* e-2 and e-3 had not left (their members were never committed): the
     * retry decided them again, together, under an id not handed out
     * before */
    ids_of(f, "e-2", &c2, &k);
    ids_of(f, "e-3", &c3, &k);
    assert_int_equal(c2, c3);
    service_end(f, 0); /* nothing written after the retry: it must have */
    service_open(f);
    row_copy two = row_of(f, c2);
    assert_int_equal(2, two.items);
    assert_string_equal("2,3", two.seqs);
}

/* A duplicate (the same item delivered again, here naming another thread
 * and author, as an edited item may) is never stored, so it decides
 * nothing: the next new item takes conversation 2 and contact 2, and
 * only two contacts are written. Deciding before the store knew made the
 * duplicate's author a contact (written with no items) and used up a
 * conversation id. */
static void test_a_duplicate_decides_nothing(void **state)
{
    fixture *f = *state;
    service_open(f);
    pipeline_observer obs = conv_service_observer(f->svc);
    assert_int_equal(1, ingest_with(f, "d-1", "t1", "u1", NULL, &obs));
    assert_int_equal(0, ingest_with(f, "d-1", "t2", "u2", NULL, &obs));
    assert_int_equal(1, ingest_with(f, "d-2", "t3", "u3", NULL, &obs));
    commit_both(f);
    int64_t conv, contact;
    ids_of(f, "d-2", &conv, &contact);
    assert_int_equal(2, conv);
    assert_int_equal(2, contact);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(SQLITE_OK, sqlite3_open_v2(f->conv_path, &db, SQLITE_OPEN_READONLY, NULL));
    assert_int_equal(SQLITE_OK, sqlite3_prepare_v2(db, "SELECT group_concat(author) FROM contacts",
                                                   -1, &q, NULL));
    assert_int_equal(SQLITE_ROW, sqlite3_step(q));
    assert_string_equal("u1,u3", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* A plugin's own "contact" member gives way to the gateway's: not
 * stored, and the event leaves with the contact the service keeps. */
static void test_a_plugins_own_contact_gives_way(void **state)
{
    fixture *f = *state;
    service_open(f);
    pipeline_observer obs = conv_service_observer(f->svc);
    assert_int_equal(1, ingest_with(f, "p-1", "t1", "u1", "plugin-7", &obs));
    commit_both(f);
    int64_t seq;
    char *text = stored_text(f, "p-1", &seq);
    assert_null(strstr(text, "plugin-7"));
    assert_null(strstr(text, "\"contact\""));
    char *left = NULL;
    json_t *ev = egress_of(f, seq, text, &left);
    assert_null(strstr(left, "plugin-7"));
    assert_string_equal("ct_1", json_string_value(json_object_get(json_object_get(ev, "contact"),
                                                                  "id")));
    json_decref(ev);
    free(left);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_lost_commit_is_decided_again_before_its_events_leave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_close_lost_with_the_tick_is_decided_without_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_an_older_data_directory_moves_its_tables_out_of_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_members_of_pruned_events_go_with_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_answer_finds_its_conversation_after_a_restart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_an_older_build_stored_keep_the_ids_they_carry,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_log_behind_the_file_skips_the_seqs_it_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_database_is_written_again_by_the_retry,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_duplicate_decides_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_plugins_own_contact_gives_way, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
