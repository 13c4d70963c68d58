#!/usr/bin/python3
"""check_formats.py: the checks of tests/formats/run.sh that the consumers' tools do not make.

xmllint validates JUnit against the XSD and promtool parses the exposition, but XSD 1.0
cannot count testcases and promtool 2.42 accepts a family whose samples are split. Each
subcommand prints nothing and exits 0 when the check holds, else prints why and exits 1.

  junit FILE [SUITE:PROBE=pass|failure:TYPE|error:TYPE ...]
      counts agree (suite and root totals), and each named testcase ended as stated
  prom FILE [LINE-REGEX ...]
      every family has HELP then TYPE, its samples follow together, no series twice,
      no timestamps; each regex matches a whole line
  record FILE METHOD PATH-REGEX CONTENT-TYPE [BODY-FILE]
      the first request the recorder saved
  prom-series FILE SAMPLE...
      each SAMPLE ("name{labels} value", value "*" for any) is a line of FILE, labels in the
      order given (the Pushgateway writes them sorted)
  merge-json FILE KEY=VALUE...
      summary.KEY equals VALUE (int or true/false); "disagreement=ROLE/PROBE" must be listed
"""

import json
import re
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print(msg)
    sys.exit(1)


def check_junit(path, expects):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        fail("root is <%s>, not <testsuites>" % root.tag)
    tot = {"tests": 0, "failures": 0, "errors": 0}
    cases = {}
    for s in root.findall("testsuite"):
        tcs = s.findall("testcase")
        got = {"tests": len(tcs),
               "failures": sum(1 for t in tcs if t.find("failure") is not None),
               "errors": sum(1 for t in tcs if t.find("error") is not None)}
        for k, v in got.items():
            if int(s.get(k)) != v:
                fail("suite %s: %s=%s but %d found" % (s.get("name"), k, s.get(k), v))
            tot[k] += v
        for t in tcs:
            if t.get("classname") != "ztprobe." + s.get("name"):
                fail("testcase %s: classname %s" % (t.get("name"), t.get("classname")))
            f, e = t.find("failure"), t.find("error")
            state = "pass" if f is None and e is None else \
                ("failure:" + f.get("type")) if f is not None else ("error:" + e.get("type"))
            for el in (f, e):
                if el is not None and not el.get("message", "").startswith(el.get("type")):
                    fail("testcase %s: message %r does not start with the outcome"
                         % (t.get("name"), el.get("message")))
            cases["%s:%s" % (s.get("name"), t.get("name"))] = state
    for k, v in tot.items():
        if int(root.get(k)) != v:
            fail("testsuites: %s=%s but %d found" % (k, root.get(k), v))
    for e in expects:
        key, want = e.split("=", 1)
        if cases.get(key) != want:
            fail("testcase %s: %s, expected %s" % (key, cases.get(key), want))


def check_prom(path, regexes):
    lines = open(path, encoding="utf-8").read().split("\n")
    if lines[-1] != "":
        fail("the exposition does not end in a newline")
    done, cur, series = set(), None, set()
    expect_type, cur_type = None, None
    for ln in lines[:-1]:
        if ln.startswith("# HELP "):
            name = ln.split(" ")[2]
            if name in done:
                fail("family %s appears twice" % name)
            done.add(name)
            cur, expect_type = name, name
        elif ln.startswith("# TYPE "):
            if ln.split(" ")[2] != expect_type:
                fail("TYPE without its HELP just before: %s" % ln)
            expect_type, cur_type = None, ln.split(" ")[3]
        elif ln.startswith("#") or ln == "":
            fail("unexpected line: %r" % ln)
        else:
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', ln)
            if not m:
                fail("not a sample without timestamp: %r" % ln)
            # A histogram's samples are NAME_bucket, NAME_sum and NAME_count.
            own = [cur] + ([cur + "_bucket", cur + "_sum", cur + "_count"] if cur_type == "histogram" else [])
            if m.group(1) not in own:
                fail("sample of %s outside its family (in %s)" % (m.group(1), cur))
            key = (m.group(1), m.group(2))
            if key in series:
                fail("series twice: %s" % ln)
            series.add(key)
            float(m.group(3).replace("Inf", "inf"))
    for rx in regexes:
        if not any(re.fullmatch(rx, ln) for ln in lines):
            fail("no line matches %s" % rx)


def check_record(path, method, path_rx, ctype, body_file=None):
    with open(path, encoding="utf-8") as f:
        rec = json.loads(f.readline())
    if rec["method"] != method:
        fail("method %s, expected %s" % (rec["method"], method))
    if not re.fullmatch(path_rx, rec["path"]):
        fail("path %s does not match %s" % (rec["path"], path_rx))
    if rec["headers"].get("content-type") != ctype:
        fail("content-type %r" % rec["headers"].get("content-type"))
    if body_file is not None:
        with open(body_file, "w", encoding="utf-8") as f:
            f.write(rec["body"])


def check_merge(path, asserts):
    doc = json.load(open(path, encoding="utf-8"))
    if doc.get("schema") != "ztprobe/merge/v1":
        fail("schema %r" % doc.get("schema"))
    listed = {"%s/%s" % (d["role"], d["probe"]) for d in doc["disagreements"]}
    for a in asserts:
        k, v = a.split("=", 1)
        if k == "disagreement":
            if v not in listed:
                fail("disagreement %s not listed (have %s)" % (v, sorted(listed)))
            continue
        want = {"true": True, "false": False}.get(v, None)
        want = int(v) if want is None else want
        got = doc["summary"].get(k)
        if got != want or type(got) is not type(want):
            fail("summary.%s = %r, expected %r" % (k, got, want))


def check_series(path, samples):
    lines = open(path).read().splitlines()
    for want in samples:
        series, _, value = want.rpartition(" ")
        hits = [l for l in lines if l.rpartition(" ")[0] == series]
        if not hits:
            near = [l for l in lines if l.startswith(series.split("{")[0] + "{")][:4]
            fail("no sample %s (same family: %s)" % (series, near))
        if value != "*" and hits[0].rpartition(" ")[2] != value:
            fail("%s: got %s, want %s" % (series, hits[0].rpartition(" ")[2], value))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "junit":
        check_junit(args[0], args[1:])
    elif cmd == "prom":
        check_prom(args[0], args[1:])
    elif cmd == "record":
        check_record(*args)
    elif cmd == "prom-series":
        check_series(args[0], args[1:])
    elif cmd == "merge-json":
        check_merge(args[0], args[1:])
    else:
        fail("unknown check %s" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
