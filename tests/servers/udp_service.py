#!/usr/bin/python3
"""udp_service.py: the lab's UDP service (statsd's port on the backend pod), for udp probes.

Every datagram is answered with "echo:" followed by the datagram, from the address it was sent
to, so a probe can tell a reply of this server from a reflection (expect_reply "echo:ztprobe").
A datagram starting with "silent" gets no reply: the same server can stand for a peer that
reads and never answers.

Usage: udp_service.py --bind ADDR[,ADDR...] [--port 0] [--port-file F] [--max-seconds 300]
The first address gets --port (0: any), the others the same port. The real port goes to
--port-file (written atomically) or to stdout's first line. Runs until SIGTERM/SIGINT or
--max-seconds.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import threading


def make_socket(bind, port):
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((bind, port))
    return s


def main():
    ap = argparse.ArgumentParser(description="UDP echo server for the ztprobe lab")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    timer = threading.Timer(args.max_seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()

    binds = args.bind.split(",")
    socks = [make_socket(binds[0], args.port)]
    port = socks[0].getsockname()[1]
    socks.extend(make_socket(b, port) for b in binds[1:])
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        sys.stdout.write("%d\n" % port)
        sys.stdout.flush()

    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            try:
                data, peer = key.fileobj.recvfrom(65536)
            except OSError:
                continue
            if data.startswith(b"silent"):
                continue
            try:
                key.fileobj.sendto(b"echo:" + data[:65000], peer)
            except OSError:
                pass


if __name__ == "__main__":
    main()
