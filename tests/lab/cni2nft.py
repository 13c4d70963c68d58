"""cni2nft: the L3/L4 subset of Cilium's and Calico's own policy kinds for np2nft.py (the lab's
own translator, independent of ztprobe's C evaluator).

Read: CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2); Calico
NetworkPolicy, GlobalNetworkPolicy and Tier (projectcalico.org/v3, crd.projectcalico.org/v1).
A lab runs one CNI: Cilium and Calico objects together are refused.

Cilium, per pod and direction (the chain np2nft jumps to after the admin tier):
  the deny rules (ingressDeny / egressDeny) of the selecting policies first: a deny wins over
  any allow; then the allows of the Kubernetes NetworkPolicies and of the Cilium rules (a
  union); then the deny action when the pod is isolated: a selecting NetworkPolicy of the type,
  or a selecting Cilium rule with a non-empty ingress/ingressDeny (egress/egressDeny) list
  unless enableDefaultDeny says false; else np2nft's Baseline tier / the default allow.
  endpointSelector and peer selectors are label selectors over the pod's labels plus
  io.kubernetes.pod.namespace and io.cilium.k8s.namespace.labels.* (keys may carry k8s: or
  any:); in a CiliumNetworkPolicy a peer selector without the namespace key stays in the
  policy's namespace. CIDR rules never match a pod address (Cilium gives pods identities, not
  CIDRs), nor does the entity world; cluster is every pod address, all everything. A rule
  `{}` allows nothing; toPorts without a peer allows every peer; protocol ANY (or none) is TCP,
  UDP and SCTP. toFQDNs (matchName, matchPattern with `*` = one label's characters) becomes
  the addresses the lab's DNS gives those names (the inventory's "dns" map, from topology.py):
  what Cilium's DNS proxy would learn when the pod resolves them. A `rules.dns` block is
  honoured only as `matchPattern: "*"` (every query allowed: plain L4); HTTP rules,
  toServices, toRequires, nodeSelector, icmps and named ports are refused.

Calico, per pod and direction: the tiers in order (Tier spec.order; the default tier 1,000,000;
no order = last; ties by name), a tier taking part only when one of its policies applies to
the pod (selector, a GlobalNetworkPolicy's namespaceSelector, types); the Kubernetes
NetworkPolicies are default-tier policies of order 1000 with Allow rules. In a tier the
policies by order then name, each rule in order: Allow -> return, Deny -> the deny action,
Pass -> goto the next tier's chain, Log -> nothing; the tier's end: its defaultAction (Deny
unless the Tier says Pass). After the last tier np2nft's Baseline tier, then the default allow.
Rule peers: nets, notNets, selector, notSelector (the inventory's pods: a selector never
matches an outside address), namespaceSelector; destination ports (`443`, `"80:90"`) with a
protocol (TCP, UDP, SCTP or 6, 17, 132). Selectors in calsel.py. Refused: serviceAccount*,
services, notPorts, source ports, notProtocol, ICMP, http, ipVersion, a notSelector in a
namespaced policy without namespaceSelector, doNotTrack / preDNAT / applyOnForward.
"""

import ipaddress
import re

import calsel

CILIUM = {("CiliumNetworkPolicy", "cilium.io/v2"), ("CiliumClusterwideNetworkPolicy", "cilium.io/v2")}
CALICO_API = ("projectcalico.org/v3", "crd.projectcalico.org/v1")
CALICO_KINDS = ("NetworkPolicy", "GlobalNetworkPolicy", "Tier")
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp", 6: "tcp", 17: "udp", 132: "sctp"}
NS_KEY = "io.kubernetes.pod.namespace"
DEFAULT_TIER_ORDER = 1000000.0


def is_cilium(doc):
    return (doc.get("kind"), doc.get("apiVersion")) in CILIUM


def is_calico(doc):
    return doc.get("apiVersion") in CALICO_API and doc.get("kind") in CALICO_KINDS


def is_cni(doc):
    return is_cilium(doc) or is_calico(doc)


def _fam(a):
    return "ip6" if ":" in a else "ip"


def _set(items):
    items = sorted(set(items), key=lambda s: (":" in s, s))
    return items[0] if len(items) == 1 else "{ %s }" % ", ".join(items)


def _net(text, error):
    try:
        return str(ipaddress.ip_network(str(text), strict=False))
    except ValueError as exc:
        raise error("bad CIDR %r: %s" % (text, exc))


def _pod_addrs(inv, fam):
    return [a for p in inv.pods for a in p["ips"] if _fam(a) == fam]


def _addr_lines(field, pos, neg):
    """Per family: `fam field POS fam field != NEG...`. pos: {fam: [nets]} or None (no positive
    criterion); neg: {fam: [[nets], ...]} (each list a separate != match, so that overlapping
    excepts and pod addresses never meet in one nft set)."""
    if pos is None and not any(g for groups in neg.values() for g in groups):
        return [""]  # no address criterion: one line for both families
    lines = []
    for fam in ("ip", "ip6"):
        frag = []
        if pos is not None:
            if not pos.get(fam):
                continue
            frag.append("%s %s %s" % (fam, field, _set(pos[fam])))
        for group in neg.get(fam, []):
            if group:
                frag.append("%s %s != %s" % (fam, field, _set(group)))
        if not frag:  # this family has no criterion while the other has: every address of it
            frag.append("%s %s %s" % (fam, field, "0.0.0.0/0" if fam == "ip" else "::/0"))
        lines.append(" ".join(frag))
    return lines


def _split(nets):
    out = {"ip": [], "ip6": []}
    for n in nets:
        out[_fam(n)].append(n)
    return out


# ---------------------------------------------------------------- Cilium

def _cilium_labels(pod, inv):
    labels = dict(pod["labels"])
    labels[NS_KEY] = pod["namespace"]
    for k, v in inv.namespaces[pod["namespace"]].items():
        labels["io.cilium.k8s.namespace.labels." + k] = v
    return labels


def _strip(key, error):
    key = str(key)
    for prefix in ("k8s:", "any:"):
        if key.startswith(prefix):
            return key[len(prefix):]
    if ":" in key.split("/")[0]:
        raise error("Cilium label source of %r is not enforced by the lab" % key)
    return key


def _cilium_selector(sel, error):
    sel = sel or {}
    if set(sel) - {"matchLabels", "matchExpressions"}:
        raise error("unknown Cilium selector keys: %s" % ", ".join(sorted(set(sel))))
    return {"matchLabels": {_strip(k, error): v for k, v in (sel.get("matchLabels") or {}).items()},
            "matchExpressions": [dict(e, key=_strip(e.get("key"), error)) for e in sel.get("matchExpressions") or []]}


def _mentions_ns(sel):
    return NS_KEY in sel["matchLabels"] or any(e["key"] == NS_KEY for e in sel["matchExpressions"])


def _cilium_specs(doc, error):
    specs = ([doc["spec"]] if doc.get("spec") else []) + list(doc.get("specs") or [])
    if not specs:
        raise error("%s: no spec" % doc["metadata"].get("name"))
    for s in specs:
        if "nodeSelector" in s:
            raise error("%s: nodeSelector (host policies) is not enforced by the lab" % doc["metadata"]["name"])
    return specs


def _cilium_selects(doc, spec, pod, inv, matches, error):
    if doc["kind"] == "CiliumNetworkPolicy" and doc["metadata"].get("namespace") != pod["namespace"]:
        return False
    return matches(_cilium_selector(spec.get("endpointSelector"), error), _cilium_labels(pod, inv))


def _fqdn_addrs(items, inv, error):
    dns = getattr(inv, "dns", None)
    if dns is None:
        raise error("toFQDNs needs the inventory's dns map (the lab's DNS names)")
    out = []
    for item in items:
        if set(item) - {"matchName", "matchPattern"} or len(item) != 1:
            raise error("toFQDNs entry %r" % (item,))
        if "matchName" in item:
            want = re.compile(re.escape(str(item["matchName"]).rstrip(".").lower()))
        else:
            pat = str(item["matchPattern"]).rstrip(".").lower()
            want = re.compile(".*" if pat == "*" else
                              "".join("[-a-z0-9_]*" if c == "*" else re.escape(c) for c in pat))
        out.extend(a for name, addrs in dns.items() if want.fullmatch(name.rstrip(".").lower()) for a in addrs)
    return out


def _cilium_peers(rule, policy, inv, direction, matches, error, deny, dns_proxy):
    """(pos, neg) address criteria of a rule's L3 part, or None when it has none."""
    pre = "from" if direction == "ingress" else "to"
    kinds = [k for k in ("Endpoints", "CIDR", "CIDRSet", "Entities", "FQDNs") if pre + k in rule]
    if len(kinds) > 1:
        raise error("one Cilium rule mixes L3 kinds %s" % ", ".join(kinds))
    if not kinds:
        return None
    kind, val = kinds[0], rule[pre + kinds[0]] or []
    pods = {f: _pod_addrs(inv, f) for f in ("ip", "ip6")}
    if kind == "Endpoints":
        addrs = []
        for raw in val:
            sel = _cilium_selector(raw, error)
            ns_only = policy["kind"] == "CiliumNetworkPolicy" and not _mentions_ns(sel)
            addrs += [a for p in inv.pods if (not ns_only or p["namespace"] == policy["metadata"]["namespace"])
                      and matches(sel, _cilium_labels(p, inv)) for a in p["ips"]]
        return _split(addrs), {}
    if kind in ("CIDR", "CIDRSet"):
        sets = [{"cidr": c} for c in val] if kind == "CIDR" else val
        out = []
        for s in sets:
            if "cidrGroupRef" in s or "cidr" not in s:
                raise error("toCIDRSet entry %r is not enforced by the lab" % (s,))
            cidr = _net(s["cidr"], error)
            exc = [_net(e, error) for e in s.get("except") or []]
            out.append((_split([cidr]), {f: [[e for e in exc if _fam(e) == f], pods[f]] for f in ("ip", "ip6")}))
        return out
    if kind == "FQDNs":
        if deny:
            raise error("toFQDNs in a deny rule")
        # Without a rules.dns rule on the pod's egress no DNS answer passes Cilium's proxy, so
        # the names never become addresses: the rule allows nothing.
        addrs = _fqdn_addrs(val, inv, error)
        return _split(addrs if dns_proxy else []), {}
    out = []
    for ent in val:
        if ent == "all":
            out.append((None, {}))
        elif ent == "cluster":
            out.append((dict(pods), {}))
        elif ent == "world":
            out.append((None, {f: [pods[f]] for f in ("ip", "ip6")}))
        else:
            raise error("entity %r is not enforced by the lab" % ent)
    return out


def _cilium_ports(rule, error, deny):
    frags = []
    for tp in rule.get("toPorts") or []:
        rules = tp.get("rules") or {}
        if set(tp) - {"ports", "rules"} or set(rules) - {"dns"}:
            raise error("toPorts %r: only ports and rules.dns are enforced by the lab" % (tp,))
        if deny and rules:
            raise error("L7 rules in a deny rule")
        if any(d != {"matchPattern": "*"} for d in rules.get("dns") or []):
            raise error("DNS rules other than matchPattern '*' are not enforced by the lab")
        for p in tp.get("ports") or [{}]:
            proto = str(p.get("protocol") or "ANY").upper()
            protos = ["tcp", "udp", "sctp"] if proto == "ANY" else [PROTO.get(proto)]
            if None in protos:
                raise error("protocol %r is not enforced by the lab" % proto)
            port = str(p.get("port", "0"))
            if not port.isdigit():
                raise error("named port %r is not enforced by the lab (no container ports)" % port)
            end = p.get("endPort")
            spec = "" if int(port) == 0 else ("%s-%d" % (port, int(end)) if end else port)
            frags += [("%s dport %s" % (pr, spec)) if spec else "meta l4proto %s" % pr for pr in protos]
    return frags or [""]


def _cilium_rule_lines(rule, policy, inv, direction, verdicts, matches, error, deny, dns_proxy=False):
    allowed = {"Endpoints", "CIDR", "CIDRSet", "Entities"} | (set() if deny else {"FQDNs"})
    pre = "from" if direction == "ingress" else "to"
    unknown = set(rule) - {pre + k for k in allowed} - {"toPorts"}
    if unknown:
        raise error("Cilium %s rule keys not enforced by the lab: %s" % (direction, ", ".join(sorted(unknown))))
    peers = _cilium_peers(rule, policy, inv, direction, matches, error, deny, dns_proxy)
    if peers is None and "toPorts" not in rule:
        return []  # `{}`: selects no peer, allows nothing
    field = "saddr" if direction == "ingress" else "daddr"
    if peers is None:
        peers = [(None, {})]
    elif isinstance(peers, tuple):
        peers = [peers]
    lines = []
    for pos, neg in peers:
        for af in _addr_lines(field, pos, neg):
            for pf in _cilium_ports(rule, error, deny):
                lines += [" ".join(x for x in (af, pf, v) if x) for v in verdicts]
    return lines


def cilium_lines(docs, pod, inv, direction, deny, matches, error):
    """(deny lines, allow lines, isolated) of the Cilium policies for a pod and direction."""
    denies, allows, isolated = [], [], False
    dkey = direction + "Deny"
    selecting = [(doc, spec) for doc in docs for spec in _cilium_specs(doc, error)
                 if _cilium_selects(doc, spec, pod, inv, matches, error)]
    dns_proxy = any((tp.get("rules") or {}).get("dns") for _, spec in selecting for rule in spec.get("egress") or []
                    for tp in rule.get("toPorts") or [])
    for doc, spec in selecting:
        off = (spec.get("enableDefaultDeny") or {}).get(direction) is False
        if (spec.get(direction) or spec.get(dkey)) and not off:
            isolated = True
        name = "%s %s" % (doc["kind"], doc["metadata"]["name"])
        for rule in spec.get(dkey) or []:
            denies += ["# %s %s" % (name, dkey)] + _cilium_rule_lines(rule, doc, inv, direction, deny, matches,
                                                                        error, True)
        for rule in spec.get(direction) or []:
            allows += _cilium_rule_lines(rule, doc, inv, direction, ["return"], matches, error, False,
                                         dns_proxy)
    return denies, allows, isolated


# ---------------------------------------------------------------- Calico

def _calico_pod_labels(pod):
    return dict(pod["labels"], **{"projectcalico.org/namespace": pod["namespace"],
                                  "projectcalico.org/orchestrator": "k8s"})


def _calico_ns_labels(inv, ns):
    return dict(inv.namespaces[ns], **{"projectcalico.org/name": ns})


def _sel(text, error):
    try:
        return calsel.compile_selector(text)
    except ValueError as exc:
        raise error(str(exc))


def _calico_types(spec, error):
    types = spec.get("types")
    if types is None:
        types = (["Ingress"] if spec.get("ingress") or not spec.get("egress") else []) + \
                (["Egress"] if spec.get("egress") else [])
    if set(types) - {"Ingress", "Egress"}:
        raise error("Calico types %r" % (types,))
    return types


def _calico_applies(doc, pod, inv, direction, error):
    spec = doc.get("spec") or {}
    bad = set(spec) & {"serviceAccountSelector", "doNotTrack", "preDNAT", "applyOnForward", "performanceHints"}
    if bad:
        raise error("%s: %s not enforced by the lab" % (doc["metadata"]["name"], ", ".join(sorted(bad))))
    if ("Ingress" if direction == "ingress" else "Egress") not in _calico_types(spec, error):
        return False
    if doc["kind"] == "NetworkPolicy" and doc["metadata"].get("namespace") != pod["namespace"]:
        return False
    if doc["kind"] == "GlobalNetworkPolicy" and "namespaceSelector" in spec:
        if not _sel(spec["namespaceSelector"], error)(_calico_ns_labels(inv, pod["namespace"])):
            return False
    return _sel(spec.get("selector", ""), error)(_calico_pod_labels(pod))


def _calico_pods(peer, doc, inv, sel_key, error):
    """Addresses of the pods a peer's selector (or notSelector) picks."""
    if sel_key not in peer and "namespaceSelector" not in peer:
        return None
    fn = _sel(peer.get(sel_key, "all()"), error) if sel_key in peer else (lambda l: True)
    if "namespaceSelector" in peer:
        nsfn = _sel(peer["namespaceSelector"], error)
        in_ns = lambda p: nsfn(_calico_ns_labels(inv, p["namespace"]))  # noqa: E731
    elif doc["kind"] == "NetworkPolicy":
        if sel_key == "notSelector":
            raise error("%s: notSelector in a namespaced policy without namespaceSelector" % doc["metadata"]["name"])
        in_ns = lambda p: p["namespace"] == doc["metadata"]["namespace"]  # noqa: E731
    else:
        in_ns = lambda p: True  # noqa: E731
    return [a for p in inv.pods if in_ns(p) and fn(_calico_pod_labels(p)) for a in p["ips"]]


def _calico_rule_lines(rule, doc, inv, direction, verdicts, error):
    bad = set(rule) - {"action", "protocol", "source", "destination", "metadata"}
    if bad:
        raise error("%s: rule keys not enforced by the lab: %s" % (doc["metadata"]["name"], ", ".join(sorted(bad))))
    peer_key, own_key = ("source", "destination") if direction == "ingress" else ("destination", "source")
    peer, own = rule.get(peer_key) or {}, rule.get(own_key) or {}
    if set(peer) - {"nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports"}:
        raise error("%s: %s keys not enforced by the lab: %s" % (doc["metadata"]["name"], peer_key, sorted(peer)))
    if set(own) - ({"ports"} if direction == "ingress" else set()):
        raise error("%s: %s %s not enforced by the lab" % (doc["metadata"]["name"], own_key, sorted(own)))
    if direction == "egress" and "ports" in peer:
        ports = peer["ports"]
    else:
        ports = own.get("ports") if direction == "ingress" else None
        if direction == "ingress" and "ports" in peer:
            raise error("%s: source ports are not enforced by the lab" % doc["metadata"]["name"])
    pos = None
    if "nets" in peer:
        pos = _split([_net(n, error) for n in peer["nets"]])
    sel = _calico_pods(peer, doc, inv, "selector", error) if "selector" in peer or \
        ("namespaceSelector" in peer) else None
    if sel is not None:
        inside = lambda a: pos is None or any(ipaddress.ip_address(a) in ipaddress.ip_network(n)  # noqa: E731
                                              for n in pos[_fam(a)])
        pos = _split([a for a in sel if inside(a)])
    notnets = _split([_net(n, error) for n in peer.get("notNets") or []])
    notsel = _split(_calico_pods(peer, doc, inv, "notSelector", error) if "notSelector" in peer else [])
    neg = {f: [notnets[f], notsel[f]] for f in ("ip", "ip6")}
    proto = rule.get("protocol")
    lower = None
    if proto is not None:
        lower = PROTO.get(proto if isinstance(proto, int) else str(proto).upper())
        if lower is None:
            raise error("%s: protocol %r not enforced by the lab" % (doc["metadata"]["name"], proto))
    if ports:
        if lower is None:
            raise error("%s: ports need a protocol" % doc["metadata"]["name"])
        vals = []
        for p in ports:
            text = str(p)
            if not re.fullmatch(r"\d+(:\d+)?", text):
                raise error("%s: port %r not enforced by the lab (named ports)" % (doc["metadata"]["name"], p))
            vals.append(text.replace(":", "-"))
        pfs = ["%s dport %s" % (lower, _set(vals))]
    else:
        pfs = ["meta l4proto %s" % lower] if lower else [""]
    field = "saddr" if direction == "ingress" else "daddr"
    lines = []
    for af in _addr_lines(field, pos, neg):
        for pf in pfs:
            lines += [" ".join(x for x in (af, pf, v) if x) for v in verdicts]
    return lines


def calico_tiers(docs, error):
    """{tier name: (order, defaultAction)} from the Tier objects, with the default tier."""
    tiers = {"default": (DEFAULT_TIER_ORDER, "Deny")}
    for d in docs:
        if d["kind"] == "Tier":
            spec = d.get("spec") or {}
            order = spec.get("order")
            tiers[d["metadata"]["name"]] = (float("inf") if order is None else float(order),
                                            spec.get("defaultAction", "Deny"))
    return tiers


def calico_chains(docs, nps, pod, inv, direction, name, deny, np_lines, base, error):
    """Chains (name, lines) for a pod and direction, the first named NAME; [] when no Calico tier
    applies. nps: the NetworkPolicies selecting the pod for the direction (default tier, order
    1000); np_lines(np): their allow lines; base: the Baseline tier's lines."""
    tiers = calico_tiers(docs, error)
    members = {}
    for d in docs:
        if d["kind"] == "Tier" or not _calico_applies(d, pod, inv, direction, error):
            continue
        tier = (d.get("spec") or {}).get("tier", "default")
        if tier not in tiers:
            raise error("%s: tier %r has no Tier object" % (d["metadata"]["name"], tier))
        order = d["spec"].get("order")
        members.setdefault(tier, []).append((float("inf") if order is None else float(order),
                                             d["metadata"]["name"], d))
    for np in nps:
        members.setdefault("default", []).append((1000.0, np["metadata"]["name"], np))
    if not members:
        return []
    order = sorted(members, key=lambda t: (tiers[t][0], t))
    names = [name] + ["%s_%d" % (name, i) for i in range(1, len(order))] + [name + "_end"]
    chains = []
    for i, tier in enumerate(order):
        nxt = "goto %s" % names[i + 1]
        body = ["# Calico tier %s (order %s) for %s/%s" % (tier, tiers[tier][0], pod["namespace"], pod["name"])]
        for _, pname, d in sorted(members[tier], key=lambda m: (m[0], m[1])):
            if d.get("apiVersion") == "networking.k8s.io/v1":  # a Kubernetes NetworkPolicy
                body += np_lines(d)
                continue
            for rule in d["spec"].get(direction) or []:
                action = rule.get("action")
                if action == "Log":
                    continue
                verdicts = {"Allow": ["return"], "Deny": deny, "Pass": [nxt]}.get(action)
                if verdicts is None:
                    raise error("%s: action %r" % (pname, action))
                body += _calico_rule_lines(rule, d, inv, direction, verdicts, error)
        body += deny if tiers[tier][1] == "Deny" else [nxt]
        chains.append((names[i], body))
    chains.append((names[-1], ["# after the last tier: Baseline, then allow"] + (base or ["return"])))
    return chains
