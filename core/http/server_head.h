/* server_head.h - NUL bytes hidden in the request head.
 *
 * libmicrohttpd 0.9.75 hands the request line and the headers out as C
 * strings, and its sizes (MHD_get_connection_values_n) are strlen() of
 * them: a NUL byte a client sends ("Authorization: Bearer <token>\0junk",
 * "GET /healthz\0junk HTTP/1.1") silently cuts the value, and the server
 * would act on a prefix of what was sent. The raw head is still in MHD's
 * read buffer, between the method (where it starts) and the request
 * header size MHD reports; this file walks it with the pointers MHD
 * handed out and checks that only MHD's own terminators lie between them.
 */
#ifndef GW_HTTP_SERVER_HEAD_H
#define GW_HTTP_SERVER_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

/* True when the request head of c holds no NUL byte the C strings hide.
 * method and version: as the access handler got them; uri: the address
 * the URI-log callback got (only compared, never read); uri_len: strlen
 * of that URI as it was then. Call at the first access-handler call, when
 * the headers are complete and no body has been read. A head laid out
 * otherwise than MHD 0.9.75 does (also a header folded over lines, which
 * RFC 9112 lets a server refuse) reads as not clean: the server answers
 * 400 rather than guess. */
bool server_head_is_clean(struct MHD_Connection *c, const char *method, uintptr_t uri,
                          size_t uri_len, const char *version);

#endif /* GW_HTTP_SERVER_HEAD_H */
