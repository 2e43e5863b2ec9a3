/* test_conv_state.c - a conversation's ids and its list of events, both
 * written without snprintf (core/service/conv_id.c by hand, conv_state.c
 * through base/json_write): the digits, the separators, growth, and a
 * buffer too small cut as snprintf would cut it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "service/conv_id.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

static void test_id_format_matches_printf(void **state)
{
    (void)state;
    const int64_t ids[] = {
        1, 9, 10, 15, 16, 255, 4096, 0x7fffffff, INT64_C(0x123456789abcde), INT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char got[24], want[24];
        conv_id_format("cv_", ids[i], got, sizeof got);
        snprintf(want, sizeof want, "cv_%llx", (unsigned long long)ids[i]);
        assert_string_equal(got, want);
        if (strlen(want) - 3 <= 15)
            assert_int_equal(conv_id_parse("cv_", got), ids[i]);
    }
    char small[6];
    conv_id_format("ct_", 0xabcdef, small, sizeof small);
    assert_string_equal(small, "ct_ab"); /* cut, NUL kept */
}

static void test_add_seq_lists_in_order(void **state)
{
    (void)state;
    conv *cv = calloc(1, sizeof *cv);
    assert_non_null(cv);
    char want[4096] = "";
    size_t len = 0;
    for (int64_t seq = 0; seq < 400; seq++) {
        if (seq == 1) {
            /* Every open conversation holds its list in memory (130,000
             * of them in a flood of 200,000 items): a one-item list must
             * not take the writer's default 1 KB (it did: 159 MB peak). */
            assert_in_range(cv->seqs.cap, 2, 64);
        }
        int64_t v = seq * 7919 + (seq == 399 ? INT64_C(9000000000000000000) : 0);
        assert_int_equal(GW_OK, conv_add_seq(cv, v));
        len +=
            (size_t)snprintf(want + len, sizeof want - len, "%s%lld", seq ? "," : "", (long long)v);
        assert_int_equal(cv->seqs.len, len);
        assert_string_equal(cv->seqs.data, want);
    }
    assert_true(cv->seqs.cap > cv->seqs.len);
    conv_free(cv);
}

/* The metrics count open conversations by this index instead of comparing
 * labels for each of them at every scrape. */
static void test_set_priority_index(void **state)
{
    (void)state;
    conv cv = {0};
    for (size_t i = 0; i + 1 < CONV_PRIORITIES; i++) {
        conv_set_priority(&cv, conv_priority_names[i]);
        assert_int_equal(cv.priority_index, i);
        assert_string_equal(cv.priority, conv_priority_names[i]);
    }
    conv_set_priority(&cv, NULL);
    assert_int_equal(cv.priority_index, CONV_PRIORITIES - 1);
    assert_string_equal(cv.priority, "");
    conv_set_priority(&cv, "bogus");
    assert_int_equal(cv.priority_index, CONV_PRIORITIES - 1);
}

/* The counters /metrics reads (conv_tally.c) against a walk of every
 * conversation, as /metrics computed them before: 20,000 random changes
 * (new items, answers, priorities, closes, restarts of the clock) over
 * three accounts, compared after each; and every tenth change, the lists
 * of open and answered conversations (conv_queue.c, conv_list.c) against
 * a sort. */
#define TALLY_CONVS 300

static void tally_walk(conv_service *svc, conv **all, const char *group_key, size_t glen,
                       uint64_t *open, uint64_t *unanswered, int64_t *oldest, uint64_t *priority)
{
    *open = *unanswered = 0;
    *oldest = 0;
    for (size_t i = 0; i < TALLY_CONVS; i++) {
        conv *cv = all[i];
        if (cv == NULL || cv->state != CONV_OPEN)
            continue;
        assert_ptr_equal(idmap_get(svc->by_id, cv->id), cv);
        if (group_key == NULL) {
            priority[cv->priority_index]++;
            continue;
        }
        if (cv->net_len + 1 + cv->acct_len != glen || memcmp(cv->key, group_key, glen) != 0)
            continue;
        (*open)++;
        *unanswered += cv->answered_ms == 0;
        if (cv->waiting_ms > 0 && (*oldest == 0 || cv->waiting_ms < *oldest))
            *oldest = cv->waiting_ms;
    }
}

static conv *tally_conv(int64_t id, const char *acct)
{
    conv *cv = conv_alloc();
    assert_non_null(cv);
    char key[64];
    int n = snprintf(key, sizeof key, "mock\x1f%s\x1ft%lld", acct, (long long)id);
    cv->key = strdup(key);
    assert_non_null(cv->key);
    cv->key_len = (size_t)n;
    cv->net_len = 4;
    cv->acct_len = strlen(acct);
    cv->id = id;
    cv->state = CONV_OPEN;
    conv_set_priority(cv, NULL);
    return cv;
}

/* What a list gave, in order. */
typedef struct queue_seen {
    int64_t ids[TALLY_CONVS];
    int scores[TALLY_CONVS];
    int64_t waiting[TALLY_CONVS];
    size_t n;
} queue_seen;

static int queue_collect(void *arg, const conv_row *r)
{
    queue_seen *q = arg;
    q->ids[q->n] = r->id;
    q->scores[q->n] = r->priority_score;
    q->waiting[q->n++] = r->waiting_ms;
    return 0;
}

static int queue_order(const void *a, const void *b)
{
    const conv *x = *(conv *const *)a, *y = *(conv *const *)b;
    if (x->priority_score != y->priority_score)
        return x->priority_score > y->priority_score ? -1 : 1;
    if (x->waiting_ms != y->waiting_ms)
        return x->waiting_ms < y->waiting_ms ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int id_order(const void *a, const void *b)
{
    const conv *x = *(conv *const *)a, *y = *(conv *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A page of list, after the last row seen (the cursor as the API makes
 * it: by id the id alone, by priority all three). */
static int list_page(conv_service *svc, conv_state st, int by_priority, size_t limit,
                     queue_seen *seen)
{
    conv_page p = {
        .state = st == CONV_OPEN ? "open" : "answered", .by_priority = by_priority, .limit = limit};
    size_t n = seen->n;
    if (n > 0 && by_priority) {
        p.has_cursor = 1;
        p.after_score = seen->scores[n - 1];
        p.after_waiting = seen->waiting[n - 1];
    }
    if (n > 0)
        p.after_id = seen->ids[n - 1];
    return conv_service_list_active(svc, &p, queue_collect, seen);
}

/* The conversations in one state (open or answered) in one order from
 * memory (conv_queue.c for the work queue, conv_list.c for the rest)
 * against a sort of them, read whole and a page of 7 at a time through
 * cursors. */
static void check_list(conv_service *svc, conv **all, conv_state st, int by_priority)
{
    conv *want[TALLY_CONVS];
    size_t n = 0;
    for (size_t i = 0; i < TALLY_CONVS; i++) {
        if (all[i] != NULL && all[i]->state == st)
            want[n++] = all[i];
    }
    qsort(want, n, sizeof *want, by_priority ? queue_order : id_order);
    queue_seen whole = {0};
    assert_int_equal((int)n, list_page(svc, st, by_priority, TALLY_CONVS, &whole));
    queue_seen paged = {0};
    for (;;) {
        int got = list_page(svc, st, by_priority, 7, &paged);
        assert_in_range(got, 0, 7);
        if (got < 7)
            break;
    }
    assert_int_equal(n, paged.n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(want[i]->id, whole.ids[i]);
        assert_int_equal(want[i]->id, paged.ids[i]);
    }
    if (by_priority || n == 0)
        return;
    /* a cursor whose conversation may have left memory (closed) or be
     * in the other state: the page starts after its id all the same */
    queue_seen from = {.ids = {want[n / 2]->id - 1}, .n = 1};
    int got = list_page(svc, st, 0, 7, &from);
    size_t first = n / 2; /* the first with an id past the cursor */
    assert_int_equal(n - first < 7 ? n - first : 7, got);
    for (int k = 0; k < got; k++)
        assert_int_equal(want[first + (size_t)k]->id, from.ids[1 + k]);
}

static void check_lists(conv_service *svc, conv **all)
{
    /* from the sets of ids by state, and from a walk of every
     * conversation (what the lists fall back to once a set missed an id
     * for memory) */
    for (int whole = 1; whole >= 0; whole--) {
        svc->lists_whole = whole;
        for (int by_priority = 0; by_priority <= 1; by_priority++) {
            check_list(svc, all, CONV_OPEN, by_priority);
            check_list(svc, all, CONV_ANSWERED, by_priority);
        }
    }
    svc->lists_whole = 1;
    for (size_t i = 0; i < TALLY_CONVS; i++) {
        if (all[i] != NULL) /* each in its state's set only */
            assert_true(idset_has(svc->by_state[all[i]->state], all[i]->id) &&
                        !idset_has(svc->by_state[!all[i]->state], all[i]->id));
    }
    /* closed ones are the table's */
    conv_page closed = {.state = "closed", .limit = 7};
    assert_int_equal(GW_EINVAL, conv_service_list_active(svc, &closed, queue_collect, NULL));
}

static void test_tally_matches_a_walk(void **state)
{
    (void)state;
    static const char *accounts[] = {"acme", "globex", "initech"};
    static const char *prios[] = {"urgent", "high", "normal", "low", NULL};
    conv_service *svc = calloc(1, sizeof *svc);
    assert_non_null(svc);
    conv_queue_reset(svc); /* the lists empty, as conv_service_open leaves them */
    svc->by_id = idmap_new();
    assert_non_null(svc->by_id);
    assert_int_equal(GW_OK, conv_list_open(svc));
    assert_int_equal(GW_OK, conv_tally_open(svc));
    conv *all[TALLY_CONVS] = {0};
    int64_t next_id = 1, now = 1000;
    srand(7);
    for (int step = 0; step < 20000; step++) {
        size_t i = (size_t)rand() % TALLY_CONVS;
        conv *cv = all[i];
        now += rand() % 3 == 0 ? -(rand() % 50) : rand() % 100; /* the clock may step back */
        switch (rand() % 5) {
        case 0: /* a customer item, new conversation or not */
        case 1:
            if (cv == NULL) {
                cv = all[i] = tally_conv(next_id++, accounts[rand() % 3]);
                assert_int_equal(GW_OK, idmap_put(svc->by_id, cv->id, cv));
            }
            cv->state = CONV_OPEN;
            if (cv->waiting_ms == 0 || rand() % 2)
                conv_set_priority(cv, prios[rand() % 5]);
            if (cv->waiting_ms == 0)
                cv->waiting_ms = now;
            break;
        case 2: /* an answer */
            if (cv == NULL)
                continue;
            if (cv->answered_ms == 0)
                cv->answered_ms = now;
            cv->state = CONV_ANSWERED;
            cv->waiting_ms = 0;
            break;
        case 3: /* closed, written and forgotten */
            if (cv == NULL)
                continue;
            cv->state = CONV_CLOSED;
            cv->waiting_ms = 0;
            conv_tally_update(svc, cv);
            conv_queue_update(svc, cv);
            conv_list_update(svc, cv);
            idmap_remove(svc->by_id, cv->id, cv);
            conv_free(cv);
            all[i] = NULL;
            continue;
        default: /* marked without a change (an SLA breach) */
            if (cv == NULL)
                continue;
            break;
        }
        if (rand() % 4 == 0)
            cv->priority_score = rand() % 101; /* triage raised it, or a load */
        conv_tally_update(svc, cv);
        conv_queue_update(svc, cv);
        conv_list_update(svc, cv);
        if (step % 10 == 0)
            check_lists(svc, all);
        conv_metrics m;
        assert_int_equal(GW_OK, conv_service_metrics(svc, &m));
        uint64_t prio[CONV_PRIORITIES] = {0}, open, unanswered;
        int64_t oldest;
        tally_walk(svc, all, NULL, 0, &open, &unanswered, &oldest, prio);
        assert_memory_equal(prio, m.priority, sizeof prio);
        uint64_t open_total = 0;
        for (size_t g = 0; g < m.group_count; g++) {
            char key[64];
            int n = snprintf(key, sizeof key, "%s\x1f%s", m.groups[g].network, m.groups[g].account);
            tally_walk(svc, all, key, (size_t)n, &open, &unanswered, &oldest, prio);
            assert_int_equal(open, m.groups[g].open);
            assert_int_equal(unanswered, m.groups[g].unanswered);
            assert_int_equal(oldest, m.groups[g].oldest_waiting_ms);
            open_total += open;
        }
        uint64_t want_total = 0;
        for (size_t k = 0; k < CONV_PRIORITIES; k++)
            want_total += prio[k];
        assert_int_equal(want_total, open_total); /* no open conversation outside a group */
        conv_metrics_free(&m);
    }
    /* an id in a set whose conversation is not in memory (none should
     * be) is passed over: the pages still hold every other one */
    int64_t phantom = 1;
    while (idmap_get(svc->by_id, phantom) != NULL)
        phantom++;
    assert_true(phantom < next_id);
    assert_int_equal(GW_OK, idset_add(svc->by_state[CONV_OPEN], phantom));
    assert_int_equal(GW_OK, idset_add(svc->by_state[CONV_ANSWERED], phantom));
    check_lists(svc, all);
    for (size_t i = 0; i < TALLY_CONVS; i++)
        conv_free(all[i]);
    conv_tally_free(svc);
    conv_list_free(svc);
    idmap_free(svc->by_id);
    free(svc);
}

/* What the flush writes comes in the order it was first marked: new
 * conversations and contacts in id order, so SQLite appends their rows
 * (conv_state.h). Newest first, every full page was a full rebalance. */
static void test_marked_in_order(void **state)
{
    (void)state;
    conv_service *svc = calloc(1, sizeof *svc);
    assert_non_null(svc);
    conv_queue_reset(svc);
    dlink_init(&svc->dirty_convs);
    dlink_init(&svc->dirty_contacts);
    svc->by_id = idmap_new();
    assert_non_null(svc->by_id);
    assert_int_equal(GW_OK, conv_list_open(svc));
    assert_int_equal(GW_OK, conv_tally_open(svc));
    conv *cv[5];
    contact ct[5] = {{0}};
    for (int i = 0; i < 5; i++) {
        cv[i] = tally_conv(i + 1, "acme");
        assert_int_equal(GW_OK, idmap_put(svc->by_id, cv[i]->id, cv[i]));
        ct[i].id = i + 1;
        dlink_init(&ct[i].dirty_link);
    }
    static const int order[] = {2, 0, 3, 0, 4, 2}, want[] = {2, 0, 3, 4};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        conv_mark(svc, cv[order[k]]);
        conv_contact_mark(svc, &ct[order[k]]);
    }
    const dlink *c = svc->dirty_convs.next, *t = svc->dirty_contacts.next;
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        assert_ptr_not_equal(c, &svc->dirty_convs);
        assert_ptr_not_equal(t, &svc->dirty_contacts);
        assert_ptr_equal(CONTAINER_OF(c, conv, dirty_link), cv[want[k]]);
        assert_ptr_equal(CONTAINER_OF(t, contact, dirty_link), &ct[want[k]]);
        c = c->next;
        t = t->next;
    }
    assert_ptr_equal(c, &svc->dirty_convs);
    assert_ptr_equal(t, &svc->dirty_contacts);
    /* taken by a flush, the lists start over */
    while (!dlink_empty(&svc->dirty_convs))
        dlink_remove(svc->dirty_convs.next);
    while (!dlink_empty(&svc->dirty_contacts))
        dlink_remove(svc->dirty_contacts.next);
    conv_mark(svc, cv[1]);
    conv_contact_mark(svc, &ct[1]);
    assert_ptr_equal(svc->dirty_convs.next, &cv[1]->dirty_link);
    assert_ptr_equal(svc->dirty_convs.prev, &cv[1]->dirty_link);
    assert_ptr_equal(svc->dirty_contacts.next, &ct[1].dirty_link);
    assert_ptr_equal(svc->dirty_contacts.prev, &ct[1].dirty_link);
    for (int i = 0; i < 5; i++)
        conv_free(cv[i]);
    conv_tally_free(svc);
    conv_list_free(svc);
    idmap_free(svc->by_id);
    free(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_format_matches_printf),
        cmocka_unit_test(test_add_seq_lists_in_order),
        cmocka_unit_test(test_set_priority_index),
        cmocka_unit_test(test_tally_matches_a_walk),
        cmocka_unit_test(test_marked_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
