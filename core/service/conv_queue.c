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
#include <string.h>

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
    return cv->priority_score < 0 ? 0 : cv->priority_score >= CONV_QUEUE_SCORES
                                             ? CONV_QUEUE_SCORES - 1
                                             : cv->priority_score;
}

static void unfile(conv_service *svc, conv *cv)
{
    int s = cv->q_score;
    if (cv->q_prev != NULL)
        cv->q_prev->q_next = cv->q_next;
    else
        svc->queue_head[s] = cv->q_next;
    if (cv->q_next != NULL)
        cv->q_next->q_prev = cv->q_prev;
    else
        svc->queue_tail[s] = cv->q_prev;
    cv->q_prev = cv->q_next = NULL;
    cv->q_filed = 0;
}

static void file(conv_service *svc, conv *cv, int s)
{
    conv *at = svc->queue_tail[s]; /* the last one before cv */
    while (at != NULL && after(at->q_waiting, at->id, cv->waiting_ms, cv->id))
        at = at->q_prev;
    cv->q_prev = at;
    cv->q_next = at != NULL ? at->q_next : svc->queue_head[s];
    if (cv->q_next != NULL)
        cv->q_next->q_prev = cv;
    else
        svc->queue_tail[s] = cv;
    if (at != NULL)
        at->q_next = cv;
    else
        svc->queue_head[s] = cv;
    cv->q_score = s;
    cv->q_waiting = cv->waiting_ms;
    cv->q_filed = 1;
}

void conv_queue_update(conv_service *svc, conv *cv)
{
    int open = cv->state == CONV_OPEN, s = score_of(cv);
    if (cv->q_filed && open && cv->q_score == s && cv->q_waiting == cv->waiting_ms)
        return;
    if (cv->q_filed)
        unfile(svc, cv);
    if (open)
        file(svc, cv, s);
}

void conv_queue_reset(conv_service *svc)
{
    memset(svc->queue_head, 0, sizeof svc->queue_head);
    memset(svc->queue_tail, 0, sizeof svc->queue_tail);
}

/* The first conversation of list s after the cursor (waiting, id). */
static conv *first_after(conv_service *svc, int s, int64_t waiting, int64_t id)
{
    const conv *known = strmap_get(svc->by_id, &id, sizeof id);
    if (known != NULL && known->q_filed && known->q_score == s && known->q_waiting == waiting)
        return known->q_next; /* the cursor's own conversation has not moved */
    conv *cv = svc->queue_head[s];
    while (cv != NULL && !after(cv->q_waiting, cv->id, waiting, id))
        cv = cv->q_next;
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
                 : svc->queue_head[s];
    } else {
        cv = svc->queue_head[s];
    }
    while ((size_t)n < page->limit) {
        for (; cv != NULL && (size_t)n < page->limit; cv = cv->q_next) {
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
        cv = svc->queue_head[s]; /* the next lower score */
    }
    return n;
}
