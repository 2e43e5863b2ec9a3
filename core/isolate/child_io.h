/* isolate/child_io.h - the plugin host's reading and writing of frames
 * (isolate/child_io.c); used by its loop and by the blocking kv_get. */
#ifndef GW_ISOLATE_CHILD_IO_H
#define GW_ISOLATE_CHILD_IO_H

#include "isolate/child_internal.h"

/* child_send - queue one frame to the core; it is written by the next
 * child_flush (child_read_more flushes before it waits), or at once past
 * 256 KiB. */
void child_send(child *c, isolate_type type, uint64_t id, const json_t *json,
                const void *blob, size_t blob_len);

/* child_flush - write the queued frames, blocking. When the core is gone
 * the process exits at once (nothing is left to serve). */
void child_flush(child *c);

/* child_read_frame - decode the next frame into msg, reading the socket
 * when needed; frames set aside in c->later come first when use_later.
 * Returns 0, or -1 when the core closed the socket or sent garbage
 * (said on stderr). msg->blob points into a buffer valid until the next
 * call; the caller clears msg. */
int child_read_frame(child *c, isolate_msg *msg, int use_later);

/* child_next_buffered - decode the next frame already read (those set
 * aside in c->later first) without reading the socket. Returns 0,
 * GW_EBUSY when no whole frame is buffered, or a decode error (said on
 * stderr). Ownership as child_read_frame. */
int child_next_buffered(child *c, isolate_msg *msg);

/* child_read_more - append what the socket has to c->in (blocks until
 * something arrives). Returns 0, or -1 at end of file or without memory. */
int child_read_more(child *c);

#endif /* GW_ISOLATE_CHILD_IO_H */
