"""fakeserve.py - how every fake server in tests/fakes/ runs: load the
network's published OpenAPI document (or say plainly that it is missing),
stop cleanly on SIGTERM/SIGINT, then announce its port on stdout and,
atomically (write then rename), in a port file a test polls, then serve
until stopped.

The handlers are installed before the port is announced, so a test that
stops the fake as soon as it sees the port never kills it mid-start.
"""
import os
import signal
import sys
import threading


def load_checker(spec, prog):
    """The OpenApiChecker for the document at spec. The published specs
    live in the shared/ folder beside the clone; when the file is not there
    the fake stops with a one-line reason instead of a traceback."""
    if not os.path.exists(spec):
        sys.exit("%s: OpenAPI document %s not found (the published specs live in the shared/ "
                 "folder beside the clone)" % (prog, os.path.normpath(spec)))
    from openapi_check import OpenApiChecker  # jsonschema: only fakes with a spec need it
    return OpenApiChecker(spec)


def write_port_file(path, port):
    """Write the port so a reader never sees half a number."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def serve(server, port_file=None):
    """Serve until SIGTERM or SIGINT; returns 0 for the process exit code."""

    def stop(signum, frame):
        # shutdown() waits for serve_forever, so run it off this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    print(port, flush=True)
    if port_file:
        write_port_file(port_file, port)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0
