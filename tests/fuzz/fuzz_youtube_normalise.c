/* fuzz_youtube_normalise.c - libFuzzer target for the YouTube plugin's
 * normaliser (plugins/youtube/normalise.c): a commentThreads.list or
 * comments.list page as YouTube would send it -> events.
 *
 * The first byte picks the shape (bit 0: a page of threads or a page of
 * replies to thread "Ugz1"), whether the comments are held for review
 * (bit 1) and whether "raw" is kept (bit 2); the rest is the JSON. Beyond
 * "does not crash", every emitted event must be one the host accepts:
 * type comment, public, an id of YouTube's alphabet, thread_id and
 * in_reply_to consistent (a reply answers its thread), a youtube.com
 * link, a context naming the video, an author id, RFC 3339 created_at;
 * never the brand's own comment. The statistics must add up.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, linked with the core) it gets
 * a main that runs the same checks plus the host's pipeline_validate over
 * built-in seeds (each whole, every prefix, single-byte changes, every
 * mode) and over any files named on the command line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

#ifdef GW_FUZZ_REPLAY
#include "engine/pipeline.h"
#include "replay.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BRAND "UCbrand"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_event(const json_t *ev)
{
    static const char *const allowed[] = {"type",   "visibility", "native_id",  "thread_id",
                                          "in_reply_to", "url",   "author",     "text",
                                          "created_at",  "context", "raw",      NULL};
    check(json_is_object(ev));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ev, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL; i++)
            ok |= strcmp(key, allowed[i]) == 0;
        check(ok);
    }
    check(strcmp(json_string_value(json_object_get(ev, "type")), "comment") == 0);
    check(strcmp(json_string_value(json_object_get(ev, "visibility")), "public") == 0);
    const char *id = json_string_value(json_object_get(ev, "native_id"));
    const char *thread = json_string_value(json_object_get(ev, "thread_id"));
    const char *reply_to = json_string_value(json_object_get(ev, "in_reply_to"));
    check(yt_id_ok(id) && yt_id_ok(thread));
    check(reply_to == NULL ? strcmp(id, thread) == 0 : strcmp(reply_to, thread) == 0);
    const char *url = json_string_value(json_object_get(ev, "url"));
    const json_t *ctx = json_object_get(ev, "context");
    check((url == NULL) == (ctx == NULL));
    if (url != NULL) {
        check(strncmp(url, "https://www.youtube.com/watch?v=", 32) == 0);
        check(strpbrk(url, " \t\r\n\"") == NULL);
        check(strcmp(json_string_value(json_object_get(ctx, "kind")), "video") == 0);
        check(yt_id_ok(json_string_value(json_object_get(ctx, "id"))));
    }
    const json_t *author = json_object_get(ev, "author");
    if (author != NULL) {
        const char *aid = json_string_value(json_object_get(author, "id"));
        check(yt_id_ok(aid) && strcmp(aid, BRAND) != 0);
    }
    const char *created = json_string_value(json_object_get(ev, "created_at"));
    int64_t ms;
    check(created == NULL || gw_sdk_time_parse(created, &ms) == 0);
    check(json_is_string(json_object_get(ev, "text")));
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
    yt_brand brand = {.channel_id = BRAND, .include_raw = (mode & 4) != 0};
    const char *held = (mode & 2) ? "heldForReview" : NULL;
    yt_stats st = {0};
    size_t emitted = 0, items = 0;
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(doc, "items"), i, item)
    {
        items++;
        if (mode & 1) {
            check(yt_reply(&brand, item, "Ugz1", "vid1", held, emit, &emitted, &st) <= 0);
        } else {
            yt_thread_info info;
            int rc = yt_thread(&brand, item, held, emit, &emitted, &info, &st);
            check(rc == 0 || rc == GW_EINVAL);
            if (rc == 0) {
                check(yt_id_ok(info.id));
                check(info.video_id == NULL || yt_id_ok(info.video_id));
                items += info.embedded;
            }
        }
    }
    check(st.emitted == emitted);
    check(st.emitted + st.echoes + st.invalid <= items);
    check(!st.stopped);
    json_decref(doc);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
static const char *const SEEDS[] = {
    "\x00{\"items\":[{\"id\":\"Ugz1\",\"snippet\":{\"videoId\":\"dQw4w9WgXcQ\","
    "\"totalReplyCount\":3,\"topLevelComment\":{\"id\":\"Ugz1\",\"snippet\":{\"textOriginal\":"
    "\"broke\",\"authorDisplayName\":\"@ann\",\"authorChannelId\":{\"value\":\"UCann\"},"
    "\"publishedAt\":\"2026-11-20T10:00:00Z\"}}},\"replies\":{\"comments\":[{\"id\":\"Ugz1.a\","
    "\"snippet\":{\"parentId\":\"Ugz1\",\"textOriginal\":\"sorry\",\"authorChannelId\":"
    "{\"value\":\"UCbrand\"}}},{\"id\":\"Ugz1.b\",\"snippet\":{\"parentId\":\"Ugz1\","
    "\"textDisplay\":\"<b>x</b>\",\"authorDisplayName\":\"@\",\"authorChannelId\":{\"value\":"
    "\"UCbob\"},\"publishedAt\":\"2026-11-20T10:05:00.123+02:00\"}}]}},{\"id\":\"Ugz2\","
    "\"snippet\":{\"topLevelComment\":{\"id\":\"Ugz2\",\"snippet\":{\"authorChannelId\":"
    "{\"value\":\"UCbrand\"}}}}}]}",
    "\x03{\"items\":[{\"id\":\"Ugz1.c\",\"snippet\":{\"parentId\":\"Ugz1\",\"textOriginal\":"
    "\"more\",\"authorChannelId\":{\"value\":\"UCcy\"},\"publishedAt\":\"bad\"}},{\"id\":"
    "\"Ugz9.d\",\"snippet\":{\"parentId\":\"Ugz9\"}},{\"id\":\"a b\",\"snippet\":{}}]}",
    "\x04{\"items\":[{\"id\":\"Ugz3\",\"snippet\":{\"videoId\":\"bad video\",\"topLevelComment\":"
    "{\"id\":\"Ugz3\",\"snippet\":{\"videoId\":\"v2\",\"textOriginal\":\"hi\"}}}}]}",
    "\x00{\"items\":{}}",
    "\x01{\"items\":[null,1,\"x\",{\"id\":[]}]}",
};

static void run(const char *buf, size_t len)
{
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
}

int main(int argc, char **argv)
{
    static const unsigned char changes[] = {'"', '{', '}',  '[',  ']',  ',', ':',
                                            '0', 'a', 0x80, 0xff, '\\', ' ', '.'};
    size_t count = 0;
    int failures = 0;
    for (size_t s = 0; s < sizeof SEEDS / sizeof SEEDS[0]; s++) {
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
        for (int mode = 0; mode < 8; mode++, count++) {
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
