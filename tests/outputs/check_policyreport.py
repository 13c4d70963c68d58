#!/usr/bin/python3
"""check_policyreport.py: `ztprobe merge -o policyreport` read the way Kubernetes reads it.

  schema CRD.yaml FILE.yaml
      every document is a wgpolicyk8s.io/v1alpha2 PolicyReport valid against the CRD's
      openAPIV3Schema (python3-jsonschema), read strictly: a field the schema does not
      declare is an error, as with `kubectl apply --validate=strict` (an API server would
      prune it silently, and the data would be lost); int32/int64 ranges enforced; metadata
      as the API server checks it (name and namespace DNS-1123 labels here, since ztprobe
      promises names of at most 63 characters; label and annotation keys and values).
  expect FILE.yaml KEY=VALUE...
      facts about the documents: docs=N, ns:NAMESPACE=pass/fail/error (the summary of that
      namespace's report), rule:NAMESPACE:ROLE/PROBE=RESULT:OUTCOME, name:NAMESPACE=NAME,
      nsless=N (reports without metadata.namespace), missing=N (error results for unreadable
      reports, in every document), pod:NAMESPACE:ROLE/PROBE=POD (the resource named).
  same FILE.yaml OTHER.yaml
      both parse to the same objects (OTHER: what `kubectl kustomize` wrote, Go's YAML parser)
  prop FILE.yaml NAMESPACE ROLE/PROBE KEY EXPECTED-JSON-STRING
      properties[KEY] of that result equals the string exactly (hostile strings round trip)

Each prints nothing and exits 0 when the check holds, else prints why and exits 1.
"""

import json
import re
import sys

import jsonschema
import yaml

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
QNAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
DNS_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


def fail(msg):
    print(msg)
    sys.exit(1)


def strict(schema):
    """openAPIV3Schema -> JSON Schema read strictly: objects with declared properties take no
    others (unless the schema preserves unknown fields), int formats become ranges, and the
    x-kubernetes-* extensions (meaningless to jsonschema) go."""
    s = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in s:
        s["properties"] = {k: strict(v) for k, v in s["properties"].items()}
        if "additionalProperties" not in s and not schema.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
    if isinstance(s.get("additionalProperties"), dict):
        s["additionalProperties"] = strict(s["additionalProperties"])
    if "items" in s:
        s["items"] = strict(s["items"])
    if s.get("format") in RANGES:
        s["minimum"], s["maximum"] = RANGES[s["format"]]
    return s


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def check_key(key, what):
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUB.match(prefix)):
        fail("%s key %r: prefix is not a DNS subdomain" % (what, key))
    if not name or len(name) > 63 or not QNAME.match(name):
        fail("%s key %r: name is not a qualified name" % (what, key))


def check_metadata(md, i):
    name = md.get("name", "")
    if not isinstance(name, str) or len(name) > 63 or not DNS_LABEL.match(name):
        fail("document %d: metadata.name %r is not a DNS-1123 label (<= 63)" % (i, name))
    ns = md.get("namespace")
    if ns is not None and (not isinstance(ns, str) or len(ns) > 63 or not DNS_LABEL.match(ns)):
        fail("document %d: metadata.namespace %r is not a DNS-1123 label" % (i, ns))
    for k, v in (md.get("labels") or {}).items():
        check_key(k, "label")
        if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
            fail("document %d: label %s=%r: not a label value" % (i, k, v))
    ann = md.get("annotations") or {}
    for k, v in ann.items():
        check_key(k, "annotation")
        if not isinstance(v, str):
            fail("document %d: annotation %s is not a string" % (i, k))
    if sum(len(k) + len(v) for k, v in ann.items()) > 256 * 1024:
        fail("document %d: annotations larger than 256 KiB" % i)
    unknown = set(md) - {"name", "namespace", "labels", "annotations"}
    if unknown:
        fail("document %d: metadata fields ztprobe should not set: %s" % (i, sorted(unknown)))


def check_schema(crd_path, path):
    crd = load_docs(crd_path)[0]
    ver = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha2"]
    if len(ver) != 1:
        fail("%s: no v1alpha2 version" % crd_path)
    validator = jsonschema.Draft4Validator(strict(ver[0]["schema"]["openAPIV3Schema"]))
    docs = load_docs(path)
    if not docs:
        fail("no documents")
    for i, d in enumerate(docs):
        if not isinstance(d, dict):
            fail("document %d is not an object" % i)
        if d.get("apiVersion") != "wgpolicyk8s.io/v1alpha2" or d.get("kind") != "PolicyReport":
            fail("document %d: %s/%s, not wgpolicyk8s.io/v1alpha2 PolicyReport"
                 % (i, d.get("apiVersion"), d.get("kind")))
        errs = sorted(validator.iter_errors(d), key=lambda e: list(e.path))
        if errs:
            fail("document %d: %s" % (i, "; ".join(
                "%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message[:200])
                for e in errs[:5])))
        check_metadata(d.get("metadata") or {}, i)
        s, res = d.get("summary", {}), d.get("results") or []
        for k in ("pass", "fail", "error", "warn", "skip"):
            if s.get(k, 0) != sum(1 for r in res if r.get("result") == k):
                fail("document %d: summary.%s=%s does not count the results" % (i, k, s.get(k)))


def by_ns(docs):
    return {(d["metadata"].get("namespace") or ""): d for d in docs}


def find(doc, rule):
    hits = [r for r in doc.get("results") or [] if r.get("rule") == rule]
    if not hits:
        fail("no result with rule %r in %s" % (rule, doc["metadata"]["name"]))
    return hits[0]


def check_expect(path, facts):
    docs = load_docs(path)
    ns = by_ns(docs)
    for f in facts:
        key, want = f.split("=", 1)
        kind, _, rest = key.partition(":")
        if kind == "docs":
            got = str(len(docs))
        elif kind == "nsless":
            got = str(sum(1 for d in docs if "namespace" not in d["metadata"]))
        elif kind == "missing":
            got = "/".join(sorted({str(sum(1 for r in d.get("results") or [] if r.get("rule") == "report"))
                                   for d in docs}))
        elif kind in ("ns", "name"):
            if rest not in ns:
                fail("no report for namespace %r (have %s)" % (rest, sorted(ns)))
            d = ns[rest]
            got = d["metadata"]["name"] if kind == "name" else "%d/%d/%d" % (
                d["summary"]["pass"], d["summary"]["fail"], d["summary"]["error"])
        elif kind in ("rule", "pod"):
            n, _, rule = rest.partition(":")
            if n not in ns:
                fail("no report for namespace %r" % n)
            r = find(ns[n], rule)
            if kind == "pod":
                got = ",".join(x.get("name", "") for x in r.get("resources") or [])
            else:
                got = "%s:%s" % (r["result"], r["properties"]["outcome"])
                if r.get("policy") != "ztprobe" or r.get("source") != "ztprobe":
                    fail("%s: policy %r, source %r" % (rule, r.get("policy"), r.get("source")))
        else:
            fail("unknown fact %r" % f)
        if got != want:
            fail("%s: got %r, want %r" % (key, got, want))


def check_same(path, other):
    a, b = load_docs(path), load_docs(other)
    key = lambda d: (d["metadata"].get("namespace") or "", d["metadata"]["name"])
    a.sort(key=key)
    b.sort(key=key)
    if a != b:
        for x, y in zip(a, b):
            if x != y:
                fail("differs: ours %s vs theirs %s" % (json.dumps(x)[:600], json.dumps(y)[:600]))
        fail("%d documents vs %d" % (len(a), len(b)))


def check_prop(path, ns, rule, key, want_json):
    want = json.loads(want_json)
    d = by_ns(load_docs(path)).get(ns)
    if d is None:
        fail("no report for namespace %r" % ns)
    got = find(d, rule).get("properties", {}).get(key)
    if got != want:
        fail("properties.%s: got %r, want %r" % (key, got, want))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "schema":
        check_schema(args[0], args[1])
    elif cmd == "expect":
        check_expect(args[0], args[1:])
    elif cmd == "same":
        check_same(args[0], args[1])
    elif cmd == "prop":
        check_prop(*args)
    else:
        fail("unknown command %r" % cmd)


if __name__ == "__main__":
    main()
