#!/bin/sh
# shellcheck disable=SC2046
# tests/image/rootfs.sh BIN VERSION DEPS OUT: the runtime image's whole filesystem, assembled in OUT
# by the Dockerfile's build stage (the runtime stage is FROM scratch and copies OUT alone):
#
#   /usr/local/bin/ztprobe          BIN, stripped (libcurl, libpq, ... linked in: tests/image/deps.sh)
#   the shared objects `ldd BIN` lists, at the paths it lists (libc and the dynamic loader)
#   /etc/ssl/certs/ca-certificates.crt   the CA bundle the https and postgres probes default to
#   /etc/passwd, /etc/group         the one user, 65532 ("nonroot"), and its group
#   /etc/nsswitch.conf              files for users, files then DNS for hosts (libc's defaults
#                                   would look for NSS modules the image does not have)
#   /usr/share/doc/SOURCE/copyright the licence of every Debian source package shipped
#   /usr/share/doc/ztprobe/sbom.spdx.json   SPDX 2.3: each file above, with the Debian source
#                                   package and version it came from (tests/image/sbom.sh)
#   mount points: /etc/ztprobe, /etc/podinfo, /tmp, /dev, /proc; /etc/resolv.conf (empty) and
#                 /etc/hosts (localhost only), which the engine or the kubelet replace
#
# No shell, no package manager, no other program.
set -eu
BIN=$1 VERSION=$2 DEPS=$3 OUT=$4
HERE=$(dirname "$0")
MAN=$OUT.manifest # "PATH SOURCE VERSION" per shipped file
: >"$MAN"
mkdir -p "$OUT"

# ship SRC DST SOURCE SOURCE-VERSION [MODE]. Callers split "SOURCE VERSION" pairs into the two
# arguments on purpose (neither has spaces): SC2046 is off for the file.
ship() {
    install -D -m "${5:-0644}" "$1" "$OUT$2"
    echo "$2 $3 $4" >>"$MAN"
}
# deb_of PATH: "SOURCE VERSION" of the installed package owning PATH (bookworm is usr-merged:
# a file may be registered under /lib or /usr/lib, by its own name or its link's).
deb_of() {
    real=$(readlink -f "$1")
    for p in "$1" "$real" "/usr$1" "${real#/usr}"; do
        pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) || true
        if [ -n "$pkg" ]; then
            dpkg-query -W -f='${source:Package} ${source:Version}' "$pkg"
            return 0
        fi
    done
    echo "rootfs.sh: no package owns $1" >&2
    return 1
}

# The program, stripped.
install -D -m 0755 -s "$BIN" "$OUT/usr/local/bin/ztprobe"
echo "/usr/local/bin/ztprobe ztprobe $VERSION" >>"$MAN"

# Its shared objects, as the dynamic loader will look for them.
ldd "$BIN" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}' | while read -r so; do
    ship "$(readlink -f "$so")" "$so" $(deb_of "$so") 0755
done

ship /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt \
    $(dpkg-query -W -f='${source:Package} ${source:Version}' ca-certificates)

mkdir -p "$OUT/etc"
echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' >"$OUT/etc/passwd"
echo 'nonroot:x:65532:' >"$OUT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$OUT/etc/nsswitch.conf"
for f in passwd group nsswitch.conf; do echo "/etc/$f ztprobe $VERSION" >>"$MAN"; done

# The licences: the static libraries' (kept by deps.sh) and the shipped packages' own.
for c in "$DEPS"/share/ztprobe/copyright/*; do
    src=$(basename "$c")
    ship "$c" "/usr/share/doc/$src/copyright" \
        $(awk -v s="$src" '$1 == s {print $1, $2; exit}' "$DEPS/share/ztprobe/sources")
done
{ awk '{print $2, $3}' "$MAN"; awk '{print $1, $2}' "$DEPS/share/ztprobe/sources"; } |
    sort -u | while read -r src ver; do
    [ "$src" = ztprobe ] && continue
    [ -e "$OUT/usr/share/doc/$src/copyright" ] && continue
    for pkg in $(dpkg-query -W -f='${Package} ${source:Package}\n' | awk -v s="$src" '$2 == s {print $1}'); do
        if [ -f "/usr/share/doc/$pkg/copyright" ]; then
            ship "/usr/share/doc/$pkg/copyright" "/usr/share/doc/$src/copyright" "$src" "$ver"
            break
        fi
    done
done

# Mount points (the kubelet and `make image-test` mount onto them) and the emptyDir's /tmp.
mkdir -p "$OUT/etc/ztprobe" "$OUT/etc/podinfo" "$OUT/dev" "$OUT/proc" "$OUT/tmp"
chmod 1777 "$OUT/tmp"
: >"$OUT/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$OUT/etc/hosts"
for f in resolv.conf hosts; do echo "/etc/$f ztprobe $VERSION" >>"$MAN"; done

mkdir -p "$OUT/usr/share/doc/ztprobe"
sh "$HERE/sbom.sh" "$OUT" "$MAN" "$DEPS/share/ztprobe/sources" "$VERSION" \
    >"$OUT/usr/share/doc/ztprobe/sbom.spdx.json"
rm -f "$MAN"
