#!/usr/bin/env bash
# build.sh: `make image`. Builds the repo's Dockerfile, unchanged, with podman (chroot isolation,
# vfs storage: no container engine and no overlayfs here) into the image localhost/ztprobe:VERSION.
#
# Nothing is pulled: the Dockerfile's base, docker.io/library/debian:bookworm-slim, is made here
# with debootstrap from the Debian mirror this machine's apt uses, slimmed the way the official
# image is (no docs, man pages or locales), imported with `podman import` and tagged under that
# name; the build then runs with --pull=never. The base tarball is cached in build/image/ so
# later runs skip debootstrap (ZT_REBASE=1 makes it again). The base is the build stage's only:
# the runtime stage is FROM scratch. Prints every file of the image with the Debian source
# package and version it came from (the image's SPDX list), and the image's size.
# ZT_IMAGE_CONTEXT=DIR builds another checkout (e.g. `git archive HEAD | tar -x -C DIR`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

die() { echo "image/build.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, podman with chroot isolation)"
for t in podman debootstrap; do
    command -v "$t" >/dev/null || die "$t missing: run 'sh tests/deps.sh'"
done

BASE_TAR=$ZT_IMG_DIR/debian-bookworm-slim.tar
mkdir -p "$ZT_IMG_DIR"
TMP=$(mktemp -d "$ZT_IMG_DIR/tmp.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The Debian mirror of this machine's apt (deb822 or one-line sources), so the base and the
# build's apt-get reach exactly what the host reaches.
host_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
}

make_base() {
    local mirror root=$TMP/rootfs
    mirror=$(host_mirror)
    [ -n "$mirror" ] || die "no Debian bookworm mirror in /etc/apt/sources.list*"
    echo "== debootstrap --variant=minbase bookworm from $mirror (cached afterwards in $BASE_TAR)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$TMP/debootstrap.log" 2>&1 ||
        { tail -20 "$TMP/debootstrap.log" >&2; die "debootstrap failed"; }
    # The official image's apt sources (bookworm, -updates, -security) on this machine's mirror:
    # the host's own Debian sources file, so -security resolves the same way it does here.
    rm -f "$root/etc/apt/sources.list"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
    else
        echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
    fi
    # Same apt settings as the host where they make the mirror usable (a snapshot mirror's
    # Release files are past their Valid-Until).
    local conf
    for conf in /etc/apt/apt.conf.d/*; do
        grep -qiE 'Check-Valid-Until|Check-Date' "$conf" 2>/dev/null &&
            cp "$conf" "$root/etc/apt/apt.conf.d/"
    done
    # Slim, as debuerreotype makes bookworm-slim: no docs (but copyrights), man pages, locales,
    # for the packages in the base and for every package a later `apt-get install` adds.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
    rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
        "$root"/var/log/apt/* "$root"/tmp/* "$root"/debootstrap
    # Left empty as in the official image: the engine provides them at run time.
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    tar --numeric-owner --xattrs -C "$root" -cf "$TMP/base.tar" .
    mv -f "$TMP/base.tar" "$BASE_TAR"
    rm -rf "$root"
}

CONTEXT=${ZT_IMAGE_CONTEXT:-$ZT_REPO}
t0=$(date +%s)
if [ ! -s "$BASE_TAR" ] || [ "${ZT_REBASE:-0}" = 1 ]; then
    make_base
fi
zt_phase "base ready"
# Re-imported from the tarball when missing (a fresh store), so the tag always names this base.
if ! zt_podman image exists "$ZT_BASE"; then
    echo "== podman import $BASE_TAR as $ZT_BASE"
    zt_podman import --change 'CMD ["bash"]' "$BASE_TAR" "$ZT_BASE" >/dev/null
fi

# The build stage is tagged too, so that the prune below keeps its layers (the -dev packages'
# apt-get layer above all) as the cache of the next build.
echo "== podman build --isolation chroot --pull=never -t $ZT_IMAGE ."
for tags in "--target build -t localhost/ztprobe-build:cache" "-t $ZT_IMAGE -t localhost/ztprobe:latest"; do
    # shellcheck disable=SC2086 # $tags: flags, split on purpose
    zt_podman build --isolation chroot --pull=never --layers=true $tags \
        -f "$CONTEXT/Dockerfile" "$CONTEXT" >>"$TMP/build.log" 2>&1 ||
        { tail -40 "$TMP/build.log" >&2; die "podman build failed (log above)"; }
    zt_phase "podman build $tags"
done
zt_phase "built"
# Drop the superseded images of earlier builds: vfs keeps a full copy of every layer.
zt_podman image prune -f >/dev/null 2>&1 || true

size=$(zt_podman image inspect --format '{{.Size}}' "$ZT_IMAGE")
mb() { printf '%d.%d MB' $(($1 / 1000000)) $(($1 % 1000000 / 100000)); }
# What the image holds, from its own SPDX list (tests/image/sbom.sh), also kept beside the store.
mnt=$(zt_podman image mount "$ZT_IMAGE")
cp "$mnt/usr/share/doc/ztprobe/sbom.spdx.json" "$ZT_IMG_DIR/sbom.spdx.json"
zt_podman image unmount "$ZT_IMAGE" >/dev/null
echo "== $ZT_IMAGE: every file, from its SPDX list (/usr/share/doc/ztprobe/sbom.spdx.json in the image, copied to $ZT_IMG_DIR/sbom.spdx.json)"
/usr/bin/python3 - "$ZT_IMG_DIR/sbom.spdx.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
pkgs = {p["SPDXID"]: p for p in doc["packages"]}
rel = doc["relationships"]
owner = {r["relatedSpdxElement"]: pkgs[r["spdxElementId"]] for r in rel if r["relationshipType"] == "CONTAINS"}
linked = {}
for r in rel:
    if r["relationshipType"] == "STATIC_LINK":
        p = pkgs[r["relatedSpdxElement"]]
        linked.setdefault(r["spdxElementId"], []).append("%s %s" % (p["name"], p["versionInfo"]))
for f in doc["files"]:
    p = owner[f["SPDXID"]]
    print("   %-42s %-16s %s" % (f["fileName"][1:], p["name"], p["versionInfo"]))
    for lib in linked.get(f["SPDXID"], []):
        print("   %-42s   linked in: %s" % ("", lib))
EOF
echo "== built $ZT_IMAGE: $(mb "$size") in $(($(date +%s) - t0))s"
