"""Unit tests of the Cilium and Calico kinds in np2nft.py (cni2nft.py, calsel.py), judged by
evaluating the generated rules (nfteval.py) and by `nft -c`.

Run: /usr/bin/python3 -m unittest discover -s tests/lab -p 'test_*.py'
"""

import os
import subprocess
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import calsel  # noqa: E402
import np2nft  # noqa: E402
import scenario_lib  # noqa: E402
import topology  # noqa: E402
from test_np2nft import Lab, inventory  # noqa: E402

POLICY_FIX = os.path.join(os.path.dirname(HERE), "policy", "fixtures")
OUTSIDE = "203.0.113.5"


def cnp(name, ns, spec, kind="CiliumNetworkPolicy"):
    meta = {"name": name, "namespace": ns} if kind == "CiliumNetworkPolicy" else {"name": name}
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta, "spec": spec}


def cal(name, spec, ns=None, api="projectcalico.org/v3"):
    meta = {"name": name, "namespace": ns} if ns else {"name": name}
    return {"apiVersion": api, "kind": "NetworkPolicy" if ns else "GlobalNetworkPolicy",
            "metadata": meta, "spec": spec}


def knp(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


SERVER = {"matchLabels": {"app": "server"}}
FROM_B = [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]


def lab(policies, deny="drop", inv=None):
    inv = inv or inventory()
    return Lab(np2nft.translate(policies, inv, deny), inv)


class TestCalicoSelectors(unittest.TestCase):
    def test_operators(self):
        l = {"app": "web", "tier": "a"}
        cases = [("app == 'web'", True), ("app != 'web'", False), ("missing != 'x'", True),
                 ("app in {'web', 'db'}", True), ("app not in {'db'}", True), ("missing not in {'x'}", True),
                 ("missing in {'x'}", False), ("has(tier)", True), ("!has(tier)", False),
                 ("app == 'web' && tier == 'b'", False), ("app == 'x' || tier == 'a'", True),
                 ("!(app == 'web' && tier == 'a')", False), ("all()", True), ("", True),
                 ('app == "web" && (has(x) || tier in {"a"})', True)]
        for text, want in cases:
            self.assertEqual(calsel.compile_selector(text)(l), want, text)

    def test_refused_with_column(self):
        for text, col in (("app contains 'w'", "column 5"), ("global()", "column 7"), ("app == web", "column 8"),
                          ("app == 'web' &&", "column 16"), ("(app == 'x'", "column 12")):
            with self.assertRaises(ValueError) as ctx:
                calsel.compile_selector(text)
            self.assertIn(col, str(ctx.exception), text)


class TestCilium(unittest.TestCase):
    def test_deny_wins_over_allow(self):
        pols = [cnp("c", "ns-b", {"endpointSelector": {"matchLabels": {"role": "client"}},
                                  "egress": [{"toEndpoints": [{"matchLabels": {
                                      "k8s:io.kubernetes.pod.namespace": "ns-a", "app": "server"}}]}],
                                  "egressDeny": [{"toEndpoints": [{"matchLabels": {"any:app": "server",
                                                                                     "io.kubernetes.pod.namespace": "ns-a"}}],
                                                  "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}]})]
        t = lab(pols)
        self.assertFalse(t.allowed("client-a", "server", 80))
        self.assertTrue(t.allowed("client-a", "server", 81))
        self.assertFalse(t.allowed("client-a", "client-c", 81))  # default deny: egress rules selected it
        self.assertTrue(t.allowed("client-b", "server", 80))      # not selected

    def test_cidr_never_matches_pods(self):
        pols = [cnp("c", "ns-b", {"endpointSelector": {}, "egress": [{"toEndpoints": [{}]}, {"toEntities": ["world"]}],
                                  "egressDeny": [{"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.9.0.0/16"]}]},
                                                 {"toCIDR": ["203.0.113.0/24"]}]})]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", "bystander", 80))  # a pod inside 10/8: not a CIDR peer
        self.assertFalse(t.allowed("client-a", "10.2.3.4", 80))
        self.assertTrue(t.allowed("client-a", "10.9.1.1", 80))    # the except
        self.assertFalse(t.allowed("client-a", OUTSIDE, 443))
        self.assertTrue(t.allowed("client-a", "198.51.100.1", 443))  # world
        self.assertFalse(t.allowed("client-a", "server", 80))    # {} stays in ns-b; world is no pod

    def test_empty_rule_denies_everything(self):
        t = lab([cnp("c", "ns-a", {"endpointSelector": SERVER, "ingress": [{}]})])
        self.assertFalse(t.allowed("client-c", "server", 80))
        self.assertTrue(lab([cnp("c", "ns-a", {"endpointSelector": SERVER, "ingress": []})]).allowed(
            "client-c", "server", 80))  # an empty list switches nothing on

    def test_peer_selector_stays_in_the_namespace(self):
        spec = {"endpointSelector": SERVER, "ingress": [{"fromEndpoints": [{"matchLabels": {"role": "client"}}]}]}
        t = lab([cnp("c", "ns-a", spec)])
        self.assertTrue(t.allowed("client-c", "server", 80))
        self.assertFalse(t.allowed("client-a", "server", 80))
        t = lab([cnp("c", None, spec, kind="CiliumClusterwideNetworkPolicy")])
        self.assertTrue(t.allowed("client-a", "server", 80))
        t = lab([cnp("c", "ns-a", {"endpointSelector": SERVER, "ingress": [{"fromEndpoints": [{"matchExpressions": [
            {"key": "io.cilium.k8s.namespace.labels.team", "operator": "In", "values": ["b"]}]}]}]})])
        self.assertFalse(t.allowed("client-a", "server", 80))  # no namespace key: still ns-a only

    def test_enable_default_deny_false(self):
        spec = {"endpointSelector": SERVER, "enableDefaultDeny": {"ingress": False},
                "ingress": [{"fromEndpoints": [{"matchLabels": {"role": "client"}}]}]}
        self.assertTrue(lab([cnp("c", "ns-a", spec)]).allowed("client-a", "server", 80))

    def test_ports_any_and_union_with_networkpolicy(self):
        pols = [cnp("c", "ns-a", {"endpointSelector": SERVER, "ingress": [{"toPorts": [{"ports": [{"port": "53"}]}]}]}),
                knp("k", "ns-a", {"podSelector": {"matchLabels": {"app": "server"}},
                                  "ingress": [{"from": FROM_B, "ports": [{"port": 8080}]}]})]
        t = lab(pols)
        self.assertTrue(t.allowed("client-c", "server", 53, "udp"))
        self.assertTrue(t.allowed("client-c", "server", 53, "tcp"))
        self.assertTrue(t.allowed("client-a", "server", 8080))
        self.assertFalse(t.allowed("client-c", "server", 8080))

    def test_fqdns_are_the_lab_dns_addresses(self):
        inv = np2nft.Inventory(dict(topology.inventory("t"), dns={
            "api.example.com": ["192.0.2.7", "2001:db8::7"], "a.b.example.com": ["192.0.2.8"]}))
        spec = {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchPattern": "*.example.com"}],
                                                    "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}
        # without a rules.dns rule Cilium's DNS proxy never learns the names' addresses
        self.assertFalse(lab([cnp("c", "govtech", spec)], inv=inv).allowed("frontend", "192.0.2.7", 443))
        spec["egress"].append({"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}],
                               "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                                            "rules": {"dns": [{"matchPattern": "*"}]}}]})
        t = lab([cnp("c", "govtech", spec)], inv=inv)
        self.assertTrue(t.allowed("frontend", "kube-dns", 53, "udp"))
        self.assertTrue(t.allowed("frontend", "192.0.2.7", 443))
        self.assertTrue(t.allowed("frontend", "2001:db8::7", 443, family=6))
        self.assertFalse(t.allowed("frontend", "192.0.2.8", 443))  # `*` is one label
        self.assertFalse(t.allowed("frontend", "192.0.2.7", 80))

    def test_refused_not_guessed(self):
        bad = [{"toServices": [{"k8sService": {"serviceName": "x", "namespace": "y"}}]},
               {"toEntities": ["kube-apiserver"]},
               {"toPorts": [{"ports": [{"port": "80"}], "rules": {"http": [{"method": "GET"}]}}]},
               {"toPorts": [{"ports": [{"port": "53"}], "rules": {"dns": [{"matchName": "x.com"}]}}]},
               {"toPorts": [{"ports": [{"port": "http"}]}]},
               {"toEndpoints": [{}], "toCIDR": ["10.0.0.0/8"]}]
        for rule in bad:
            with self.assertRaises(np2nft.PolicyError, msg=rule):
                lab([cnp("c", "ns-a", {"endpointSelector": {}, "egress": [rule]})])
        with self.assertRaises(np2nft.PolicyError):  # the fixture inventory has no dns map
            lab([cnp("c", "ns-a", {"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "x.com"}]}]})])
        with self.assertRaises(np2nft.PolicyError):
            lab([cnp("c", None, {"nodeSelector": {}, "ingress": [{}]}, kind="CiliumClusterwideNetworkPolicy")])
        with self.assertRaises(np2nft.PolicyError):
            lab([cnp("c", "ns-a", {"endpointSelector": {}, "ingress": [{}]}), cal("g", {"selector": "all()"})])


class TestCalico(unittest.TestCase):
    def test_namespaced_selector_and_default_deny(self):
        t = lab([cal("p", {"selector": "app == 'server'", "ingress": [
            {"action": "Allow", "source": {"selector": "role == 'client'"}}]}, ns="ns-a")])
        self.assertTrue(t.allowed("client-c", "server", 80))
        self.assertFalse(t.allowed("client-a", "server", 80))  # same labels, other namespace
        self.assertFalse(t.allowed("client-d", "server", 80))
        self.assertTrue(t.allowed("client-a", "client-c", 80))  # not selected

    def test_order_against_networkpolicies(self):
        np_allow = knp("k", "ns-a", {"podSelector": {}, "ingress": [{"from": FROM_B}]})
        deny_b = lambda order: cal("g", {"order": order, "selector": "projectcalico.org/namespace == 'ns-a'",  # noqa: E731
                                         "ingress": [{"action": "Deny", "source": {
                                             "namespaceSelector": "team == 'b'"}}]})
        self.assertFalse(lab([np_allow, deny_b(10)]).allowed("client-a", "server", 80))
        self.assertTrue(lab([np_allow, deny_b(2000)]).allowed("client-a", "server", 80))
        self.assertFalse(lab([np_allow, deny_b(2000)]).allowed("client-c", "server", 80))  # tier's default deny

    def test_pass_tiers_and_log(self):
        tier = {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
                "spec": {"order": 100}}
        pols = [tier, cal("security.p", {"tier": "security", "selector": "app == 'server'", "ingress": [
                    {"action": "Log"}, {"action": "Pass", "source": {"namespaceSelector": "team == 'b'"}},
                    {"action": "Allow", "protocol": "TCP", "destination": {"ports": ["80:81"]}}]}),
                knp("k", "ns-a", {"podSelector": {}, "ingress": [{"from": FROM_B, "ports": [{"port": 8080}]}]})]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", "server", 8080))   # passed to the NetworkPolicy
        self.assertFalse(t.allowed("client-a", "server", 80))    # passed, and the NetworkPolicy says no
        self.assertTrue(t.allowed("client-c", "server", 81))     # allowed in the security tier
        self.assertFalse(t.allowed("client-c", "server", 82))    # the tier's default Deny
        tier["spec"]["defaultAction"] = "Pass"
        self.assertFalse(lab(pols).allowed("client-c", "server", 82))  # passed on: NetworkPolicy denies
        self.assertTrue(lab(pols[:2] + [knp("k", "ns-a", {"podSelector": {}, "ingress": [{}]})]).allowed(
            "client-c", "server", 82))

    def test_nets_notnets_notselector(self):
        pols = [cal("g", {"selector": "has(role)", "types": ["Egress"], "egress": [
            {"action": "Allow", "protocol": 6, "destination": {"notNets": ["10.0.0.0/8"], "notSelector": "all()",
                                                               "ports": [443]}},
            {"action": "Allow", "destination": {"nets": ["10.1.0.0/24"], "selector": "app == 'server'"}}]})]
        t = lab(pols)
        self.assertTrue(t.allowed("client-a", OUTSIDE, 443))
        self.assertFalse(t.allowed("client-a", OUTSIDE, 80))
        self.assertFalse(t.allowed("client-a", "10.2.2.2", 443))
        self.assertTrue(t.allowed("client-a", "server", 80))     # nets AND selector
        self.assertFalse(t.allowed("client-a", "bystander", 443))
        self.assertTrue(t.allowed("bystander", OUTSIDE, 80))     # no role label: not selected

    def test_refused_not_guessed(self):
        rules = [{"action": "Allow", "protocol": "ICMP"}, {"action": "Allow", "destination": {"notPorts": [80]}},
                 {"action": "Allow", "protocol": "TCP", "destination": {"ports": ["http"]}},
                 {"action": "Allow", "destination": {"ports": [80]}},
                 {"action": "Allow", "destination": {"serviceAccounts": {"names": ["x"]}}},
                 {"action": "Allow", "http": {"methods": ["GET"]}},
                 {"action": "Allow", "destination": {"selector": "app contains 'x'"}}]
        for rule in rules:
            with self.assertRaises(np2nft.PolicyError, msg=rule):
                lab([cal("g", {"selector": "all()", "egress": [rule]})])
        for spec in ({"serviceAccountSelector": "x == 'y'"}, {"tier": "nowhere"}):
            with self.assertRaises(np2nft.PolicyError, msg=spec):
                lab([cal("g", dict(spec, selector="all()", ingress=[{"action": "Deny"}]))])
        with self.assertRaises(np2nft.PolicyError):
            lab([cal("p", {"egress": [{"action": "Deny", "destination": {"notSelector": "all()"}}]}, ns="ns-a")])


class TestGovtechFixtures(unittest.TestCase):
    """The backend's internet egress of tests/policy/fixtures/{cilium,calico}, with the ipBlock
    rule gone from the shipped backend NetworkPolicy (as agree.py runs them)."""

    def lab_with(self, cni):
        docs = scenario_lib.load_policies()
        spec = scenario_lib.policy(docs, "backend-network-policy")["spec"]
        spec["egress"] = [e for e in spec["egress"] if not any("ipBlock" in t for t in e.get("to", []))]
        docs += np2nft.load_policies([os.path.join(POLICY_FIX, cni, "govtech-backend-internet.yaml")])
        inv = np2nft.Inventory(topology.inventory("t"))
        return Lab(np2nft.translate(docs, inv), inv)

    def test_both(self):
        internet = {n: h["ip"] for n, h in topology.INTERNET.items()}
        for cni in ("cilium", "calico"):
            t = self.lab_with(cni)
            self.assertTrue(t.allowed("backend", internet["secretsmanager.us-east-1.amazonaws.com"], 443), cni)
            self.assertTrue(t.allowed("backend", "postgres", 5432), cni)
            self.assertTrue(t.allowed("backend", "kube-dns", 53, "udp"), cni)
            for addr in ("10.250.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254"):
                self.assertFalse(t.allowed("backend", addr, 443), (cni, addr))
            self.assertFalse(t.allowed("backend", "frontend", 80), cni)
            self.assertFalse(t.allowed("backend", internet["secretsmanager.us-east-1.amazonaws.com"], 80), cni)
        # www.google.com: not among Cilium's names; Calico's notNets rule opens all of the internet
        self.assertFalse(self.lab_with("cilium").allowed("backend", internet["www.google.com"], 443))
        self.assertTrue(self.lab_with("calico").allowed("backend", internet["www.google.com"], 443))
        self.assertTrue(self.lab_with("calico").allowed("backend", "2001:db8:113::10", 443, family=6))

    def test_nft_check(self):
        self.assertEqual(os.geteuid(), 0, "nft -c needs root (CAP_NET_ADMIN)")
        ns = "cni-%s" % uuid.uuid4().hex[:8]
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            for cni in ("cilium", "calico"):
                docs = scenario_lib.load_policies() + np2nft.load_policies(
                    [os.path.join(POLICY_FIX, cni, "govtech-backend-internet.yaml")])
                if cni == "calico":
                    docs += [{"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "sec"},
                              "spec": {"order": 10, "defaultAction": "Pass"}},
                             cal("sec.p", {"tier": "sec", "selector": "all()", "ingress": [
                                 {"action": "Pass", "source": {"nets": ["10.0.0.0/8", "fd00::/8"]}}]})]
                for mode in np2nft.DENY_MODES:
                    text = np2nft.translate(docs, np2nft.Inventory(topology.inventory("t")), mode)
                    proc = subprocess.run(["ip", "netns", "exec", ns, "nft", "-c", "-f", "-"], input=text,
                                          text=True, capture_output=True)
                    self.assertEqual(proc.returncode, 0, "%s %s: %s\n%s" % (cni, mode, proc.stderr, text))
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    unittest.main()
