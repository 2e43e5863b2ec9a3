/* dispatch.h - one dispatcher per configured sink: reads committed events
 * from the log after the sink's durable cursor, hands them to the sink in
 * batches (on a worker thread, or on the loop for an asynchronous sink;
 * sink.h), and moves the cursor only after the sink confirmed, or after it
 * parked a batch its receiver refused for good as dead letters. A failing sink is retried with full-jitter backoff on its own
 * timer; it never holds back the others, and the log keeps what it has not
 * taken yet.
 */
#ifndef GW_DISPATCH_H
#define GW_DISPATCH_H

#include <stdint.h>

#include "engine/dispatch_types.h"
#include "engine/runtime.h"
#include "sinks/sink.h"

/* Open the sink, reconcile it with its cursor (a sink that already holds
 * events past the stored cursor, as a file does after a crash, resumes
 * after what it holds). Returns 0 and sets *out, or a negative GW_E* code
 * with err naming the sink. */
int dispatch_open(gw_runtime *rt, const cfg_sink *cfg, dispatcher **out, char *err,
                  size_t errlen);

/* Start a batch when the sink is idle and committed events wait. */
void dispatch_kick(dispatcher *d);

/* Dead letters of this sink wait for a replay (deadletter_request_replay
 * was called): send them before the next batch of the log. */
void dispatch_replay(dispatcher *d);

/* Ask for a reopen (SIGHUP) before the next write. */
void dispatch_request_reopen(dispatcher *d);

/* True when the sink holds everything committed or is failing (used to
 * end a drain), and no write is in flight. */
int dispatch_settled(const dispatcher *d);
int dispatch_busy(const dispatcher *d);


const dispatch_stats *dispatch_stats_get(const dispatcher *d);
const char *dispatch_type(const dispatcher *d); /* "file", "stdout" */

/* One of this sink's dead letters was dropped (through the API). */
void dispatch_dead_letter_dropped(dispatcher *d);

/* Count this sink's dead letters in the table again (after a lost tick:
 * what it parked or removed was rolled back). */
void dispatch_recount_dead_letters(dispatcher *d);

int64_t dispatch_cursor(const dispatcher *d);
const char *dispatch_name(const dispatcher *d);

/* Close the sink and free the dispatcher; must not be busy. Handles close
 * asynchronously: run the loop afterwards. */
void dispatch_close(dispatcher *d);

#endif /* GW_DISPATCH_H */
