/* test_pipeline.c - plugin event validation, host fields, dedupe, with a
 * real SQLite store in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "engine/pipeline.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gw-pipeline-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/log.db", f->dir);
    store_options opts = {.synchronous_full = 0, .retention_ms = 0};
    char err[256];
    if (store_open(f->path, &opts, &f->st, err, sizeof err) != GW_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->st);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static json_t *good_event(const char *native_id)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I, s:b}}", "type", "mention",
                     "visibility", "public", "native_id", native_id, "text",
                     "@acme my parcel is late", "author", "id", "u1", "handle", "ann",
                     "followers", (json_int_t)10, "verified", 0);
}

static void expect_invalid(const char *json, const char *message)
{
    json_error_t jerr;
    json_t *ev = json_loads(json, 0, &jerr);
    assert_non_null(ev);
    char err[256] = "";
    assert_int_equal(GW_EINVAL, pipeline_validate(ev, err, sizeof err));
    assert_string_equal(message, err);
    json_decref(ev);
}

static void test_validation_messages(void **state)
{
    (void)state;
    expect_invalid("[]", "an event must be a JSON object");
    expect_invalid("{\"visibility\":\"public\",\"native_id\":\"1\"}", "\"type\" is required");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"\"}",
                   "\"native_id\" must not be empty");
    expect_invalid("{\"type\":\"tweet\",\"visibility\":\"public\",\"native_id\":\"1\"}",
                   "\"type\" is \"tweet\", expected mention, comment, review, message, "
                   "item.edited or item.removed");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"secret\",\"native_id\":\"1\"}",
                   "\"visibility\" is \"secret\", expected public or private");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"id\":\"x\"}",
                   "\"id\" is set by the host, not the plugin");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"colour\":\"red\"}",
                   "\"colour\" is not a gateway.event/1 member");
    expect_invalid("{\"type\":\"review\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"rating\":9}",
                   "\"rating\" must be a number from 1 to 5");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"created_at\":\"yesterday\"}",
                   "\"created_at\" is \"yesterday\", expected RFC 3339 like "
                   "2026-11-20T10:00:00Z");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"author\":{\"id\":\"u\",\"followers\":-1}}",
                   "\"author.followers\" has the wrong type");
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"author\":{\"name\":\"Ann\"}}",
                   "\"author.id\" is required when \"author\" is given");
    expect_invalid("{\"type\":\"message\",\"visibility\":\"public\",\"native_id\":\"1\"}",
                   "a message must have \"visibility\": \"private\"");
    expect_invalid("{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"rating\":4}",
                   "only a review carries a \"rating\"");
    expect_invalid("{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"detail\":{}}",
                   "\"detail\" is set by the host, not the plugin");
    expect_invalid("{\"type\":\"item.edited\",\"visibility\":\"public\",\"native_id\":\"1\"}",
                   "an item.edited event needs \"detail\" with \"item_id\"");
    expect_invalid("{\"type\":\"item.removed\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"detail\":{\"reason\":\"x\"}}",
                   "an item.removed event needs \"detail\" with \"item_id\"");
    expect_invalid("{\"type\":\"account.stopped\",\"visibility\":\"public\","
                   "\"native_id\":\"1\",\"detail\":{\"item_id\":\"x\"}}",
                   "\"detail\" is set by the host, not the plugin");
    {
        json_t *ok = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "item.removed", "visibility",
                               "public", "native_id", "1_2#removed", "detail", "item_id", "1_2");
        char err[256] = "";
        assert_int_equal(GW_OK, pipeline_validate(ok, err, sizeof err));
        json_decref(ok);
    }
    expect_invalid("{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"text\":5}",
                   "\"text\" must be a string");
    expect_invalid("{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":\"1\","
                   "\"context\":\"vid1\"}",
                   "\"context\" must be an object");
    /* What the item is attached to (a YouTube comment's video). */
    json_t *ev = json_loads("{\"type\":\"comment\",\"visibility\":\"public\",\"native_id\":"
                            "\"Ugz1\",\"context\":{\"kind\":\"video\",\"id\":\"vid1\"}}",
                            0, NULL);
    char err[256] = "";
    assert_int_equal(0, pipeline_validate(ev, err, sizeof err));
    json_decref(ev);
}

static int read_one(void *arg, int64_t seq, const char *json, size_t len)
{
    (void)seq;
    json_t **out = arg;
    *out = json_loadb(json, len, 0, NULL);
    return 0;
}

static void test_ingest_fills_host_fields_and_dedupes(void **state)
{
    fixture *f = *state;
    pipeline_stats stats = {0};
    char err[256];
    uint64_t now = 1763632800123ull; /* 2025-11-20T10:00:00.123Z */
    assert_int_equal(1, pipeline_ingest(f->st, "mock", "acme", good_event("n-1"), now, &stats,
                                        err, sizeof err));
    assert_int_equal(0, pipeline_ingest(f->st, "mock", "acme", good_event("n-1"), now, &stats,
                                        err, sizeof err));
    assert_int_equal(GW_EINVAL, pipeline_ingest(f->st, "mock", "acme", json_object(), now,
                                                &stats, err, sizeof err));
    assert_int_equal(1, stats.accepted);
    assert_int_equal(1, stats.duplicates);
    assert_int_equal(1, stats.invalid);
    assert_int_equal(GW_OK, store_commit(f->st));

    json_t *ev = NULL;
    assert_int_equal(0, store_read(f->st, 0, 10, read_one, &ev));
    assert_non_null(ev);
    assert_string_equal("mock:n-1", json_string_value(json_object_get(ev, "id")));
    assert_int_equal(1, json_integer_value(json_object_get(ev, "seq")));
    assert_string_equal("mock", json_string_value(json_object_get(ev, "network")));
    assert_string_equal("acme", json_string_value(json_object_get(ev, "account")));
    assert_string_equal("2025-11-20T10:00:00.123Z",
                        json_string_value(json_object_get(ev, "received_at")));
    /* Without created_at from the network, the receive time stands in. */
    assert_string_equal("2025-11-20T10:00:00.123Z",
                        json_string_value(json_object_get(ev, "created_at")));
    /* The plugin's members are kept as given. */
    assert_string_equal("@acme my parcel is late", json_string_value(json_object_get(ev, "text")));
    assert_string_equal("ann", json_string_value(json_object_get(json_object_get(ev, "author"),
                                                                  "handle")));
    json_decref(ev);
}

/* The view validation hands to enrichment names each member it found,
 * the author's included, and nothing it did not. */
static void test_validate_item_view(void **state)
{
    (void)state;
    json_t *ev = good_event("n-2");
    json_object_set_new(ev, "lang", json_null());
    pipeline_item item;
    char err[256] = "";
    assert_int_equal(GW_OK, pipeline_validate_item(ev, &item, err, sizeof err));
    assert_ptr_equal(item.m[PIPELINE_TYPE], json_object_get(ev, "type"));
    assert_ptr_equal(item.m[PIPELINE_VISIBILITY], json_object_get(ev, "visibility"));
    assert_ptr_equal(item.m[PIPELINE_NATIVE_ID], json_object_get(ev, "native_id"));
    assert_ptr_equal(item.m[PIPELINE_TEXT], json_object_get(ev, "text"));
    assert_ptr_equal(item.m[PIPELINE_AUTHOR], json_object_get(ev, "author"));
    assert_true(json_is_null(item.m[PIPELINE_LANG])); /* given as null: kept, counted */
    assert_int_equal(1, item.nulls);
    assert_null(item.m[PIPELINE_TAGS]);
    assert_null(item.m[PIPELINE_RATING]);
    assert_null(item.m[PIPELINE_CREATED_AT]);
    const json_t *author = json_object_get(ev, "author");
    assert_ptr_equal(item.author_id, json_object_get(author, "id"));
    assert_ptr_equal(item.author_handle, json_object_get(author, "handle"));
    assert_ptr_equal(item.author_followers, json_object_get(author, "followers"));
    assert_ptr_equal(item.author_verified, json_object_get(author, "verified"));
    assert_null(item.author_name);
    json_decref(ev);
}

/* Members given as null are dropped before the append; a null created_at
 * is absent, so the receive time stands in. */
static void test_null_members_dropped(void **state)
{
    fixture *f = *state;
    pipeline_stats stats = {0};
    char err[256];
    json_t *in = good_event("n-3");
    json_object_set_new(in, "created_at", json_null());
    json_object_set_new(in, "url", json_null());
    assert_int_equal(1, pipeline_ingest(f->st, "mock", "acme", in, 1763632800123ull, &stats, err,
                                        sizeof err));
    assert_int_equal(GW_OK, store_commit(f->st));
    json_t *ev = NULL;
    assert_int_equal(0, store_read(f->st, 0, 10, read_one, &ev));
    assert_non_null(ev);
    assert_string_equal("2025-11-20T10:00:00.123Z",
                        json_string_value(json_object_get(ev, "created_at")));
    assert_null(json_object_get(ev, "url"));
    json_decref(ev);
}

static void test_host_events_bypass_plugin_rules_but_keep_identity(void **state)
{
    fixture *f = *state;
    pipeline_stats stats = {0};
    json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "account.stopped", "visibility",
                           "private", "native_id", "account.stopped:acme:1", "detail", "reason",
                           "boom");
    assert_int_equal(1, pipeline_ingest_host(f->st, "mock", "acme", ev, 1, &stats));
    assert_int_equal(GW_EINVAL,
                     pipeline_ingest_host(f->st, "mock", "acme", json_object(), 1, &stats));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation_messages),
        cmocka_unit_test(test_validate_item_view),
        cmocka_unit_test_setup_teardown(test_null_members_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_fills_host_fields_and_dedupes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_host_events_bypass_plugin_rules_but_keep_identity,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
