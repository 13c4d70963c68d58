"""tiers2nft: the admin tiers of the network-policy-api for np2nft.py (the lab's own
translator, independent of ztprobe's C evaluator).

Read: ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2 and networking.k8s.aws/v1alpha1),
AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1).

Per pod and direction np2nft builds two chains, jumped to from the node's forward hook:
  CHAIN   the Admin tier: the policies whose subject selects the pod, lowest priority first
          (ties: by name, which the API leaves to the implementation), each policy's rules of
          the direction in order: Accept/Allow -> return (final for this direction; the other
          end's direction still applies), Deny -> the deny action, Pass -> goto CHAIN_t;
          then goto CHAIN_t;
  CHAIN_t the NetworkPolicies selecting the pod for the direction (np2nft's union of allows,
          then deny) when there are any; else the Baseline tier (ClusterNetworkPolicy tier
          Baseline by priority, BaselineAdminNetworkPolicy `default`), Accept -> return,
          Deny -> the deny action, Pass -> return; the chain's end is the default allow.
Peers: namespaces and pods (resolved against the inventory, as a CNI resolves them), networks
(addresses, pod IPs included). Ports: v1alpha2 `protocols` (tcp/udp/sctp destinationPort
number or range), v1alpha1 / EKS `ports` (portNumber, portRange). Refused (PolicyError):
nodes and domainNames peers and named ports (the inventory has no nodes, no DNS answers seen
by a CNI, no container ports). A pod to its own IP never reaches the node, as the API wants.
"""
import ipaddress

GROUPS = {
    ("ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2"),
    ("ClusterNetworkPolicy", "networking.k8s.aws/v1alpha1"),
    ("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1"),
    ("BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1"),
}


def is_admin(doc):
    return (doc.get("kind"), doc.get("apiVersion")) in GROUPS


def tier(doc):
    if doc["kind"] == "BaselineAdminNetworkPolicy":
        return "Baseline"
    if doc["kind"] == "AdminNetworkPolicy":
        return "Admin"
    return doc["spec"]["tier"]


def ordered(docs, which, error):
    """The policies of one tier, in the order the lab applies them."""
    out = [d for d in docs if tier(d) == which]
    for d in out:
        if which == "Admin" and not 0 <= int(d["spec"].get("priority", -1)) <= 1000:
            raise error("%s: priority must be 0..1000" % d["metadata"]["name"])
    return sorted(out, key=lambda d: (int(d["spec"].get("priority", 0)), d["metadata"]["name"]))


def subject_selects(doc, pod, inv, matches):
    subj = doc["spec"]["subject"]
    ns_labels = inv.namespaces[pod["namespace"]]
    if "namespaces" in subj:
        return matches(subj["namespaces"], ns_labels)
    pods = subj["pods"]
    return matches(pods.get("namespaceSelector", {}), ns_labels) and matches(pods["podSelector"], pod["labels"])


def _fam(a):
    return "ip6" if ":" in a else "ip"


def _set(items):
    items = sorted(set(items), key=lambda s: (":" in s, s))
    return items[0] if len(items) == 1 else "{ %s }" % ", ".join(items)


def peer_frags(peer, inv, direction, matches, error):
    field = "saddr" if direction == "ingress" else "daddr"
    if len(peer) != 1:
        raise error("a peer sets exactly one field: %r" % (peer,))
    (kind, val), = peer.items()
    if kind == "networks":
        nets = [str(ipaddress.ip_network(n, strict=False)) for n in val]
    elif kind == "namespaces":
        nets = [a for p in inv.pods if matches(val, inv.namespaces[p["namespace"]]) for a in p["ips"]]
    elif kind == "pods":
        nets = [a for p in inv.pods if matches(val.get("namespaceSelector", {}), inv.namespaces[p["namespace"]])
                and matches(val["podSelector"], p["labels"]) for a in p["ips"]]
    else:
        raise error("%s peers are not enforced by the lab" % kind)
    return ["%s %s %s" % (fam, field, _set([n for n in nets if _fam(n) == fam]))
            for fam in ("ip", "ip6") if any(_fam(n) == fam for n in nets)]


def port_frags(rule, error):
    out = []
    for p in rule.get("protocols") or []:
        (proto, v), = p.items()
        if proto == "destinationNamedPort":
            raise error("named ports are not enforced by the lab (no container ports)")
        dp = v["destinationPort"]
        rng = dp.get("range")
        out.append("%s dport %s" % (proto, "%d-%d" % (rng["start"], rng["end"]) if rng else dp["number"]))
    for p in rule.get("ports") or []:
        (kind, v), = p.items()
        if kind == "namedPort":
            raise error("named ports are not enforced by the lab (no container ports)")
        proto = str(v.get("protocol", "TCP")).lower()
        out.append("%s dport %s" % (proto, "%d-%d" % (v["start"], v["end"]) if kind == "portRange" else v["port"]))
    return out or [""]


def rule_lines(rule, inv, direction, verdicts, matches, error):
    """nft lines for one rule: each (peer, port) match followed by each verdict line."""
    peers = rule.get("from" if direction == "ingress" else "to") or []
    frags = [f for peer in peers for f in peer_frags(peer, inv, direction, matches, error)]
    lines = []
    for pf in frags:
        for qf in port_frags(rule, error):
            for v in verdicts:
                lines.append(" ".join(x for x in (pf, qf, v) if x))
    return lines


def tier_lines(policies, pod, inv, direction, deny, pass_verdict, matches, error):
    """Lines of one tier for a pod and direction ([] when no policy of it selects the pod)."""
    lines = []
    for doc in policies:
        if not subject_selects(doc, pod, inv, matches):
            continue
        rules = doc["spec"].get(direction) or []
        if rules:
            lines.append("# %s %s (priority %s)" % (doc["kind"], doc["metadata"]["name"],
                                                    doc["spec"].get("priority", "-")))
        for rule in rules:
            action = rule["action"]
            verdicts = ["return"] if action in ("Accept", "Allow") else deny if action == "Deny" else [pass_verdict]
            lines.extend(rule_lines(rule, inv, direction, verdicts, matches, error))
    return lines
