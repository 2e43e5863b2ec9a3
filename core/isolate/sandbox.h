/* isolate/sandbox.h - least privilege for the plugin host process.
 *
 * Run in the child before it loads the plugin: it keeps only the
 * socketpair to the core and the standard descriptors, then forbids
 * (with PR_SET_NO_NEW_PRIVS and a seccomp-BPF filter) what a plugin has
 * no business doing: running programs, opening sockets of its own (it
 * reaches the network only through the host's http_request), forking,
 * signalling other processes, tracing, loading kernel code, io_uring
 * (whose operations would bypass the filter), changing namespaces or
 * mounts. A forbidden call fails with EPERM rather than killing the
 * process, so the plugin's own error path reports it and the breach is
 * visible in its log.
 */
#ifndef GW_ISOLATE_SANDBOX_H
#define GW_ISOLATE_SANDBOX_H

#include <stddef.h>

/* isolate_sandbox_close_fds - close every descriptor above 2 except
 * keep_fd (close_range where the kernel has it, else a walk over
 * /proc/self/fd), and point stdout at stderr so a plugin's printf cannot
 * interleave with the stdout sink's stream. Returns 0 or GW_EIO (err
 * says which step failed). */
int isolate_sandbox_close_fds(int keep_fd, char *err, size_t errlen);

/* isolate_sandbox_apply - set PR_SET_NO_NEW_PRIVS and install the
 * filter; from then on it holds for this process and every thread it
 * starts. Returns 0; GW_EUNSUPPORTED when this architecture or kernel
 * has no seccomp filter mode (err says so: the caller logs it and runs
 * unfiltered); GW_EIO when a step the kernel offers failed. */
int isolate_sandbox_apply(char *err, size_t errlen);

#endif /* GW_ISOLATE_SANDBOX_H */
