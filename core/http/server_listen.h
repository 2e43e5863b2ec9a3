/* server_listen.h - the HTTP server's listen socket (the address is
 * parsed by base/listen_addr.h).
 *
 * The server binds its own socket (then hands it to libuv) so a
 * bind error names the address with errno's words and the port bound for
 * "port 0" is known. Addresses are numeric only, so starting never blocks
 * on a resolver.
 */
#ifndef GW_HTTP_SERVER_LISTEN_H
#define GW_HTTP_SERVER_LISTEN_H

#include <sys/socket.h>

/* A non-blocking listening TCP socket bound to ss (SO_REUSEADDR, IPv6
 * only for IPv6). Returns the fd (caller closes) with the bound port in
 * *port_out, or -errno. */
int server_listen_open(const struct sockaddr_storage *ss, socklen_t sslen, int *port_out);

#endif /* GW_HTTP_SERVER_LISTEN_H */
