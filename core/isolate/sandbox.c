/* isolate/sandbox.c - descriptor hygiene and the seccomp filter of the
 * plugin host; see sandbox.h for what is forbidden and why.
 *
 * The filter is a deny list over an allowed default: a plugin needs
 * memory, clocks, files it was configured with (certificates, keys),
 * its own threads, and the socketpair, and an allow list exact enough
 * to be "nothing else" breaks with each libc update. What it denies is
 * every way out of the box: new programs, new network endpoints, new
 * processes, other processes, the kernel's attack surface.
 */
#define _GNU_SOURCE
#include "isolate/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "gateway/error.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

static int close_by_walk(int keep_fd)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return -1;
    int self = dirfd(dir);
    struct dirent *e;
    /* Collect first: closing while reading the directory would skip
     * entries. 1024 at a time; repeat until a pass closes nothing. */
    int found;
    do {
        int fds[1024], n = 0;
        found = 0;
        rewinddir(dir);
        while ((e = readdir(dir)) != NULL && n < 1024) {
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (*end != '\0' || e->d_name[0] == '\0' || fd <= 2 || fd == keep_fd ||
                fd == self)
                continue;
            fds[n++] = (int)fd;
        }
        for (int i = 0; i < n; i++)
            found |= close(fds[i]) == 0;
    } while (found);
    closedir(dir);
    return 0;
}

int isolate_sandbox_close_fds(int keep_fd, char *err, size_t errlen)
{
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        snprintf(err, errlen, "sandbox: cannot point stdout at stderr: %s", strerror(errno));
        return GW_EIO;
    }
    int rc = -1;
#ifdef SYS_close_range
    if (keep_fd > 3)
        rc = (int)syscall(SYS_close_range, 3u, (unsigned)keep_fd - 1, 0u);
    else
        rc = 0;
    if (rc == 0)
        rc = (int)syscall(SYS_close_range, (unsigned)keep_fd + 1, ~0u, 0u);
#endif
    if (rc != 0 && close_by_walk(keep_fd) != 0) {
        snprintf(err, errlen, "sandbox: cannot list /proc/self/fd: %s", strerror(errno));
        return GW_EIO;
    }
    return 0;
}

#ifdef SANDBOX_ARCH

#define DENY_ERRNO(nr)                                                                   \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                       \
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

static const struct sock_filter sandbox_filter[] = {
    /* Another architecture's numbering (x32, i386 on x86_64) would make
     * the list below mean other calls: kill the process. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
    /* clone: threads yes (CLONE_THREAD), new processes no. clone3 gets
     * ENOSYS so libc falls back to clone, whose flags are readable. */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
#ifdef SYS_clone3
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
#endif
    DENY_ERRNO(SYS_execve),
    DENY_ERRNO(SYS_execveat),
#ifdef SYS_fork
    DENY_ERRNO(SYS_fork),
    DENY_ERRNO(SYS_vfork),
#endif
    DENY_ERRNO(SYS_socket),
    DENY_ERRNO(SYS_socketpair),
    DENY_ERRNO(SYS_connect),
    DENY_ERRNO(SYS_bind),
    DENY_ERRNO(SYS_listen),
    DENY_ERRNO(SYS_accept),
    DENY_ERRNO(SYS_accept4),
    DENY_ERRNO(SYS_kill),
    DENY_ERRNO(SYS_ptrace),
    DENY_ERRNO(SYS_process_vm_readv),
    DENY_ERRNO(SYS_process_vm_writev),
    DENY_ERRNO(SYS_mount),
    DENY_ERRNO(SYS_umount2),
    DENY_ERRNO(SYS_pivot_root),
    DENY_ERRNO(SYS_chroot),
    DENY_ERRNO(SYS_setns),
    DENY_ERRNO(SYS_unshare),
    DENY_ERRNO(SYS_init_module),
    DENY_ERRNO(SYS_finit_module),
    DENY_ERRNO(SYS_delete_module),
    DENY_ERRNO(SYS_kexec_load),
    DENY_ERRNO(SYS_bpf),
    DENY_ERRNO(SYS_perf_event_open),
    DENY_ERRNO(SYS_keyctl),
    DENY_ERRNO(SYS_add_key),
    DENY_ERRNO(SYS_request_key),
    DENY_ERRNO(SYS_reboot),
    DENY_ERRNO(SYS_userfaultfd),
    DENY_ERRNO(SYS_io_uring_setup),
    DENY_ERRNO(SYS_io_uring_enter),
    DENY_ERRNO(SYS_io_uring_register),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int isolate_sandbox_apply(char *err, size_t errlen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "sandbox: PR_SET_NO_NEW_PRIVS refused: %s", strerror(errno));
        return errno == EINVAL ? GW_EUNSUPPORTED : GW_EIO;
    }
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof sandbox_filter / sizeof sandbox_filter[0]),
        .filter = (struct sock_filter *)sandbox_filter,
    };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        snprintf(err, errlen, "sandbox: seccomp filter refused: %s", strerror(errno));
        return errno == EINVAL ? GW_EUNSUPPORTED : GW_EIO;
    }
    return 0;
}

#else

int isolate_sandbox_apply(char *err, size_t errlen)
{
    snprintf(err, errlen, "sandbox: no seccomp filter for this architecture");
    return GW_EUNSUPPORTED;
}

#endif
