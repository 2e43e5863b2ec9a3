/* mhd_loop.c - libmicrohttpd's event loop step run from libuv callbacks;
 * see mhd_loop.h, and docs/design.md ("HTTP server") for why MHD runs in
 * external epoll mode.
 */
#include "http/mhd_loop.h"

#include <stdint.h>

#define COMPONENT "http"

static void on_timer(uv_timer_t *t);

static void run(mhd_loop *ml)
{
    if (ml->stopped || ml->in_run)
        return;
    ml->kicked = false;
    ml->in_run = true;
    if (MHD_run(ml->mhd) != MHD_YES)
        log_error(ml->log, COMPONENT, "libmicrohttpd failed to run its event loop step");
    ml->in_run = false;
    ml->after_run(ml->arg);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    mhd_loop *ml = h->data;
    if (status < 0)
        log_error(ml->log, COMPONENT, "polling libmicrohttpd's epoll fd: %s", uv_strerror(status));
    run(ml);
}

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

int mhd_loop_init(mhd_loop *ml, uv_loop_t *loop, const logger *log, struct MHD_Daemon *mhd,
                  void (*after_run)(void *arg), void *arg)
{
    *ml = (mhd_loop){.loop = loop, .log = log, .mhd = mhd, .after_run = after_run, .arg = arg};
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
    int rc = info ? uv_poll_init(loop, &ml->poll, info->epoll_fd) : UV_EINVAL;
    if (rc != 0)
        return rc;
    uv_timer_init(loop, &ml->timer);
    ml->poll.data = ml->timer.data = ml;
    ml->handles_open = 2;
    return 0;
}

int mhd_loop_start(mhd_loop *ml)
{
    return uv_poll_start(&ml->poll, UV_READABLE, on_poll);
}

void mhd_loop_schedule(mhd_loop *ml)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (ml->kicked)
        uv_timer_start(&ml->timer, on_timer, 0, 0);
    else if (MHD_get_timeout(ml->mhd, &ms) == MHD_YES)
        uv_timer_start(&ml->timer, on_timer, (uint64_t)ms, 0);
    else
        uv_timer_stop(&ml->timer);
}

void mhd_loop_kick(mhd_loop *ml)
{
    if (ml->stopped)
        return;
    ml->kicked = true;
    if (!ml->in_run)
        uv_timer_start(&ml->timer, on_timer, 0, 0);
}

static void on_closed(uv_handle_t *h)
{
    mhd_loop *ml = h->data;
    if (--ml->handles_open == 0 && ml->closed)
        ml->closed(ml->arg);
}

void mhd_loop_close(mhd_loop *ml, void (*closed)(void *arg))
{
    ml->stopped = true;
    ml->closed = closed;
    uv_close((uv_handle_t *)&ml->poll, on_closed);
    uv_close((uv_handle_t *)&ml->timer, on_closed);
}
