"""Unit tests of the admin tiers in np2nft.py (tiers2nft.py): ClusterNetworkPolicy (v1alpha2,
networking.k8s.aws/v1alpha1), AdminNetworkPolicy, BaselineAdminNetworkPolicy with
NetworkPolicies, judged by evaluating the generated rules (nfteval.py) and by `nft -c`.

Run: /usr/bin/python3 -m unittest discover -s tests/lab -p 'test_*.py'
"""

import os
import subprocess
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import np2nft  # noqa: E402
from test_np2nft import Lab, inventory  # noqa: E402


def cnp(name, tier, priority, subject=None, ingress=None, egress=None, api="policy.networking.k8s.io/v1alpha2"):
    spec = {"tier": tier, "priority": priority, "subject": subject or {"namespaces": {}}}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return {"apiVersion": api, "kind": "ClusterNetworkPolicy", "metadata": {"name": name}, "spec": spec}


def np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


NS_B = {"namespaces": {"matchLabels": {"team": "b"}}}
TCP80 = [{"tcp": {"destinationPort": {"number": 80}}}]


def lab(policies, deny="drop"):
    inv = inventory()
    return Lab(np2nft.translate(policies, inv, deny), inv)


class TestTiers(unittest.TestCase):
    def test_admin_deny_networks_matches_pod_ips(self):
        pols = [cnp("d", "Admin", 5, egress=[{"action": "Deny", "to": [{"networks": ["10.1.0.10/32"]}]}])]
        t = lab(pols)
        self.assertFalse(t.allowed("client-a", "server", 80))
        self.assertTrue(t.allowed("client-a", "client-c", 80))

    def test_admin_accept_beats_an_isolating_networkpolicy(self):
        pols = [np("iso", "ns-a", {"podSelector": {}}),
                cnp("a", "Admin", 5, ingress=[{"action": "Accept", "from": [NS_B]}])]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", "server", 80))
        self.assertFalse(t.allowed("client-c", "server", 80))  # same namespace: the NetworkPolicy

    def test_pass_hands_over_to_the_networkpolicies(self):
        pols = [cnp("p", "Admin", 5, ingress=[{"action": "Pass", "from": [NS_B]},
                                              {"action": "Deny", "from": [NS_B]}]),
                np("allow-b", "ns-a", {"podSelector": {"matchLabels": {"app": "server"}},
                                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}],
                                                    "ports": [{"port": 80}]}]})]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", "server", 80))
        self.assertFalse(t.allowed("client-a", "server", 81))

    def test_priority_lower_first(self):
        pols = [cnp("deny20", "Admin", 20, ingress=[{"action": "Deny", "from": [NS_B]}]),
                cnp("accept10", "Admin", 10, ingress=[{"action": "Accept", "from": [NS_B], "protocols": TCP80}])]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", "server", 80))
        self.assertFalse(t.allowed("client-a", "server", 81))

    def test_baseline_when_no_networkpolicy_selects(self):
        pols = [cnp("b", "Baseline", 50, subject={"namespaces": {"matchLabels": {"team": "a"}}},
                    ingress=[{"action": "Deny", "from": [NS_B]}])]
        t = lab(pols)
        self.assertFalse(t.allowed("client-a", "server", 80))
        self.assertTrue(t.allowed("client-c", "server", 80))
        pols.append(np("open", "ns-a", {"podSelector": {}, "ingress": [{}]}))
        self.assertTrue(lab(pols).allowed("client-a", "server", 80))  # the NetworkPolicy decides

    def test_baseline_pass_is_the_default_allow(self):
        pols = [cnp("b", "Baseline", 1, ingress=[{"action": "Pass", "from": [NS_B]},
                                                 {"action": "Deny", "from": [NS_B]}])]
        self.assertTrue(lab(pols).allowed("client-a", "server", 80))

    def test_egress_accept_leaves_the_ingress_side(self):
        pols = [cnp("e", "Admin", 1, subject=NS_B, egress=[{"action": "Accept", "to": [{"namespaces": {}}]}]),
                np("iso", "ns-a", {"podSelector": {}})]
        self.assertFalse(lab(pols).allowed("client-a", "server", 80))

    def test_v1alpha1_ports_and_banp(self):
        anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
               "metadata": {"name": "anp"}, "spec": {"priority": 3, "subject": {"namespaces": {}},
                                                    "ingress": [{"action": "Allow", "from": [NS_B],
                                                                 "ports": [{"portRange": {"start": 80, "end": 90}}]}]}}
        banp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "default"},
                "spec": {"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [NS_B]}]}}
        t = lab([anp, banp])
        self.assertTrue(t.allowed("client-a", "server", 85))
        self.assertFalse(t.allowed("client-a", "server", 91))

    def test_eks_group_ports(self):
        pols = [cnp("eks", "Admin", 1, api="networking.k8s.aws/v1alpha1",
                    ingress=[{"action": "Deny", "from": [NS_B], "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}]}])]
        t = lab(pols)
        self.assertFalse(t.allowed("client-a", "server", 53, "udp"))
        self.assertTrue(t.allowed("client-a", "server", 53, "tcp"))

    def test_refused_not_guessed(self):
        for peer in ({"nodes": {}}, {"domainNames": ["example.com"]}):
            with self.assertRaises(np2nft.PolicyError):
                lab([cnp("x", "Admin", 1, egress=[{"action": "Accept", "to": [peer]}])])
        with self.assertRaises(np2nft.PolicyError):
            lab([cnp("x", "Admin", 1, ingress=[{"action": "Deny", "from": [NS_B],
                                                "protocols": [{"destinationNamedPort": "http"}]}])])

    def test_nft_check(self):
        self.assertEqual(os.geteuid(), 0, "nft -c needs root (CAP_NET_ADMIN)")
        ns = "tiers-%s" % uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            pols = [cnp("p", "Admin", 5, ingress=[{"action": "Pass", "from": [NS_B]}],
                        egress=[{"action": "Deny", "to": [{"networks": ["169.254.169.254/32", "fd00:ec2::254/128"]}],
                                 "protocols": [{"tcp": {"destinationPort": {"range": {"start": 80, "end": 90}}}}]}]),
                    cnp("b", "Baseline", 9, ingress=[{"action": "Accept", "from": [NS_B]},
                                                     {"action": "Deny", "from": [{"namespaces": {}}]}])]
            for mode in np2nft.DENY_MODES:
                text = np2nft.translate(pols, inventory(), mode)
                proc = subprocess.run(["ip", "netns", "exec", ns, "nft", "-c", "-f", "-"], input=text, text=True,
                                      capture_output=True)
                self.assertEqual(proc.returncode, 0, "%s: %s\n%s" % (mode, proc.stderr, text))
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    unittest.main()
