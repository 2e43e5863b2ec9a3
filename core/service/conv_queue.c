/* conv_queue.c - the work queue (GET /v1/conversations?state=open&
 * sort=priority) from memory: every open conversation is filed in one
 * list per priority score (0-100), in the order of (waiting since, id),
 * as it changes (conv_queue_update, from conv_mark). A page is then the
 * next `limit` conversations after the cursor: with 128,000 open, the
 * query over the table (a scan of every conversation, closed ones too,
 * and a sort) held the loop ~40 ms per page.
 *
 * A conversation starts waiting when its first unanswered item arrives,
 * so it nearly always joins the end of its list; one filed out of order
 * (a load, a clock step back) is walked into place from the end.
 */
#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

/* (waiting, id) of a after that of b */
static int after(int64_t wa, int64_t ida, int64_t wb, int64_t idb)
{
    return wa > wb || (wa == wb && ida > idb);
}

static int score_of(const conv *cv)
{
    return cv->priority_score < 0                    ? 0
           : cv->priority_score >= CONV_QUEUE_SCORES ? CONV_QUEUE_SCORES - 1
                                                     : cv->priority_score;
}

static conv *queued(dlink *l)
{
    return CONTAINER_OF(l, conv, q_link);
}

/* The first conversation of list s, NULL when it is empty. */
static conv *queue_first(conv_service *svc, int s)
{
    return dlink_empty(&svc->queue[s]) ? NULL : queued(svc->queue[s].next);
}

/* The conversation after cv in its list, NULL at the end. */
static conv *queue_next(conv_service *svc, const conv *cv)
{
    dlink *n = cv->q_link.next;
    return n == &svc->queue[cv->q_score] ? NULL : queued(n);
}

static void file(conv_service *svc, conv *cv, int s)
{
    dlink *at = svc->queue[s].prev; /* the last one before cv */
    while (at != &svc->queue[s] &&
           after(queued(at)->q_waiting, queued(at)->id, cv->waiting_ms, cv->id))
        at = at->prev;
    dlink_insert_after(at, &cv->q_link);
    cv->q_score = s;
    cv->q_waiting = cv->waiting_ms;
}

void conv_queue_update(conv_service *svc, conv *cv)
{
    int open = cv->state == CONV_OPEN, s = score_of(cv);
    int filed = dlink_linked(&cv->q_link);
    if (filed && open && cv->q_score == s && cv->q_waiting == cv->waiting_ms)
        return;
    if (filed)
        dlink_remove(&cv->q_link);
    if (open)
        file(svc, cv, s);
}

void conv_queue_reset(conv_service *svc)
{
    for (int s = 0; s < CONV_QUEUE_SCORES; s++)
        dlink_init(&svc->queue[s]);
}

/* The first conversation of list s after the cursor (waiting, id). */
static conv *first_after(conv_service *svc, int s, int64_t waiting, int64_t id)
{
    const conv *known = idmap_get(svc->by_id, id);
    if (known != NULL && dlink_linked(&known->q_link) && known->q_score == s &&
        known->q_waiting == waiting)
        return queue_next(svc, known); /* the cursor's own conversation has not moved */
    conv *cv = queue_first(svc, s);
    while (cv != NULL && !after(cv->q_waiting, cv->id, waiting, id))
        cv = queue_next(svc, cv);
    return cv;
}

int conv_service_queue(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg)
{
    int s = CONV_QUEUE_SCORES - 1, n = 0;
    conv *cv;
    if (page->has_cursor) {
        if (page->after_score < 0)
            return 0;
        s = page->after_score < CONV_QUEUE_SCORES ? page->after_score : CONV_QUEUE_SCORES - 1;
        cv = page->after_score < CONV_QUEUE_SCORES
                 ? first_after(svc, s, page->after_waiting, page->after_id)
                 : queue_first(svc, s);
    } else {
        cv = queue_first(svc, s);
    }
    while ((size_t)n < page->limit) {
        for (; cv != NULL && (size_t)n < page->limit; cv = queue_next(svc, cv)) {
            char net[256], acct[256];
            conv_row r;
            conv_row_fill(cv, &r, net, acct, sizeof net);
            int rc = fn(arg, &r);
            if (rc != 0)
                return rc < 0 ? rc : n;
            n++;
        }
        if (--s < 0)
            break;
        cv = queue_first(svc, s); /* the next lower score */
    }
    return n;
}
