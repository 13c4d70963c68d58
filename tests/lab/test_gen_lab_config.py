"""Unit tests of gen_lab_config.py and topology.py: how config/govtech.json becomes the lab's
matrix, and what the lab builds from it.

Run: /usr/bin/python3 -m unittest discover -s tests/lab -p 'test_*.py'
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_lab_config as gen  # noqa: E402
import topology  # noqa: E402


def cfg(*probes):
    return {"version": 1, "defaults": {"timeout_ms": 3000},
            "roles": {"backend": {"selector": {"app": "backend"}, "probes": list(probes)}}}


class TestGenerate(unittest.TestCase):
    def test_private_address_inside_pod_cidr_is_moved(self):
        out = gen.generate(cfg(
            {"name": "a", "kind": "tcp", "host": "10.0.0.1", "port": 443, "expect": "deny"},
            {"name": "b", "kind": "tcp", "host": "172.16.0.1", "port": 443, "expect": "deny"},
            {"name": "c", "kind": "https", "url": "https://10.0.3.10:8443/x", "expect": "deny"}))
        probes = {p["name"]: p for p in out["roles"]["backend"]["probes"]}
        self.assertEqual(probes["a"]["host"], "10.250.0.1")
        self.assertFalse(topology.in_pod_cidrs(probes["a"]["host"]))
        self.assertEqual(probes["b"]["host"], "172.16.0.1")        # no collision: kept
        self.assertEqual(probes["c"]["url"], "https://10.250.3.10:8443/x")
        for p in probes.values():
            self.assertEqual(p["timeout_ms"], gen.DENY_TIMEOUT_MS)

    def test_trust_and_ranges(self):
        out = gen.generate(cfg(
            {"name": "sm", "kind": "https", "url": "https://secretsmanager.us-east-1.amazonaws.com/",
             "resolved_within": ["52.46.128.0/19"], "ca_file": "/x.pem", "expect": "allow"},
            {"name": "d", "kind": "dns", "query": "backend-service", "answers_within": ["10.96.0.0/12"],
             "expect": "allow"},
            {"name": "pg", "kind": "postgres", "host": "postgres-service", "user": "u",
             "dbname": "d", "password_env": "P", "sslrootcert": "/y.pem", "expect": "allow"}))
        self.assertEqual(out["defaults"]["ca_file"], gen.LAB_CA)
        self.assertEqual(out["defaults"]["timeout_ms"], 3000)      # allow timing untouched
        probes = {p["name"]: p for p in out["roles"]["backend"]["probes"]}
        # Dual-stack lab: the name has an A and an AAAA record, each in its own lab range.
        self.assertEqual(probes["sm"]["resolved_within"], ["198.51.100.0/24", "2001:db8:100::/48"])
        self.assertEqual(probes["sm"]["ca_file"], gen.LAB_CA)
        self.assertEqual(probes["d"]["answers_within"], ["10.0.0.0/16", "fd00:10:0::/48"])
        self.assertEqual(probes["pg"]["sslrootcert"], gen.LAB_CA)
        self.assertNotIn("timeout_ms", probes["sm"])

    def test_unknown_name_is_an_error(self):
        with self.assertRaises(gen.GenError):
            gen.generate(cfg({"name": "x", "kind": "https", "url": "https://example.org/",
                              "resolved_within": ["1.2.3.0/24"], "expect": "allow"}))

    def test_render_round_trips(self):
        c = cfg({"name": "a", "kind": "tcp", "host": "h\"q", "port": 1, "expect": "allow"})
        self.assertEqual(json.loads(gen.render(c)), c)


class TestTopology(unittest.TestCase):
    def test_private_host_answers_literal_targets(self):
        c = cfg({"name": "a", "kind": "tcp", "host": "10.250.0.1", "port": 443, "expect": "deny"},
                {"name": "b", "kind": "http", "url": "http://192.168.0.1:8080/", "expect": "deny"},
                {"name": "c", "kind": "tcp", "host": "10.0.2.10", "port": 3000, "expect": "deny"})
        self.assertEqual(topology.private_targets(c),
                         {"10.250.0.1": {443}, "192.168.0.1": {8080}})
        plan = topology.plan("zt1", c).splitlines()
        # The private host also always carries its named pair (db.vpc.internal, both families).
        self.assertIn("host pv 10.250.0.1 192.168.0.1 fd00:10:250::1", plan)
        self.assertIn("san IP:fd00:10:250::1", plan)
        self.assertIn("dns db.vpc.internal 10.250.0.1 fd00:10:250::1", plan)
        self.assertIn("serve pv healthy-tls 443", plan)
        self.assertIn("serve pv healthy 8080", plan)

    def test_addresses_are_lab_ranges_and_veths_fit(self):
        for host in topology.INTERNET.values():
            self.assertTrue(any(topology.ipaddress.ip_address(host["ip"]) in
                                topology.ipaddress.ip_network(r) for r in topology.DOC_RANGES))
        for pod in topology.PODS:
            self.assertTrue(topology.in_pod_cidrs(pod["ip"]))
            self.assertLessEqual(len("a" * 10 + "-" + pod["short"]), 15)  # IFNAMSIZ - 1

    def test_dual_stack(self):
        ip = topology.ipaddress
        self.assertEqual(topology.v6_of("10.0.1.10"), "fd00:10:0:1::10")
        self.assertEqual(topology.v6_of("10.96.0.10"), "fd00:10:96::10")
        with self.assertRaises(ValueError):
            topology.v6_of("192.168.0.1")
        for pod in topology.PODS:
            self.assertTrue(topology.in_pod_cidrs(pod["ip6"]), pod["name"])
            self.assertIn(ip.ip_address(pod["ip6"]), ip.ip_network("fd00::/8"))
        for host in topology.INTERNET.values():
            self.assertIn(ip.ip_address(host["ip6"]), ip.ip_network("2001:db8::/32"))
            self.assertTrue(any(ip.ip_address(host["ip6"]) in ip.ip_network(r)
                                for r in topology.DOC_RANGES))
        # Every name kube-dns answers has an A and an AAAA record.
        for name, v4, v6 in topology.dns_records():
            self.assertEqual((ip.ip_address(v4).version, ip.ip_address(v6).version), (4, 6), name)
        inv = topology.inventory("zt1")
        for p in inv["pods"]:
            self.assertEqual([ip.ip_address(a).version for a in p["ips"]], [4, 6])
        plan = topology.plan("zt1", {"roles": {}}).splitlines()
        self.assertIn("addr6 be fd00:10:0:2::10", plan)
        self.assertIn("host gg 203.0.113.10 2001:db8:113::10", plan)
        self.assertIn("serve be udp-echo %d" % topology.UDP_PORT, plan)
        self.assertIn("serve gg udp-echo 443", plan)

    def test_relabel_and_downward_format(self):
        inv = topology.inventory("zt1", topology.parse_relabel(["backend:app=v2,x=y"]))
        be = [p for p in inv["pods"] if p["name"] == "backend"][0]
        self.assertEqual(be["labels"], {"app": "v2", "x": "y"})
        self.assertEqual(be["veth"], "zt1-be")
        self.assertEqual(topology.downward_labels({"b": 'q"x', "a": "1"}), 'a="1"\nb="q\\"x"\n')


if __name__ == "__main__":
    unittest.main()
