/* contacts_api.h - contacts over HTTP:
 *   GET  /v1/contacts/<id>          the contact, the contacts linked to it
 *                                   on other networks, and their
 *                                   conversations (newest first)
 *   POST /v1/contacts/<id>/links    {"contact": "<id>"}: link another
 *                                   network's contact to the same person
 * Same token, errors and reference as conversations_api.h.
 */
#ifndef GW_CONTACTS_API_H
#define GW_CONTACTS_API_H

#include "engine/runtime.h"

/* Register the routes on rt->server. Returns 0 or a negative GW_E* code. */
int contacts_api_install(gw_runtime *rt);

#endif /* GW_CONTACTS_API_H */
