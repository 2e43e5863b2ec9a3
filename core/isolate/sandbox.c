/* isolate/sandbox.c - descriptor hygiene and the seccomp filter of the
 * plugin host; see sandbox.h for what is forbidden and why.
 *
 * The filter is an allow list: a plugin needs memory, clocks, files it
 * was configured with (certificates, keys), its own threads and signals,
 * and the socketpair; any other call fails with ENOSYS ("not
 * implemented"), on which libc falls back to an older call where it has
 * one. The ways out of the box (new programs, network endpoints,
 * processes, other processes, the kernel's attack surface) fail with
 * EPERM instead, so a plugin that tries reports "not permitted".
 */
#define _GNU_SOURCE
#include "isolate/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
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

/* The calls a plugin and the libraries under it (libc, jansson, the
 * loader that maps the plugin) make: memory, descriptors it already has
 * or opens, clocks, its own threads and signals, and nothing else.
 * Where x86_64 and aarch64 differ (the legacy calls aarch64 never had),
 * each is listed under #ifdef. */
static const int sandbox_allowed[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_preadv,
    SYS_pwritev, SYS_close, SYS_lseek, SYS_openat, SYS_fstat, SYS_newfstatat, SYS_statx,
    SYS_fstatfs, SYS_statfs, SYS_faccessat, SYS_readlinkat, SYS_getdents64, SYS_fcntl, SYS_dup,
    SYS_dup3, SYS_ioctl, SYS_flock, SYS_fsync, SYS_fdatasync, SYS_ftruncate, SYS_pipe2,
    SYS_getcwd, SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise,
    SYS_msync, SYS_mincore, SYS_clock_gettime, SYS_clock_getres, SYS_clock_nanosleep,
    SYS_gettimeofday, SYS_nanosleep, SYS_exit, SYS_exit_group, SYS_getpid, SYS_gettid,
    SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getrusage, SYS_uname,
    SYS_sysinfo, SYS_getrandom, SYS_set_tid_address, SYS_set_robust_list, SYS_get_robust_list,
    SYS_futex, SYS_sched_yield, SYS_sched_getaffinity, SYS_rt_sigaction, SYS_rt_sigprocmask,
    SYS_rt_sigreturn, SYS_rt_sigtimedwait, SYS_sigaltstack, SYS_restart_syscall, SYS_prctl,
    SYS_ppoll, SYS_pselect6, SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_pwait, SYS_eventfd2,
    SYS_timerfd_create, SYS_timerfd_settime, SYS_timerfd_gettime, SYS_recvfrom, SYS_sendto,
    SYS_recvmsg, SYS_sendmsg, SYS_shutdown, SYS_getsockopt, SYS_setsockopt, SYS_membarrier,
#ifdef SYS_rseq
    SYS_rseq,
#endif
#ifdef SYS_faccessat2
    SYS_faccessat2,
#endif
#ifdef SYS_close_range
    SYS_close_range,
#endif
#ifdef SYS_open
    SYS_open, SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_dup2, SYS_pipe, SYS_poll,
    SYS_select, SYS_epoll_wait, SYS_epoll_create, SYS_eventfd, SYS_time, SYS_arch_prctl,
#endif
};

/* Refused with EPERM rather than ENOSYS: the ways out of the box a
 * plugin might try on purpose, so its error path reports "not
 * permitted" (and the test can tell them from calls merely unlisted). */
static const int sandbox_refused[] = {
    SYS_execve, SYS_execveat, SYS_socket, SYS_socketpair, SYS_connect, SYS_bind, SYS_listen,
    SYS_accept, SYS_accept4, SYS_kill, SYS_tkill, SYS_ptrace, SYS_process_vm_readv,
    SYS_process_vm_writev, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_setns,
    SYS_unshare, SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_kexec_load, SYS_bpf,
    SYS_perf_event_open, SYS_keyctl, SYS_add_key, SYS_request_key, SYS_reboot, SYS_userfaultfd,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
#ifdef SYS_fork
    SYS_fork, SYS_vfork,
#endif
};

#define FILTER_MAX 512 /* BPF_MAXINSNS is 4096; each listed call takes two */
#define RET(action) BPF_STMT(BPF_RET | BPF_K, (action))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))

typedef struct filter {
    struct sock_filter ins[FILTER_MAX];
    unsigned short len;
} filter;

static void put(filter *f, struct sock_filter ins)
{
    if (f->len < FILTER_MAX)
        f->ins[f->len] = ins;
    f->len++; /* past FILTER_MAX: refused by isolate_sandbox_apply */
}

/* "syscall nr: return action" (the syscall number is loaded). */
static void on_call(filter *f, int nr, uint32_t action)
{
    put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1));
    put(f, (struct sock_filter)RET(action));
}

/* The filter for this process: built here because tgkill and prlimit64
 * may only name the process itself, whose pid is known now. */
static void build(filter *f, uint32_t self)
{
    f->len = 0;
    /* Another architecture's numbering (x32, i386 on x86_64) would make
     * the lists mean other calls: kill the process. */
    put(f, (struct sock_filter)LOAD(arch));
    put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0));
    put(f, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
    put(f, (struct sock_filter)LOAD(nr));
#if defined(__x86_64__)
    put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    put(f, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
#endif
    /* clone: threads yes (CLONE_THREAD), new processes no. clone3 gets
     * ENOSYS so libc falls back to clone, whose flags are readable. */
    put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
    put(f, (struct sock_filter)LOAD(args[0]));
    put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
    put(f, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    put(f, (struct sock_filter)RET(ERRNO(EPERM)));
    /* tgkill (abort() signals itself with it) and prlimit64 only on this
     * process: the gateway runs under the same user. */
    static const int self_only[] = {SYS_tgkill, SYS_prlimit64};
    for (size_t i = 0; i < sizeof self_only / sizeof self_only[0]; i++) {
        uint32_t pid_ok = self_only[i] == SYS_prlimit64 ? 0 : self;
        put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self_only[i], 0,
                                            5));
        put(f, (struct sock_filter)LOAD(args[0]));
        put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 2, 0));
        put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, pid_ok, 1, 0));
        put(f, (struct sock_filter)RET(ERRNO(EPERM)));
        put(f, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    }
#ifdef SYS_clone3
    on_call(f, SYS_clone3, ERRNO(ENOSYS));
#endif
    for (size_t i = 0; i < sizeof sandbox_refused / sizeof sandbox_refused[0]; i++)
        on_call(f, sandbox_refused[i], ERRNO(EPERM));
    for (size_t i = 0; i < sizeof sandbox_allowed / sizeof sandbox_allowed[0]; i++)
        on_call(f, sandbox_allowed[i], SECCOMP_RET_ALLOW);
    /* Everything else: "not implemented", which libc takes as its cue to
     * fall back to an older call when there is one. */
    put(f, (struct sock_filter)RET(ERRNO(ENOSYS)));
}

int isolate_sandbox_apply(char *err, size_t errlen)
{
    filter f;
    build(&f, (uint32_t)getpid());
    if (f.len > FILTER_MAX) {
        snprintf(err, errlen, "sandbox: the filter has %u instructions, at most %d",
                 (unsigned)f.len, FILTER_MAX);
        return GW_EIO;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "sandbox: PR_SET_NO_NEW_PRIVS refused: %s", strerror(errno));
        return errno == EINVAL ? GW_EUNSUPPORTED : GW_EIO;
    }
    struct sock_fprog prog = {.len = f.len, .filter = f.ins};
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
