/* baseline_append.c - the floor the gateway's flood is compared with: the
 * same kind of events built and serialized with jansson and appended to a
 * JSONL file in batches with one fsync per batch, by a minimal program with
 * no loop, no plugin, no log and no cursor.
 *
 * usage: baseline_append COUNT BATCH FILE   (prints events/s)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s COUNT BATCH FILE\n", argv[0]);
        return 2;
    }
    long count = atol(argv[1]);
    long batch = atol(argv[2]);
    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || count <= 0 || batch <= 0) {
        perror(argv[3]);
        return 1;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    double t0 = now_s();
    for (long i = 1; i <= count; i++) {
        char native[32], text[96];
        snprintf(native, sizeof native, "42-%ld", i);
        snprintf(text, sizeof text, "@acme my order #%ld never arrived, this is the third time",
                 i % 9973);
        json_t *ev = json_pack(
            "{s:s+, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:I, s:b}, s:s, "
            "s:s, s:s}",
            "id", "mock:", native, "seq", (json_int_t)i, "type", "mention", "network", "mock",
            "account", "acme", "visibility", "public", "native_id", native, "thread_id", native,
            "url", "https://mock.example/acme/42", "author", "id", "u-17", "handle", "ann",
            "name", "Ann Example", "followers", (json_int_t)1234, "verified", 0, "text", text,
            "created_at", "2026-11-22T10:00:00.000Z", "received_at", "2026-11-22T10:00:00.001Z");
        char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
        size_t n = strlen(s);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            buf = realloc(buf, cap);
        }
        memcpy(buf + len, s, n);
        len += n;
        buf[len++] = '\n';
        free(s);
        json_decref(ev);
        if (i % batch == 0 || i == count) {
            if (write_all(fd, buf, len) != 0 || fdatasync(fd) != 0) {
                perror("write");
                return 1;
            }
            len = 0;
        }
    }
    double dt = now_s() - t0;
    printf("%.0f\n", (double)count / dt);
    free(buf);
    close(fd);
    return 0;
}
