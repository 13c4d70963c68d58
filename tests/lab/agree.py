#!/usr/bin/python3
"""agree: three independent answers about every probe must agree, in the policy lab.

  A. intent:      `ztprobe policy check` (the C evaluator) on the lab's objects;
  B. enforcement: np2nft.py's rules for the same policies, asked with nfteval.py for the
                  probe's first packet (source pod's veth, destination address, port, protocol);
  C. observation: `ztprobe run` in the source pod of the lab, enforced by those rules
                  (connected / answered, or not).

For every fault variant of the lab (shipped policies, DNS egress removed for backend, the admin
tiers on govtech (tiered_policies: a metadata Deny, a DNS Pass, a Baseline closing kube-system
to other namespaces, a NetworkPolicy of kube-system opening DNS; and without that NetworkPolicy,
where the Baseline closes DNS), backend relabelled, backend admitting the wrong port, drop / tcp-reset / icmp-admin-prohibited deny
actions, and no enforcement at all), on config/lab.json and on a matrix `ztprobe policy plan`
generates from the same objects. B and C must always agree (the lab does what its rules say);
A must agree with B, except with no enforcement, where exactly the probes the policies deny
must differ, and `run --policies` must say the CNI does not enforce. An `unknown` intent is
counted, not compared (s3 has no resolved_within).

The lab has no kube-proxy: a Service name resolves straight to its pod whatever the labels, so
the Service objects given to the evaluator select the pod as it is labelled; and the evaluator
is asked about a relabelled role's pod as it is labelled (the role is forced in the pod).

Usage: agree.py BIN. Prints ok / not ok lines and "N passed, M failed"; the lab (its own PREFIX)
is torn down on exit, failure, Ctrl-C and SIGTERM. Traffic stays inside the lab.
"""

import copy
import json
import os
import signal
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nfteval  # noqa: E402
import np2nft  # noqa: E402
import scenario_lib as scenarios  # noqa: E402
import topology  # noqa: E402

CONFIG = scenarios.CONFIG
RELABEL = {"backend": {"app": "backend-v2", "version": "v2"}}


def objects(relabel=None):
    """The lab as Kubernetes objects: namespaces, pods (labels, IPs, ports), Services."""
    relabel = relabel or {}
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": dict(l)}}
            for n, l in topology.NAMESPACES.items()]
    for pod in topology.PODS:
        labels = topology.pod_labels(pod, relabel)
        ports = [{"containerPort": port, "protocol": proto} for mode, port in pod["serve"]
                 for proto in (("UDP", "TCP") if port == 53 else ("UDP",) if mode == "udp-echo" else ("TCP",))]
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": pod["name"], "namespace": pod["namespace"], "labels": labels},
                     "spec": {"containers": [{"name": "c", "ports": ports}]},
                     "status": {"podIP": pod["ip"], "podIPs": [{"ip": pod["ip"]}, {"ip": pod["ip6"]}]}})
        name = pod["service"] or ("kube-dns" if pod["name"] == "kube-dns" else None)
        if name:
            sports = [{"name": "p%d-%s" % (p["containerPort"], p["protocol"].lower()), "port": p["containerPort"],
                       "protocol": p["protocol"]} for p in ports]
            docs.append({"apiVersion": "v1", "kind": "Service",
                         "metadata": {"name": name, "namespace": pod["namespace"]},
                         "spec": {"selector": labels, "ports": sports}})
    return docs


def dest(probe):
    """(address, port, protocol) of a probe's first packet (its IPv4 address: every address of
    a family-all probe meets the same rules in the shipped policies), as the lab routes it."""
    if probe["kind"] == "dns":
        return "10.96.0.10", 53, "udp"
    proto = "udp" if probe["kind"] == "udp" else "tcp"
    host, port = topology.probe_host_port(probe)
    if topology.is_ip(host):
        return host, port, proto
    records = {name: ip for name, ip, _ in topology.dns_records()}
    for name in (host, topology.service_fqdn(host), "%s.%s" % (host, topology.CLUSTER_DOMAIN)):
        if name in records:
            return records[name], port, proto
    raise KeyError("the lab's DNS has no %s" % host)


def lab_hosts():
    """Addresses something in the lab answers on."""
    with open(CONFIG, encoding="utf-8") as handle:
        private = topology.private_targets(json.load(handle))
    return {p["ip"] for p in topology.PODS} | {h["ip"] for h in topology.INTERNET.values()} | set(private)


def enforced(nft_text, inv, role_pod, probe):
    """B: does the translator's ruleset accept the probe's first packet?"""
    addr, port, proto = dest(probe)
    src = next(p for p in inv["pods"] if p["name"] == role_pod)
    dst = next((p for p in inv["pods"] if p["ip"] == addr), None)
    pkt = {"iif": src["veth"], "oif": dst["veth"] if dst else "", "src": src["ip"], "dst": addr,
           "proto": proto, "dport": port, "ct": "new"}
    return nfteval.evaluate(nft_text, pkt) == "accept"


def observed(result):
    """C: did the path open? Connected (or a DNS answer); refused counts as closed here, since
    every lab target listens."""
    if result["kind"] == "dns":
        return result["outcome"] in ("ok", "dns_nxdomain", "dns_nodata", "cidr_mismatch")
    return result["outcome"] in scenarios.CONNECTED


def write(tmp, name, docs):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as handle:
        if isinstance(docs, list):
            yaml.safe_dump_all(docs, handle, sort_keys=False)
        else:
            json.dump(docs, handle)
    return path


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def result(self, ok, what, why=""):
        print(("ok - %s" % what) if ok else ("not ok - %s: %s" % (what, why)), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def variant(lab, tally, name, tmp, policies, deny="drop", relabel=None, config=CONFIG, plan=False):
    objs = objects(relabel)
    objs_path = write(tmp, "objects-%s.yaml" % name, objs + policies)
    pol_path = write(tmp, "policies-%s.yaml" % name, policies)
    with open(config, encoding="utf-8") as handle:
        cfg = json.load(handle)
    if plan:
        out = subprocess.run([lab.bin, "policy", "plan", "-f", objs_path, "--namespace", topology.NAMESPACE],
                             capture_output=True, text=True)
        tally.result(out.returncode == 0, "%s: policy plan" % name, out.stderr[-300:])
        cfg = json.loads(out.stdout or "{}")
        cfg.pop("todo", None)
    # The evaluator asks about the role's pod as it is labelled (the run forces the role).
    check_cfg = copy.deepcopy(cfg)
    for role in check_cfg.get("roles", {}).values():
        role.setdefault("namespace", topology.NAMESPACE)  # what POD_NAMESPACE says in the run
    for role, labels in (relabel or {}).items():
        if role in check_cfg.get("roles", {}):
            check_cfg["roles"][role]["selector"] = labels
    cfg_path = write(tmp, "config-%s.json" % name, cfg)
    check_path = write(tmp, "check-%s.json" % name, check_cfg)
    chk = subprocess.run([lab.bin, "policy", "check", "-c", check_path, "-f", objs_path],
                         capture_output=True, text=True)
    tally.result(chk.returncode in (0, 1) and chk.stdout, "%s: policy check runs" % name, chk.stderr[-300:])
    if not chk.stdout:
        return
    intent = {(p["role"], p["name"]): p["intended"] for p in json.loads(chk.stdout)["probes"]}
    lab.apply(policies=policies, deny=deny, relabel=["%s:%s" % (r, ",".join("%s=%s" % kv for kv in l.items()))
                                                      for r, l in (relabel or {}).items()] or None)
    inv = topology.inventory(lab.prefix, relabel or {})
    nft = np2nft.translate(policies, np2nft.Inventory(inv), deny)
    compared = unknown = ab = bc = skipped = 0
    hosts = lab_hosts()  # a probe to an address nothing answers on proves no opening
    bad = []
    roles = [role for role in cfg["roles"] if role in scenarios.SHORT]
    labels = {role: lab.labels_file(role, ["%s:%s" % (role, ",".join("%s=%s" % kv for kv in relabel[role].items()))])
              for role in roles if relabel and role in relabel}
    runs = lab.run_roles(roles, config=cfg_path, labels=labels, args=("--policies", objs_path))
    for role in roles:
        rep = runs[role][1]
        res = {r["name"]: r for r in rep["results"]}
        own = next(p["ip"] for p in topology.PODS if p["name"] == role)
        for probe in cfg["roles"][role]["probes"]:
            r = res[probe["name"]]
            addr = dest(probe)[0]
            # A pod to itself never reaches the node (nor, in a cluster, a policy: the e2e
            # suite ignores loopback too); a name that did not resolve never tried the path.
            if addr == own or (probe["kind"] != "dns" and r["outcome"].startswith("dns_")):
                skipped += 1
                continue
            a = intent[(role, probe["name"])]
            b = enforced(nft, inv, role, probe)
            c = observed(r)
            if b != c and addr in hosts:
                bc += 1
                bad.append("%s/%s: nft %s, run %s (%s)" % (role, probe["name"], b, c, res[probe["name"]]["outcome"]))
            if a == "unknown":
                unknown += 1
                continue
            compared += 1
            if (a == "allow") != b and not (deny == "none" and addr not in hosts):
                ab += 1
                hint = res[probe["name"]].get("hint") or ""
                if deny != "none" or a != "deny" or "CNI does not enforce" not in hint:
                    bad.append("%s/%s: intent %s, nft %s, run %s" % (role, probe["name"], a, b, c))
    tally.result(bc == 0, "%s: the lab's rules and what run observes agree on every probe" % name, "; ".join(bad))
    if deny == "none":
        tally.result(ab > 0 and not [x for x in bad if "intent" in x],
                     "%s: intent differs from the unenforcing lab exactly where the policies deny (%d), and "
                     "run --policies says the CNI does not enforce" % (name, ab), "; ".join(bad))
    else:
        tally.result(ab == 0, "%s: policy check agrees with the lab on %d probes (%d unknown, %d not judged)"
                     % (name, compared, unknown, skipped),
                     "; ".join(bad))


def tiered_policies(dns_open):
    """The admin tiers on govtech: an Admin Deny of the instance metadata address for every pod,
    an Admin Pass of cluster DNS to the NetworkPolicies (govtech's allow-dns-egress), a Baseline
    that denies kube-system's pods every other namespace's traffic, and (dns_open) a
    NetworkPolicy of kube-system that opens DNS from govtech, the one path the Baseline would
    close: the NetworkPolicy tier decides before the Baseline for the pods it selects."""
    cnp = lambda name, spec: {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                              "metadata": {"name": name}, "spec": spec}
    dns_pods = {"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}}
    docs = [cnp("deny-instance-metadata", {
                "tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                "egress": [{"name": "deny-imds", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]}),
            cnp("pass-cluster-dns", {
                "tier": "Admin", "priority": 20, "subject": {"namespaces": {}},
                "egress": [{"name": "pass-dns", "action": "Pass", "to": [dns_pods],
                            "protocols": [{"udp": {"destinationPort": {"number": 53}}},
                                          {"tcp": {"destinationPort": {"number": 53}}}]}]}),
            cnp("baseline-kube-system", {
                "tier": "Baseline", "priority": 100,
                "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}},
                "ingress": [{"name": "other-namespaces", "action": "Deny", "from": [{"namespaces": {}}]}]})]
    if dns_open:
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "allow-dns-from-govtech", "namespace": "kube-system"},
                     "spec": {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                              "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                                  "kubernetes.io/metadata.name": topology.NAMESPACE}}}],
                                  "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}]}})
    return docs


def main(argv):
    if len(argv) != 2:
        print("usage: agree.py BIN", file=sys.stderr)
        return 2

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="ztagree.") as tmp:
        lab = scenarios.Lab(argv[1], tmp)
        lab.prefix = "za%d" % (os.getpid() % 10000000)
        shipped = scenarios.load_policies()
        dns_blocked = copy.deepcopy(shipped)
        scenarios.policy(dns_blocked, "allow-dns-egress")["spec"]["podSelector"] = {"matchExpressions": [
            {"key": "app", "operator": "NotIn", "values": ["backend"]}]}
        wrong_port = copy.deepcopy(shipped)
        for rule in scenarios.policy(wrong_port, "backend-network-policy")["spec"]["ingress"]:
            for port in rule.get("ports", []):
                if port.get("port") == 3000:
                    port["port"] = 3001
        tiered = shipped + tiered_policies(dns_open=True)
        tiered_closed = shipped + tiered_policies(dns_open=False)
        variants = [("shipped", shipped, "drop", None), ("dns-egress-removed", dns_blocked, "drop", None),
                    ("tiered", tiered, "drop", None), ("tiered-dns-closed-by-baseline", tiered_closed, "drop", None),
                    ("backend-relabelled", shipped, "drop", RELABEL), ("wrong-port", wrong_port, "drop", None),
                    ("tcp-reset", shipped, "tcp-reset", None),
                    ("icmp-admin-prohibited", shipped, "icmp-admin-prohibited", None),
                    ("no-enforcement", shipped, "none", None)]
        try:
            lab.up()
            for name, pols, deny, relabel in variants:
                for plan in (False, True):
                    label = "%s%s" % (name, " (generated plan)" if plan else "")
                    try:
                        variant(lab, tally, label.replace(" ", "-").replace("(", "").replace(")", ""), tmp,
                                pols, deny, relabel, plan=plan)
                    except Exception as exc:  # noqa: BLE001 - one broken variant must not hide the rest
                        tally.result(False, label, "%s: %s" % (type(exc).__name__, exc))
        except subprocess.CalledProcessError as exc:
            tally.result(False, "lab up", str(exc))
        except KeyboardInterrupt:
            tally.result(False, "interrupted")
        finally:
            lab.down()
    print("%d passed, %d failed" % (tally.passed, tally.failed))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
