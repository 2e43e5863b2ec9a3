/* dlink.h - intrusive doubly-linked circular lists: the HTTP server's
 * connection and exchange queues, the conversation service's lists (its
 * conversations in id order, the work queue's lists, the contacts from
 * the most recently used).
 *
 * A node embeds a dlink; a list head is a dlink that links to itself when
 * empty. An unlinked node points at itself too, so removing it twice is
 * harmless, which the server relies on (an exchange leaves the waiting
 * queue from several paths). Header-only: nothing here is worth a call.
 */
#ifndef GW_BASE_DLINK_H
#define GW_BASE_DLINK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dlink {
    struct dlink *prev, *next;
} dlink;

/* The struct of `type` whose `member` is at ptr. */
#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void dlink_init(dlink *l)
{
    l->prev = l->next = l;
}

static inline bool dlink_empty(const dlink *head)
{
    return head->next == head;
}

/* Whether node l is on a list (an unlinked node points at itself). */
static inline bool dlink_linked(const dlink *l)
{
    return l->next != l;
}

/* Link l right after at (a node, or the head: the front of the list). */
static inline void dlink_insert_after(dlink *at, dlink *l)
{
    l->prev = at;
    l->next = at->next;
    at->next->prev = l;
    at->next = l;
}

static inline void dlink_push_back(dlink *head, dlink *l)
{
    dlink_insert_after(head->prev, l);
}

static inline void dlink_remove(dlink *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    dlink_init(l);
}

#endif /* GW_BASE_DLINK_H */
