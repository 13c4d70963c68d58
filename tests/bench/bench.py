#!/usr/bin/python3
"""bench.py: `make bench`'s harness (run.sh brings the lab up and calls it).

Runs, in a live policy lab, each matrix with each method of methods.py, repeatedly and
interleaved (one sample of every method per round, so that drift hits all alike), then prints
the table of medians, spread and ratios, and PASS/MISS beside each target of issue 6, and saves
results/latest.md and results/latest.json.

Usage: bench.py --bin ZTPROBE --prefix LABPREFIX --results DIR [--quick]
                [--image-root ROOT --image-size BYTES [--image-only]]
With --image-root (run.sh: the image of `make image`, mounted), the image's ztprobe is measured
beside the host build's on the start-up, backend and scale-100 matrices (image.py);
--image-only runs those three alone.
Needs $ZTBENCH_RUSAGE and $ZTBENCH_HTTPD: rusage.c and httpd.c compiled (run.sh does it).
"""

import argparse
import copy
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import gen_matrices
import image
import methods
import report

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DENY_T = 1.0                    # the matrices' deny timeout, seconds
ROLES = [("frontend", "fe"), ("backend", "be"), ("postgres", "pg")]
SIZES = [10, 100, 1000, 10000]
SEED_MAX = 100                  # the seed's way above this takes minutes (N/2 denies x 1 s)


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def allow_only(cfg, role, path):
    """The config with role's allow probes alone: their wall time is the 'allow probes' own
    time' of the 1.2 x T target."""
    c = copy.deepcopy(cfg)
    c["roles"] = {role: c["roles"][role]}
    c["roles"][role]["probes"] = [p for p in c["roles"][role]["probes"]
                                  if p["expect"] == "allow"]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(c, handle)
    return path


def comparable(cfg_path, path):
    """config/lab.json as the other methods can express it: without udp probes (the seed's
    curl and blackbox_exporter have no UDP prober) and without `family` (they probe one
    address), so every method runs the same work."""
    c = copy.deepcopy(load(cfg_path))
    for role in c["roles"].values():
        role["probes"] = [p for p in role["probes"] if p["kind"] != "udp"]
        for p in role["probes"]:
            p.pop("family", None)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(c, handle)
    return path


def nameserver(prefix, short):
    with open("/etc/netns/%s-%s/resolv.conf" % (prefix, short), encoding="ascii") as handle:
        for line in handle:
            if line.startswith("nameserver"):
                return line.split()[1]
    raise RuntimeError("no nameserver for %s-%s" % (prefix, short))


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = tempfile.mkdtemp(prefix="ztbench.")
        st = subprocess.run(["bash", os.path.join(REPO, "tests/lab/lab.sh"), "state",
                             args.prefix], capture_output=True, text=True, check=True)
        with open(os.path.join(st.stdout.strip(), "pg", "password"), encoding="ascii") as h:
            password = h.read().strip()
        # What a pod has: the database password in the environment (never printed).
        self.env = dict(os.environ, PGPASSWORD=password, POD_NAMESPACE="govtech",
                        POD_NAME="bench")
        self.bb_config = os.path.join(HERE, "blackbox.yml")
        self.matrices = []
        self.listener = None
        self.mdir = os.path.join(self.tmp, "matrices")

    def start_listener(self):
        """The bench listener (httpd.c) on the backend pod's address; returns its ports."""
        ns = self.ns("be")
        # Bursts of 5,000 connects, run after run: room in the pod's accept and SYN queues,
        # and in its ephemeral ports, which TIME_WAIT fills (this namespace only; it goes
        # with the lab).
        for kv in ("net.core.somaxconn=65535", "net.ipv4.tcp_max_syn_backlog=65535",
                   "net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1"):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", kv], check=True)
        pf = os.path.join(self.tmp, "httpd.port")
        self.listener = subprocess.Popen(
            ["ip", "netns", "exec", ns, os.environ["ZTBENCH_HTTPD"], "--bind",
             gen_matrices.POD_ADDR, "--port-file", pf, "--listeners", "8",
             "--max-seconds", "1800"],
            stdin=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(pf):
                with open(pf, encoding="ascii") as handle:
                    return [int(p) for p in handle.read().split()]
            if self.listener.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the bench listener did not start")

    def ns(self, short):
        return "%s-%s" % (self.a.prefix, short)

    def sample(self, method, m):
        ns = self.ns(m["short"])
        cfg, role = m["cfg"], m["role"]
        if method == "ztprobe":
            return methods.run_ztprobe(ns, self.a.bin, m["path"], role, self.env, self.tmp)
        if method == "ztprobe (allow only)":
            return methods.run_ztprobe(ns, self.a.bin, m["allow_path"], role, self.env,
                                       self.tmp)
        # `version` touches no network: run outside the lab's namespaces, so that the figure
        # is the program's start-up, not also `ip netns exec`'s (about 2.5 ms of CPU here).
        if method == "ztprobe version (start-up floor)":
            return methods.run_version(None, self.a.bin, self.env)
        if method == "ztprobe version (image)":
            return methods.run_version(None, image.argv(self.a.image_root), self.env)
        if method == "ztprobe (image)":
            return methods.run_ztprobe(ns, image.argv(self.a.image_root), m["image_path"], role,
                                       self.env, self.tmp)
        if method == "seed's way":
            return methods.run_seed(ns, cfg, role, self.env)
        if method == "blackbox_exporter":
            return methods.run_blackbox(ns, cfg, role, self.bb_config,
                                        nameserver(self.a.prefix, m["short"]), self.tmp,
                                        self.env)
        if method.startswith("curl --parallel"):
            probes = methods.http_probes(cfg, role)
            return methods.run_curl(ns, cfg, probes, m["curl_max"], self.tmp, self.env)
        raise ValueError(method)

    def run_matrix(self, m):
        t0 = time.monotonic()
        m["samples"] = {meth: [] for meth in m["methods"]}
        for rnd in range(max(m["reps"].values())):
            for meth in m["methods"]:
                if rnd < m["reps"][meth]:
                    m["samples"][meth].append(self.sample(meth, m))
        log("%-14s %5.1f s" % (m["name"], time.monotonic() - t0))
        self.matrices.append(m)

    def matrix(self, name, short, path, role, kind, reps, curl_max=64, seed_reps=None):
        cfg = load(path)
        probes = cfg["roles"][role]["probes"]
        m = {"name": name, "short": short, "path": path, "role": role, "cfg": cfg,
             "kind": kind, "n": len(probes),
             "n_deny": sum(p["expect"] == "deny" for p in probes),
             "n_http": len(methods.http_probes(cfg, role)), "curl_max": curl_max}
        meths = ["ztprobe"]
        if kind != "http":
            m["allow_path"] = allow_only(cfg, role, os.path.join(self.tmp, name + "-allow.json"))
            meths.append("ztprobe (allow only)")
        if seed_reps:
            meths.append("seed's way")
        if kind != "http":
            meths.append("blackbox_exporter")
        if m["n_http"]:
            meths.append("curl --parallel (HTTP only)" if kind != "http"
                         else "curl --parallel-max %d" % curl_max)
        m["methods"] = meths
        m["reps"] = {x: reps for x in meths}
        if seed_reps:
            m["reps"]["seed's way"] = seed_reps
        return m

    def run(self):
        q = self.a.quick
        gen_matrices.generate(self.mdir, self.start_listener(), SIZES, (1000,), 1000)
        lab = comparable(os.path.join(REPO, "config", "lab.json"),
                         os.path.join(self.mdir, "lab-comparable.json"))
        mats = []
        for role, short in ROLES:
            mats.append(self.matrix(role, short, lab, role, "role", 2 if q else 5,
                                    seed_reps=1 if q else 3))
        for name, short in (("http-1000", "fe"), ("http-1000-fast", "be")):
            mats.append(self.matrix(name, short, os.path.join(self.mdir, name + ".json"),
                                    "bench", "http", 2 if q else 7, curl_max=64))
        for n in SIZES:
            path = os.path.join(self.mdir, "scale-%d.json" % n)
            reps = (1 if q else 3) if n >= 10000 else (2 if q else 5)
            seed = None
            if n <= SEED_MAX:
                seed = 1 if (q or n > 10) else 3
            mats.append(self.matrix("scale-%d" % n, "be", path, "bench", "scale", reps,
                                    curl_max=n, seed_reps=seed))
            names = os.path.join(self.mdir, "scale-%d-names.json" % n)
            if os.path.exists(names):
                mats.append(self.matrix("scale-%d-names" % n, "be", names, "bench", "scale",
                                        2 if q else 3, curl_max=n))
        # The floor every run pays: exec, the dynamic loader and the libraries' initialisers.
        base = {"name": "start-up", "short": "be", "role": "", "kind": "baseline", "n": 0,
                "n_deny": 0, "n_http": 0, "cfg": None, "path": None,
                "methods": ["ztprobe version (start-up floor)"]}
        if self.a.image_root:
            base["methods"].append("ztprobe version (image)")
            mine = [m for m in mats if m["name"] in image.MATRICES]
            for m in mine:
                m["image_path"] = image.image_config(m["path"], os.path.join(
                    self.tmp, m["name"] + "-image.json"))
                m["methods"].insert(1, "ztprobe (image)")
                m["reps"]["ztprobe (image)"] = m["reps"]["ztprobe"]
            if self.a.image_only:
                mats = mine
        base["reps"] = {meth: 3 if q else 7 for meth in base["methods"]}
        mats.insert(0, base)
        # One unmeasured round first: binaries, CA files and the lab's servers warmed up.
        warm = self.matrix("warm-up", "be", lab, "backend", "role", 1, seed_reps=1)
        for meth in warm["methods"]:
            self.sample(meth, warm)
        for m in mats:
            self.run_matrix(m)

    def close(self):
        if self.listener and self.listener.poll() is None:
            self.listener.terminate()
            try:
                self.listener.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.listener.kill()
                self.listener.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False,
                                  shell=True).stdout.strip()
        except OSError:
            return ""
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return {"nproc": os.cpu_count(), "cpu": sh("lscpu | sed -n 's/^Model name: *//p'"),
            "lscpu": sh("lscpu | head -n 16"), "memory": mem, "kernel": platform.release(),
            "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
            "curl": sh("curl --version | head -n 1"),
            "blackbox_exporter": sh("prometheus-blackbox-exporter --version 2>&1 | head -n 1"),
            "ulimit_n": sh("ulimit -n")}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    ap.add_argument("--image-root", default="", help="the mounted image (image.py)")
    ap.add_argument("--image-size", type=int, default=0, help="the image's size, bytes")
    ap.add_argument("--image-only", action="store_true", help="its matrices alone")
    args = ap.parse_args(argv)
    args.bin = os.path.abspath(args.bin)
    b = Bench(args)
    t0 = time.monotonic()
    try:
        b.run()
        lean = image.facts(args.bin, args.image_root, args.image_size,
                           os.path.join(REPO, "config", "lab.json"))
    finally:
        b.close()
    ver = subprocess.run([args.bin, "version"], capture_output=True, text=True,
                         check=False).stdout.strip()
    res = report.summarize(b.matrices, DENY_T)
    res["machine"] = machine()
    res["ztprobe"] = ver
    res["seconds"] = round(time.monotonic() - t0, 1)
    res["quick"] = args.quick
    res["lean"] = lean
    image.targets(res, lean, report.target)
    md = report.markdown(res) + "\n".join(image.markdown(res))
    os.makedirs(args.results, exist_ok=True)
    for name, text in (("latest.md", md), ("latest.json", json.dumps(res, indent=1) + "\n")):
        tmp = os.path.join(args.results, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, os.path.join(args.results, name))
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
