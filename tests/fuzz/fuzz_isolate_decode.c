/* fuzz_isolate_decode.c - libFuzzer target for the plugin host's frame
 * decoder (core/isolate/wire.c), the one parser that reads what an
 * isolated, possibly hostile, plugin process writes.
 *
 * Beyond "does not crash", every input checks the promises the reader
 * relies on: the input is read as a stream of frames exactly as the core
 * reads its socket; a decoded frame lies inside the input, its blob lies
 * inside the frame, its JSON is an object, and encoding it again gives
 * the same frame back; GW_EBUSY consumes nothing; any other error fills
 * the message and leaves nothing allocated. A broken promise aborts.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler) it gets a main
 * that runs the same checks over built-in seeds (one frame of each shape
 * the protocol uses, and all of them in one stream), every prefix and
 * single-byte changes of them, plus files or directories named on the
 * command line; `--write-seeds DIR` writes the seeds as a libFuzzer
 * corpus (tests/fuzz/corpus/fuzz_isolate_decode/ was made so).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "isolate/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_reencodes(const isolate_msg *m, const uint8_t *frame, size_t frame_len)
{
    isolate_buf b = {0};
    int rc = isolate_encode(&b, m->type, m->id, m->json, m->blob, m->blob_len);
    /* Compact JSON can be longer than what arrived ("1E2" is 100.0), so
     * a frame near the limit may not fit again; nothing else may fail. */
    if (rc == GW_ERANGE)
        return;
    check(rc == 0);
    isolate_msg again;
    size_t used;
    check(isolate_decode(b.data, b.len, &again, &used, NULL, 0) == 0);
    check(used == b.len && again.type == m->type && again.id == m->id);
    check(again.blob_len == m->blob_len);
    check(m->blob_len == 0 || memcmp(again.blob, m->blob, m->blob_len) == 0);
    check((again.json == NULL) == (m->json == NULL));
    check(m->json == NULL || json_equal(again.json, m->json));
    /* Without JSON the encoding is canonical: byte for byte the input. */
    if (m->json == NULL)
        check(b.len == frame_len && memcmp(b.data, frame, frame_len) == 0);
    isolate_msg_clear(&again);
    isolate_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        isolate_msg m;
        size_t used = 1;
        char err[128] = "";
        int rc = isolate_decode(data + off, size - off, &m, &used, err, sizeof(err));
        if (rc == GW_EBUSY) {
            check(used == 0 && m.json == NULL);
            break;
        }
        if (rc != 0) {
            check(rc == GW_ERANGE || rc == GW_EINVAL || rc == GW_EPARSE);
            check(used == 0 && m.json == NULL && err[0] != '\0');
            break;
        }
        check(used >= ISOLATE_HEADER_LEN + ISOLATE_FIXED_LEN && used <= size - off);
        check(isolate_type_name((int)m.type) != NULL);
        check(m.json == NULL || json_is_object(m.json));
        check((m.blob == NULL) == (m.blob_len == 0));
        check(m.blob == NULL ||
              (m.blob >= data + off && m.blob + m.blob_len == data + off + used));
        check_reencodes(&m, data + off, used);
        isolate_msg_clear(&m);
        off += used;
    }
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include <stdio.h>

#include "replay.h"

/* One frame of each shape the protocol uses: type, id, JSON, blob. */
static const struct {
    isolate_type type;
    uint64_t id;
    const char *json;
    const char *blob;
} seeds[] = {
    {ISOLATE_T_INIT, 0, "{\"account\":\"acme\",\"config\":{\"token\":\"x\",\"n\":5}}", NULL},
    {ISOLATE_T_FETCH, 17, NULL, NULL},
    {ISOLATE_T_WEBHOOK, 18,
     "{\"method\":\"POST\",\"query\":\"a=1\",\"headers\":[[\"x-sig\",\"sha256=ab\"]]}",
     "{\"entry\":[1,2]}"},
    {ISOLATE_T_POST_PUBLIC, 19, "{\"action_id\":\"a1\",\"text\":\"hi \\u00e9\",\"in_reply_to\":null}",
     NULL},
    {ISOLATE_T_HTTP_RESPONSE, 3,
     "{\"status\":200,\"headers\":[[\"content-type\",\"application/json\"]],\"not_sent\":0}",
     "{\"data\":[]}"},
    {ISOLATE_T_KV_VALUE, 4, "{\"rc\":0,\"value\":\"cursor-9\"}", NULL},
    {ISOLATE_T_PING, 0xffffffffffffffffull, NULL, NULL},
    {ISOLATE_T_EMIT, 0, "{\"type\":\"message\",\"native_id\":\"n1\",\"visibility\":\"public\"}", NULL},
    {ISOLATE_T_KV_SET, 5, "{\"key\":\"cursor\",\"value\":\"c-10\"}", NULL},
    {ISOLATE_T_COMPLETE, 19, "{\"outcome\":0,\"delay_ms\":0,\"result\":{\"native_id\":\"p\"}}",
     NULL},
    {ISOLATE_T_HTTP_REQUEST, 6,
     "{\"method\":\"GET\",\"url\":\"https://api.example.com/x\",\"rate_class\":\"search\"}",
     NULL},
    {ISOLATE_T_LOG, 0, "{\"level\":2,\"message\":\"ok\"}", NULL},
};
#define SEED_COUNT (sizeof seeds / sizeof seeds[0])

/* Encodes seed s (or, with s == SEED_COUNT, every seed in one stream). */
static void seed_frame(size_t s, isolate_buf *out)
{
    for (size_t i = 0; i < SEED_COUNT; i++) {
        if (s != SEED_COUNT && i != s)
            continue;
        json_t *j = seeds[i].json ? json_loads(seeds[i].json, 0, NULL) : NULL;
        const char *blob = seeds[i].blob;
        check(seeds[i].json == NULL || j != NULL);
        check(isolate_encode(out, seeds[i].type, seeds[i].id, j, blob,
                             blob ? strlen(blob) : 0) == 0);
        json_decref(j);
    }
}

static int write_seeds(const char *dir)
{
    for (size_t s = 0; s <= SEED_COUNT; s++) {
        isolate_buf b = {0};
        seed_frame(s, &b);
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%02zu.bin", dir, s);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        isolate_buf_free(&b);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    int failures = 0, count = 0;
    for (size_t s = 0; s <= SEED_COUNT; s++) {
        isolate_buf b = {0};
        seed_frame(s, &b);
        uint8_t *buf = malloc(b.len);
        check(buf != NULL);
        for (size_t n = 0; n <= b.len; n++, count++) /* every prefix */
            LLVMFuzzerTestOneInput(b.data, n);
        for (size_t i = 0; i < b.len; i++) { /* every byte, changed */
            static const uint8_t swaps[] = {0x00, 0x01, 0x7f, 0xff, '"', '}'};
            for (size_t k = 0; k < sizeof swaps; k++, count++) {
                memcpy(buf, b.data, b.len);
                buf[i] = swaps[k];
                LLVMFuzzerTestOneInput(buf, b.len);
            }
        }
        free(buf);
        isolate_buf_free(&b);
    }
    for (int i = 1; i < argc; i++)
        failures += fuzz_replay_path(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return failures != 0;
}
#endif
