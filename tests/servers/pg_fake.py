#!/usr/bin/python3
"""pg_fake.py: a recording fake PostgreSQL server, for the credential tests.

It speaks just enough of the v3 protocol to take a client as far as it will go: it refuses
TLS ('N' to SSLRequest and GSSENCRequest), reads the startup message, asks for a cleartext
password (the request a hostile server would make), takes any password, says the login
worked (server_version 15.99-fake), and answers every simple query with one row holding
--row. It records, per connection, one JSON line in --log: the startup parameters, the
password it got (null when the client sent none) and the queries, so a test can prove what a
client sent to a server it should not have trusted.

Usage: pg_fake.py --log FILE --port-file F [--bind 127.0.0.1] [--row TEXT] [--max-seconds 120]
Stdlib only; one thread per connection; loopback, port 0.
"""

import argparse
import json
import os
import struct
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
PROTOCOL_3 = 196608

_log_lock = threading.Lock()


def msg(kind, payload):
    return kind + struct.pack("!I", len(payload) + 4) + payload


def handle(args, conn):
    rec = {"ssl_requests": 0, "startup": None, "password": None, "queries": []}
    try:
        conn.settimeout(10)
        while True:  # SSLRequest / GSSENCRequest, then the startup message
            (length,) = struct.unpack("!I", serverlib.recv_exact(conn, 4))
            if length < 8 or length > 10000:
                return
            body = serverlib.recv_exact(conn, length - 4)
            (code,) = struct.unpack("!I", body[:4])
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                rec["ssl_requests"] += code == SSL_REQUEST
                conn.sendall(b"N")
                continue
            if code != PROTOCOL_3:
                return
            parts = body[4:].split(b"\0")
            params = {}
            for i in range(0, len(parts) - 1, 2):
                if parts[i]:
                    params[parts[i].decode("utf-8", "replace")] = parts[i + 1].decode("utf-8", "replace")
            rec["startup"] = params
            break
        conn.sendall(msg(b"R", struct.pack("!I", 3)))  # AuthenticationCleartextPassword
        kind = serverlib.recv_exact(conn, 1)
        (length,) = struct.unpack("!I", serverlib.recv_exact(conn, 4))
        body = serverlib.recv_exact(conn, length - 4)
        if kind != b"p":
            return
        rec["password"] = body.rstrip(b"\0").decode("utf-8", "replace")
        conn.sendall(msg(b"R", struct.pack("!I", 0))
                     + msg(b"S", b"server_version\x0015.99-fake\x00")
                     + msg(b"S", b"client_encoding\x00UTF8\x00")
                     + msg(b"K", struct.pack("!II", 4242, 1))
                     + msg(b"Z", b"I"))
        while True:
            kind = serverlib.recv_exact(conn, 1)
            (length,) = struct.unpack("!I", serverlib.recv_exact(conn, 4))
            body = serverlib.recv_exact(conn, length - 4)
            if kind == b"X":
                return
            if kind != b"Q":
                return
            rec["queries"].append(body.rstrip(b"\0").decode("utf-8", "replace"))
            row = args.row.encode()
            field = b"value\0" + struct.pack("!IhIhih", 0, 0, 25, -1, -1, 0)
            conn.sendall(msg(b"T", struct.pack("!h", 1) + field)
                         + msg(b"D", struct.pack("!hI", 1, len(row)) + row)
                         + msg(b"C", b"SELECT 1\0")
                         + msg(b"Z", b"I"))
    except (EOFError, OSError, struct.error):
        pass
    finally:
        conn.close()
        with _log_lock, open(args.log, "a") as f:
            f.write(json.dumps(rec) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--row", default="fake row")
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    s = serverlib.bind_socket(args.bind, 0)
    serverlib.report_port(s.getsockname()[1], args.port_file)
    serverlib.exit_after(args.max_seconds)
    serverlib.serve_connections(s, handle, args)


if __name__ == "__main__":
    main()
