/* gateway/plugin.h - the plugin ABI of the social connector gateway.
 *
 * A plugin is a shared object built with hidden visibility that exports one
 * symbol, gw_plugin_entry(), returning a constant descriptor. The host loads
 * it RTLD_LOCAL and reaches it only through that descriptor; the plugin
 * reaches the host only through the gw_host services table it is handed at
 * instance creation. A plugin links libc, jansson and the SDK helpers only:
 * it never sees libuv or curl, so it cannot block the event loop.
 *
 * Versioning, and the compatibility promise. A plugin built against
 * any 1.x header loads and runs, unchanged and without rebuilding, in
 * every gateway 1.y with y >= x (CI builds plugins against the released
 * 1.0 and 1.1 headers, kept in tests/abi/, and runs them in the current
 * gateway). What keeps that true:
 *   - a minor version (GW_ABI_MINOR) may only append: new members at the
 *     end of a struct, new host functions at the end of gw_host, new
 *     enum values and flags that an older side never receives unasked, new
 *     optional hooks at the end of gw_plugin that the host treats as
 *     absent when the plugin's struct_size does not cover them;
 *   - a minor never changes the meaning, type, position or ownership of
 *     an existing member, never makes an optional hook required, and never
 *     removes anything;
 *   - only a major version (GW_ABI_MAJOR) may do those things, and the
 *     host refuses a plugin whose major differs from its own.
 * Every struct that crosses the boundary starts with its own size, so each
 * side reads only the members the other side's size covers:
 *   - the host refuses a plugin whose minor is newer than its own;
 *   - a plugin tests GW_HOST_HAS(host, member) before calling a host
 *     function added after the minor it was built against.
 *
 * Threading. Every hook and every host function runs on the host's single
 * loop thread. Hooks must start their work and return at once; they report
 * their outcome later, exactly once, with host->complete().
 *
 * Ownership. Each member says who owns what crosses it: "borrowed" (valid
 * for the duration of the call only, do not free), "steals" (the callee
 * takes the reference), "caller frees" (the caller owns the result).
 */
#ifndef GATEWAY_PLUGIN_H
#define GATEWAY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1.0: descriptor, host table through http_request, gw_option flags
 * through GW_OPTF_PATH.
 * 1.1: gw_plugin.max_text_length (appended).
 * 1.2: gw_plugin.validate (appended).
 * 1.3: gw_http_request.rate_class and .handles_401,
 *      gw_http_response.not_sent, gw_host.metric_set,
 *      gw_host.narrow_capabilities, gw_plugin.check_action (appended). */
#define GW_ABI_MAJOR 1
#define GW_ABI_MINOR 3

/* The name of the one symbol a plugin exports. */
#define GW_PLUGIN_ENTRY_SYMBOL "gw_plugin_entry"

#if defined(__GNUC__)
#define GW_PLUGIN_EXPORT __attribute__((visibility("default")))
#define GW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GW_PLUGIN_EXPORT
#define GW_PRINTF(fmt, args)
#endif

/* True when a struct whose first member is struct_size covers `member`. */
#define GW_HAS_MEMBER(ptr, type, member)                                      \
    ((ptr)->struct_size >= offsetof(type, member) + sizeof((ptr)->member))
#define GW_HOST_HAS(host, member) GW_HAS_MEMBER(host, gw_host, member)

/* What a plugin can do. A capability bit promises the matching hook. */
enum gw_capability {
    GW_CAP_FETCH = 1u << 0,        /* fetch(): poll for new items */
    GW_CAP_POST_PUBLIC = 1u << 1,  /* post_public(): reply in the thread */
    GW_CAP_SEND_PRIVATE = 1u << 2, /* send_private(): direct message */
    GW_CAP_WEBHOOK = 1u << 3       /* webhook(): handle pushed deliveries */
};

/* How a hook ended. The host owns the policy that follows. */
typedef enum gw_outcome {
    GW_OUTCOME_OK = 0,          /* done */
    GW_OUTCOME_RETRY = 1,       /* transient: try again after delay_ms */
    GW_OUTCOME_FATAL = 2,       /* failed; retrying now will not help */
    GW_OUTCOME_UNSUPPORTED = 3  /* the network cannot do this at all */
} gw_outcome;

typedef enum gw_log_level {
    GW_LOG_ERROR = 0,
    GW_LOG_WARN = 1,
    GW_LOG_INFO = 2,
    GW_LOG_DEBUG = 3
} gw_log_level;

/* ------------------------------------------------------------------------
 * Declared configuration. Each plugin declares the keys of its
 * [account.options] table; the host validates the user's file against the
 * declaration (naming file:line:column on error), fills defaults, and
 * generates docs/configuration.md from it.
 */
typedef enum gw_option_type {
    GW_OPT_STRING = 1,       /* TOML string; ${ENV} is expanded */
    GW_OPT_INT = 2,          /* TOML integer (int64) */
    GW_OPT_FLOAT = 3,        /* TOML float or integer */
    GW_OPT_BOOL = 4,         /* TOML boolean */
    GW_OPT_DURATION = 5,     /* "500ms", "30s", "5m", "2h", "1d"; given to the plugin in ms */
    GW_OPT_SIZE = 6,         /* "512B", "64KB", "10MB", "1GB" (powers of 1024); given in bytes */
    GW_OPT_STRING_ARRAY = 7  /* TOML array of strings */
} gw_option_type;

enum gw_option_flag {
    GW_OPTF_REQUIRED = 1u << 0, /* the key must be present */
    GW_OPTF_BOUNDED = 1u << 1,  /* min/max apply (INT, FLOAT, DURATION, SIZE) */
    GW_OPTF_SECRET = 1u << 2,   /* never logged or echoed back in errors */
    GW_OPTF_PATH = 1u << 3      /* STRING: a file path; a relative one is
                                   resolved against the directory of the
                                   configuration file */
};

typedef struct gw_option {
    const char *name;          /* key name; NULL ends the array */
    gw_option_type type;
    uint32_t flags;            /* gw_option_flag bits */
    const char *default_value; /* the default as a user would write it
                                  ("5", "5s", "true", "info"; a STRING_ARRAY
                                  as "a,b"); NULL = none */
    const char *allowed;       /* STRING and STRING_ARRAY items: "a|b|c",
                                  or NULL for any */
    double min, max;           /* with GW_OPTF_BOUNDED, inclusive, in the
                                  unit given to the plugin (ms, bytes) */
    const char *help;          /* one line, for errors and generated docs */
} gw_option;

/* ------------------------------------------------------------------------
 * Opaque handles. The host owns all of them.
 */
typedef struct gw_account gw_account; /* one configured account */
typedef struct gw_op gw_op;           /* one hook call awaiting complete() */
typedef struct gw_timer gw_timer;     /* a one-shot timer */
typedef struct gw_instance gw_instance; /* the plugin's per-account state,
                                           defined by the plugin */

/* An agent's answer, handed to post_public and send_private. Every string
 * is borrowed for the duration of the hook call; copy what you keep. */
typedef struct gw_action {
    size_t struct_size;
    const char *action_id;        /* the host's id for this action */
    const char *idempotency_key;  /* the help desk's key, may be NULL */
    const char *text;             /* UTF-8 body to send */
    const char *in_reply_to;      /* native id of the item answered, or NULL */
    const char *thread_id;        /* native thread id, or NULL */
    const char *to;               /* native recipient id (private), or NULL */
    const json_t *in_reply_to_event; /* borrowed: the stored event answered,
                                        or NULL */
} gw_action;

/* A raw HTTP request routed to a plugin's webhook hook. The body is the
 * exact bytes received so signatures can be verified over them. All
 * pointers are borrowed for the duration of the hook call. */
typedef struct gw_http_header {
    const char *name;  /* lower-cased */
    const char *value;
} gw_http_header;

typedef struct gw_webhook_request {
    size_t struct_size;
    const char *method;            /* "GET" or "POST" */
    const char *query;             /* raw query string without '?', or "" */
    const gw_http_header *headers;
    size_t header_count;
    const unsigned char *body;
    size_t body_len;
} gw_webhook_request;

/* An outgoing HTTP request through the host's client (curl multi on the
 * host's loop). Everything is borrowed for the duration of the
 * http_request() call; the host copies what it keeps. */
typedef struct gw_http_request {
    size_t struct_size;
    const char *method;             /* "GET", "POST", "PUT", "DELETE" */
    const char *url;                /* absolute http:// or https:// URL */
    const gw_http_header *headers;  /* extra request headers */
    size_t header_count;
    const unsigned char *body;      /* request body, may be NULL */
    size_t body_len;
    uint64_t timeout_ms;            /* whole-request timeout; 0 = host default */
    /* ABI 1.3 (appended; the host reads NULL from an older plugin, whose
     * struct_size does not reach it). The rate-limit window this request
     * counts against, for networks that limit each endpoint separately
     * (X: "mentions", "search", "dm_read", "dm_write", "post"): the host
     * holds it back only while that class, or the whole account, is
     * blocked, and its answer's per-endpoint headers block only that
     * class. NULL, "" or "default": the account's one budget, right for
     * networks whose limits are per app, page, key or user. A name is 1-32
     * characters of a-z, 0-9, '_', '.', '-'; an account keeps at most 16
     * classes; a malformed name or one over the bound falls back to the
     * account's budget (logged once). Borrowed, like the rest. */
    const char *rate_class;
    /* ABI 1.3 (appended; 0 from an older plugin). Nonzero: the plugin
     * recovers from a 401 on this request itself (it holds short-lived
     * access tokens and refreshes them), so the host does not raise the
     * account's credentials alert for that 401; the plugin calls
     * credentials_failed() when its refresh is refused. 0: a 401 means the
     * credentials stopped working, as for a static token. */
    int handles_401;
} gw_http_request;

/* The outcome of a request, borrowed for the duration of the callback. */
typedef struct gw_http_response {
    size_t struct_size;
    int status;                     /* HTTP status; 0 when no response arrived */
    const gw_http_header *headers;  /* response headers, names lower-cased */
    size_t header_count;
    const unsigned char *body;      /* response body (NUL-terminated too) */
    size_t body_len;
    int error;                      /* 0, or a GW_E* transport error: timeout,
                                       connection, TLS, body too large */
    const char *error_message;      /* one line when error != 0, else NULL */
    /* The host's reading of the answer, so every plugin treats rate limits
     * and server errors alike: OK for 2xx-4xx answers it has no opinion on,
     * RETRY (with retry_after_ms) for 429, 5xx and transport errors after
     * the host's own retries ran out, FATAL for 401/403. */
    gw_outcome suggested;
    uint64_t retry_after_ms;
    /* ABI 1.3 (appended; test GW_HAS_MEMBER(response, gw_http_response,
     * not_sent), or gw_sdk_http_not_sent(), before reading it). Nonzero
     * when no byte of the request can have reached the server: it was held
     * back for the rate limit, released unsent because the gateway is
     * stopping, or every attempt failed to resolve or connect. A write
     * answered not_sent may be sent again without risking a duplicate post;
     * any other failed write may have been taken. */
    int not_sent;
} gw_http_response;

typedef void (*gw_http_cb)(void *arg, const gw_http_response *response);

/* ------------------------------------------------------------------------
 * The host services table. Handed to create(); valid until destroy().
 */
typedef void (*gw_timer_cb)(void *arg);

typedef struct gw_host {
    size_t struct_size; /* sizeof(gw_host) as the host was built */
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Log one line attributed to the account. Never pass secrets. */
    void (*log)(gw_account *acct, gw_log_level level, const char *fmt, ...)
        GW_PRINTF(3, 4);

    /* Hand one item to the pipeline. `event` (steals) is a JSON object in
     * the shape of gateway.event/1 with at least "type", "native_id" and
     * "visibility"; the host fills "id", "seq", "network", "account" and
     * "received_at", and "created_at" (from the receive time) when the
     * network gave none. Returns 0 when accepted (a duplicate id is
     * accepted and silently dropped), GW_EINVAL when the event is
     * malformed (logged with the reason), GW_ESTATE while the account is
     * being destroyed. */
    int (*emit)(gw_account *acct, json_t *event);

    /* Start a one-shot timer. Returns NULL on failure. The handle is valid
     * until the callback has run or timer_cancel() was called (calling it
     * inside the timer's own callback is harmless). timer_cancel() is valid
     * inside destroy(); timers still pending when destroy() returns are
     * cancelled by the host without running. */
    gw_timer *(*timer_start)(gw_account *acct, uint64_t delay_ms,
                             gw_timer_cb cb, void *arg);
    void (*timer_cancel)(gw_timer *timer);

    /* Per-account durable key/value store for cursors. kv_get copies the
     * value (NUL-terminated) into buf and returns its length, GW_ENOENT
     * when absent, GW_ERANGE when buf is too small. kv_set (copies both
     * strings) becomes durable in the same commit as the events emitted
     * in the same loop tick, so a cursor never runs ahead of its events.
     * Limits: a key is 1 to GW_KV_KEY_MAX bytes and a value at most
     * GW_KV_VALUE_MAX bytes (kv_set answers GW_EINVAL / GW_ERANGE and
     * stores nothing). It is a store for cursors and small state, not a
     * database: keep the number of keys bounded (plugin-check reports more
     * than 64 in one check run). */
    int (*kv_get)(gw_account *acct, const char *key, char *buf, size_t buflen);
    int (*kv_set)(gw_account *acct, const char *key, const char *value);

    /* Clocks in milliseconds: wall (Unix epoch) and monotonic. */
    uint64_t (*now_ms)(gw_account *acct);
    uint64_t (*monotonic_ms)(gw_account *acct);

    /* The account's validated [account.options] with defaults filled:
     * durations as integer ms, sizes as integer bytes, ${ENV} expanded.
     * Borrowed; valid until destroy(). */
    const json_t *(*config)(gw_account *acct);

    /* The account's configured name (borrowed; valid until destroy()). */
    const char *(*account_name)(gw_account *acct);

    /* End a hook call. Call exactly once per op, at any later time (or
     * inside the hook itself). delay_ms: with RETRY, the earliest time to
     * try again (the host may wait longer, never shorter); with OK from
     * fetch, 0 means "more is ready, fetch again soon",
     * GW_DELAY_POLL_INTERVAL means "wait for the poll interval" (with the
     * host's jitter), and any other value "fetch again after delay_ms"
     * (a paced plugin). message (borrowed, may be NULL)
     * is a one-line reason for the log. result (steals, may be NULL):
     *   post_public/send_private OK: {"native_id": "...", "url": "..."};
     *   webhook: {"status": 200, "content_type": "...", "body": "...",
     *             "allow": "POST"}; "allow" (optional) is the methods the
     *             webhook takes, sent as the Allow header of a 405 (default
     *             "GET, POST"). An error's body should be the host's shape,
     *             {"error": "<code>", "message": "<one line>"}.
     * A completion after the host timed the op out is ignored. The host
     * never destroys the instance inside complete(): a plugin may go on
     * using it until it returns (a drain that ends with this completion
     * closes the accounts on the next loop iteration). */
    void (*complete)(gw_op *op, gw_outcome outcome, uint64_t delay_ms,
                     const char *message, json_t *result);

    /* Send an HTTP request on behalf of the account. The host applies the
     * account's rate-limit budget (the request may wait), TLS verification
     * (always on), connection reuse and limits, and redacts credentials
     * from its logs. Returns 0 and later calls cb exactly once, never from
     * inside this call; or a negative GW_E* code and never calls cb. The
     * host cancels outstanding requests (without calling cb) before
     * destroy(). */
    int (*http_request)(gw_account *acct, const gw_http_request *request, gw_http_cb cb,
                        void *arg);

    /* Report that the network refused the account's credentials in a way
     * the host cannot tell from the status alone (the host itself reacts
     * to 401; Discourse answers a revoked key with 403 invalid_access).
     * The host logs it and emits one account.credentials_failed event,
     * until a request of the account succeeds again. reason (borrowed) is
     * one line and must not contain the secret. Since ABI 1.1: test with
     * GW_HOST_HAS(host, credentials_failed). */
    void (*credentials_failed)(gw_account *acct, const char *reason);

    /* Publish one number of the account in GET /metrics, as the gauge
     * gateway_plugin_<name>{network="...",account="..."} (e.g. YouTube's
     * quota units left). name (borrowed; copied) is 1 to 48 characters of
     * [a-z0-9_]; help (borrowed; copied the first time, may be NULL) is
     * its one-line # HELP text. Setting it again replaces the value. At
     * most 16 names per account. Returns 0, GW_EINVAL for a bad name,
     * GW_ERANGE when the account has 16 already, GW_ENOMEM. Since ABI
     * 1.3: test with GW_HOST_HAS(host, metric_set). */
    int (*metric_set)(gw_account *acct, const char *name, const char *help, double value);

    /* Narrow what this account can do below the plugin's capabilities,
     * for an account whose credentials or plan allow less (Yelp without
     * partner access reads reviews but cannot answer). keep is the
     * gw_capability bits the account keeps (bits the plugin never had are
     * ignored; capabilities never widen); reason (borrowed; copied, may be
     * NULL) is one line the action API gives with its 422 "unsupported"
     * answer, never a secret. Call it from create(); the last call wins.
     * Returns 0, or GW_EINVAL for unknown bits. Since ABI 1.3: test with
     * GW_HOST_HAS(host, narrow_capabilities). */
    int (*narrow_capabilities)(gw_account *acct, uint32_t keep, const char *reason);
} gw_host;

/* The kv store's limits (gw_host.kv_set). */
#define GW_KV_KEY_MAX 128
#define GW_KV_VALUE_MAX 65536

/* fetch completion shorthand: wait for the poll interval. */
#define GW_DELAY_POLL_INTERVAL UINT64_MAX

/* ------------------------------------------------------------------------
 * The plugin descriptor, returned by gw_plugin_entry(). Constant storage
 * in the plugin; the host never writes to it.
 */
typedef struct gw_plugin {
    size_t struct_size;  /* sizeof(gw_plugin) as the plugin was built */
    uint16_t abi_major;  /* GW_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;  /* GW_ABI_MINOR the plugin was built against */
    const char *name;    /* network name, [a-z0-9_-]+, e.g. "twitter" */
    const char *version; /* the plugin's own version, e.g. "1.2.0" */
    uint32_t capabilities; /* gw_capability bits */
    const gw_option *options; /* declared option keys, ended by a NULL
                                 name; NULL when there are none */

    /* Create the instance for one account. host and acct stay valid until
     * destroy(). On failure return a negative GW_E* code and write a one-
     * line reason into err (errlen bytes, always NUL-terminated). */
    int (*create)(const gw_host *host, gw_account *acct, gw_instance **out,
                  char *err, size_t errlen);
    /* Free the instance and cancel its own work (timer_cancel is valid
     * here). The host calls it when no op is outstanding, except ops it
     * already timed out: those handles die with the instance and must
     * never be completed afterwards. After destroy returns, the host
     * cancels the instance's leftover timers and HTTP requests without
     * calling their callbacks. */
    void (*destroy)(gw_instance *inst);

    /* Required with GW_CAP_FETCH: fetch what is new, emit() each item,
     * store the cursor with kv_set(), then complete(op). */
    void (*fetch)(gw_instance *inst, gw_op *op);
    /* Required with GW_CAP_POST_PUBLIC: reply publicly in the thread.
     * Both action hooks: complete RETRY only when the network certainly
     * did not take the post (429, 503 before it was accepted...): the
     * host sends it again. When it cannot tell (the connection broke
     * after the request left), complete FATAL with a reason: the host
     * never risks posting an answer twice. A hook that does not complete
     * within the operation timeout is treated the same way. */
    void (*post_public)(gw_instance *inst, gw_op *op, const gw_action *action);
    /* Required with GW_CAP_SEND_PRIVATE: send a direct message. */
    void (*send_private)(gw_instance *inst, gw_op *op, const gw_action *action);
    /* Required with GW_CAP_WEBHOOK: verify and parse one delivery, emit()
     * its items, and complete(op) with the HTTP answer as result. */
    void (*webhook)(gw_instance *inst, gw_op *op, const gw_webhook_request *req);

    /* ABI 1.1 (appended; a 1.0 plugin's descriptor does not reach it and
     * the host reads 0). The longest text post_public and send_private
     * accept, in Unicode code points; 0 = unknown (the host then applies
     * only its own cap). The action API refuses a longer text with 422
     * before anything is queued, so a help desk learns it at once rather
     * than from a failed action later. */
    size_t max_text_length;

    /* ABI 1.2 (appended; NULL for older plugins, and optional). Check an
     * account's options beyond what the declaration says (keys that go
     * together, the shape of an id) without network access, files or any
     * other side effect: `gateway check-config` and start-up both call it
     * before anything is opened, so a file that passes starts. options
     * (borrowed) is what host->config() would return. Return 0, or a
     * negative GW_E* code with a one-line reason in err (errlen bytes,
     * always NUL-terminated, never quoting a secret) and, when the reason
     * is about one key, *key set to its name (static storage in the
     * plugin) so the host can point at the line; otherwise leave *key
     * NULL. create() may still refuse what only it can find out. */
    int (*validate)(const json_t *options, const char **key, char *err, size_t errlen);

    /* ABI 1.3 (appended; NULL for older plugins, and optional). Check an
     * answer against the network's rules before the host queues it, so
     * the action API can refuse it at once (422) instead of queueing an
     * action that can only fail. Called on the loop thread after the
     * host's own checks, without network access; it may read the kv
     * store (a daily quota). private_message: nonzero for send_private.
     * action (borrowed) is the answer as post_public/send_private would
     * see it, but action_id is "" (none yet). Return 0 to accept;
     * GW_EUNSUPPORTED when the network cannot do this at all (answered
     * 422 "unsupported"); any other negative GW_E* when the network would
     * refuse this answer (422 "refused_by_network"); with a one-line
     * reason in reason (reasonlen bytes, always NUL-terminated). */
    int (*check_action)(gw_instance *inst, int private_message, const gw_action *action,
                        char *reason, size_t reasonlen);
} gw_plugin;

/* The entry point every plugin exports. Returns a pointer to constant
 * storage (never NULL for a working plugin). */
typedef const gw_plugin *(*gw_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* GATEWAY_PLUGIN_H */
