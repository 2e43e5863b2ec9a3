/* plugins/forum/private.h - the PM inbox phase (private.c), run by fetch.c. */
#ifndef FORUM_PRIVATE_H
#define FORUM_PRIVATE_H

#include "gateway/plugin.h"
#include "phase.h"

/* Start the phase: the private-message inbox and its topics. It ends
 * with forum_phase_over or by finishing the fetch. */
void forum_private_start(forum_fetch *f);
/* An answer to one of the phase's requests (borrowed). */
void forum_private_response(forum_fetch *f, const gw_http_response *response);

#endif /* FORUM_PRIVATE_H */
