#!/usr/bin/env python3
"""conformance.py BIN: the network-policy-api conformance tests, transcribed into
tests/policy/fixtures/conformance/ (main's v1alpha2 ClusterNetworkPolicy tests, release-0.1's
v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy tests; each fixture is the objects as
a test has them at a group of assertions, its patches replayed, and the assertions as the
test's PokeServer calls state them), asked through `ztprobe policy check`: every client pod is
a role, every assertion a tcp or udp probe to the server pod's IP with expect allow (the test
expects a connection) or deny. SCTP assertions cannot be a probe (ztprobe has no SCTP kind):
counted and named, not compared. Prints one JSON summary line, then each disagreement."""
import glob
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# Subtests the transcription does not replay (node peers against host-network servers on the
# suite's own host ports: the cluster's node addresses are not known ahead).
NOT_TRANSCRIBED = [
    ("v1alpha2", "CNPAdminTierEgressNodePeers", 4),
    ("v1alpha2", "CNPBaselineTierEgressNodePeers", 2),
    ("v1alpha1", "AdminNetworkPolicyEgressNodePeers", 2),
    ("v1alpha1", "BaselineAdminNetworkPolicyEgressNodePeers", 2),
]


def main():
    zt = sys.argv[1]
    total = compared = agree = 0
    sctp = []
    bad = []
    topo = os.path.join(HERE, "fixtures", "conformance", "topology.yaml")
    files = sorted(f for f in glob.glob(os.path.join(HERE, "fixtures", "conformance", "*.yaml")) if f != topo)
    ips = {f"{d['metadata']['namespace']}/{d['metadata']['name']}": d["status"]["podIP"]
           for d in yaml.safe_load_all(open(topo)) if d}
    for f in files:
        docs = [d for d in yaml.safe_load_all(open(f)) if d]
        exp = [d for d in docs if d["kind"] == "ZtprobeConformanceExpectations"][0]
        roles, asked = {}, []
        for i, c in enumerate(exp["checks"]):
            total += 1
            if c["protocol"] == "SCTP":
                sctp.append(f"{os.path.basename(f)}: {c['from']} -> {c['to']} SCTP {c['port']}")
                continue
            ns, pod = c["from"].split("/")
            role = roles.setdefault(pod, {"selector": {"statefulset.kubernetes.io/pod-name": pod}, "namespace": ns,
                                          "probes": []})
            name = f"c{i}"
            role["probes"].append({"name": name, "kind": c["protocol"].lower(), "host": ips[c["to"]],
                                   "port": c["port"], "expect": "allow" if c["connect"] else "deny"})
            asked.append((pod, name, c))
        if not asked:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cf:
            json.dump({"version": 1, "roles": roles}, cf)
        try:
            r = subprocess.run([zt, "policy", "check", "-c", cf.name, "-f", topo, "-f", f], capture_output=True, text=True,
                               timeout=60)
        finally:
            os.unlink(cf.name)
        if r.returncode not in (0, 1):
            bad.append(f"{os.path.basename(f)}: policy check exit {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        got = {(p["role"], p["name"]): p for p in json.loads(r.stdout)["probes"]}
        for pod, name, c in asked:
            p = got[(pod, name)]
            compared += 1
            want = "allow" if c["connect"] else "deny"
            if p["intended"] == want:
                agree += 1
            else:
                bad.append(f"{os.path.basename(f)} [{c['subtest']}]: {c['from']} -> {c['to']} {c['protocol']} "
                           f"{c['port']}: the test expects {want}, ztprobe says {p['intended']} ({p['reason']})")
    print(json.dumps({"fixtures": len(files), "assertions": total, "compared": compared, "agree": agree,
                      "sctp_not_expressible": len(sctp),
                      "subtests_not_transcribed": sum(n for _, _, n in NOT_TRANSCRIBED),
                      "not_transcribed": [f"{v} {t}" for v, t, _ in NOT_TRANSCRIBED]}))
    for b in bad:
        print(b)
    return 0 if not bad and compared > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
