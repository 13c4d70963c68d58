#!/usr/bin/env python3
"""check.py ZTPROBE: the docs tell the truth about the code.

(a) docs/reference.md names (as `code`) every property key of config/schema.json, every outcome
    of agent/core/outcome.c, every diagnosis code the C sources emit, every command and flag that
    `ztprobe help` and `ztprobe help COMMAND` print;
(b) docs/architecture.md's module table lists every agent/ and probes/ source file, and each
    file's `#include "..."` project headers are within its row's allowed list;
(c) no tracked file mentions the planning documents that live outside the repository;
(d) every relative link in README.md and docs/*.md points to an existing file, and every whole
    config shown there (a ```json block with "version" and "roles") passes `ztprobe validate`.
Prints ok/not ok lines and "N passed, M failed"; exits 1 on any failure.
ZT_DOCS_ROOT overrides the repository root (the self-test points it at broken copies)."""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.environ.get("ZT_DOCS_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "ztprobe")
passed = failed = 0


def report(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}" + (f": {why}" if why else ""))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def code_spans(text):
    return set(re.findall(r"`([^`\n]+)`", text))


def mentioned(name, spans):
    """`name` alone, or as a word inside a code span (`--role NAME`, `probe timeout_ms`)."""
    if name in spans:
        return True
    pat = re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")
    return any(pat.search(s) for s in spans)


def schema_keys(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out.update(v.keys())
            schema_keys(v, out)
    elif isinstance(node, list):
        for x in node:
            schema_keys(x, out)
    return out


def c_sources():
    return sorted(glob.glob(os.path.join(ROOT, "agent", "**", "*.[ch]"), recursive=True) +
                  glob.glob(os.path.join(ROOT, "probes", "**", "*.[ch]"), recursive=True))


def layers():
    """The layer folders, lowest first, from the Makefile's LAYERS (the one place they are
    listed; the compiler's include path is built from it)."""
    m = re.search(r"^LAYERS\s*:=((?:.*\\\n)*.*)$", read("Makefile"), re.M)
    return m.group(1).replace("\\\n", " ").split() if m else []


def check_reference():
    ref = read("docs/reference.md")
    spans = code_spans(ref)
    keys = schema_keys(json.loads(read("config/schema.json")), set())
    missing = sorted(k for k in keys if not mentioned(k, spans))
    report(not missing and len(keys) > 20, f"reference names all {len(keys)} config keys of config/schema.json",
           "missing: " + ", ".join(missing))

    outcomes = re.findall(r'\[OUTCOME_\w+\] = "(\w+)"', read("agent/core/outcome.c"))
    missing = [o for o in outcomes if f"`{o}`" not in ref]
    report(not missing and len(outcomes) > 10, f"reference names all {len(outcomes)} outcomes of agent/core/outcome.c",
           "missing: " + ", ".join(missing))

    codes = set()
    for f in c_sources():
        src = open(f, encoding="utf-8").read()
        codes.update(re.findall(r'diag_add\(\s*\w+\s*,\s*"(\w+)"', src))
        codes.update(re.findall(r'->code,\s*sizeof\([^)]*\),\s*"(\w+)"', src))
    missing = sorted(c for c in codes if f"`{c}`" not in ref)
    report(not missing and len(codes) >= 6, f"reference names all {len(codes)} diagnosis codes of the C sources",
           "missing: " + ", ".join(missing))

    try:
        top = subprocess.run([ZT, "help"], capture_output=True, text=True, timeout=10).stdout
    except OSError as e:
        report(False, "ztprobe help runs", str(e))
        return
    cmds = re.findall(r"^  ztprobe (\w+)", top, re.M)
    subs = re.findall(r"^  ztprobe policy (\w+)", top, re.M)
    words = set(cmds) | set(subs)
    flags = set()
    for c in sorted(set(cmds)):
        text = subprocess.run([ZT, "help", c], capture_output=True, text=True, timeout=10).stdout
        flags.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])", text))
    flags.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])", top))
    missing = sorted(w for w in words if not mentioned(w, spans) or not re.search(r"`ztprobe (policy )?" + w, ref))
    report(not missing and len(cmds) >= 8, f"reference documents all {len(words)} commands of ztprobe help",
           "missing: " + ", ".join(missing))
    missing = sorted(f for f in flags if not mentioned(f, spans))
    report(not missing and len(flags) >= 15, f"reference documents all {len(flags)} flags of ztprobe help",
           "missing: " + ", ".join(missing))


def module_table():
    """{source file: allowed headers} from the table rows of docs/architecture.md's "Modules"
    section: the first column's `path`s, the last column's `header.h`s ("none" = nothing)."""
    arch = read("docs/architecture.md")
    m = re.search(r"^## Modules\n(.*?)(?=^## )", arch, re.M | re.S)
    rows = {}
    if not m:
        return rows
    for line in m.group(1).splitlines():
        if not line.startswith("|") or line.startswith("|---") or line.startswith("| module"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        files = re.findall(r"`((?:agent|probes)/[\w./]+)`", cells[0])
        allowed = set(re.findall(r"`([\w.]+\.h)`", cells[-1]))
        for f in files:
            rows[f] = allowed | {os.path.basename(x) for x in files if x.endswith(".h")}
    return rows


def check_architecture():
    rows = module_table()
    report(len(rows) > 40, f"docs/architecture.md has a module table ({len(rows)} files)")
    files = [os.path.relpath(f, ROOT) for f in c_sources()]
    missing = [f for f in files if f not in rows]
    report(not missing, "every agent/ and probes/ source file is in the module table",
           "not in the table: " + ", ".join(missing))
    stale = sorted(f for f in rows if f not in files)
    report(not stale, "every file in the module table exists", "no such file: " + ", ".join(stale))
    bad = []
    for f in files:
        if f not in rows:
            continue
        inc = {os.path.basename(h) for h in re.findall(r'#include "([^"]+)"', read(f))}
        extra = sorted(inc - rows[f])
        if extra:
            bad.append(f"{f} includes {', '.join(extra)}, which its row does not allow")
    report(not bad, "every file includes only the project headers its row allows", "; ".join(bad))
    check_layers(files)


def check_layers(files):
    """Layers only call downwards: a file includes headers of its own folder or of a lower
    layer (the Makefile's LAYERS order), never of a higher one."""
    order = layers()
    rank = {d: i for i, d in enumerate(order)}
    home = {os.path.basename(f): os.path.dirname(f) for f in files if f.endswith(".h")}
    stray = sorted({os.path.dirname(f) for f in files} - set(order))
    report(len(order) >= 5 and not stray, f"every source folder is one of the {len(order)} layers of the Makefile",
           "folders not in LAYERS: " + ", ".join(stray))
    up = []
    for f in files:
        d = os.path.dirname(f)
        if d not in rank:
            continue
        for h in re.findall(r'#include "([^"]+)"', read(f)):
            hd = home.get(os.path.basename(h))
            if hd in rank and rank[hd] > rank[d]:
                up.append(f"{f} ({d}) includes {h} of the higher layer {hd}")
    report(not up, "every include goes to the same or a lower layer", "; ".join(up))


def check_no_outside_docs():
    try:
        out = subprocess.run(["git", "-C", ROOT, "grep", "-n", "-I", "-E", r"(SPEC|DESIGN|STYLE)\.md", "--", ".",
                              ":!tests/docs/check.py"], capture_output=True, text=True, timeout=30).stdout
    except OSError as e:
        report(False, "git grep runs", str(e))
        return
    report(out.strip() == "", "no file mentions a planning document outside the repository",
           "; ".join(out.strip().splitlines()[:10]))


def check_links():
    docs = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    bad = []
    n = 0
    for d in docs:
        text = re.sub(r"```.*?```", "", read(d), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            n += 1
            path = target.split("#", 1)[0]
            if not os.path.exists(os.path.normpath(os.path.join(ROOT, os.path.dirname(d), path))):
                bad.append(f"{d} -> {target}")
    report(not bad and n > 10, f"all {n} relative links of README.md and docs/*.md resolve", "broken: " + ", ".join(bad))


def check_examples():
    import tempfile
    docs = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    bad = []
    n = 0
    for d in docs:
        for block in re.findall(r"```json\n(.*?)```", read(d), re.S):
            if '"version"' not in block or '"roles"' not in block:
                continue
            n += 1
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                f.write(block)
            try:
                r = subprocess.run([ZT, "validate", "-c", f.name], capture_output=True, text=True, timeout=10)
            finally:
                os.unlink(f.name)
            if r.returncode != 0:
                bad.append(f"{d}: {r.stderr.strip()}")
    report(not bad and n >= 2, f"all {n} config examples in README.md and docs/*.md validate", "; ".join(bad))


for step in (check_reference, check_architecture, check_no_outside_docs, check_links, check_examples):
    try:
        step()
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        report(False, step.__name__, f"{type(e).__name__}: {e}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
