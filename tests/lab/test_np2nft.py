"""Unit tests of np2nft.py: NetworkPolicy semantics on fixtures, judged by evaluating the
generated nft rules (nfteval.py) and by `nft -c` in a throwaway network namespace.

Run: /usr/bin/python3 -m unittest discover -s tests/lab -p 'test_*.py'
"""

import json
import os
import subprocess
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nfteval  # noqa: E402
import np2nft  # noqa: E402

FIX = os.path.join(HERE, "fixtures")
REPO = os.path.dirname(os.path.dirname(HERE))


def inventory(name="inventory.json"):
    with open(os.path.join(FIX, name), encoding="utf-8") as handle:
        return np2nft.Inventory(json.load(handle))


def render(fixtures, inv=None, deny="drop"):
    paths = [os.path.join(FIX, f) if not os.path.isabs(f) else f for f in fixtures]
    return np2nft.translate(np2nft.load_policies(paths), inv or inventory(), deny)


class Lab:
    """Packets between the pods of an inventory, by pod name."""

    def __init__(self, text, inv):
        self.text = text
        self.pods = {p["name"]: p for p in inv.pods}

    @staticmethod
    def _addr(pod, family):
        for a in pod.get("ips") or [pod["ip"]]:
            if (":" in a) == (family == 6):
                return a
        raise AssertionError("pod %s has no IPv%d address" % (pod["name"], family))

    def verdict(self, src, dst, port, proto="tcp", ct="new", family=4):
        """Pods by name (their address of FAMILY), anything else is an outside address."""
        s = self.pods.get(src)
        d = self.pods.get(dst)
        pkt = {"iif": s["veth"] if s else "ext0", "oif": d["veth"] if d else "ext0",
               "src": self._addr(s, family) if s else src,
               "dst": self._addr(d, family) if d else dst,
               "proto": proto, "dport": port, "ct": ct}
        return nfteval.evaluate(self.text, pkt)

    def allowed(self, src, dst, port, proto="tcp", family=4):
        return self.verdict(src, dst, port, proto, family=family) == "accept"


def lab(fixtures, deny="drop"):
    inv = inventory()
    return Lab(render(fixtures, inv, deny), inv)


class TestPeers(unittest.TestCase):
    def test_and_peer_needs_both_selectors(self):
        l = lab(["and_peers.yaml"])
        self.assertTrue(l.allowed("client-a", "server", 80))    # ns team=b AND role=client
        self.assertFalse(l.allowed("client-b", "server", 80))   # right ns, wrong pod
        self.assertFalse(l.allowed("client-c", "server", 80))   # right pod, wrong ns
        self.assertFalse(l.allowed("bystander", "server", 80))

    def test_or_peers_each_suffice(self):
        l = lab(["or_peers.yaml"])
        self.assertTrue(l.allowed("client-a", "server", 80))    # ns team=b
        self.assertTrue(l.allowed("client-b", "server", 80))    # ns team=b
        self.assertTrue(l.allowed("bystander", "server", 80))   # ns team=b
        self.assertTrue(l.allowed("client-c", "server", 80))    # role=client in ns-a
        self.assertFalse(l.allowed("client-d", "server", 80))   # neither

    def test_external_address_matches_no_selector(self):
        l = lab(["or_peers.yaml"])
        self.assertFalse(l.allowed("203.0.113.5", "server", 80))


class TestPorts(unittest.TestCase):
    def test_port_scoped_allow(self):
        l = lab(["port_scoped.yaml"])
        self.assertTrue(l.allowed("client-a", "server", 80))
        self.assertTrue(l.allowed("203.0.113.5", "server", 80))  # no from: every source
        self.assertFalse(l.allowed("client-a", "server", 81))
        self.assertFalse(l.allowed("client-a", "server", 80, "udp"))  # protocol defaults to TCP

    def test_udp_81_allow_still_blocks_tcp_81(self):
        l = lab(["udp81.yaml"])
        self.assertTrue(l.allowed("client-a", "server", 81, "udp"))
        self.assertFalse(l.allowed("client-a", "server", 81, "tcp"))
        self.assertFalse(l.allowed("client-a", "server", 80, "udp"))

    def test_end_port_range(self):
        l = lab(["ipblock_except.yaml"])
        self.assertTrue(l.allowed("client-a", "client-b", 8000))
        self.assertTrue(l.allowed("client-a", "client-b", 8010))
        self.assertFalse(l.allowed("client-a", "client-b", 8011))
        self.assertFalse(l.allowed("client-a", "client-b", 7999))

    def test_named_port_is_refused_not_guessed(self):
        inv = inventory()
        pol = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "n", "namespace": "ns-a"},
                "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}}]
        with self.assertRaises(np2nft.PolicyError):
            np2nft.translate(pol, inv)


class TestIpBlock(unittest.TestCase):
    def test_ipblock_with_except(self):
        l = lab(["ipblock_except.yaml"])
        self.assertTrue(l.allowed("client-a", "client-b", 8005))     # 10.1.0.12: inside
        self.assertFalse(l.allowed("client-a", "server", 8005))      # 10.1.0.10/32 excepted
        self.assertFalse(l.allowed("client-a", "10.1.5.77", 8005))   # 10.1.5.0/24 excepted
        self.assertTrue(l.allowed("client-a", "10.1.6.77", 8005))
        self.assertFalse(l.allowed("client-a", "10.2.0.1", 8005))    # outside the cidr
        # client-b (role=other) is not selected: egress open.
        self.assertTrue(l.allowed("client-b", "10.2.0.1", 9999))

    def test_shipped_backend_https_only_to_public(self):
        inv = inventory("govtech_inventory.json")
        l = Lab(render([os.path.join(REPO, "manifests", "network-policies.yaml")], inv), inv)
        self.assertTrue(l.allowed("backend", "203.0.113.10", 443))
        self.assertFalse(l.allowed("backend", "203.0.113.10", 80))
        for private in ("10.20.30.40", "172.16.5.5", "192.168.1.1", "169.254.169.254"):
            self.assertFalse(l.allowed("backend", private, 443), private)


class TestDirections(unittest.TestCase):
    def test_default_deny_ingress_only(self):
        l = lab(["ingress_only.yaml"])
        self.assertFalse(l.allowed("client-a", "server", 80))
        self.assertFalse(l.allowed("client-d", "client-c", 80))
        self.assertTrue(l.allowed("server", "client-a", 80))     # egress of ns-a open
        self.assertTrue(l.allowed("server", "203.0.113.5", 443))

    def test_default_deny_egress_only(self):
        l = lab(["egress_only.yaml"])
        self.assertFalse(l.allowed("server", "client-a", 80))
        self.assertFalse(l.allowed("server", "203.0.113.5", 443))
        self.assertTrue(l.allowed("client-a", "server", 80))     # ingress of ns-a open

    def test_default_policy_types(self):
        # No policyTypes and an egress section: both directions are governed.
        l = lab(["allow_all_rule.yaml"])
        self.assertTrue(l.allowed("client-a", "server", 12345))  # `- {}`
        self.assertTrue(l.allowed("server", "client-a", 53, "udp"))  # `to: []` means all
        self.assertFalse(l.allowed("server", "client-a", 53, "tcp"))
        self.assertFalse(l.allowed("client-a", "client-c", 80))  # deny-all still holds there
        # No policyTypes and no egress section: Ingress only.
        l = lab(["port_scoped.yaml"])
        self.assertTrue(l.allowed("server", "203.0.113.5", 9999))

    def test_replies_of_allowed_connections_pass(self):
        l = lab(["ingress_only.yaml", "egress_only.yaml"])
        self.assertEqual(l.verdict("server", "client-a", 80), "drop")
        self.assertEqual(l.verdict("server", "client-a", 80, ct="established"), "accept")


class TestSelectors(unittest.TestCase):
    def test_match_expressions_unit(self):
        sel = {"matchExpressions": [
            {"key": "role", "operator": "In", "values": ["client", "other"]},
            {"key": "tier", "operator": "DoesNotExist"}]}
        self.assertTrue(np2nft.selector_matches(sel, {"role": "client"}))
        self.assertFalse(np2nft.selector_matches(sel, {"role": "client", "tier": "web"}))
        self.assertFalse(np2nft.selector_matches(sel, {"role": "server"}))
        self.assertFalse(np2nft.selector_matches(sel, {}))
        notin = {"matchExpressions": [{"key": "role", "operator": "NotIn", "values": ["x"]}]}
        self.assertTrue(np2nft.selector_matches(notin, {}))          # absent key: NotIn holds
        self.assertFalse(np2nft.selector_matches(notin, {"role": "x"}))
        exists = {"matchExpressions": [{"key": "app", "operator": "Exists"}]}
        self.assertTrue(np2nft.selector_matches(exists, {"app": ""}))
        self.assertFalse(np2nft.selector_matches(exists, {"role": "x"}))
        both = {"matchLabels": {"a": "1"},
                "matchExpressions": [{"key": "b", "operator": "Exists"}]}
        self.assertTrue(np2nft.selector_matches(both, {"a": "1", "b": "2"}))
        self.assertFalse(np2nft.selector_matches(both, {"a": "1"}))
        self.assertTrue(np2nft.selector_matches({}, {"anything": "x"}))
        with self.assertRaises(np2nft.PolicyError):
            np2nft.selector_matches({"matchExpressions": [{"key": "a", "operator": "Gt"}]}, {})

    def test_match_expressions_policies(self):
        l = lab(["match_expressions.yaml"])
        # Ingress: only the server carries app; from role in (client, other) without tier.
        # client-c's own egress allows TCP 53 only (second policy), the server's ingress any port.
        self.assertTrue(l.allowed("client-c", "server", 53))
        self.assertFalse(l.allowed("client-c", "server", 80))      # its egress
        self.assertFalse(l.allowed("client-d", "server", 80))      # has tier
        self.assertFalse(l.allowed("client-a", "server", 80))      # other namespace
        # Egress: ns-a pods whose role is not other (server, client-c) may reach TCP 53 only.
        self.assertTrue(l.allowed("client-c", "203.0.113.5", 53))
        self.assertFalse(l.allowed("client-c", "203.0.113.5", 80))
        self.assertFalse(l.allowed("server", "203.0.113.5", 80))
        self.assertTrue(l.allowed("client-d", "203.0.113.5", 80))  # role=other: unselected

    def test_unselected_pod_stays_open(self):
        l = lab(["and_peers.yaml"])
        self.assertTrue(l.allowed("client-b", "client-c", 80))
        self.assertTrue(l.allowed("server", "client-c", 80))       # server egress not governed
        self.assertNotIn("client_c", l.text)                       # no chain at all


class TestUnion(unittest.TestCase):
    def test_union_of_policies(self):
        l = lab(["union.yaml"])
        self.assertTrue(l.allowed("client-c", "server", 80))       # first policy
        self.assertTrue(l.allowed("client-a", "server", 443))      # second policy
        self.assertTrue(l.allowed("client-b", "server", 443))
        self.assertFalse(l.allowed("client-a", "server", 80))      # neither: role=client in ns-b
        self.assertFalse(l.allowed("client-c", "server", 443))     # neither: ns-a is team=a
        self.assertFalse(l.allowed("client-d", "server", 80))


class TestDenyModes(unittest.TestCase):
    def test_modes(self):
        self.assertEqual(lab(["udp81.yaml"]).verdict("client-a", "server", 81), "drop")
        l = lab(["udp81.yaml"], deny="tcp-reset")
        self.assertEqual(l.verdict("client-a", "server", 81), "reject-tcp-reset")
        self.assertEqual(l.verdict("client-a", "server", 82, "udp"), "drop")
        l = lab(["udp81.yaml"], deny="icmp-admin-prohibited")
        self.assertEqual(l.verdict("client-a", "server", 81), "reject-admin-prohibited")

    def test_no_enforcement(self):
        l = lab(["udp81.yaml"], deny="none")
        self.assertTrue(l.allowed("client-a", "server", 81))
        self.assertNotIn("chain", l.text)

    def test_bad_mode(self):
        with self.assertRaises(np2nft.PolicyError):
            render(["udp81.yaml"], deny="allow")


class TestShippedPolicies(unittest.TestCase):
    """manifests/network-policies.yaml against a govtech-like inventory: the seed's paths."""

    def setUp(self):
        inv = inventory("govtech_inventory.json")
        self.l = Lab(render([os.path.join(REPO, "manifests", "network-policies.yaml")], inv), inv)

    def test_allowed_paths(self):
        a = self.l.allowed
        self.assertTrue(a("ingress", "frontend", 80))
        self.assertTrue(a("frontend", "backend", 3000))
        self.assertTrue(a("ingress", "backend", 3000))
        self.assertTrue(a("backend", "postgres", 5432))
        self.assertTrue(a("backend", "198.51.100.20", 443))
        for pod in ("frontend", "backend", "postgres"):
            self.assertTrue(a(pod, "kube-dns", 53, "udp"), pod)
            self.assertTrue(a(pod, "kube-dns", 53, "tcp"), pod)

    def test_denied_paths(self):
        a = self.l.allowed
        self.assertFalse(a("frontend", "postgres", 5432))          # no direct DB access
        self.assertFalse(a("postgres", "backend", 3000))           # no access from the DB
        self.assertFalse(a("postgres", "203.0.113.10", 443))       # DB to internet
        self.assertFalse(a("backend", "frontend", 80))             # backend to frontend
        self.assertFalse(a("backend", "203.0.113.10", 80))         # plain HTTP out
        self.assertFalse(a("frontend", "203.0.113.10", 443))
        self.assertFalse(a("203.0.113.99", "frontend", 80))        # internet straight in
        self.assertFalse(a("intruder", "backend", 3000))           # app=frontend elsewhere
        self.assertFalse(a("metrics", "frontend", 80))             # other namespace
        self.assertFalse(a("ingress", "frontend", 3000))           # wrong port
        self.assertFalse(a("ingress", "postgres", 5432))
        self.assertFalse(a("frontend", "metrics", 53, "udp"))      # kube-system, not kube-dns
        self.assertFalse(a("frontend", "kube-dns", 54, "udp"))

    def test_other_namespaces_unaffected(self):
        self.assertTrue(self.l.allowed("metrics", "kube-dns", 9153))
        self.assertTrue(self.l.allowed("intruder", "metrics", 443))


class TestNftParses(unittest.TestCase):
    """The generated text is real nftables: `nft -c` in a throwaway namespace."""

    def test_nft_check(self):
        self.assertEqual(os.geteuid(), 0, "nft -c needs root (CAP_NET_ADMIN)")
        ns = "ztnp-%s" % uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            cases = [(f, m) for f in ("and_peers.yaml", "or_peers.yaml", "ipblock_except.yaml",
                                      "match_expressions.yaml", "union.yaml",
                                      "allow_all_rule.yaml", "udp81.yaml")
                     for m in np2nft.DENY_MODES]
            shipped = os.path.join(REPO, "manifests", "network-policies.yaml")
            cases.append((shipped, "drop"))
            # The lab's dual-stack variants, on the govtech inventory (IPv6 sets, ::/0, UDP).
            govtech = [shipped] + [os.path.join(FIX, f) for f in (
                "govtech_ipv6_open.yaml", "govtech_ipv6_fixed.yaml", "govtech_udp.yaml")]
            cases.extend((f, m) for f in govtech[1:] for m in np2nft.DENY_MODES)
            for fixture, mode in cases:
                inv = inventory("govtech_inventory.json" if fixture in govtech else
                                "inventory.json")
                text = render([fixture], inv, mode)
                for check in (True, False):  # check it, then load it for real (twice: idempotent)
                    args = ["ip", "netns", "exec", ns, "nft"] + (["-c"] if check else []) + ["-f", "-"]
                    proc = subprocess.run(args, input=text, text=True, capture_output=True)
                    self.assertEqual(proc.returncode, 0, "%s %s: %s" % (fixture, mode, proc.stderr))
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)

    def test_cli(self):
        out = subprocess.run([sys.executable, os.path.join(HERE, "np2nft.py"),
                              "-p", os.path.join(FIX, "udp81.yaml"),
                              "-i", os.path.join(FIX, "inventory.json"), "--deny", "drop"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('oifname "t-server" jump ingress_ns_a_server', out.stdout)
        bad = subprocess.run([sys.executable, os.path.join(HERE, "np2nft.py"),
                              "-p", os.path.join(FIX, "inventory.json"),
                              "-i", os.path.join(FIX, "missing.json")],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("np2nft:", bad.stderr)


if __name__ == "__main__":
    unittest.main()
