/* isolated_io.c - an isolated plugin's child process and its socketpair
 * (see isolated_internal.h): spawn, frames out, frames in, reaping. What
 * a frame means is isolated_frames.c's; what a death means, isolated.c's.
 */
#define _GNU_SOURCE /* prlimit */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/sanitizer.h"
#include "engine/isolated_internal.h"

/* The child's end becomes this descriptor (the plugin host's FD argument). */
#define CHILD_FD 3
/* Bytes asked of the socket per read. */
#define READ_CHUNK 65536
#define SOCKET_BUFFER (4 * 1024 * 1024)

typedef struct iso_write {
    uv_write_t req;
    isolate_buf buf;
} iso_write;

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

const char *iso_signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGSYS: return "SIGSYS";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGTRAP: return "SIGTRAP";
    default: return NULL;
    }
}

/* ---- frames in ---------------------------------------------------------- */

/* Dispatches every whole frame in px->in. Returns 0, or GW_EIO after a
 * malformed frame (the child is killed: it cannot be trusted further). */
static int dispatch_buffered(iso_proxy *px)
{
    size_t off = 0;
    int rc = 0;
    uint64_t gen = px->gen;
    while (off < px->in.len) {
        isolate_msg msg;
        size_t used = 0;
        char err[120];
        int drc = isolate_decode(px->in.data + off, px->in.len - off, &msg, &used, err, sizeof err);
        if (drc == GW_EBUSY)
            break;
        if (drc != 0) {
            snprintf(px->kill_reason, sizeof px->kill_reason, "sent a malformed frame (%s)", err);
            if (px->pid > 0)
                kill(px->pid, SIGKILL);
            rc = GW_EIO;
            off = px->in.len;
            break;
        }
        off += used;
        px->on_frame(px, &msg);
        isolate_msg_clear(&msg);
        if (px->gen != gen || px->closing)
            break; /* the child was replaced or closed under us */
    }
    if (off > px->in.len)
        off = px->in.len;
    isolate_buf_consume(&px->in, off);
    return rc;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    iso_proxy *px = h->data;
    if (isolate_buf_reserve(&px->in, READ_CHUNK) != 0) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init((char *)px->in.data + px->in.len, READ_CHUNK);
}

static void close_pipe(iso_proxy *px)
{
    if (px->pipe == NULL)
        return;
    uv_read_stop((uv_stream_t *)px->pipe);
    uv_close((uv_handle_t *)px->pipe, free_handle_cb);
    px->pipe = NULL;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    iso_proxy *px = s->data;
    if (nread < 0) {
        /* The child closed its end: it is exiting; its exit status comes
         * through the process handle (isolated.c). */
        close_pipe(px);
        return;
    }
    px->in.len += (size_t)nread;
    dispatch_buffered(px);
}

/* ---- frames out --------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status)
{
    (void)status; /* a failed write means the child is gone: its exit says why */
    iso_write *w = (iso_write *)req;
    isolate_buf_free(&w->buf);
    free(w);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return GW_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int iso_send(iso_proxy *px, isolate_type type, uint64_t id, const json_t *json, const void *blob,
             size_t blob_len)
{
    if (px->sync_fd >= 0) {
        isolate_buf b = {0};
        int rc = isolate_encode(&b, type, id, json, blob, blob_len);
        if (rc == 0)
            rc = write_all(px->sync_fd, b.data, b.len);
        isolate_buf_free(&b);
        return rc;
    }
    if (px->pipe == NULL)
        return GW_ESTATE;
    iso_write *w = calloc(1, sizeof *w);
    if (w == NULL)
        return GW_ENOMEM;
    int rc = isolate_encode(&w->buf, type, id, json, blob, blob_len);
    if (rc == 0) {
        uv_buf_t ub = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
        if (uv_write(&w->req, (uv_stream_t *)px->pipe, &ub, 1, write_cb) != 0)
            rc = GW_EIO;
    }
    if (rc != 0) {
        isolate_buf_free(&w->buf);
        free(w);
    }
    return rc;
}

/* ---- the process -------------------------------------------------------- */

static void exit_cb(uv_process_t *proc, int64_t status, int term_signal)
{
    iso_proxy *px = proc->data;
    px->pid = 0; /* reaped by libuv */
    px->on_exit(px, status, term_signal);
}

/* RLIMIT_AS for the child, set from here because uv_spawn runs nothing
 * between fork and exec; the child has allocated next to nothing yet.
 * Not under AddressSanitizer, whose shadow memory alone exceeds it. */
static void limit_memory(iso_proxy *px)
{
#ifndef GW_UNDER_ASAN
    uint64_t limit = px->ip->memory_limit;
    if (limit == 0)
        return;
    struct rlimit rl = {.rlim_cur = limit, .rlim_max = limit};
    if (prlimit(px->pid, RLIMIT_AS, &rl, NULL) != 0)
        log_warn(&px->rt->log, px->acct->label, "could not limit the plugin's memory: %s",
                 strerror(errno));
#else
    (void)px;
#endif
}

int iso_spawn(iso_proxy *px, int sync, char *err, size_t errlen)
{
    char exe[PATH_MAX];
    size_t exe_len = sizeof exe;
    int sv[2];
    if (uv_exepath(exe, &exe_len) != 0) {
        snprintf(err, errlen, "cannot find the gateway's own executable");
        return GW_EIO;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return GW_EIO;
    }
    /* Room for a whole fetch batch in flight, so the child writes it
     * without waiting and the core takes it in few loop iterations: each
     * iteration is a commit. Capped by net.core.[rw]mem_max; best effort. */
    int room = SOCKET_BUFFER;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &room, sizeof room);
    uv_process_t *proc = calloc(1, sizeof *proc);
    if (proc == NULL) {
        close(sv[0]);
        close(sv[1]);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    char fd_arg[8];
    snprintf(fd_arg, sizeof fd_arg, "%d", CHILD_FD);
    char *args[] = {exe, "__plugin-host", fd_arg, px->ip->real->path, NULL};
    /* stdout onto stderr: the stdout sink's stream is the gateway's. */
    uv_stdio_container_t stdio[CHILD_FD + 1] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO},
        {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO},
        {.flags = UV_INHERIT_FD, .data.fd = sv[1]},
    };
    uv_process_options_t o = {
        .exit_cb = exit_cb,
        .file = exe,
        .args = args,
        .stdio_count = CHILD_FD + 1,
        .stdio = stdio,
    };
    proc->data = px;
    int rc = uv_spawn(&px->rt->loop, proc, &o);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        uv_close((uv_handle_t *)proc, free_handle_cb);
        snprintf(err, errlen, "cannot start the plugin host: %s", uv_strerror(rc));
        return GW_EIO;
    }
    px->proc = proc;
    px->pid = proc->pid;
    px->gen++;
    px->in.len = 0;
    px->ping_sent = px->pong_seen = 0;
    px->kill_reason[0] = '\0';
    limit_memory(px);
    px->sync_fd = sv[0];
    if (!sync)
        return iso_go_async(px, err, errlen);
    return 0;
}

int iso_go_async(iso_proxy *px, char *err, size_t errlen)
{
    uv_pipe_t *pipe = calloc(1, sizeof *pipe);
    if (pipe == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    uv_pipe_init(&px->rt->loop, pipe, 0);
    pipe->data = px;
    int rc = uv_pipe_open(pipe, px->sync_fd);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)pipe, alloc_cb, read_cb);
    if (rc != 0) {
        snprintf(err, errlen, "cannot watch the plugin host's socket: %s", uv_strerror(rc));
        uv_close((uv_handle_t *)pipe, free_handle_cb);
        return GW_EIO;
    }
    px->pipe = pipe;
    px->sync_fd = -1;
    dispatch_buffered(px); /* what arrived with READY */
    return 0;
}

int iso_read_sync(iso_proxy *px, int (*stop)(const iso_proxy *px), uint64_t timeout_ms)
{
    uint64_t deadline = clock_monotonic_ms() + timeout_ms;
    while (!stop(px)) {
        uint64_t now = clock_monotonic_ms();
        if (now >= deadline)
            return GW_EBUSY;
        struct pollfd pfd = {.fd = px->sync_fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)(deadline - now));
        if (n < 0 && errno != EINTR)
            return GW_EIO;
        if (n <= 0)
            continue;
        if (isolate_buf_reserve(&px->in, READ_CHUNK) != 0)
            return GW_ENOMEM;
        ssize_t r = read(px->sync_fd, px->in.data + px->in.len, READ_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return GW_EIO;
        px->in.len += (size_t)r;
        /* Frame by frame, so what follows READY is left for the loop. */
        while (!stop(px) && px->in.len > 0) {
            isolate_msg msg;
            size_t used = 0;
            char err[160];
            int rc = isolate_decode(px->in.data, px->in.len, &msg, &used, err, sizeof err);
            if (rc == GW_EBUSY)
                break;
            if (rc != 0)
                return GW_EIO;
            px->on_frame(px, &msg);
            isolate_msg_clear(&msg);
            isolate_buf_consume(&px->in, used);
        }
    }
    return 0;
}

void iso_drain(iso_proxy *px)
{
    if (px->pipe != NULL) {
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)px->pipe, &fd) == 0) {
            for (;;) {
                if (isolate_buf_reserve(&px->in, READ_CHUNK) != 0)
                    break;
                ssize_t r = read(fd, px->in.data + px->in.len, READ_CHUNK);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    break;
                px->in.len += (size_t)r;
            }
        }
        dispatch_buffered(px);
    }
    close_pipe(px);
}

void iso_close_child(iso_proxy *px, uint64_t wait_ms)
{
    close_pipe(px);
    if (px->sync_fd >= 0) {
        close(px->sync_fd);
        px->sync_fd = -1;
    }
    if (px->proc != NULL) {
        uv_close((uv_handle_t *)px->proc, free_handle_cb);
        px->proc = NULL;
    }
    if (px->pid <= 0)
        return;
    /* The handle is closed, so libuv no longer reaps this pid: we do. The
     * socket's end of file tells the child to destroy its instance. */
    pid_t pid = px->pid;
    px->pid = 0;
    uint64_t deadline = clock_monotonic_ms() + wait_ms;
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (clock_monotonic_ms() >= deadline)
            break;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}
