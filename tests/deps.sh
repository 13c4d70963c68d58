#!/bin/sh
# Installs the Debian 12 packages that ztprobe's build, tests, lab and demo need. Idempotent:
# asks apt only when something is missing.
set -eu
PKGS="build-essential pkg-config libcurl4-openssl-dev libpq-dev libc-ares-dev libcjson-dev
libcmocka-dev libyaml-dev postgresql-15 postgresql-client-15 dnsmasq-base nftables iproute2 openssl ca-certificates
python3 python3-yaml curl valgrind procps psmisc jq prometheus libxml2-utils
clang libclang-rt-14-dev time binutils podman debootstrap"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ztprobe: missing packages:$missing; run 'sudo make deps'" >&2
    exit 2
fi
echo "ztprobe: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
