#!/usr/bin/python3
"""dns_server.py: a hostile DNS server for ztprobe's hostile-peer tests (UDP and TCP, same port).

Each mode is one way a resolver can misbehave, so a test can assert that the agent reports a
DNS outcome within the probe's deadline instead of hanging, crashing or growing without bound.
Stdlib only.

Usage: dns_server.py --mode MODE [--bind 127.0.0.1] [--port 0] --port-file F
                     [--records N] [--max-seconds 120] [--query-log F]
Modes:
  silent          UDP: read and drop; TCP: accept and never answer
  tc-tcp-silent   UDP: an empty answer with the TC bit set; TCP: accept and never answer
  tc-tcp-answer   UDP: TC bit set; TCP: a proper answer (127.0.0.1)
  tc-tcp-reset    UDP: TC bit set; TCP: accept and reset at once
  tc-tcp-refused  UDP: TC bit set; TCP: the port is bound but not listening: connections are
                  refused (RST)
  tc-tcp-dropped  UDP: TC bit set; TCP: the accept queue is full and never drained, so the
                  kernel drops every SYN (no answer at all, as a firewall drop)
  malformed-short UDP and TCP: 5 bytes (a header cut short)
  malformed-count UDP and TCP: header says 5 answers, none follow
  malformed-loop  UDP and TCP: one answer whose owner name is a compression pointer to itself
  malformed-junk  UDP and TCP: the query's id, then random bytes
  many            UDP: TC bit set; TCP: --records A records (default 4000), 127.x.y.z
  cilium-proxy    UDP and TCP: as Cilium's DNS proxy under an L7 DNS rule: a name whose first
                  label is "refused" gets rcode REFUSED (the rule denies it), "nx" NXDOMAIN,
                  "servfail" SERVFAIL, any other name NOERROR with 127.0.0.1 for A (no
                  records for other types)
The port (UDP and TCP share it) goes to --port-file, written atomically.
"""

import argparse
import os
import random
import socket
import struct
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
import serverlib  # noqa: E402

MODES = ("silent", "tc-tcp-silent", "tc-tcp-answer", "tc-tcp-reset", "tc-tcp-refused",
         "tc-tcp-dropped", "malformed-short",
         "malformed-count", "malformed-loop", "malformed-junk", "many", "cilium-proxy")

RCODE_NXDOMAIN = 3
RCODE_SERVFAIL = 2
RCODE_REFUSED = 5


def parse_query(q):
    """Returns (id, question bytes incl. qtype/qclass) or None when not a query."""
    if len(q) < 12:
        return None
    qid = struct.unpack("!H", q[:2])[0]
    i = 12
    while i < len(q):
        n = q[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            return None
        i += 1 + n
    if i + 4 > len(q):
        return None
    return qid, q[12:i + 4]


def header(qid, flags, qd, an):
    return struct.pack("!HHHHHH", qid, flags, qd, an, 0, 0)


QR_AA_RD_RA = 0x8000 | 0x0400 | 0x0100 | 0x0080
TC = 0x0200


def a_record(ip_bytes):
    # Owner name: a pointer to the question's name at offset 12.
    return struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip_bytes


def answer(mode, q, tcp, records):
    parsed = parse_query(q)
    if parsed is None:
        return None
    qid, question = parsed
    if mode in ("tc-tcp-silent", "tc-tcp-answer", "tc-tcp-reset", "tc-tcp-refused",
                "tc-tcp-dropped", "many") and not tcp:
        return header(qid, QR_AA_RD_RA | TC, 1, 0) + question
    if mode == "tc-tcp-answer":
        return header(qid, QR_AA_RD_RA, 1, 1) + question + a_record(bytes([127, 0, 0, 1]))
    if mode == "many":
        rr = b"".join(a_record(bytes([127, (i >> 16) & 0xFF, (i >> 8) & 0xFF, (i & 0xFF) or 1]))
                      for i in range(records))
        return header(qid, QR_AA_RD_RA, 1, records) + question + rr
    if mode == "malformed-short":
        return header(qid, QR_AA_RD_RA, 1, 1)[:5]
    if mode == "malformed-count":
        return header(qid, QR_AA_RD_RA, 1, 5) + question
    if mode == "malformed-loop":
        # The answer's owner name at offset off points at off: a decompression loop.
        off = 12 + len(question)
        rr = struct.pack("!H", 0xC000 | off) + struct.pack("!HHIH", 1, 1, 60, 4) + b"\x7f\0\0\1"
        return header(qid, QR_AA_RD_RA, 1, 1) + question + rr
    if mode == "malformed-junk":
        return struct.pack("!H", qid) + bytes(random.getrandbits(8) for _ in range(300))
    if mode == "cilium-proxy":
        return proxy_answer(qid, question)
    return None


def proxy_answer(qid, question):
    first = question[1:1 + question[0]].lower() if question[0] else b""
    rcode = {b"refused": RCODE_REFUSED, b"nx": RCODE_NXDOMAIN,
             b"servfail": RCODE_SERVFAIL}.get(first, 0)
    qtype = struct.unpack("!H", question[-4:-2])[0]
    if rcode or qtype != 1:
        return header(qid, QR_AA_RD_RA | rcode, 1, 0) + question
    return header(qid, QR_AA_RD_RA, 1, 1) + question + a_record(bytes([127, 0, 0, 1]))


def log_query(path, proto):
    if path:
        with open(path, "a") as f:
            f.write(proto + "\n")


def serve_tcp_conn(args, conn):
    try:
        log_query(args.query_log, "tcp")
        if args.mode in ("silent", "tc-tcp-silent"):
            serverlib.hold(conn)
            return
        if args.mode == "tc-tcp-reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        conn.settimeout(10)
        while True:
            ln = serverlib.recv_exact(conn, 2)
            q = serverlib.recv_exact(conn, struct.unpack("!H", ln)[0])
            a = answer(args.mode, q, True, args.records)
            if a is None:
                return
            a = a[:65535]
            conn.sendall(struct.pack("!H", len(a)) + a)
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description="hostile DNS server")
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--records", type=int, default=4000)
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--query-log")
    args = ap.parse_args()
    if not 1 <= args.records <= 4090:  # 4090 * 16 bytes + header + question < 65535
        ap.error("--records must be 1..4090")

    serverlib.exit_after(args.max_seconds)

    # One port for both protocols: bind UDP on port 0, then TCP on the same number (retry
    # with a fresh port if TCP's is taken).
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((args.bind, args.port))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((args.bind, port))
            break
        except OSError:
            udp.close()
            tcp.close()
            if args.port:
                raise
    fillers = []
    if args.mode == "tc-tcp-dropped":
        # Backlog 0 and connections of our own that are never accepted: the queue is full.
        tcp.listen(0)
        for _ in range(3):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((args.bind, port))
            except OSError:
                pass
            fillers.append(c)
    elif args.mode != "tc-tcp-refused":  # refused: bound (the number is ours), not listening
        tcp.listen(64)
    serverlib.report_port(port, args.port_file)

    if args.mode not in ("tc-tcp-refused", "tc-tcp-dropped"):
        threading.Thread(target=serverlib.serve_connections, args=(tcp, serve_tcp_conn, args),
                         daemon=True).start()
    while True:
        q, peer = udp.recvfrom(65536)
        log_query(args.query_log, "udp")
        if args.mode == "silent":
            continue
        a = answer(args.mode, q, False, args.records)
        if a is not None:
            udp.sendto(a, peer)


if __name__ == "__main__":
    main()
