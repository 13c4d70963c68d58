"""The Dockerfile checks of tests/manifests/run.sh: stages on debian:bookworm-slim, USER,
ENTRYPOINT and CMD, a runtime stage without build packages, and runtime packages that cover
every library `ldd ztprobe` lists (owners from `dpkg -S`, dependencies from dpkg's database:
this machine runs the same Debian release the image is built from)."""
import json
import os
import re
import subprocess


def dockerfile_stages(path):
    stages, cur = [], None
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            cur = {"from": rest.split()[0], "lines": []}
            stages.append(cur)
        elif cur is not None:
            cur["lines"].append((word, rest.strip()))
    return stages


def apt_packages(stage):
    pkgs = []
    for word, rest in stage["lines"]:
        if word != "RUN":
            continue
        for part in re.split(r"&&|;", rest):
            toks = part.split()
            if "apt-get" in toks and "install" in toks:
                pkgs += [t for t in toks[toks.index("install") + 1:] if not t.startswith("-")]
    return pkgs


def dep_closure(pkgs):
    """Installed packages reachable through Depends/Pre-Depends (dpkg's view of this machine,
    the same Debian release and versions the image installs)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Depends}, ${Pre-Depends}\n"],
                         capture_output=True, text=True).stdout
    deps, installed = {}, set()
    for line in out.splitlines():
        name, status, dep = (line.split("\t") + ["", ""])[:3]
        if status.endswith(" installed"):
            installed.add(name)
            deps[name] = dep
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alt in deps.get(p, "").split(","):
            names = [re.sub(r"[\s(].*", "", a.strip()).split(":")[0] for a in alt.split("|")]
            names = [n for n in names if n]
            todo += [n for n in names if n in installed][:1] or names[:1]
    return seen


def owners(files):
    """file -> owning package, through one `dpkg -S` (Debian 12 is usr-merged, so a library
    may be registered under /lib or /usr/lib, by its symlink name or its real name)."""
    cands = {}
    for f in files:
        real = os.path.realpath(f)
        for p in (f, real):
            for q in (p, p.replace("/usr/lib/", "/lib/", 1), p.replace("/lib/", "/usr/lib/", 1)):
                cands.setdefault(q, f)
    out = subprocess.run(["dpkg", "-S"] + sorted(cands), capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in cands:
            found.setdefault(cands[path], pkgs.split(",")[0].split(":")[0].strip())
    return found


def check_dockerfile(repo, ztprobe, report):
    path = os.path.join(repo, "Dockerfile")
    st = dockerfile_stages(path)
    report(len(st) >= 2 and all(s["from"] == "docker.io/library/debian:bookworm-slim"
                                or s["from"] == "debian:bookworm-slim" for s in st),
           "Dockerfile: multi-stage, every stage on debian:bookworm-slim", str([s["from"] for s in st]))
    if not st:
        return
    run = st[-1]
    instr = {w: r for w, r in run["lines"]}
    report(instr.get("USER") == "65532:65532", "Dockerfile: runtime stage USER 65532:65532", str(instr.get("USER")))
    report(json.loads(instr.get("ENTRYPOINT", "null")) == ["ztprobe"]
           and json.loads(instr.get("CMD", "null")) == ["run"],
           'Dockerfile: ENTRYPOINT ["ztprobe"], CMD ["run"]')
    rt = apt_packages(run)
    dev = [p for p in rt if p.endswith("-dev") or p in ("build-essential", "gcc", "make", "pkg-config")]
    report(rt and not dev and "ca-certificates" in rt,
           "Dockerfile: runtime stage installs libraries and ca-certificates only (%s)" % " ".join(rt),
           "build packages " + " ".join(dev) if dev else "no ca-certificates")
    # Every library ztprobe links directly belongs to a package the Dockerfile names; every
    # library ldd resolves (direct or not) to a package those pull in.
    p = subprocess.run(["readelf", "-d", ztprobe], capture_output=True, text=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
    l = subprocess.run(["ldd", ztprobe], capture_output=True, text=True)
    libs = dict(re.findall(r"^\s*(\S+) => (/\S+)", l.stdout, re.M))
    nf = re.findall(r"^\s*(\S+) => not found", l.stdout, re.M)
    report(bool(needed) and not nf, "ldd %s resolves %d libraries (%d direct)" % (ztprobe, len(libs), len(needed)),
           "not found: " + " ".join(nf) if nf else "no NEEDED entries")
    closure = dep_closure(rt)
    owned = owners(libs.values())
    direct_missing, missing = [], []
    for so, file in sorted(libs.items()):
        pkg = owned.get(file)
        if pkg is None:
            missing.append(so + " (no package owns it)")
        elif so in needed and pkg not in rt and pkg != "libc6":
            direct_missing.append("%s (%s)" % (so, pkg))
        elif pkg not in closure:
            missing.append("%s (%s)" % (so, pkg))
    report(not direct_missing, "Dockerfile names the package of every library ztprobe links directly",
           "not listed: " + ", ".join(direct_missing))
    report(not missing, "Dockerfile's runtime packages pull in every library ldd lists",
           "not covered: " + ", ".join(missing))
    build = apt_packages(st[0])
    report(all(p in build for p in ("libcurl4-openssl-dev", "libpq-dev", "libc-ares-dev", "libcjson-dev")),
           "Dockerfile: build stage has the -dev packages", " ".join(build))
    ign = open(os.path.join(repo, ".dockerignore")).read() if os.path.exists(os.path.join(repo, ".dockerignore")) else ""
    report(re.search(r"^\*$", ign, re.M) is not None or re.search(r"^/?build/?$", ign, re.M) is not None,
           ".dockerignore keeps build/ (podman's store) out of the build context")
