/* stdout.c - the "stdout" sink: each batch of JSON lines written as is to
 * standard output, for piping the gateway into another program; or, for a
 * person at a terminal, one readable line per event (format = "text",
 * stdout_text.c). The default, "auto", picks text when standard output is
 * a terminal when the sink opens, and JSON lines otherwise, so a pipe
 * always gets JSON.
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
#include "sinks/stdout_text.h"

typedef struct sink_stdout {
    int fd;   /* STDOUT_FILENO: borrowed, never closed */
    int text; /* 1: readable lines, 0: the JSON lines as is */
} sink_stdout;

static const gw_option sink_stdout_options[] = {
    {.name = "format",
     .type = GW_OPT_STRING,
     .default_value = "auto",
     .allowed = "auto|text|json",
     .help = "json: the JSON lines as is; text: one readable line per event (time, "
             "network/account, type, priority, author, text cut to the terminal width, "
             "control characters escaped); auto: text when standard output is a terminal, "
             "else json"},
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

    *state = NULL;
    s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, errlen, "stdout sink: out of memory");
        return GW_ENOMEM;
    }
    s->fd = STDOUT_FILENO;
    /* Missing (settings not from the config): auto. */
    const char *format = json_string_value(json_object_get(settings, "format"));
    if (format != NULL && strcmp(format, "text") == 0)
        s->text = 1;
    else if (format != NULL && strcmp(format, "json") == 0)
        s->text = 0;
    else
        s->text = isatty(s->fd);
    *state = s;
    return 0;
}

/* The batch as readable lines, one per event (caller frees), cut to the
 * width the terminal has now (it may have been resized since the last
 * batch). NULL when out of memory. */
static char *stdout_render_text(int fd, const sink_batch *batch, size_t *out_len)
{
    int width = stdout_text_width(fd);
    const char *p = batch->data, *end = batch->data + batch->len;
    size_t len = 0, cap = batch->len + 64;
    char *out = malloc(cap);

    while (out != NULL && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *event = json_loadb(p, n, 0, NULL);
        char *line = json_is_object(event) ? stdout_text_line(event, width)
                                           : stdout_text_raw(p, n, width);
        json_decref(event);
        p += n + (nl != NULL);
        if (line == NULL) {
            free(out);
            return NULL;
        }
        size_t ln = strlen(line);
        if (len + ln > cap) {
            while (len + ln > cap)
                cap *= 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(line);
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + len, line, ln);
        len += ln;
        free(line);
    }
    *out_len = len;
    return out;
}

static int sink_stdout_write(void *state, const sink_batch *batch, char *err, size_t errlen)
{
    sink_stdout *s = state;
    const char *data = batch->data;
    size_t len = batch->len;
    char *text = NULL;
    int rc;

    if (s->text) {
        if ((text = stdout_render_text(s->fd, batch, &len)) == NULL) {
            snprintf(err, errlen, "stdout sink: out of memory");
            return GW_ENOMEM;
        }
        data = text;
    }
    /* Anything printed to stdout through stdio goes out first, so lines
     * never interleave mid-line with a batch. */
    fflush(stdout);
    rc = stdout_write_all(s->fd, data, len);
    free(text);
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
    .help = "write events to standard output, as JSON lines or readable text "
            "(at-least-once)",
    .options = sink_stdout_options,
    .open = sink_stdout_open,
    .reconcile = NULL,
    .write = sink_stdout_write,
    .reopen = NULL,
    .close = sink_stdout_close,
};
