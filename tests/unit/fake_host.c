/* tests/unit/fake_host.c - the fake gw_host services table shared by the
 * plugin unit tests; see fake_host.h.
 */
#include "fake_host.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/sdk.h"

fake_host *fake_host_of(gw_account *acct)
{
    return (fake_host *)acct;
}

/* Format the line, refuse any secret in it, count warnings, and echo it
 * to stderr when asked to. */
static void fake_log(gw_account *acct, gw_log_level level, const char *fmt, ...)
{
    fake_host *h = fake_host_of(acct);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (const char *const *s = h->secrets; s != NULL && *s != NULL; s++)
        assert_null(strstr(line, *s));
    if (level <= GW_LOG_WARN)
        h->warnings++;
    if (h->verbose_env != NULL && getenv(h->verbose_env) != NULL)
        fprintf(stderr, "[%d] %s\n", (int)level, line);
}

static int fake_emit(gw_account *acct, json_t *event)
{
    fake_host *h = fake_host_of(acct);
    int rc = h->emit_rc;
    if (rc == 0 && h->emit_check != NULL)
        rc = h->emit_check(h, event);
    if (rc != 0) {
        json_decref(event);
        return rc;
    }
    json_array_append_new(h->events, event);
    return 0;
}

static gw_timer *fake_timer_start(gw_account *acct, uint64_t delay_ms, gw_timer_cb cb, void *arg)
{
    fake_host *h = fake_host_of(acct);
    if (h->timers_forbidden != NULL)
        fail_msg("%s", h->timers_forbidden);
    if (h->ntimers == FAKE_HOST_MAX_TIMERS)
        return NULL;
    fake_host_timer *t = &h->timers[h->ntimers++];
    t->delay_ms = delay_ms;
    t->cb = cb;
    t->arg = arg;
    t->active = 1;
    return (gw_timer *)t;
}

static void fake_timer_cancel(gw_timer *timer)
{
    fake_host_timer *t = (fake_host_timer *)timer;
    assert_true(t->active); /* cancelling a dead handle is a plugin bug */
    t->active = 0;
}

static int fake_kv_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    const char *value = fake_host_kv(fake_host_of(acct), key);
    if (value == NULL)
        return GW_ENOENT;
    size_t len = strlen(value);
    if (len + 1 > buflen)
        return GW_ERANGE;
    memcpy(buf, value, len + 1);
    return (int)len;
}

static int fake_kv_set(gw_account *acct, const char *key, const char *value)
{
    return json_object_set_new(fake_host_of(acct)->kv, key, json_string(value)) == 0 ? 0
                                                                                     : GW_ENOMEM;
}

static uint64_t fake_now_ms(gw_account *acct)
{
    return fake_host_of(acct)->now_ms;
}

static uint64_t fake_monotonic_ms(gw_account *acct)
{
    return fake_host_of(acct)->mono_ms;
}

static const json_t *fake_config(gw_account *acct)
{
    return fake_host_of(acct)->config;
}

static const char *fake_account_name(gw_account *acct)
{
    (void)acct;
    return FAKE_HOST_ACCOUNT;
}

static void fake_complete(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                          json_t *result)
{
    fake_host_op *o = (fake_host_op *)op;
    o->completions++;
    o->outcome = outcome;
    o->delay_ms = delay_ms;
    snprintf(o->message, sizeof o->message, "%s", message != NULL ? message : "");
    json_decref(o->result);
    o->result = result;
}

static void fake_credentials_failed(gw_account *acct, const char *reason)
{
    fake_host *h = fake_host_of(acct);
    h->credentials_failed++;
    snprintf(h->credentials_reason, sizeof h->credentials_reason, "%s", reason ? reason : "");
}

/* Every member but http_request, which a test sets when it answers HTTP. */
static const gw_host fake_table = {
    .struct_size = sizeof(gw_host),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .log = fake_log,
    .emit = fake_emit,
    .timer_start = fake_timer_start,
    .timer_cancel = fake_timer_cancel,
    .kv_get = fake_kv_get,
    .kv_set = fake_kv_set,
    .now_ms = fake_now_ms,
    .monotonic_ms = fake_monotonic_ms,
    .config = fake_config,
    .account_name = fake_account_name,
    .complete = fake_complete,
    .credentials_failed = fake_credentials_failed,
};

json_t *fake_host_parse(const char *json)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    if (doc == NULL)
        fail_msg("bad config JSON: %s", jerr.text);
    return doc;
}

void fake_host_init(fake_host *h, const gw_plugin *plugin, json_t *config)
{
    assert_non_null(config);
    memset(h, 0, sizeof *h);
    h->table = fake_table;
    h->plugin = plugin;
    h->config = config;
    h->kv = json_object();
    h->events = json_array();
    h->now_ms = FAKE_HOST_NOW_MS;
    h->mono_ms = FAKE_HOST_MONO_MS;
}

void fake_host_fini(fake_host *h)
{
    json_decref(h->config);
    json_decref(h->kv);
    json_decref(h->events);
    h->config = h->kv = h->events = NULL;
}

fake_host *fake_host_new(const gw_plugin *plugin, json_t *config)
{
    fake_host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    fake_host_init(h, plugin, config);
    return h;
}

void fake_host_free(fake_host *h)
{
    fake_host_fini(h);
    free(h);
}

void fake_host_reconfigure(fake_host *h, json_t *config)
{
    assert_non_null(config);
    json_decref(h->config);
    h->config = config;
}

gw_instance *fake_host_instance_new(fake_host *h)
{
    gw_instance *inst = NULL;
    char err[512] = "";
    int rc = h->plugin->create(&h->table, (gw_account *)h, &inst, err, sizeof err);
    if (rc != 0)
        fail_msg("create failed (%d): %s", rc, err);
    assert_non_null(inst);
    return inst;
}

void fake_host_create_fails(fake_host *h, int code, const char *part, const char *never)
{
    gw_instance *inst = NULL;
    char err[512] = "";
    assert_int_equal(h->plugin->create(&h->table, (gw_account *)h, &inst, err, sizeof err), code);
    assert_null(inst);
    if (strstr(err, part) == NULL)
        fail_msg("error '%s' lacks '%s'", err, part);
    if (never != NULL)
        assert_null(strstr(err, never));
}

void fake_host_op_clear(fake_host_op *op)
{
    json_decref(op->result);
    memset(op, 0, sizeof *op);
}

void fake_host_fire_timer(fake_host *h, size_t index)
{
    assert_true(index < h->ntimers);
    fake_host_timer *t = &h->timers[index];
    assert_true(t->active);
    t->active = 0; /* the handle dies as its callback runs */
    t->cb(t->arg);
}

const char *fake_host_kv(fake_host *h, const char *key)
{
    return gw_sdk_json_string(h->kv, key, NULL);
}

const char *fake_host_event_str(fake_host *h, size_t index, const char *key)
{
    return gw_sdk_json_string(json_array_get(h->events, index), key, NULL);
}

const gw_plugin *fake_host_load_plugin(const char *path, const char *hint, void **handle)
{
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*handle == NULL) {
        fprintf(stderr, "cannot load %s: %s%s%s%s\n", path, dlerror(), hint != NULL ? " (" : "",
                hint != NULL ? hint : "", hint != NULL ? ")" : "");
        return NULL;
    }
    gw_plugin_entry_fn entry;
    *(void **)&entry = dlsym(*handle, GW_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL)
        return NULL;
    return entry();
}
