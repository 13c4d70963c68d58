#!/usr/bin/python3
"""topology: the one description of the policy lab, read by lab.sh, gen_lab_config.py and the
scenario tests, so the addresses, names and labels never drift apart.

Usage:
  topology.py plan PREFIX CONFIG            lines for lab.sh (see plan())
  topology.py inventory PREFIX [--relabel POD:KEY=VALUE[,KEY=VALUE...]]...
                                            the np2nft inventory (JSON) of the lab's pods
  topology.py labels POD [--relabel ...]    the pod's labels in Downward API format
"""

import argparse
import ipaddress
import json
import sys
from urllib.parse import urlsplit

CLUSTER_DOMAIN = "svc.cluster.local"
NAMESPACE = "govtech"
# The lab's UDP service: an echo server on the backend (statsd's port), for udp probes.
UDP_PORT = 8125


def v6_of(v4):
    """The IPv6 twin of a lab IPv4 address of 10/8: 10.0.1.10 -> fd00:10:0:1::10 (the decimal
    octets written as hex groups, so a reader sees the pair at a glance)."""
    o = v4.split(".")
    if o[0] != "10":
        raise ValueError("no IPv6 twin for %s" % v4)
    return str(ipaddress.ip_address("fd00:%s:%s:%s::%s" % tuple(o)))

# Pods: the govtech workloads, kube-dns, and the ingress controller. "short" names the node's
# veth (PREFIX-short, at most 15 characters) and the pod's network namespace. Every pod is
# dual-stack: its IPv6 address (v6_of) mirrors the IPv4 one inside the cluster's ULA fd00::/8.
PODS = [
    {"name": "frontend", "short": "fe", "namespace": NAMESPACE, "labels": {"app": "frontend"},
     "ip": "10.0.1.10", "service": "frontend-service", "serve": [("healthy", 80)]},
    {"name": "backend", "short": "be", "namespace": NAMESPACE, "labels": {"app": "backend"},
     "ip": "10.0.2.10", "service": "backend-service", "serve": [("healthy", 3000), ("udp-echo", UDP_PORT)]},
    {"name": "postgres", "short": "pg", "namespace": NAMESPACE, "labels": {"app": "postgres"},
     "ip": "10.0.3.10", "service": "postgres-service", "serve": [("postgres", 5432)]},
    {"name": "kube-dns", "short": "dns", "namespace": "kube-system",
     "labels": {"k8s-app": "kube-dns"}, "ip": "10.96.0.10", "service": None,
     "serve": [("dnsmasq", 53)]},
    {"name": "ingress-nginx", "short": "ing", "namespace": "ingress-nginx",
     "labels": {"app.kubernetes.io/name": "ingress-nginx"}, "ip": "10.0.9.10",
     "service": None, "serve": []},
    # A pod of another namespace that even carries app=frontend: podSelectors are
    # namespace-scoped, so the govtech policies must not admit it.
    {"name": "outsider", "short": "out", "namespace": "default", "labels": {"app": "frontend"},
     "ip": "10.0.7.10", "service": None, "serve": []},
]
NAMESPACES = {NAMESPACE: {"app": "govtech"}, "kube-system": {}, "ingress-nginx": {},
              "default": {}}

for _p in PODS:
    _p["ip6"] = v6_of(_p["ip"])

# Where the lab's pods live, as resolved_within/answers_within see them.
POD_CIDRS = ["10.0.0.0/16", "10.96.0.0/16", "fd00:10:0::/48", "fd00:10:96::/48"]

# "Internet" hosts: documentation ranges only (RFC 5737, and RFC 3849's 2001:db8::/32 with the
# third group naming the IPv4 range: 198.51.100.0/24 <-> 2001:db8:100::/48). Each serves HTTP on
# 80 and HTTPS on 443 with a certificate of the lab CA, on both families, and answers UDP 443
# (a stand-in for QUIC: the UDP echo service), so a udp deny probe to it connects when nothing
# enforces; "udp" lists more UDP ports it answers (the public resolver's 53, where the echo
# service stands in for a DNS server: any reply proves the path open).
INTERNET = {
    "dns.google": {"short": "gd", "ip": "192.0.2.53", "ip6": "2001:db8:2::53", "udp": [53]},
    "www.google.com": {"short": "gg", "ip": "203.0.113.10", "ip6": "2001:db8:113::10"},
    "secretsmanager.us-east-1.amazonaws.com": {"short": "sm", "ip": "198.51.100.10",
                                               "ip6": "2001:db8:100::10"},
    "s3.amazonaws.com": {"short": "s3", "ip": "198.51.100.20", "ip6": "2001:db8:100::20"},
}
# The instance metadata service as EC2 offers it: 169.254.169.254 and, on Nitro instances, the
# IPv6 address fd00:ec2::254. A host of its own answering HTTP on 80 on both, so a deny probe's
# timeout there proves a drop, not a missing server.
METADATA = {"short": "md", "ip": "169.254.169.254", "ip6": "fd00:ec2::254", "port": 80}

DOC_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
              "2001:db8:2::/48", "2001:db8:100::/48", "2001:db8:113::/48"]

# The private-range host ("something inside the VPC"): its addresses and ports come from the
# literal-IP probes of the lab config. Addresses of govtech.json that fall inside the lab's pod
# CIDRs are remapped here (gen_lab_config.py applies the same map).
PRIVATE_SHORT = "pv"
PRIVATE_REMAP_BASE = "10.250.0.10"
# The private host also has a name with an A and an AAAA record (a database in the VPC, say),
# so a probe with `family: all` can show an ipBlock except written for IPv4 only. It always
# carries these two addresses and serves TLS on PRIVATE_PORT.
PRIVATE_NAME = "db.vpc.internal"
PRIVATE_ADDR = "10.250.0.1"
PRIVATE_ADDR6 = v6_of(PRIVATE_ADDR)
PRIVATE_PORT = 443


def service_fqdn(service):
    return "%s.%s.%s" % (service, NAMESPACE, CLUSTER_DOMAIN)


def in_pod_cidrs(addr):
    a = ipaddress.ip_address(addr)
    return any(a in ipaddress.ip_network(c) for c in POD_CIDRS) or \
        any(a == ipaddress.ip_address(p["ip"]) for p in PODS)


def probe_host_port(probe):
    """(host, port) a probe connects to, or None for dns probes."""
    kind = probe.get("kind")
    if kind in ("http", "https"):
        parts = urlsplit(probe["url"])
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if kind in ("tcp", "udp"):
        return probe["host"], int(probe["port"])
    if kind == "postgres":
        return probe["host"], int(probe.get("port", 5432))
    return None


def is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def private_targets(config):
    """{address: set(ports)} of literal IP targets in the config that no lab pod or internet
    host has: the private-range host must answer them."""
    known = {a for h in PODS + list(INTERNET.values()) + [METADATA] for a in (h["ip"], h["ip6"])}
    out = {}
    for role in config["roles"].values():
        for probe in role["probes"]:
            hp = probe_host_port(probe)
            if hp and is_ip(hp[0]) and hp[0] not in known:
                out.setdefault(hp[0], set()).add(hp[1])
    return out


def dns_records():
    """(name, IPv4, IPv6) triples kube-dns answers (A and AAAA): FQDN Service names (no
    kube-proxy here, so a Service name answers with its pod's addresses, like a headless
    dual-stack Service), internet names and the private host's name."""
    recs = []
    for pod in PODS:
        if pod["service"]:
            recs.append((service_fqdn(pod["service"]), pod["ip"], pod["ip6"]))
    dns = [p for p in PODS if p["name"] == "kube-dns"][0]
    recs.append(("kube-dns.kube-system.%s" % CLUSTER_DOMAIN, dns["ip"], dns["ip6"]))
    for name, host in INTERNET.items():
        recs.append((name, host["ip"], host["ip6"]))
    recs.append((PRIVATE_NAME, PRIVATE_ADDR, PRIVATE_ADDR6))
    return recs


def parse_relabel(items):
    """--relabel POD:K=V,K=V -> {pod: {k: v}} (replaces the pod's labels)."""
    out = {}
    for item in items or []:
        pod, _, rest = item.partition(":")
        labels = {}
        for kv in filter(None, rest.split(",")):
            k, _, v = kv.partition("=")
            labels[k] = v
        out[pod] = labels
    return out


def pod_labels(pod, relabel):
    return relabel.get(pod["name"], pod["labels"])


def inventory(prefix, relabel=None):
    relabel = relabel or {}
    return {
        "namespaces": NAMESPACES,
        "pods": [{"name": p["name"], "namespace": p["namespace"], "ip": p["ip"],
                  "ips": [p["ip"], p["ip6"]],
                  "labels": pod_labels(p, relabel), "veth": "%s-%s" % (prefix, p["short"])}
                 for p in PODS],
    }


def downward_labels(labels):
    """Kubernetes' Downward API file format: key="value", one per line, sorted."""
    def esc(v):
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "".join('%s="%s"\n' % (k, esc(v)) for k, v in sorted(labels.items()))


def plan(prefix, config):
    """Lines for lab.sh, space-separated:
    pod SHORT IP NAMESPACE NAME            a pod (its namespace PREFIX-SHORT)
    addr6 SHORT IP6                        the pod's IPv6 address
    serve SHORT MODE PORT                  a server to start in it
    host SHORT IP [IP...]                  a non-pod host (internet / private), both families
    dns NAME IP IP6                        a kube-dns record (A and AAAA)
    san DNS:NAME | IP:ADDR                 a SAN of the lab's server certificate
    """
    lines = []
    for p in PODS:
        lines.append("pod %s %s %s %s" % (p["short"], p["ip"], p["namespace"], p["name"]))
        lines.append("addr6 %s %s" % (p["short"], p["ip6"]))
        for mode, port in p["serve"]:
            lines.append("serve %s %s %d" % (p["short"], mode, port))
        if p["service"]:
            for n in (p["service"], "%s.%s" % (p["service"], NAMESPACE),
                      "%s.%s.svc" % (p["service"], NAMESPACE), service_fqdn(p["service"])):
                lines.append("san DNS:%s" % n)
    for name, h in INTERNET.items():
        lines.append("host %s %s %s" % (h["short"], h["ip"], h["ip6"]))
        lines.append("serve %s healthy 80" % h["short"])
        lines.append("serve %s healthy-tls 443" % h["short"])
        for port in [443] + h.get("udp", []):
            lines.append("serve %s udp-echo %d" % (h["short"], port))
        lines.append("san DNS:%s" % name)
    lines.append("host %s %s %s" % (METADATA["short"], METADATA["ip"], METADATA["ip6"]))
    lines.append("serve %s healthy %d" % (METADATA["short"], METADATA["port"]))
    priv = private_targets(config)
    priv.setdefault(PRIVATE_ADDR, set()).add(PRIVATE_PORT)
    priv.setdefault(PRIVATE_ADDR6, set()).add(PRIVATE_PORT)
    lines.append("host %s %s" % (PRIVATE_SHORT, " ".join(sorted(priv, key=lambda a: (":" in a, a)))))
    for port in sorted(set().union(*priv.values())):
        lines.append("serve %s %s %d" % (PRIVATE_SHORT, "healthy-tls" if port == 443
                                         else "healthy", port))
    for addr in sorted(priv, key=lambda a: (":" in a, a)):
        lines.append("san IP:%s" % addr)
    lines.append("san DNS:%s" % PRIVATE_NAME)
    for name, ip, ip6 in dns_records():
        lines.append("dns %s %s %s" % (name, ip, ip6))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("plan")
    a.add_argument("prefix")
    a.add_argument("config")
    a = sub.add_parser("inventory")
    a.add_argument("prefix")
    a.add_argument("--relabel", action="append")
    a = sub.add_parser("labels")
    a.add_argument("pod")
    a.add_argument("--relabel", action="append")
    args = ap.parse_args(argv)
    if args.cmd == "plan":
        with open(args.config, encoding="utf-8") as handle:
            sys.stdout.write(plan(args.prefix, json.load(handle)))
    elif args.cmd == "inventory":
        json.dump(inventory(args.prefix, parse_relabel(args.relabel)), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        relabel = parse_relabel(args.relabel)
        pod = [p for p in PODS if p["name"] == args.pod]
        if not pod:
            print("topology: no pod %s" % args.pod, file=sys.stderr)
            return 2
        sys.stdout.write(downward_labels(pod_labels(pod[0], relabel)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
