#!/usr/bin/python3
"""scenarios: the lab's scenario tests (issue 7 item 6), run by tests/lab/run.sh.

One lab is brought up; each scenario re-renders the node's rules with np2nft.py (modified
policies, inventory or deny action: never hand-written rules), runs the agent in a pod's
namespace, and asserts verdict, outcome, diagnoses and hint keywords of its JSON report.
The lab is torn down on exit, failure, Ctrl-C or SIGTERM.

Usage: scenarios.py BIN [--only NAME[,NAME...]]
Prints "ok - NAME" / "not ok - NAME: why" per check and returns the counts to run.sh.
"""

import calendar
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import yaml

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

    def apply(self, policies=None, deny="drop", relabel=None):
        """Re-renders the node's rules with the translator."""
        args = ["bash", LAB, "apply", self.prefix, "--deny", deny]
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

    def run(self, role, config=CONFIG, labels=None, args=()):
        """Runs the agent in ROLE's pod; returns (exit code, report, stderr)."""
        with open(os.path.join(self.state, "pg", "password"), encoding="utf-8") as handle:
            password = handle.read()
        env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": password, "POD_NAME": role + "-lab",
               "POD_NAMESPACE": "govtech",
               "ZTPROBE_LABELS_FILE": labels or os.path.join(self.state, "labels", role)}
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):  # sanitized agent runs
            if key in os.environ:
                env[key] = os.environ[key]
        cmd = ["ip", "netns", "exec", self.ns(SHORT[role]), self.bin, "run", "-c", config,
               "--role", role, "-o", "json"] + list(args)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            raise Failed("%s: no JSON report (exit %d): %s" % (role, proc.returncode,
                                                             proc.stderr.strip()[-300:]))
        check(report.get("schema") == "ztprobe/report/v1", "schema %r" % report.get("schema"))
        return proc.returncode, report, proc.stderr

    def start(self, role, args=()):
        """Starts the agent in ROLE's pod in the background (as run() runs it); returns the
        Popen, its output in text mode."""
        with open(os.path.join(self.state, "pg", "password"), encoding="utf-8") as handle:
            password = handle.read()
        env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": password, "POD_NAME": role + "-lab",
               "POD_NAMESPACE": "govtech",
               "ZTPROBE_LABELS_FILE": os.path.join(self.state, "labels", role)}
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if key in os.environ:
                env[key] = os.environ[key]
        cmd = ["ip", "netns", "exec", self.ns(SHORT[role]), self.bin, "run", "-c", CONFIG,
               "--role", role, "-o", "json"] + list(args)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.bg.append(proc)
        return proc

    def start_proxy(self, port):
        """An egress proxy in the node: accepts every TCP connection and never answers."""
        pf = os.path.join(self.tmp, "proxy.port")
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns("node"), PY,
                                 os.path.join(REPO, "tests", "servers", "zt_server.py"),
                                 "--mode", "silent", "--bind", "0.0.0.0", "--port", str(port),
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
    host = probe.get("host") or ""
    return host.replace(".", "").isdigit()


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


# ---------------------------------------------------------------- scenarios

def sc_baseline(lab):
    """The shipped policies: every role passes; the seed's four checks by name."""
    reports = {}
    for role in ("frontend", "backend", "postgres"):
        rc, rep, err = lab.run(role)
        check(rc == 0 and rep["summary"]["ok"], "%s: exit %d summary %s" % (role, rc, rep["summary"]))
        check(not diag_codes(rep), "%s: diagnoses %s" % (role, diag_codes(rep)))
        check(rep["pod"] == {"name": role + "-lab", "namespace": "govtech"}, "pod %s" % rep["pod"])
        for p in probes_of(role):
            # Drops on the node: every deny is a silent timeout, as with Calico/Cilium.
            expect(rep, p["name"], "pass", "ok" if p["expect"] == "allow" else "timeout",
                   hint_null=True)
        reports[role] = rep
    # The seed's four checks.
    expect(reports["frontend"], "backend-health", "pass", "ok")
    expect(reports["frontend"], "no-direct-db", "pass", "timeout")
    r = expect(reports["backend"], "postgres", "pass", "ok")
    check("PostgreSQL 15" in (r.get("detail") or ""), "postgres detail %r" % r.get("detail"))
    expect(reports["postgres"], "no-internet", "pass", "timeout")


def sc_dns_blocked(lab):
    """allow-dns-egress no longer selects backend: names fail, deny probes are inconclusive."""
    docs = load_policies()
    dns = policy(docs, "allow-dns-egress")
    dns["spec"]["podSelector"] = {"matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["backend"]}]}
    lab.apply(policies=docs)
    rc, rep, _ = lab.run("backend")
    check(rc == 1, "exit %d" % rc)
    check("dns_blocked" in diag_codes(rep), "diagnoses %s" % diag_codes(rep))
    for p in probes_of("backend"):
        if p["expect"] == "allow":
            expect(rep, p["name"], "fail", "dns_timeout", ("53", "kube-dns"))
        elif literal(p):
            expect(rep, p["name"], "pass", "timeout")  # no DNS step: still proven closed
        else:
            expect(rep, p["name"], "inconclusive", "dns_timeout", ("port 53",))
    rc, rep, _ = lab.run("frontend")  # the other roles keep their DNS
    check(rc == 0 and not diag_codes(rep), "frontend: exit %d %s" % (rc, diag_codes(rep)))


def sc_labels_changed(lab):
    """backend relabelled app=backend-v2: no allow policy selects it any more."""
    relabel = ["backend:app=backend-v2,version=v2"]
    lab.apply(relabel=relabel)
    labels = lab.labels_file("backend", relabel)
    rc, rep, _ = lab.run("backend", labels=labels)
    check(rc == 1, "exit %d" % rc)
    check("role_labels_mismatch" in diag_codes(rep), "diagnoses %s" % diag_codes(rep))
    for p in probes_of("backend"):
        if p["kind"] == "dns":
            expect(rep, p["name"], "pass", "ok")  # allow-dns-egress selects every pod
        elif p["expect"] == "allow":
            expect(rep, p["name"], "fail", "timeout", ("labels", "podSelector"))
        else:
            expect(rep, p["name"], "pass", "timeout")  # default deny still holds
    rc, rep, _ = lab.run("frontend")
    expect(rep, "backend-health", "fail", "timeout", ("labels",))


def sc_wrong_port(lab):
    """backend-network-policy admits 3001 instead of 3000: the health check times out."""
    docs = load_policies()
    be = policy(docs, "backend-network-policy")
    be["spec"]["ingress"][0]["ports"][0]["port"] = 3001
    lab.apply(policies=docs)
    rc, rep, _ = lab.run("frontend")
    check(rc == 1, "exit %d" % rc)
    expect(rep, "backend-health", "fail", "timeout", ("port 3000", "networkpolicy"))
    check(not diag_codes(rep), "diagnoses %s" % diag_codes(rep))


def sc_no_enforcement(lab):
    """A CNI without NetworkPolicy support: every deny probe connects."""
    lab.apply(deny="none")
    for role in ("frontend", "backend", "postgres"):
        rc, rep, _ = lab.run(role)
        check(rc == 1, "%s: exit %d" % (role, rc))
        check("policy_not_enforced" in diag_codes(rep), "%s: diagnoses %s" % (role, diag_codes(rep)))
        for p in probes_of(role, "deny"):
            expect(rep, p["name"], "fail", CONNECTED, ("does not enforce networkpolicy",))
        for p in probes_of(role, "allow"):
            expect(rep, p["name"], "pass", "ok")


def sc_reject_reset(lab):
    """The enforcer answers with a TCP RST: refused is inconclusive unless listed."""
    lab.apply(deny="tcp-reset")
    rc, rep, _ = lab.run("backend")
    check(rc == 1, "exit %d" % rc)
    for p in probes_of("backend", "deny"):
        expect(rep, p["name"], "inconclusive", "refused", ("deny_outcomes",))
    cfg = variant_config(lab.tmp, lambda c: c["defaults"]["deny_outcomes"].append("refused"))
    rc, rep, _ = lab.run("backend", config=cfg)
    check(rc == 0, "with refused listed: exit %d %s" % (rc, rep["summary"]))
    for p in probes_of("backend", "deny"):
        expect(rep, p["name"], "pass", "refused", hint_null=True)


def sc_reject_icmp(lab):
    """The enforcer answers ICMP admin-prohibited: unreachable, a pass by default."""
    lab.apply(deny="icmp-admin-prohibited")
    for role in ("backend", "postgres"):
        rc, rep, _ = lab.run(role)
        check(rc == 0, "%s: exit %d %s" % (role, rc, rep["summary"]))
        for p in probes_of(role, "deny"):
            expect(rep, p["name"], "pass", "unreachable", hint_null=True)


def sc_cidr_mismatch(lab):
    """The AWS stand-in resolves outside resolved_within (govtech.json's real AWS range)."""
    with open(GOVTECH, encoding="utf-8") as handle:
        real = {p["name"]: p for p in json.load(handle)["roles"]["backend"]["probes"]}
    want = real["secretsmanager"]["resolved_within"]

    def mutate(cfg):
        for p in cfg["roles"]["backend"]["probes"]:
            if p["name"] == "secretsmanager":
                p["resolved_within"] = want
    rc, rep, _ = lab.run("backend", config=variant_config(lab.tmp, mutate))
    check(rc == 1, "exit %d" % rc)
    expect(rep, "secretsmanager", "fail", "cidr_mismatch", ("resolved_within", "ipblock"))
    expect(rep, "s3", "pass", "ok")


def sc_egress_proxy(lab):
    """An egress proxy on the node accepts every TCP connection of the backend."""
    port = 15001
    lab.start_proxy(port)
    veth = "%s-be" % lab.prefix
    rules = ("table ip ztproxy {\n chain prerouting {\n  type nat hook prerouting priority dstnat;\n"
             '  iifname "%s" tcp dport != 53 redirect to :%d\n }\n}\n' % (veth, port))
    subprocess.run(["ip", "netns", "exec", lab.ns("node"), "nft", "-f", "-"], input=rules,
                   text=True, check=True)
    try:
        rc, rep, _ = lab.run("backend")
        check(rc == 1, "exit %d" % rc)
        for p in probes_of("backend", "deny"):
            expect(rep, p["name"], "fail", CONNECTED, ("open",))
        check("policy_not_enforced" in diag_codes(rep), "diagnoses %s" % diag_codes(rep))
    finally:
        subprocess.run(["ip", "netns", "exec", lab.ns("node"), "nft", "delete", "table", "ip",
                        "ztproxy"], check=False)


def sc_other_namespaces(lab):
    """The ingress controller reaches frontend:80 and backend:3000 and nothing else; a pod of
    another namespace gets nowhere, even with app=frontend (a lab-only matrix)."""
    def http(name, url, exp, **kw):
        p = {"name": name, "kind": "http", "url": url, "expect": exp, "status": "any"}
        p.update(kw)
        if exp == "deny":
            p["timeout_ms"] = 1000
        return p

    def tcp(name, host, port):
        return {"name": name, "kind": "tcp", "host": host, "port": port, "expect": "deny",
                "timeout_ms": 1000}
    with open(CONFIG, encoding="utf-8") as handle:
        defaults = json.load(handle)["defaults"]
    cfg = {"version": 1, "defaults": defaults, "roles": {
        "ingress-nginx": {"selector": {"app.kubernetes.io/name": "ingress-nginx"}, "probes": [
            http("frontend", "http://frontend-service.govtech.svc.cluster.local/", "allow"),
            http("backend-api", "http://backend-service.govtech.svc.cluster.local:3000/health",
                 "allow", status=[200], body_contains='"status":"healthy"'),
            tcp("no-postgres", "postgres-service.govtech.svc.cluster.local", 5432),
            tcp("no-frontend-3000", "frontend-service.govtech.svc.cluster.local", 3000)]},
        "outsider": {"selector": {"app": "frontend"}, "probes": [
            http("no-frontend", "http://frontend-service.govtech.svc.cluster.local/", "deny"),
            http("no-backend", "http://backend-service.govtech.svc.cluster.local:3000/health",
                 "deny"),
            tcp("no-postgres", "postgres-service.govtech.svc.cluster.local", 5432)]}}}
    path = os.path.join(lab.tmp, "other-namespaces.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(cfg, handle)
    for role in ("ingress-nginx", "outsider"):
        rc, rep, _ = lab.run(role, config=path)
        check(rc == 0, "%s: exit %d %s" % (role, rc, rep["summary"]))
        for p in cfg["roles"][role]["probes"]:
            expect(rep, p["name"], "pass", "ok" if p["expect"] == "allow" else "timeout",
                   hint_null=True)


def started_at(report):
    """The report's started_at as Unix seconds."""
    when = time.strptime(report["started_at"][:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(when) + float("0" + report["started_at"][19:-1])


def sc_wait_convergence(lab):
    """Policies enforced while ztprobe waits (run --wait): the deny probes converge in the first
    round after the drops start, within one round (1 s) of that moment; allow probes at once."""
    lab.apply(deny="none")  # a CNI that has not programmed the policies yet
    procs = {role: lab.start(role, ["--wait", "20s"]) for role in ("frontend", "backend")}
    time.sleep(3)
    t_apply0 = time.time()
    lab.apply()  # the shipped policies, dropping
    t_apply1 = time.time()
    for role, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise Failed("%s: still waiting after 40 s" % role)
        try:
            rep = json.loads(out)
        except ValueError:
            raise Failed("%s: no JSON report (exit %d): %s" % (role, proc.returncode, err[-300:]))
        check(proc.returncode == 0 and rep["summary"]["ok"],
              "%s: exit %d summary %s" % (role, proc.returncode, rep["summary"]))
        start = started_at(rep)
        for p in probes_of(role):
            r = expect(rep, p["name"], "pass", "ok" if p["expect"] == "allow" else "timeout",
                       hint_null=True)
            conv = r["converged_after_ms"]
            if p["expect"] == "allow":
                check(conv == 0, "%s/%s: allow converged after %s ms, not at once"
                      % (role, p["name"], conv))
                continue
            at = start + conv / 1000.0
            # Enforced between t_apply0 and t_apply1; rounds start 1 s apart and the ones
            # before enforcement last milliseconds (every deny probe connects at once).
            check(t_apply0 - 0.05 <= at <= t_apply1 + 1.3,
                  "%s/%s: converged after %.0f ms, i.e. %.2f s after the policies went in "
                  "(applied from %.2f to %.2f s after the start)"
                  % (role, p["name"], conv, at - t_apply0, t_apply0 - start, t_apply1 - start))
        worst = max(r["converged_after_ms"] for r in rep["results"])
        check(rep["converged_after_ms"] == worst and worst >= 2000,
              "%s: report converged_after_ms %s, slowest probe %s" % (role, rep["converged_after_ms"], worst))
        print("# %s: policies in at +%.2f..%.2f s, converged after %.0f ms"
              % (role, t_apply0 - start, t_apply1 - start, rep["converged_after_ms"]), flush=True)


SCENARIOS = [
    ("lab: shipped policies, every role passes (seed checks)", sc_baseline),
    ("lab: ingress controller allowed, other namespaces denied", sc_other_namespaces),
    ("lab: DNS egress removed for backend -> dns_timeout, dns_blocked", sc_dns_blocked),
    ("lab: backend relabelled -> timeout, role_labels_mismatch", sc_labels_changed),
    ("lab: wrong port in backend policy -> timeout, port hint", sc_wrong_port),
    ("lab: no enforcement -> policy_not_enforced", sc_no_enforcement),
    ("lab: enforcer rejects with tcp reset -> refused", sc_reject_reset),
    ("lab: enforcer rejects with icmp admin-prohibited -> unreachable", sc_reject_icmp),
    ("lab: AWS stand-in outside resolved_within -> cidr_mismatch", sc_cidr_mismatch),
    ("lab: egress proxy accepts every TCP connection -> deny probes fail", sc_egress_proxy),
    ("lab: policies enforced while run --wait waits -> converged_after_ms", sc_wait_convergence),
]


def main(argv):
    if len(argv) < 2:
        print("usage: scenarios.py BIN [--only SUBSTRING]", file=sys.stderr)
        return 2
    only = None
    if len(argv) > 3 and argv[2] == "--only":
        only = argv[3]

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="ztscen.") as tmp:
        lab = Lab(argv[1], tmp)
        try:
            lab.up()
            for name, fn in SCENARIOS:
                if only and only not in name:
                    continue
                t0 = time.monotonic()
                try:
                    lab.apply()  # every scenario starts from the shipped policies
                    fn(lab)
                    print("ok - %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
                    passed += 1
                except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the rest
                    why = exc if isinstance(exc, Failed) else "%s: %s" % (type(exc).__name__, exc)
                    print("not ok - %s: %s" % (name, why), flush=True)
                    failed += 1
        except subprocess.CalledProcessError as exc:
            print("not ok - lab up: %s" % exc, flush=True)
            failed += 1
        except KeyboardInterrupt:
            print("not ok - interrupted", flush=True)
            failed += 1
        finally:
            lab.down()
    # run.sh adds these to its own counts.
    print("scenarios: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
