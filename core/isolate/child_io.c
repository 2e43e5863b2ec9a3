/* isolate/child_io.c - the plugin host's end of the socketpair: whole
 * frames written blocking, frames read into a buffer and decoded. */
#define _GNU_SOURCE
#include "isolate/child_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frames are gathered and written when the child is about to wait (for
 * the core or for its poll), or past this size: one write per hook, not
 * per emit. Order is kept, so a cursor never overtakes its events, and
 * what a crash loses was not committed either. */
#define CHILD_FLUSH_AT (256u * 1024u)

void child_flush(child *c)
{
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + off, c->out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(0); /* the core is gone: nothing is left to serve */
        off += (size_t)n;
    }
    c->out.len = 0;
}

void child_send(child *c, isolate_type type, uint64_t id, const json_t *json, const void *blob,
                size_t blob_len)
{
    if (isolate_encode(&c->out, type, id, json, blob, blob_len) != 0) {
        fprintf(stderr, "plugin host: cannot encode a %s frame\n", isolate_type_name((int)type));
        _exit(1);
    }
    if (c->out.len >= CHILD_FLUSH_AT)
        child_flush(c);
}

/* Decodes the next frame of b, first dropping the one decoded before. */
static int take(isolate_buf *b, size_t *pending, isolate_msg *msg)
{
    isolate_buf_consume(b, *pending);
    *pending = 0;
    char err[160];
    int rc = isolate_decode(b->data, b->len, msg, pending, err, sizeof err);
    if (rc != 0 && rc != GW_EBUSY)
        fprintf(stderr, "plugin host: %s\n", err);
    return rc;
}

/* Appends what the socket has. Returns 0, or -1 at end of file. */
int child_read_more(child *c)
{
    child_flush(c); /* the core may be waiting for what we hold */
    if (isolate_buf_reserve(&c->in, 65536) != 0)
        return -1;
    for (;;) {
        ssize_t n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c->in.len += (size_t)n;
        return 0;
    }
}

int child_read_frame(child *c, isolate_msg *msg, int use_later)
{
    if (use_later && take(&c->later, &c->later_used, msg) == 0)
        return 0;
    for (;;) {
        int rc = take(&c->in, &c->in_used, msg);
        if (rc == 0)
            return 0;
        if (rc != GW_EBUSY || child_read_more(c) != 0)
            return -1;
    }
}

int child_next_buffered(child *c, isolate_msg *msg)
{
    int rc = take(&c->later, &c->later_used, msg);
    return rc == GW_EBUSY ? take(&c->in, &c->in_used, msg) : rc;
}
