/* curl_loop.c - curl multi-socket on the libuv loop; see curl_loop.h. */
#include "http/curl_loop.h"

#include <stdint.h>
#include <stdlib.h>

#include "gateway/error.h"

/* One socket curl asked us to watch. In the loop's active list while
 * curl uses the fd; unlinked on CURL_POLL_REMOVE (curl may hand out the
 * same fd number again at once) and freed in the poll's close callback. */
struct curl_watch {
    curl_watch *prev, *next;
    curl_loop *cl;
    curl_socket_t fd;
    uv_poll_t poll;
};

void curl_loop_handle_opened(curl_loop *cl)
{
    cl->open_handles++;
}

/* Every uv handle's close callback ends here; the last one after
 * curl_loop_close tells the owner. */
void curl_loop_handle_closed(curl_loop *cl)
{
    cl->open_handles--;
    if (cl->closing && cl->open_handles == 0)
        cl->on_closed(cl->arg);
}

static void on_timer_closed(uv_handle_t *h)
{
    curl_loop_handle_closed(h->data);
}

static void on_watch_closed(uv_handle_t *h)
{
    curl_watch *w = h->data;
    curl_loop *cl = w->cl;
    free(w);
    curl_loop_handle_closed(cl);
}

/* Collect finished transfers. Runs only after curl_multi_socket_action has
 * returned; on_done may close the loop, which ends this one. */
static void drain(curl_loop *cl)
{
    CURLMsg *msg;
    int left;
    while (!cl->closing && (msg = cl->lib->multi_info_read(cl->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode res = msg->data.result; /* msg dies with remove_handle */
        cl->lib->multi_remove_handle(cl->multi, easy);
        cl->on_done(cl->arg, easy, res);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    curl_watch *w = h->data;
    curl_loop *cl = w->cl;
    curl_socket_t fd = w->fd; /* w may be closed by curl below */
    int flags = 0;
    if (status < 0) {
        /* libuv has stopped this handle (POLLERR). curl learns of the error
         * here, fails the transfer and REMOVEs the socket; should it keep
         * the socket instead, its next socket callback restarts the poll
         * and the transfer timeout bounds any stall. */
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    int running;
    cl->lib->multi_socket_action(cl->multi, fd, flags, &running);
    drain(cl);
}

static void on_timer(uv_timer_t *t)
{
    curl_loop *cl = t->data;
    int running;
    cl->lib->multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(cl);
}

static curl_watch *find_watch(curl_loop *cl, curl_socket_t fd)
{
    for (curl_watch *w = cl->socks; w != NULL; w = w->next) {
        if (w->fd == fd)
            return w;
    }
    return NULL;
}

static void close_watch(curl_loop *cl, curl_watch *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        cl->socks = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

/* CURLMOPT_SOCKETFUNCTION. Only uv calls here, never curl_multi_* (we keep
 * our own fd -> watch list instead of curl_multi_assign for that reason). */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    curl_loop *cl = userp;
    if (cl->closing)
        return 0; /* every watch was already closed by curl_loop_close */
    curl_watch *w = find_watch(cl, fd);
    if (what == CURL_POLL_REMOVE) {
        if (w != NULL)
            close_watch(cl, w);
        return 0;
    }
    if (w == NULL) {
        w = calloc(1, sizeof *w);
        if (w == NULL)
            return -1;
        if (uv_poll_init_socket(cl->loop, &w->poll, fd) != 0) {
            free(w);
            return -1;
        }
        w->cl = cl;
        w->fd = fd;
        w->poll.data = w;
        cl->open_handles++;
        w->next = cl->socks;
        if (cl->socks != NULL)
            cl->socks->prev = w;
        cl->socks = w;
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (events == 0) {
        uv_poll_stop(&w->poll);
        return 0;
    }
    return uv_poll_start(&w->poll, events, on_poll) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: only (re)arm the uv timer; curl is called when
 * it fires, from the loop, never from here. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    curl_loop *cl = userp;
    if (cl->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&cl->timer);
    else
        uv_timer_start(&cl->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

int curl_loop_init(curl_loop *cl, uv_loop_t *loop, const curl_lib *lib,
                   void (*on_done)(void *arg, CURL *easy, CURLcode result),
                   void (*on_closed)(void *arg), void *arg)
{
    *cl = (curl_loop){.loop = loop, .lib = lib, .on_done = on_done, .on_closed = on_closed, .arg = arg};
    cl->multi = cl->lib->multi_init();
    if (cl->multi == NULL)
        return GW_ENOMEM;
    cl->lib->multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    cl->lib->multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
    cl->lib->multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    cl->lib->multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
    uv_timer_init(loop, &cl->timer);
    cl->timer.data = cl;
    cl->open_handles = 1;
    return GW_OK;
}

void curl_loop_close(curl_loop *cl)
{
    /* From here on the socket and timer callbacks ignore curl. */
    cl->closing = true;
    while (cl->socks != NULL)
        close_watch(cl, cl->socks);
    cl->lib->multi_cleanup(cl->multi);
    cl->multi = NULL;
    uv_timer_stop(&cl->timer);
    uv_close((uv_handle_t *)&cl->timer, on_timer_closed);
}
