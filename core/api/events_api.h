/* events_api.h - GET /v1/events: the event log as a live, resumable
 * Server-Sent Events stream, or one JSON page for pollers.
 *
 * The hub (one per runtime, rt->events) keeps every open stream. After
 * each commit the orchestrator tells it (events_api_notify); it then reads
 * the new events from the log once, in pages, and fans them out to the
 * streams that are caught up. A stream that starts behind (Last-Event-ID,
 * ?after=) reads its own pages from the log, paced by what its client
 * takes, and joins the live ones when it catches up. All of it runs on the
 * loop thread in bounded slices; see docs/design.md ("The live stream").
 */
#ifndef GW_EVENTS_API_H
#define GW_EVENTS_API_H

#include "engine/runtime.h"

/* Create the hub (rt->events) and route GET /v1/events on rt->server.
 * Returns 0 or a negative GW_E* code. */
int events_api_install(gw_runtime *rt);

/* New events were committed: schedule the fan-out. NULL hub: no-op. */
void events_api_notify(gw_runtime *rt);

/* End every stream after what it has buffered, stop the hub's timers and
 * free it once they closed (run the loop afterwards); rt->events is NULL
 * after. Call before the HTTP server closes. */
void events_api_close(gw_runtime *rt);

/* Counters for /metrics. */
typedef struct events_api_stats {
    uint64_t streams_open;
    uint64_t streams_total;
    uint64_t streams_cut; /* slow clients closed at their buffer's bound */
    uint64_t events_sent;
} events_api_stats;

/* NULL when there is no hub. Borrowed. */
const events_api_stats *events_api_stats_get(const gw_runtime *rt);

#endif /* GW_EVENTS_API_H */
