/* conv_metrics.c - the conversation figures /metrics shows, gathered from
 * memory: per network and account (a bounded set: the configured
 * accounts), per priority, and the first responses since start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

typedef struct gather {
    conv_metrics *m;
    size_t cap;
    size_t last; /* the group found last */
    int failed;
} gather;

static int group_is(const conv_group *gr, const conv *cv)
{
    return gr->net_len == cv->net_len && gr->acct_len == cv->acct_len &&
           memcmp(gr->network, cv->key, cv->net_len) == 0 &&
           memcmp(gr->account, cv->key + cv->net_len + 1, cv->acct_len) == 0;
}

static conv_group *group_of(gather *g, const conv *cv)
{
    conv_metrics *m = g->m;
    /* conversations of one account mostly follow each other */
    if (g->last < m->group_count && group_is(&m->groups[g->last], cv))
        return &m->groups[g->last];
    for (size_t i = 0; i < m->group_count; i++) {
        if (group_is(&m->groups[i], cv)) {
            g->last = i;
            return &m->groups[i];
        }
    }
    if (m->group_count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        conv_group *grown = realloc(m->groups, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        m->groups = grown;
        g->cap = cap;
    }
    conv_group *gr = &m->groups[m->group_count++];
    *gr = (conv_group){0};
    snprintf(gr->network, sizeof gr->network, "%.*s", (int)cv->net_len, cv->key);
    snprintf(gr->account, sizeof gr->account, "%.*s", (int)cv->acct_len,
             cv->key + cv->net_len + 1);
    gr->net_len = strlen(gr->network); /* as cut to fit */
    gr->acct_len = strlen(gr->account);
    g->last = m->group_count - 1;
    return gr;
}

static int gather_one(void *arg, void *value)
{
    gather *g = arg;
    const conv *cv = value;
    if (cv->state != CONV_OPEN)
        return 0;
    conv_group *gr = group_of(g, cv);
    if (gr == NULL) {
        g->failed = 1;
        return 1;
    }
    gr->open++;
    gr->unanswered += cv->answered_ms == 0;
    if (cv->waiting_ms > 0 && (gr->oldest_waiting_ms == 0 || cv->waiting_ms < gr->oldest_waiting_ms))
        gr->oldest_waiting_ms = cv->waiting_ms;
    g->m->priority[cv->priority_index]++;
    return 0;
}

int conv_service_metrics(conv_service *svc, conv_metrics *out)
{
    *out = (conv_metrics){.bucket_bounds = conv_response_bounds,
                          .responses = svc->response_count,
                          .within_target = svc->response_within,
                          .response_sum_s = svc->response_sum_s,
                          .breaches = svc->breaches,
                          .closed = svc->closed_total};
    memcpy(out->buckets, svc->response_buckets, sizeof out->buckets);
    gather g = {.m = out};
    strmap_each(svc->by_id, gather_one, &g);
    if (g.failed) {
        conv_metrics_free(out);
        return GW_ENOMEM;
    }
    return GW_OK;
}

void conv_metrics_free(conv_metrics *m)
{
    free(m->groups);
    m->groups = NULL;
    m->group_count = 0;
}
