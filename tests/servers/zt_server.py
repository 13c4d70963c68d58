#!/usr/bin/python3
"""zt_server.py: a multi-mode test server for ztprobe's integration and lab tests.

Each mode reproduces one way a network peer can behave (a healthy service, a silent one, a
reset, a stream that never ends, ...), so a test can assert the outcome the agent reports.
Stdlib only. One thread per connection; the accept loop never blocks on a client.

Usage: zt_server.py --mode MODE --bind ADDR[,ADDR...] [--port 0] [--port-file F]
                    [--tls-cert C --tls-key K [--tls-alpn ID,...] [--tls-max 1.2|1.3]]
                    [--max-seconds 300] [--conn-log F]

Modes: healthy (GET /health 200 {"status":"healthy"}, else 404), status (404), silent,
reset (RST after the request), garbage, trickle (1 byte/s), endless (chunked), big (100 MB),
redirect (302 to itself), tls-stall, pg-silent, echo-any (accept, echo, hold), udp-drop
(a UDP socket that reads and never answers: a silent DNS server).

The real port goes to --port-file (written atomically) or, without it, to stdout's first
line. The server runs until SIGTERM/SIGINT or --max-seconds, whichever comes first, so a
forgotten server never outlives its test by long.
"""

import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

HTTP_MODES = ("healthy", "status", "silent", "reset", "garbage", "trickle", "endless",
              "big", "redirect", "l7")
RAW_MODES = ("tls-stall", "pg-silent", "echo-any", "udp-drop")
MODES = HTTP_MODES + RAW_MODES

MAX_HEADER = 64 * 1024
BIG_SIZE = 100 * 1024 * 1024
TOKEN_CHARS = set(b"!#$%&'*+-.^_`|~0123456789"
                  b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

_stop = threading.Event()


def log(msg):
    sys.stderr.write("zt_server: %s\n" % msg)
    sys.stderr.flush()


def send_all(conn, data):
    try:
        conn.sendall(data)
        return True
    except (OSError, ssl.SSLError):
        return False


def rst_close(conn):
    """Closes with SO_LINGER {1, 0}: the kernel sends RST instead of FIN."""
    try:
        raw = conn.unwrap() if isinstance(conn, ssl.SSLSocket) else conn
    except (OSError, ssl.SSLError):
        raw = conn
    try:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    raw.close()


def hold(conn, echo=False):
    """Reads (optionally echoing) until the peer closes or the server stops; never answers
    on its own. This is what a black hole past the TCP handshake looks like."""
    conn.settimeout(0.5)
    while not _stop.is_set():
        try:
            data = conn.recv(4096)
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            return
        if not data:
            return
        if echo and not send_all(conn, data):
            return


def read_request(conn):
    """Reads an HTTP request head. Returns (method, path, headers) or None when the peer
    closed, or "bad" when the bytes are not HTTP (e.g. a PostgreSQL startup packet): a real
    server answers 400 to that rather than waiting for a CRLF that never comes."""
    buf = b""
    conn.settimeout(10)
    while b"\r\n\r\n" not in buf:
        try:
            data = conn.recv(4096)
        except (OSError, ssl.SSLError):
            return None
        if not data:
            return None
        buf += data
        first = buf.split(b" ", 1)[0]
        if any(c not in TOKEN_CHARS for c in first[:16]) or len(buf) > MAX_HEADER:
            return "bad"
    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return "bad"
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return parts[0], parts[1], headers


def response(code, reason, body, extra=()):
    if isinstance(body, str):
        body = body.encode()
    head = ["HTTP/1.1 %d %s" % (code, reason), "Content-Length: %d" % len(body),
            "Connection: close"]
    head.extend(extra)
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def serve_http(mode, conn):
    if mode == "silent":
        hold(conn)
        return
    if mode == "reset":
        # Wait for the request (so the client is past connect and has sent), then RST.
        conn.settimeout(2)
        try:
            conn.recv(4096)
        except (OSError, ssl.SSLError):
            pass
        rst_close(conn)
        return "closed"
    req = read_request(conn)
    if req is None:
        return
    if req == "bad":
        send_all(conn, response(400, "Bad Request", "bad request\n"))
        return
    method, path, headers = req
    if mode == "healthy":
        if path.split("?", 1)[0] == "/health":
            send_all(conn, response(200, "OK", '{"status":"healthy"}',
                                    ("Content-Type: application/json",)))
        else:
            send_all(conn, response(404, "Not Found", "not found"))
    elif mode == "status":
        send_all(conn, response(404, "Not Found", "not found"))
    elif mode == "l7":
        # As Cilium's Envoy answers a request no L7 rule allows (/envoy), and servers' own
        # answers: another 403 (/forbidden, /denied-html), and a 200 (anything else).
        route = path.split("?", 1)[0]
        if route == "/envoy":
            send_all(conn, response(403, "Forbidden", "Access denied\r\n",
                                    ("Content-Type: text/plain", "Server: envoy")))
        elif route == "/forbidden":
            send_all(conn, response(403, "Forbidden", "forbidden"))
        elif route == "/denied-html":
            send_all(conn, response(403, "Forbidden", "<h1>Access denied</h1>"))
        else:
            send_all(conn, response(200, "OK", "ok"))
    elif mode == "redirect":
        send_all(conn, response(302, "Found", "", ("Location: %s" % path,)))
    elif mode == "garbage":
        send_all(conn, b"\x00\x01\x02\xffSSH-2.0-not-http\x00\xfe\r\n\r\n\x13\x37")
    elif mode == "trickle":
        for b in response(200, "OK", "ok"):
            if _stop.is_set() or not send_all(conn, bytes([b])):
                return
            time.sleep(1.0)
    elif mode == "endless":
        if not send_all(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              b"Content-Type: text/plain\r\n\r\n"):
            return
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        while not _stop.is_set():
            if not send_all(conn, chunk):
                return
    elif mode == "big":
        if not send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                              b"Content-Type: application/octet-stream\r\n\r\n" % BIG_SIZE):
            return
        block = b"y" * 65536
        left = BIG_SIZE
        while left > 0 and not _stop.is_set():
            n = min(left, len(block))
            if not send_all(conn, block[:n]):
                return
            left -= n


def handle(args, ctx, conn):
    try:
        if args.mode == "tls-stall":
            # Read the ClientHello and never answer: the handshake stalls.
            hold(conn)
            return
        if args.mode == "pg-silent":
            hold(conn)
            return
        if args.mode == "echo-any":
            hold(conn, echo=True)
            return
        if ctx is not None:
            conn.settimeout(10)
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as e:
                log("tls handshake: %s" % e)
                return
        if serve_http(args.mode, conn) == "closed":
            return
        try:
            conn.shutdown(socket.SHUT_WR)
            # Drain briefly so the close is a FIN, not an RST for unread request bytes.
            conn.settimeout(0.5)
            while conn.recv(4096):
                pass
        except (OSError, ssl.SSLError):
            pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def accept_loop(args, ctx, sock):
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            continue
        if args.conn_log:
            # One line per accepted connection: a test proves "no connection was made".
            with open(args.conn_log, "a") as f:
                f.write("%s %s\n" % (peer[0], peer[1]))
        t = threading.Thread(target=handle, args=(args, ctx, conn), daemon=True)
        t.start()


def main():
    ap = serverlib.arguments("ztprobe test server", 300)
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-alpn", help="comma-separated ALPN ids the TLS server selects from")
    ap.add_argument("--tls-max", choices=("1.2", "1.3"), help="highest TLS version the server speaks")
    ap.add_argument("--conn-log", help="append one line per accepted connection to this file")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")

    def on_signal(_sig, _frm):
        _stop.set()
        os._exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serverlib.exit_after(args.max_seconds)

    ctx = None
    if args.tls_cert and args.mode in HTTP_MODES:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_alpn:
            ctx.set_alpn_protocols(args.tls_alpn.split(","))
        if args.tls_max:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if args.tls_max == "1.2" else ssl.TLSVersion.TLSv1_3

    udp = args.mode == "udp-drop"
    socks, port = serverlib.bind_all(args.bind, args.port, udp)
    serverlib.report_port(port, args.port_file)

    if udp:
        # A DNS server that never answers: read and drop every datagram.
        while True:
            socks[0].recvfrom(65536)

    for s in socks[1:]:
        threading.Thread(target=accept_loop, args=(args, ctx, s), daemon=True).start()
    accept_loop(args, ctx, socks[0])


if __name__ == "__main__":
    main()
