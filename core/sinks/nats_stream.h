/* nats_stream.h - the nats sink's create_stream: the stream made when it
 * does not exist, with the subjects the template can make. */
#ifndef GW_NATS_STREAM_H
#define GW_NATS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "sinks/nats_lib.h"

/* Make sure stream exists on js (borrowed), calling libnats through lib
 * (open; borrowed, the table js was made with): look it up, and when it
 * is missing and create is set, create it with file storage, the subject
 * template's wildcard (nats_subject_wildcard), max_age_ms (0: no limit)
 * and the duplicate window. An existing stream is left as it is. Blocks
 * (JetStream API requests): call it on a worker. Returns 0, or GW_EIO with
 * a reason in err (also for a missing stream without create). */
int nats_stream_ensure(const nats_lib *lib, jsCtx *js, const char *stream,
                       const char *subject_template, int create, int64_t max_age_ms,
                       int64_t duplicate_window_ms, char *err, size_t errlen);

#endif /* GW_NATS_STREAM_H */
