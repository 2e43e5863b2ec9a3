/* conv_state.c - one conversation's own bookkeeping: freeing it, queuing
 * it for the flush, listing an event in it. */
#include "service/conv_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

void conv_free(conv *cv)
{
    if (cv == NULL)
        return;
    free(cv->key);
    free(cv->alias);
    free(cv->seqs);
    free(cv);
}

void conv_mark(conv_service *svc, conv *cv)
{
    if (!cv->dirty) {
        cv->dirty = 1;
        cv->next_dirty = svc->dirty_convs;
        svc->dirty_convs = cv;
    }
}

int conv_add_seq(conv *cv, int64_t seq)
{
    /* ",<seq>" written by hand (snprintf was a tenth of an item's cost in
     * the service) */
    char num[24];
    size_t at = sizeof num;
    uint64_t v = seq > 0 ? (uint64_t)seq : 0;
    do {
        num[--at] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (cv->seqs_len)
        num[--at] = ',';
    size_t n = sizeof num - at;
    if (cv->seqs_len + n + 1 > cv->seqs_cap) {
        size_t cap = cv->seqs_cap ? cv->seqs_cap * 2 : 32;
        while (cap < cv->seqs_len + n + 1)
            cap *= 2;
        char *grown = realloc(cv->seqs, cap);
        if (grown == NULL)
            return GW_ENOMEM;
        cv->seqs = grown;
        cv->seqs_cap = cap;
    }
    memcpy(cv->seqs + cv->seqs_len, num + at, n);
    cv->seqs_len += n;
    cv->seqs[cv->seqs_len] = '\0';
    return GW_OK;
}
