/* fuzz_twitter_normalise.c - libFuzzer target for the X plugin's
 * normaliser (plugins/twitter/normalise.c): network JSON -> events.
 *
 * The first byte picks the shape and the brand's view of it (mentions or
 * search page, DM page with or without a known newest id, webhook
 * delivery); the rest is the JSON X would send. Beyond "does not crash",
 * every emitted event must be one the host accepts: only gateway.event/1
 * members, type mention (public) or message (private), a numeric native
 * id, RFC 3339 created_at, an x.com https link, an author with a numeric
 * id and well-typed details, tags whose keywords are configured terms.
 * The page statistics must add up. A broken promise aborts.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler, linked with the
 * core) it gets a main that runs the same checks, plus the host's own
 * pipeline_validate, over built-in seeds (each whole, every prefix, and
 * every single-byte change to a few values) and over any files named on
 * the command line, so ordinary ctest runs exercise it.
 * `fuzz_twitter_normalise_replay --write-seeds DIR` writes those seeds as
 * files: a libFuzzer corpus to start from, with -dict=tests/fuzz/twitter.dict
 * (from an empty corpus libFuzzer rarely builds X-shaped JSON).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

#ifdef GW_FUZZ_REPLAY
#include "engine/pipeline.h"
#include "replay.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TERMS[] = {"acme", "acme blender", "#acmefail"};

static void check(int ok)
{
    if (!ok)
        abort();
}

static int is_digits(const char *s, size_t max)
{
    size_t n = s != NULL ? strspn(s, "0123456789") : 0;
    return n > 0 && n <= max && s[n] == '\0';
}

static void check_author(const json_t *author)
{
    check(json_is_object(author));
    check(is_digits(json_string_value(json_object_get(author, "id")), 19));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)author, key, v)
    {
        if (strcmp(key, "id") == 0 || strcmp(key, "handle") == 0 || strcmp(key, "name") == 0)
            check(json_is_string(v));
        else if (strcmp(key, "followers") == 0)
            check(json_is_integer(v) && json_integer_value(v) >= 0);
        else if (strcmp(key, "verified") == 0)
            check(json_is_boolean(v));
        else
            check(0);
    }
}

static void check_tags(const json_t *tags)
{
    check(json_is_object(tags) && json_object_size(tags) == 2);
    check(json_is_boolean(json_object_get(tags, "mentioned")));
    const json_t *keywords = json_object_get(tags, "keywords");
    check(json_is_array(keywords));
    size_t i;
    const json_t *k;
    json_array_foreach(keywords, i, k)
    {
        int known = 0;
        for (size_t t = 0; t < sizeof TERMS / sizeof TERMS[0]; t++)
            known |= json_is_string(k) && strcmp(json_string_value(k), TERMS[t]) == 0;
        check(known);
    }
}

static void check_event(const json_t *ev)
{
    static const char *const allowed[] = {
        "type", "visibility", "native_id",  "thread_id", "in_reply_to", "url", "author",
        "text", "lang",       "created_at", "tags",      "raw",         NULL};
    check(json_is_object(ev));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ev, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL; i++)
            ok |= strcmp(key, allowed[i]) == 0;
        check(ok);
        if (strcmp(key, "author") != 0 && strcmp(key, "tags") != 0 && strcmp(key, "raw") != 0)
            check(json_is_string(v));
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *vis = json_string_value(json_object_get(ev, "visibility"));
    check(type != NULL && vis != NULL);
    check((strcmp(type, "mention") == 0 && strcmp(vis, "public") == 0) ||
          (strcmp(type, "message") == 0 && strcmp(vis, "private") == 0));
    check(is_digits(json_string_value(json_object_get(ev, "native_id")), 19));
    const char *reply_to = json_string_value(json_object_get(ev, "in_reply_to"));
    check(reply_to == NULL || is_digits(reply_to, 19));
    const char *url = json_string_value(json_object_get(ev, "url"));
    check(url == NULL ||
          (strncmp(url, "https://x.com/", 14) == 0 && strpbrk(url, " \t\r\n") == NULL));
    const char *created = json_string_value(json_object_get(ev, "created_at"));
    int64_t ms;
    check(created == NULL || gw_sdk_time_parse(created, &ms) == 0);
    const json_t *author = json_object_get(ev, "author");
    if (author != NULL)
        check_author(author);
    check_tags(json_object_get(ev, "tags"));
#ifdef GW_FUZZ_REPLAY
    char err[256];
    check(pipeline_validate(ev, err, sizeof err) == 0);
#endif
}

static int emit(void *arg, json_t *event)
{
    size_t *count = arg;
    check_event(event);
    json_decref(event);
    (*count)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    json_t *doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    if (doc == NULL)
        return 0;
    tw_brand brand = {.user_id = "100",
                      .handle = (mode & 8) ? NULL : "acme",
                      .terms = TERMS,
                      .term_count = (mode & 16) ? 0 : sizeof TERMS / sizeof TERMS[0],
                      .include_raw = (mode & 32) != 0};
    tw_page_stats st;
    size_t emitted = 0;
    int rc;
    switch (mode % 4) {
    case 0:
        rc = tw_page_tweets(&brand, doc, true, emit, &emitted, &st);
        break;
    case 1:
        rc = tw_page_tweets(&brand, doc, false, emit, &emitted, &st);
        break;
    case 2:
        rc = tw_page_dms(&brand, doc, (mode & 64) ? UINT64_C(1860000000000000010) : 0, emit,
                         &emitted, &st);
        break;
    default:
        rc = tw_webhook_payload(&brand, doc, emit, &emitted, &st);
        break;
    }
    check(rc == 0 || (rc == GW_EINVAL && !json_is_object(doc)));
    check(st.emitted == emitted);
    check(st.emitted + st.echoes + st.skipped + st.invalid <= st.items);
    check(!st.stopped);
    json_decref(doc);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
/* Seeds: each starts with the mode byte (see LLVMFuzzerTestOneInput). */
static const char *const SEEDS[] = {
    "\x00{\"data\":[{\"id\":\"1860000000000000002\",\"text\":\"@ann @acme same\","
    "\"author_id\":\"300\",\"conversation_id\":\"1860000000000000001\",\"lang\":\"en\","
    "\"created_at\":\"2026-11-20T10:05:00Z\",\"referenced_tweets\":[{\"type\":\"replied_to\","
    "\"id\":\"1860000000000000001\"}],\"entities\":{\"mentions\":[{\"username\":\"acme\"}]}},"
    "{\"id\":\"1860000000000000001\",\"text\":\"acme blender #acmefail\",\"author_id\":\"200\","
    "\"note_tweet\":{\"text\":\"long acme\"}},{\"id\":\"3\",\"author_id\":\"100\"},"
    "{\"id\":\"4\",\"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"1\"}]}],"
    "\"includes\":{\"users\":[{\"id\":\"200\",\"name\":\"Ann\",\"username\":\"ann\","
    "\"verified\":true,\"public_metrics\":{\"followers_count\":12}},{\"id\":\"300\","
    "\"username\":\"b o b\"}]},\"meta\":{\"newest_id\":\"1860000000000000002\","
    "\"next_token\":\"x\"}}",
    "\x21{\"data\":[{\"id\":\"7\",\"text\":\"acme\",\"lang\":\"pt-BR\",\"created_at\":\"bad\"}]}",
    "\x02{\"data\":[{\"id\":\"1860000000000000030\",\"event_type\":\"MessageCreate\","
    "\"text\":\"on it\",\"sender_id\":\"100\",\"dm_conversation_id\":\"100-200\"},"
    "{\"id\":\"1860000000000000020\",\"event_type\":\"ParticipantsJoin\"},"
    "{\"id\":\"1860000000000000010\",\"event_type\":\"MessageCreate\",\"text\":\"acme?\","
    "\"sender_id\":\"200\",\"dm_conversation_id\":\"100-200\",\"created_at\":"
    "\"2026-11-20T11:00:00.000Z\"}],\"includes\":{\"users\":[{\"id\":\"200\",\"name\":\"Ann\","
    "\"username\":\"ann\"}]}}",
    "\x42{\"data\":[{\"id\":\"1860000000000000030\",\"text\":\"x\",\"sender_id\":\"200\"},"
    "{\"id\":\"1860000000000000001\",\"text\":\"y\",\"sender_id\":\"200\"}]}",
    "\x03{\"for_user_id\":\"100\",\"tweet_create_events\":[{\"created_at\":"
    "\"Wed Oct 10 20:19:24 +0000 2018\",\"id_str\":\"1050118621198921728\",\"text\":\"@acme\","
    "\"extended_tweet\":{\"full_text\":\"@acme long\",\"entities\":{\"user_mentions\":"
    "[{\"id_str\":\"100\"}]}},\"in_reply_to_status_id_str\":\"1\",\"user\":{\"id_str\":\"200\","
    "\"screen_name\":\"ann\",\"followers_count\":-5,\"verified\":1}},{\"id_str\":\"2\","
    "\"retweeted_status\":{}},{\"id_str\":\"3\",\"user\":{\"id_str\":\"100\"}}],"
    "\"direct_message_events\":[{\"type\":\"message_create\",\"id\":\"1050118621198921740\","
    "\"created_timestamp\":\"1539203964469\",\"message_create\":{\"target\":{\"recipient_id\":"
    "\"100\"},\"sender_id\":\"3000\",\"message_data\":{\"text\":\"hi acme\"}}},{\"type\":"
    "\"typing\",\"id\":\"9\"}],\"users\":{\"3000\":{\"screen_name\":\"cy\",\"verified\":true}}}",
    "\x1b{\"for_user_id\":\"999\",\"tweet_create_events\":[{\"id_str\":\"5\"}]}",
    "\x00[]",
    "\x03{\"tweet_create_events\":{},\"direct_message_events\":[null,1,{\"id\":\"x\"}]}",
};

static void run(const char *buf, size_t len)
{
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
}

static int write_seeds(const char *dir)
{
    for (size_t s = 0; s < sizeof SEEDS / sizeof SEEDS[0]; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%zu", dir, s);
        FILE *f = fopen(path, "wb");
        if (f == NULL) {
            perror(path);
            return 1;
        }
        fwrite(SEEDS[s], 1, 1 + strlen(SEEDS[s] + 1), f);
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    static const unsigned char changes[] = {'"', '{', '}',  '[',  ']',  ',', ':',
                                            '0', 'a', 0x80, 0xff, '\\', ' '};
    size_t count = 0;
    int failures = 0;
    for (size_t s = 0; s < sizeof SEEDS / sizeof SEEDS[0]; s++) {
        /* The mode byte may be NUL, so lengths come from the literal. */
        size_t len = 1 + strlen(SEEDS[s] + 1);
        char *buf = malloc(len);
        if (buf == NULL)
            abort();
        memcpy(buf, SEEDS[s], len);
        for (size_t n = 0; n <= len; n++, count++)
            run(buf, n);
        for (size_t i = 1; i < len; i++) {
            char saved = buf[i];
            for (size_t c = 0; c < sizeof changes; c++, count++) {
                buf[i] = (char)changes[c];
                run(buf, len);
            }
            buf[i] = saved;
        }
        /* Every mode over the same JSON. */
        for (int mode = 0; mode < 128; mode++, count++) {
            buf[0] = (char)mode;
            run(buf, len);
        }
        free(buf);
    }
    for (int i = 1; i < argc; i++, count++)
        failures += fuzz_replay_file(argv[i]);
    printf("replayed %zu inputs\n", count);
    return failures != 0;
}
#endif
