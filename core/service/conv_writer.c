/* conv_writer.c - the service's rows written on a thread of their own
 * (see conv_writer.h).
 *
 * Why a thread: writing the rows (SQLite's upserts, the links, the
 * commit and its WAL writes) was about half of what conversations cost
 * the event loop in the flood benchmark (docs/design.md, "What
 * remains"). The loop now copies each changed row into a batch, a few
 * hundred bytes, and hands the batch over once a tick: handing over item
 * by item cost more than the work (stop 29's triage thread).
 *
 * A batch's strings live in its own blocks (never moved, so the rows can
 * point into them), kept for the next batch once it has run: a tick's
 * members are one string of a few hundred kilobytes, and a fresh block
 * for each tick cost the loop a page fault every ~15 events, each far
 * dearer than the copy on a virtual machine (stop 39, docs/design.md).
 */
#include "service/conv_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "gateway/error.h"

#define BLOCK_MIN 65536
/* CONV_WRITER_QUEUED_MAX (conv_writer.h): ticks come a few milliseconds
 * apart under load, so the queue holds a fraction of a second of writes. */
/* A batch's arrays past this many rows are freed when it is recycled
 * (the start's batch can hold every conversation applied again). */
#define KEEP_ROWS 4096
/* A recycled batch keeps blocks up to this many bytes: a flood's tick
 * needs ~350 KB, a start's applied again more, once. */
#define KEEP_BYTES (1024 * 1024)

typedef struct block {
    struct block *next;
    size_t used, cap;
    char data[];
} block;

typedef struct items_chunk {
    int64_t id;
    const char *seqs;
    size_t len;
} items_chunk;

typedef struct members_row {
    int64_t first, last;
    const char *body;
    size_t len;
} members_row;

typedef struct batch {
    struct batch *next;
    conv_row *convs;
    size_t conv_count, conv_cap;
    items_chunk *items;
    size_t item_count, item_cap;
    contact_row *contacts;
    size_t contact_count, contact_cap;
    members_row *members;
    size_t member_count, member_cap;
    int64_t link_upto; /* 0: none */
    int64_t prune_below; /* 0: none */
    int64_t applied;   /* -1: none */
    int commit;
    block *blocks; /* the strings, the one being filled first */
    block *spare;  /* empty blocks kept from earlier fillings */
} batch;

struct conv_writer {
    store *db;
    conv_store *cs;
    contact_store *ks;
    event_members *em;
    conv_writer_hooks hooks;
    uv_async_t async; /* a failure or a commit, told on the loop */
    int64_t durable_told; /* the loop's: the durable seq hooks.durable was told of */
    pthread_t thread;
    batch *filling; /* the loop's */
    int lost;       /* the loop's: a row could not be added (no memory) */
    pthread_mutex_t mu;
    pthread_cond_t work, idle; /* idle: a batch has run, or a full queue has room */
    /* under mu */
    batch *head, *tail; /* handed over, not yet run */
    size_t queued;      /* how many */
    uint64_t full_waits; /* hand-overs that waited for room */
    batch *spare;       /* run, to be filled again */
    int busy, stop;
    int failed;    /* a batch failed: later ones are dropped until the take */
    int64_t durable; /* the highest applied seq committed */
    char err[256]; /* its message */
};

static void batch_free(batch *b)
{
    if (b == NULL)
        return;
    for (block *k = b->blocks, *next; k != NULL; k = next) {
        next = k->next;
        free(k);
    }
    for (block *k = b->spare, *next; k != NULL; k = next) {
        next = k->next;
        free(k);
    }
    free(b->convs);
    free(b->items);
    free(b->contacts);
    free(b->members);
    free(b);
}

/* Empty b for filling again, keeping its arrays and up to KEEP_BYTES of
 * its blocks. */
static void batch_reset(batch *b)
{
    size_t kept = 0;
    for (block *k = b->spare; k != NULL; k = k->next)
        kept += k->cap;
    for (block *k = b->blocks, *next; k != NULL; k = next) {
        next = k->next;
        if (kept + k->cap > KEEP_BYTES) {
            free(k);
            continue;
        }
        kept += k->cap;
        k->used = 0;
        k->next = b->spare;
        b->spare = k;
    }
    b->blocks = NULL;
    if (b->conv_cap > KEEP_ROWS) {
        free(b->convs);
        b->convs = NULL;
        b->conv_cap = 0;
    }
    if (b->contact_cap > KEEP_ROWS) {
        free(b->contacts);
        b->contacts = NULL;
        b->contact_cap = 0;
    }
    if (b->item_cap > KEEP_ROWS) {
        free(b->items);
        b->items = NULL;
        b->item_cap = 0;
    }
    if (b->member_cap > KEEP_ROWS) {
        free(b->members);
        b->members = NULL;
        b->member_cap = 0;
    }
    b->conv_count = b->item_count = b->contact_count = b->member_count = 0;
    b->link_upto = b->prune_below = 0;
    b->applied = -1;
    b->commit = 0;
    b->next = NULL;
}

static int batch_empty(const batch *b)
{
    return b->conv_count == 0 && b->item_count == 0 && b->contact_count == 0 &&
           b->member_count == 0 && b->link_upto == 0 && b->prune_below == 0;
}

/* A copy of len bytes of s and a NUL in b's blocks, or NULL (no memory).
 * NULL s gives NULL. */
static const char *copy_text(batch *b, const char *s, size_t len)
{
    if (s == NULL)
        return NULL;
    block *k = b->blocks;
    if (k == NULL || k->cap - k->used < len + 1) {
        /* the smallest spare block that holds it, else a new one */
        block **best = NULL;
        for (block **p = &b->spare; *p != NULL; p = &(*p)->next)
            if ((*p)->cap >= len + 1 && (best == NULL || (*p)->cap < (*best)->cap))
                best = p;
        block *n;
        if (best != NULL) {
            n = *best;
            *best = n->next;
        } else {
            /* with room to spare: the next tick's members, a little
             * longer, then fit in it once it is kept */
            size_t cap = len + 1 > BLOCK_MIN ? (len + len / 2 + BLOCK_MIN) / BLOCK_MIN * BLOCK_MIN
                                             : BLOCK_MIN;
            if ((n = malloc(sizeof *n + cap)) == NULL)
                return NULL;
            n->used = 0;
            n->cap = cap;
        }
        n->next = k;
        b->blocks = k = n;
    }
    char *out = k->data + k->used;
    memcpy(out, s, len);
    out[len] = '\0';
    k->used += len + 1;
    return out;
}

static const char *copy_str(batch *b, const char *s, int *failed)
{
    const char *c = copy_text(b, s, s != NULL ? strlen(s) : 0);
    if (s != NULL && c == NULL)
        *failed = 1;
    return c;
}

/* The batch being filled, made or taken from the spare ones. */
static batch *filling(conv_writer *w)
{
    if (w->filling != NULL)
        return w->filling;
    pthread_mutex_lock(&w->mu);
    batch *b = w->spare;
    if (b != NULL)
        w->spare = b->next;
    pthread_mutex_unlock(&w->mu);
    if (b == NULL && (b = calloc(1, sizeof *b)) == NULL)
        return NULL;
    batch_reset(b);
    w->filling = b;
    return b;
}

/* A row that could not be added: no batch may commit without it. */
static int lose(conv_writer *w)
{
    w->lost = 1;
    return GW_ENOMEM;
}

int conv_writer_conversation(conv_writer *w, const conv_row *r)
{
    batch *b = filling(w);
    conv_row *rows =
        b != NULL ? grow_array(b->convs, &b->conv_cap, b->conv_count + 1, sizeof *rows, 64) : NULL;
    if (rows == NULL)
        return lose(w);
    b->convs = rows;
    int failed = 0;
    conv_row c = *r;
    c.network = copy_str(b, r->network, &failed);
    c.account = copy_str(b, r->account, &failed);
    c.thread = copy_str(b, r->thread, &failed);
    c.alias = copy_str(b, r->alias, &failed);
    c.priority = copy_str(b, r->priority, &failed);
    c.seqs = copy_str(b, r->seqs, &failed);
    /* visibility and state are the service's constant names */
    if (failed)
        return lose(w);
    b->convs[b->conv_count++] = c;
    return GW_OK;
}

int conv_writer_items(conv_writer *w, int64_t id, const char *seqs, size_t len)
{
    batch *b = filling(w);
    items_chunk *items =
        b != NULL ? grow_array(b->items, &b->item_cap, b->item_count + 1, sizeof *items, 64) : NULL;
    if (items == NULL)
        return lose(w);
    b->items = items;
    const char *c = copy_text(b, seqs, len);
    if (c == NULL)
        return lose(w);
    b->items[b->item_count++] = (items_chunk){.id = id, .seqs = c, .len = len};
    return GW_OK;
}

int conv_writer_contact(conv_writer *w, const contact_row *r)
{
    batch *b = filling(w);
    contact_row *rows =
        b != NULL ? grow_array(b->contacts, &b->contact_cap, b->contact_count + 1, sizeof *rows, 64)
                  : NULL;
    if (rows == NULL)
        return lose(w);
    b->contacts = rows;
    int failed = 0;
    contact_row c = *r;
    c.network = copy_str(b, r->network, &failed);
    c.author = copy_str(b, r->author, &failed);
    c.handle = copy_str(b, r->handle, &failed);
    c.name = copy_str(b, r->name, &failed);
    if (failed)
        return lose(w);
    b->contacts[b->contact_count++] = c;
    return GW_OK;
}

void conv_writer_link(conv_writer *w, int64_t upto)
{
    batch *b = filling(w);
    if (b == NULL)
        lose(w);
    else if (upto > b->link_upto)
        b->link_upto = upto;
}

int conv_writer_members(conv_writer *w, int64_t first, int64_t last, const char *body, size_t len)
{
    batch *b = filling(w);
    members_row *rows =
        b != NULL ? grow_array(b->members, &b->member_cap, b->member_count + 1, sizeof *rows, 8)
                  : NULL;
    if (rows == NULL)
        return lose(w);
    b->members = rows;
    const char *c = copy_text(b, body, len);
    if (c == NULL)
        return lose(w);
    b->members[b->member_count++] = (members_row){first, last, c, len};
    return GW_OK;
}

void conv_writer_prune(conv_writer *w, int64_t below)
{
    batch *b = filling(w);
    if (b == NULL)
        lose(w);
    else if (below > b->prune_below)
        b->prune_below = below;
}

int conv_writer_pending(const conv_writer *w)
{
    return w->filling != NULL && !batch_empty(w->filling);
}

void conv_writer_discard(conv_writer *w)
{
    if (w->filling != NULL)
        batch_reset(w->filling);
    w->lost = 0;
}

int conv_writer_submit(conv_writer *w, int64_t applied, int commit)
{
    if (w->lost)
        return GW_ENOMEM;
    if (!commit && (w->filling == NULL || batch_empty(w->filling)))
        return GW_OK; /* nothing to write */
    batch *b = filling(w);
    if (b == NULL)
        return GW_ENOMEM;
    b->applied = commit ? applied : -1;
    b->commit = commit;
    w->filling = NULL;
    pthread_mutex_lock(&w->mu);
    w->full_waits += w->queued >= CONV_WRITER_QUEUED_MAX;
    while (w->queued >= CONV_WRITER_QUEUED_MAX)
        pthread_cond_wait(&w->idle, &w->mu);
    if (w->tail != NULL)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    w->queued++;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    return GW_OK;
}

/* On the thread: one batch in the database, in the order the service's
 * flush wrote them before there was a thread. 0 or GW_E*. */
static int run_batch(conv_writer *w, const batch *b)
{
    int rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && i < b->item_count; i++)
        rc = conv_store_put_items(w->cs, b->items[i].id, b->items[i].seqs, b->items[i].len);
    if (rc == GW_OK)
        rc = conv_store_put_conversations(w->cs, b->convs, b->conv_count);
    for (size_t i = 0; rc == GW_OK && i < b->contact_count; i++)
        rc = contact_store_put(w->ks, &b->contacts[i]);
    if (rc == GW_OK && b->link_upto > 0)
        rc = conv_store_link_contacts(w->cs, b->link_upto);
    for (size_t i = 0; rc == GW_OK && i < b->member_count; i++)
        rc = event_members_put(w->em, b->members[i].first, b->members[i].last, b->members[i].body,
                               b->members[i].len);
    if (rc == GW_OK && b->prune_below > 0)
        rc = event_members_prune(w->em, b->prune_below);
    if (rc == GW_OK && b->applied >= 0)
        rc = conv_store_set_applied(w->cs, b->applied);
    if (rc == GW_OK && b->commit)
        rc = store_commit(w->db);
    return rc;
}

static void *writer_main(void *arg)
{
    conv_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->head == NULL && !w->stop)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->head == NULL) /* stopping, every batch run */
            break;
        batch *b = w->head;
        w->head = b->next;
        if (w->head == NULL)
            w->tail = NULL;
        /* room in the queue: a hand-over waiting for it goes on now,
         * not once this batch has run (up to the store's busy wait) */
        if (w->queued-- == CONV_WRITER_QUEUED_MAX)
            pthread_cond_broadcast(&w->idle);
        int skip = w->failed;
        w->busy = 1;
        pthread_mutex_unlock(&w->mu);
        int rc = skip ? GW_OK : run_batch(w, b);
        int tell = 0, committed = !skip && rc == GW_OK && b->commit && b->applied >= 0;
        int64_t applied = b->applied;
        if (rc != GW_OK) {
            pthread_mutex_lock(&w->mu);
            snprintf(w->err, sizeof w->err, "%s", store_last_error(w->db));
            pthread_mutex_unlock(&w->mu);
            store_rollback(w->db); /* what was not committed did not happen */
            tell = 1;
        }
        batch_reset(b);
        pthread_mutex_lock(&w->mu);
        w->failed |= tell;
        if (committed && applied > w->durable) {
            w->durable = applied;
            tell = 1;
        }
        b->next = w->spare;
        w->spare = b;
        w->busy = 0;
        /* for a wait (the queue empty) and a hand-over (room in it) */
        pthread_cond_broadcast(&w->idle);
        if (tell)
            uv_async_send(&w->async);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void async_cb(uv_async_t *a)
{
    conv_writer *w = a->data;
    pthread_mutex_lock(&w->mu);
    int failed = w->failed;
    int64_t durable = w->durable;
    pthread_mutex_unlock(&w->mu);
    if (durable > w->durable_told) {
        w->durable_told = durable;
        if (w->hooks.durable != NULL)
            w->hooks.durable(w->hooks.arg);
    }
    if (failed && w->hooks.failed != NULL)
        w->hooks.failed(w->hooks.arg);
}

int64_t conv_writer_durable(conv_writer *w)
{
    pthread_mutex_lock(&w->mu);
    int64_t durable = w->durable;
    pthread_mutex_unlock(&w->mu);
    return durable;
}

void conv_writer_stats_get(conv_writer *w, conv_writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = (conv_writer_stats){.queued = w->queued, .full_waits = w->full_waits};
    pthread_mutex_unlock(&w->mu);
}

int conv_writer_wait(conv_writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->head != NULL || w->busy)
        pthread_cond_wait(&w->idle, &w->mu);
    int failed = w->failed;
    pthread_mutex_unlock(&w->mu);
    return failed ? GW_EIO : GW_OK;
}

int conv_writer_take_failure(conv_writer *w, char *err, size_t errlen)
{
    /* every batch handed over before the take is dropped first: it was
     * made after the failed one, and committing it would record an
     * applied seq past rows that are not in the file */
    pthread_mutex_lock(&w->mu);
    while (w->head != NULL || w->busy)
        pthread_cond_wait(&w->idle, &w->mu);
    int failed = w->failed;
    if (failed)
        snprintf(err, errlen, "%s", w->err);
    w->failed = 0;
    pthread_mutex_unlock(&w->mu);
    return failed ? GW_EIO : GW_OK;
}

/* The handle's close callback: everything else is gone by then. */
static void on_closed(uv_handle_t *h)
{
    conv_writer *w = h->data;
    batch_free(w->filling);
    for (batch *b = w->spare, *next; b != NULL; b = next) {
        next = b->next;
        batch_free(b);
    }
    for (batch *b = w->head, *next; b != NULL; b = next) {
        next = b->next;
        batch_free(b);
    }
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

int conv_writer_start(uv_loop_t *loop, store *db, conv_store *cs, contact_store *ks,
                      event_members *em, const conv_writer_hooks *hooks, conv_writer **out)
{
    *out = NULL;
    conv_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return GW_ENOMEM;
    *w = (conv_writer){.db = db, .cs = cs, .ks = ks, .em = em, .hooks = *hooks, .durable = -1,
                       .durable_told = -1};
    if (pthread_mutex_init(&w->mu, NULL) != 0 || pthread_cond_init(&w->work, NULL) != 0 ||
        pthread_cond_init(&w->idle, NULL) != 0 || uv_async_init(loop, &w->async, async_cb) != 0) {
        free(w); /* glibc's mutexes and conditions hold no resources */
        return GW_EIO;
    }
    w->async.data = w;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        uv_close((uv_handle_t *)&w->async, on_closed);
        return GW_EIO;
    }
    *out = w;
    return GW_OK;
}

void conv_writer_close(conv_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* after every batch handed over */
    uv_close((uv_handle_t *)&w->async, on_closed);
}
