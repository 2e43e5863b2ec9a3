/* ratelimit_class.c - an account's table of class budgets; see
 * ratelimit_class.h. */
#include "http/ratelimit_class.h"

#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

void ratelimit_table_init(ratelimit_table *t)
{
    memset(t, 0, sizeof *t);
    ratelimit_init(&t->account);
}

bool ratelimit_class_name_ok(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '-';
        if (!ok || n >= RATELIMIT_CLASS_NAME_MAX)
            return false;
    }
    return n > 0;
}

static ratelimit_budget *refuse(ratelimit_table *t, bool *reported, const char *why,
                                const char **refused)
{
    if (refused != NULL && !*reported) {
        *reported = true;
        *refused = why;
    }
    return &t->account;
}

ratelimit_budget *ratelimit_table_get(ratelimit_table *t, const char *name, const char **refused)
{
    if (refused != NULL)
        *refused = NULL;
    if (name == NULL || *name == '\0' || strcmp(name, RATELIMIT_DEFAULT_CLASS) == 0)
        return &t->account;
    if (!ratelimit_class_name_ok(name))
        return refuse(t, &t->reported_invalid,
                      "a rate class name must be 1-" STR(RATELIMIT_CLASS_NAME_MAX) " characters of a-z, 0-9, '_', '.', '-'; "
                      "using the account's default budget",
                      refused);
    for (size_t i = 0; i < t->count; i++) {
        if (strcmp(t->classes[i].name, name) == 0)
            return &t->classes[i].budget;
    }
    if (t->count == RATELIMIT_MAX_CLASSES)
        return refuse(t, &t->reported_full,
                      "more than " STR(RATELIMIT_MAX_CLASSES)
                      " rate classes; further ones use the account's default budget",
                      refused);
    ratelimit_class *c = &t->classes[t->count++];
    memcpy(c->name, name, strlen(name) + 1);
    ratelimit_init(&c->budget);
    c->budget.account = &t->account;
    return &c->budget;
}
