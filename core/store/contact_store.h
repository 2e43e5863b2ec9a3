/* contact_store.h - the contacts' statements (the table is created with
 * the conversations', conv_store.c): one contact per author and network,
 * grouped into a person by links across networks.
 *
 * Writes join the store's per-tick transaction, like conv_store's, and
 * are used by one thread at a time, as conv_store's.
 */
#ifndef GW_CONTACT_STORE_H
#define GW_CONTACT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/conv_store.h"

typedef struct contact_store contact_store;

/* One contact row; strings borrowed as for conv_row. */
typedef struct contact_row {
    int64_t id;
    const char *network, *author; /* the key: the network's author id */
    const char *handle, *name;    /* NULL when unknown */
    int64_t followers;            /* -1: unknown */
    int64_t first_ms, last_ms;    /* first and last item seen (wall ms) */
    int64_t items;                /* items seen */
    int64_t open;                 /* conversations not closed */
    int64_t person;               /* the linked group's id (own id alone) */
} contact_row;

typedef int (*contact_row_fn)(void *arg, const contact_row *row);

/* Prepare the statements on cs's connection (the tables exist once
 * conv_store_open succeeded). Caller closes before conv_store_close. */
int contact_store_open(conv_store *cs, contact_store **out, char *err, size_t errlen);
void contact_store_close(contact_store *ks);

/* Insert or update one contact, in the tick's transaction. */
int contact_store_put(contact_store *ks, const contact_row *row);

/* By network and author, or by id: 1 and fn called, 0 when none, GW_E*. */
int contact_store_find(contact_store *ks, const char *network, const char *author,
                       contact_row_fn fn, void *arg);
int contact_store_get(contact_store *ks, int64_t id, contact_row_fn fn, void *arg);

/* The limit most recently seen contacts, most recent first (start-up). */
int contact_store_each_recent(contact_store *ks, size_t limit, contact_row_fn fn, void *arg);

/* Every contact of a person, by id. Returns the count or GW_E*. */
int contact_store_each_of_person(contact_store *ks, int64_t person, contact_row_fn fn, void *arg);

/* Move every contact of person `from` into person `to`. */
int contact_store_merge_person(contact_store *ks, int64_t from, int64_t to);

/* Number of contacts stored (0 on error). */
int64_t contact_store_count(contact_store *ks);

#endif /* GW_CONTACT_STORE_H */
