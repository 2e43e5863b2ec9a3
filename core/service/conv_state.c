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
    char num[24];
    int n = snprintf(num, sizeof num, "%s%lld", cv->seqs_len ? "," : "", (long long)seq);
    if (cv->seqs_len + (size_t)n + 1 > cv->seqs_cap) {
        size_t cap = cv->seqs_cap ? cv->seqs_cap * 2 : 32;
        while (cap < cv->seqs_len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(cv->seqs, cap);
        if (grown == NULL)
            return GW_ENOMEM;
        cv->seqs = grown;
        cv->seqs_cap = cap;
    }
    memcpy(cv->seqs + cv->seqs_len, num, (size_t)n + 1);
    cv->seqs_len += (size_t)n;
    return GW_OK;
}
