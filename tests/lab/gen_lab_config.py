#!/usr/bin/python3
"""gen_lab_config: config/lab.json from config/govtech.json, so the lab runs the very matrix
the namespace ships, changed only where the lab must differ:

- TLS trust: the lab CA (defaults.ca_file and every per-probe ca_file / sslrootcert) at
  /etc/ztprobe-lab/ca.pem, which lab.sh bind-mounts into each pod through /etc/netns;
- resolved_within / answers_within: the lab ranges of the name's lab addresses (documentation
  ranges for "internet" names, the lab's pod CIDRs for Service names; one per family, as the
  lab is dual-stack and its names have A and AAAA records) instead of the real one;
- literal private addresses that fall inside the lab's pod CIDRs move to 10.250.x.y, where the
  lab's private-range host answers them (same host part, still a private 10/8 address);
- expect-deny probes time out after 1000 ms, so the demo is fast (a drop is a drop after 1 s).

Usage: gen_lab_config.py [--in config/govtech.json] [--out config/lab.json] [--check]
--check exits 1 when the committed file differs from a fresh generation.
"""

import argparse
import copy
import ipaddress
import json
import os
import sys
from urllib.parse import urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import topology  # noqa: E402

LAB_CA = "/etc/ztprobe-lab/ca.pem"
DENY_TIMEOUT_MS = 1000


class GenError(Exception):
    pass


def remap_ip(host):
    """Literal addresses inside the lab's pod CIDRs -> 10.250.x.y (x.y: the original's last
    two octets), so they never land on a pod."""
    if not topology.is_ip(host) or not topology.in_pod_cidrs(host):
        return host
    a = ipaddress.ip_address(host)
    if a.version != 4:
        raise GenError("IPv6 literal %s inside the lab's pod CIDRs" % host)
    octets = str(a).split(".")
    base = topology.PRIVATE_REMAP_BASE.split(".")
    return ".".join(base[:2] + octets[2:])


def lab_addresses(name):
    """The lab addresses (IPv4, IPv6) a name resolves to (short Service names go through the
    search list)."""
    short = name.rstrip(".")
    for pod in topology.PODS:
        svc = pod["service"]
        if svc and short in (svc, "%s.%s" % (svc, topology.NAMESPACE),
                             "%s.%s.svc" % (svc, topology.NAMESPACE), topology.service_fqdn(svc)):
            return pod["ip"], pod["ip6"]
    if short in topology.INTERNET:
        return topology.INTERNET[short]["ip"], topology.INTERNET[short]["ip6"]
    raise GenError("name %r has no lab address: add it to tests/lab/topology.py" % name)


def lab_range(addr):
    a = ipaddress.ip_address(addr)
    for cidr in topology.DOC_RANGES + topology.POD_CIDRS:
        if a in ipaddress.ip_network(cidr):
            return cidr
    raise GenError("lab address %s is in no lab range" % addr)


def probe_name_host(probe):
    kind = probe["kind"]
    if kind in ("http", "https"):
        return urlsplit(probe["url"]).hostname
    if kind == "dns":
        return probe["query"]
    return probe.get("host")


def convert_probe(probe):
    p = copy.deepcopy(probe)
    kind = p["kind"]
    if kind in ("http", "https"):
        parts = urlsplit(p["url"])
        new_host = remap_ip(parts.hostname)
        if new_host != parts.hostname:
            netloc = new_host + (":%d" % parts.port if parts.port else "")
            p["url"] = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        if "ca_file" in p:
            p["ca_file"] = LAB_CA
    elif kind in ("tcp", "postgres", "udp"):
        p["host"] = remap_ip(p["host"])
        if "sslrootcert" in p:
            p["sslrootcert"] = LAB_CA
    for key in ("resolved_within", "answers_within"):
        if key in p:
            host = probe_name_host(p)
            if topology.is_ip(host):
                p[key] = [lab_range(host)]
            else:
                p[key] = [lab_range(a) for a in lab_addresses(host)]
    if p["expect"] == "deny":
        p["timeout_ms"] = DENY_TIMEOUT_MS
    return p


def generate(src):
    cfg = copy.deepcopy(src)
    cfg.setdefault("defaults", {})["ca_file"] = LAB_CA
    for role in cfg["roles"].values():
        role["probes"] = [convert_probe(p) for p in role["probes"]]
    return cfg


def render(cfg):
    """JSON with one probe per line, like config/govtech.json, so diffs stay readable."""
    out = ["{"]
    top = list(cfg.items())
    for i, (key, value) in enumerate(top):
        comma = "," if i < len(top) - 1 else ""
        if key != "roles":
            out.append("  %s: %s%s" % (json.dumps(key), json.dumps(value), comma))
            continue
        out.append('  "roles": {')
        roles = list(value.items())
        for j, (rname, role) in enumerate(roles):
            out.append("    %s: {" % json.dumps(rname))
            rest = [(k, v) for k, v in role.items() if k != "probes"]
            for k, v in rest:
                out.append("      %s: %s," % (json.dumps(k), json.dumps(v)))
            out.append('      "probes": [')
            probes = role.get("probes", [])
            for n, probe in enumerate(probes):
                out.append("        %s%s" % (json.dumps(probe), "," if n < len(probes) - 1 else ""))
            out.append("      ]")
            out.append("    }%s" % ("," if j < len(roles) - 1 else ""))
        out.append("  }%s" % comma)
    out.append("}")
    text = "\n".join(out) + "\n"
    if json.loads(text) != cfg:
        raise GenError("renderer lost data")
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description="config/lab.json from config/govtech.json")
    ap.add_argument("--in", dest="src", default=os.path.join(REPO, "config", "govtech.json"))
    ap.add_argument("--out", default=os.path.join(REPO, "config", "lab.json"))
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when --out differs from a fresh generation")
    args = ap.parse_args(argv)
    try:
        with open(args.src, encoding="utf-8") as handle:
            text = render(generate(json.load(handle)))
    except (OSError, ValueError, KeyError, GenError) as exc:
        print("gen_lab_config: %s" % exc, file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as handle:
                current = handle.read()
        except OSError as exc:
            print("gen_lab_config: %s" % exc, file=sys.stderr)
            return 1
        if current != text:
            print("gen_lab_config: %s is stale; run: /usr/bin/python3 tests/lab/gen_lab_config.py"
                  % args.out, file=sys.stderr)
            return 1
        return 0
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.rename(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
