/* webhook_host.c - the fuzz targets' gw_host; see webhook_host.h. */
#include "webhook_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GW_FUZZ_REPLAY
#include "engine/pipeline.h"
#endif

/* The gw_account* handed to the plugin is the host itself. */
static webhook_host *host_of(gw_account *acct)
{
    return (webhook_host *)acct;
}

void webhook_host_check_secrets(const webhook_host *h, const char *text, size_t len)
{
    for (const char *const *s = h->secrets; s != NULL && *s != NULL; s++) {
        size_t n = strlen(*s);
        for (size_t i = 0; n > 0 && i + n <= len; i++)
            if (memcmp(text + i, *s, n) == 0)
                abort();
    }
}

/* Formats every line, so a format that does not match its arguments is
 * caught by the sanitizers, and refuses any secret in it. */
static void host_log(gw_account *acct, gw_log_level level, const char *fmt, ...) GW_PRINTF(3, 4);
static void host_log(gw_account *acct, gw_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    (void)level;
    if (n < 0)
        abort();
    webhook_host_check_secrets(host_of(acct), line, strlen(line));
}

static int host_emit(gw_account *acct, json_t *event)
{
    webhook_host *h = host_of(acct);
    if (!json_is_object(event) || !json_is_string(json_object_get(event, "type")) ||
        !json_is_string(json_object_get(event, "native_id")) ||
        !json_is_string(json_object_get(event, "visibility")))
        abort();
#ifdef GW_FUZZ_REPLAY
    char err[256];
    if (pipeline_validate(event, err, sizeof err) != 0)
        abort();
#endif
    json_decref(event);
    h->emitted++;
    return 0;
}

static gw_timer *host_timer_start(gw_account *acct, uint64_t delay_ms, gw_timer_cb cb, void *arg)
{
    webhook_host *h = host_of(acct);
    (void)delay_ms;
    (void)cb;
    (void)arg;
    if (h->ntimers == WEBHOOK_HOST_MAX_TIMERS)
        return NULL;
    h->timers[h->ntimers] = 1;
    return (gw_timer *)&h->timers[h->ntimers++];
}

static void host_timer_cancel(gw_timer *timer)
{
    *(int *)timer = 0;
}

static int host_kv_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    const char *value = json_string_value(json_object_get(host_of(acct)->kv, key));
    if (value == NULL)
        return GW_ENOENT;
    size_t len = strlen(value);
    if (len + 1 > buflen)
        return GW_ERANGE;
    memcpy(buf, value, len + 1);
    return (int)len;
}

static int host_kv_set(gw_account *acct, const char *key, const char *value)
{
    return json_object_set_new(host_of(acct)->kv, key, json_string(value)) == 0 ? 0 : GW_ENOMEM;
}

static uint64_t host_now_ms(gw_account *acct)
{
    (void)acct;
    return UINT64_C(1795168800000); /* 2026-11-20T10:00:00.000Z */
}

static uint64_t host_monotonic_ms(gw_account *acct)
{
    (void)acct;
    return 1000;
}

static const json_t *host_config(gw_account *acct)
{
    return host_of(acct)->config;
}

static const char *host_account_name(gw_account *acct)
{
    (void)acct;
    return "acme";
}

static void host_complete(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                          json_t *result)
{
    webhook_host_op *o = (webhook_host_op *)op;
    (void)delay_ms;
    (void)message;
    if (o->completions++ != 0) /* exactly once per op */
        abort();
    o->outcome = outcome;
    o->result = result;
}

static int host_http_request(gw_account *acct, const gw_http_request *request, gw_http_cb cb,
                             void *arg)
{
    (void)acct;
    (void)cb;
    (void)arg;
    if (request == NULL || request->url == NULL || request->method == NULL)
        abort();
    return GW_EIO;
}

static void host_credentials_failed(gw_account *acct, const char *reason)
{
    webhook_host_check_secrets(host_of(acct), reason, strlen(reason));
}

static int host_metric_set(gw_account *acct, const char *name, const char *help, double value)
{
    (void)acct;
    (void)name;
    (void)help;
    (void)value;
    return 0;
}

static int host_narrow(gw_account *acct, uint32_t keep, const char *reason)
{
    (void)acct;
    (void)keep;
    (void)reason;
    return 0;
}

static const gw_host host_table = {
    .struct_size = sizeof(gw_host),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .log = host_log,
    .emit = host_emit,
    .timer_start = host_timer_start,
    .timer_cancel = host_timer_cancel,
    .kv_get = host_kv_get,
    .kv_set = host_kv_set,
    .now_ms = host_now_ms,
    .monotonic_ms = host_monotonic_ms,
    .config = host_config,
    .account_name = host_account_name,
    .complete = host_complete,
    .http_request = host_http_request,
    .credentials_failed = host_credentials_failed,
    .metric_set = host_metric_set,
    .narrow_capabilities = host_narrow,
};

void webhook_host_init(webhook_host *h, json_t *config, const char *const *secrets)
{
    memset(h, 0, sizeof *h);
    h->table = host_table;
    h->config = config;
    h->kv = json_object();
    h->secrets = secrets;
    if (h->config == NULL || h->kv == NULL)
        abort();
}

void webhook_host_fini(webhook_host *h)
{
    json_decref(h->config);
    json_decref(h->kv);
}
