/* webhook_sign.h - the webhook sink's pure parts: the signature header,
 * the delivery id and the reading of a receiver's answer. No I/O, no
 * state, so the unit tests pin them down (tests/unit/test_webhook_sign.c)
 * and docs/sinks.md's receiver examples check against the same header.
 */
#ifndef GW_WEBHOOK_SIGN_H
#define GW_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* "t=" + 20 digits + ",v1=" + 64 hex + NUL, with room to spare. */
#define WEBHOOK_SIGNATURE_MAX 112

/* The Gateway-Signature value for a body sent at unix time t:
 * "t=<t>,v1=<lower-case hex HMAC-SHA256(secret, "<t>.<body>")>". Writes
 * into out (outlen bytes, NUL-terminated). Everything borrowed. Returns
 * the length, or GW_ERANGE when out is too small, GW_ENOMEM. */
int webhook_signature(const char *secret, size_t secret_len, int64_t t, const void *body,
                      size_t body_len, char *out, size_t outlen);

/* What an answer (or its absence) means for the batch sent. */
typedef enum webhook_verdict {
    WEBHOOK_DELIVERED, /* 2xx: the receiver has it */
    WEBHOOK_RETRY,     /* no answer (connection, timeout, TLS), 408, 429,
                          5xx: retried without limit in time */
    WEBHOOK_REFUSED    /* any other answer (4xx, a 3xx not followed): after
                          max_attempts the events are parked */
} webhook_verdict;

/* status is the HTTP status, 0 when no response arrived (transport_error
 * then says why; any non-zero value is a transport error). */
webhook_verdict webhook_classify(int status, int transport_error);

/* The Gateway-Delivery id of a batch: "<sink>.<first_seq>" for one event
 * per request, "<sink>.<first_seq>-<last_seq>" for an array. The same
 * batch always gets the same id, across retries and restarts, so a
 * receiver can drop a duplicate. Characters of the sink name outside
 * A-Z a-z 0-9 . _ - become '_' (it goes into a header). Returns the
 * length, or GW_ERANGE when out is too small. */
int webhook_delivery_id(const char *sink, int64_t first_seq, int64_t last_seq, int as_array,
                        char *out, size_t outlen);

#endif /* GW_WEBHOOK_SIGN_H */
