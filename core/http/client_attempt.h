/* client_attempt.h - one HTTP client request's life after it is accepted:
 * waiting for its rate-limit budget and retry backoff, its attempts,
 * host-side retries, delivery of the single callback, and cancel; and the
 * client's metrics for all of it.
 *
 * A result is never delivered from inside http_client_request or a curl
 * callback: a failure known at once waits for the request's timer too.
 */
#ifndef GW_HTTP_CLIENT_ATTEMPT_H
#define GW_HTTP_CLIENT_ATTEMPT_H

#include <curl/curl.h>

#include "http/client_state.h"

/* Take a fully built request (easy handle set up, timer not yet made):
 * make its timer, add it to the client's outstanding list and counters,
 * and start its first attempt or its wait. */
void client_attempt_submit(http_req *r);

/* curl_loop's on_done (arg = the client): a transfer finished and is out
 * of the multi; retry it or deliver its response. */
void client_attempt_on_done(void *arg, CURL *easy, CURLcode result);

/* Release r if it is waiting (for its budget or a retry backoff) rather
 * than on the wire: it completes soon, from its timer, as a RETRY failure
 * with message why (borrowed, copied) and not_sent unless an earlier
 * attempt may have reached the server. A running transfer is left to
 * finish. */
void client_attempt_release(http_req *r, const char *why);

/* Cancel r (not DELIVERING): out of the multi and the list, counted,
 * freed; its callback never runs. */
void client_attempt_cancel(http_req *r);

#endif /* GW_HTTP_CLIENT_ATTEMPT_H */
