/* server_routes.c - the route table and method bits; see server_routes.h.
 * Kept apart from the request path so routing rules can be read (and
 * changed) without wading through the connection handling.
 */
#include "http/server_routes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "gateway/error.h"

static const char *const method_names[] = {"GET",    "HEAD",  "POST",   "PUT",
                                           "DELETE", "PATCH", "OPTIONS"};
#define METHOD_COUNT (sizeof method_names / sizeof method_names[0])

unsigned server_method_bit(const char *name, size_t len)
{
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (strlen(method_names[i]) == len && memcmp(method_names[i], name, len) == 0)
            return 1u << i;
    }
    return 0;
}

/* Parse "GET, POST" into bits; GET brings HEAD along. 0 when invalid. */
static unsigned methods_parse(const char *list)
{
    unsigned mask = 0;
    const char *p = list;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',' && *p != ' ')
            p++;
        unsigned bit = server_method_bit(start, (size_t)(p - start));
        if (bit == 0)
            return 0;
        mask |= bit;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        if (*p != ',')
            return 0;
        p++;
    }
    if (mask & SERVER_METHOD_GET)
        mask |= SERVER_METHOD_HEAD;
    return mask;
}

void server_methods_format(unsigned mask, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", method_names[i]);
        if (n < 0 || (size_t)n >= buflen - used)
            return;
        used += (size_t)n;
    }
}

/* No control characters, spaces or '#', and no percent-encoded NUL: it
 * decodes to a control character too, and would cut the path or a value
 * wherever it is read as C text. */
static bool target_chars_valid(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '#')
            return false;
        if (p[0] == '%' && p[1] == '0' && p[2] == '0')
            return false;
    }
    return true;
}

/* The absolute and asterisk forms are meaningless for these routes, and
 * control characters or "%00" in a target make no path a route could
 * mean (server_parse.c has already refused raw spaces and controls). */
bool server_target_is_valid(const char *target)
{
    return target[0] == '/' && target_chars_valid(target);
}

bool server_query_is_valid(const char *query)
{
    return target_chars_valid(query);
}

int server_routes_add(server_routes *t, const char *methods, const char *path, int prefix,
                      http_handler h, void *arg)
{
    if (methods == NULL || path == NULL || h == NULL || path[0] != '/' ||
        !server_target_is_valid(path) || strchr(path, '?') != NULL)
        return GW_EINVAL;
    size_t len = strlen(path);
    if (prefix && path[len - 1] != '/')
        return GW_EINVAL; /* "/static" would also match "/staticky" */
    unsigned mask = methods_parse(methods);
    if (mask == 0)
        return GW_EINVAL;
    for (size_t i = 0; i < t->count; i++) {
        const server_route *r = &t->routes[i];
        if (!r->prefix == !prefix && strcmp(r->path, path) == 0 && (r->methods & mask))
            return GW_EEXIST;
    }
    server_route *grown = grow_array(t->routes, &t->cap, t->count + 1, sizeof *grown, 8);
    if (grown == NULL)
        return GW_ENOMEM;
    t->routes = grown;
    char *copy = strdup(path);
    if (copy == NULL)
        return GW_ENOMEM;
    t->routes[t->count++] = (server_route){copy, len, prefix ? 1 : 0, mask, h, arg};
    return GW_OK;
}

const server_route *server_routes_find(const server_routes *t, const char *path, unsigned method,
                                       unsigned *allowed)
{
    const server_route *best = NULL;
    size_t best_score = 0;
    *allowed = 0;
    for (size_t i = 0; i < t->count; i++) {
        const server_route *r = &t->routes[i];
        bool match =
            r->prefix ? strncmp(path, r->path, r->path_len) == 0 : strcmp(path, r->path) == 0;
        if (!match)
            continue;
        *allowed |= r->methods;
        if (!(r->methods & method))
            continue;
        size_t score = r->prefix ? r->path_len : SIZE_MAX;
        if (best == NULL || score > best_score) {
            best = r;
            best_score = score;
        }
    }
    return best;
}

void server_routes_free(server_routes *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->routes[i].path);
    free(t->routes);
    t->routes = NULL;
    t->count = t->cap = 0;
}
