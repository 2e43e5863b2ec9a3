/* conv_state.c - one conversation's own bookkeeping: freeing it, queuing
 * it for the flush, listing an event in it. */
#include "service/conv_state.h"

#include "service/conv_priority.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

void conv_free(conv *cv)
{
    if (cv == NULL)
        return;
    free(cv->key);
    free(cv->alias);
    jw_buf_free(&cv->seqs);
    free(cv);
}

void conv_refile(conv_service *svc, conv *cv)
{
    conv_tally_update(svc, cv);
    conv_queue_update(svc, cv);
    conv_list_update(svc, cv);
}

void conv_mark(conv_service *svc, conv *cv)
{
    conv_refile(svc, cv);
    if (!dlink_linked(&cv->dirty_link))
        dlink_push_back(&svc->dirty_convs, &cv->dirty_link);
}

void conv_set_priority(conv *cv, const char *priority)
{
    gw_sdk_str_copy(cv->priority, sizeof cv->priority, priority != NULL ? priority : "");
    cv->priority_index = (unsigned char)conv_priority_index(priority);
}

int conv_add_seq(conv *cv, int64_t seq)
{
    jw_buf *b = &cv->seqs;
    size_t before = b->len;
    /* Held for every open conversation (by the hundred thousand under a
     * flood): start at a few seqs, not the writer's 1 KB. */
    if (b->cap == 0 && jw_buf_reserve(b, 32) != GW_OK)
        return GW_ENOMEM;
    /* ",<seq>" and a NUL left out of len: the row binds the list as a C
     * string */
    if ((before > 0 && jw_raw(b, ",", 1) != GW_OK) || jw_integer(b, seq) != GW_OK ||
        jw_raw(b, "", 1) != GW_OK) {
        b->len = before;
        if (b->data != NULL)
            b->data[before] = '\0';
        return GW_ENOMEM;
    }
    b->len--;
    return GW_OK;
}
