"""scenario_lib: the lab handle and the report assertions shared by the scenario modules
(scenarios.py, scenarios_dual.py).
"""

import json
import os
import subprocess
import time

import yaml

import topology

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
LAB = os.path.join(HERE, "lab.sh")
POLICIES = os.path.join(REPO, "manifests", "network-policies.yaml")
CONFIG = os.path.join(REPO, "config", "lab.json")
GOVTECH = os.path.join(REPO, "config", "govtech.json")
SHORT = {"frontend": "fe", "backend": "be", "postgres": "pg", "ingress-nginx": "ing",
         "outsider": "out"}
CONNECTED = {"ok", "app_timeout", "protocol_error", "tls_error", "http_status",
             "body_mismatch", "auth_failed", "query_failed"}


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


class Lab:
    def __init__(self, binary, tmp):
        self.bin = os.path.realpath(binary)
        self.tmp = tmp
        self.prefix = "zs%d" % (os.getpid() % 10000000)
        self.state = None
        self.bg = []

    def up(self):
        subprocess.run(["bash", LAB, "up", self.prefix, CONFIG], check=True)
        self.state = subprocess.run(["bash", LAB, "state", self.prefix], check=True,
                                    capture_output=True, text=True).stdout.strip()

    def down(self):
        for proc in self.bg:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.bg = []
        subprocess.run(["bash", LAB, "down", self.prefix], check=False)

    def ns(self, short):
        return "%s-%s" % (self.prefix, short)

    def apply(self, policies=None, deny="drop", relabel=None, fixtures=(), load_at=None):
        """Re-renders the node's rules with the translator; FIXTURES (files of
        tests/lab/fixtures) are added to the shipped policies. LOAD_AT (Unix time): the rules
        are rendered at once and loaded at that moment (returns after)."""
        args = ["bash", LAB, "apply", self.prefix, "--deny", deny]
        if load_at is not None:
            args += ["--load-at", "%.6f" % load_at]
        if fixtures:
            args += ["-p", POLICIES]
            for f in fixtures:
                args += ["-p", os.path.join(HERE, "fixtures", f)]
        if policies is not None:
            path = os.path.join(self.tmp, "policies-%d.yaml" % time.monotonic_ns())
            with open(path, "w", encoding="utf-8") as handle:
                yaml.safe_dump_all(policies, handle, sort_keys=False)
            args += ["-p", path]
        if relabel:
            inv = subprocess.run([PY, os.path.join(HERE, "topology.py"), "inventory", self.prefix]
                                 + ["--relabel=%s" % r for r in relabel],
                                 check=True, capture_output=True, text=True).stdout
            path = os.path.join(self.tmp, "inventory-%d.json" % time.monotonic_ns())
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(inv)
            args += ["-i", path]
        subprocess.run(args, check=True)

    def labels_file(self, pod, relabel=None):
        path = os.path.join(self.tmp, "labels-%s-%d" % (pod, time.monotonic_ns()))
        out = subprocess.run([PY, os.path.join(HERE, "topology.py"), "labels", pod]
                             + ["--relabel=%s" % r for r in relabel or []],
                             check=True, capture_output=True, text=True).stdout
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(out)
        return path

    def _agent(self, role, config=CONFIG, labels=None, args=(), command="run"):
        """The command line and environment of one agent COMMAND (run, watch) in ROLE's pod."""
        with open(os.path.join(self.state, "pg", "password"), encoding="utf-8") as handle:
            password = handle.read()
        env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": password, "POD_NAME": role + "-lab",
               "POD_NAMESPACE": "govtech",
               "ZTPROBE_LABELS_FILE": labels or os.path.join(self.state, "labels", role)}
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):  # sanitized agent runs
            if key in os.environ:
                env[key] = os.environ[key]
        cmd = ["ip", "netns", "exec", self.ns(SHORT[role]), self.bin, command, "-c", config,
               "--role", role, "-o", "json"] + list(args)
        return cmd, env

    def run(self, role, config=CONFIG, labels=None, args=()):
        """Runs the agent in ROLE's pod; returns (exit code, report, stderr)."""
        return self.run_roles([role], config, {role: labels} if labels else None, args)[role]

    def run_roles(self, roles, config=CONFIG, labels=None, args=()):
        """Runs the agent in each of ROLES' pods at once (each pod is its own namespace, and a
        run mostly waits for its probes' timeouts: together they take as long as the slowest);
        LABELS maps a role to its labels file. Returns {role: (exit code, report, stderr)}."""
        procs = {}
        try:
            for role in roles:
                cmd, env = self._agent(role, config, (labels or {}).get(role), args)
                procs[role] = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True)
            done = {}
            for role, proc in procs.items():
                try:
                    out, err = proc.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    raise Failed("%s: no report within 60 s" % role)
                try:
                    report = json.loads(out)
                except ValueError:
                    raise Failed("%s: no JSON report (exit %d): %s" % (role, proc.returncode,
                                                                     err.strip()[-300:]))
                check(report.get("schema") == "ztprobe/report/v1", "schema %r" % report.get("schema"))
                done[role] = (proc.returncode, report, err)
            return done
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    def start(self, role, args=(), command="run"):
        """Starts the agent in ROLE's pod in the background (as run() runs it; COMMAND: run or
        watch); returns the Popen, its output in text mode."""
        cmd, env = self._agent(role, args=args, command=command)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.bg.append(proc)
        return proc

    def start_proxy(self, port):
        """An egress proxy in the node: accepts every TCP connection (both families) and never
        answers."""
        pf = os.path.join(self.tmp, "proxy.port")
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns("node"), PY,
                                 os.path.join(REPO, "tests", "servers", "zt_server.py"),
                                 "--mode", "silent", "--bind", "0.0.0.0,::", "--port", str(port),
                                 "--port-file", pf, "--max-seconds", "120"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bg.append(proc)
        for _ in range(50):
            if os.path.exists(pf):
                return proc
            time.sleep(0.1)
        raise Failed("proxy did not start")


# ---------------------------------------------------------------- assertions on reports

def results(report):
    return {r["name"]: r for r in report["results"]}


def diag_codes(report):
    return {d["code"] for d in report.get("diagnoses") or []}


def expect(report, name, verdict, outcomes, hint_words=(), hint_null=False):
    r = results(report).get(name)
    check(r is not None, "no result %s" % name)
    if isinstance(outcomes, str):
        outcomes = {outcomes}
    check(r["verdict"] == verdict and r["outcome"] in outcomes,
          "%s: verdict %s outcome %s, want %s %s (detail: %s)"
          % (name, r["verdict"], r["outcome"], verdict, "/".join(sorted(outcomes)),
             r.get("detail")))
    if hint_null:
        check(r.get("hint") is None, "%s: hint %r on a pass" % (name, r.get("hint")))
    hint = (r.get("hint") or "").lower()
    for w in hint_words:
        check(w.lower() in hint, "%s: hint lacks %r: %r" % (name, w, r.get("hint")))
    return r


def probes_of(role, expect_kind=None, config=CONFIG):
    with open(config, encoding="utf-8") as handle:
        cfg = json.load(handle)
    return [p for p in cfg["roles"][role]["probes"]
            if expect_kind is None or p["expect"] == expect_kind]


def literal(probe):
    """The probe connects to an IP literal (host, or the URL's host): no DNS step."""
    hp = topology.probe_host_port(probe)
    return bool(hp) and topology.is_ip(hp[0])


def load_policies():
    with open(POLICIES, encoding="utf-8") as handle:
        return [d for d in yaml.safe_load_all(handle) if d]


def policy(docs, name):
    for d in docs:
        if d["metadata"]["name"] == name:
            return d
    raise Failed("no policy %s in manifests" % name)


def variant_config(tmp, mutate):
    with open(CONFIG, encoding="utf-8") as handle:
        cfg = json.load(handle)
    mutate(cfg)
    path = os.path.join(tmp, "config-%d.json" % time.monotonic_ns())
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(cfg, handle)
    return path
