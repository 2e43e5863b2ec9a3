/* server_request.h - libmicrohttpd's request callbacks for the HTTP
 * server: a request from its request line to its answer.
 *
 * At the request line an exchange is made (raw target kept); when the
 * headers are complete everything that does not need the body is judged
 * (malformed, too large, unknown path or method, shutting down) so a
 * doomed request is answered before its body is read; the body is
 * gathered under the size limit; then the route's handler gets the
 * exchange, and the connection is suspended until it answers. Every
 * callback's cls is the http_server.
 */
#ifndef GW_HTTP_SERVER_REQUEST_H
#define GW_HTTP_SERVER_REQUEST_H

#include <stddef.h>

#include <microhttpd.h>

/* MHD_OPTION_URI_LOG_CALLBACK: the request line is complete; returns the
 * new exchange, MHD's request context (NULL when out of memory). */
void *server_request_on_uri(void *cls, const char *uri, struct MHD_Connection *c);

/* MHD_AccessHandlerCallback: called at headers complete, per body chunk,
 * at body end, and again after each resume until a response is queued. */
enum MHD_Result server_request_on_access(void *cls, struct MHD_Connection *c, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **con_cls);

/* MHD_OPTION_NOTIFY_COMPLETED: the request is over (answered or not);
 * counts its status and lets MHD's hold on the exchange go. */
void server_request_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe);

#endif /* GW_HTTP_SERVER_REQUEST_H */
