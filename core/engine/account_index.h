/* account_index.h - the runtime's index of the live accounts by network
 * and name, which account_find (account.h) reads. Webhooks, actions,
 * /readyz and GET /v1/accounts look accounts up by network and name; with
 * thousands of accounts a scan per lookup (and per account in a listing)
 * is what would not scale. account.c adds an account once its plugin
 * instance exists and removes it as it is destroyed; everyone else reaches
 * account_find through account.h.
 */
#ifndef GW_ACCOUNT_INDEX_H
#define GW_ACCOUNT_INDEX_H

#include "engine/runtime.h"

/* The running account serving network/name among rt->accounts, or NULL.
 * Borrowed. */
gw_account *account_find(const gw_runtime *rt, const char *network, const char *name);

/* Index acct under its network and name (the key is kept in the account,
 * freed with it). Returns 0 or GW_ENOMEM. */
int account_index_add(gw_account *acct);

/* Take acct out of the index (no-op when it was never added); the map is
 * freed with the last account. */
void account_index_remove(gw_account *acct);

#endif /* GW_ACCOUNT_INDEX_H */
