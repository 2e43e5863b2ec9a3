/* conv_metrics.c - the conversation figures /metrics shows, gathered from
 * memory: per network and account (a bounded set: the configured
 * accounts), per priority, and the first responses since start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

const char *const conv_priority_names[CONV_PRIORITIES] = {"urgent", "high", "normal", "low",
                                                          "none"};

typedef struct gather {
    conv_metrics *m;
    size_t cap;
    int failed;
} gather;

static conv_group *group_of(gather *g, const conv *cv)
{
    conv_metrics *m = g->m;
    for (size_t i = 0; i < m->group_count; i++) {
        conv_group *gr = &m->groups[i];
        if (strlen(gr->network) == cv->net_len && memcmp(gr->network, cv->key, cv->net_len) == 0 &&
            strlen(gr->account) == cv->acct_len &&
            memcmp(gr->account, cv->key + cv->net_len + 1, cv->acct_len) == 0)
            return gr;
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
    size_t p = CONV_PRIORITIES - 1;
    for (size_t i = 0; i + 1 < CONV_PRIORITIES; i++) {
        if (strcmp(cv->priority, conv_priority_names[i]) == 0)
            p = i;
    }
    g->m->priority[p]++;
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
