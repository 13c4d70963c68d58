"""scenarios_dual: the dual-stack and UDP scenarios of the lab (issue 13), run by scenarios.py
in the same lab. Like the others, each re-renders the node's rules with np2nft.py (the shipped
policies plus a fixture of tests/lab/fixtures, or another deny action), runs the agent in a
pod and asserts verdict, outcome and the per-address outcomes of `family: all`.
"""

import json
import os

import yaml

from scenario_lib import CONFIG, check, expect, load_policies, policy, results
import topology

VPC = topology.PRIVATE_NAME
VPC4, VPC6 = topology.PRIVATE_ADDR, topology.PRIVATE_ADDR6
S3 = "s3.amazonaws.com"
S3_4, S3_6 = topology.INTERNET[S3]["ip"], topology.INTERNET[S3]["ip6"]
BACKEND = "backend-service"
BE4, BE6 = [(p["ip"], p["ip6"]) for p in topology.PODS if p["name"] == "backend"][0]
RESOLVER = topology.INTERNET["dns.google"]
UDP = topology.UDP_PORT
SELECTORS = {"frontend": {"app": "frontend"}, "backend": {"app": "backend"},
             "postgres": {"app": "postgres"}}


def lab_config(lab, name, probes_by_role):
    """A lab-only matrix with the defaults of config/lab.json."""
    with open(CONFIG, encoding="utf-8") as handle:
        defaults = json.load(handle)["defaults"]
    cfg = {"version": 1, "defaults": defaults,
           "roles": {role: {"selector": SELECTORS[role], "probes": probes}
                     for role, probes in probes_by_role.items()}}
    path = os.path.join(lab.tmp, name + ".json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(cfg, handle)
    return path


def per_address(report, name):
    """{address: outcome} of a `family: all` result (its addresses are objects)."""
    r = results(report)[name]
    addrs = r.get("addresses") or []
    check(addrs and all(isinstance(a, dict) for a in addrs),
          "%s: addresses are not per-address outcomes: %r" % (name, addrs))
    return {a["address"]: a["outcome"] for a in addrs}


def expect_addresses(report, name, want):
    got = per_address(report, name)
    check(got == want, "%s: per-address outcomes %s, want %s" % (name, got, want))


def tcp(name, host, port, exp, family, timeout_ms=1000):
    return {"name": name, "kind": "tcp", "host": host, "port": port, "expect": exp,
            "family": family, "timeout_ms": timeout_ms}


def udp(name, port, exp, reply="echo:ztprobe", send="ztprobe"):
    return {"name": name, "kind": "udp", "host": BACKEND, "port": port, "send": send,
            "expect_reply": reply, "expect": exp, "family": "all", "timeout_ms": 1000}


def sc_ipv6_open(lab):
    """An ipBlock except written for IPv4 only leaves the VPC open over IPv6: a deny probe with
    `family: all` fails and names the IPv6 address; with `family: ipv4` it passes (the hole a
    probe of the first address never sees); with the except fixed it passes on both."""
    path = lab_config(lab, "ipv6-open", {"backend": [
        tcp("no-vpc-db", VPC, 443, "deny", "all"),
        tcp("no-vpc-db-ipv4", VPC, 443, "deny", "ipv4"),
        {"name": "no-vpc-https", "kind": "https", "url": "https://%s/health" % VPC,
         "expect": "deny", "family": "all", "timeout_ms": 1000},
        {"name": "s3-every-family", "kind": "https", "url": "https://%s/" % S3, "status": "any",
         "expect": "allow", "family": "all", "timeout_ms": 1500}]})

    # Shipped policies: the internet egress is IPv4-only, so the VPC is closed on both
    # families, and so is IPv6 HTTPS to AWS (an allow over every family fails on IPv6).
    rc, rep, _ = lab.run("backend", config=path)
    check(rc == 1, "shipped: exit %d" % rc)
    expect(rep, "no-vpc-db", "pass", "timeout", hint_null=True)
    expect_addresses(rep, "no-vpc-db", {VPC4: "timeout", VPC6: "timeout"})
    expect(rep, "no-vpc-db-ipv4", "pass", "timeout")
    expect(rep, "no-vpc-https", "pass", "timeout")
    expect(rep, "s3-every-family", "fail", "timeout")
    expect_addresses(rep, "s3-every-family", {S3_4: "ok", S3_6: "timeout"})

    lab.apply(fixtures=["govtech_ipv6_open.yaml"])
    rc, rep, _ = lab.run("backend", config=path)
    check(rc == 1, "ipv6 open: exit %d" % rc)
    # The report says which address got through, and the hint names the family and the cause.
    r = expect(rep, "no-vpc-db", "fail", "ok", ("IPv6", VPC6, "ipBlocks", "except"))
    expect_addresses(rep, "no-vpc-db", {VPC4: "timeout", VPC6: "ok"})
    check(VPC6 in (r.get("detail") or ""), "no-vpc-db: detail %r" % r.get("detail"))
    expect(rep, "no-vpc-db-ipv4", "pass", "timeout")     # blind to the hole
    expect(rep, "no-vpc-https", "fail", "ok")
    expect_addresses(rep, "no-vpc-https", {VPC4: "timeout", VPC6: "ok"})
    expect(rep, "s3-every-family", "pass", "ok")
    expect_addresses(rep, "s3-every-family", {S3_4: "ok", S3_6: "ok"})

    lab.apply(fixtures=["govtech_ipv6_fixed.yaml"])
    rc, rep, _ = lab.run("backend", config=path)
    check(rc == 0, "ipv6 fixed: exit %d %s" % (rc, rep["summary"]))
    expect_addresses(rep, "no-vpc-db", {VPC4: "timeout", VPC6: "timeout"})
    expect(rep, "s3-every-family", "pass", "ok")


def sc_udp_service(lab):
    """The backend's UDP service behind an allow (frontend, UDP 8125-8126) and a deny
    (postgres; TCP on the same port): replies, ICMP port unreachable, drops and rejects."""
    path = lab_config(lab, "udp", {
        "frontend": [udp("statsd", UDP, "allow"),
                     udp("statsd-wrong-reply", UDP, "allow", reply="pong"),
                     udp("statsd-closed-port", UDP + 1, "deny"),
                     tcp("no-statsd-tcp", BACKEND, UDP, "deny", "all")],
        "postgres": [udp("no-statsd", UDP, "deny"),
                     # No route on the node: ICMP net unreachable from a middle hop.
                     dict(udp("unrouted-v4", 9, "deny"), host="10.0.99.99", family="any"),
                     dict(udp("unrouted-v6", 9, "deny"), host="fd00:10:0:99::99",
                          family="any")]})

    # Shipped policies: no UDP to the backend at all.
    rc, rep, _ = lab.run("frontend", config=path)
    check(rc == 1, "shipped: exit %d" % rc)
    expect(rep, "statsd", "fail", "timeout")
    expect_addresses(rep, "statsd", {BE4: "timeout", BE6: "timeout"})
    expect(rep, "statsd-closed-port", "pass", "timeout")
    expect(rep, "no-statsd-tcp", "pass", "timeout")

    lab.apply(fixtures=["govtech_udp.yaml"])
    rc, rep, _ = lab.run("frontend", config=path)
    check(rc == 1, "udp allowed: exit %d" % rc)
    expect(rep, "statsd", "pass", "ok", hint_null=True)
    expect_addresses(rep, "statsd", {BE4: "ok", BE6: "ok"})
    expect(rep, "statsd-wrong-reply", "fail", "body_mismatch")
    # Allowed, nothing listens: the backend's ICMP port unreachable. Not proof of a deny.
    expect(rep, "statsd-closed-port", "inconclusive", "refused")
    expect_addresses(rep, "statsd-closed-port", {BE4: "refused", BE6: "refused"})
    expect(rep, "no-statsd-tcp", "pass", "timeout")       # a UDP allow opens no TCP
    rc, rep, _ = lab.run("postgres", config=path)
    check(rc == 0, "postgres: exit %d %s" % (rc, rep["summary"]))
    expect(rep, "no-statsd", "pass", "timeout", hint_null=True)
    expect_addresses(rep, "no-statsd", {BE4: "timeout", BE6: "timeout"})
    for name in ("unrouted-v4", "unrouted-v6"):
        r = expect(rep, name, "pass", "unreachable", hint_null=True)
        check("169.254.1.1" in r["detail"] or "fe80::" in r["detail"],
              "%s: detail does not name the node as the sender: %r" % (name, r["detail"]))

    # The enforcer rejects: ICMP admin-prohibited on both families (IPv6's arrives as EACCES).
    lab.apply(fixtures=["govtech_udp.yaml"], deny="icmp-admin-prohibited")
    rc, rep, _ = lab.run("postgres", config=path)
    check(rc == 0, "icmp reject: exit %d %s" % (rc, rep["summary"]))
    expect(rep, "no-statsd", "pass", "unreachable")
    expect_addresses(rep, "no-statsd", {BE4: "unreachable", BE6: "unreachable"})

    # No enforcement: the same datagram gets its echo, so the deny fails.
    lab.apply(deny="none")
    rc, rep, _ = lab.run("postgres", config=path)
    check(rc == 1, "no enforcement: exit %d" % rc)
    expect(rep, "no-statsd", "fail", "ok")


def sc_dns_anywhere(lab):
    """allow-dns-egress lists port 53 with no `to`: cluster DNS still works, and every pod can
    now reach an outside resolver; the shipped matrix's no-outside-dns probes catch it, and with
    --policies the report names the rule."""
    docs = load_policies()
    rule = policy(docs, "allow-dns-egress")["spec"]["egress"][0]
    del rule["to"]
    lab.apply(policies=docs)
    runs = lab.run_roles(("frontend", "postgres"))
    for role in ("frontend", "postgres"):
        rc, rep, _ = runs[role]
        check(rc == 1, "%s: exit %d" % (role, rc))
        expect(rep, "no-outside-dns", "fail", "ok", ("no `to`", "k8s-app: kube-dns"))
        expect_addresses(rep, "no-outside-dns", {RESOLVER["ip"]: "ok", RESOLVER["ip6"]: "ok"})
        expect(rep, "cluster-dns", "pass", "ok")
        failed = [r["name"] for r in rep["results"] if r["verdict"] != "pass"]
        check(failed == ["no-outside-dns"], "%s: not passed %s" % (role, failed))
    path = os.path.join(lab.tmp, "dns-anywhere.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(docs, handle, sort_keys=False)
    rc, rep, _ = lab.run("frontend", args=("--policies", path))
    check(rc == 1, "--policies: exit %d" % rc)
    expect(rep, "no-outside-dns", "fail", "ok", ("allow-dns-egress",))


SCENARIOS = [
    ("lab: IPv6 except forgotten -> family all fails on the IPv6 address", sc_ipv6_open),
    ("lab: UDP service behind an allow and a deny", sc_udp_service),
    ("lab: DNS egress without `to` -> no-outside-dns fails, rule named", sc_dns_anywhere),
]
