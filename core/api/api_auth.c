/* api_auth.c - the bearer token check of the gateway's APIs; see
 * api_auth.h. Without a configured token the APIs are disabled rather
 * than run open.
 */
#include "api/api_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMPONENT "api"

/* Equal strings, in a time that depends on the expected length only, so
 * the answer's timing does not reveal how much of a guess was right. */
static int secret_equal(const char *given, size_t given_len, const char *want, size_t want_len)
{
    volatile unsigned char diff = given_len != want_len;
    for (size_t i = 0; i < want_len; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= g ^ (unsigned char)want[i];
    }
    return diff == 0;
}

static void respond_unauthorized(http_exchange *ex, const char *why)
{
    /* RFC 6750: say which scheme is expected. */
    static const gw_http_header challenge = {"WWW-Authenticate", "Bearer realm=\"gateway\""};
    http_exchange_respond_error_headers(ex, 401, "unauthorized", why, &challenge, 1);
}

int api_authorize(gw_runtime *rt, http_exchange *ex)
{
    const char *token = json_string_value(json_object_get(rt->cfg->api, "token"));
    /* The outbox is opened exactly when a token is configured. */
    if (token == NULL || token[0] == '\0' || rt->outbox == NULL) {
        http_exchange_respond_error(ex, 503, "api_disabled",
                                    "the API is disabled: set [api] token (e.g. token = "
                                    "\"${GATEWAY_API_TOKEN}\") and restart the gateway");
        return 0;
    }
    const char *auth = http_exchange_header(ex, "authorization");
    const char *why = "missing bearer token: send \"Authorization: Bearer <token>\"";
    if (auth != NULL) {
        while (*auth == ' ')
            auth++;
        if (strncasecmp(auth, "Bearer ", 7) == 0) {
            const char *given = auth + 7;
            while (*given == ' ')
                given++;
            size_t len = strlen(given);
            while (len > 0 && given[len - 1] == ' ')
                len--;
            if (secret_equal(given, len, token, strlen(token)))
                return 1;
            why = "invalid bearer token";
        } else {
            why = "the Authorization header must use the Bearer scheme";
        }
    }
    /* Never log what was sent. */
    log_info(&rt->log, COMPONENT, "refused %s %s from %s: %s", http_exchange_method(ex),
             http_exchange_path(ex), http_exchange_remote_addr(ex),
             auth == NULL ? "no token" : "wrong token");
    respond_unauthorized(ex, why);
    return 0;
}
