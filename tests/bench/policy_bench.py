#!/usr/bin/env python3
"""policy_bench.py ZTPROBE [--scales 0.25,0.5,1,2] [--reps 3] [--mix admin,cilium,calico]: the
`policy check` benchmark.

Generates, per mix and scale s, 200*s NetworkPolicies, 200*s policies of the mix's kinds: admin
(below), cilium (CiliumNetworkPolicy with egressDeny of the metadata address, endpoint and CIDR
allows; every fourth a CiliumClusterwideNetworkPolicy denying world ingress) or calico (Calico
NetworkPolicy with orders, Deny/Allow/Log/Pass rules, selector expressions, nets and notNets;
every fourth a GlobalNetworkPolicy with a namespaceSelector). The admin mix: 200*s admin policies (ClusterNetworkPolicy
v1alpha2 of tier Admin and Baseline, AdminNetworkPolicy v1alpha1: Deny of networks, Pass and
Accept to namespaces and pods, Deny of named ports, Baseline isolation; every one applies to
pods of the objects, and every query walks all of them), 2,000*s Pods (with IPs and named ports) and
400*s Services over 20*s namespaces, and a config of 2,000*s probes (400*s roles x 5: a Service
in the same namespace, one in another namespace, a pod IP, an outside address, DNS), then runs
`ztprobe policy check -c CONFIG -f OBJECTS` pinned to one core (taskset -c 0) and reads its
CPU time and peak RSS from wait4() (tests/bench/rusage.c, built here). Prints one line per
scale and checks the targets at scale 1: < 1 s CPU, < 50 MB, and growth close to linear.
Exit 0 when every target holds, 1 otherwise. Nothing touches the network. (Scale 2 is the
largest: a config holds at most 1,000 roles.)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def gen(scale, d, mix="admin"):
    nns = max(1, int(20 * scale))
    apps = 20            # per namespace: 5 pods each, one Service each
    pods_per_app = 5
    objs, probes = [], {}
    for n in range(nns):
        ns = f"ns{n}"
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"tier": "t%d" % (n % 4)}}})
        for a in range(apps):
            app = f"app{a}"
            for k in range(pods_per_app):
                objs.append({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": f"{app}-{k}", "namespace": ns, "labels": {"app": app, "pod": f"{app}-{k}", "ver": "v%d" % (k % 2)}},
                             "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}]}]},
                             "status": {"podIP": f"10.{n}.{a}.{k + 1}"}})
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{app}-svc", "namespace": ns},
                         "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
        # 10 policies per namespace: default deny, DNS, and 8 app-to-app rules.
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns},
                     "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "dns", "namespace": ns},
                     "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}]}})
        for p in range(8):
            src, dst = f"app{p}", f"app{(p + 1) % apps}"
            objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": f"p{p}", "namespace": ns},
                         "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [src, dst]}]},
                                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": src}}},
                                                        {"namespaceSelector": {"matchLabels": {"tier": "t1"}}, "podSelector": {"matchExpressions": [{"key": "ver", "operator": "Exists"}]}}],
                                               "ports": [{"port": "http"}]}],
                                  "egress": [{"to": [{"podSelector": {"matchLabels": {"app": dst}}}], "ports": [{"port": 8080}]},
                                             {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}}], "ports": [{"port": 443}]}]}})
        for a in range(apps):
            app = f"app{a}"
            other = f"ns{(n + 1) % nns}"
            probes[f"{ns}-{app}"] = {"selector": {"app": app}, "namespace": ns, "probes": [
                {"name": "same-ns", "kind": "tcp", "host": f"app{(a + 1) % apps}-svc", "port": 80, "expect": "deny"},
                {"name": "other-ns", "kind": "tcp", "host": f"app{a}-svc.{other}", "port": 80, "expect": "deny"},
                {"name": "pod-ip", "kind": "tcp", "host": f"10.{n}.{(a + 2) % apps}.1", "port": 8080, "expect": "deny"},
                {"name": "outside", "kind": "tcp", "host": "203.0.113.9", "port": 443, "expect": "deny"},
                {"name": "dns", "kind": "dns", "query": "app0-svc", "expect": "allow"}]}
    extra = {"cilium": cilium_policies, "calico": calico_policies}.get(mix)
    for i in range(int(200 * scale)):
        if extra:
            objs.append(extra(i, nns, apps))
            continue
        ns_sel = {"matchLabels": {"tier": "t%d" % (i % 4)}}
        kind = i % 4
        if kind == 3:  # v1alpha1 AdminNetworkPolicy
            objs.append({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                         "metadata": {"name": f"anp{i}"},
                         "spec": {"priority": i % 1000, "subject": {"namespaces": ns_sel},
                                  "egress": [{"name": "deny-meta", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]},
                                             {"name": "pass-dns", "action": "Pass", "to": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                                              "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}]}],
                                  "ingress": [{"name": "deny-metrics", "action": "Deny", "from": [{"namespaces": {}}],
                                               "ports": [{"namedPort": "metrics"}]}]}})
            continue
        tier = "Baseline" if kind == 2 else "Admin"
        subject = {"namespaces": ns_sel} if kind != 1 else \
            {"pods": {"namespaceSelector": ns_sel, "podSelector": {"matchLabels": {"app": f"app{i % apps}"}}}}
        objs.append({"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                     "metadata": {"name": f"cnp{i}"},
                     "spec": {"tier": tier, "priority": i % 1000, "subject": subject,
                              "egress": [{"name": "deny-meta", "action": "Deny", "to": [{"networks": ["169.254.169.254/32", "fd00:ec2::254/128"]}]},
                                         {"name": "accept-peer", "action": "Accept",
                                          "to": [{"pods": {"namespaceSelector": {"matchLabels": {"tier": "t%d" % ((i + 1) % 4)}},
                                                           "podSelector": {"matchLabels": {"app": f"app{(i + 3) % apps}"}}}}],
                                          "protocols": [{"tcp": {"destinationPort": {"number": 8080}}}]},
                                         {"name": "pass-same", "action": "Pass", "to": [{"namespaces": ns_sel}]}],
                              "ingress": [{"name": "from-own-tier", "action": "Pass" if tier == "Admin" else "Accept", "from": [{"namespaces": ns_sel}]},
                                          {"name": "deny-range", "action": "Deny", "from": [{"namespaces": {}}],
                                           "protocols": [{"tcp": {"destinationPort": {"range": {"start": 9000, "end": 9100}}}}]}]}})
    with open(os.path.join(d, "objects.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objs}, f)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"version": 1, "roles": probes}, f)
    npol = sum(1 for o in objs if "NetworkPolicy" in o["kind"])
    npod = sum(1 for o in objs if o["kind"] == "Pod")
    nprobe = sum(len(r["probes"]) for r in probes.values())
    return npol, npod, nprobe


def cilium_policies(i, nns, apps):
    """Policy i of the cilium mix: every policy selects pods of the objects."""
    if i % 4 == 3:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": f"ccnp{i}"},
                "spec": {"endpointSelector": {"matchLabels": {"ver": "v%d" % (i % 2)}},
                         "ingressDeny": [{"fromEntities": ["world"]}]}}
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": f"cnp{i}", "namespace": f"ns{i % nns}"},
            "spec": {"endpointSelector": {"matchLabels": {"app": f"app{i % apps}"}},
                     "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}],
                     "egress": [{"toEndpoints": [{"matchLabels": {"app": f"app{(i + 1) % apps}"}}],
                                 "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]},
                                {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}],
                                 "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}],
                     "ingress": [{"fromEndpoints": [{"matchLabels": {"app": f"app{(i + 3) % apps}"}}],
                                  "toPorts": [{"ports": [{"port": "8080", "protocol": "ANY"}]}]}]}}


def calico_policies(i, nns, apps):
    """Policy i of the calico mix: every policy selects pods of the objects."""
    spec = {"order": 1 + i % 999, "types": ["Ingress", "Egress"],
            "selector": f"app == 'app{i % apps}' || app in {{'app{(i + 5) % apps}', 'app{(i + 6) % apps}'}}",
            "ingress": [{"action": "Allow", "protocol": "TCP",
                         "source": {"selector": f"app in {{'app{(i + 1) % apps}', 'app{(i + 2) % apps}'}} && has(ver)"},
                         "destination": {"ports": [8080, "9000:9100"]}},
                        {"action": "Log"}, {"action": "Pass"}],
            "egress": [{"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}},
                       {"action": "Allow", "protocol": "TCP", "destination": {"notNets": ["10.0.0.0/8"], "ports": [443]}},
                       {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}}]}
    if i % 4 == 3:
        spec["namespaceSelector"] = f"tier == 't{i % 4}'"
        return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": f"gnp{i}"}, "spec": spec}
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy", "metadata": {"name": f"cal{i}", "namespace": f"ns{i % nns}"},
            "spec": spec}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ztprobe")
    ap.add_argument("--scales", default="0.25,0.5,1,2")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mix", default="admin,cilium,calico")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ztpolbench.")
    rus = os.path.join(tmp, "rusage")
    subprocess.run(["cc", "-O2", "-o", rus, os.path.join(HERE, "rusage.c")], check=True)
    ok = True
    for mix in a.mix.split(","):
        ok = bench(a, tmp, rus, mix) and ok
    return 0 if ok else 1


def bench(a, tmp, rus, mix):
    """One mix at every scale; True when its targets hold."""
    rows = []
    for s in [float(x) for x in a.scales.split(",")]:
        npol, npod, nprobe = gen(s, tmp, mix)
        cpu, rss = [], []
        for _ in range(a.reps):
            out = os.path.join(tmp, "ru")
            r = subprocess.run(["taskset", "-c", "0", rus, out, a.ztprobe, "policy", "check", "-c",
                                os.path.join(tmp, "config.json"), "-f", os.path.join(tmp, "objects.json")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            rep = json.loads(r.stdout) if r.returncode in (0, 1) else None
            if not rep or rep["summary"]["probes"] != nprobe:
                print(f"policy check failed: exit {r.returncode}: {r.stderr[:300]!r}", file=sys.stderr)
                return False
            u, sy, kb, _ = open(out).read().split()
            cpu.append(float(u) + float(sy))
            rss.append(int(kb) / 1024)
        rows.append((s, npol, npod, nprobe, statistics.median(cpu), max(rss), rep["summary"]))
        print(f"{mix} scale {s:>4}: {npol:>4} policies (half {mix}) x {npod:>5} pods x {nprobe:>5} probes: "
              f"CPU {statistics.median(cpu):.3f} s (median of {a.reps}), peak RSS {max(rss):.1f} MB, {rep['summary']}")
    ok = True
    full = [r for r in rows if r[0] == 1.0]
    if full:
        _, _, _, _, c, m, _ = full[0]
        print(f"{mix}: target CPU < 1 s on one core: {'PASS' if c < 1 else 'MISS'} ({c:.3f} s)")
        print(f"{mix}: target RSS < 50 MB: {'PASS' if m < 50 else 'MISS'} ({m:.1f} MB)")
        ok = c < 1 and m < 50
    if len(rows) >= 2:
        (s0, *_, c0, _, _), (s1, *_, c1, _, _) = rows[0], rows[-1]
        ratio = (c1 / max(c0, 1e-3)) / (s1 / s0)
        # Linear: CPU grows with the scale, not its square (a quadratic step would show ~4x
        # here between 0.25 and 1 on top of the linear 4x).
        lin = ratio < 2.0
        print(f"{mix}: growth {s0} -> {s1}: CPU x{c1 / max(c0, 1e-3):.1f} for x{s1 / s0:.0f} the input "
              f"(x{ratio:.2f} of linear): {'PASS' if lin else 'MISS'}")
        ok = ok and lin
    return ok


if __name__ == "__main__":
    sys.exit(main())
