/* isolate/wire.h - the frames an isolated plugin and the core exchange.
 *
 * An isolated plugin runs in a child process (the plugin host) and talks
 * to the core over one socketpair. Every hook the core calls and every
 * host function the plugin calls crosses it as one frame:
 *
 *   u32 length   little-endian; the bytes after this field (1..ISOLATE_FRAME_MAX)
 *   u8  type     an isolate_type; any other value is a malformed frame
 *   u64 id       little-endian; the op, timer, request or call it is about
 *   u32 json_len little-endian; 0, or the length of the object that follows
 *   ... json     json_len bytes, one object in value.h's binary form (no
 *                trailing bytes, no NUL in a string)
 *   ... blob     the rest: raw bytes (a webhook's or an HTTP body), only
 *                for the types that carry one
 *
 * The structured part has JSON's data model (both ends hand jansson
 * values around) in a binary form (value.h): JSON text cost a dump in the
 * child and a parse in the core for every emitted event. Bodies travel as
 * raw bytes so signatures are verified over exactly what arrived. Both sides
 * treat the other as untrusted: isolate_decode() checks every length
 * against what was received before reading, and a malformed frame ends
 * the connection (the core then kills and restarts the child).
 */
#ifndef GW_ISOLATE_WIRE_H
#define GW_ISOLATE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The largest frame either side accepts: the HTTP client's and the
 * webhook server's body limits stay well below it. */
#define ISOLATE_FRAME_MAX (16u * 1024u * 1024u)
/* Bytes before the payload: length and type. */
#define ISOLATE_HEADER_LEN 5u
/* Bytes of every payload before the JSON: id and json_len. */
#define ISOLATE_FIXED_LEN 12u

typedef enum isolate_type {
    /* core -> plugin host */
    ISOLATE_T_INIT = 1,          /* json: {"account", "config"}; create the instance */
    ISOLATE_T_FETCH = 2,         /* id: op */
    ISOLATE_T_WEBHOOK = 3,       /* id: op; json: method, query, headers; blob: body */
    ISOLATE_T_POST_PUBLIC = 4,   /* id: op; json: the gw_action's strings */
    ISOLATE_T_SEND_PRIVATE = 5,  /* id: op; json: the gw_action's strings */
    ISOLATE_T_HTTP_RESPONSE = 6, /* id: request; json: status, headers, ...; blob: body */
    ISOLATE_T_KV_VALUE = 7,      /* id: call; json: {"rc", "value"} */
    ISOLATE_T_PING = 8,          /* id: sequence; answered with PONG */
    ISOLATE_T_SHUTDOWN = 9,      /* destroy the instance and exit 0 */
    /* plugin host -> core. Timers and clocks stay in the child: they
     * need nothing of the core, and a callback that never returns shows
     * as PINGs left unanswered. */
    ISOLATE_T_READY = 32,        /* json: {"rc", "message", "keep", "reason"}: create() returned */
    ISOLATE_T_LOG = 33,          /* json: {"level", "message"} */
    ISOLATE_T_EMIT = 34,         /* json: the event itself */
    ISOLATE_T_KV_GET = 35,       /* id: call; json: {"key"}; answered with KV_VALUE */
    ISOLATE_T_KV_SET = 36,       /* json: {"key", "value"} */
    ISOLATE_T_COMPLETE = 37,     /* id: op; json: outcome, delay_ms, message, result */
    ISOLATE_T_HTTP_REQUEST = 38, /* id: request; json: method, url, headers, ...; blob: body */
    ISOLATE_T_CREDENTIALS_FAILED = 39, /* json: {"reason"} */
    ISOLATE_T_METRIC_SET = 40,   /* json: {"name", "help", "value"} */
    ISOLATE_T_PONG = 41          /* id: the PING's sequence */
} isolate_type;

/* One decoded frame. */
typedef struct isolate_msg {
    isolate_type type;
    uint64_t id;
    json_t *json;        /* owned: a JSON object, or NULL when json_len was 0 */
    const uint8_t *blob; /* borrowed from the decoded buffer; NULL when empty */
    size_t blob_len;
} isolate_msg;

/* A growable byte buffer frames are appended to. Zero-initialise it. */
typedef struct isolate_buf {
    uint8_t *data; /* owned */
    size_t len, cap;
} isolate_buf;

/* isolate_type_name - a short name for logs ("fetch", "emit", ...), or
 * NULL for a value that is not an isolate_type. Ownership: a literal. */
const char *isolate_type_name(int type);

/* isolate_decode - read one frame from the start of buf[0..len).
 * Returns 0 with *msg filled and *used set to the frame's size; GW_EBUSY
 * when buf holds less than one whole frame (read more, nothing filled);
 * GW_ERANGE for a length of 0 or over ISOLATE_FRAME_MAX; GW_EINVAL for an
 * unknown type, a json_len past the frame, a blob on a type that carries
 * none; GW_EPARSE for a value that is not exactly one well-formed object
 * (value.h); GW_ENOMEM. On every error
 * err says why and *msg is empty. Ownership: the caller frees msg->json
 * with isolate_msg_clear(); msg->blob points into buf. */
int isolate_decode(const uint8_t *buf, size_t len, isolate_msg *msg, size_t *used,
                   char *err, size_t errlen);

/* isolate_msg_clear - release msg->json and empty the message. */
void isolate_msg_clear(isolate_msg *msg);

/* isolate_encode - append one frame to out. json (borrowed, may be NULL)
 * must be an object; blob (borrowed) only for the types that carry one.
 * Returns 0, GW_EINVAL (unknown type, json not an object, blob on a type
 * without one), GW_ERANGE (over ISOLATE_FRAME_MAX) or GW_ENOMEM; out is
 * unchanged on error. */
int isolate_encode(isolate_buf *out, isolate_type type, uint64_t id, const json_t *json,
                   const void *blob, size_t blob_len);

/* isolate_buf_reserve - make room for extra more bytes after len
 * (doubling the capacity, from 256). Returns 0 or GW_ENOMEM (b is then
 * unchanged). */
int isolate_buf_reserve(isolate_buf *b, size_t extra);

/* isolate_buf_consume - drop the first n bytes (n <= len). */
void isolate_buf_consume(isolate_buf *buf, size_t n);

/* isolate_buf_free - release the buffer's memory and empty it. */
void isolate_buf_free(isolate_buf *buf);

struct gw_http_header;

/* isolate_headers_json - [[name, value], ...] for n headers (borrowed;
 * NULL strings become ""). Returns a new array, or NULL without memory. */
json_t *isolate_headers_json(const struct gw_http_header *h, size_t n);

/* isolate_headers_parse - a gw_http_header array over the pairs of a JSON
 * array [[name, value], ...] (strings borrowed from arr; NULL arr is no
 * headers). Returns the count, or -1 for a malformed array or no memory.
 * Caller frees *out. */
long isolate_headers_parse(const json_t *arr, struct gw_http_header **out);

#endif /* GW_ISOLATE_WIRE_H */
