#!/bin/sh
# Installs the Debian 12 packages ztprobe needs, idempotently (apt is asked only when something
# is missing). Profiles, each including the one before:
#   build  the compiler and the libraries' -dev packages (`make`)
#   lab    the policy lab's servers and tools (`make demo`, `make lab`)
#   test   everything `make test`, `make fuzz` and `make image` use (the default)
set -eu
BUILD="build-essential pkg-config libssl-dev libcurl4-openssl-dev libpq-dev libc-ares-dev libcjson-dev
libyaml-dev"
LAB="postgresql-15 postgresql-client-15 dnsmasq-base nftables iproute2 openssl ca-certificates
python3 python3-yaml curl procps psmisc"
TEST="libcmocka-dev valgrind jq prometheus libxml2-utils clang libclang-rt-14-dev time binutils
podman debootstrap strace busybox
python3-jsonschema chromium prometheus-pushgateway clang-format"
case "${1:-test}" in
build) PKGS=$BUILD ;;
lab) PKGS="$BUILD $LAB" ;;
test) PKGS="$BUILD $LAB $TEST" ;;
*) echo "usage: tests/deps.sh [build|lab|test]" >&2; exit 2 ;;
esac
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
