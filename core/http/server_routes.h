/* server_routes.h - the HTTP server's route table and request methods.
 *
 * Methods are bits (so a route's method list and an Allow header are
 * cheap); a route matches the raw request path exactly or as a prefix.
 * Pure data: no sockets, no loop. Used by the server's request handling (to
 * route), its responses (Allow headers) and http_server_route().
 */
#ifndef GW_HTTP_SERVER_ROUTES_H
#define GW_HTTP_SERVER_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_server.h" /* http_handler */

#define SERVER_METHOD_GET 1u
#define SERVER_METHOD_HEAD 2u

typedef struct server_route {
    char *path; /* owned copy */
    size_t path_len;
    int prefix;
    unsigned methods;
    http_handler handler;
    void *arg;
} server_route;

typedef struct server_routes {
    server_route *routes; /* owned array */
    size_t count, cap;
} server_routes;

/* Add a route; the contract (method list, path rules, errors) is
 * http_server_route's in http_server.h. `path` is copied. */
int server_routes_add(server_routes *t, const char *methods, const char *path, int prefix,
                      http_handler h, void *arg);

/* The route for `path` and the method bit `method`: an exact route wins
 * over prefix routes, the longest prefix among those. NULL when none;
 * *allowed gets the methods of every route matching the path (for 405). */
const server_route *server_routes_find(const server_routes *t, const char *path, unsigned method,
                                       unsigned *allowed);

/* Free every route; the table is empty after. */
void server_routes_free(server_routes *t);

/* The bit of method `name` (len bytes, case-sensitive), 0 if unknown. */
unsigned server_method_bit(const char *name, size_t len);

/* "GET, HEAD, POST" for an Allow header; buf must hold all names. */
void server_methods_format(unsigned mask, char *buf, size_t buflen);

/* Origin-form only ("/path?query"), no spaces, controls, '#' or "%00". */
bool server_target_is_valid(const char *target);

/* The raw query (without '?'): the same characters as a target's. */
bool server_query_is_valid(const char *query);

#endif /* GW_HTTP_SERVER_ROUTES_H */
