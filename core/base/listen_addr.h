/* listen_addr.h - the one parser of a listen address ("127.0.0.1:8080",
 * "[::1]:8080"), shared by the config layer (which refuses a bad [http]
 * listen at load time, so check-config sees it) and the HTTP server
 * (which binds it). One parser means both always agree.
 *
 * Addresses are numeric only: a host name such as "localhost" is refused
 * with a hint rather than resolved, so starting never blocks on a
 * resolver and what is bound is exactly what the file says.
 */
#ifndef GW_BASE_LISTEN_ADDR_H
#define GW_BASE_LISTEN_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Parse text into *ss and *sslen (either may be NULL when only the check
 * matters). Returns 0, or GW_EINVAL with a one-line reason for the user in
 * why (always NUL-terminated; the text itself is not repeated). */
int listen_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen, char *why,
                      size_t whylen);

#endif /* GW_BASE_LISTEN_ADDR_H */
