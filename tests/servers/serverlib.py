"""serverlib.py: what the test servers share. Stdlib only.

The conventions every server keeps: the port it got goes to --port-file (written atomically,
so a test polling for the file never reads half a number) or to stdout's first line; it exits
at --max-seconds and on SIGTERM/SIGINT, so a forgotten server never outlives its test by long;
--bind A,B,... binds every address on the first one's port, each family once.
"""

import argparse
import os
import signal
import socket
import sys
import threading


def arguments(description, max_seconds):
    """A parser with the options every server that binds given addresses takes."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-seconds", type=float, default=max_seconds)
    return ap


def report_port(port, port_file):
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, port_file)
    else:
        sys.stdout.write("%d\n" % port)
        sys.stdout.flush()


def exit_after(seconds):
    """Ends the process after seconds, whatever its threads are doing."""
    timer = threading.Timer(seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()


def exit_on_signals():
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))


def bind_socket(bind, port, udp=False, backlog=256):
    """A socket bound to bind:port, listening unless udp."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    if not udp:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        # "--bind 0.0.0.0,::" binds each family once; without V6ONLY "::" takes IPv4 too
        # and the second bind fails.
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((bind, port))
    if not udp:
        s.listen(backlog)
    return s


def bind_all(binds, port, udp=False):
    """--bind A,B,...: the first address gets port (0: any), the others the same port, so a
    name resolving to several addresses reaches this one server whichever it picks. Returns
    (sockets, port)."""
    addrs = binds.split(",")
    socks = [bind_socket(addrs[0], port, udp)]
    port = socks[0].getsockname()[1]
    socks.extend(bind_socket(a, port, udp) for a in addrs[1:])
    return socks, port


def serve_connections(sock, handle, *args):
    """Accepts forever; handle(*args, conn) runs in a thread per connection."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        threading.Thread(target=handle, args=args + (conn,), daemon=True).start()


def recv_exact(conn, n):
    """n bytes; EOFError when the peer closes first."""
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def hold(conn):
    """Reads and never answers until the peer goes: a black hole past the handshake."""
    conn.settimeout(1.0)
    while True:
        try:
            if not conn.recv(4096):
                return
        except socket.timeout:
            continue
