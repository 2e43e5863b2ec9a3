/* account_index.c - the live accounts by network and name (rt->account_index,
 * a strmap keyed by network, a NUL and name), behind account_find; see
 * account_index.h. */
#include "engine/account_index.h"

#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "engine/account_internal.h"

/* The key network, a NUL, name (its length in *len): in stack when it
 * fits in stacklen bytes, else in a buffer the caller frees (it compares
 * the result with stack). Returns NULL without memory. */
static char *index_key(const char *network, const char *name, char *stack, size_t stacklen,
                       size_t *len)
{
    size_t n = strlen(network), m = strlen(name);
    char *key = n + 1 + m <= stacklen ? stack : malloc(n + 1 + m);
    if (key != NULL) {
        memcpy(key, network, n + 1);
        memcpy(key + n + 1, name, m);
        *len = n + 1 + m;
    }
    return key;
}

int account_index_add(gw_account *acct)
{
    gw_runtime *rt = acct->rt;
    acct->index_key = index_key(acct->network, acct->name, NULL, 0, &acct->index_key_len);
    if (acct->index_key == NULL)
        return GW_ENOMEM;
    if (rt->account_index == NULL && (rt->account_index = strmap_new()) == NULL)
        return GW_ENOMEM;
    return strmap_put(rt->account_index, acct->index_key, acct->index_key_len, acct);
}

/* The map goes with the last account, so the runtime needs no teardown. */
void account_index_remove(gw_account *acct)
{
    gw_runtime *rt = acct->rt;
    if (rt->account_index == NULL || acct->index_key == NULL)
        return;
    strmap_remove(rt->account_index, acct->index_key, acct->index_key_len, acct);
    if (strmap_count(rt->account_index) == 0) {
        strmap_free(rt->account_index);
        rt->account_index = NULL;
    }
}

gw_account *account_find(const gw_runtime *rt, const char *network, const char *name)
{
    if (rt->account_index == NULL)
        return NULL;
    char stack[256];
    size_t len = 0;
    char *key = index_key(network, name, stack, sizeof stack, &len);
    if (key == NULL)
        return NULL;
    gw_account *a = strmap_get(rt->account_index, key, len);
    if (key != stack)
        free(key);
    return a;
}
