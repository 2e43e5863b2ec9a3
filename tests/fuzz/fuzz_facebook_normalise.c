/* fuzz_facebook_normalise.c - libFuzzer target for the facebook plugin's
 * normaliser and webhook parser (plugins/facebook/normalise.c): Graph
 * JSON and Page webhook payloads in, gateway.event/1 items out.
 *
 * The input's first byte picks the shape (feed or tagged page, comments
 * page, conversations page, webhook delivery) and whether raw is kept;
 * the rest is parsed as JSON. Beyond "does not crash", each event must
 * keep the promises emit() relies on: a known type with a matching
 * visibility, an id-shaped native_id, a URL without white space, a
 * created_at that parses, an author with an id, item.* events with
 * detail.item_id, and nothing written by the Page itself. In the replay
 * build the host's own pipeline_validate must accept every event too.
 *
 * Built with -DGW_FUZZ_REPLAY it gets a main that runs the same checks
 * over built-in seeds (each whole, every prefix, single-byte changes,
 * every mode) plus files named on the command line; ctest runs that.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

#ifdef GW_FUZZ_REPLAY
#include "engine/pipeline.h"
#include "replay.h"
#endif

#define PAGE "1000"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int check_event(void *arg, json_t *ev)
{
    (void)arg;
    check(json_is_object(ev));
    const char *type = gw_sdk_json_string(ev, "type", "");
    const char *vis = gw_sdk_json_string(ev, "visibility", "");
    const char *native = gw_sdk_json_string(ev, "native_id", NULL);
    check(native != NULL && native[0] != '\0' && strlen(native) < 256);
    bool item_event = strcmp(type, "item.edited") == 0 || strcmp(type, "item.removed") == 0;
    check(strcmp(type, "mention") == 0 || strcmp(type, "comment") == 0 ||
          strcmp(type, "message") == 0 || item_event);
    check(strcmp(vis, strcmp(type, "message") == 0 ? "private" : "public") == 0);
    if (item_event)
        check(json_is_string(json_object_get(json_object_get(ev, "detail"), "item_id")));
    else
        check(json_object_get(ev, "detail") == NULL);
    const char *url = gw_sdk_json_string(ev, "url", NULL);
    if (url != NULL)
        check(strncmp(url, "http", 4) == 0 && strpbrk(url, " \t\r\n") == NULL);
    int64_t ms;
    const char *created = gw_sdk_json_string(ev, "created_at", NULL);
    if (created != NULL)
        check(gw_sdk_time_parse(created, &ms) == 0);
    const json_t *author = json_object_get(ev, "author");
    if (author != NULL) {
        const char *id = gw_sdk_json_string(author, "id", NULL);
        check(id != NULL && id[0] != '\0');
        if (!item_event)
            check(strcmp(id, PAGE) != 0); /* the Page's own items are echoes */
    }
#ifdef GW_FUZZ_REPLAY
    char err[256];
    check(pipeline_validate(ev, err, sizeof err) == 0);
#endif
    json_decref(ev);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    json_t *doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    fb_brand b = {.page_id = PAGE, .include_raw = (mode & 0x10) != 0};
    fb_stats st;
    switch (mode & 0x7) {
    case 0:
        fb_page_posts(&b, doc, false, 0, check_event, NULL, &st);
        break;
    case 1:
        fb_page_posts(&b, doc, true, 1763632000000, check_event, NULL, &st);
        break;
    case 2:
        fb_page_comments(&b, doc, "1000_1", check_event, NULL, &st);
        break;
    case 3:
        fb_page_conversations(&b, doc, (mode & 0x20) ? 1763632000000 : 0, check_event, NULL,
                              &st);
        break;
    default:
        fb_webhook_payload(&b, doc, check_event, NULL, &st);
        break;
    }
    check(st.emitted <= st.items);
    json_decref(doc);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
static const char *const SEEDS[] = {
    "\x00{\"data\":[{\"id\":\"1000_2\",\"message\":\"late again\",\"from\":{\"id\":\"789\","
    "\"name\":\"Ann\"},\"created_time\":\"2026-11-20T10:00:00+0000\",\"permalink_url\":"
    "\"https://www.facebook.com/1000_2\"},{\"id\":\"1000_1\",\"from\":{\"id\":\"1000\"}},"
    "{\"id\":\"bad id\"},{\"id\":\"1000_3\",\"from\":{\"id\":7},\"created_time\":\"x\"}],"
    "\"paging\":{\"cursors\":{\"before\":\"QVFI\",\"after\":\"QVFJ\"},\"next\":\"n\"}}",
    "\x12{\"data\":[{\"id\":\"1_10\",\"message\":\"ice?\",\"from\":{\"id\":\"201\"},"
    "\"created_time\":\"2026-11-20T10:00:00+0000\",\"parent\":{\"id\":\"1_9\"},\"attachment\":"
    "{\"type\":\"photo\"}},{\"id\":\"1_11\",\"from\":{\"id\":\"1000\"}},{\"id\":\"1_12\","
    "\"permalink_url\":\"https://x y\",\"parent\":{\"id\":5}}]}",
    "\x33{\"data\":[{\"id\":\"t_1\",\"updated_time\":\"2026-11-20T10:00:00+0000\",\"messages\":"
    "{\"data\":[{\"id\":\"m_2\",\"message\":\"ok\",\"from\":{\"id\":\"1000\"}},{\"id\":\"m_1\","
    "\"message\":\"refund?\",\"from\":{\"id\":\"301\",\"name\":\"Cat\"},\"created_time\":"
    "\"2026-11-20T09:00:00+0000\"}]}},{\"id\":\"t_0\",\"updated_time\":\"2020-01-01T00:00:00+0000\"}]}",
    "\x04{\"object\":\"page\",\"entry\":[{\"id\":\"1000\",\"time\":1763632800,\"changes\":[{\"field\":"
    "\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\",\"comment_id\":\"1_5\",\"post_id\":"
    "\"1000_1\",\"parent_id\":\"1000_1\",\"message\":\"where is my refund?\",\"from\":{\"id\":"
    "\"201\",\"name\":\"Ann\"},\"created_time\":1763632799}},{\"field\":\"feed\",\"value\":{"
    "\"item\":\"comment\",\"verb\":\"edited\",\"comment_id\":\"1_5\",\"post_id\":\"1000_1\","
    "\"message\":\"x\",\"from\":{\"id\":\"201\"}}},{\"field\":\"feed\",\"value\":{\"item\":"
    "\"status\",\"verb\":\"remove\",\"post_id\":\"1000_9\",\"from\":{\"id\":\"1000\"}}},{\"field\":"
    "\"feed\",\"value\":{\"item\":\"reaction\",\"verb\":\"add\"}},{\"field\":\"ratings\"}],"
    "\"messaging\":[{\"sender\":{\"id\":\"301\"},\"recipient\":{\"id\":\"1000\"},\"timestamp\":"
    "1763632799000,\"message\":{\"mid\":\"m_abc\",\"text\":\"hello\"}},{\"sender\":{\"id\":"
    "\"1000\"},\"message\":{\"mid\":\"m_e\",\"is_echo\":true}},{\"read\":{}}]},{\"id\":\"2000\"}]}",
    "\x05{\"object\":\"user\",\"entry\":[]}",
    "\x00[]",
};

int main(int argc, char **argv)
{
    static const unsigned char changes[] = {'"', '{', '}', '[', ']', ',', ':', '0', 'a', 0x80,
                                            0xff, '\\', ' ', '+'};
    size_t count = 0;
    int failures = 0;
    for (size_t s = 0; s < sizeof SEEDS / sizeof SEEDS[0]; s++) {
        size_t len = 1 + strlen(SEEDS[s] + 1);
        char *buf = malloc(len);
        if (buf == NULL)
            abort();
        memcpy(buf, SEEDS[s], len);
        for (size_t n = 0; n <= len; n++, count++)
            LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
        for (size_t i = 1; i < len; i++) {
            char saved = buf[i];
            for (size_t c = 0; c < sizeof changes; c++, count++) {
                buf[i] = (char)changes[c];
                LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
            }
            buf[i] = saved;
        }
        for (int mode = 0; mode < 64; mode++, count++) {
            buf[0] = (char)mode;
            LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
        }
        free(buf);
    }
    for (int i = 1; i < argc; i++, count++)
        failures += fuzz_replay_file(argv[i]);
    printf("replayed %zu inputs\n", count);
    return failures != 0;
}
#endif
