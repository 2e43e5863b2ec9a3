/* server_conns.c - connection limit and receive deadline; see
 * server_conns.h.
 */
#include "http/server_conns.h"

#include <stdlib.h>
#include <sys/socket.h>

http_conn *server_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void server_conn_start_reading(http_server *s, http_conn *hc)
{
    if (hc == NULL)
        return;
    dlink_remove(&hc->reading);
    hc->reading_since_ms = uv_now(s->loop);
    dlink_push_back(&s->reading, &hc->reading);
}

void server_conn_stop_reading(http_conn *hc)
{
    if (hc)
        dlink_remove(&hc->reading);
}

/* MHD 0.9.75 has no per-request deadline and no way to close a connection
 * from outside its callbacks, and its idle timeout is reset by every byte.
 * shutdown() (not close: MHD still owns the fd) makes the socket readable
 * at EOF, so MHD's next run closes the connection the normal way. */
void server_conn_cut(http_server *s, http_conn *hc)
{
    server_conn_stop_reading(hc);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(hc->mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info && info->connect_fd != MHD_INVALID_SOCKET)
        (void)shutdown(info->connect_fd, SHUT_RDWR);
    s->stats.receive_timeouts++;
    log_debug(s->log, SERVER_COMPONENT,
              "cut a connection that did not deliver its request within %llu ms",
              (unsigned long long)s->limits.receive_timeout_ms);
    mhd_loop_kick(&s->mhd_loop);
}

enum MHD_Result server_conn_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    http_server *s = cls;
    /* Refusing here makes MHD close the socket at once. MHD's own limit,
     * reached, would instead stop accepting and leave clients hanging in
     * the kernel's backlog, so it is set one above ours and never hit. */
    if (s->closing || s->conn_count >= s->limits.max_connections) {
        s->stats.connections_refused++;
        log_debug(s->log, SERVER_COMPONENT, "refused a connection: %u open, limit %u",
                  s->conn_count, s->limits.max_connections);
        return MHD_NO;
    }
    return MHD_YES;
}

void server_conn_on_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode toe)
{
    http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        s->conn_count++;
        s->stats.connections_accepted++;
        http_conn *hc = calloc(1, sizeof *hc);
        *socket_context = hc;
        if (hc == NULL)
            return; /* served, only without a receive deadline */
        hc->mhd = c;
        dlink_init(&hc->reading);
        server_conn_start_reading(s, hc);
    } else {
        s->conn_count--;
        http_conn *hc = *socket_context;
        *socket_context = NULL;
        if (hc) {
            dlink_remove(&hc->reading);
            free(hc);
        }
    }
}
