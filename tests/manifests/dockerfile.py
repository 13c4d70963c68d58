"""The Dockerfile checks of tests/manifests/run.sh: a build stage on debian:bookworm-slim and a
runtime stage FROM scratch that copies the build stage's assembled filesystem and runs nothing;
USER, ENTRYPOINT and CMD; the libraries built from Debian's source packages with the protocols
ztprobe does not speak turned off; and, against `ldd ztprobe` of the host build, that every
library it links is either linked statically by the image's build (the Makefile's STATIC_DEPS
line) or is shipped by tests/image/rootfs.sh, which copies what `ldd` lists."""
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


def check_dockerfile(repo, ztprobe, report):
    path = os.path.join(repo, "Dockerfile")
    st = dockerfile_stages(path)
    report(len(st) >= 2 and st[0]["from"] in ("docker.io/library/debian:bookworm-slim", "debian:bookworm-slim")
           and st[-1]["from"] == "scratch",
           "Dockerfile: build stage on debian:bookworm-slim, runtime stage FROM scratch",
           str([s["from"] for s in st]))
    if not st:
        return
    run = st[-1]
    instr = {w: r for w, r in run["lines"]}
    report(instr.get("USER") == "65532:65532", "Dockerfile: runtime stage USER 65532:65532", str(instr.get("USER")))
    report(json.loads(instr.get("ENTRYPOINT", "null")) == ["ztprobe"]
           and json.loads(instr.get("CMD", "null")) == ["run"],
           'Dockerfile: ENTRYPOINT ["ztprobe"], CMD ["run"]')
    words = [w for w, _ in run["lines"]]
    copies = [r for w, r in run["lines"] if w == "COPY"]
    report("RUN" not in words and copies == ["--from=build /out/ /"],
           "Dockerfile: runtime stage runs nothing and copies only the assembled /out/ of the build stage",
           "instructions: " + " ".join(words) + "; COPY " + " | ".join(copies))
    build = apt_packages(st[0])
    need = ("libssl-dev", "libc-ares-dev", "libyaml-dev", "dpkg-dev", "ca-certificates")
    report(all(p in build for p in need) and not any(p in build for p in ("libcurl4-openssl-dev", "libpq-dev")),
           "Dockerfile: build stage has the static archives' -dev packages, not Debian's libcurl or libpq",
           " ".join(build))
    with open(os.path.join(repo, "tests", "image", "deps.sh"), encoding="utf-8") as handle:
        deps = handle.read()
    off = ["--disable-" + p for p in ("dict", "file", "ftp", "gopher", "imap", "ldap", "ldaps", "mqtt",
                                      "pop3", "rtsp", "smb", "smtp", "telnet", "tftp")]
    off += ["--without-" + p for p in ("libidn2", "libpsl", "librtmp", "libssh2", "brotli", "zstd", "nghttp2",
                                       "gssapi", "ldap", "readline", "icu")]
    missing = [o for o in off if o not in deps]
    report(not missing and all(("apt-get source" in deps, "fetch curl" in deps, "fetch postgresql-15" in deps)),
           "tests/image/deps.sh: libcurl and libpq from Debian's sources (apt-get source), every unused protocol "
           "and library off", "missing: " + " ".join(missing))
    # Every library the host build links directly: linked statically by the image's build, or
    # shipped by rootfs.sh (which copies `ldd`'s list: libc and the loader).
    p = subprocess.run(["readelf", "-d", ztprobe], capture_output=True, text=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
    l = subprocess.run(["ldd", ztprobe], capture_output=True, text=True)
    libs = dict(re.findall(r"^\s*(\S+) => (/\S+)", l.stdout, re.M))
    nf = re.findall(r"^\s*(\S+) => not found", l.stdout, re.M)
    report(bool(needed) and not nf, "ldd %s resolves %d libraries (%d direct)" % (ztprobe, len(libs), len(needed)),
           "not found: " + " ".join(nf) if nf else "no NEEDED entries")
    with open(os.path.join(repo, "Makefile"), encoding="utf-8") as handle:
        mk = re.sub(r"\\\n", " ", handle.read())
    m = re.search(r"-Wl,-Bstatic (.*?) -Wl,-Bdynamic", mk)
    static = set(re.findall(r"-l(\S+)", m.group(1))) if m else set()
    # libyaml-0.so.2 is -lyaml: a soname is lib + the -l name + ".so" or "-VERSION.so"
    unlinked = [so for so in needed if so.split(".so")[0] != "libc"
                and not any(re.match(r"lib%s[-.]" % re.escape(n), so) for n in static)]
    report(bool(static) and not unlinked,
           "Makefile STATIC_DEPS links every library `ldd ztprobe` names directly, libc aside (%s)" % " ".join(sorted(static)),
           "not linked statically: " + " ".join(unlinked))
    with open(os.path.join(repo, "tests", "image", "rootfs.sh"), encoding="utf-8") as handle:
        report("ldd \"$BIN\"" in handle.read(), "tests/image/rootfs.sh ships the shared objects `ldd` lists for the image's binary")
    ign = open(os.path.join(repo, ".dockerignore")).read() if os.path.exists(os.path.join(repo, ".dockerignore")) else ""
    report(re.search(r"^\*$", ign, re.M) is not None or re.search(r"^/?build/?$", ign, re.M) is not None,
           ".dockerignore keeps build/ (podman's store) out of the build context")
