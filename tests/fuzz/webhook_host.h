/* webhook_host.h - a small gw_host for the webhook fuzz targets
 * (fuzz_<network>_webhook.c through webhook_driver.c): a plugin instance
 * created from a fixed configuration, without a loop, a store or cmocka.
 *
 * Unlike tests/unit/fake_host.c it reports a broken promise by abort(),
 * which libFuzzer and the replay build both turn into a failure with the
 * input kept: an emitted event that is not an object with "type",
 * "native_id" and "visibility" (and, in the replay build, one the host's
 * pipeline_validate refuses), a log line or webhook answer that contains
 * a configured secret, a completion given twice. Timers are recorded and
 * never run; every HTTP request is refused (GW_EIO), so a plugin's error
 * path for "could not send" is fuzzed too.
 */
#ifndef TESTS_FUZZ_WEBHOOK_HOST_H
#define TESTS_FUZZ_WEBHOOK_HOST_H

#include <stddef.h>

#include <jansson.h>

#include "gateway/plugin.h"

#define WEBHOOK_HOST_MAX_TIMERS 32

typedef struct webhook_host_op {
    int completions;
    gw_outcome outcome;
    json_t *result; /* owned once completed */
} webhook_host_op;

typedef struct webhook_host {
    gw_host table;
    json_t *config;                      /* owned: what config() answers */
    json_t *kv;                          /* owned: key -> string */
    const char *const *secrets;          /* borrowed, NULL-terminated: never logged */
    size_t emitted;                      /* events emit() accepted */
    int timers[WEBHOOK_HOST_MAX_TIMERS]; /* 1 while started and not cancelled */
    size_t ntimers;
} webhook_host;

/* Initialise caller-owned storage with config (steals; a JSON object) and
 * secrets (borrowed). Release with webhook_host_fini(). */
void webhook_host_init(webhook_host *h, json_t *config, const char *const *secrets);
void webhook_host_fini(webhook_host *h);

/* abort() when text (len bytes) contains one of h's secrets. */
void webhook_host_check_secrets(const webhook_host *h, const char *text, size_t len);

#endif /* TESTS_FUZZ_WEBHOOK_HOST_H */
