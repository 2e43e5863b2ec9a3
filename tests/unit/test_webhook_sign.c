/* test_webhook_sign.c - the webhook sink's signature header, delivery ids
 * and the reading of answers (webhook_sign.c), and the sink itself driven
 * through a recording sink_io: the body (object or array), the headers,
 * and what it reports for 2xx, 429 with Retry-After, 5xx, a transport
 * error and repeated 4xx (parked after max_attempts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "sinks/sink.h"
#include "sinks/webhook_sign.h"

#define SECRET "whsec-unit-test-0123456789"

static void test_signature_matches_an_independent_hmac(void **state)
{
    (void)state;
    char out[WEBHOOK_SIGNATURE_MAX];
    const char *body = "{\"id\":\"mock:1\",\"seq\":1}";
    /* Expected values from Python's hmac module over "1700000000.<body>". */
    int n = webhook_signature(SECRET, strlen(SECRET), 1700000000, body, strlen(body), out,
                              sizeof out);
    assert_string_equal("t=1700000000,v1=63f51b10923ed87bf70ea9c592857c5d90ed54fa8433490fbf4a0f"
                        "a868396b11",
                        out);
    assert_int_equal((int)strlen(out), n);
    webhook_signature(SECRET, strlen(SECRET), 1700000000, NULL, 0, out, sizeof out);
    assert_string_equal("t=1700000000,v1=43a50ffb9cb3ee78fe6d2d84539a8a373679ec91aed43f086be928"
                        "2f48d6a5b0",
                        out);
    /* Another time signs differently: the timestamp is part of the MAC. */
    char other[WEBHOOK_SIGNATURE_MAX];
    webhook_signature(SECRET, strlen(SECRET), 1700000001, NULL, 0, other, sizeof other);
    assert_string_not_equal(out + 17, other + 17);
    assert_int_equal(GW_ERANGE, webhook_signature(SECRET, strlen(SECRET), 1, "x", 1, out, 20));
    assert_string_equal("", out);
}

static void test_classification(void **state)
{
    (void)state;
    assert_int_equal(WEBHOOK_DELIVERED, webhook_classify(200, 0));
    assert_int_equal(WEBHOOK_DELIVERED, webhook_classify(204, 0));
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(0, GW_EIO));    /* refused, DNS, TLS */
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(0, GW_EBUSY));  /* timeout */
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(408, 0));
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(429, 0));
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(500, 0));
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(503, 0));
    assert_int_equal(WEBHOOK_RETRY, webhook_classify(599, 0));
    assert_int_equal(WEBHOOK_REFUSED, webhook_classify(400, 0));
    assert_int_equal(WEBHOOK_REFUSED, webhook_classify(401, 0));
    assert_int_equal(WEBHOOK_REFUSED, webhook_classify(404, 0));
    assert_int_equal(WEBHOOK_REFUSED, webhook_classify(422, 0));
    assert_int_equal(WEBHOOK_REFUSED, webhook_classify(301, 0));
}

static void test_delivery_ids(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(7, webhook_delivery_id("hook", 42, 42, 0, out, sizeof out));
    assert_string_equal("hook.42", out);
    webhook_delivery_id("help desk/1", 3, 7, 1, out, sizeof out);
    assert_string_equal("help_desk_1.3-7", out);
    webhook_delivery_id("a\r\nb", 1, 1, 0, out, sizeof out);
    assert_string_equal("a__b.1", out);
    assert_int_equal(GW_ERANGE, webhook_delivery_id("hook", 123456, 1, 0, out, 8));
}

/* ---- the sink through a recording sink_io ------------------------------- */

extern const sink_type sink_webhook_type;

typedef struct recorder {
    int sent;
    char body[512];
    char signature[WEBHOOK_SIGNATURE_MAX];
    char delivery[64];
    char content_type[64];
    gw_http_cb cb;
    void *cb_arg;
    int done;
    sink_result last;
    char last_message[320];
} recorder;

static int record_send(void *ctx, const gw_http_request *req, gw_http_cb cb, void *arg)
{
    recorder *r = ctx;
    r->sent++;
    assert_string_equal("POST", req->method);
    snprintf(r->body, sizeof r->body, "%.*s", (int)req->body_len, (const char *)req->body);
    for (size_t i = 0; i < req->header_count; i++) {
        const char *n = req->headers[i].name, *v = req->headers[i].value;
        if (strcmp(n, "gateway-signature") == 0)
            snprintf(r->signature, sizeof r->signature, "%s", v);
        else if (strcmp(n, "gateway-delivery") == 0)
            snprintf(r->delivery, sizeof r->delivery, "%s", v);
        else if (strcmp(n, "content-type") == 0)
            snprintf(r->content_type, sizeof r->content_type, "%s", v);
    }
    r->cb = cb;
    r->cb_arg = arg;
    return 0;
}

static void record_done(void *arg, const sink_result *res)
{
    recorder *r = arg;
    r->done++;
    r->last = *res;
    snprintf(r->last_message, sizeof r->last_message, "%s", res->message ? res->message : "");
}

static void *open_sink(const char *batch, const char *attempts)
{
    char text[256];
    snprintf(text, sizeof text,
             "{\"url\":\"http://127.0.0.1:9/hook\",\"secret\":\"%s\",\"batch\":%s,"
             "\"timeout\":1000,\"max_attempts\":%s}",
             SECRET, batch, attempts);
    json_t *settings = json_loads(text, 0, NULL);
    void *st = NULL;
    char err[256] = "";
    assert_int_equal(0, sink_webhook_type.open(settings, &st, err, sizeof err));
    json_decref(settings);
    return st;
}

static void answer(recorder *r, int status, int error, uint64_t retry_after, const char *body)
{
    gw_http_response resp = {.struct_size = sizeof resp,
                             .status = status,
                             .body = (const unsigned char *)body,
                             .body_len = strlen(body),
                             .error = error,
                             .error_message = error ? "connection refused" : NULL,
                             .retry_after_ms = retry_after};
    r->cb(r->cb_arg, &resp);
}

static void test_sink_sends_signed_objects_and_reports_answers(void **state)
{
    (void)state;
    recorder r = {0};
    sink_io io = {.http_send = record_send, .ctx = &r, .sink_name = "hook"};
    void *st = open_sink("1", "2");
    const char *line = "{\"id\":\"mock:1\",\"seq\":5}\n";
    sink_batch b = {.data = line, .len = strlen(line), .count = 1, .first_seq = 5,
                    .last_seq = 5};
    char err[128];
    assert_int_equal(1, sink_webhook_type.max_batch(st));
    assert_int_equal(0, sink_webhook_type.write_async(st, &b, &io, record_done, &r, err,
                                                      sizeof err));
    assert_int_equal(0, r.done); /* never from inside write_async */
    assert_string_equal("{\"id\":\"mock:1\",\"seq\":5}", r.body);
    assert_string_equal("hook.5", r.delivery);
    assert_string_equal("application/json", r.content_type);
    long long t = strtoll(r.signature + 2, NULL, 10);
    char want[WEBHOOK_SIGNATURE_MAX];
    webhook_signature(SECRET, strlen(SECRET), t, r.body, strlen(r.body), want, sizeof want);
    assert_string_equal(want, r.signature);

    answer(&r, 429, 0, 1500, "");
    assert_int_equal(1, r.done);
    assert_true(r.last.rc < 0);
    assert_false(r.last.park);
    assert_int_equal(429, r.last.status);
    assert_int_equal(1500, r.last.retry_after_ms);

    /* Refused, then refused again: the second time (max_attempts = 2) it
     * is parked, the body of the answer in the message. Same delivery id. */
    sink_webhook_type.write_async(st, &b, &io, record_done, &r, err, sizeof err);
    answer(&r, 400, 0, 0, "{\"error\":\"bad\nevent\"}");
    assert_false(r.last.park);
    sink_webhook_type.write_async(st, &b, &io, record_done, &r, err, sizeof err);
    assert_string_equal("hook.5", r.delivery);
    answer(&r, 422, 0, 0, "no");
    assert_true(r.last.park);
    assert_int_equal(422, r.last.status);
    assert_non_null(strstr(r.last_message, "422"));

    /* Transport errors retry; a 2xx delivers. */
    sink_webhook_type.write_async(st, &b, &io, record_done, &r, err, sizeof err);
    answer(&r, 0, GW_EIO, 0, "");
    assert_false(r.last.park);
    assert_int_equal(GW_EIO, r.last.rc);
    assert_non_null(strstr(r.last_message, "connection refused"));
    sink_webhook_type.write_async(st, &b, &io, record_done, &r, err, sizeof err);
    answer(&r, 204, 0, 0, "");
    assert_int_equal(0, r.last.rc);
    assert_int_equal(204, r.last.status);
    sink_webhook_type.close(st);
}

static void test_sink_batches_into_an_array(void **state)
{
    (void)state;
    recorder r = {0};
    sink_io io = {.http_send = record_send, .ctx = &r, .sink_name = "hook"};
    void *st = open_sink("10", "3");
    const char *lines = "{\"seq\":3}\n{\"seq\":4}\n{\"seq\":5}\n";
    sink_batch b = {.data = lines, .len = strlen(lines), .count = 3, .first_seq = 3,
                    .last_seq = 5};
    char err[128];
    assert_int_equal(10, sink_webhook_type.max_batch(st));
    sink_webhook_type.write_async(st, &b, &io, record_done, &r, err, sizeof err);
    assert_string_equal("[{\"seq\":3},{\"seq\":4},{\"seq\":5}]", r.body);
    assert_string_equal("hook.3-5", r.delivery);
    answer(&r, 200, 0, 0, "");
    sink_webhook_type.close(st);
}

static void test_open_refuses_a_short_secret_without_quoting_it(void **state)
{
    (void)state;
    json_t *settings = json_pack("{s:s, s:s, s:i, s:i, s:i}", "url", "https://x.example/h",
                                 "secret", "tooshort", "batch", 1, "timeout", 1000,
                                 "max_attempts", 3);
    void *st = NULL;
    char err[256] = "";
    assert_int_equal(GW_EINVAL, sink_webhook_type.open(settings, &st, err, sizeof err));
    assert_null(strstr(err, "tooshort"));
    json_object_set_new(settings, "secret", json_string(SECRET));
    json_object_set_new(settings, "url", json_string("ftp://x.example/h"));
    assert_int_equal(GW_EINVAL, sink_webhook_type.open(settings, &st, err, sizeof err));
    json_decref(settings);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_matches_an_independent_hmac),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_delivery_ids),
        cmocka_unit_test(test_sink_sends_signed_objects_and_reports_answers),
        cmocka_unit_test(test_sink_batches_into_an_array),
        cmocka_unit_test(test_open_refuses_a_short_secret_without_quoting_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
