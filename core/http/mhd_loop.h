/* mhd_loop.h - libmicrohttpd driven from a libuv loop.
 *
 * MHD runs in "external epoll" mode, so it owns no thread: its epoll fd is
 * watched by one uv_poll_t and its own timeouts by one uv_timer_t, and
 * MHD_run() is called from those two callbacks only, never re-entered.
 * Whoever changes MHD's state from outside a run (a resumed connection, a
 * cut socket) kicks it so it runs again on the next loop iteration.
 *
 * Knows nothing of requests or routes: after each run it calls the
 * owner's after_run hook, which decides what comes next (usually
 * mhd_loop_schedule). Loop thread only.
 */
#ifndef GW_HTTP_MHD_LOOP_H
#define GW_HTTP_MHD_LOOP_H

#include <stdbool.h>

#include <microhttpd.h>
#include <uv.h>

#include "base/log.h"

typedef struct mhd_loop {
    uv_loop_t *loop;        /* borrowed */
    const logger *log;      /* borrowed */
    struct MHD_Daemon *mhd; /* borrowed; must outlive mhd_loop_close */
    uv_poll_t poll;         /* MHD's epoll fd */
    uv_timer_t timer;       /* MHD_get_timeout, and "run again soon" */
    bool in_run;            /* inside MHD_run */
    bool kicked;            /* MHD must run again before it sleeps */
    bool stopped;           /* mhd_loop_close was called */
    int handles_open;
    void (*after_run)(void *arg);
    void (*closed)(void *arg);
    void *arg;
} mhd_loop;

/* Watch `mhd`'s epoll fd on `loop` (both borrowed) and set up the timer;
 * nothing runs until mhd_loop_start. after_run(arg) is called after every
 * MHD_run. Returns 0, or a negative uv error (nothing to close then). */
int mhd_loop_init(mhd_loop *ml, uv_loop_t *loop, const logger *log, struct MHD_Daemon *mhd,
                  void (*after_run)(void *arg), void *arg);

/* Start polling the epoll fd; 0 or a negative uv error. */
int mhd_loop_start(mhd_loop *ml);

/* After a run (from after_run, or once after start): arm the timer for
 * MHD's next timeout, or at once when kicked meanwhile. */
void mhd_loop_schedule(mhd_loop *ml);

/* Run MHD from the next loop iteration, never from inside MHD_run
 * itself. No-op once stopped. */
void mhd_loop_kick(mhd_loop *ml);

/* Stop running MHD and close both handles (before MHD closes its epoll
 * fd); closed(arg) runs from the loop once both are closed. Call once. */
void mhd_loop_close(mhd_loop *ml, void (*closed)(void *arg));

#endif /* GW_HTTP_MHD_LOOP_H */
