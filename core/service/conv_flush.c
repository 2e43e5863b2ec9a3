/* conv_flush.c - what changed since the last flush, given to the writer
 * (conv_writer.c) as rows: the conversations marked dirty (a closed one
 * then leaves memory), the items moved out of long rows, the new
 * contacts, and the links of conversations to their contacts in
 * batches.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

/* Conversations are linked to their contacts (conv_store_link_contacts)
 * at most this many to a batch, at least this often, and once at the
 * close: a batch touches each page of the links once, where linking
 * every new conversation in its tick rewrote most of them every tick. */
#define LINK_BATCH 2048
#define LINK_EVERY_MS 1000

/* A conversation written with a closed state leaves memory. */
static void forget_closed(conv_service *svc, conv *cv)
{
    strmap_remove(svc->by_key, cv->key, cv->key_len, cv);
    if (cv->alias != NULL)
        strmap_remove(svc->by_key, cv->alias, cv->alias_len, cv);
    idmap_remove(svc->by_id, cv->id, cv);
    if (svc->pending.cv == cv)
        svc->pending = (conv_pending){0};
    conv_free(cv);
}

/* Link a batch of the conversations written so far to their contacts
 * when it is full or due, or now (the stop); never more than a batch, so
 * a database from before the links (none linked) is caught up a batch a
 * tick, not in one long statement. */
void conv_link_contacts(conv_service *svc, int now_anyway)
{
    int64_t last = svc->next_conv_id - 1; /* every id handed out is written or dropped */
    int64_t through = svc->link_through;
    uint64_t now = uv_now(svc->loop);
    if (last <= through ||
        (!now_anyway && last - through < LINK_BATCH && now - svc->linked_at_ms < LINK_EVERY_MS))
        return;
    svc->linked_at_ms = now;
    svc->link_through = last - through <= LINK_BATCH ? last : through + LINK_BATCH;
    conv_writer_link(svc->writer, svc->link_through);
}

/* A conversation whose list of seqs passed CONV_ITEMS_CHUNK bytes moves
 * it out of its row (conv_store_put_items, on the writer's thread)
 * before the row is written; kept when it cannot be handed over (the
 * commit then fails, and the retry reloads). */
static int move_items(conv_service *svc, conv *cv)
{
    if (cv->seqs.len <= CONV_ITEMS_CHUNK)
        return GW_OK;
    int rc = conv_writer_items(svc->writer, cv->id, cv->seqs.data, cv->seqs.len);
    if (rc == GW_OK) {
        cv->seqs.len = 0;
        cv->seqs.data[0] = '\0';
    }
    return rc;
}

int conv_flush_rows(conv_service *svc)
{
    if (svc->retry_ms > 0)
        return GW_EIO; /* failing: nothing is written until the retry */
    int rc = GW_OK;
    while (rc == GW_OK && !dlink_empty(&svc->dirty_convs)) {
        conv *cv = CONTAINER_OF(svc->dirty_convs.next, conv, dirty_link);
        dlink_remove(&cv->dirty_link);
        /* the names are copied out of the key for the row */
        conv_row row;
        char net[256], acct[256];
        rc = move_items(svc, cv);
        conv_row_fill(cv, &row, net, acct, sizeof acct);
        if (rc == GW_OK)
            rc = conv_writer_conversation(svc->writer, &row);
        if (cv->state == CONV_CLOSED)
            forget_closed(svc, cv);
    }
    if (rc == GW_OK)
        rc = conv_contact_flush(svc, 0);
    if (rc == GW_OK)
        rc = conv_members_flush(svc);
    if (rc == GW_OK)
        conv_link_contacts(svc, 0);
    return rc;
}
