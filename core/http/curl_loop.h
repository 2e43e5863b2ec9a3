/* curl_loop.h - libcurl's multi-socket API driven by a libuv loop.
 *
 * curl tells us which sockets to watch and when to wake it; here that
 * only starts and stops uv handles (one uv_poll_t per socket, one
 * uv_timer_t). When a poll or the timer fires, curl_multi_socket_action
 * runs and then, after it has returned, finished transfers are taken off
 * the multi and handed to the owner's on_done. So curl is never re-entered
 * from inside one of its callbacks, and the owner's code never runs inside
 * one. Knows nothing of requests, retries or budgets. Loop thread only.
 */
#ifndef GW_HTTP_CURL_LOOP_H
#define GW_HTTP_CURL_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <uv.h>

#include "http/curl_lib.h"

typedef struct curl_watch curl_watch;

typedef struct curl_loop {
    uv_loop_t *loop;     /* borrowed */
    const curl_lib *lib; /* borrowed: libcurl's functions */
    CURLM *multi;        /* owned; NULL once closed */
    uv_timer_t timer;    /* curl's single timeout */
    curl_watch *socks;   /* active socket watches */
    size_t open_handles; /* uv handles not yet closed, the owner's included */
    bool closing;
    void (*on_done)(void *arg, CURL *easy, CURLcode result);
    void (*on_closed)(void *arg);
    void *arg;
} curl_loop;

/* Create the multi handle (through `lib`, borrowed, which must outlive
 * cl) and the timer on `loop` (borrowed). For every
 * finished transfer, already removed from the multi, on_done(arg, easy,
 * result) runs from a loop callback; it may add handles, or close.
 * on_closed(arg) runs once every handle is closed after curl_loop_close;
 * cl may be freed from it. Returns 0, or GW_ENOMEM when curl cannot make
 * a multi handle (then nothing needs closing). */
int curl_loop_init(curl_loop *cl, uv_loop_t *loop, const curl_lib *lib,
                   void (*on_done)(void *arg, CURL *easy, CURLcode result),
                   void (*on_closed)(void *arg), void *arg);

/* The owner opened / closed one more uv handle of its own (a request's
 * timer): counted so on_closed waits for it too. */
void curl_loop_handle_opened(curl_loop *cl);
void curl_loop_handle_closed(curl_loop *cl);

/* Stop watching every socket (before curl closes them), clean up the
 * multi handle and close the timer; on_closed follows once the last
 * handle is closed. Every easy handle must be out of the multi. Call once. */
void curl_loop_close(curl_loop *cl);

#endif /* GW_HTTP_CURL_LOOP_H */
