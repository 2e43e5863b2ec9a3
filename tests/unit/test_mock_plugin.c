/* tests/unit/test_mock_plugin.c - the mock network plugin, driven through
 * its ABI.
 *
 * The test loads build/plugins/mock.so the way the host does (dlopen,
 * RTLD_LOCAL, gw_plugin_entry) and drives it with the shared fake host
 * (fake_host.c): emitted events are recorded (with the fields the
 * real host fills), the key/value store is an in-memory JSON object, the
 * clocks are set by hand, timers only fire when the test fires them, and
 * each op records its completion. The plugin target must be built before
 * this test (see tests/CMakeLists.txt).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

#include "fake_host.h"

#define MOCK_SO GW_BUILD_DIR "/plugins/mock.so"
#define VALIDATOR "/usr/bin/python3 " GW_SOURCE_DIR "/tests/tools/validate_events.py"
#define SCENARIO GW_SOURCE_DIR "/tests/fixtures/mock/scenario.jsonl"
#define NOW_MS FAKE_HOST_NOW_MS

static void *plugin_handle;
static const gw_plugin *plugin;

/* ---- the fake host (fake_host.c) plus what the mock needs ------------- */

/* Refuse what the real host refuses, then fill what it fills. */
static int mock_emit_check(fake_host *h, json_t *event)
{
    const char *type = gw_sdk_json_string(event, "type", NULL);
    const char *native_id = gw_sdk_json_string(event, "native_id", NULL);
    const char *visibility = gw_sdk_json_string(event, "visibility", NULL);
    if (!json_is_object(event) || type == NULL || native_id == NULL || visibility == NULL)
        return GW_EINVAL;
    char id[256], received_at[GW_SDK_RFC3339_SIZE];
    snprintf(id, sizeof id, "mock:%s", native_id);
    gw_sdk_time_format((int64_t)h->now_ms, received_at, sizeof received_at);
    json_object_set_new(event, "id", json_string(id));
    json_object_set_new(event, "seq", json_integer((json_int_t)json_array_size(h->events) + 1));
    json_object_set_new(event, "network", json_string("mock"));
    json_object_set_new(event, "account", json_string(FAKE_HOST_ACCOUNT));
    json_object_set_new(event, "received_at", json_string(received_at));
    return 0;
}

/* A host whose account has the options of config_json. */
static fake_host *host_new(const char *config_json)
{
    fake_host *h = fake_host_new(plugin, fake_host_parse(config_json));
    h->emit_check = mock_emit_check;
    h->verbose_env = "MOCK_TEST_VERBOSE";
    return h;
}

/* create() expected to fail with `code`, its message containing `part`. */
static void expect_create_fails(const char *config_json, int code, const char *part)
{
    fake_host *h = host_new(config_json);
    fake_host_create_fails(h, code, part, NULL);
    fake_host_free(h);
}

/* Run one fetch that completes synchronously; returns how many events it
 * emitted. */
static size_t fetch_now(fake_host *h, gw_instance *inst, fake_host_op *op)
{
    size_t before = json_array_size(h->events);
    fake_host_op_clear(op);
    plugin->fetch(inst, (gw_op *)op);
    assert_int_equal(op->completions, 1);
    return json_array_size(h->events) - before;
}

static gw_action action_make(const char *id, const char *text)
{
    gw_action a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.action_id = id;
    a.text = text;
    return a;
}

/* Write events as JSONL to a fresh temp file; returns its path (static). */
static const char *write_jsonl(const json_t *events)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_mock_events_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    size_t i;
    const json_t *event;
    json_array_foreach(events, i, event)
    {
        char *line = json_dumps(event, JSON_COMPACT);
        assert_non_null(line);
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    return path;
}

static int run_validator(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, VALIDATOR " %s >/dev/null", path);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- setup ------------------------------------------------------------ */

static int load_plugin(void **state)
{
    (void)state;
    plugin = fake_host_load_plugin(MOCK_SO, "build target plugin_mock first", &plugin_handle);
    return plugin != NULL ? 0 : -1;
}

static int unload_plugin(void **state)
{
    (void)state;
    if (plugin_handle != NULL)
        dlclose(plugin_handle);
    return 0;
}

/* ---- tests ------------------------------------------------------------ */

static const gw_option *find_option(const char *name)
{
    for (const gw_option *o = plugin->options; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static void test_descriptor(void **state)
{
    (void)state;
    assert_int_equal(plugin->struct_size, sizeof(gw_plugin));
    assert_int_equal(plugin->abi_major, GW_ABI_MAJOR);
    assert_int_equal(plugin->abi_minor, GW_ABI_MINOR);
    assert_string_equal(plugin->name, "mock");
    assert_true(strlen(plugin->version) > 0);
    assert_int_equal(plugin->capabilities,
                     GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK);
    assert_non_null(plugin->create);
    assert_non_null(plugin->destroy);
    assert_non_null(plugin->fetch);
    assert_non_null(plugin->post_public);
    assert_non_null(plugin->send_private);
    assert_non_null(plugin->webhook);

    const struct {
        const char *name;
        gw_option_type type;
        const char *def;
        const char *allowed;
    } expected[] = {
        {"seed", GW_OPT_INT, "1", NULL},
        {"rate", GW_OPT_FLOAT, "5", NULL},
        {"batch", GW_OPT_INT, "500", NULL},
        {"count", GW_OPT_INT, "0", NULL},
        {"scenario", GW_OPT_STRING, NULL, NULL},
        {"actions_log", GW_OPT_STRING, NULL, NULL},
        {"error_rate", GW_OPT_FLOAT, "0", NULL},
        {"latency", GW_OPT_DURATION, "0ms", NULL},
        {"fail_op", GW_OPT_STRING, "none", "none|fetch|post_public|send_private"},
        {"fail_with", GW_OPT_STRING, "fatal", "retry|fatal"},
        {"fail_times", GW_OPT_INT, "0", NULL},
        {"echo_actions", GW_OPT_BOOL, "false", NULL},
    };
    size_t n = 0;
    for (const gw_option *o = plugin->options; o->name != NULL; o++) {
        n++;
        assert_non_null(o->help);
        assert_true(strlen(o->help) > 10);
        assert_null(strchr(o->help, '\n'));
        assert_false(o->flags & GW_OPTF_REQUIRED);
        if (o->flags & GW_OPTF_BOUNDED)
            assert_true(o->min <= o->max);
    }
    assert_int_equal(n, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < n; i++) {
        const gw_option *o = find_option(expected[i].name);
        assert_non_null(o);
        assert_int_equal(o->type, expected[i].type);
        if (expected[i].def == NULL)
            assert_null(o->default_value);
        else
            assert_string_equal(o->default_value, expected[i].def);
        if (expected[i].allowed == NULL)
            assert_null(o->allowed);
        else
            assert_string_equal(o->allowed, expected[i].allowed);
    }
    const gw_option *er = find_option("error_rate");
    assert_true((er->flags & GW_OPTF_BOUNDED) && er->min == 0 && er->max == 1);
}

/* Events without the parts that legitimately vary between runs. */
static json_t *stable_copy(const json_t *events)
{
    json_t *copy = json_deep_copy(events);
    size_t i;
    json_t *event;
    json_array_foreach(copy, i, event)
    {
        json_object_del(event, "created_at");
    }
    return copy;
}

static void test_determinism_by_seed(void **state)
{
    (void)state;
    fake_host *a = host_new("{\"seed\": 7, \"rate\": 0, \"batch\": 200}");
    fake_host *b = host_new("{\"seed\": 7, \"rate\": 0, \"batch\": 200}");
    fake_host *c = host_new("{\"seed\": 8, \"rate\": 0, \"batch\": 200}");
    b->now_ms += 86400000; /* another day: only created_at may differ */
    fake_host_op op = {0};
    gw_instance *ia = fake_host_instance_new(a), *ib = fake_host_instance_new(b),
                *ic = fake_host_instance_new(c);
    assert_int_equal(fetch_now(a, ia, &op), 200);
    assert_int_equal(fetch_now(b, ib, &op), 200);
    assert_int_equal(fetch_now(c, ic, &op), 200);
    fake_host_op_clear(&op);

    json_t *sa = stable_copy(a->events), *sb = stable_copy(b->events), *sc = stable_copy(c->events);
    size_t i;
    json_t *event;
    /* received_at follows the host clock too. */
    json_array_foreach(sb, i, event)
    {
        json_object_set(event, "received_at",
                        json_object_get(json_array_get(sa, i), "received_at"));
    }
    assert_true(json_equal(sa, sb));

    size_t same_text = 0;
    for (i = 0; i < 200; i++) {
        char expect[32];
        snprintf(expect, sizeof expect, "7-%zu", i);
        assert_string_equal(fake_host_event_str(a, i, "native_id"), expect);
        snprintf(expect, sizeof expect, "8-%zu", i);
        assert_string_equal(fake_host_event_str(c, i, "native_id"), expect);
        same_text +=
            strcmp(fake_host_event_str(a, i, "text"), fake_host_event_str(c, i, "text")) == 0;
    }
    assert_true(same_text < 40); /* a few templates coincide by chance */
    assert_false(json_equal(sa, sc));

    json_decref(sa);
    json_decref(sb);
    json_decref(sc);
    plugin->destroy(ia);
    plugin->destroy(ib);
    plugin->destroy(ic);
    fake_host_free(a);
    fake_host_free(b);
    fake_host_free(c);
}

/* Items are pinned, not only repeatable: a recorded run, a scenario
 * written against seed 42 and the flood benchmark's figures all assume
 * that a change to the generator's code leaves its output alone. */
static void test_items_pinned(void **state)
{
    (void)state;
    static const char *const expect[] = {
        "{\"type\":\"mention\",\"native_id\":\"42-0\",\"visibility\":\"public\","
        "\"thread_id\":\"42-0\",\"in_reply_to\":null,\"author\":{\"id\":\"6990399447248\","
        "\"handle\":\"maria509\",\"name\":\"Maria Tanaka\",\"followers\":47,"
        "\"verified\":false},\"text\":\"@acme order #5309 arrived a day early, you rock\","
        "\"lang\":\"en\",\"raw\":{\"generator\":\"mock\",\"seed\":42,\"n\":0,"
        "\"template\":\"mention_at/8\"},\"url\":\"https://mock.example/acme/42-0\"}",
        "{\"type\":\"review\",\"native_id\":\"42-1\",\"visibility\":\"public\","
        "\"thread_id\":\"42-1\",\"in_reply_to\":null,\"author\":{\"id\":\"3252781896120\","
        "\"handle\":\"olivia218\",\"name\":\"Olivia Garcia\",\"followers\":919,"
        "\"verified\":false},\"text\":\"Service impeccable, je recommande.\",\"lang\":\"fr\","
        "\"raw\":{\"generator\":\"mock\",\"seed\":42,\"n\":1,\"template\":\"review/6\"},"
        "\"url\":\"https://mock.example/acme/42-1\",\"rating\":4}",
    };
    fake_host *h = host_new("{\"seed\": 42, \"rate\": 0, \"batch\": 30}");
    fake_host_op op = {0};
    gw_instance *inst = fake_host_instance_new(h);
    assert_int_equal(fetch_now(h, inst, &op), 30);
    fake_host_op_clear(&op);
    json_t *items = stable_copy(h->events);
    for (size_t i = 0; i < 2; i++) {
        json_t *item = json_array_get(items, i);
        /* What the fake host added, as the gateway's pipeline would. */
        for (const char *const *k =
                 (const char *const[]){"id", "seq", "network", "account", "received_at", NULL};
             *k; k++)
            json_object_del(item, *k);
        char *text = json_dumps(item, JSON_COMPACT);
        assert_string_equal(text, expect[i]);
        free(text);
    }
    /* A comment under the brand's first post, with an influencer. */
    const json_t *c = json_array_get(items, 20);
    assert_string_equal(json_string_value(json_object_get(c, "in_reply_to")), "42-post-0");
    assert_string_equal(json_string_value(json_object_get(c, "thread_id")), "42-post-0");
    assert_string_equal(json_string_value(json_object_get(c, "text")),
                        "when is the phone case coming to Europe?");
    const json_t *r = json_object_get(json_array_get(items, 21), "author");
    assert_int_equal(json_integer_value(json_object_get(r, "followers")), 298802);
    assert_string_equal(json_string_value(json_object_get(r, "handle")), "tariq426");
    json_decref(items);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_rate_zero_batches(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"rate\": 0, \"batch\": 10, \"count\": 25}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == 0); /* more is ready now */
    assert_string_equal(fake_host_kv(h, "synth_next"), "10");
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_true(op.delay_ms == 0);
    assert_int_equal(fetch_now(h, inst, &op), 5);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_int_equal(fetch_now(h, inst, &op), 0);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_string_equal(fake_host_kv(h, "synth_next"), "25");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_count_resume_from_kv(void **state)
{
    (void)state;
    /* Reference: one run that emits events 0..24 of seed 3 at once. */
    fake_host *ref = host_new("{\"seed\": 3, \"rate\": 0, \"batch\": 100, \"count\": 25}");
    gw_instance *iref = fake_host_instance_new(ref);
    fake_host_op op = {0};
    assert_int_equal(fetch_now(ref, iref, &op), 25);

    /* The same account killed after its first batch was committed. */
    fake_host *h = host_new("{\"seed\": 3, \"rate\": 0, \"batch\": 10, \"count\": 25}");
    gw_instance *inst = fake_host_instance_new(h);
    assert_int_equal(fetch_now(h, inst, &op), 10);
    plugin->destroy(inst);
    assert_string_equal(fake_host_kv(h, "synth_next"), "10");

    inst = fake_host_instance_new(h); /* restart: same store */
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_int_equal(fetch_now(h, inst, &op), 5);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_int_equal(fetch_now(h, inst, &op), 0);
    plugin->destroy(inst);

    json_t *got = stable_copy(h->events), *want = stable_copy(ref->events);
    assert_true(json_equal(got, want)); /* nothing re-emitted, nothing skipped */
    json_decref(got);
    json_decref(want);

    /* Raising the count continues where the store says. */
    fake_host_reconfigure(
        h, fake_host_parse("{\"seed\": 3, \"rate\": 0, \"batch\": 10, \"count\": 0}"));
    inst = fake_host_instance_new(h);
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_string_equal(fake_host_event_str(h, 25, "native_id"), "3-25");
    assert_string_equal(fake_host_kv(h, "synth_next"), "35");

    fake_host_op_clear(&op);
    plugin->destroy(inst);
    plugin->destroy(iref);
    fake_host_free(h);
    fake_host_free(ref);
}

static void test_rate_paced(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"rate\": 5, \"batch\": 20}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    /* The first event is due at once, then 5 per second. */
    assert_int_equal(fetch_now(h, inst, &op), 1);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_int_equal(fetch_now(h, inst, &op), 0);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    h->mono_ms += 1000;
    assert_int_equal(fetch_now(h, inst, &op), 5);
    h->mono_ms += 100;
    assert_int_equal(fetch_now(h, inst, &op), 0);
    h->mono_ms += 100;
    assert_int_equal(fetch_now(h, inst, &op), 1);
    /* A backlog larger than a batch is handed out batch by batch. */
    h->mono_ms += 10000;
    assert_int_equal(fetch_now(h, inst, &op), 20);
    assert_true(op.delay_ms == 0);
    assert_int_equal(fetch_now(h, inst, &op), 20);
    assert_true(op.delay_ms == 0);
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    /* The backlog is capped (one minute of events here). */
    h->mono_ms += 3600000;
    size_t total = 0;
    for (int i = 0; i < 100; i++) {
        total += fetch_now(h, inst, &op);
        if (op.delay_ms != 0)
            break;
    }
    assert_int_equal(total, 300);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_event_shapes(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"seed\": 1, \"rate\": 0, \"batch\": 1000}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    assert_int_equal(fetch_now(h, inst, &op), 1000);
    fake_host_op_clear(&op);

    size_t at_mentions = 0, keyword_mentions = 0, comments = 0, reviews = 0, messages = 0;
    size_t replies = 0, influencers = 0, other_langs = 0;
    size_t i;
    json_t *e;
    json_array_foreach(h->events, i, e)
    {
        const char *type = gw_sdk_json_string(e, "type", "");
        const char *text = gw_sdk_json_string(e, "text", "");
        const char *visibility = gw_sdk_json_string(e, "visibility", "");
        assert_true(strlen(text) > 0);
        int64_t created = 0;
        assert_int_equal(gw_sdk_time_parse(gw_sdk_json_string(e, "created_at", ""), &created), 0);
        assert_true(created <= (int64_t)NOW_MS && created > (int64_t)NOW_MS - 10000);

        const json_t *author = json_object_get(e, "author");
        assert_true(json_is_object(author));
        assert_non_null(gw_sdk_json_string(author, "id", NULL));
        assert_non_null(gw_sdk_json_string(author, "handle", NULL));
        assert_non_null(gw_sdk_json_string(author, "name", NULL));
        assert_true(json_is_integer(json_object_get(author, "followers")));
        assert_true(gw_sdk_json_int(author, "followers", -1) >= 0);
        assert_true(json_is_boolean(json_object_get(author, "verified")));
        influencers += gw_sdk_json_int(author, "followers", 0) >= 50000;

        assert_non_null(gw_sdk_json_string(e, "thread_id", NULL));
        const json_t *reply_to = json_object_get(e, "in_reply_to");
        assert_true(json_is_null(reply_to) || json_is_string(reply_to));
        replies += json_is_string(reply_to);
        other_langs += strcmp(gw_sdk_json_string(e, "lang", ""), "en") != 0;

        const char *url = gw_sdk_json_string(e, "url", NULL);
        if (strcmp(type, "message") == 0) {
            messages++;
            assert_string_equal(visibility, "private");
            assert_null(url);
        } else {
            assert_string_equal(visibility, "public");
            assert_non_null(url);
            assert_true(strncmp(url, "https://mock.example/acme/", 26) == 0);
        }
        if (strcmp(type, "mention") == 0) {
            if (strstr(text, "@acme") != NULL)
                at_mentions++;
            else if (strstr(text, "acme") != NULL)
                keyword_mentions++;
            else
                fail_msg("a mention without the brand: %s", text);
        } else if (strcmp(type, "comment") == 0) {
            comments++;
            assert_true(json_is_string(reply_to));
        } else if (strcmp(type, "review") == 0) {
            reviews++;
            json_int_t rating = gw_sdk_json_int(e, "rating", 0);
            assert_true(rating >= 1 && rating <= 5);
        } else {
            assert_string_equal(type, "message");
        }
        if (strcmp(type, "review") != 0)
            assert_null(json_object_get(e, "rating"));
    }
    /* The mix is 30/15/20/15/20 percent: loose bounds. */
    assert_true(at_mentions > 200 && keyword_mentions > 80 && comments > 120);
    assert_true(reviews > 80 && messages > 120);
    assert_true(replies > comments);
    assert_true(influencers > 5);
    assert_true(other_langs > 10);

    /* The schema agrees (with the fields the host fills). */
    const char *path = write_jsonl(h->events);
    assert_int_equal(run_validator(path), 0);
    unlink(path);
    /* ...and the validator does catch a bad event. */
    json_t *bad = json_pack("[{s:s}]", "type", "mention");
    path = write_jsonl(bad);
    assert_int_equal(run_validator(path), 1);
    unlink(path);
    json_decref(bad);

    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_scenario_replay(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"scenario\": \"" SCENARIO "\", \"rate\": 0, \"batch\": 2}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    assert_int_equal(fetch_now(h, inst, &op), 2);
    assert_true(op.delay_ms == 0);
    assert_string_equal(fake_host_kv(h, "scenario_next"), "2");
    assert_int_equal(fetch_now(h, inst, &op), 2);
    assert_int_equal(fetch_now(h, inst, &op), 1);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_int_equal(fetch_now(h, inst, &op), 0);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_null(fake_host_kv(h, "synth_next"));

    const char *ids[] = {"sc-1", "sc-2", "sc-3", "sc-4", "sc-5"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(fake_host_event_str(h, i, "native_id"), ids[i]);
    /* Defaults filled, written values kept. */
    assert_string_equal(fake_host_event_str(h, 4, "visibility"), "private");
    assert_string_equal(fake_host_event_str(h, 0, "visibility"), "public");
    assert_string_equal(fake_host_event_str(h, 0, "created_at"), "2026-11-20T10:00:00.000Z");
    assert_string_equal(fake_host_event_str(h, 1, "created_at"), "2026-11-20T10:00:00.000Z");
    assert_true(gw_sdk_json_int(json_array_get(h->events, 3), "rating", 0) == 1);

    const char *path = write_jsonl(h->events);
    assert_int_equal(run_validator(path), 0);
    unlink(path);
    plugin->destroy(inst);

    /* A restart after 3 kept events resumes at the fourth line. */
    json_array_clear(h->events);
    json_object_set_new(h->kv, "scenario_next", json_string("3"));
    inst = fake_host_instance_new(h);
    assert_int_equal(fetch_now(h, inst, &op), 2);
    assert_string_equal(fake_host_event_str(h, 0, "native_id"), "sc-4");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_scenario_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/test_mock_scenario_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"type\":\"mention\",\"native_id\":\"a\"}\n"
                       "{\"type\":\"mention\",\"native_id\":}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char config[256];
    snprintf(config, sizeof config, "{\"scenario\": \"%s\"}", path);
    expect_create_fails(config, GW_EPARSE, ":2: column");

    fd = open(path, O_WRONLY | O_TRUNC);
    const char *missing = "{\"type\":\"mention\"}\n";
    assert_int_equal(write(fd, missing, strlen(missing)), (ssize_t)strlen(missing));
    close(fd);
    expect_create_fails(config, GW_EINVAL, ":1: an event needs a string \"native_id\"");
    unlink(path);

    expect_create_fails("{\"scenario\": \"/nonexistent/scenario.jsonl\"}", GW_ENOENT,
                        "/nonexistent/scenario.jsonl");
}

static void test_actions_log(void **state)
{
    (void)state;
    char path[] = "/tmp/test_mock_actions_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char config[256];
    snprintf(config, sizeof config, "{\"actions_log\": \"%s\"}", path);
    fake_host *h = host_new(config);
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};

    gw_action reply = action_make("act-1", "Sorry about that, we're on it!");
    reply.in_reply_to = "1-0";
    reply.thread_id = "1-0";
    plugin->post_public(inst, (gw_op *)&op, &reply);
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "reply-1");
    assert_string_equal(gw_sdk_json_string(op.result, "url", ""),
                        "https://mock.example/acme/reply-1");

    fake_host_op_clear(&op);
    gw_action dm = action_make("act-2", "Hi Ann, \"quoted\" and\nmultiline");
    dm.to = "100";
    plugin->send_private(inst, (gw_op *)&op, &dm);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "reply-2");

    fake_host_op_clear(&op);
    gw_action empty = action_make("act-3", "");
    plugin->post_public(inst, (gw_op *)&op, &empty);
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    assert_string_equal(op.message, "empty text");
    fake_host_op_clear(&op);
    gw_action none = action_make("act-4", NULL);
    plugin->send_private(inst, (gw_op *)&op, &none);
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    assert_string_equal(fake_host_kv(h, "action_next"), "2");

    /* Two lines, in order, with every field. */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    json_t *lines[3] = {NULL, NULL, NULL};
    int n = 0;
    while (n < 3 && fgets(line, sizeof line, f) != NULL)
        lines[n++] = json_loads(line, 0, NULL);
    fclose(f);
    assert_int_equal(n, 2);
    assert_non_null(lines[0]);
    assert_non_null(lines[1]);
    assert_string_equal(gw_sdk_json_string(lines[0], "kind", ""), "reply");
    assert_string_equal(gw_sdk_json_string(lines[0], "action_id", ""), "act-1");
    assert_string_equal(gw_sdk_json_string(lines[0], "in_reply_to", ""), "1-0");
    assert_true(json_is_null(json_object_get(lines[0], "to")));
    assert_string_equal(gw_sdk_json_string(lines[0], "text", ""), "Sorry about that, we're on it!");
    assert_string_equal(gw_sdk_json_string(lines[0], "native_id", ""), "reply-1");
    assert_string_equal(gw_sdk_json_string(lines[0], "ts", ""), "2026-11-20T10:00:00.000Z");
    assert_string_equal(gw_sdk_json_string(lines[1], "kind", ""), "private");
    assert_string_equal(gw_sdk_json_string(lines[1], "to", ""), "100");
    assert_true(json_is_null(json_object_get(lines[1], "in_reply_to")));
    assert_string_equal(gw_sdk_json_string(lines[1], "text", ""), dm.text);
    json_decref(lines[0]);
    json_decref(lines[1]);

    /* Ids stay unique across a restart. */
    plugin->destroy(inst);
    inst = fake_host_instance_new(h);
    fake_host_op_clear(&op);
    plugin->post_public(inst, (gw_op *)&op, &reply);
    assert_string_equal(gw_sdk_json_string(op.result, "native_id", ""), "reply-3");

    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
    unlink(path);
}

static void test_error_rate(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"error_rate\": 1, \"rate\": 0}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    assert_int_equal(fetch_now(h, inst, &op), 0);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    assert_true(op.delay_ms > 0 && op.delay_ms < 10000);
    gw_action a = action_make("a", "hello");
    fake_host_op_clear(&op);
    plugin->post_public(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);
    assert_null(fake_host_kv(h, "action_next"));
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);

    /* About half, the same half for the same seed. */
    int pattern[2][200];
    for (int run = 0; run < 2; run++) {
        h = host_new("{\"error_rate\": 0.5, \"rate\": 0, \"batch\": 1}");
        inst = fake_host_instance_new(h);
        int retries = 0;
        for (int i = 0; i < 200; i++) {
            fetch_now(h, inst, &op);
            pattern[run][i] = op.outcome == GW_OUTCOME_RETRY;
            retries += pattern[run][i];
        }
        assert_true(retries > 60 && retries < 140);
        assert_int_equal(json_array_size(h->events), 200 - retries);
        fake_host_op_clear(&op);
        plugin->destroy(inst);
        fake_host_free(h);
    }
    assert_memory_equal(pattern[0], pattern[1], sizeof pattern[0]);
}

static void test_fail_sequence(void **state)
{
    (void)state;
    fake_host *h = host_new(
        "{\"fail_op\": \"post_public\", \"fail_with\": \"retry\", \"fail_times\": 2, \"rate\": 0}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    gw_action a = action_make("a", "hello");
    const gw_outcome expected[] = {GW_OUTCOME_RETRY, GW_OUTCOME_RETRY, GW_OUTCOME_OK,
                                   GW_OUTCOME_OK};
    for (size_t i = 0; i < 4; i++) {
        fake_host_op_clear(&op);
        plugin->post_public(inst, (gw_op *)&op, &a);
        assert_int_equal(op.completions, 1);
        assert_int_equal(op.outcome, expected[i]);
        if (expected[i] == GW_OUTCOME_RETRY)
            assert_true(op.delay_ms > 0);
    }
    /* Other ops are not affected. */
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(fetch_now(h, inst, &op) > 0);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);

    /* fail_times 0: fails every time, FATAL by default. */
    h = host_new("{\"fail_op\": \"fetch\"}");
    inst = fake_host_instance_new(h);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fetch_now(h, inst, &op), 0);
        assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    }
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);

    h = host_new("{\"fail_op\": \"send_private\", \"fail_with\": \"fatal\", \"fail_times\": 1}");
    inst = fake_host_instance_new(h);
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_FATAL);
    fake_host_op_clear(&op);
    plugin->send_private(inst, (gw_op *)&op, &a);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_latency_uses_timer(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"latency\": 250, \"rate\": 0, \"batch\": 5}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    plugin->fetch(inst, (gw_op *)&op);
    assert_int_equal(op.completions, 0);
    assert_int_equal(h->ntimers, 1);
    assert_true(h->timers[0].delay_ms == 250);
    assert_int_equal(json_array_size(h->events), 0);
    fake_host_fire_timer(h, 0);
    assert_int_equal(op.completions, 1);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_int_equal(json_array_size(h->events), 5);

    /* Two actions in flight complete in the order their timers fire. */
    fake_host_op p1 = {0}, p2 = {0};
    gw_action a1 = action_make("a1", "first"), a2 = action_make("a2", "second");
    plugin->post_public(inst, (gw_op *)&p1, &a1);
    plugin->send_private(inst, (gw_op *)&p2, &a2);
    assert_int_equal(p1.completions + p2.completions, 0);
    fake_host_fire_timer(h, 2);
    assert_int_equal(p2.completions, 1);
    assert_string_equal(gw_sdk_json_string(p2.result, "native_id", ""), "reply-1");
    fake_host_fire_timer(h, 1);
    assert_int_equal(p1.completions, 1);
    assert_string_equal(gw_sdk_json_string(p1.result, "native_id", ""), "reply-2");

    /* A fault also waits for the latency. */
    fake_host_reconfigure(h, fake_host_parse("{\"latency\": 250, \"error_rate\": 1}"));
    plugin->destroy(inst);
    inst = fake_host_instance_new(h);
    fake_host_op_clear(&op);
    plugin->fetch(inst, (gw_op *)&op);
    assert_int_equal(op.completions, 0);
    fake_host_fire_timer(h, 3);
    assert_int_equal(op.outcome, GW_OUTCOME_RETRY);

    /* destroy cancels what is still waiting (the fake asserts the handle
     * is live) and the op is never completed. */
    fake_host_op left = {0};
    plugin->fetch(inst, (gw_op *)&left);
    assert_true(h->timers[4].active);
    plugin->destroy(inst);
    assert_false(h->timers[4].active);
    assert_int_equal(left.completions, 0);

    fake_host_op_clear(&op);
    fake_host_op_clear(&p1);
    fake_host_op_clear(&p2);
    fake_host_free(h);
}

static json_t *post_webhook(gw_instance *inst, const char *method, const char *body,
                            fake_host_op *op)
{
    gw_webhook_request req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.method = method;
    req.query = "";
    req.body = (const unsigned char *)body;
    req.body_len = strlen(body);
    fake_host_op_clear(op);
    plugin->webhook(inst, (gw_op *)op, &req);
    assert_int_equal(op->completions, 1);
    assert_int_equal(op->outcome, GW_OUTCOME_OK);
    assert_true(json_is_object(op->result));
    json_t *doc = json_loads(gw_sdk_json_string(op->result, "body", ""), 0, NULL);
    /* Every error in the host's shape; a 405 names what Allow says. */
    json_int_t status = gw_sdk_json_int(op->result, "status", 0);
    if (status >= 400) {
        assert_true(strlen(gw_sdk_json_string(doc, "error", "")) > 0);
        assert_true(strlen(gw_sdk_json_string(doc, "message", "")) > 0);
    }
    if (status == 405)
        assert_string_equal(gw_sdk_json_string(op->result, "allow", ""), "POST");
    return doc;
}

static void test_webhook(void **state)
{
    (void)state;
    fake_host *h = host_new("{}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};

    json_t *body =
        post_webhook(inst, "POST",
                     "[{\"type\":\"mention\",\"native_id\":\"w-1\",\"text\":\"@acme hi\"},"
                     " {\"type\":\"message\",\"native_id\":\"w-2\",\"text\":\"hello\"},"
                     " {\"type\":\"mention\"}]",
                     &op);
    assert_true(gw_sdk_json_int(op.result, "status", 0) == 200);
    assert_string_equal(gw_sdk_json_string(op.result, "content_type", ""), "application/json");
    assert_true(gw_sdk_json_int(body, "accepted", -1) == 2);
    assert_true(gw_sdk_json_int(body, "rejected", -1) == 1);
    json_decref(body);
    assert_int_equal(json_array_size(h->events), 2);
    assert_string_equal(fake_host_event_str(h, 1, "visibility"), "private");

    body =
        post_webhook(inst, "POST", "{\"type\":\"review\",\"native_id\":\"w-3\",\"rating\":4}", &op);
    assert_true(gw_sdk_json_int(body, "accepted", -1) == 1);
    json_decref(body);

    body = post_webhook(inst, "POST", "not json", &op);
    assert_true(gw_sdk_json_int(op.result, "status", 0) == 400);
    json_decref(body);
    body = post_webhook(inst, "POST", "42", &op);
    assert_true(gw_sdk_json_int(op.result, "status", 0) == 400);
    json_decref(body);
    body = post_webhook(inst, "GET", "", &op);
    assert_true(gw_sdk_json_int(op.result, "status", 0) == 405);
    json_decref(body);
    h->emit_rc = GW_ESTATE;
    body = post_webhook(inst, "POST", "[{\"type\":\"mention\",\"native_id\":\"w-4\"}]", &op);
    assert_true(gw_sdk_json_int(op.result, "status", 0) == 503);
    json_decref(body);

    const char *path = write_jsonl(h->events);
    assert_int_equal(run_validator(path), 0);
    unlink(path);

    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_emit_refused_while_stopping(void **state)
{
    (void)state;
    fake_host *h = host_new("{\"rate\": 0, \"batch\": 10}");
    gw_instance *inst = fake_host_instance_new(h);
    fake_host_op op = {0};
    h->emit_rc = GW_ESTATE;
    assert_int_equal(fetch_now(h, inst, &op), 0);
    assert_int_equal(op.outcome, GW_OUTCOME_OK);
    assert_true(op.delay_ms == GW_DELAY_POLL_INTERVAL);
    assert_null(fake_host_kv(h, "synth_next")); /* nothing counted */
    h->emit_rc = 0;
    assert_int_equal(fetch_now(h, inst, &op), 10);
    assert_string_equal(fake_host_event_str(h, 0, "native_id"), "1-0");
    fake_host_op_clear(&op);
    plugin->destroy(inst);
    fake_host_free(h);
}

static void test_create_rejects_bad_options(void **state)
{
    (void)state;
    expect_create_fails("{\"error_rate\": 2}", GW_EINVAL, "error_rate");
    expect_create_fails("{\"rate\": -1}", GW_EINVAL, "rate");
    expect_create_fails("{\"batch\": 0}", GW_EINVAL, "batch");
    expect_create_fails("{\"count\": 1.5}", GW_EINVAL, "count");
    expect_create_fails("{\"fail_op\": \"delete\"}", GW_EINVAL, "fail_op");
    expect_create_fails("{\"fail_with\": \"maybe\"}", GW_EINVAL, "fail_with");
    expect_create_fails("{\"actions_log\": \"/nonexistent/dir/actions.jsonl\"}", GW_EIO,
                        "actions_log");

    /* A corrupt cursor is reported, not read as 0. */
    fake_host *h = host_new("{}");
    json_object_set_new(h->kv, "synth_next", json_string("abc"));
    gw_instance *inst = NULL;
    char err[256] = "";
    assert_int_equal(plugin->create(&h->table, (gw_account *)h, &inst, err, sizeof err), GW_EPARSE);
    assert_non_null(strstr(err, "synth_next"));
    fake_host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_determinism_by_seed),
        cmocka_unit_test(test_items_pinned),
        cmocka_unit_test(test_rate_zero_batches),
        cmocka_unit_test(test_count_resume_from_kv),
        cmocka_unit_test(test_rate_paced),
        cmocka_unit_test(test_event_shapes),
        cmocka_unit_test(test_scenario_replay),
        cmocka_unit_test(test_scenario_errors),
        cmocka_unit_test(test_actions_log),
        cmocka_unit_test(test_error_rate),
        cmocka_unit_test(test_fail_sequence),
        cmocka_unit_test(test_latency_uses_timer),
        cmocka_unit_test(test_webhook),
        cmocka_unit_test(test_emit_refused_while_stopping),
        cmocka_unit_test(test_create_rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, load_plugin, unload_plugin);
}
