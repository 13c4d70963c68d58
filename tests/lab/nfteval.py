"""nfteval: a tiny evaluator for the nft scripts np2nft.py writes, for its unit tests.

It understands exactly the subset np2nft emits (iifname/oifname, ct state, ip/ip6 saddr/daddr
with CIDRs, sets and !=, meta l4proto, PROTO dport with ranges and sets, jump/return/accept/
drop/reject, goto) and raises on anything else, so a change in the translator's output cannot pass
unnoticed. An `ip` match holds IPv4 values only and an `ip6` match IPv6 only (nft refuses the
mix); a packet of the other family never matches it, negated or not, as in nftables. `nft -c` in the tests checks that the same text is valid nftables.
"""

import ipaddress


class EvalError(Exception):
    pass


def _tokens(line):
    out, i, parts = [], 0, line.split()
    while i < len(parts):
        if parts[i] == "{":
            j = parts.index("}", i)
            out.append(("set", [p.rstrip(",") for p in parts[i + 1:j] if p != ","]))
            i = j + 1
        else:
            out.append(parts[i])
            i += 1
    return out


def parse(text):
    """{chain name: [token lists]} of the last `table inet NAME { ... }` block in text."""
    chains, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("chain ") and line.endswith("{"):
            current = line.split()[1]
            chains[current] = []
        elif line == "}":
            current = None
        elif current is not None:
            if line.startswith("type filter hook"):
                continue
            chains[current].append(_tokens(line))
    return chains


def _values(tok):
    return tok[1] if isinstance(tok, tuple) else [tok]


def _check_family(proto, values):
    want = 4 if proto == "ip" else 6
    for v in values:
        if ipaddress.ip_network(v, strict=False).version != want:
            raise EvalError("%s match with a value of the other family: %s" % (proto, v))


def _addr_in(addr, values):
    a = ipaddress.ip_address(addr)
    for v in values:
        net = ipaddress.ip_network(v, strict=False)
        if a.version == net.version and a in net:
            return True
    return False


def _port_in(port, values):
    for v in values:
        lo, _, hi = v.partition("-")
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


def _run_chain(chains, name, pkt, depth=0):
    """Returns a final verdict string, or None when the chain returns."""
    if depth > 8:
        raise EvalError("jump depth")
    for toks in chains[name]:
        i, matched = 0, True
        verdict = None
        while i < len(toks) and matched:
            t = toks[i]
            if t in ("iifname", "oifname"):
                matched = pkt[t[:3]] == toks[i + 1].strip('"')
                i += 2
            elif t == "ct" and toks[i + 1] == "state":
                matched = pkt.get("ct", "new") in toks[i + 2].split(",")
                i += 3
            elif t in ("ip", "ip6"):
                field = toks[i + 1]
                neg = toks[i + 2] == "!="
                val = toks[i + 3] if neg else toks[i + 2]
                _check_family(t, _values(val))
                addr = pkt["src" if field == "saddr" else "dst"]
                fam_ok = (ipaddress.ip_address(addr).version == 4) == (t == "ip")
                inside = fam_ok and _addr_in(addr, _values(val))
                matched = fam_ok and (inside != neg)
                i += 4 if neg else 3
            elif t == "meta" and toks[i + 1] == "l4proto":
                matched = pkt["proto"] == toks[i + 2]
                i += 3
            elif t in ("tcp", "udp", "sctp") and toks[i + 1] == "dport":
                matched = pkt["proto"] == t and _port_in(pkt["dport"], _values(toks[i + 2]))
                i += 3
            elif t in ("return", "accept", "drop"):
                verdict = t
                i += 1
            elif t in ("jump", "goto"):
                verdict = (t, toks[i + 1])
                i += 2
            elif t == "reject":
                rest = " ".join(x for x in toks[i:] if isinstance(x, str))
                if rest == "reject with tcp reset":
                    verdict = "reject-tcp-reset"
                elif rest == "reject with icmpx type admin-prohibited":
                    verdict = "reject-admin-prohibited"
                else:
                    raise EvalError("unknown reject: %s" % rest)
                i = len(toks)
            else:
                raise EvalError("unknown token %r in %r" % (t, toks))
        if not matched:
            continue
        if verdict is None:
            raise EvalError("rule without verdict: %r" % (toks,))
        if isinstance(verdict, tuple) and verdict[0] == "goto":
            return _run_chain(chains, verdict[1], pkt, depth + 1)  # its return is this chain's
        if isinstance(verdict, tuple):
            sub = _run_chain(chains, verdict[1], pkt, depth + 1)
            if sub is not None:
                return sub
            continue
        if verdict == "return":
            return None
        return verdict
    return None


def evaluate(text, pkt):
    """Verdict of the forward hook for pkt: accept, drop, reject-tcp-reset, reject-admin-prohibited.

    pkt: {"iif": veth or "", "oif": veth or "", "src": addr, "dst": addr,
          "proto": "tcp"|"udp"|"sctp", "dport": int, "ct": "new"|"established"}
    """
    chains = parse(text)
    if "forward" not in chains:
        return "accept"  # no table: nothing enforced
    verdict = _run_chain(chains, "forward", pkt)
    return verdict or "accept"  # chain policy accept
