#!/usr/bin/python3
"""recorder.py: a tiny HTTP server that stands in for a Prometheus Pushgateway in tests.

It records every request (method, path, headers, body) as one JSON line in --record, and
answers each with --status (default 200; 202 is what a real Pushgateway answers to a PUT)
and, for an error status, a two-line text body the way the Pushgateway explains itself.

Usage: recorder.py --record FILE [--status N] [--port-file F] [--max-seconds 120]

Binds 127.0.0.1 on port 0; the port it got goes to --port-file (written atomically) or to
stdout's first line. Runs until SIGTERM/SIGINT or --max-seconds, so a forgotten server
never outlives its test by long.
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
import serverlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--port-file")
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
            rec = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            with lock, open(args.record, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            answer = b"" if args.status < 300 else \
                b"pushed metrics are invalid or inconsistent with existing metrics\nmore\n"
            self.send_response(args.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_PUT = do_POST = do_GET = do_DELETE = handle_any

        def log_message(self, fmt, *a):  # quiet: the test reads the record file
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serverlib.report_port(srv.server_address[1], args.port_file)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Timer(args.max_seconds, stop).start()
    srv.serve_forever()
    os._exit(0)  # the max-seconds timer thread must not keep the process alive


if __name__ == "__main__":
    sys.exit(main())
