/* fuzz_yelp_normalise.c - libFuzzer target for the Yelp plugin's pure part
 * (plugins/yelp/normalise.c, the yelp_pure library): the reviews answer,
 * a lead's events, a webhook delivery's updates, the Pacific-time reader
 * and the emoji finder, on input as Yelp (or anyone reaching the webhook
 * URL) could send it.
 *
 * The first byte picks the reader (low 3 bits: 0 reviews page, 1 lead
 * events, 2 webhook updates, 3 Pacific time, 4 emoji; 5-7 run all of
 * them); the rest is the JSON document or, for the text readers, the
 * text. Beyond "does not crash", every emitted event must be one the host
 * accepts: a public review with an id, a rating in 1..5, an RFC 3339
 * created_at, a yelp.com https URL without spaces, the low_rating tag
 * exactly for one or two stars, the business as context; a private lead
 * message on its lead's thread with text. Updates stay inside their
 * bounds; a parsed Pacific time lies 7 or 8 hours after the same wall
 * clock read as UTC; an emoji is found at a position inside the text.
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

#include "yelp.h"

#ifdef GW_FUZZ_REPLAY
#include "engine/pipeline.h"
#include "replay.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIZ "acme-sf"
#define LEAD "L1"

static void check(int ok)
{
    if (!ok)
        abort();
}

static int id_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) < YELP_ID_MAX;
}

static void check_common(const json_t *ev)
{
    check(json_is_object(ev));
    check(id_ok(json_string_value(json_object_get(ev, "native_id"))));
    check(id_ok(json_string_value(json_object_get(ev, "thread_id"))));
    check(json_is_string(json_object_get(json_object_get(ev, "author"), "id")));
    const char *created = json_string_value(json_object_get(ev, "created_at"));
    int64_t ms;
    check(created == NULL || gw_sdk_time_parse(created, &ms) == 0);
#ifdef GW_FUZZ_REPLAY
    char err[256];
    check(pipeline_validate(ev, err, sizeof err) == 0);
#endif
}

static void check_review(const json_t *ev)
{
    check_common(ev);
    check(strcmp(json_string_value(json_object_get(ev, "type")), "review") == 0);
    check(strcmp(json_string_value(json_object_get(ev, "visibility")), "public") == 0);
    check(strcmp(json_string_value(json_object_get(ev, "native_id")),
                 json_string_value(json_object_get(ev, "thread_id"))) == 0);
    double rating = json_number_value(json_object_get(ev, "rating"));
    check(rating >= 1 && rating <= 5);
    const json_t *low = json_object_get(json_object_get(ev, "tags"), "low_rating");
    check(rating <= 2 ? json_is_true(low) : low == NULL);
    check(json_string_value(json_object_get(ev, "created_at")) != NULL);
    const char *url = json_string_value(json_object_get(ev, "url"));
    check(url != NULL && strncmp(url, "https://", 8) == 0);
    const json_t *ctx = json_object_get(ev, "context");
    check(strcmp(json_string_value(json_object_get(ctx, "id")), BIZ) == 0);
}

static int emit_review(void *arg, json_t *event)
{
    size_t *count = arg;
    check_review(event);
    json_decref(event);
    (*count)++;
    return 0;
}

static void run_reviews(const json_t *doc)
{
    size_t emitted = 0;
    int rc = yelp_reviews_page(BIZ, doc, emit_review, &emitted);
    const json_t *reviews = json_object_get(doc, "reviews");
    if (!json_is_array(reviews)) {
        check(rc == GW_EPARSE && emitted == 0);
        return;
    }
    check(rc >= 0 && (size_t)rc == emitted && emitted <= json_array_size(reviews));
}

static void run_lead(const json_t *doc)
{
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(doc, "events"), i, item)
    {
        json_t *ev = yelp_lead_event(LEAD, item);
        if (ev == NULL)
            continue;
        check_common(ev);
        check(strcmp(json_string_value(json_object_get(ev, "type")), "message") == 0);
        check(strcmp(json_string_value(json_object_get(ev, "visibility")), "private") == 0);
        check(strcmp(json_string_value(json_object_get(ev, "thread_id")), LEAD) == 0);
        const char *text = json_string_value(json_object_get(ev, "text"));
        check(text != NULL && text[0] != '\0');
        /* Only the consumer's words come in, never the business's own. */
        check(strcmp(json_string_value(json_object_get(item, "user_type")), "CONSUMER") == 0);
        json_decref(ev);
    }
}

static void run_updates(const json_t *doc)
{
    yelp_update out[4];
    memset(out, 0xAB, sizeof out);
    int n = yelp_webhook_updates(doc, BIZ, out, 3);
    check(n == GW_EPARSE || (n >= 0 && n <= 3));
    check(out[3].id[0] == (char)0xAB); /* never past max */
    for (int i = 0; i < n; i++) {
        check(id_ok(out[i].id));
        check(memchr(out[i].user_id, '\0', sizeof out[i].user_id) != NULL);
        check(out[i].rating == 0 || (out[i].rating >= 1 && out[i].rating <= 5));
        check(out[i].review || out[i].user_id[0] == '\0');
    }
}

static void run_time(const char *text)
{
    int64_t ms;
    if (yelp_pacific_parse(text, &ms) != 0)
        return;
    /* The same wall clock read as UTC, through the SDK's RFC 3339 reader. */
    char iso[32];
    snprintf(iso, sizeof iso, "%.10sT%.8sZ", text, text + 11);
    int64_t utc;
    check(gw_sdk_time_parse(iso, &utc) == 0);
    check(ms - utc == 7 * 3600000LL || ms - utc == 8 * 3600000LL);
}

static void run_emoji(const char *text)
{
    uint32_t cp = 0;
    size_t pos = 0;
    if (yelp_first_emoji(text, &cp, &pos) == 1)
        check(pos >= 1 && pos <= strlen(text) && cp != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 7;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (mode == 3 || mode >= 5)
        run_time(text);
    if (mode == 4 || mode >= 5)
        run_emoji(text);
    json_t *doc = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    if (doc != NULL) {
        if (mode == 0 || mode >= 5)
            run_reviews(doc);
        if (mode == 1 || mode >= 5)
            run_lead(doc);
        if (mode == 2 || mode >= 5)
            run_updates(doc);
        json_decref(doc);
    }
    free(text);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
static const char *const SEEDS[] = {
    "\x00{\"reviews\":[{\"id\":\"r1\",\"url\":\"https://www.yelp.com/biz/acme-sf?hrid=r1\","
    "\"text\":\"Great tacos\",\"rating\":5,\"time_created\":\"2026-01-15 10:00:00\",\"user\":"
    "{\"id\":\"u1\",\"name\":\"Ella A.\"}},{\"id\":\"r2\",\"rating\":2,\"time_created\":"
    "\"2026-07-01 10:00:00\",\"user\":{\"id\":\"\"},\"url\":\"http://x y\"},{\"id\":\"r3\","
    "\"rating\":0,\"time_created\":\"2026-03-08 02:30:00\"},{\"id\":\"r4\",\"rating\":1.5,"
    "\"time_created\":\"2024-02-29 23:59:59\",\"text\":null},{\"id\":\"r5\",\"rating\":3,"
    "\"time_created\":\"2026-11-01 01:30:00\",\"url\":\"https://www.yelp.com/biz/acme-sf\"}]}",
    "\x01{\"events\":[{\"id\":\"e1\",\"user_type\":\"CONSUMER\",\"user_display_name\":\"Dee\","
    "\"time_created\":\"2026-11-20T02:33:21+00:00\",\"event_content\":{\"text\":\"Quote?\"}},"
    "{\"id\":\"e2\",\"user_type\":\"BIZ\",\"event_content\":{\"text\":\"Sure\"}},{\"id\":\"e3\","
    "\"user_type\":\"CONSUMER\",\"event_content\":{\"text\":\"\",\"fallback_text\":\"fb\"}},"
    "{\"id\":\"e4\",\"user_type\":\"CONSUMER\",\"time_created\":\"bad\",\"event_content\":"
    "{\"text\":\"x\"}}]}",
    "\x02{\"time\":\"2026-11-20T02:33:21+00:00\",\"object\":\"business\",\"data\":{\"id\":"
    "\"acme-sf\",\"updates\":[{\"event_type\":\"NEW_REVIEW_EVENT\",\"review_id\":\"r3\","
    "\"rating\":1,\"user_id\":\"u3\"},{\"event_type\":\"NEW_EVENT\",\"lead_id\":\"L7\","
    "\"user_id\":\"u4\"},{\"event_type\":\"NEW_REVIEW_EVENT\",\"review_id\":\"r4\",\"rating\":9},"
    "{\"event_type\":\"NEW_REVIEW_EVENT\",\"review_id\":\"r5\"},{\"event_type\":\"OTHER\"}]}}",
    "\x02{\"data\":{\"id\":\"other-biz\",\"updates\":[{\"event_type\":\"NEW_EVENT\","
    "\"lead_id\":\"L1\"}]}}",
    "\x03" "2026-11-01 01:30:00",
    "\x03" "2026-03-08 03:00:00",
    "\x03" "1970-01-01 00:00:00",
    "\x04" "Thanks \xF0\x9F\x98\x80! \xE2\x98\x95 \xEF\xB8\x8F \xE2\xAD\x90 \xC3\xA9",
    "\x04" "\xF0\x9F\x98" "\xFF\xFE\x80 plain",
    "\x05{\"reviews\":{},\"events\":null,\"data\":{\"updates\":{}}}",
};

static void run(const char *buf, size_t len)
{
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
}

int main(int argc, char **argv)
{
    static const unsigned char changes[] = {'"', '{', '}',  '[',  ']',  ',', ':', '0', '3', '9',
                                            '-', 'a', 0x80, 0xF0, 0xff, '\\', ' ', '.'};
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
