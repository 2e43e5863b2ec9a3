/* api_query.h - reading a request's query string, shared by the
 * authenticated APIs (dead letters, conversations, contacts). */
#ifndef GW_API_QUERY_H
#define GW_API_QUERY_H

#include <stddef.h>
#include <stdint.h>

/* The value of key in a query string, %XX and '+' decoded into buf
 * (truncated to buflen - 1); NULL when absent. Returns buf. */
const char *api_query_value(const char *query, const char *key, char *buf, size_t buflen);

/* A positive decimal of at most 18 digits (s[0..len)), or -1. */
int64_t api_query_id(const char *s, size_t len);

#endif /* GW_API_QUERY_H */
