/* dispatch_batch.c - a sink's pending batch: the events' lines, one per
 * line, and their seqs (for dead letters); see dispatch_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/dispatch_internal.h"
#include "gateway/error.h"

/* The line of json with members (n bytes; none when 0) spliced in
 * (egress.h), written straight into the batch. */
static int append(dispatcher *d, int64_t seq, const char *json, size_t len, const char *members,
                  size_t n)
{
    if (d->read_limit > 0 && seq > d->read_limit)
        return 1; /* the planned range ends before it: stop the walk */
    size_t out = egress_spliced_len(len, n);
    char *buf = grow_array(d->buf, &d->cap, d->len + out + 1, 1, 64 * 1024);
    if (buf == NULL)
        return GW_ENOMEM;
    d->buf = buf;
    int64_t *seqs = grow_array(d->seqs, &d->seqs_cap, d->batch.count + 1, sizeof *seqs, 64);
    if (seqs == NULL)
        return GW_ENOMEM;
    d->seqs = seqs;
    d->seqs[d->batch.count] = seq;
    egress_splice(d->buf + d->len, json, len, members, n);
    d->len += out;
    d->buf[d->len++] = '\n';
    if (d->batch.count == 0)
        d->batch.first_seq = seq;
    d->batch.last_seq = seq;
    d->batch.count++;
    return 0;
}

int dispatch_append_line(void *arg, int64_t seq, const char *json, size_t len)
{
    return append(arg, seq, json, len, NULL, 0);
}

int dispatch_read_line(void *arg, int64_t seq, const char *json, size_t len)
{
    dispatcher *d = arg;
    const char *members;
    size_t n;
    int rc = egress_members(&d->egress, seq, json, len, &members, &n);
    return rc != GW_OK ? rc : append(d, seq, json, len, members, n);
}
