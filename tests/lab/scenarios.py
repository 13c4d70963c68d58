#!/usr/bin/python3
"""scenarios: the lab's scenario tests (issue 7 item 6), run by tests/lab/run.sh.

One lab is brought up; each scenario re-renders the node's rules with np2nft.py (modified
policies, inventory or deny action: never hand-written rules), runs the agent in a pod's
namespace, and asserts verdict, outcome, diagnoses and hint keywords of its JSON report; for
the seed's four faults also what `run --policies` and `policy check` on the lab's objects say
(the field of the policy to change, the CNI setting).
The lab is torn down on exit, failure, Ctrl-C or SIGTERM.

Usage: scenarios.py BIN [--only NAME[,NAME...]]
Prints "ok - NAME" / "not ok - NAME: why" per check and returns the counts to run.sh.
"""

import calendar
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from scenario_lib import (CONFIG, CONNECTED, GOVTECH, Failed, Lab, check, diag_codes, expect,
                          literal, load_policies, policy, probes_of, results, variant_config)
import agree
import scenarios_dual
import topology
import yaml

# ---------------------------------------------------------------- the policies' explanation

def lab_objects(lab, docs, relabel=None):
    """The lab as Kubernetes objects (pods as labelled, their Services, kube-dns) and DOCS, in
    a file for --policies and policy check."""
    path = os.path.join(lab.tmp, "objects-%d.yaml" % time.monotonic_ns())
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(agree.objects(relabel) + docs, handle, sort_keys=False)
    return path


def explains(lab, role, docs, probe, sentence, relabel=None, labels=None):
    """The seed's fault, explained: `run --policies` in ROLE's pod puts SENTENCE (the field to
    change) in PROBE's hint and policy reason, and `policy check` on the same objects in its
    reason and mismatch. Returns the run's result."""
    objs = lab_objects(lab, docs, relabel)
    _, rep, err = lab.run(role, labels=labels, args=("--policies", objs))
    r = results(rep)[probe]
    check(r.get("policy", {}).get("intended") == "deny", "%s: policy %r (%s)" % (probe, r.get("policy"), err[-200:]))
    check(sentence in (r.get("hint") or ""), "%s: hint %r lacks %r" % (probe, r.get("hint"), sentence))
    check(sentence in r["policy"]["reason"], "%s: policy reason %r lacks %r" % (probe, r["policy"]["reason"], sentence))
    with open(CONFIG, encoding="utf-8") as handle:
        cfg = json.load(handle)
    for name, rl in (relabel or {}).items():
        cfg["roles"][name]["selector"] = rl
    for ro in cfg["roles"].values():
        ro["namespace"] = "govtech"
    cfg_path = os.path.join(lab.tmp, "check-%d.json" % time.monotonic_ns())
    with open(cfg_path, "w", encoding="utf-8") as handle:
        json.dump(cfg, handle)
    chk = subprocess.run([lab.bin, "policy", "check", "-c", cfg_path, "-f", objs], capture_output=True, text=True)
    check(chk.returncode == 1, "policy check: exit %d: %s" % (chk.returncode, chk.stderr[-300:]))
    p = next(x for x in json.loads(chk.stdout)["probes"] if x["role"] == role and x["name"] == probe)
    mm = p.get("mismatch") or {}
    check(sentence in p["reason"] and sentence == mm.get("sentence", "")[-len(sentence):],
          "policy check %s/%s: reason %r mismatch %r" % (role, probe, p["reason"], mm))
    return r


# ---------------------------------------------------------------- scenarios

def sc_baseline(lab):
    """The shipped policies: every role passes; the seed's four checks by name."""
    reports = {}
    runs = lab.run_roles(("frontend", "backend", "postgres"))
    for role in ("frontend", "backend", "postgres"):
        rc, rep, err = runs[role]
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
    # With the objects: the policy that would allow DNS and the selector that leaves it out.
    r = explains(lab, "backend", docs, "cluster-dns",
                 "govtech/allow-dns-egress egress rule 0 would allow this, but the policy does not select "
                 "role backend's pod: spec.podSelector.matchExpressions[0] is NotIn (backend); role "
                 "backend's pod carries app=backend")
    check(r["hint"].startswith("The policies deny DNS from this pod: "), "cluster-dns hint %r" % r["hint"])


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
    # With the objects as labelled: frontend's egress rule and the label that differs.
    explains(lab, "frontend", load_policies(), "backend-health",
             "govtech/frontend-network-policy egress rule 0 would allow this but for its podSelector: "
             "spec.egress[0].to[0].podSelector.matchLabels.app is backend; the target's pod carries "
             "app=backend-v2", relabel=agree.RELABEL)
    # From the relabelled pod itself (judged by its own labels file): the policy that no longer
    # selects it.
    explains(lab, "backend", load_policies(), "postgres",
             "govtech/backend-network-policy egress rule 0 would allow this, but the policy does not select "
             "role backend's pod: spec.podSelector.matchLabels.app is backend; role backend's pod carries "
             "app=backend-v2", relabel=agree.RELABEL, labels=labels)


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
    # With the objects: the field and the two numbers.
    explains(lab, "frontend", docs, "backend-health",
             "govtech/backend-network-policy ingress rule 0 would allow this but for its port: "
             "spec.ingress[0].ports[0].port is 3001; the probe connects to 3000")


def sc_no_enforcement(lab):
    """A CNI without NetworkPolicy support: every deny probe connects."""
    lab.apply(deny="none")
    runs = lab.run_roles(("frontend", "backend", "postgres"))
    for role in ("frontend", "backend", "postgres"):
        rc, rep, _ = runs[role]
        check(rc == 1, "%s: exit %d" % (role, rc))
        check("policy_not_enforced" in diag_codes(rep), "%s: diagnoses %s" % (role, diag_codes(rep)))
        for p in probes_of(role, "deny"):
            expect(rep, p["name"], "fail", CONNECTED, ("does not enforce networkpolicy",))
        for p in probes_of(role, "allow"):
            expect(rep, p["name"], "pass", "ok")
    # With the objects: the policies deny what connected; the hint names the policy that
    # decides and the CNI setting to change.
    _, rep, _ = lab.run("postgres", args=("--policies", lab_objects(lab, load_policies())))
    for p in probes_of("postgres", "deny"):
        if p["kind"] == "udp":
            continue  # an unanswered datagram proves nothing either way
        r = expect(rep, p["name"], "fail", CONNECTED, ('enableNetworkPolicy: "true"',))
        named = "selects the source pod for egress" in r["hint"] or "select the source pod for egress" in r["hint"]
        check(r["policy"]["intended"] == "deny" and named, "%s: hint %r" % (p["name"], r["hint"]))


def sc_metadata(lab):
    """The instance metadata service (169.254.169.254 and fd00:ec2::254, port 80): the lab's
    stand-in answers HTTP when nothing enforces, so the shipped policies' timeout is a drop."""
    names = ("no-imds-v4", "no-imds-v6")
    for role in ("frontend", "backend", "postgres"):
        rc, rep, _ = lab.run(role, args=["--only", ",".join(names)])
        check(rc == 0, "%s: exit %d" % (role, rc))
        for n in names:
            expect(rep, n, "pass", "timeout", hint_null=True)
    lab.apply(deny="none")
    for role in ("frontend", "backend", "postgres"):
        rc, rep, _ = lab.run(role, args=["--only", ",".join(names)])
        check(rc == 1, "%s unenforced: exit %d" % (role, rc))
        for n in names:
            expect(rep, n, "fail", CONNECTED)


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
    runs = lab.run_roles(("backend", "postgres"))
    for role in ("backend", "postgres"):
        rc, rep, _ = runs[role]
        check(rc == 0, "%s: exit %d %s" % (role, rc, rep["summary"]))
        for p in probes_of(role, "deny"):
            # An IPv6 literal over TCP: the reject is kept as a soft error and the connect ends
            # about the deny timeout, as EACCES or as a timeout, whichever comes first (README,
            # "Kernel facts seen in the lab"); a pass either way.
            v6 = literal(p) and ":" in topology.probe_host_port(p)[0]
            expect(rep, p["name"], "pass", {"timeout", "unreachable"} if v6 else "unreachable", hint_null=True)


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
    rules = ("table inet ztproxy {\n chain prerouting {\n  type nat hook prerouting priority dstnat;\n"
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
        subprocess.run(["ip", "netns", "exec", lab.ns("node"), "nft", "delete", "table", "inet",
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
    runs = lab.run_roles(("ingress-nginx", "outsider"), config=path)
    for role in ("ingress-nginx", "outsider"):
        rc, rep, _ = runs[role]
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


def sc_startup_window(lab):
    """A pod starts while its node begins enforcing 1.5 s later: watch --startup measures,
    per deny probe, how long it was not yet enforced, within one round (--every 100ms)."""
    lab.apply(deny="none")  # the node has not programmed the new pod's policies yet
    out = os.path.join(lab.tmp, "startup.json")
    t_start = time.time()
    proc = lab.start("frontend", ["--interval", "1h", "--startup", "20s", "--every", "100ms",
                                  "--stable", "3", "--out", out], command="watch")
    load_at = t_start + 1.5
    lab.apply(load_at=load_at)  # rendered at once, loaded 1.5 s after the pod started
    t_loaded = time.time()
    rep = None
    for _ in range(300):  # the first report is written when the startup rounds end
        if os.path.exists(out):
            with open(out, encoding="utf-8") as handle:
                rep = json.load(handle)
            break
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Failed("watch did not stop on SIGTERM")
    check(rep is not None, "no startup report in %s; stderr: %s" % (out, err[-400:]))
    check('"event":"startup"' in err, "no startup log line: %s" % err[-300:])
    # The load itself takes a moment (nft -f, conntrack flush): the drops start between
    # load_at and t_loaded. The process started a little after t_start, so its figure is not
    # much less than 1.5 s, and at most 1.5 s + the load's duration + --every + one round: the
    # round in flight when the drops start (milliseconds before, but up to the deny timeout of
    # 1 s when one address of a family: all probe connected and the other was dropped).
    low = 1.5 - 0.3
    high = 1.5 + (t_loaded - load_at) + 0.1 + 1.0 + 0.4
    for p in probes_of("frontend"):
        r = [x for x in rep["results"] if x["name"] == p["name"]][0]
        conv = r["converged_after_ms"]
        if p["expect"] == "allow":
            check(conv is not None and conv < 1000, "%s: allow reachable after %s ms" % (p["name"], conv))
            continue
        check(conv is not None and low <= conv / 1000.0 <= high,
              "%s: unprotected %s ms, want %.2f..%.2f s (loaded %.2f s after the start)"
              % (p["name"], conv, low, high, t_loaded - t_start))
        print("# %s: unprotected for %.0f ms (rules loaded 1.50..%.2f s after the start)"
              % (p["name"], conv, t_loaded - t_start), flush=True)


SCENARIOS = [
    ("lab: shipped policies, every role passes (seed checks)", sc_baseline),
    ("lab: ingress controller allowed, other namespaces denied", sc_other_namespaces),
    ("lab: DNS egress removed for backend -> dns_timeout, dns_blocked", sc_dns_blocked),
    ("lab: backend relabelled -> timeout, role_labels_mismatch", sc_labels_changed),
    ("lab: wrong port in backend policy -> timeout, port hint", sc_wrong_port),
    ("lab: no enforcement -> policy_not_enforced", sc_no_enforcement),
    ("lab: metadata service v4/v6 denied, its stand-in answers unenforced", sc_metadata),
    ("lab: enforcer rejects with tcp reset -> refused", sc_reject_reset),
    ("lab: enforcer rejects with icmp admin-prohibited -> unreachable", sc_reject_icmp),
    ("lab: AWS stand-in outside resolved_within -> cidr_mismatch", sc_cidr_mismatch),
    ("lab: egress proxy accepts every TCP connection -> deny probes fail", sc_egress_proxy),
    ("lab: policies enforced while run --wait waits -> converged_after_ms", sc_wait_convergence),
    ("lab: node enforces 1.5 s after the pod starts -> watch --startup measures the window", sc_startup_window),
] + scenarios_dual.SCENARIOS


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
