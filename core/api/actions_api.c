/* actions_api.c - handlers of /v1/actions; see actions_api.h.
 *
 * This file is the HTTP edge only: authentication and the response. The
 * request itself (its body, the outbox's verdict, the answer's JSON) is
 * actions_submit.c's, shared with the requests over NATS.
 */
#include "api/actions_api.h"

#include <stdio.h>
#include <string.h>

#include "api/actions_submit.h"
#include "api/api_auth.h"
#include "http/http_server.h"
#include "engine/outbox.h"

#define COMPONENT "api"

/* The answer of actions_submit as the HTTP response. */
static void answer_http(void *arg, int status, const char *json, size_t len, const char *location)
{
    http_exchange *ex = arg;
    gw_http_header header = {"Location", location};
    http_exchange_respond(ex, status, "application/json", json, len, location ? &header : NULL,
                          location ? 1 : 0);
}

/* ---- POST /v1/actions ---------------------------------------------------- */

static void post_action(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    size_t len = 0;
    const unsigned char *raw = http_exchange_body(ex, &len);
    actions_submit(rt, raw, len, NULL, answer_http, ex);
}

/* ---- GET /v1/actions/<id> ------------------------------------------------- */

static int valid_action_id(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return n > 0 && n < 64;
}

static void get_action(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    const char *id = http_exchange_path_tail(ex);
    json_t *doc = NULL;
    int rc = valid_action_id(id) ? outbox_action_get(rt->outbox, id, &doc) : GW_ENOENT;
    if (rc == GW_ENOENT) {
        http_exchange_respond_error(ex, 404, "unknown_action",
                                    "no action with that id (finished actions are deleted "
                                    "after [gateway] action_retention)");
        return;
    }
    if (rc != GW_OK) {
        http_exchange_respond_error(ex, 503, "store_unavailable", "the action could not be read");
        return;
    }
    actions_answer_after_commit(rt, 200, doc, NULL, answer_http, ex);
}

int actions_api_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "POST", "/v1/actions", 0, post_action, rt)) ||
        (rc = http_server_route(rt->server, "GET", "/v1/actions/", 1, get_action, rt)))
        return rc;
    if (rt->outbox == NULL || json_string_value(json_object_get(rt->cfg->api, "token")) == NULL)
        log_warn(&rt->log, COMPONENT,
                 "the action API is disabled: no [api] token configured (/v1/actions answers "
                 "503)");
    return GW_OK;
}
