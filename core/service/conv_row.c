/* conv_row.c - a conversation in memory as its table row (conv_row):
 * what the flush writes and the work queue lists. */
#include <string.h>

#include "service/conv_state.h"

static const char *state_name(conv_state s)
{
    return s == CONV_OPEN ? "open" : s == CONV_ANSWERED ? "answered" : "closed";
}

void conv_row_fill(const conv *cv, conv_row *r, char *net, char *acct, size_t len)
{
    /* the key's first two parts (copied by hand: snprintf was a tenth of
     * writing the row) */
    size_t nl = cv->net_len < len ? cv->net_len : len - 1;
    size_t al = cv->acct_len < len ? cv->acct_len : len - 1;
    memcpy(net, cv->key, nl);
    net[nl] = '\0';
    memcpy(acct, cv->key + cv->net_len + 1, al);
    acct[al] = '\0';
    size_t prefix = cv->net_len + cv->acct_len + 2;
    *r = (conv_row){.id = cv->id,
                    .network = net,
                    .account = acct,
                    .thread = cv->key + prefix,
                    .alias = cv->alias != NULL ? cv->alias + prefix : NULL,
                    .contact = cv->contact,
                    .visibility = cv->is_public ? "public" : "private",
                    .state = state_name(cv->state),
                    .priority_score = cv->priority_score,
                    .priority = cv->priority[0] ? cv->priority : NULL,
                    .items = cv->items,
                    .first_ms = cv->first_ms,
                    .waiting_ms = cv->waiting_ms,
                    .last_ms = cv->last_ms,
                    .answered_ms = cv->answered_ms,
                    .closed_ms = cv->closed_ms,
                    .deadline_ms = cv->deadline_ms,
                    .breached = cv->breached,
                    .seqs = cv->seqs.data};
}
