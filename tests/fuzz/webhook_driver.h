/* webhook_driver.h - what a webhook fuzz target (fuzz_<network>_webhook.c)
 * tells the shared driver (webhook_driver.c), which owns
 * LLVMFuzzerTestOneInput and, in the replay build, main.
 *
 * An input is one HTTP request to the plugin's webhook hook:
 *   byte 0     flags: bits 0-1 the method (GET, POST, PUT, ""); bit 2
 *              sign: add the header sign() computes over the body, so
 *              the fuzzer gets past the signature check; bit 3 token:
 *              put token_query in front of the query (the verify token
 *              or URL secret the plugin expects). Printable flags for
 *              hand-written seeds: '@' GET, 'A' POST, 'E' POST signed,
 *              'H' GET with the token, 'I' POST with the token.
 *   line 1     the query string (without '?')
 *   lines      "name: value" headers (names lower-cased, as the host
 *              gives them), up to an empty line
 *   the rest   the body, exactly those bytes (no NUL after them)
 * Each input gets a fresh instance from config, so inputs are
 * independent. The driver checks that the hook completes exactly once
 * with {"status" 100-599, "content_type", "body"}, a JSON body for
 * application/json and {"error", "message"} for an error status, and
 * that no answer, log line or event leaks a secret (webhook_host.h)
 * unless the input itself spells it (an echo is no leak).
 */
#ifndef TESTS_FUZZ_WEBHOOK_DRIVER_H
#define TESTS_FUZZ_WEBHOOK_DRIVER_H

#include <stddef.h>

#include "gateway/plugin.h"

typedef struct webhook_target {
    const char *config;         /* the account's options as JSON */
    const char *const *secrets; /* NULL-terminated; never in logs or answers */
    const char *token_query;    /* put before the query with flag bit 3 */
    /* The signature header for body (len bytes) into name and value
     * (NUL-terminated, at most 64 and 256 bytes); NULL when the network
     * signs nothing. */
    void (*sign)(const unsigned char *body, size_t len, char *name, char *value);
} webhook_target;

/* The signatures networks put in a header: header_name's value is
 * prefix + hex (or base64) of HMAC-SHA256(secret, body) - a target's
 * sign() in one line. */
void webhook_sign_hex(const char *secret, const char *header_name, const char *prefix,
                      const unsigned char *body, size_t len, char *name, char *value);
void webhook_sign_base64(const char *secret, const char *header_name, const char *prefix,
                         const unsigned char *body, size_t len, char *name, char *value);

/* Defined by the target. */
extern const webhook_target WEBHOOK_TARGET;

/* The plugin's descriptor (compiled into the target). */
const gw_plugin *gw_plugin_entry(void);

#endif /* TESTS_FUZZ_WEBHOOK_DRIVER_H */
