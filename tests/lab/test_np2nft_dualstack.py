"""Unit tests of np2nft.py for the dual-stack lab: pods with an address per family, IPv6
ipBlocks with except, UDP and SCTP ports. Judged by nfteval.py on the generated rules (and by
`nft -c` in test_np2nft.TestNftParses, which also loads these fixtures).

Run: /usr/bin/python3 -m unittest discover -s tests/lab -p 'test_*.py'
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nfteval  # noqa: E402
import np2nft  # noqa: E402
from test_np2nft import FIX, REPO, Lab, inventory, render  # noqa: E402

SHIPPED = os.path.join(REPO, "manifests", "network-policies.yaml")


def govtech(*fixtures):
    inv = inventory("govtech_inventory.json")
    return Lab(render([SHIPPED] + [os.path.join(FIX, f) for f in fixtures], inv), inv)


def policy(spec, name="p", namespace="ns-a"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


class TestDualStackPods(unittest.TestCase):
    def test_selector_peers_cover_both_families(self):
        l = govtech()
        for fam in (4, 6):
            self.assertTrue(l.allowed("frontend", "backend", 3000, family=fam), fam)
            self.assertTrue(l.allowed("ingress", "frontend", 80, family=fam), fam)
            self.assertTrue(l.allowed("backend", "postgres", 5432, family=fam), fam)
            self.assertTrue(l.allowed("backend", "kube-dns", 53, "udp", family=fam), fam)
            self.assertFalse(l.allowed("frontend", "postgres", 5432, family=fam), fam)
            self.assertFalse(l.allowed("intruder", "backend", 3000, family=fam), fam)
        self.assertIn("ip6 saddr", l.text)
        self.assertIn("fd00:10:0:1::10", l.text)

    def test_shipped_ipblock_is_ipv4_only(self):
        # backend-network-policy's internet egress is 0.0.0.0/0: no IPv6 path is allowed at
        # all, so every deny of the seed holds on IPv6 too, and IPv6 HTTPS out is closed.
        l = govtech()
        self.assertTrue(l.allowed("backend", "198.51.100.20", 443))
        self.assertFalse(l.allowed("backend", "2001:db8:100::20", 443))
        self.assertFalse(l.allowed("backend", "fd00:10:250::1", 443))
        self.assertFalse(l.allowed("postgres", "2001:db8:113::10", 443))

    def test_inventory_addresses_checked(self):
        base = {"name": "a", "namespace": "n", "veth": "v"}
        with self.assertRaises(np2nft.PolicyError):
            np2nft.Inventory({"pods": [dict(base, ips=["10.0.0.1", "10.0.0.2"])]})
        with self.assertRaises(np2nft.PolicyError):
            np2nft.Inventory({"pods": [dict(base, ip="10.0.0.9", ips=["10.0.0.1", "fd00::1"])]})
        with self.assertRaises(ValueError):
            np2nft.Inventory({"pods": [dict(base, ips=["10.0.0.1", "fd00::zz"])]})
        inv = np2nft.Inventory({"pods": [dict(base, ips=["fd00::1", "10.0.0.1"])]})
        self.assertEqual(inv.pods[0]["ip"], "fd00::1")    # "ip" defaults to the first
        inv = np2nft.Inventory({"pods": [dict(base, ip="10.0.0.1")]})
        self.assertEqual(inv.pods[0]["ips"], ["10.0.0.1"])


class TestIpv6Blocks(unittest.TestCase):
    def test_except_written_for_ipv4_only_leaves_ipv6_open(self):
        l = govtech("govtech_ipv6_open.yaml")
        self.assertFalse(l.allowed("backend", "10.250.0.1", 443))       # IPv4 except holds
        self.assertTrue(l.allowed("backend", "fd00:10:250::1", 443))    # the IPv6 hole
        self.assertTrue(l.allowed("backend", "fe80::1", 443))
        self.assertTrue(l.allowed("backend", "2001:db8:100::20", 443))
        self.assertFalse(l.allowed("backend", "2001:db8:100::20", 80))  # port still scoped

    def test_except_for_both_families(self):
        l = govtech("govtech_ipv6_fixed.yaml")
        self.assertFalse(l.allowed("backend", "10.250.0.1", 443))
        self.assertFalse(l.allowed("backend", "fd00:10:250::1", 443))
        self.assertFalse(l.allowed("backend", "fdff::1", 443))          # fc00::/7, upper half
        self.assertFalse(l.allowed("backend", "fe80::1", 443))
        self.assertTrue(l.allowed("backend", "2001:db8:100::20", 443))
        self.assertTrue(l.allowed("backend", "198.51.100.20", 443))
        # ipBlock matches pod addresses too: the backend's ULA peers are excepted, but the
        # ingress side decides for pods anyway.
        self.assertFalse(l.allowed("backend", "frontend", 443, family=6))

    def test_ipv6_cidr_with_host_bits_and_sets(self):
        inv = inventory()
        text = np2nft.translate([policy({
            "podSelector": {"matchLabels": {"app": "server"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8:1::5/48",
                                               "except": ["2001:db8:1:2::/64",
                                                          "2001:db8:1:3::7/64"]}}]}]})], inv)
        self.assertIn("ip6 saddr 2001:db8:1::/48", text)
        l = Lab(text, inv)
        self.assertTrue(l.allowed("2001:db8:1:9::1", "server", 80))
        self.assertFalse(l.allowed("2001:db8:1:2::1", "server", 80))
        self.assertFalse(l.allowed("2001:db8:1:3::1", "server", 80))
        self.assertFalse(l.allowed("2001:db8:2::1", "server", 80))
        self.assertFalse(l.allowed("10.1.0.11", "server", 80))           # other family

    def test_except_of_the_other_family_is_refused(self):
        pol = policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"ipBlock": {"cidr": "::/0", "except": ["10.0.0.0/8"]}}]}]})
        with self.assertRaises(np2nft.PolicyError):
            np2nft.translate([pol], inventory())


class TestEvaluator(unittest.TestCase):
    """nfteval keeps the families apart as nftables does."""

    RULES = ("table inet t {\n\tchain forward {\n\t\ttype filter hook forward priority filter;"
             " policy accept;\n\t\t%s\n\t}\n}\n")

    def verdict(self, rule, src, dst):
        pkt = {"iif": "a", "oif": "b", "src": src, "dst": dst, "proto": "tcp", "dport": 1}
        return nfteval.evaluate(self.RULES % rule, pkt)

    def test_other_family_never_matches(self):
        self.assertEqual(self.verdict("ip daddr != 10.0.0.0/8 drop", "fd00::1", "fd00::2"),
                         "accept")
        self.assertEqual(self.verdict("ip daddr != 10.0.0.0/8 drop", "10.0.0.1", "11.0.0.1"),
                         "drop")
        self.assertEqual(self.verdict("ip6 saddr { fd00::/8, 2001:db8::/32 } drop",
                                      "2001:db8::5", "10.0.0.1"), "drop")
        self.assertEqual(self.verdict("ip6 saddr fd00::/8 drop", "10.0.0.1", "10.0.0.2"),
                         "accept")

    def test_mixed_family_values_refused(self):
        with self.assertRaises(nfteval.EvalError):
            self.verdict("ip daddr { 10.0.0.0/8, fd00::/8 } drop", "10.0.0.1", "10.0.0.2")
        with self.assertRaises(nfteval.EvalError):
            self.verdict("ip6 daddr 10.0.0.1 drop", "fd00::1", "fd00::2")


class TestUdpAndSctp(unittest.TestCase):
    def test_udp_service_fixture(self):
        l = govtech("govtech_udp.yaml")
        for fam in (4, 6):
            self.assertTrue(l.allowed("frontend", "backend", 8125, "udp", family=fam))
            self.assertTrue(l.allowed("frontend", "backend", 8126, "udp", family=fam))
            self.assertFalse(l.allowed("frontend", "backend", 8127, "udp", family=fam))
            self.assertFalse(l.allowed("frontend", "backend", 8125, "tcp", family=fam))
            self.assertFalse(l.allowed("postgres", "backend", 8125, "udp", family=fam))
            self.assertFalse(l.allowed("ingress", "backend", 8125, "udp", family=fam))
            self.assertTrue(l.allowed("frontend", "backend", 3000, family=fam))  # shipped kept
        self.assertFalse(govtech().allowed("frontend", "backend", 8125, "udp"))

    def test_sctp_port_and_protocol_without_port(self):
        inv = inventory()
        text = np2nft.translate([policy({
            "podSelector": {"matchLabels": {"app": "server"}}, "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "SCTP", "port": 9000}]},
                        {"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}],
                         "ports": [{"protocol": "UDP"}]}]})], inv)
        l = Lab(text, inv)
        self.assertTrue(l.allowed("client-c", "server", 9000, "sctp"))
        self.assertFalse(l.allowed("client-c", "server", 9000, "tcp"))
        self.assertFalse(l.allowed("client-c", "server", 9000, "udp"))
        self.assertFalse(l.allowed("client-c", "server", 9001, "sctp"))
        self.assertTrue(l.allowed("client-a", "server", 5353, "udp"))   # any UDP port
        self.assertFalse(l.allowed("client-c", "server", 5353, "udp"))  # wrong namespace
        self.assertFalse(l.allowed("client-a", "server", 5353, "tcp"))

    def test_unknown_protocol_refused(self):
        pol = policy({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]})
        with self.assertRaises(np2nft.PolicyError):
            np2nft.translate([pol], inventory())


if __name__ == "__main__":
    unittest.main()
