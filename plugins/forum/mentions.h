/* plugins/forum/mentions.h - the notifications phase (mentions.c), run
 * by fetch.c. */
#ifndef FORUM_MENTIONS_H
#define FORUM_MENTIONS_H

#include "gateway/plugin.h"
#include "phase.h"

/* Start the phase: notifications.json and the posts they name. It ends
 * with forum_phase_over or by finishing the fetch. */
void forum_mentions_start(forum_fetch *f);
/* An answer to one of the phase's requests (borrowed). */
void forum_mentions_response(forum_fetch *f, const gw_http_response *response);

#endif /* FORUM_MENTIONS_H */
