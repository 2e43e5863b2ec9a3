/* dlink.h - intrusive doubly-linked circular lists, for the HTTP server's
 * connection and exchange queues.
 *
 * A node embeds a dlink; a list head is a dlink that links to itself when
 * empty. An unlinked node points at itself too, so removing it twice is
 * harmless, which the server relies on (an exchange leaves the waiting
 * queue from several paths). Header-only: nothing here is worth a call.
 */
#ifndef GW_HTTP_DLINK_H
#define GW_HTTP_DLINK_H

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

static inline void dlink_push_back(dlink *head, dlink *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static inline void dlink_remove(dlink *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    dlink_init(l);
}

#endif /* GW_HTTP_DLINK_H */
