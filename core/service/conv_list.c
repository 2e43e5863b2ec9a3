/* conv_list.c - pages of the conversations not closed (state open or
 * answered), from memory. The table had no index that served them: open
 * and answered conversations are the newest, so a page by id walked
 * nearly every row (109 ms with 1,000,000 conversations, on the loop),
 * and one by priority scanned and sorted the whole table (185 ms); an
 * index on the state would cost every new conversation an entry.
 *
 * The conversations in memory are in by_id (base/idmap.h), and the ids
 * of those open and of those answered in a set each (base/idset.h),
 * walked in id order: a page by id starts after the cursor's id, a page
 * by priority is one pass over the state's set that keeps the best
 * `limit` in a heap. Either reads only the conversations in the state
 * asked: walking every conversation in memory to find no answered one
 * took 4.7 ms on the loop with 104,000 open (0.14 ms now, at the
 * client).
 * The work queue (open, by priority) has its own lists (conv_queue.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

int conv_list_open(conv_service *svc)
{
    for (int s = 0; s < CONV_CLOSED; s++) {
        if ((svc->by_state[s] = idset_new()) == NULL) {
            svc->lists_whole = 0;
            return GW_ENOMEM;
        }
    }
    svc->lists_whole = 1;
    return GW_OK;
}

void conv_list_free(conv_service *svc)
{
    for (int s = 0; s < CONV_CLOSED; s++) {
        idset_free(svc->by_state[s]);
        svc->by_state[s] = NULL;
    }
}

void conv_list_update(conv_service *svc, conv *cv)
{
    if (cv->listed == cv->state)
        return;
    if (cv->listed != CONV_CLOSED)
        idset_remove(svc->by_state[cv->listed], cv->id);
    cv->listed = CONV_CLOSED;
    if (cv->state == CONV_CLOSED)
        return;
    if (idset_add(svc->by_state[cv->state], cv->id) == GW_OK)
        cv->listed = cv->state;
    else
        svc->lists_whole = 0;
}

/* The conversation in state after id after (0: the first), in id order,
 * or NULL at the end. */
static conv *list_next(conv_service *svc, conv_state state, int64_t after)
{
    int64_t id = after;
    conv *cv;
    if (svc->lists_whole) {
        /* an id whose conversation left by_id without a change of state
         * (none should) is passed over, not taken for the end */
        while ((id = idset_next(svc->by_state[state], id)) > 0) {
            if ((cv = idmap_get(svc->by_id, id)) != NULL)
                return cv;
        }
        return NULL;
    }
    while ((cv = idmap_next(svc->by_id, id, &id)) != NULL && cv->state != state)
        ;
    return cv;
}

typedef struct list_walk {
    const conv_page *page;
    conv_state state;
    conv **heap; /* max-heap by the page's order: heap[0] is the last kept */
    size_t count;
} list_walk;

/* Whether a comes before b in the page's order: by id, or by priority
 * score (descending), then waiting since, then id. */
static int before(const conv_page *page, const conv *a, const conv *b)
{
    if (page->by_priority) {
        if (a->priority_score != b->priority_score)
            return a->priority_score > b->priority_score;
        if (a->waiting_ms != b->waiting_ms)
            return a->waiting_ms < b->waiting_ms;
    }
    return a->id < b->id;
}

/* Whether cv comes after the page's cursor (by id: after_id, 0 when
 * none; by priority: has_cursor says whether there is one). */
static int past_cursor(const conv_page *page, const conv *cv)
{
    if (page->by_priority) {
        if (!page->has_cursor)
            return 1;
        if (cv->priority_score != page->after_score)
            return cv->priority_score < page->after_score;
        if (cv->waiting_ms != page->after_waiting)
            return cv->waiting_ms > page->after_waiting;
    }
    return cv->id > page->after_id;
}

static void sift_down(list_walk *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < w->count && before(w->page, w->heap[top], w->heap[l]))
            top = l;
        if (r < w->count && before(w->page, w->heap[top], w->heap[r]))
            top = r;
        if (top == i)
            return;
        conv *t = w->heap[i];
        w->heap[i] = w->heap[top];
        w->heap[top] = t;
        i = top;
    }
}

static void sift_up(list_walk *w, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(w->page, w->heap[parent], w->heap[i]))
            return;
        conv *t = w->heap[i];
        w->heap[i] = w->heap[parent];
        w->heap[parent] = t;
        i = parent;
    }
}

static void consider(list_walk *w, conv *cv)
{
    if (cv->state != w->state || !past_cursor(w->page, cv))
        return;
    if (w->count < w->page->limit) {
        w->heap[w->count++] = cv;
        sift_up(w, w->count - 1);
    } else if (before(w->page, cv, w->heap[0])) {
        w->heap[0] = cv; /* replaces the last of those kept */
        sift_down(w, 0);
    }
}

static int emit(conv *cv, conv_row_fn fn, void *arg)
{
    char net[256], acct[256];
    conv_row r;
    conv_row_fill(cv, &r, net, acct, sizeof net);
    return fn(arg, &r);
}

/* By id: from the first id after the cursor's (which may have left
 * memory since). */
static int page_by_id(conv_service *svc, const conv_page *page, conv_state state, conv_row_fn fn,
                      void *arg)
{
    int n = 0, rc = 0;
    for (conv *cv = list_next(svc, state, page->after_id); cv != NULL && (size_t)n < page->limit;
         cv = list_next(svc, state, cv->id)) {
        if ((rc = emit(cv, fn, arg)) != 0)
            return rc < 0 ? rc : n;
        n++;
    }
    return n;
}

int conv_service_list_active(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg)
{
    if (page->state == NULL || page->limit == 0)
        return GW_EINVAL;
    conv_state state = strcmp(page->state, "open") == 0       ? CONV_OPEN
                       : strcmp(page->state, "answered") == 0 ? CONV_ANSWERED
                                                              : CONV_CLOSED;
    if (state == CONV_CLOSED)
        return GW_EINVAL;
    if (state == CONV_OPEN && page->by_priority)
        return conv_service_queue(svc, page, fn, arg);
    if (!page->by_priority)
        return page_by_id(svc, page, state, fn, arg);
    list_walk w = {.page = page, .state = state, .heap = malloc(page->limit * sizeof(conv *))};
    if (w.heap == NULL)
        return GW_ENOMEM;
    for (conv *cv = list_next(svc, state, 0); cv != NULL; cv = list_next(svc, state, cv->id))
        consider(&w, cv);
    /* a heap sort: the last kept goes to the end, then the last of the
     * rest before it, and so on */
    size_t n = w.count;
    while (w.count > 1) {
        conv *t = w.heap[0];
        w.heap[0] = w.heap[--w.count];
        w.heap[w.count] = t;
        sift_down(&w, 0);
    }
    int rc = 0;
    size_t sent = 0;
    for (; sent < n && (rc = emit(w.heap[sent], fn, arg)) == 0; sent++)
        ;
    free(w.heap);
    return rc < 0 ? rc : (int)sent;
}
