/* outbox_prune.h - the outbox's retention: finished actions are deleted
 * [gateway] action_retention after they finished, a slice per timer tick
 * on the loop; unfinished ones never are. The idempotency key of an
 * action pruned within [gateway] idempotency_window of its finish is kept
 * as a small record, so a repeat still returns that action (as what is
 * left of it) until the window has passed; after that the key is new.
 * A key therefore dedupes while its action is unfinished and for the
 * longer of the two periods after it finished. See docs/design.md
 * ("Pruning finished actions"). Single-threaded: on the loop thread.
 */
#ifndef GW_OUTBOX_PRUNE_H
#define GW_OUTBOX_PRUNE_H

#include <jansson.h>

#include "engine/outbox_types.h"

/* Read the two settings from rt->cfg->gateway (none: nothing is pruned)
 * and open the prune timer. Called by outbox_open once the loop exists. */
void outbox_prune_init(outbox *ob);

/* Arm the timer (outbox_start); its first slice runs after one interval. */
void outbox_prune_start(outbox *ob);

/* Stop and close the timer (outbox_quiesce). Idempotent. */
void outbox_prune_stop(outbox *ob);

/* The client's view of a pruned action by its idempotency key, within the
 * window: {"id", "state", "network", "account", "kind", "idempotency_key",
 * "created_at", "updated_at", "native_id", "url", "pruned": true}. Returns
 * 0 and sets *out (caller decrefs), GW_ENOENT, or another GW_E* code. */
int outbox_action_get_pruned(outbox *ob, const char *key, json_t **out);

#endif /* GW_OUTBOX_PRUNE_H */
