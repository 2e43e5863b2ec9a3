/* ratelimit_class.h - an account's rate-limit budgets, one per endpoint
 * class the plugin names, plus the account-wide one.
 *
 * Why a table: X counts each endpoint in its own window, so one spent
 * window (mentions) must not hold back another (posting a reply), and a
 * request must wait only on its own window (and on whatever binds the
 * whole account; see the Scope note in ratelimit.h).
 *
 * Class names come from plugins (gw_http_request.rate_class), so the table
 * is bounded: at most RATELIMIT_MAX_CLASSES named classes, names of at most
 * RATELIMIT_CLASS_NAME_MAX characters from [a-z0-9_.-] (they end up in
 * metric labels and logs). A name that is empty, NULL or "default" is the
 * account-wide budget itself; a malformed name, or a new one once the table
 * is full, falls back to the account-wide budget too, which is never less
 * safe, only slower.
 *
 * No allocation. The table holds pointers into itself (each class points
 * at the account-wide budget), so it must not be moved or copied after
 * ratelimit_table_init; the owner (the account) embeds it.
 */
#ifndef GW_RATELIMIT_CLASS_H
#define GW_RATELIMIT_CLASS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/ratelimit.h"

#define RATELIMIT_MAX_CLASSES 16
#define RATELIMIT_CLASS_NAME_MAX 32
/* The name metrics give the account-wide budget. */
#define RATELIMIT_DEFAULT_CLASS "default"

typedef struct ratelimit_class {
    char name[RATELIMIT_CLASS_NAME_MAX + 1];
    ratelimit_budget budget; /* budget.account points at the table's */
} ratelimit_class;

typedef struct ratelimit_table {
    ratelimit_budget account; /* account-wide: the default class */
    ratelimit_class classes[RATELIMIT_MAX_CLASSES];
    size_t count;
    bool reported_invalid; /* a malformed name was already reported */
    bool reported_full;    /* a name over the bound was already reported */
} ratelimit_table;

/* Empty table, account budget fresh. Ownership: t caller-owned; see above
 * for why it must stay in place. */
void ratelimit_table_init(ratelimit_table *t);

/* The budget for class `name` (borrowed, may be NULL), created on first
 * use; never NULL. Returns a pointer into t, valid as long as t. When the
 * name is refused (malformed, or the table is full) the account-wide
 * budget is returned and, the first time for each of the two reasons,
 * *refused (may be NULL) is set to a static sentence saying why so the
 * caller can log it once; otherwise *refused is set to NULL. */
ratelimit_budget *ratelimit_table_get(ratelimit_table *t, const char *name, const char **refused);

/* True when name is a well-formed class name (not checking the bound). */
bool ratelimit_class_name_ok(const char *name);

#endif /* GW_RATELIMIT_CLASS_H */
