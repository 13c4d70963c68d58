#!/usr/bin/python3
"""np2nft: Kubernetes NetworkPolicy -> nftables, the way a policy-enforcing CNI applies it
(with the admin tiers, ClusterNetworkPolicy / AdminNetworkPolicy / BaselineAdminNetworkPolicy,
through tiers2nft.py).

The rules go into the lab's "node" namespace, in one `inet` table hooked on forward: every
pod-to-pod and pod-to-"internet" packet crosses the node, entering from the source pod's veth
(iifname: egress policy) and leaving through the destination pod's veth (oifname: ingress
policy). Calico and Cilium filter at the same place, which is what makes a drop look to the
agent exactly as it does in a cluster (a silent timeout), unlike a rule inside the pod.

Semantics (networking.k8s.io/v1):
- a policy selects the pods of its own namespace that match spec.podSelector;
- policyTypes defaults to [Ingress], plus Egress when the spec has egress rules;
- a pod selected by no policy of a type stays open in that direction;
- the allowed traffic of a pod is the union of the rules of every policy that selects it;
- a rule allows a packet when one of its peers matches AND one of its ports matches; absent or
  empty `from`/`to` means every peer, absent or empty `ports` every port (`- {}` allows all);
- a peer with both namespaceSelector and podSelector is their AND; separate peers are OR;
  podSelector alone means the policy's namespace; ipBlock matches addresses (with except);
- replies of allowed connections pass (`ct state established,related accept` comes first).
Selectors are resolved against the inventory at translation time, as a CNI resolves them
against the pods it knows.

Usage:
  np2nft.py -p POLICIES.yaml [-p MORE.yaml] -i INVENTORY.json [--deny MODE] [--table NAME] [-o OUT]

MODE: drop (default), tcp-reset (TCP gets a RST, other protocols are dropped),
icmp-admin-prohibited, or none (a CNI without NetworkPolicy support: the table is emptied
and nothing is enforced).

Inventory (JSON):
  {"namespaces": {"govtech": {"app": "govtech"}, "kube-system": {}},
   "pods": [{"name": "backend", "namespace": "govtech", "labels": {"app": "backend"},
             "ip": "10.0.2.10", "ips": ["10.0.2.10", "fd00:10:0:2::10"], "veth": "zt1-be"}]}
Namespace label maps get kubernetes.io/metadata.name added, as the API server does. A pod's
addresses are "ips" (a dual-stack pod: one per family, like status.podIPs), else ["ip"]; a
selector peer matches every address of the pods it selects, in each family's own rule.
"""

import argparse
import ipaddress
import json
import re
import sys

import yaml

import tiers2nft

DENY_MODES = ("drop", "tcp-reset", "icmp-admin-prohibited", "none")
PROTOCOLS = ("TCP", "UDP", "SCTP")


class PolicyError(Exception):
    """A policy or inventory the translator cannot honour faithfully."""


# ---------------------------------------------------------------- selectors

def selector_matches(selector, labels):
    """LabelSelector semantics: {} (or None given explicitly) matches everything."""
    if selector is None:
        selector = {}
    if not isinstance(selector, dict):
        raise PolicyError("selector must be a mapping: %r" % (selector,))
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise PolicyError("unknown selector keys: %s" % ", ".join(sorted(unknown)))
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key"), expr.get("operator")
        values = [str(v) for v in (expr.get("values") or [])]
        if op == "In":
            if not values:
                raise PolicyError("matchExpressions %s In needs values" % key)
            if key not in labels or labels[key] not in values:
                return False
        elif op == "NotIn":
            if not values:
                raise PolicyError("matchExpressions %s NotIn needs values" % key)
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise PolicyError("matchExpressions operator %r not supported" % (op,))
    return True


# ---------------------------------------------------------------- inventory and policies

class Inventory:
    def __init__(self, data):
        self.namespaces = {}
        for name, labels in (data.get("namespaces") or {}).items():
            merged = {str(k): str(v) for k, v in (labels or {}).items()}
            merged["kubernetes.io/metadata.name"] = name
            self.namespaces[name] = merged
        self.pods = []
        seen_veth = set()
        for pod in data.get("pods") or []:
            if pod.get("ips") and not pod.get("ip"):
                pod = dict(pod, ip=pod["ips"][0])
            for key in ("name", "namespace", "ip", "veth"):
                if not pod.get(key):
                    raise PolicyError("inventory pod %r lacks %s" % (pod.get("name"), key))
            if pod["namespace"] not in self.namespaces:
                self.namespaces[pod["namespace"]] = {
                    "kubernetes.io/metadata.name": pod["namespace"]}
            if pod["veth"] in seen_veth:
                raise PolicyError("veth %s used by two pods" % pod["veth"])
            seen_veth.add(pod["veth"])
            ips = [str(ipaddress.ip_address(a)) for a in (pod.get("ips") or [pod["ip"]])]
            if str(ipaddress.ip_address(pod["ip"])) not in ips:
                raise PolicyError("inventory pod %s: ip %s not among its ips" % (pod["name"],
                                                                                pod["ip"]))
            if len({ipaddress.ip_address(a).version for a in ips}) != len(ips):
                raise PolicyError("inventory pod %s: at most one address per family"
                                  % pod["name"])
            self.pods.append({
                "name": pod["name"], "namespace": pod["namespace"], "ip": pod["ip"], "ips": ips,
                "veth": pod["veth"],
                "labels": {str(k): str(v) for k, v in (pod.get("labels") or {}).items()},
            })


def load_policies(paths):
    """Every NetworkPolicy and admin-tier policy (tiers2nft.py) of the given multi-document
    YAML files, in order."""
    policies = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and tiers2nft.is_admin(doc):
                    policies.append(doc)
                    continue
                if not doc or doc.get("kind") != "NetworkPolicy":
                    continue
                if doc.get("apiVersion") != "networking.k8s.io/v1":
                    raise PolicyError("%s: apiVersion %r" % (path, doc.get("apiVersion")))
                meta = doc.get("metadata") or {}
                if not meta.get("name") or not meta.get("namespace"):
                    raise PolicyError("%s: NetworkPolicy needs metadata.name and .namespace" % path)
                policies.append(doc)
    return policies


def policy_types(spec):
    types = spec.get("policyTypes")
    if types is None:
        types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for t in types:
        if t not in ("Ingress", "Egress"):
            raise PolicyError("policyTypes: %r" % (t,))
    return types


# ---------------------------------------------------------------- nft fragments

def _family(addr_or_net):
    return "ip6" if ":" in addr_or_net else "ip"


def _addr_set(items):
    items = sorted(set(items), key=lambda s: (":" in s, s))
    return items[0] if len(items) == 1 else "{ %s }" % ", ".join(items)


def peer_matches(peer, policy_ns, inv, direction):
    """nft match fragments (a list: OR) for one peer; [] when it matches nothing."""
    field = "saddr" if direction == "ingress" else "daddr"
    if not isinstance(peer, dict):
        raise PolicyError("peer must be a mapping: %r" % (peer,))
    unknown = set(peer) - {"podSelector", "namespaceSelector", "ipBlock"}
    if unknown:
        raise PolicyError("unknown peer keys: %s" % ", ".join(sorted(unknown)))
    if "ipBlock" in peer:
        if len(peer) != 1:
            raise PolicyError("ipBlock cannot be combined with selectors in one peer")
        block = peer["ipBlock"]
        cidr = str(ipaddress.ip_network(block["cidr"], strict=False))
        fam = _family(cidr)
        frag = "%s %s %s" % (fam, field, cidr)
        excepts = [str(ipaddress.ip_network(e, strict=False)) for e in block.get("except") or []]
        for e in excepts:
            if _family(e) != fam:
                raise PolicyError("ipBlock except %s is not of the family of %s" % (e, cidr))
        if excepts:
            frag += " %s %s != %s" % (fam, field, _addr_set(excepts))
        return [frag]
    if "namespaceSelector" in peer:
        namespaces = [ns for ns, labels in inv.namespaces.items()
                      if selector_matches(peer["namespaceSelector"], labels)]
    else:
        namespaces = [policy_ns]
    pod_selector = peer.get("podSelector", {})
    addrs = [a for p in inv.pods
             if p["namespace"] in namespaces and selector_matches(pod_selector, p["labels"])
             for a in p["ips"]]
    frags = []
    for fam in ("ip", "ip6"):
        fam_addrs = [a for a in addrs if _family(a) == fam]
        if fam_addrs:
            frags.append("%s %s %s" % (fam, field, _addr_set(fam_addrs)))
    return frags


def port_matches(port_spec):
    """nft match fragment for one NetworkPolicyPort."""
    unknown = set(port_spec) - {"protocol", "port", "endPort"}
    if unknown:
        raise PolicyError("unknown port keys: %s" % ", ".join(sorted(unknown)))
    proto = str(port_spec.get("protocol", "TCP"))
    if proto not in PROTOCOLS:
        raise PolicyError("protocol %r not supported" % proto)
    lower = proto.lower()
    port = port_spec.get("port")
    end = port_spec.get("endPort")
    if port is None:
        if end is not None:
            raise PolicyError("endPort without port")
        return "meta l4proto %s" % lower
    if isinstance(port, str):
        if not port.isdigit():
            # A named port resolves per destination container; the lab's inventory has no
            # container ports, so refuse rather than guess.
            raise PolicyError("named port %r not supported by the lab translator" % port)
        port = int(port)
    if not 1 <= int(port) <= 65535:
        raise PolicyError("port %r out of range" % port)
    if end is not None:
        if not int(port) <= int(end) <= 65535:
            raise PolicyError("endPort %r below port %r" % (end, port))
        return "%s dport %d-%d" % (lower, int(port), int(end))
    return "%s dport %d" % (lower, int(port))


def rule_lines(rule, policy_ns, inv, direction):
    """Allow lines (ending in `return`) for one ingress/egress rule."""
    if rule is None:
        rule = {}
    peer_key = "from" if direction == "ingress" else "to"
    unknown = set(rule) - {peer_key, "ports"}
    if unknown:
        raise PolicyError("unknown %s rule keys: %s" % (direction, ", ".join(sorted(unknown))))
    peers = rule.get(peer_key) or []
    ports = rule.get("ports") or []
    if peers:
        peer_frags = []
        for peer in peers:
            peer_frags.extend(peer_matches(peer, policy_ns, inv, direction))
        if not peer_frags:
            return []  # selects nothing: allows nothing
    else:
        peer_frags = [""]
    port_frags = [port_matches(p) for p in ports] if ports else [""]
    lines = []
    for pf in peer_frags:
        for qf in port_frags:
            lines.append(" ".join(x for x in (pf, qf, "return") if x))
    return lines


def deny_lines(mode):
    if mode == "drop":
        return ["drop"]
    if mode == "tcp-reset":
        # A RST only exists for TCP; everything else (DNS over UDP) is dropped, as Calico's
        # reject mode does for non-TCP.
        return ["meta l4proto tcp reject with tcp reset", "drop"]
    if mode == "icmp-admin-prohibited":
        return ["reject with icmpx type admin-prohibited"]
    raise PolicyError("deny mode %r" % mode)


def chain_name(direction, pod):
    raw = "%s_%s_%s" % (direction, pod["namespace"], pod["name"])
    return re.sub(r"[^A-Za-z0-9_]", "_", raw)


def translate(policies, inv, deny="drop", table="ztlab"):
    """The nft script (a string) that replaces table inet TABLE with the policies' rules."""
    if deny not in DENY_MODES:
        raise PolicyError("deny mode %r (one of %s)" % (deny, ", ".join(DENY_MODES)))
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", table):
        raise PolicyError("table name %r" % table)
    out = ["# generated by tests/lab/np2nft.py; deny=%s" % deny,
           # Create-then-delete makes the script idempotent: it replaces a previous ruleset.
           "table inet %s" % table, "delete table inet %s" % table]
    if deny == "none":
        out.append("# no enforcement: a CNI without NetworkPolicy support")
        return "\n".join(out) + "\n"
    jumps, chains = [], []
    admins = [p for p in policies if tiers2nft.is_admin(p)]
    policies = [p for p in policies if not tiers2nft.is_admin(p)]
    admin_tier = tiers2nft.ordered(admins, "Admin", PolicyError)
    baseline_tier = tiers2nft.ordered(admins, "Baseline", PolicyError)
    for pod in inv.pods:
        for direction, hookname in (("egress", "iifname"), ("ingress", "oifname")):
            ptype = "Egress" if direction == "egress" else "Ingress"
            name = chain_name(direction, pod)
            adm = tiers2nft.tier_lines(admin_tier, pod, inv, direction, deny_lines(deny), "goto %s_t" % name,
                                       selector_matches, PolicyError)
            selecting = []
            for pol in policies:
                spec = pol.get("spec") or {}
                if pol["metadata"]["namespace"] != pod["namespace"]:
                    continue
                if "podSelector" not in spec:
                    raise PolicyError("%s: spec.podSelector is required" % pol["metadata"]["name"])
                if ptype not in policy_types(spec):
                    continue
                if selector_matches(spec["podSelector"], pod["labels"]):
                    selecting.append(pol)
            base = [] if selecting else tiers2nft.tier_lines(baseline_tier, pod, inv, direction, deny_lines(deny),
                                                             "return", selector_matches, PolicyError)
            if not selecting and not adm and not base:
                continue  # no tier applies in this direction: stays open
            jumps.append('%s "%s" jump %s' % (hookname, pod["veth"], name))
            body = ["# %s of %s/%s: %s" % (direction, pod["namespace"], pod["name"],
                                          ", ".join(p["metadata"]["name"] for p in selecting) or "baseline")]
            for pol in selecting:
                for rule in (pol["spec"].get(direction) or []):
                    body.extend(rule_lines(rule, pol["metadata"]["namespace"], inv, direction))
            body.extend(deny_lines(deny) if selecting else base)
            if adm:  # the Admin tier first; Pass and the end go on to the NetworkPolicies / Baseline
                chains.append((name, ["# admin tier of %s/%s" % (pod["namespace"], pod["name"])] + adm +
                               ["goto %s_t" % name]))
                name += "_t"
            chains.append((name, body))
    out.append("table inet %s {" % table)
    out.append("\tchain forward {")
    out.append("\t\ttype filter hook forward priority filter; policy accept;")
    out.append("\t\tct state established,related accept")
    out.extend("\t\t" + j for j in jumps)
    out.append("\t}")
    for name, body in chains:
        out.append("\tchain %s {" % name)
        out.extend("\t\t" + line for line in body)
        out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="NetworkPolicy -> nftables for the ztprobe lab")
    ap.add_argument("-p", "--policies", action="append", required=True,
                    help="multi-document YAML with NetworkPolicies (repeatable)")
    ap.add_argument("-i", "--inventory", required=True, help="lab inventory JSON")
    ap.add_argument("--deny", default="drop", choices=DENY_MODES)
    ap.add_argument("--table", default="ztlab")
    ap.add_argument("-o", "--out", help="write the nft script here instead of stdout")
    args = ap.parse_args(argv)
    try:
        with open(args.inventory, encoding="utf-8") as handle:
            inv = Inventory(json.load(handle))
        text = translate(load_policies(args.policies), inv, args.deny, args.table)
    except (PolicyError, OSError, ValueError, KeyError, yaml.YAMLError) as exc:
        print("np2nft: %s" % exc, file=sys.stderr)
        return 2
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
