/* cli_http.h - how the CLI's client commands (cli_actions.c: reply, dm;
 * cli_accounts.c: accounts) talk to the running gateway's API: one
 * blocking libcurl request with the bearer token, and the gateway's
 * address from [http] listen. Fine in the CLI's own short-lived process,
 * never in the daemon's loop. The caller runs curl_global_init first.
 */
#ifndef GW_CLI_HTTP_H
#define GW_CLI_HTTP_H

#include <stddef.h>

#include <jansson.h>

/* One request to the API: a POST of body when it is not NULL ("" for an
 * empty one), else a GET. Returns the HTTP status (0 when the gateway
 * could not be reached, with why filled) and sets *doc to the parsed JSON
 * answer or NULL (caller decrefs). */
long cli_api_call(const char *url, const char *token, const char *body, json_t **doc, char *why,
                  size_t whylen);

/* "http://host:port" from [http] listen (a wildcard address becomes
 * loopback); NULL with why filled when it cannot be known. Caller frees. */
char *cli_url_from_listen(const char *listen, char *why, size_t whylen);

#endif /* GW_CLI_HTTP_H */
