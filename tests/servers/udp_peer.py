#!/usr/bin/python3
"""udp_peer.py: UDP peers for the udp probe kind's tests. Stdlib only; loopback or a lab
namespace, port 0 unless --port.

Usage: udp_peer.py --mode MODE --bind ADDR[,ADDR...] [--port 0] [--port-file F] [--max-seconds 180]
Modes:
  echo     replies "pong:" + the datagram (a service that answers)
  garbage  replies 512 random bytes (another protocol)
  big      replies one datagram of the largest size UDP carries (65507 bytes over IPv4,
           65527 over IPv6)
  many     replies 1000 datagrams of 1 KB to every datagram (a flood)
  silent   reads and never replies (a service that ignores the payload, or a drop)
--bind A,B: every address gets the same port (the first's), so a dual-stack name reaches
this one peer over both families. The port goes to --port-file (written atomically).
"""

import os
import socket
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

MODES = ("echo", "garbage", "big", "many", "silent")


def serve(mode, sock):
    big = 65527 if sock.family == socket.AF_INET6 else 65507
    while True:
        try:
            data, peer = sock.recvfrom(65536)
        except OSError:
            continue
        try:
            if mode == "echo":
                sock.sendto(b"pong:" + data, peer)
            elif mode == "garbage":
                sock.sendto(os.urandom(512), peer)
            elif mode == "big":
                sock.sendto(b"B" * big, peer)
            elif mode == "many":
                for _ in range(1000):
                    sock.sendto(b"m" * 1024, peer)
        except OSError:
            pass


def main():
    ap = serverlib.arguments("ztprobe UDP test peer", 180)
    ap.add_argument("--mode", required=True, choices=MODES)
    args = ap.parse_args()
    serverlib.exit_on_signals()
    serverlib.exit_after(args.max_seconds)
    socks, port = serverlib.bind_all(args.bind, args.port, udp=True)
    serverlib.report_port(port, args.port_file)
    for s in socks[1:]:
        threading.Thread(target=serve, args=(args.mode, s), daemon=True).start()
    serve(args.mode, socks[0])


if __name__ == "__main__":
    main()
