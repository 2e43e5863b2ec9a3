/* server_parse.h - HTTP/1.1 request framing for the embedded server: where
 * a request head ends, what it says, and the chunked body decoder.
 *
 * Pure functions over bytes: no loop, no sockets, no allocation except the
 * head's field array. The server (server_request.c) feeds them what it
 * read; the fuzz target tests/fuzz/fuzz_http_request.c feeds them anything.
 *
 * What is accepted follows RFC 9112 with its leniencies that real clients
 * need (a bare LF as line end, empty lines before the request line, runs
 * of spaces between the request line's parts) and none that would let a
 * proxy in front of us and this server disagree on where a request ends:
 * a folded header (obs-fold), a NUL or other control byte, a header name
 * that is not a token, or a CR not followed by LF is refused.
 */
#ifndef GW_HTTP_SERVER_PARSE_H
#define GW_HTTP_SERVER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One header line: offsets into the head's bytes. The value has its
 * surrounding spaces and tabs trimmed. */
typedef struct parse_field {
    size_t name_off, name_len;
    size_t value_off, value_len;
} parse_field;

typedef struct parse_head {
    size_t method_off, method_len;
    size_t target_off, target_len;
    int minor;           /* HTTP/1.<minor>: 0 or 1 */
    parse_field *fields; /* owned: free() it; NULL when there are none */
    size_t field_count;
} parse_head;

/* Whether p[0..n) is an RFC 9110 token (a method, a header name): one
 * byte or more of letters, digits and !#$%&'*+-.^_`|~. Also what the
 * server's answers and the HTTP client accept as header names. */
bool parse_is_token(const char *p, size_t n);

/* Whether the string s may be an RFC 9110 field value: no control byte
 * but a tab (CR or LF would smuggle a header in, NUL or the others are
 * refused by the server's parser). What the server's answers and the
 * HTTP client accept as header values. s NULL is false. */
bool parse_is_field_value(const char *s);

/* Skip the empty lines a client may send before a request line (RFC 9112
 * 2.2). Returns how many leading bytes of buf[0..len) are CR LF or LF
 * pairs; a lone trailing CR is left for the next call. */
size_t parse_skip_empty_lines(const char *buf, size_t len);

/* Where the head in buf[0..len) ends: the offset just past its empty line,
 * or 0 when the head is not complete yet. *scan (0 on the first call for a
 * head) remembers how far previous calls looked, so a head that arrives
 * byte by byte is scanned once. */
size_t parse_head_end(const char *buf, size_t len, size_t *scan);

/* Offset just past the request line in buf[0..len), or 0 when no line end
 * has arrived (to tell an over-long request line, 414, from over-long
 * headers, 431). */
size_t parse_request_line_end(const char *buf, size_t len);

/* Parse a complete head (len = parse_head_end's result). Returns 0 and
 * fills *out (free out->fields), or the HTTP status to answer: 400 with
 * *why set to a static reason, or 505 for a version other than 1.0/1.1.
 * Nothing is allocated on failure. -1 when memory runs out. */
int parse_head_read(const char *buf, size_t len, parse_head *out, const char **why);

/* ---- chunked bodies ----------------------------------------------------- */

typedef enum parse_chunk_state {
    CHUNK_SIZE,    /* reading a chunk-size line */
    CHUNK_DATA,    /* `left` data bytes to go */
    CHUNK_DATA_LF, /* the CRLF after a chunk's data */
    CHUNK_TRAILER, /* trailer lines after the last chunk */
    CHUNK_DONE,
    CHUNK_ERROR
} parse_chunk_state;

typedef struct parse_chunked {
    parse_chunk_state state;
    uint64_t left;     /* CHUNK_DATA: bytes of this chunk still to come */
    uint64_t size;     /* CHUNK_SIZE: the size read so far */
    unsigned digits;   /* CHUNK_SIZE: hex digits read */
    bool in_ext;       /* CHUNK_SIZE: past the digits (extensions, spaces) */
    bool cr;           /* a CR was just read; an LF must follow */
    size_t line;       /* bytes of the current size or trailer line */
    size_t trailer;    /* trailer bytes so far */
    size_t max_line;   /* a size line longer than this is an error */
    size_t max_trailer;
    const char *why;   /* CHUNK_ERROR: static reason */
} parse_chunked;

/* A decoder for one body; size lines up to max_line bytes, trailers up to
 * max_trailer bytes in all. */
void parse_chunked_init(parse_chunked *d, size_t max_line, size_t max_trailer);

/* Decode from in[0..len): returns the bytes consumed (<= len). When the
 * step found body data, *data and *data_len point at it (inside in) and
 * the caller takes it before calling again; else *data_len is 0. Stops at
 * CHUNK_DONE (the bytes after the body are left unconsumed) and at
 * CHUNK_ERROR (d->why says what was wrong). */
size_t parse_chunked_step(parse_chunked *d, const char *in, size_t len, const char **data,
                          size_t *data_len);

#endif /* GW_HTTP_SERVER_PARSE_H */
