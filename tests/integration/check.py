#!/usr/bin/python3
"""check.py: the assertions of one integration test line against a ztprobe JSON report
(tests/integration/lib.sh's chk runs it under tests/lib.sh's check, which prints the line).

Usage: check.py REPORT PROBE ASSERTION...
  REPORT  the report file (ztprobe's stdout)
  PROBE   the result's "name", or "-" for the report itself
  ASSERTION  KEY OP VALUE, KEY a dotted path (timings_ms.dns, summary.failed), OP one of
     =   equal (null/true/false, numbers compared as numbers)   != not equal
     ~   string contains                                          !~ does not contain
     <   number less than                                         >  number greater than
     @   one of a|b|c                                             ^  list contains
     #   list length          (a "*" path part maps over a list: diagnoses.*.code^dns_blocked)
Exits 0 when every assertion holds; otherwise prints why and exits 1.
"""

import json
import re
import sys

OPS = re.compile(r"^([A-Za-z0-9_.*]+)(!~|!=|~|=|<|>|@|\^|#)(.*)$", re.S)
MISSING = object()


def show(v):
    if v is MISSING:
        return "<missing>"
    return json.dumps(v)


def lookup(obj, path):
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part == "*" and isinstance(obj, list):
            # diagnoses.*.code: the list of that key over every element.
            rest = ".".join(parts[i + 1:])
            vals = [lookup(o, rest) if rest else o for o in obj]
            return [v for v in vals if v is not MISSING]
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return MISSING
    return obj


def scalar_eq(actual, want):
    if want == "null":
        return actual is None
    if want in ("true", "false"):
        return actual is (want == "true")
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        try:
            return float(want) == float(actual)
        except ValueError:
            return False
    return isinstance(actual, str) and actual == want


def number(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def check_one(node, assertion):
    """Returns None when the assertion holds, else the reason."""
    m = OPS.match(assertion)
    if not m:
        return "bad assertion %r" % assertion
    key, op, want = m.groups()
    actual = lookup(node, key)
    bad = "%s is %s, want %s %s" % (key, show(actual), op, want)
    if op == "=":
        return None if actual is not MISSING and scalar_eq(actual, want) else bad
    if op == "!=":
        return None if actual is not MISSING and not scalar_eq(actual, want) else bad
    if op in ("~", "!~"):
        if not isinstance(actual, str):
            return bad
        return None if (want in actual) == (op == "~") else bad
    if op in ("<", ">"):
        n = number(actual)
        if n is None:
            return bad
        return None if (n < float(want) if op == "<" else n > float(want)) else bad
    if op == "@":
        return None if any(scalar_eq(actual, w) for w in want.split("|")) else bad
    if op == "^":
        if not isinstance(actual, list):
            return bad
        return None if any(scalar_eq(a, want) for a in actual) else bad
    if op == "#":
        return None if isinstance(actual, list) and len(actual) == int(want) else bad
    return bad


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    path, probe, assertions = argv[0], argv[1], argv[2:]
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print("cannot read report: %s" % e)
        return 1
    try:
        report = json.loads(text)
    except ValueError as e:
        head = text[:120].replace("\n", " ")
        print("report is not JSON (%s): %r" % (e, head))
        return 1
    if probe == "-":
        node = report
    else:
        hits = [r for r in report.get("results", []) if isinstance(r, dict)
                and r.get("name") == probe]
        if len(hits) != 1:
            print("%d results named %r" % (len(hits), probe))
            return 1
        node = hits[0]
    reasons = [r for r in (check_one(node, a) for a in assertions) if r]
    if reasons:
        ctx = ""
        if probe != "-":
            ctx = " [outcome=%s detail=%s]" % (show(node.get("outcome", MISSING)),
                                              show(node.get("detail", MISSING)))
        print("%s%s" % ("; ".join(reasons), ctx))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
