/* events_query.h - the pure parts of GET /v1/events (events_api.c): its
 * query string (after, limit and the filters), the filter match, and the
 * Server-Sent Events frame of one event. No I/O, so unit tests cover the
 * parsing and framing without a server.
 */
#ifndef GW_EVENTS_QUERY_H
#define GW_EVENTS_QUERY_H

#include <stddef.h>
#include <stdint.h>

/* Largest page a poller may ask for (?limit=). */
#define EVENTS_QUERY_MAX_LIMIT 1000
/* Values a filter may repeat; more is a 400, not a slow match. */
#define EVENTS_QUERY_MAX_VALUES 32

typedef struct events_filter {
    char *values[EVENTS_QUERY_MAX_VALUES]; /* owned, percent-decoded */
    size_t count;                          /* 0: no filter, everything matches */
} events_filter;

typedef struct events_query {
    int64_t after;  /* ?after=; -1 when absent */
    long limit;     /* ?limit=; 0 when absent */
    events_filter network, account, type; /* type matches by prefix */
} events_query;

/* Parse the raw query string (without '?', percent-encoded) into q, which
 * the caller frees with events_query_free (also after an error). Unknown
 * parameters, empty or malformed values, a repeated after or limit, and
 * limit outside 1..EVENTS_QUERY_MAX_LIMIT are GW_EINVAL with a sentence
 * for the client in err. Returns 0 or GW_EINVAL / GW_ENOMEM. */
int events_query_parse(const char *raw, events_query *q, char *err, size_t errlen);

void events_query_free(events_query *q);

/* 1 when the event passes every filter (OR within one, AND across);
 * NULL fields never match a filter that is set. */
int events_query_match(const events_query *q, const char *network, const char *account,
                       const char *type);

/* A seq as sent by clients (Last-Event-ID, after=): plain decimal digits,
 * at most 18 of them. Returns 0 and *out, or GW_EINVAL. */
int events_parse_seq(const char *text, int64_t *out);

/* The SSE frame "id: <seq>\nevent: <type>\ndata: <json>\n\n". json (len
 * bytes) is the stored compact event, one line; a type or json holding CR
 * or LF (never the case for events the pipeline accepted) would break the
 * framing, so the event line is then left out and such data bytes become
 * spaces. Returns a malloc'd frame (caller frees) and *out_len, or NULL
 * when out of memory. */
char *events_sse_frame(int64_t seq, const char *type, const char *json, size_t len,
                       size_t *out_len);

#endif /* GW_EVENTS_QUERY_H */
