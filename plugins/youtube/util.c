/* plugins/youtube/util.c - the small helpers every other file of the
 * plugin uses and which use nothing of it: URLs with encoded query
 * parameters, and reading Google's error bodies (the Data API's
 * {"error": {"errors": [{"reason"}]}} and the token endpoint's
 * {"error": "invalid_grant"}). Kept apart so the files above it call down
 * only (tests/structure/check_layout.py refuses call cycles).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

/* ---- URLs --------------------------------------------------------------- */

void yt_url_start(yt_url *u, const char *base, const char *path)
{
    memset(u, 0, sizeof *u);
    gw_sdk_buf_adds(u, base);
    gw_sdk_buf_adds(u, path);
}

/* ---- answers ------------------------------------------------------------ */

/* Copy text without HTML tags (Google's quota message links its docs). */
static void strip_tags(char *dst, size_t dstlen, const char *src)
{
    size_t n = 0;
    bool in_tag = false;
    for (const char *p = src; *p != '\0' && n + 1 < dstlen; p++) {
        if (*p == '<')
            in_tag = true;
        else if (*p == '>')
            in_tag = false;
        else if (!in_tag)
            dst[n++] = *p;
    }
    dst[n] = '\0';
    /* Never end inside a UTF-8 sequence. */
    while (n > 0 && ((unsigned char)dst[n - 1] & 0xC0) == 0x80)
        n--;
    if (n > 0 && ((unsigned char)dst[n - 1] & 0x80))
        n--;
    if (n < strlen(dst))
        dst[n] = '\0';
}

void yt_error_read(const gw_http_response *resp, char *reason, size_t reasonlen, char *line,
                   size_t linelen)
{
    gw_sdk_str_copy(reason, reasonlen, "");
    if (resp->status == 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "no answer from Google: %.240s",
                 resp->error_message != NULL ? resp->error_message : gw_strerror(resp->error));
        gw_sdk_str_copy(line, linelen, msg);
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const json_t *err = json_object_get(doc, "error");
    const char *why = NULL, *message = NULL;
    if (json_is_object(err)) {
        const json_t *first = json_array_get(json_object_get(err, "errors"), 0);
        why = gw_sdk_json_string(first, "reason", NULL);
        message = gw_sdk_json_string(err, "message", gw_sdk_json_string(first, "message", NULL));
    } else if (json_is_string(err)) {
        /* The token endpoint: {"error": "invalid_grant", "error_description"} */
        why = json_string_value(err);
        message = gw_sdk_json_string(doc, "error_description", NULL);
    }
    if (why != NULL && strspn(why, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") ==
                           strlen(why))
        gw_sdk_str_copy(reason, reasonlen, why);
    else
        why = NULL;
    char text[240] = "";
    if (message != NULL)
        strip_tags(text, sizeof text, message);
    char msg[400];
    if (why != NULL && text[0] != '\0')
        snprintf(msg, sizeof msg, "HTTP %d %s: %s", resp->status, reason, text);
    else if (why != NULL || text[0] != '\0')
        snprintf(msg, sizeof msg, "HTTP %d: %s", resp->status, why != NULL ? reason : text);
    else
        snprintf(msg, sizeof msg, "HTTP %d", resp->status);
    json_decref(doc);
    gw_sdk_str_copy(line, linelen, msg);
}
