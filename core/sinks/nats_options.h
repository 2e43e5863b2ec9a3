/* nats_options.h - the keys of a [[sink]] of type "nats", and its settings
 * turned into libnats connection options: the url, the credentials file
 * or token, TLS. Shared
 * by the sink (nats.c) and the action requests over NATS (api/actions_nats.c),
 * which connect to the same broker with the same identity.
 *
 * Secrets (the token, the credentials) go into libnats and nowhere else:
 * never into a message.
 */
#ifndef GW_NATS_OPTIONS_H
#define GW_NATS_OPTIONS_H

#include <stddef.h>

#include <jansson.h>
#include <nats/nats.h>

#include "gateway/plugin.h" /* gw_option */
#include "sinks/nats_lib.h"

/* The declared keys of the nats sink (NULL-name ended), for sink_type. */
extern const gw_option nats_options_keys[];

/* Check the connection keys of validated settings (borrowed): the url's
 * scheme, no user:password in it (it would be logged), token or
 * credentials, tls_cert with tls_key. Returns 0 or GW_EINVAL with *key
 * the offending key (static) and a reason in err. Needs no libnats:
 * check-config runs it on hosts that may not have it. */
int nats_options_check(const json_t *settings, const char **key, char *err, size_t errlen);

/* New libnats options, made through lib (open; borrowed), from checked
 * settings, named `name` (shown by the server's monitoring). reconnect:
 * let libnats reconnect by itself (forever, without buffering publishes
 * while it does), else a lost connection stays closed and the caller
 * makes a new one. On success *out is the caller's
 * (lib->natsOptions_Destroy). Returns 0 or GW_EINVAL / GW_ENOMEM with a
 * reason in err (no secret in it). */
int nats_options_new(const nats_lib *lib, const json_t *settings, const char *name, int reconnect,
                     natsOptions **out, char *err, size_t errlen);

/* One line for a libnats failure, through lib (open; borrowed): the
 * status text and the library's last error on this thread, which names
 * the server's answer (never a secret). */
void nats_options_describe(const nats_lib *lib, natsStatus s, char *out, size_t outlen);

#endif /* GW_NATS_OPTIONS_H */
