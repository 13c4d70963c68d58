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

import os
import selectors
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402


def main():
    ap = serverlib.arguments("UDP echo server for the ztprobe lab", 300)
    args = ap.parse_args()

    serverlib.exit_on_signals()
    serverlib.exit_after(args.max_seconds)
    socks, port = serverlib.bind_all(args.bind, args.port, udp=True)
    serverlib.report_port(port, args.port_file)

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
