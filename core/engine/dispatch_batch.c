/* dispatch_batch.c - a sink's pending batch: the events' lines, one per
 * line, and their seqs (for dead letters); see dispatch_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "engine/dispatch_internal.h"
#include "gateway/error.h"

int dispatch_append_line(void *arg, int64_t seq, const char *json, size_t len)
{
    dispatcher *d = arg;
    if (d->read_limit > 0 && seq > d->read_limit)
        return 1; /* the planned range ends before it: stop the walk */
    if (d->len + len + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 64 * 1024;
        while (cap < d->len + len + 1)
            cap *= 2;
        char *grown = realloc(d->buf, cap);
        if (grown == NULL)
            return GW_ENOMEM;
        d->buf = grown;
        d->cap = cap;
    }
    if (d->batch.count >= d->seqs_cap) {
        size_t cap = d->seqs_cap ? d->seqs_cap * 2 : 64;
        int64_t *grown = realloc(d->seqs, cap * sizeof *grown);
        if (grown == NULL)
            return GW_ENOMEM;
        d->seqs = grown;
        d->seqs_cap = cap;
    }
    d->seqs[d->batch.count] = seq;
    memcpy(d->buf + d->len, json, len);
    d->len += len;
    d->buf[d->len++] = '\n';
    if (d->batch.count == 0)
        d->batch.first_seq = seq;
    d->batch.last_seq = seq;
    d->batch.count++;
    return 0;
}
