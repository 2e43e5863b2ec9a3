/* cli_http.h - how the CLI's client commands (cli_actions.c: reply, dm;
 * cli_accounts.c: accounts; cli_deadletter.c: deadletter) talk to the running gateway's API: one
 * blocking libcurl request with the bearer token, and the gateway's
 * address from [http] listen. Fine in the CLI's own short-lived process,
 * never in the daemon's loop. The caller loads libcurl (curl_lib_open).
 */
#ifndef GW_CLI_HTTP_H
#define GW_CLI_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "cli/args.h"
#include "http/curl_lib.h"

/* One request to the API: a POST of body when it is not NULL ("" for an
 * empty one), else a GET. Returns the HTTP status (0 when the gateway
 * could not be reached, with why filled) and sets *doc to the parsed JSON
 * answer or NULL (caller decrefs). */
long cli_api_call(const curl_lib *lib, const char *url, const char *token, const char *body, json_t **doc, char *why,
                  size_t whylen);

/* The same with any method ("DELETE"); body NULL sends none. */
long cli_api_method(const curl_lib *lib, const char *method, const char *url, const char *token, const char *body,
                    json_t **doc, char *why, size_t whylen);

/* Where the gateway is and its token, for the command cmd ("accounts"):
 * --url, else [http] listen; $GATEWAY_API_TOKEN, else [api] token. Returns
 * 0 with *base (no trailing '/') and *token set (caller frees both), or
 * exit code 2 after saying why on stderr. */
int cli_api_locate(const cli_parsed *p, const char *cmd, char **base, char **token);

/* "http://host:port" from [http] listen (a wildcard address becomes
 * loopback); NULL with why filled when it cannot be known. Caller frees. */
char *cli_url_from_listen(const char *listen, char *why, size_t whylen);

#endif /* GW_CLI_HTTP_H */
