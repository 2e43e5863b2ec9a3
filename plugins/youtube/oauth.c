/* plugins/youtube/oauth.c - the OAuth 2.0 access token: exchanged for the
 * refresh token at token_url (RFC 6749 section 6), kept until shortly
 * before it expires, dropped on a 401, never logged.
 *
 * Refreshing before expiry rather than waiting for the 401 keeps an
 * expired token from reaching the network at all. A token revoked early
 * still meets a 401: the first one on a request is marked handles_401, so
 * the host raises no alert while request.c refreshes and sends once more;
 * a second 401 is reported by the host as usual. The margin is a minute, or
 * a fifth of the token's life when that is shorter (tests use tokens that
 * live seconds). One refresh runs at a time; requests that need a token
 * meanwhile wait in request.c and are released through inst->token_ready
 * (a pointer, so this file does not call back up into request.c).
 *
 * A refused refresh (invalid_grant: the refresh token was revoked or
 * expired; invalid_client: the client id or secret is wrong) will not
 * heal by retrying: it is reported with host->credentials_failed, so the
 * account's credentials alert fires even though no 401 was seen, and the
 * waiting requests fail FATAL. Anything else (5xx, no answer) is
 * transient.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

#define MARGIN_MS 60000

static void token_drop(gw_instance *inst)
{
    if (inst->access_token != NULL) {
        memset(inst->access_token, 0, strlen(inst->access_token));
        free(inst->access_token);
        inst->access_token = NULL;
    }
    inst->token_expiry_ms = 0;
}

/* application/x-www-form-urlencoded: name=value&... (caller frees). */
static char *form_body(const yt_options *opt)
{
    yt_url u;
    yt_url_start(&u, "", "");
    gw_sdk_buf_url_param(&u, "grant_type", "refresh_token");
    gw_sdk_buf_url_param(&u, "client_id", opt->client_id);
    gw_sdk_buf_url_param(&u, "client_secret", opt->client_secret);
    gw_sdk_buf_url_param(&u, "refresh_token", opt->refresh_token);
    char *s = gw_sdk_buf_take(&u);
    if (s == NULL)
        return NULL;
    memmove(s, s + 1, strlen(s)); /* the leading '?' */
    return s;
}

static void on_token(void *arg, const gw_http_response *resp)
{
    gw_instance *inst = arg;
    inst->refreshing = false;
    if (resp->status == 200) {
        json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
        const char *token = gw_sdk_json_string(doc, "access_token", NULL);
        json_int_t life = gw_sdk_json_int(doc, "expires_in", 3600);
        if (token != NULL && token[0] != '\0' && strlen(token) < 4096 &&
            strpbrk(token, " \r\n\t") == NULL) {
            token_drop(inst);
            inst->access_token = gw_sdk_str_dup(token);
            uint64_t life_ms = life > 0 ? (uint64_t)life * 1000 : 0;
            uint64_t margin = life_ms / 5 < MARGIN_MS ? life_ms / 5 : MARGIN_MS;
            inst->token_expiry_ms = inst->host->monotonic_ms(inst->acct) + life_ms - margin;
        }
        json_decref(doc);
        if (inst->access_token == NULL) {
            inst->token_ready(inst, GW_EBUSY,
                                   "youtube: the token endpoint answered 200 without a usable "
                                   "access_token");
            return;
        }
        inst->host->log(inst->acct, GW_LOG_INFO, "youtube: access token refreshed (valid %llds)",
                        (long long)life);
        inst->token_ready(inst, 0, NULL);
        return;
    }
    char reason[64], line[400], msg[512];
    yt_error_read(resp, reason, sizeof reason, line, sizeof line);
    bool refused = strcmp(reason, "invalid_grant") == 0 || strcmp(reason, "invalid_client") == 0 ||
                   strcmp(reason, "unauthorized_client") == 0;
    snprintf(msg, sizeof msg, "youtube: the OAuth 2.0 token refresh %s: %s",
             refused ? "was refused" : "failed", line);
    if (refused) {
        char why[200];
        snprintf(why, sizeof why,
                 "Google refused the OAuth 2.0 refresh token (%s); authorise the channel again "
                 "and set a new refresh_token",
                 reason);
        if (GW_HOST_HAS(inst->host, credentials_failed))
            inst->host->credentials_failed(inst->acct, why);
        inst->token_ready(inst, GW_EINVAL, msg);
        return;
    }
    inst->token_ready(inst, GW_EBUSY, msg);
}

const char *yt_oauth_token(gw_instance *inst, bool force)
{
    if (force)
        token_drop(inst);
    uint64_t now = inst->host->monotonic_ms(inst->acct);
    if (inst->access_token != NULL && now < inst->token_expiry_ms)
        return inst->access_token;
    if (inst->refreshing)
        return NULL;
    token_drop(inst);
    char *body = form_body(&inst->opt);
    if (body == NULL)
        return NULL;
    gw_http_header headers[2] = {
        {"content-type", "application/x-www-form-urlencoded"},
        {"accept", "application/json"},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = "POST",
        .url = inst->opt.token_url,
        .headers = headers,
        .header_count = 2,
        .body = (const unsigned char *)body,
        .body_len = strlen(body),
    };
    int rc = inst->host->http_request(inst->acct, &req, on_token, inst);
    memset(body, 0, strlen(body));
    free(body);
    if (rc < 0) {
        inst->host->log(inst->acct, GW_LOG_WARN, "youtube: cannot request an access token: %s",
                        gw_strerror(rc));
        return NULL;
    }
    inst->refreshing = true;
    return NULL;
}

void yt_oauth_forget(gw_instance *inst)
{
    token_drop(inst);
}
