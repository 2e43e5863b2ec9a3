/* tests/unit/test_forum_normalise.c - the forum plugin's normaliser and
 * text helpers (plugins/forum/normalise.c, cooked.c), called directly.
 *
 * Linked with the forum_normalise library (wired in plugins/forum/
 * CMakeLists.txt). Each produced event is checked twice: with the host's
 * own pipeline_validate (what emit() would refuse) and, for the shapes
 * that matter, with tests/tools/validate_events.py against
 * docs/event.schema.json once the host's fields are added.
 */
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

#include "forum.h"
#include "engine/pipeline.h"

#define BASE "https://forum.example.com"
#define BRAND "acme_support"
#define VALIDATOR "/usr/bin/python3 " GW_SOURCE_DIR "/tests/tools/validate_events.py"

/* ---- helpers --------------------------------------------------------- */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (doc == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    return doc;
}

/* A lookup that knows (412, 1) -> 9000 and (412, 3) -> 9101. */
static int64_t lookup(void *arg, int64_t topic, int64_t number)
{
    (void)arg;
    if (topic == 412 && number == 1)
        return 9000;
    if (topic == 412 && number == 3)
        return 9101;
    return 0;
}

static forum_context context(int archetype)
{
    forum_context ctx = {
        .base = BASE,
        .brand = BRAND,
        .archetype = archetype,
        .lookup = lookup,
    };
    return ctx;
}

/* Normalise post_json; expect verdict; return the event (caller decrefs)
 * after checking it as the host would. */
static json_t *normalise(const forum_context *ctx, const char *post_json, forum_verdict want)
{
    json_t *post = parse(post_json);
    json_t *ev = NULL;
    char why[128] = "";
    forum_verdict got = forum_normalise_post(ctx, post, &ev, why, sizeof why);
    json_decref(post);
    if (got != want)
        fail_msg("verdict %d, expected %d (%s)", (int)got, (int)want, why);
    if (want != FORUM_EVENT) {
        assert_null(ev);
        assert_true(why[0] != '\0');
        return NULL;
    }
    assert_non_null(ev);
    char err[256];
    if (pipeline_validate(ev, err, sizeof err) != 0)
        fail_msg("the host would refuse the event: %s", err);
    return ev;
}

static const char *str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

static const char *author(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, "author"), key));
}

/* Add the host's members and run the schema validator over the events. */
static void validate_with_schema(json_t **events, size_t n)
{
    char path[] = "/tmp/test_forum_events_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_deep_copy(events[i]);
        char id[300];
        snprintf(id, sizeof id, "forum:%s", str(ev, "native_id"));
        json_object_set_new(ev, "id", json_string(id));
        json_object_set_new(ev, "seq", json_integer((json_int_t)i + 1));
        json_object_set_new(ev, "network", json_string("forum"));
        json_object_set_new(ev, "account", json_string("acme"));
        json_object_set_new(ev, "received_at", json_string("2026-11-20T10:00:01.000Z"));
        if (json_object_get(ev, "created_at") == NULL)
            json_object_set_new(ev, "created_at", json_string("2026-11-20T10:00:01.000Z"));
        char *line = json_dumps(ev, JSON_COMPACT);
        fprintf(f, "%s\n", line);
        free(line);
        json_decref(ev);
    }
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, VALIDATOR " %s >/dev/null", path);
    int status = system(cmd);
    unlink(path);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- normalise --------------------------------------------------------- */

static const char *latest_post =
    "{\"id\":9101,\"name\":\"Ann Smith\",\"username\":\"ann\",\"user_id\":10,"
    "\"created_at\":\"2026-11-20T10:00:00.000Z\",\"raw\":\"@acme_support the export is broken\","
    "\"cooked\":\"<p>@acme_support the export is broken</p>\",\"post_number\":3,"
    "\"post_type\":1,\"topic_id\":412,\"topic_slug\":\"export-broken\","
    "\"topic_title\":\"Export broken\",\"category_id\":4,\"reply_to_post_number\":null}";

static void test_latest_post_mentioning_the_brand(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_REGULAR);
    json_t *ev = normalise(&ctx, latest_post, FORUM_EVENT);
    assert_string_equal(str(ev, "type"), "mention");
    assert_string_equal(str(ev, "visibility"), "public");
    assert_string_equal(str(ev, "native_id"), "9101");
    assert_string_equal(str(ev, "thread_id"), "412");
    /* No reply_to_post_number: it answers the topic, i.e. post 1. */
    assert_string_equal(str(ev, "in_reply_to"), "9000");
    assert_string_equal(str(ev, "url"), BASE "/t/export-broken/412/3");
    assert_string_equal(str(ev, "text"), "@acme_support the export is broken");
    assert_string_equal(str(ev, "created_at"), "2026-11-20T10:00:00.000Z");
    assert_string_equal(author(ev, "id"), "10");
    assert_string_equal(author(ev, "handle"), "ann");
    assert_string_equal(author(ev, "name"), "Ann Smith");
    const json_t *raw = json_object_get(ev, "raw");
    assert_int_equal(json_integer_value(json_object_get(raw, "post_number")), 3);
    assert_int_equal(json_integer_value(json_object_get(raw, "topic_id")), 412);
    assert_int_equal(json_integer_value(json_object_get(raw, "category_id")), 4);
    assert_string_equal(json_string_value(json_object_get(raw, "topic_title")), "Export broken");
    assert_string_equal(json_string_value(json_object_get(raw, "archetype")), "regular");
    assert_int_equal(forum_event_post_number(ev), 3);
    validate_with_schema(&ev, 1);
    json_decref(ev);
}

static void test_reply_without_mention_is_a_comment(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_UNKNOWN);
    /* reply_to_post_number as a string, as the published schema types it;
     * a first post in a topic answers nothing. */
    json_t *ev = normalise(&ctx,
                           "{\"id\":9102,\"username\":\"bob\",\"user_id\":11,\"raw\":\"same here\","
                           "\"post_number\":4,\"topic_id\":412,\"reply_to_post_number\":\"3\","
                           "\"created_at\":\"2026-11-20T11:00:00+01:00\"}",
                           FORUM_EVENT);
    assert_string_equal(str(ev, "type"), "comment");
    assert_string_equal(str(ev, "in_reply_to"), "9101");
    assert_string_equal(str(ev, "created_at"), "2026-11-20T10:00:00.000Z");
    /* No slug: "-" keeps the URL's shape. */
    assert_string_equal(str(ev, "url"), BASE "/t/-/412/4");
    assert_null(json_object_get(json_object_get(ev, "author"), "name"));
    json_decref(ev);

    ev = normalise(&ctx,
                   "{\"id\":9000,\"username\":\"bob\",\"raw\":\"first\",\"post_number\":1,"
                   "\"topic_id\":412}",
                   FORUM_EVENT);
    assert_null(json_object_get(ev, "in_reply_to"));
    /* Without user_id the username is the author id. */
    assert_string_equal(author(ev, "id"), "bob");
    json_decref(ev);

    /* An unknown parent: no in_reply_to rather than a guess. */
    ev = normalise(&ctx,
                   "{\"id\":9500,\"username\":\"bob\",\"raw\":\"x\",\"post_number\":9,"
                   "\"topic_id\":77,\"reply_to_post_number\":2}",
                   FORUM_EVENT);
    assert_null(json_object_get(ev, "in_reply_to"));
    json_decref(ev);
}

static void test_topic_post_with_cooked_only(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_REGULAR);
    ctx.topic_slug = "export-broken";
    ctx.topic_title = "Export broken";
    json_t *ev = normalise(
        &ctx,
        "{\"id\":9103,\"username\":\"ann\",\"user_id\":10,\"post_number\":5,\"topic_id\":412,"
        "\"cooked\":\"<p>Hi <a class=\\\"mention\\\" href=\\\"/u/acme_support\\\">@acme_support"
        "</a>,<br>\\nit&#39;s &lt;still&gt; broken &amp; &#x1F600;</p>\\n<p>Second   para</p>\"}",
        FORUM_EVENT);
    assert_string_equal(str(ev, "type"), "mention");
    assert_string_equal(str(ev, "text"), "Hi @acme_support,\nit's <still> broken & \xF0\x9F\x98\x80"
                                         "\n\nSecond para");
    assert_string_equal(str(ev, "url"), BASE "/t/export-broken/412/5");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ev, "raw"), "topic_title")),
        "Export broken");
    json_decref(ev);
}

static void test_private_messages(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_PRIVATE);
    json_t *events[2];
    events[0] = normalise(&ctx,
                          "{\"id\":9200,\"username\":\"ann\",\"user_id\":10,\"raw\":"
                          "\"@acme_support where is order 1234?\",\"post_number\":1,"
                          "\"topic_id\":501,\"topic_slug\":\"my-order\"}",
                          FORUM_EVENT);
    /* A PM is a message even when it mentions the brand. */
    assert_string_equal(str(events[0], "type"), "message");
    assert_string_equal(str(events[0], "visibility"), "private");
    assert_string_equal(str(events[0], "thread_id"), "501");

    /* A webhook payload says its archetype itself. */
    forum_context unknown = context(FORUM_ARCHETYPE_UNKNOWN);
    events[1] = normalise(&unknown,
                          "{\"id\":9201,\"username\":\"ann\",\"raw\":\"hello again\","
                          "\"post_number\":2,\"topic_id\":501,"
                          "\"topic_archetype\":\"private_message\"}",
                          FORUM_EVENT);
    assert_string_equal(str(events[1], "type"), "message");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(events[1], "raw"), "archetype")),
        "private_message");
    validate_with_schema(events, 2);
    json_decref(events[0]);
    json_decref(events[1]);
}

static void test_not_customer_items(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_REGULAR);
    /* The brand's own post, whatever the case of its name. */
    normalise(&ctx, "{\"id\":1,\"username\":\"Acme_Support\",\"raw\":\"x\",\"topic_id\":2}",
              FORUM_ECHO);
    normalise(&ctx,
              "{\"id\":1,\"username\":\"ann\",\"raw\":\"closed\",\"topic_id\":2,\"post_type\":3}",
              FORUM_IGNORED);
    normalise(&ctx,
              "{\"id\":1,\"username\":\"ann\",\"raw\":\"x\",\"topic_id\":2,"
              "\"deleted_at\":\"2026-11-20T10:00:00Z\"}",
              FORUM_IGNORED);
    normalise(&ctx, "{\"username\":\"ann\",\"raw\":\"x\",\"topic_id\":2}", FORUM_INVALID);
    normalise(&ctx, "{\"id\":\"abc\",\"username\":\"ann\",\"topic_id\":2}", FORUM_INVALID);
    normalise(&ctx, "{\"id\":-4,\"username\":\"ann\",\"topic_id\":2}", FORUM_INVALID);
    normalise(&ctx, "{\"id\":1,\"username\":\"ann\"}", FORUM_INVALID);
    normalise(&ctx, "{\"id\":1,\"topic_id\":2,\"username\":\"\"}", FORUM_INVALID);
    normalise(&ctx, "[1,2,3]", FORUM_INVALID);
}

static void test_odd_fields_are_survived(void **state)
{
    (void)state;
    forum_context ctx = context(FORUM_ARCHETYPE_REGULAR);
    /* Bad created_at: left out (the host fills the receive time); ids as
     * strings; a slug that needs encoding; no text at all. */
    json_t *ev = normalise(&ctx,
                           "{\"id\":\"9300\",\"username\":\"ann\",\"topic_id\":\"412\","
                           "\"created_at\":\"yesterday\",\"topic_slug\":\"caf\xc3\xa9 & t\","
                           "\"post_number\":2,\"name\":null,\"user_id\":\"x\"}",
                           FORUM_EVENT);
    assert_null(json_object_get(ev, "created_at"));
    assert_null(json_object_get(ev, "text"));
    assert_string_equal(str(ev, "url"), BASE "/t/caf%C3%A9%20%26%20t/412/2");
    assert_int_equal(forum_event_post_number(ev), 2);
    assert_string_equal(author(ev, "id"), "ann");
    json_decref(ev);
}

static void test_long_text_is_cut_on_a_character(void **state)
{
    (void)state;
    /* 70,000 bytes of 3-byte characters: the cut must not split one. */
    size_t count = 70000 / 3;
    char *raw = malloc(count * 3 + 1);
    assert_non_null(raw);
    for (size_t i = 0; i < count; i++)
        memcpy(raw + 3 * i, "\xE2\x82\xAC", 3); /* EUR sign */
    raw[count * 3] = '\0';
    json_t *post =
        json_pack("{s:i, s:s, s:i, s:s}", "id", 1, "username", "ann", "topic_id", 2, "raw", raw);
    free(raw);
    forum_context ctx = context(FORUM_ARCHETYPE_REGULAR);
    json_t *ev = NULL;
    char why[64];
    assert_int_equal(forum_normalise_post(&ctx, post, &ev, why, sizeof why), FORUM_EVENT);
    size_t len = json_string_length(json_object_get(ev, "text"));
    assert_true(len <= FORUM_TEXT_MAX);
    assert_true(len > FORUM_TEXT_MAX - 3);
    assert_int_equal(len % 3, 0);
    json_decref(ev);
    json_decref(post);
}

/* ---- text helpers ---------------------------------------------------------- */

static void expect_cooked(const char *html, const char *want)
{
    char *got = forum_cooked_to_text(html, strlen(html), 1000);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("cooked \"%s\" -> \"%s\", expected \"%s\"", html, got, want);
    free(got);
}

static void test_cooked_to_text(void **state)
{
    (void)state;
    expect_cooked("", "");
    expect_cooked("  <p>  a  </p>  ", "a");
    expect_cooked("<p>one</p><p>two</p>", "one\n\ntwo");
    expect_cooked("<ul><li>a</li><li>b</li></ul>", "a\nb");
    expect_cooked("a<br>b<br/>c", "a\nb\nc");
    expect_cooked("<aside class=\"quote\"><blockquote>q</blockquote></aside><p>r</p>", "q\n\nr");
    expect_cooked("x <!-- hidden > still --> y", "x y");
    expect_cooked("<a href=\"x>y\">link</a> end", "link end");
    expect_cooked("1 < 2 & 3 > 2", "1 < 2 & 3 > 2");
    expect_cooked("&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&nbsp;&hellip;", "&<>\"'AB \xE2\x80\xA6");
    expect_cooked("&unknown; &#; &#x; &#xZZ; &amp", "&unknown; &#; &#x; &#xZZ; &amp");
    expect_cooked("&#0;&#xD800;&#x110000;&#99999999999;", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                                          "\xEF\xBF\xBD");
    expect_cooked("bad \xff\xfe utf8 \xe2\x82", "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD"
                                                "\xEF\xBF\xBD");
    expect_cooked("<table><tr><td>a</td><td>b</td></tr></table>", "a b");
    expect_cooked("unterminated <p class=\"x", "unterminated");
    expect_cooked("<!doctype html>text", "text");
    expect_cooked("<1>", "<1>");

    /* The cut keeps whole characters and never runs past the limit. */
    char *cut = forum_cooked_to_text("ab\xE2\x82\xAC", 5, 4);
    assert_string_equal(cut, "ab");
    free(cut);
    cut = forum_text_clean("a\0b", 3, 10);
    assert_string_equal(cut, "a\xEF\xBF\xBD"
                             "b");
    free(cut);
}

static void test_mentions(void **state)
{
    (void)state;
    assert_true(forum_text_mentions("@acme_support hi", BRAND));
    assert_true(forum_text_mentions("hi @ACME_Support.", BRAND));
    assert_true(forum_text_mentions("(@acme_support)", BRAND));
    assert_true(forum_text_mentions("x @acme_support-", BRAND));
    assert_false(forum_text_mentions("@acme_supportx", BRAND));
    assert_false(forum_text_mentions("@acme_support.eu", BRAND));
    assert_false(forum_text_mentions("mail@acme_support", BRAND));
    assert_false(forum_text_mentions("acme_support", BRAND));
    assert_false(forum_text_mentions("@acme", BRAND));
    assert_false(forum_text_mentions(NULL, BRAND));
    assert_false(forum_text_mentions("@x", ""));
    assert_true(forum_username_equal("Ann", "ann"));
    assert_false(forum_username_equal("ann", "anne"));
}

static void test_event_post_number(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int64_t want;
    } cases[] = {
        {"{\"raw\":{\"post_number\":7},\"url\":\"https://f/t/s/1/2\"}", 7},
        {"{\"url\":\"https://f/t/s/1/2\"}", 2},
        {"{\"url\":\"https://f/t/-/1/12\"}", 12},
        {"{\"url\":\"https://f/t/t/1/3\"}", 3},
        {"{\"url\":\"https://f/base/t/x/t/s/1/4\"}", 4},
        {"{\"url\":\"https://f/t/s/1\"}", 0},
        {"{\"url\":\"https://f/t/s/x/2\"}", 0},
        {"{\"url\":\"https://f/t/s/1/\"}", 0},
        {"{\"url\":\"https://f/u/s/1/2\"}", 0},
        {"{\"url\":\"/t\"}", 0},
        {"{}", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *ev = parse(cases[i].json);
        if (forum_event_post_number(ev) != cases[i].want)
            fail_msg("%s: got %lld", cases[i].json, (long long)forum_event_post_number(ev));
        json_decref(ev);
    }
}

static void test_json_id_and_segment(void **state)
{
    (void)state;
    json_t *o = parse("{\"a\":5,\"b\":\"17\",\"c\":\"1x\",\"d\":0,\"e\":1.5,\"f\":\"\","
                      "\"g\":9007199254740993,\"h\":\"99999999999999999\"}");
    int64_t v = 0;
    assert_true(forum_json_id(o, "a", &v));
    assert_int_equal(v, 5);
    assert_true(forum_json_id(o, "b", &v));
    assert_int_equal(v, 17);
    const char *bad[] = {"c", "d", "e", "f", "g", "h", "missing"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(forum_json_id(o, bad[i], &v));
    assert_false(forum_json_id(NULL, "a", &v));
    json_decref(o);

    char buf[16];
    assert_true(forum_url_segment("a-b_c.d~e", buf, sizeof buf));
    assert_string_equal(buf, "a-b_c.d~e");
    assert_true(forum_url_segment("a b/c", buf, sizeof buf));
    assert_string_equal(buf, "a%20b%2Fc");
    assert_false(forum_url_segment("0123456789abcdef", buf, sizeof buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latest_post_mentioning_the_brand),
        cmocka_unit_test(test_reply_without_mention_is_a_comment),
        cmocka_unit_test(test_topic_post_with_cooked_only),
        cmocka_unit_test(test_private_messages),
        cmocka_unit_test(test_not_customer_items),
        cmocka_unit_test(test_odd_fields_are_survived),
        cmocka_unit_test(test_long_text_is_cut_on_a_character),
        cmocka_unit_test(test_cooked_to_text),
        cmocka_unit_test(test_mentions),
        cmocka_unit_test(test_event_post_number),
        cmocka_unit_test(test_json_id_and_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
