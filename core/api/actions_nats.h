/* actions_nats.h - the action API over NATS: for every [[sink]] of type
 * "nats" with `actions_subject` set, the gateway subscribes, on that
 * sink's broker (its url, token or credentials, TLS), to
 * <actions_subject>.<network>.<account> for each account it serves, in
 * the queue group "gateway-actions". A request there carries the body of
 * POST /v1/actions (an Idempotency-Key header may stand for its
 * "idempotency_key") and is answered on its reply subject with the same
 * JSON as the HTTP API (actions_submit.c), the HTTP status in the "Gateway-Status"
 * header (NATS reserves "Status" for its own) and the action's path in "Location".
 *
 * Authorization is the broker's: who may publish on those subjects may
 * answer customers (docs/sinks.md shows the NATS permissions to set).
 *
 * libnats delivers requests on its own threads; they are queued under a
 * mutex and handled on the loop (a uv_async_t), where the outbox lives.
 */
#ifndef GW_ACTIONS_NATS_H
#define GW_ACTIONS_NATS_H

#include <stddef.h>

#include "engine/runtime.h"

typedef struct actions_nats actions_nats;

/* Subscribe for every configured nats sink with actions_subject (none:
 * *out = NULL). A broker that is down is not an error: libnats keeps
 * connecting and subscribes once it is up. Loop thread, after the outbox
 * is open. On success *out is the caller's (actions_nats_close). Returns
 * 0 or a negative GW_E* with a reason in err. */
int actions_nats_open(gw_runtime *rt, actions_nats **out, char *err, size_t errlen);

/* Stop taking requests and free everything, once no answer is pending
 * (call it after the last runtime_run_waiters). NULL is a no-op. Loop
 * thread; run the loop afterwards so its handles close. */
void actions_nats_close(actions_nats *an);

#endif /* GW_ACTIONS_NATS_H */
