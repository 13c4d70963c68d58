#!/usr/bin/python3
"""gen_matrices.py: the benchmark's generated probe matrices (ztprobe configs, role "bench").

Usage: gen_matrices.py OUTDIR --ports PORT[,PORT...] [--sizes 10,100,1000,10000]
                                                    [--names 1000] [--http 1000]

PORTs are the bench listener's (httpd.c), which bench.py starts in the backend pod on the pod's
address 10.0.2.10 (backend-service); the allow probes take them in turn.

Writes:
  scale-N.json        for each size N of the scaling series: N probes run from the backend
                      pod at concurrency N (ztprobe's maximum is 10000). Half allow: HTTP GET
                      /health and TCP connects to the bench listener. Half deny, every one at
                      1000 ms: TCP and HTTP to targets the shipped policies drop on the node
                      (the private range, the frontend, plain HTTP to the internet). Literal
                      addresses: the series measures how the probing grows, not how one dnsmasq
                      takes a burst.
  scale-N-names.json  the same by Service and DNS names: every probe resolves through the
                      lab's kube-dns first (search list, ndots:5), N lookups at once.
  http-N.json         N HTTP allow probes of http://backend-service:3000/health (the lab's
                      server, Python), run from the frontend pod across the node at
                      concurrency 64: the HTTP throughput target as the issue names it.
  http-N-fast.json    N HTTP allow probes of the bench listener by name, from the backend pod
                      at concurrency 64: the same comparison when the server is not the limit.
"""

import argparse
import json
import os
import sys

DENY_MS = 1000
ALLOW_MS = 3000
HEALTHY = '"status":"healthy"'
POD_ADDR = "10.0.2.10"          # the backend pod, where the bench listener runs
POD_NAME = "backend-service"

# Deny targets the shipped policies drop for the backend pod (they cross the node).
DENY = {
    "addrs": [
        {"kind": "tcp", "host": "10.250.0.1", "port": 443},
        {"kind": "tcp", "host": "172.16.0.1", "port": 443},
        {"kind": "tcp", "host": "192.168.0.1", "port": 443},
        {"kind": "tcp", "host": "10.0.1.10", "port": 80},
        {"kind": "http", "url": "http://203.0.113.10/"},
    ],
    "names": [
        {"kind": "tcp", "host": "10.250.0.1", "port": 443},
        {"kind": "tcp", "host": "172.16.0.1", "port": 443},
        {"kind": "tcp", "host": "192.168.0.1", "port": 443},
        {"kind": "tcp", "host": "frontend-service", "port": 80},
        {"kind": "http", "url": "http://www.google.com/"},
    ],
}


def allow_targets(host, ports):
    """HTTP and TCP in turn, each over every port."""
    out = []
    for port in ports:
        out.append({"kind": "http", "url": "http://%s:%d/health" % (host, port),
                    "status": [200], "body_contains": HEALTHY})
        out.append({"kind": "tcp", "host": host, "port": port})
    return out


def config(probes, concurrency):
    return {
        "version": 1,
        "defaults": {"timeout_ms": ALLOW_MS, "attempts": 1, "concurrency": concurrency,
                     "deny_outcomes": ["timeout", "unreachable"],
                     "ca_file": "/etc/ztprobe-lab/ca.pem"},
        "dns": {"servers": [], "search": True},
        "roles": {"bench": {"selector": {"app": "bench"}, "probes": probes}},
    }


def scale_probes(n, ports, by="addrs"):
    """n probes: ceil(n/2) allow, floor(n/2) deny, interleaved so that any prefix is mixed."""
    allow_t = allow_targets(POD_ADDR if by == "addrs" else POD_NAME, ports)
    deny_t = DENY[by]
    n_allow = (n + 1) // 2
    allow = []
    for i in range(n_allow):
        p = dict(allow_t[i % len(allow_t)])
        p.update({"name": "allow-%05d" % i, "expect": "allow"})
        allow.append(p)
    deny = []
    for i in range(n - n_allow):
        p = dict(deny_t[i % len(deny_t)])
        p.update({"name": "deny-%05d" % i, "expect": "deny", "timeout_ms": DENY_MS})
        deny.append(p)
    mixed = []
    for i in range(n_allow):
        mixed.extend(allow[i:i + 1] + deny[i:i + 1])
    return mixed


def http_probes(n, urls):
    return [{"name": "health-%05d" % i, "kind": "http", "url": urls[i % len(urls)],
             "status": [200], "body_contains": HEALTHY, "expect": "allow"} for i in range(n)]


def write(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=1)
        handle.write("\n")
    os.replace(tmp, path)


def generate(outdir, ports, sizes=(10, 100, 1000, 10000), names=(1000,), http=1000):
    os.makedirs(outdir, exist_ok=True)
    for n in sorted(set(sizes) | set(names)):
        if not 2 <= n <= 10000:
            raise ValueError("size %d outside 2..10000" % n)
        write(os.path.join(outdir, "scale-%d.json" % n), config(scale_probes(n, ports), n))
        if n in names:
            write(os.path.join(outdir, "scale-%d-names.json" % n),
                  config(scale_probes(n, ports, "names"), n))
    write(os.path.join(outdir, "http-%d.json" % http),
          config(http_probes(http, ["http://backend-service:3000/health"]), 64))
    write(os.path.join(outdir, "http-%d-fast.json" % http),
          config(http_probes(http, ["http://%s:%d/health" % (POD_NAME, p) for p in ports]), 64))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--ports", required=True, help="the bench listener's ports, comma-separated")
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--names", default="1000", help="sizes also written by name")
    ap.add_argument("--http", type=int, default=1000)
    args = ap.parse_args(argv)
    try:
        generate(args.outdir, [int(p) for p in args.ports.split(",") if p], [int(s) for s in args.sizes.split(",") if s],
                 [int(s) for s in args.names.split(",") if s], args.http)
    except ValueError as e:
        print("gen_matrices: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
