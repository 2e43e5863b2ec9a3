/* webhook_driver.c - the shared body of the webhook fuzz targets; see
 * webhook_driver.h for the input format and the checks.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, linked with the core) it gets
 * a main that runs every file named or found under the directories given
 * (tests/fuzz/corpus/<target>/), so ctest replays the corpus as a
 * regression pass.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sdk.h"
#include "webhook_driver.h"
#include "webhook_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 16

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The answer promised by the ABI (plugin.h, complete()). */
static void check_answer(const webhook_host *h, const json_t *result)
{
    check(json_is_object(result));
    json_int_t status = json_integer_value(json_object_get(result, "status"));
    check(json_is_integer(json_object_get(result, "status")) && status >= 100 && status <= 599);
    const char *type = json_string_value(json_object_get(result, "content_type"));
    const char *body = json_string_value(json_object_get(result, "body"));
    check(type != NULL && body != NULL);
    webhook_host_check_secrets(h, body, strlen(body));
    if (strcmp(type, "application/json") != 0)
        return;
    json_t *doc = json_loads(body, 0, NULL);
    check(json_is_object(doc));
    if (status >= 400)
        check(json_is_string(json_object_get(doc, "error")) &&
              json_is_string(json_object_get(doc, "message")));
    json_decref(doc);
}

void webhook_sign_hex(const char *secret, const char *header_name, const char *prefix,
                      const unsigned char *body, size_t len, char *name, char *value)
{
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char hex[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_hmac_sha256(secret, strlen(secret), body, len, mac);
    gw_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
    snprintf(name, 64, "%s", header_name);
    snprintf(value, 256, "%s%s", prefix, hex);
}

void webhook_sign_base64(const char *secret, const char *header_name, const char *prefix,
                         const unsigned char *body, size_t len, char *name, char *value)
{
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char b64[GW_SDK_BASE64_SIZE(GW_SDK_SHA256_SIZE)];
    gw_sdk_hmac_sha256(secret, strlen(secret), body, len, mac);
    gw_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
    snprintf(name, 64, "%s", header_name);
    snprintf(value, 256, "%s%s", prefix, b64);
}

/* The next line of text[*at..len) (without its '\n', NUL-terminated in
 * place); NULL at the end. */
static char *next_line(char *text, size_t len, size_t *at)
{
    if (*at >= len)
        return NULL;
    char *line = text + *at;
    char *nl = memchr(line, '\n', len - *at);
    size_t n = nl != NULL ? (size_t)(nl - line) : len - *at;
    line[n] = '\0';
    *at += n + 1;
    return line;
}

/* True when the input itself spells one of t's secrets, plainly or
 * %-encoded: a plugin may echo what it was sent (Facebook's challenge),
 * and that is no leak. */
static bool input_has_secret(const webhook_target *t, const uint8_t *data, size_t size)
{
    char *plain = malloc(size + 1);
    check(plain != NULL);
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        int h = i + 2 < size ? gw_sdk_hex_value((char)data[i + 1]) : -1;
        int l = i + 2 < size ? gw_sdk_hex_value((char)data[i + 2]) : -1;
        if (data[i] == '%' && h >= 0 && l >= 0) {
            plain[n++] = (char)(h * 16 + l);
            i += 2;
        } else {
            plain[n++] = (char)data[i];
        }
    }
    bool found = false;
    for (const char *const *s = t->secrets; !found && s != NULL && *s != NULL; s++) {
        size_t len = strlen(*s);
        for (size_t i = 0; !found && i + len <= n; i++)
            found = memcmp(plain + i, *s, len) == 0;
    }
    free(plain);
    return found;
}

/* Inputs one plugin instance serves before it is destroyed and created
 * again. Creating one per input spent most of each execution in the
 * instance's allocation and its page faults (forum's is large), which kept
 * the webhook targets at a few thousand executions a second; reusing it
 * also fuzzes what one input leaves behind for the next (the seen-id
 * rings, kv cursors), as on a real account. Recreating it now and then
 * keeps create() and destroy() fuzzed and the state bounded. */
#define INSTANCE_USES 4096

typedef struct driver_state {
    webhook_host h;
    gw_instance *inst;
    unsigned uses;
} driver_state;

/* The instance for the next input, created when there is none or it has
 * served INSTANCE_USES inputs. Borrowed: the state is the process's. */
static driver_state *instance_for(const webhook_target *t)
{
    static driver_state st;
    const gw_plugin *plugin = gw_plugin_entry();
    if (st.inst != NULL && st.uses < INSTANCE_USES)
        return &st;
    if (st.inst != NULL) {
        plugin->destroy(st.inst);
        webhook_host_fini(&st.h);
    }
    webhook_host_init(&st.h, json_loads(t->config, 0, NULL), t->secrets);
    char err[256];
    st.inst = NULL;
    st.uses = 0;
    check(plugin->create(&st.h.table, (gw_account *)&st.h, &st.inst, err, sizeof err) == 0);
    return &st;
}

/* Run the plugin's webhook hook on one request. secrets (NULL when the
 * input spells one itself) are what logs and answers must not contain. */
static void run(const webhook_target *t, const char *const *secrets, const char *method,
                const char *query, const gw_http_header *headers, size_t nheaders,
                const unsigned char *body, size_t body_len)
{
    const gw_plugin *plugin = gw_plugin_entry();
    driver_state *st = instance_for(t);
    st->uses++;
    st->h.secrets = secrets;
    gw_webhook_request req = {sizeof req, method, query, headers, nheaders, body, body_len};
    webhook_host_op op = {0};
    plugin->webhook(st->inst, (gw_op *)&op, &req);
    check(op.completions == 1 && op.outcome == GW_OUTCOME_OK);
    check_answer(&st->h, op.result);
    json_decref(op.result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PUT", ""};
    const webhook_target *t = &WEBHOOK_TARGET;
    if (size < 1)
        return 0;
    int flags = data[0];
    /* The head (query and headers) as text to cut in place; the body
     * copied to exactly its length, so reading past it is caught. */
    char *text = malloc(size);
    check(text != NULL);
    memcpy(text, data + 1, size - 1);
    size_t len = size - 1, at = 0;
    char *line = next_line(text, len, &at);
    const char *raw_query = line != NULL ? line : "";
    gw_http_header headers[MAX_HEADERS + 1];
    size_t nheaders = 0;
    while ((line = next_line(text, len, &at)) != NULL && line[0] != '\0') {
        char *colon = strchr(line, ':');
        if (colon == NULL || nheaders == MAX_HEADERS)
            continue;
        *colon = '\0';
        for (char *p = line; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        const char *value = colon + 1;
        value += strspn(value, " \t");
        headers[nheaders++] = (gw_http_header){line, value};
    }
    size_t body_len = at < len ? len - at : 0;
    unsigned char *body = malloc(body_len > 0 ? body_len : 1);
    check(body != NULL);
    memcpy(body, data + 1 + (len - body_len), body_len);

    char name[64], value[256];
    if ((flags & 4) && t->sign != NULL) {
        t->sign(body, body_len, name, value);
        headers[nheaders++] = (gw_http_header){name, value};
    }
    size_t qlen = strlen(t->token_query) + strlen(raw_query) + 1;
    char *query = malloc(qlen);
    check(query != NULL);
    snprintf(query, qlen, "%s%s", (flags & 8) ? t->token_query : "", raw_query);

    run(t, input_has_secret(t, data, size) ? NULL : t->secrets, methods[flags & 3], query, headers,
        nheaders, body, body_len);
    free(query);
    free(body);
    free(text);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_main(argc, argv);
}
#endif
