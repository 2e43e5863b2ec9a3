/* client_setup.h - turning a plugin's gw_http_request into a curl easy
 * handle: what is refused (methods, URL schemes, header names and values
 * that could smuggle headers), the header lines sent, and the curl options
 * every request gets (TLS always verified, http/https only, no https ->
 * http redirects, the size cap, the timeout, the User-Agent).
 */
#ifndef GW_HTTP_CLIENT_SETUP_H
#define GW_HTTP_CLIENT_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include "http/client_state.h"

/* Check req for c. Returns 0 with *method (a static string), *https and
 * *timeout_ms (per attempt, the client's default when req gives none), or
 * GW_EINVAL for a malformed request. */
int client_setup_check(const http_client *c, const gw_http_request *req, const char **method,
                       bool *https, uint64_t *timeout_ms);

/* Build r's header list and easy handle from req (checked), with r's
 * method, body copy, timeout and response buffer already set. Returns 0,
 * GW_EINVAL (a bad header, or curl refused an option) or GW_ENOMEM; on
 * failure r->req_headers and r->easy may be set: the caller frees them. */
int client_setup_transfer(http_client *c, http_req *r, const gw_http_request *req, bool https);

#endif /* GW_HTTP_CLIENT_SETUP_H */
