/* isolated_internal.h - the engine's proxy for an isolated plugin
 * (isolation = "process"), shared by its three files, which depend on
 * each other in one direction only:
 *   isolated.c         the gw_plugin the account calls (create, hooks,
 *                      destroy) and the supervision of the child (exit,
 *                      heartbeat, restart with backoff, circuit breaker);
 *   isolated_frames.c  what the child asks: its frames turned into calls
 *                      of the account's real gw_host functions;
 *   isolated_io.c      the child process and its socketpair: spawn,
 *                      frames out, frames in, reaping.
 * Lower files reach higher ones only through the function pointers set
 * in iso_proxy (on_frame, on_exit). No other file includes this one.
 */
#ifndef GW_ISOLATED_INTERNAL_H
#define GW_ISOLATED_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "engine/account_internal.h"
#include "isolate/wire.h"

/* A hook call the child has not completed yet. */
typedef struct iso_op {
    uint64_t id;      /* the frame id the child completes */
    gw_op *op;        /* the account's op (account_host.c) */
    isolate_type hook;
    struct iso_op *next; /* newest first */
} iso_op;

/* An HTTP request the core runs for the child; its answer goes back only
 * to the child that asked (gen), never to a restarted one. */
typedef struct iso_call {
    struct iso_proxy *px;
    uint64_t gen, id;
    struct iso_call *prev, *next;
} iso_call;

enum iso_state {
    ISO_DOWN,     /* no child: waiting for the restart timer, or stopped */
    ISO_STARTING, /* spawned, INIT sent, READY not seen */
    ISO_UP        /* READY seen: hooks go to the child */
};

/* The wrapped descriptor an isolated account's plugin points at: the
 * real plugin's, with the proxy's hooks. lp is first, so the account's
 * `const loaded_plugin *` converts back. */
typedef struct iso_plugin {
    loaded_plugin lp;
    const loaded_plugin *real;
    void (*stop)(gw_account *acct, const char *reason); /* isolated_stop_fn */
    uint64_t heartbeat_ms, memory_limit;
} iso_plugin;

typedef struct iso_proxy {
    gw_account *acct;
    const gw_host *host;
    gw_runtime *rt;
    const iso_plugin *ip;
    enum iso_state state;
    int closing;          /* destroy() began: no restart, no callbacks */
    int dying;            /* a dead child's last frames are being read */
    /* The child of the current generation. */
    uv_process_t *proc;   /* heap: freed by its close callback */
    uv_pipe_t *pipe;      /* heap: freed by its close callback; NULL once closed */
    int sync_fd;          /* the socket while create() waits blocking, else -1 */
    pid_t pid;
    uint64_t gen;         /* incremented at every spawn */
    isolate_buf in;       /* bytes read, not yet decoded */
    uint64_t next_id;
    iso_op *ops;
    iso_call *calls;
    /* Supervision. */
    uv_timer_t *heartbeat; /* heap: repeating ping; freed by its close cb */
    uv_timer_t *restart;   /* heap: the next spawn after a crash */
    uint64_t ping_sent, pong_seen;
    uint64_t spawned_ms;   /* monotonic time of the last restart's spawn */
    char kill_reason[160]; /* why the core killed the child ("" = it died) */
    unsigned crashes;      /* in a row: reset by a hook completing OK */
    uint64_t restart_at_ms;/* monotonic time of the planned restart */
    int ready_rc;          /* create()'s result in the child, from READY */
    char ready_message[256];
    /* Set by isolated.c: a frame from the child (isolated_frames.c), the
     * child's exit (its supervision). */
    void (*on_frame)(struct iso_proxy *px, isolate_msg *msg);
    void (*on_exit)(struct iso_proxy *px, int64_t status, int term_signal);
} iso_proxy;

/* ---- isolated_io.c ------------------------------------------------------ */

/* iso_spawn - start `gateway __plugin-host 3 PLUGIN.so` with one end of a
 * socketpair as its fd 3 and the other kept. sync: keep the socket
 * blocking in px->sync_fd (create() waits for READY), else read it on
 * the loop at once. Returns 0, or a negative GW_E* with err set. */
int iso_spawn(iso_proxy *px, int sync, char *err, size_t errlen);

/* iso_go_async - hand the blocking socket create() used to the loop. */
int iso_go_async(iso_proxy *px, char *err, size_t errlen);

/* iso_send - one frame to the child (json and blob borrowed); dropped
 * when there is no child. Returns 0 or a negative GW_E*. */
int iso_send(iso_proxy *px, isolate_type type, uint64_t id, const json_t *json, const void *blob,
             size_t blob_len);

/* iso_read_sync - read and dispatch frames (px->on_frame) from the
 * blocking socket until stop(px) is true, the child closes it, or
 * timeout_ms passes. Returns 0 when stop(px) became true, GW_EIO (closed
 * or malformed), GW_EBUSY (timed out), GW_ENOMEM. */
int iso_read_sync(iso_proxy *px, int (*stop)(const iso_proxy *px), uint64_t timeout_ms);

/* iso_drain - dispatch what the child wrote before it died and is still
 * in the socket, then close the socket. */
void iso_drain(iso_proxy *px);

/* iso_close_child - close the socket and the process handle of the
 * current child and reap it: it gets up to wait_ms to exit after the
 * socket closed (a plugin's destroy), then SIGKILL. Idempotent. */
void iso_close_child(iso_proxy *px, uint64_t wait_ms);

/* iso_signal_name - "SIGSEGV" and the like, or NULL. Ownership: a literal. */
const char *iso_signal_name(int sig);

/* ---- isolated_frames.c -------------------------------------------------- */

/* iso_on_frame - what a frame from the child asks of the account. Takes
 * msg->json when it keeps it (msg->json is then NULL). */
void iso_on_frame(iso_proxy *px, isolate_msg *msg);

#endif /* GW_ISOLATED_INTERNAL_H */
