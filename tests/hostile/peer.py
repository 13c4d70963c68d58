#!/usr/bin/python3
"""peer.py: hostile TCP peers that tests/servers/zt_server.py does not cover, for the
hostile-peer tests. Stdlib only; one thread per connection; loopback, port 0.

Usage: peer.py --mode MODE --port-file F [--bind 127.0.0.1] [--max-seconds 120] [--location URL]
Modes:
  rst-on-accept   RST right after accept, before reading anything
  close-on-accept FIN right after accept (an empty reply)
  banner          speaks first, another protocol (an SSH banner), then holds the line: a
                  non-PostgreSQL service where PostgreSQL was expected
  header-flood    HTTP status line, then header lines without end (1 KB each, as fast as the
                  peer reads): the headers never finish
  tls-garbage     reads the ClientHello, answers bytes that are not TLS, holds
  reflect         HTTP: answers 401 with the request's own head (every header, Authorization
                  included) in the body and in a WWW-Authenticate header: a server that
                  hands a secret straight back, for the secrets tests
  redirect        HTTP: 302 to --location (default "/final"; "{self}" is replaced by the
                  peer's own port) for every path but /final, which answers 200 "final-page"
                  and echoes the request's X-Zt-Secret header, if any, in X-Got
  pg-c1           PostgreSQL: refuses TLS ('N'), reads the startup packet, answers an
                  ErrorResponse (28P01) whose message carries C1 controls, as UTF-8 (U+009B,
                  CSI) and as raw bytes (0x9b, 0x85), and ESC: terminal escapes from a peer
The port goes to --port-file (written atomically).
"""

import argparse
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
import serverlib  # noqa: E402

MODES = ("rst-on-accept", "close-on-accept", "banner", "header-flood", "tls-garbage", "reflect", "pg-c1", "redirect")


def read_head(conn):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        data = conn.recv(4096)
        if not data:
            return None
        head += data
    return head.split(b"\r\n\r\n", 1)[0]


def redirect(conn, location):
    conn.settimeout(5)
    while True:
        head = read_head(conn)
        if head is None:
            return
        path = head.split(b" ")[1] if len(head.split(b" ")) > 1 else b"/"
        if path.startswith(b"/final"):
            got = b""
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"x-zt-secret:"):
                    got = line.split(b":", 1)[1].strip()
            body = b"final-page"
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Got: " + got + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        else:
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + location.encode() +
                         b"\r\nContent-Length: 0\r\n\r\n")


def handle(mode, location, conn):
    try:
        if mode == "redirect":
            redirect(conn, location)
            return
        if mode == "rst-on-accept":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if mode == "close-on-accept":
            return
        if mode == "banner":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
            serverlib.hold(conn)
            return
        if mode == "header-flood":
            conn.settimeout(5)
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            line = b"X-Flood: " + b"f" * 1012 + b"\r\n"
            while True:
                conn.sendall(line)
        if mode == "reflect":
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            head = head.split(b"\r\n\r\n", 1)[0]
            auth = b""
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"authorization:"):
                    auth = line.split(b":", 1)[1].strip()
            conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"" + auth +
                         b"\"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(head) + head)
            return
        if mode == "pg-c1":
            conn.settimeout(5)
            n = struct.unpack("!I", conn.recv(4, socket.MSG_WAITALL))[0]
            body = conn.recv(n - 4, socket.MSG_WAITALL)
            if n == 8 and struct.unpack("!I", body)[0] == 80877103:  # SSLRequest
                conn.sendall(b"N")
                n = struct.unpack("!I", conn.recv(4, socket.MSG_WAITALL))[0]
                conn.recv(n - 4, socket.MSG_WAITALL)
            msg = (b"password authentication failed \xc2\x9b" b"31m C1-UTF8 \x9b" b"2J C1-RAW \x85"
                   b" NEL \x1b[5m ESC end")
            fields = b"SFATAL\0VFATAL\0C28P01\0M" + msg + b"\0\0"
            conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)
            return
        if mode == "tls-garbage":
            conn.settimeout(5)
            conn.recv(4096)
            conn.sendall(b"\x15\x03\x03\x00\x02\xff\xff" + b"NOT TLS AT ALL\r\n" * 64)
            serverlib.hold(conn)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description="hostile TCP peer")
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--location", default="/final")
    args = ap.parse_args()
    serverlib.exit_after(args.max_seconds)
    s = serverlib.bind_socket(args.bind, 0)
    serverlib.report_port(s.getsockname()[1], args.port_file)
    serverlib.serve_connections(s, handle, args.mode, args.location.replace("{self}", str(s.getsockname()[1])))


if __name__ == "__main__":
    main()
