/* fuzz_forum_normalise.c - libFuzzer target for the forum plugin's
 * normaliser (plugins/forum/normalise.c, cooked.c): Discourse JSON in,
 * gateway.event/1 item out.
 *
 * The input's first byte picks the context (topic archetype known or not,
 * mentioned by a notification or not); the rest is parsed as JSON and fed
 * in every shape the plugin meets: a posts.json page, a topic view, a
 * webhook delivery, a bare post. Beyond "does not crash", each event must
 * keep the promises emit() relies on: a known type and a visibility that
 * matches it, numeric native and thread ids, a URL under the base without
 * white space, text within FORUM_TEXT_MAX, an RFC 3339 created_at that
 * parses, an author with an id, and a post number that reads back from the
 * event. The raw input is also run through the HTML-to-text conversion,
 * whose output must be valid UTF-8 within its limit. A broken promise
 * aborts.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler) it gets a main
 * that runs the same checks over built-in seeds, every prefix of each
 * seed and single-byte changes of them, plus any files or directories
 * named on the command line: ctest runs that as a regression pass.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

#define BASE "https://forum.example.com"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* True when s (n bytes) is valid UTF-8 without NUL. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (c == 0 || len == 0 || i + len > n || (len == 2 && c < 0xC2) || c > 0xF4)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

static int digits(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 16)
        return 0;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int64_t lookup(void *arg, int64_t topic, int64_t number)
{
    (void)arg;
    /* Deterministic but arbitrary, so both branches run. */
    return (topic + number) % 3 == 0 ? topic * 10 + number : 0;
}

static void check_event(const json_t *ev, const forum_context *ctx)
{
    check(json_is_object(ev));
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *visibility = json_string_value(json_object_get(ev, "visibility"));
    check(type != NULL && visibility != NULL);
    if (strcmp(type, "message") == 0)
        check(strcmp(visibility, "private") == 0);
    else
        check((strcmp(type, "mention") == 0 || strcmp(type, "comment") == 0) &&
              strcmp(visibility, "public") == 0);
    if (ctx->archetype == FORUM_ARCHETYPE_PRIVATE)
        check(strcmp(type, "message") == 0);
    if (ctx->mentioned && ctx->archetype == FORUM_ARCHETYPE_REGULAR)
        check(strcmp(type, "mention") == 0);
    check(digits(json_string_value(json_object_get(ev, "native_id"))));
    check(digits(json_string_value(json_object_get(ev, "thread_id"))));
    const json_t *reply = json_object_get(ev, "in_reply_to");
    check(reply == NULL || digits(json_string_value(reply)));

    const char *url = json_string_value(json_object_get(ev, "url"));
    if (url != NULL) {
        check(strncmp(url, BASE "/t/", strlen(BASE "/t/")) == 0 && strlen(url) < 2048);
        for (const char *p = url; *p != '\0'; p++)
            check((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
    }
    const json_t *text = json_object_get(ev, "text");
    if (text != NULL) {
        check(json_is_string(text) && json_string_length(text) <= FORUM_TEXT_MAX);
        check(valid_utf8((const unsigned char *)json_string_value(text), json_string_length(text)));
    }
    const json_t *created = json_object_get(ev, "created_at");
    if (created != NULL) {
        int64_t ms;
        check(gw_sdk_time_parse(json_string_value(created), &ms) == 0);
    }
    const json_t *author = json_object_get(ev, "author");
    const char *author_id = json_string_value(json_object_get(author, "id"));
    check(author_id != NULL && author_id[0] != '\0');
    check(!forum_username_equal(json_string_value(json_object_get(author, "handle")), ctx->brand));

    const json_t *raw = json_object_get(ev, "raw");
    check(json_is_object(raw));
    const json_t *number = json_object_get(raw, "post_number");
    check(forum_event_post_number(ev) == (number != NULL ? json_integer_value(number) : 0));
    /* The URL alone gives the same number back. */
    json_t *bare = json_pack("{s:O}", "url", json_object_get(ev, "url"));
    if (bare != NULL && url != NULL)
        check(forum_event_post_number(bare) == (number != NULL ? json_integer_value(number) : 0));
    json_decref(bare);
    /* It serialises, as the store will. */
    char *dump = json_dumps(ev, JSON_COMPACT);
    check(dump != NULL);
    free(dump);
}

static void run_post(const forum_context *ctx, const json_t *post)
{
    json_t *ev = NULL;
    char why[128];
    why[0] = '\0';
    forum_verdict v = forum_normalise_post(ctx, post, &ev, why, sizeof why);
    check(v == FORUM_EVENT || v == FORUM_ECHO || v == FORUM_IGNORED || v == FORUM_INVALID);
    check(memchr(why, '\0', sizeof why) != NULL);
    if (v == FORUM_EVENT) {
        check(ev != NULL);
        check_event(ev, ctx);
        json_decref(ev);
    } else {
        check(ev == NULL && why[0] != '\0');
    }
}

static void run_posts(const forum_context *ctx, const json_t *posts)
{
    size_t i;
    const json_t *post;
    json_array_foreach(posts, i, post)
    {
        run_post(ctx, post);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    forum_context ctx = {
        .base = BASE,
        .brand = "acme_support",
        .archetype = data[0] % 3,
        .mentioned = (data[0] & 4) != 0,
        .topic_slug = (data[0] & 8) ? "a slug/with\tspaces" : NULL,
        .topic_title = (data[0] & 16) ? "Title" : NULL,
        .lookup = (data[0] & 32) ? lookup : NULL,
    };
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (doc != NULL) {
        run_post(&ctx, doc);
        run_post(&ctx, json_object_get(doc, "post"));
        run_posts(&ctx, json_object_get(doc, "latest_posts"));
        run_posts(&ctx, json_object_get(json_object_get(doc, "post_stream"), "posts"));
        if (json_is_array(doc))
            run_posts(&ctx, doc);
        json_decref(doc);
    }

    /* The raw bytes as cooked HTML, with a small limit so cuts happen. */
    size_t limit = (size_t)(data[0] & 0x3f) + 1;
    char *plain = forum_cooked_to_text(text, len, limit);
    check(plain != NULL);
    check(strlen(plain) <= limit && valid_utf8((const unsigned char *)plain, strlen(plain)));
    free(plain);
    char *clean = forum_text_clean(text, len, len + 16);
    check(clean != NULL && valid_utf8((const unsigned char *)clean, strlen(clean)));
    /* Mentions on a NUL-terminated copy: any answer, no crash. */
    (void)forum_text_mentions(clean, "acme_support");
    free(clean);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include <stdio.h>

#include "replay.h"

/* Seeds in the shapes Discourse sends; the first byte is the context. */
static const char *const seeds[] = {
    "\x00{\"latest_posts\":[{\"id\":9101,\"name\":\"Ann\",\"username\":\"ann\",\"user_id\":10,"
    "\"created_at\":\"2026-11-20T10:00:00.000Z\",\"raw\":\"@acme_support the export\","
    "\"cooked\":\"<p>@acme_support</p>\",\"post_number\":3,\"post_type\":1,\"topic_id\":412,"
    "\"topic_slug\":\"export-broken\",\"topic_title\":\"Export\",\"category_id\":4,"
    "\"reply_to_post_number\":null}]}",
    "\x21{\"post_stream\":{\"posts\":[{\"id\":9200,\"username\":\"bob\",\"cooked\":\"<p>a &amp; "
    "b<br>c &#x1F600; <a href=\\\"x\\\">@acme_support</a></p><!-- x -->\",\"post_number\":2,"
    "\"topic_id\":501,\"reply_to_post_number\":\"1\"}],\"stream\":[9199,9200]},"
    "\"archetype\":\"private_message\"}",
    "\x04{\"post\":{\"id\":9105,\"username\":\"ann\",\"raw\":\"hello\",\"post_number\":7,"
    "\"topic_id\":412,\"topic_archetype\":\"private_message\",\"created_at\":\"2026-11-20 "
    "10:05:00+02:00\"}}",
    "\x3a[{\"id\":\"9\",\"topic_id\":\"8\",\"username\":\"Acme_Support\"},{\"id\":1,\"topic_id\":2,"
    "\"username\":\"x\",\"post_type\":3},{\"id\":1,\"topic_id\":2,\"username\":\"x\","
    "\"deleted_at\":\"now\"},{\"id\":1.5},null,7,\"s\"]",
    "\x18{\"id\":1,\"topic_id\":2,\"username\":\"x\",\"topic_slug\":\"\\u00e9t\\u00e9 / ok\","
    "\"post_number\":9007199254740992,\"raw\":\"\\u0000\\ud83d\\ude00\"}",
    "\x3f<p>unterminated <a href=\"x>y\">tag &#99999999; &#xD800; &bogus; \xff\xfe</p",
};

int main(int argc, char **argv)
{
    int failures = 0, count = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        /* The first seed byte may be NUL: the length is the literal's. */
        size_t len = 1 + strlen(seeds[s] + 1);
        uint8_t *buf = malloc(len);
        if (!buf)
            abort();
        for (size_t n = 1; n <= len; n++, count++) /* every prefix */
            LLVMFuzzerTestOneInput((const uint8_t *)seeds[s], n);
        for (size_t i = 0; i < len; i++) { /* every byte, changed */
            static const uint8_t swaps[] = {0x00, '"', '{', ']', 0xff, '9'};
            for (size_t k = 0; k < sizeof swaps; k++, count++) {
                memcpy(buf, seeds[s], len);
                buf[i] = swaps[k];
                LLVMFuzzerTestOneInput(buf, len);
            }
        }
        free(buf);
    }
    for (int i = 1; i < argc; i++)
        failures += fuzz_replay_path(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return failures != 0;
}
#endif
