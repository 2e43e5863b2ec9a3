/* conv_members.c - the events' "conversation_id" and "contact" members,
 * kept beside the log instead of inside the stored event
 * (store/event_members.h), and served where events leave (engine/egress.h).
 *
 * Each tick's members are gathered as the observer stores its events,
 * handed to the writer with the tick's rows after the log's commit (one
 * row for the tick), and kept in memory for the last CONV_RECENT_TICKS
 * ticks: a sink or a stream reads the events it sends just after their
 * commit, so those come from memory; a reader further behind (a sink
 * catching up after an outage, a page of GET /v1/events) reads the rows
 * back on a connection of its own. No event leaves before the commit
 * that holds its members (conv_service_members_bound), so a crash before
 * it lets the next start decide them again (conv_replay.c) without
 * anyone having seen the first decision.
 */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/egress.h"
#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

/* A flood's tick holds up to a fetch's ~1,000 events, ~280 bytes of
 * members each: 16 ticks are ~4 MB at most, reused. */
#define CONV_RECENT_TICKS 16

int conv_members_add(conv_service *svc, int64_t seq, const char *text, size_t len)
{
    conv_tick *t = &svc->tick;
    if (t->len == 0)
        t->first = seq;
    int rc = members_body_add(&t->body, &t->len, &t->cap, t->first, seq, text, len);
    if (rc == GW_OK)
        t->last = seq;
    return rc;
}

/* The tick's body kept in the ring's next slot (the oldest when full),
 * whose buffer becomes the next tick's: nothing is allocated once the
 * ring is full. */
static int keep_recent(conv_service *svc)
{
    if (svc->recent == NULL &&
        (svc->recent = calloc(CONV_RECENT_TICKS, sizeof *svc->recent)) == NULL)
        return GW_ENOMEM;
    size_t slot = (svc->recent_start + svc->recent_count) % CONV_RECENT_TICKS;
    if (svc->recent_count == CONV_RECENT_TICKS)
        svc->recent_start = (svc->recent_start + 1) % CONV_RECENT_TICKS;
    else
        svc->recent_count++;
    conv_tick spare = svc->recent[slot];
    svc->recent[slot] = svc->tick;
    svc->tick = (conv_tick){.body = spare.body, .cap = spare.cap};
    return GW_OK;
}

int conv_members_flush(conv_service *svc)
{
    int rc = GW_OK;
    const conv_tick *t = &svc->tick;
    if (t->len > 0) {
        rc = conv_writer_members(svc->writer, t->first, t->last, t->body, t->len);
        if (rc == GW_OK)
            rc = keep_recent(svc);
    }
    if (rc == GW_OK && svc->prune_below > 0) {
        conv_writer_prune(svc->writer, svc->prune_below);
        svc->prune_below = 0;
    }
    return rc;
}

void conv_members_reset(conv_service *svc, int64_t keep_upto)
{
    svc->tick.len = 0;
    while (svc->recent_count > 0) {
        conv_tick *r =
            &svc->recent[(svc->recent_start + svc->recent_count - 1) % CONV_RECENT_TICKS];
        if (r->last <= keep_upto)
            break;
        r->len = 0;
        r->last = r->first - 1;
        svc->recent_count--;
    }
}

void conv_members_free(conv_service *svc)
{
    for (size_t i = 0; svc->recent != NULL && i < CONV_RECENT_TICKS; i++)
        free(svc->recent[i].body);
    free(svc->recent);
    svc->recent = NULL;
    free(svc->tick.body);
    svc->tick = (conv_tick){0};
}

/* ---- where events leave ----------------------------------------------- */

struct egress_pass {
    conv_service *svc;
    int64_t lo, hi; /* the seqs w covers (hi < lo: none) */
    members_walk w;
    char *copy; /* a row read back: the reader's buffer is shared */
    size_t cap;
};

static egress_pass *pass_open(void *arg)
{
    egress_pass *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->svc = arg;
        p->hi = -1;
    }
    return p;
}

static void pass_close(egress_pass *p)
{
    free(p->copy);
    free(p);
}

/* The ticks in memory, i from 0: the ring's, oldest first, then this
 * one (not committed yet: for the API's reads, which are not held back);
 * NULL past them. */
static const conv_tick *memory_tick(const conv_service *svc, size_t i)
{
    if (i < svc->recent_count)
        return &svc->recent[(svc->recent_start + i) % CONV_RECENT_TICKS];
    return i == svc->recent_count && svc->tick.len > 0 ? &svc->tick : NULL;
}

/* Point p at the tick holding seq: one in memory, else the database's.
 * Returns 1, 0 when none holds it (p then covers, with nothing, seq and
 * the seqs after it that hold none either), or GW_E*. */
static int pass_seek(egress_pass *p, int64_t seq)
{
    conv_service *svc = p->svc;
    int64_t above = INT64_MAX; /* the first seq memory holds after seq */
    const conv_tick *t;
    for (size_t i = 0; (t = memory_tick(svc, i)) != NULL; i++) {
        if (t->first <= seq && seq <= t->last) {
            p->lo = t->first;
            p->hi = t->last;
            p->w =
                (members_walk){.body = t->body, .len = t->len, .first = t->first, .last = t->last};
            return 1;
        }
        if (t->first > seq && t->first < above)
            above = t->first;
    }
    p->lo = p->hi = seq;
    p->w = (members_walk){0};
    members_walk found = {.first = seq, .last = seq};
    int rc = svc->reader != NULL ? members_reader_find(svc->reader, seq, &found) : 0;
    if (rc == 0) {
        /* none there up to found.last: a gap of events without members
         * (an older log's), short of what memory holds after seq */
        p->hi = found.last < above - 1 ? found.last : above - 1;
        return 0;
    }
    if (rc != 1)
        return rc;
    char *copy = grow_array(p->copy, &p->cap, found.len + 1, 1, 4096);
    if (copy == NULL)
        return GW_ENOMEM;
    p->copy = copy;
    memcpy(copy, found.body, found.len);
    p->w = found;
    p->w.body = copy;
    p->lo = found.first;
    p->hi = found.last;
    return 1;
}

static int pass_find(egress_pass *p, int64_t seq, const char **text, size_t *len)
{
    if (seq < p->lo || seq > p->hi) {
        int rc = pass_seek(p, seq);
        if (rc <= 0)
            return rc;
    }
    return members_walk_find(&p->w, seq, text, len);
}

static int64_t members_bound(void *arg)
{
    conv_service *svc = arg;
    return svc->durable_seq;
}

event_egress conv_service_egress(conv_service *svc)
{
    return (event_egress){.bound = members_bound,
                          .pass_open = pass_open,
                          .pass_find = pass_find,
                          .pass_close = pass_close,
                          .arg = svc};
}

int conv_members_conversation(conv_service *svc, int64_t seq, int64_t *id)
{
    egress_pass p = {.svc = svc, .hi = -1};
    const char *text;
    size_t len;
    int rc = pass_find(&p, seq, &text, &len);
    static const char key[] = "\"conversation_id\":\"";
    char buf[CONV_IDSTR_MAX] = "";
    size_t n = 0;
    /* read before the pass goes: text may be in its copy of a row */
    if (rc == 1 && len >= sizeof key - 1 && memcmp(text, key, sizeof key - 1) == 0) {
        for (size_t i = sizeof key - 1; i < len && text[i] != '"' && n + 1 < sizeof buf; i++)
            buf[n++] = text[i];
    }
    buf[n] = '\0';
    free(p.copy);
    if (rc < 0)
        return rc;
    *id = n > 0 ? conv_id_parse("cv_", buf) : 0;
    return *id > 0; /* 0: no members, or members without a conversation */
}

void conv_service_prune(conv_service *svc, int64_t below)
{
    if (below > svc->prune_below)
        svc->prune_below = below;
}
