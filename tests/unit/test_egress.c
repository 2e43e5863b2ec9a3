/* test_egress.c - an event's text as it leaves the gateway
 * (engine/egress.c): the members kept beside the log go before the
 * stored object's closing brace, byte for byte as when they were stored
 * inside it; an event without members leaves as stored; a table that
 * cannot read them stops the event rather than sending it without them;
 * the limit is the lower of the log's committed seq and the table's
 * bound. The table here serves members from an array through the real
 * body format (store/event_members.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/egress.h"
#include "gateway/error.h"
#include "store/event_members.h"

typedef struct table {
    char *body;
    size_t len, cap;
    int64_t first, bound;
    int fail; /* pass_find answers GW_EIO */
    int passes_open;
} table;

struct egress_pass {
    table *t;
    members_walk w;
};

static egress_pass *pass_open(void *arg)
{
    table *t = arg;
    egress_pass *p = calloc(1, sizeof *p);
    p->t = t;
    p->w = (members_walk){.body = t->body, .len = t->len, .first = t->first};
    t->passes_open++;
    return p;
}

static int pass_find(egress_pass *p, int64_t seq, const char **text, size_t *len)
{
    if (p->t->fail)
        return GW_EIO;
    return members_walk_find(&p->w, seq, text, len);
}

static void pass_close(egress_pass *p)
{
    p->t->passes_open--;
    free(p);
}

static int64_t bound(void *arg)
{
    return ((table *)arg)->bound;
}

static event_egress table_egress(table *t)
{
    return (event_egress){.bound = bound,
                          .pass_open = pass_open,
                          .pass_find = pass_find,
                          .pass_close = pass_close,
                          .arg = t};
}

static void add(table *t, int64_t seq, const char *members)
{
    assert_int_equal(GW_OK, members_body_add(&t->body, &t->len, &t->cap, t->first, seq, members,
                                             strlen(members)));
}

static void expect_leaves(egress_reader *r, int64_t seq, const char *stored, const char *want)
{
    const char *out = NULL;
    size_t n = 0;
    assert_int_equal(GW_OK, egress_event(r, seq, stored, strlen(stored), &out, &n));
    assert_int_equal(strlen(want), n);
    assert_memory_equal(want, out, n);
}

static void test_members_go_before_the_closing_brace(void **state)
{
    (void)state;
    table t = {.first = 10, .bound = 100};
    add(&t, 10, "\"conversation_id\":\"cv_a\",\"contact\":{\"id\":\"ct_1\"}");
    add(&t, 12, "\"conversation_id\":\"cv_b\"");
    event_egress eg = table_egress(&t);
    egress_reader r;
    egress_begin(&r, &eg);
    expect_leaves(&r, 10, "{\"id\":\"mock:1\",\"seq\":10,\"tags\":{\"x\":1}}",
                  "{\"id\":\"mock:1\",\"seq\":10,\"tags\":{\"x\":1},\"conversation_id\":\"cv_a\","
                  "\"contact\":{\"id\":\"ct_1\"}}");
    /* a host event without members leaves as stored */
    expect_leaves(&r, 11, "{\"type\":\"account.stopped\",\"seq\":11}",
                  "{\"type\":\"account.stopped\",\"seq\":11}");
    expect_leaves(&r, 12, "{}", "{\"conversation_id\":\"cv_b\"}");
    assert_int_equal(1, t.passes_open); /* one pass for the reader's walk */
    egress_end(&r);
    assert_int_equal(0, t.passes_open);
    free(t.body);
}

static void test_an_event_whose_members_cannot_be_read_does_not_leave(void **state)
{
    (void)state;
    table t = {.first = 1, .bound = 100, .fail = 1};
    add(&t, 1, "\"conversation_id\":\"cv_a\"");
    event_egress eg = table_egress(&t);
    egress_reader r;
    egress_begin(&r, &eg);
    const char *out = NULL;
    size_t n = 0;
    assert_int_equal(GW_EIO, egress_event(&r, 1, "{\"seq\":1}", 9, &out, &n));
    t.fail = 0;
    /* not an object as stored: refused, not sent half-made */
    assert_int_equal(GW_EINVAL, egress_event(&r, 1, "[1]", 3, &out, &n));
    egress_end(&r);
    free(t.body);
}

static void test_without_a_table_events_leave_as_stored_up_to_the_commit(void **state)
{
    (void)state;
    egress_reader r;
    egress_begin(&r, NULL);
    expect_leaves(&r, 5, "{\"seq\":5}", "{\"seq\":5}");
    egress_end(&r);
    event_egress none = {0};
    egress_begin(&r, &none);
    expect_leaves(&r, 5, "{\"seq\":5}", "{\"seq\":5}");
    egress_end(&r);
    assert_int_equal(42, egress_limit(NULL, 42));
    assert_int_equal(42, egress_limit(&none, 42));
    table t = {.bound = 40};
    event_egress eg = table_egress(&t);
    assert_int_equal(40, egress_limit(&eg, 42)); /* members committed up to 40 */
    t.bound = 50;
    assert_int_equal(42, egress_limit(&eg, 42)); /* the log's commit is the lower */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_go_before_the_closing_brace),
        cmocka_unit_test(test_an_event_whose_members_cannot_be_read_does_not_leave),
        cmocka_unit_test(test_without_a_table_events_leave_as_stored_up_to_the_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
