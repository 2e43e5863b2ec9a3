/* test_isolate_sandbox.c - the plugin host's least privilege, checked in
 * a forked child: descriptors closed but the kept one, then under the
 * filter: no exec, no sockets, no fork, no signals to others; memory,
 * files, clocks, threads and the kept socket still work. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/error.h"
#include "isolate/sandbox.h"

/* Each check that fails in the child exits with its own code. */
#define CHILD_CHECK(cond, code)                                                           \
    do {                                                                                 \
        if (!(cond))                                                                     \
            _exit(code);                                                                 \
    } while (0)

static void *thread_main(void *arg)
{
    return arg;
}

static int run_in_child(void (*body)(int fd))
{
    int sv[2];
    assert_int_equal(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        body(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    int status = 0;
    assert_int_equal(pid, waitpid(pid, &status, 0));
    char byte = 0;
    ssize_t got = read(sv[0], &byte, 1);
    close(sv[0]);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0)
        assert_true(got == 1 && byte == 'k');
    return WEXITSTATUS(status);
}

static void close_fds_body(int fd)
{
    int extra = open("/dev/null", O_RDONLY);
    CHILD_CHECK(extra > 2, 10);
    char err[128];
    CHILD_CHECK(isolate_sandbox_close_fds(fd, err, sizeof err) == 0, 11);
    CHILD_CHECK(fcntl(extra, F_GETFD) == -1 && errno == EBADF, 12);
    CHILD_CHECK(fcntl(fd, F_GETFD) != -1, 13);
    CHILD_CHECK(fcntl(STDERR_FILENO, F_GETFD) != -1, 14);
    CHILD_CHECK(write(fd, "k", 1) == 1, 15);
}

static void test_close_fds_keeps_only_the_socket(void **state)
{
    (void)state;
    assert_int_equal(0, run_in_child(close_fds_body));
}

static void filter_body(int fd)
{
    char err[128];
    int rc = isolate_sandbox_apply(err, sizeof err);
    if (rc == GW_EUNSUPPORTED)
        _exit(77);
    CHILD_CHECK(rc == 0, 20);
    /* refused, visibly (EPERM), without killing the process */
    errno = 0;
    CHILD_CHECK(socket(AF_INET, SOCK_STREAM, 0) == -1 && errno == EPERM, 21);
    int sv[2];
    CHILD_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 && errno == EPERM, 22);
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {NULL};
    CHILD_CHECK(execve("/bin/true", argv, envp) == -1 && errno == EPERM, 23);
    CHILD_CHECK(fork() == -1, 24);
    CHILD_CHECK(kill(getppid(), 0) == -1 && errno == EPERM, 25);
    /* an allow list: a call not on it is "not implemented" */
    CHILD_CHECK(syscall(SYS_chdir, "/") == -1 && errno == ENOSYS, 26);
    CHILD_CHECK(syscall(SYS_setpgid, 0, 0) == -1 && errno == ENOSYS, 27);
    /* tgkill and prlimit64 only on this process (the gateway runs as the
     * same user) */
    CHILD_CHECK(syscall(SYS_tgkill, getppid(), getppid(), 0) == -1 && errno == EPERM, 28);
    struct rlimit lim;
    CHILD_CHECK(prlimit(getppid(), RLIMIT_NOFILE, NULL, &lim) == -1 && errno == EPERM, 29);
    CHILD_CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &lim) == 0, 36);
    CHILD_CHECK(syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0) == 0, 37);
    /* what a plugin needs still works */
    void *p = malloc(1 << 20);
    CHILD_CHECK(p != NULL, 30);
    memset(p, 1, 1 << 20);
    free(p);
    int file = open("/dev/null", O_RDONLY);
    CHILD_CHECK(file >= 0, 31);
    close(file);
    struct timespec ts;
    CHILD_CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, 32);
    pthread_t t;
    CHILD_CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0, 33);
    CHILD_CHECK(pthread_join(t, NULL) == 0, 34);
    CHILD_CHECK(write(fd, "k", 1) == 1, 35);
}

static void test_filter_refuses_escape_and_allows_work(void **state)
{
    (void)state;
    int code = run_in_child(filter_body);
    if (code == 77)
        skip();
    assert_int_equal(0, code);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_fds_keeps_only_the_socket),
        cmocka_unit_test(test_filter_refuses_escape_and_allows_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
