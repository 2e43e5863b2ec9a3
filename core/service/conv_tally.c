/* conv_tally.c - the open conversations' figures for /metrics, kept as
 * counters per network and account that every change of a conversation
 * adjusts (conv_tally_update, from conv_mark), so a scrape reads the
 * groups instead of walking every conversation in memory: with 130,000
 * open, that walk held the loop 20-27 ms per scrape.
 *
 * A conversation remembers what it added (t_open, t_unanswered,
 * t_priority, t_waiting): an update takes that back and adds what it
 * counts now, so the counters cannot drift whatever the order of changes.
 * The oldest waiting item of a group is a min-heap of (waiting_ms, id)
 * with lazy deletion: a change pushes the new time and leaves the old
 * entry, which the read discards when it reaches the top (its
 * conversation is gone or waits since another time). The heap is
 * compacted when stale entries outnumber the open conversations, so its
 * size stays within twice theirs.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

typedef struct conv_wait {
    int64_t ms;
    int64_t id;
} conv_wait;

typedef struct conv_tally_group {
    char *key; /* owned: network \x1f account (the conversations' key prefix) */
    size_t net_len, acct_len;
    uint64_t open, unanswered;
    conv_wait *heap; /* owned, a min-heap on ms */
    size_t heap_len, heap_cap;
} conv_tally_group;

static void sift_up(conv_wait *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h[parent].ms <= h[i].ms)
            break;
        conv_wait tmp = h[parent];
        h[parent] = h[i];
        h[i] = tmp;
        i = parent;
    }
}

static void sift_down(conv_wait *h, size_t len, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, least = i;
        if (l < len && h[l].ms < h[least].ms)
            least = l;
        if (r < len && h[r].ms < h[least].ms)
            least = r;
        if (least == i)
            return;
        conv_wait tmp = h[least];
        h[least] = h[i];
        h[i] = tmp;
        i = least;
    }
}

/* The entry still says when its conversation began waiting. */
static int wait_is_live(const conv_service *svc, const conv_tally_group *g, const conv_wait *w)
{
    const conv *cv = idmap_get(svc->by_id, w->id);
    return cv != NULL && cv->group == g && cv->t_waiting == w->ms;
}

/* Keep the live entries only, and make them a heap again. */
static void compact(const conv_service *svc, conv_tally_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->heap_len; i++) {
        if (wait_is_live(svc, g, &g->heap[i]))
            g->heap[n++] = g->heap[i];
    }
    g->heap_len = n;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(g->heap, n, i);
}

static void push_wait(const conv_service *svc, conv_tally_group *g, int64_t ms, int64_t id)
{
    if (g->heap_len >= 2 * g->open + 16)
        compact(svc, g);
    if (g->heap_len == g->heap_cap) {
        size_t cap = g->heap_cap ? g->heap_cap * 2 : 16;
        conv_wait *grown = realloc(g->heap, cap * sizeof *grown);
        if (grown == NULL)
            return; /* the gauge may then show a later time: figures only */
        g->heap = grown;
        g->heap_cap = cap;
    }
    g->heap[g->heap_len] = (conv_wait){ms, id};
    sift_up(g->heap, g->heap_len++);
}

static conv_tally_group *group_of(conv_service *svc, const conv *cv)
{
    size_t len = cv->net_len + 1 + cv->acct_len;
    conv_tally_group *g = strmap_get(svc->tally_index, cv->key, len);
    if (g != NULL)
        return g;
    if (svc->tally_count == svc->tally_cap) {
        size_t cap = svc->tally_cap ? svc->tally_cap * 2 : 8;
        conv_tally_group **grown = realloc(svc->tally_groups, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        svc->tally_groups = grown;
        svc->tally_cap = cap;
    }
    if ((g = calloc(1, sizeof *g)) == NULL || (g->key = malloc(len)) == NULL) {
        free(g);
        return NULL;
    }
    memcpy(g->key, cv->key, len);
    g->net_len = cv->net_len;
    g->acct_len = cv->acct_len;
    if (strmap_put(svc->tally_index, g->key, len, g) != GW_OK) {
        free(g->key);
        free(g);
        return NULL;
    }
    svc->tally_groups[svc->tally_count++] = g;
    return g;
}

void conv_tally_update(conv_service *svc, conv *cv)
{
    int open = cv->state == CONV_OPEN;
    if (cv->group == NULL) {
        if (!open || (cv->group = group_of(svc, cv)) == NULL)
            return; /* out of memory: this one is not counted */
    }
    conv_tally_group *g = cv->group;
    if (cv->t_open) {
        g->open--;
        g->unanswered -= cv->t_unanswered;
        svc->tally_priority[cv->t_priority]--;
    }
    cv->t_open = (unsigned char)open;
    cv->t_unanswered = (unsigned char)(open && cv->answered_ms == 0);
    cv->t_priority = cv->priority_index;
    if (open) {
        g->open++;
        g->unanswered += cv->t_unanswered;
        svc->tally_priority[cv->t_priority]++;
    }
    int64_t waiting = open ? cv->waiting_ms : 0;
    if (waiting > 0 && waiting != cv->t_waiting) {
        cv->t_waiting = waiting; /* before the push: a compaction keeps it */
        push_wait(svc, g, waiting, cv->id);
    }
    cv->t_waiting = waiting;
}

/* The group's oldest waiting time (0: none), dropping stale tops. */
static int64_t oldest_waiting(const conv_service *svc, conv_tally_group *g)
{
    while (g->heap_len > 0 && !wait_is_live(svc, g, &g->heap[0])) {
        g->heap[0] = g->heap[--g->heap_len];
        sift_down(g->heap, g->heap_len, 0);
    }
    return g->heap_len > 0 ? g->heap[0].ms : 0;
}

int conv_tally_open(conv_service *svc)
{
    svc->tally_index = strmap_new();
    return svc->tally_index != NULL ? GW_OK : GW_ENOMEM;
}

void conv_tally_free(conv_service *svc)
{
    for (size_t i = 0; i < svc->tally_count; i++) {
        free(svc->tally_groups[i]->key);
        free(svc->tally_groups[i]->heap);
        free(svc->tally_groups[i]);
    }
    free(svc->tally_groups);
    strmap_free(svc->tally_index);
    svc->tally_groups = NULL;
    svc->tally_index = NULL;
    svc->tally_count = svc->tally_cap = 0;
    memset(svc->tally_priority, 0, sizeof svc->tally_priority);
}

static void name_part(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap ? len : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int conv_tally_groups(conv_service *svc, conv_metrics *out)
{
    memcpy(out->priority, svc->tally_priority, sizeof out->priority);
    if (svc->tally_count == 0)
        return GW_OK;
    if ((out->groups = calloc(svc->tally_count, sizeof *out->groups)) == NULL)
        return GW_ENOMEM;
    out->group_count = svc->tally_count;
    for (size_t i = 0; i < svc->tally_count; i++) {
        conv_tally_group *g = svc->tally_groups[i];
        conv_group *o = &out->groups[i];
        name_part(o->network, sizeof o->network, g->key, g->net_len);
        name_part(o->account, sizeof o->account, g->key + g->net_len + 1, g->acct_len);
        o->net_len = strlen(o->network);
        o->acct_len = strlen(o->account);
        o->open = g->open;
        o->unanswered = g->unanswered;
        o->oldest_waiting_ms = oldest_waiting(svc, g);
    }
    return GW_OK;
}
