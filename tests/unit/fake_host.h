/* tests/unit/fake_host.h - a fake gw_host services table for the plugin
 * unit tests (test_mock_plugin, test_twitter_plugin, test_forum_plugin).
 *
 * The tests load a plugin the way the host does (dlopen, RTLD_LOCAL,
 * gw_plugin_entry) and drive it through its ABI with this fake: emitted
 * events are recorded in a JSON array, the key/value store is an
 * in-memory JSON object, the clocks are set by hand, timers only fire
 * when the test fires them, each op (a fake_host_op) records its
 * completion, and every log line is checked for secrets that must never
 * reach a log.
 *
 * The gw_account* handed to the plugin is the fake_host itself, so the
 * callbacks find it with fake_host_of(). A test that needs more (an HTTP
 * responder queue) embeds a fake_host as the FIRST member of its own
 * struct, sets table.http_request, and casts fake_host_of(acct) back to
 * its struct. Test-specific emit behaviour goes in emit_check.
 *
 * Failures are reported with cmocka (assert_*, fail_msg), so these helpers
 * are only for use inside a running cmocka test.
 */
#ifndef TESTS_UNIT_FAKE_HOST_H
#define TESTS_UNIT_FAKE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"

#define FAKE_HOST_NOW_MS UINT64_C(1795168800000) /* 2026-11-20T10:00:00.000Z */
#define FAKE_HOST_MONO_MS UINT64_C(1000)
#define FAKE_HOST_MAX_TIMERS 64
#define FAKE_HOST_ACCOUNT "acme" /* what account_name() answers */

/* One timer_start() call. The handle given to the plugin points here. */
typedef struct fake_host_timer {
    uint64_t delay_ms;
    gw_timer_cb cb;
    void *arg;
    int active; /* started, neither fired nor cancelled */
} fake_host_timer;

/* One hook call; pass (gw_op *)&op to the plugin. Caller-owned storage;
 * release result with fake_host_op_clear(). */
typedef struct fake_host_op {
    int completions;
    gw_outcome outcome;
    uint64_t delay_ms;
    char message[512];
    json_t *result; /* owned once completed */
} fake_host_op;

typedef struct fake_host fake_host;

/* Called by emit() before an event is recorded (event borrowed). Return 0
 * to record it, or a GW_E* code to refuse it (the fake then drops it). It
 * may add fields to the event, or fail the test (releasing the event
 * first: a failed test never returns to emit()). */
typedef int (*fake_host_emit_check)(fake_host *h, json_t *event);

struct fake_host {
    gw_host table;           /* handed to create(); http_request is NULL
                                unless the test sets it */
    const gw_plugin *plugin; /* borrowed: the plugin under test */
    json_t *config;          /* owned: what config() answers */
    json_t *kv;              /* owned: key -> string */
    json_t *events;          /* owned: the events emit() accepted */
    uint64_t now_ms;         /* what now_ms() answers */
    uint64_t mono_ms;        /* what monotonic_ms() answers */
    fake_host_timer timers[FAKE_HOST_MAX_TIMERS];
    size_t ntimers;                  /* timers started so far */
    const char *timers_forbidden;    /* borrowed: when non-NULL, timer_start()
                                        fails the test with this message */
    int emit_rc;                     /* when non-zero, emit() refuses with it */
    fake_host_emit_check emit_check; /* may be NULL */
    const char *const *secrets;      /* borrowed, NULL-terminated: strings no
                                        log line may contain; may be NULL */
    const char *verbose_env;         /* borrowed: when this environment variable
                                        is set, log lines go to stderr; may be NULL */
    int warnings;                    /* log lines at GW_LOG_WARN or worse */
    int credentials_failed;          /* credentials_failed() calls */
    char credentials_reason[256];    /* the last reason given */
};

/* Parse a JSON document (caller owns the result); fails the test when it
 * is malformed. */
json_t *fake_host_parse(const char *json);

/* Initialise caller-owned storage: every gw_host member but http_request,
 * the clocks at FAKE_HOST_NOW_MS / FAKE_HOST_MONO_MS, an empty store.
 * Steals config (a JSON object). Release with fake_host_fini(). */
void fake_host_init(fake_host *h, const gw_plugin *plugin, json_t *config);
/* Release what fake_host_init() allocated; not the storage itself. */
void fake_host_fini(fake_host *h);

/* The same on the heap; release with fake_host_free(). */
fake_host *fake_host_new(const gw_plugin *plugin, json_t *config);
void fake_host_free(fake_host *h);

/* The fake behind the gw_account* the plugin was given. */
fake_host *fake_host_of(gw_account *acct);

/* Replace the options (steals config), keeping the store: the same
 * account restarted with another configuration. */
void fake_host_reconfigure(fake_host *h, json_t *config);

/* create() an instance; fails the test unless it succeeds. */
gw_instance *fake_host_instance_new(fake_host *h);

/* create() expected to fail with `code` and a message containing `part`
 * and, when never is not NULL, not containing `never`. */
void fake_host_create_fails(fake_host *h, int code, const char *part, const char *never);

/* Release op's result and zero it for the next call. */
void fake_host_op_clear(fake_host_op *op);

/* Run timer `index`, which must be active; its handle dies as it runs. */
void fake_host_fire_timer(fake_host *h, size_t index);

/* The stored value of key, or NULL (borrowed from the store). */
const char *fake_host_kv(fake_host *h, const char *key);

/* String member key of recorded event `index`, or NULL (borrowed). */
const char *fake_host_event_str(fake_host *h, size_t index, const char *key);

/* dlopen `path` RTLD_LOCAL and return its descriptor, the handle in
 * *handle (caller dlcloses, or not). On failure print why (with hint,
 * may be NULL) and return NULL. */
const gw_plugin *fake_host_load_plugin(const char *path, const char *hint, void **handle);

#endif /* TESTS_UNIT_FAKE_HOST_H */
