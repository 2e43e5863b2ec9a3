/* stdout.c - the "stdout" sink: each batch of JSON lines written as is to
 * standard output, for piping the gateway into another program.
 *
 * Owns: nothing but its small state. There is no reconcile: what a pipe
 * consumed cannot be asked back, so delivery is at-least-once and a reader
 * drops replays by event id.
 *
 * The batch goes out with write(2), not stdio, so it is never split by a
 * buffer boundary or held back in a buffer when the cursor moves. Standard
 * output may be a non-blocking pipe inherited from the parent; a full pipe
 * is then waited for with poll() (write() runs on a worker thread, so
 * blocking there is allowed).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/error.h"
#include "sinks/sink.h"

typedef struct sink_stdout {
    int fd; /* STDOUT_FILENO: borrowed, never closed */
} sink_stdout;

/* No type-specific keys. */
static const gw_option sink_stdout_options[] = {
    {.name = NULL},
};

/* One line "stdout sink: <what>: <strerror>" into err. */
static void stdout_error(char *err, size_t errlen, const char *what, int errnum)
{
    char reason[128];

    if (strerror_r(errnum, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", errnum);
    snprintf(err, errlen, "stdout sink: %s: %s", what, reason);
}

/* Block until fd can take more bytes. Returns 0 or an errno value. */
static int stdout_wait_writable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};

    for (;;) {
        int n = poll(&pfd, 1, -1);
        if (n > 0)
            return 0; /* POLLERR/POLLHUP: the next write() says why */
        if (n < 0 && errno != EINTR)
            return errno;
    }
}

/* Write all of data, resuming after short writes, signals and a full
 * non-blocking pipe. Returns 0 or an errno value. */
static int stdout_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len > SSIZE_MAX ? SSIZE_MAX : len);
        if (n < 0) {
            int rc = errno;
            if (rc == EINTR)
                continue;
            if (rc == EAGAIN || rc == EWOULDBLOCK) {
                if ((rc = stdout_wait_writable(fd)) != 0)
                    return rc;
                continue;
            }
            return rc;
        }
        if (n == 0)
            return EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sets *state to a sink_stdout (freed by sink_stdout_close). */
static int sink_stdout_open(const json_t *settings, void **state, char *err, size_t errlen)
{
    sink_stdout *s;

    (void)settings;
    *state = NULL;
    s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, errlen, "stdout sink: out of memory");
        return GW_ENOMEM;
    }
    s->fd = STDOUT_FILENO;
    *state = s;
    return 0;
}

static int sink_stdout_write(void *state, const sink_batch *batch, char *err, size_t errlen)
{
    sink_stdout *s = state;
    int rc;

    /* Anything printed to stdout through stdio goes out first, so lines
     * never interleave mid-line with a batch. */
    fflush(stdout);
    rc = stdout_write_all(s->fd, batch->data, batch->len);
    if (rc) {
        stdout_error(err, errlen, "cannot write", rc);
        return GW_EIO;
    }
    return 0;
}

static void sink_stdout_close(void *state)
{
    free(state);
}

const sink_type sink_stdout_type = {
    .name = "stdout",
    .help = "write events as JSON lines to standard output (at-least-once)",
    .options = sink_stdout_options,
    .open = sink_stdout_open,
    .reconcile = NULL,
    .write = sink_stdout_write,
    .reopen = NULL,
    .close = sink_stdout_close,
};
