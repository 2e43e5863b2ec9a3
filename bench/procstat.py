"""What the benchmarks read of a process from /proc (Linux): peak and
current memory, CPU time, child processes. Imported by the scripts beside
it (flood.py, sse.py, accounts.py, loop.py)."""
import os


def status_kb(pid, field):
    """A field of /proc/PID/status in KB (VmRSS, VmHWM, RssAnon...); 0 when
    absent."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _stat_fields(path):
    """The fields of a stat file of /proc after the command's name (which
    may hold spaces and parentheses): [0] is the state, [7] minflt, [11]
    utime, [12] stime."""
    with open(path) as f:
        return f.read().rsplit(")", 1)[1].split()


def _stat_cpu_seconds(path):
    """user + system CPU time from a stat file of /proc."""
    fields = _stat_fields(path)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """user + system CPU time of a process so far (from /proc/PID/stat):
    unlike a rate, it hardly moves when other processes share the cores."""
    return _stat_cpu_seconds("/proc/%d/stat" % pid)


def thread_cpu_seconds(pid, tid=None):
    """user + system CPU time of one thread of a process (the main thread,
    the gateway's event loop, by default): the loop's cost per event is
    what bounds the events/s, whatever the other threads spend."""
    return _stat_cpu_seconds("/proc/%d/task/%d/stat" % (pid, pid if tid is None else tid))


def thread_kernel_and_faults(pid, tid=None):
    """(system CPU seconds, minor page faults) of one thread (the main
    thread by default): the kernel's share of the loop's time, and the
    first touches of new memory that make most of it when the gateway's
    state grows (docs/design.md, stop 37)."""
    fields = _stat_fields("/proc/%d/task/%d/stat" % (pid, pid if tid is None else tid))
    return int(fields[12]) / os.sysconf("SC_CLK_TCK"), int(fields[7])


def children(pid):
    """The process's children (an isolated plugin's host); [] when gone."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def steal_jiffies(cpu="cpu"):
    """(steal, total) jiffies of one CPU ("cpu1") or all ("cpu") since
    boot, from /proc/stat: the time a hypervisor ran something else while
    this machine's CPU was ready. Two readings give the share stolen in
    between; (0, 0) when the line is missing."""
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0] == cpu:
                values = [int(v) for v in fields[1:9]]  # user .. steal
                return values[7], sum(values)
    return 0, 0


def steal_share(before, after):
    """Per cent of the CPU time between two steal_jiffies() readings that
    was stolen."""
    return 100.0 * (after[0] - before[0]) / max(1, after[1] - before[1])
