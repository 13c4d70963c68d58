#!/bin/bash
# run.sh BIN: `make bench`. Brings the policy lab up (tests/lab/lab.sh), measures BIN against the
# seed's way (curl/psql/dig one by one), Prometheus blackbox_exporter and curl --parallel on the
# govtech role matrices, two 1000-probe HTTP matrices and a 10..10000-probe scaling series
# (bench.py; its allow probes go to httpd.c, a listener it starts in the backend pod), prints the
# table with PASS/MISS beside each target of issue 6, saves tests/bench/results/latest.{md,json}
# and tears the lab down (also on failure or Ctrl-C). Every probe runs inside the lab's
# namespaces; nothing is sent from the host's namespace. About 5 minutes on 2 CPUs.
#
# The image of `make image`, when built, is measured beside BIN (tests/bench/image.py): run.sh
# mounts it and runs bench.py inside tests/image/inpod.sh's mounts (a private mount namespace:
# the lab backend's CA at /etc/ztprobe, its kube-dns resolv.conf, the host's /tmp, a read-only
# root), where `chroot ROOT /usr/local/bin/ztprobe` is the image's binary on its own libc.
#
# BENCH_QUICK=1: fewer repetitions (a smoke run of the harness, not a result to publish).
# BENCH_IMAGE_ONLY=1: the image's figures alone (start-up and backend matrices, ~1 minute).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: run.sh BIN" >&2; exit 2; }
BIN=$(realpath "$1")
[ -x "$BIN" ] || { echo "run.sh: $1 is not an executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (network namespaces)" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ left in the tree
LAB=$REPO/tests/lab/lab.sh
PREFIX=zb$(($$ % 10000000))
TMP=$(mktemp -d /tmp/ztbench.XXXXXX)
BB_SERVICE=prometheus-blackbox-exporter

# Bench-only packages, installed here so that `make test` stays lean: blackbox_exporter, and
# dig. hyperfine is not needed: bench.py measures wall, CPU and peak RSS in one pass (wait4).
bench_deps() {
    local p missing="" bb_new=0
    for p in prometheus-blackbox-exporter bind9-dnsutils; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    case $missing in *prometheus-blackbox-exporter*) bb_new=1 ;; esac
    echo "bench: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    if [ $bb_new -eq 1 ]; then
        # The package starts and enables a host-wide exporter: the bench runs its own inside a
        # lab pod, and the host's namespace must not probe anything.
        if [ -d /run/systemd/system ]; then
            systemctl stop "$BB_SERVICE" >/dev/null 2>&1 || true
        elif [ -x /etc/init.d/$BB_SERVICE ]; then
            /etc/init.d/$BB_SERVICE stop >/dev/null 2>&1 || true
        fi
        systemctl disable "$BB_SERVICE" >/dev/null 2>&1 || update-rc.d "$BB_SERVICE" disable >/dev/null 2>&1 || true
    fi
}

IMG_MNT=
cleanup() {
    trap - EXIT INT TERM
    bash "$LAB" down "$PREFIX" || true
    [ -n "$IMG_MNT" ] && zt_podman image unmount "$ZT_IMAGE" >/dev/null 2>&1
    rm -rf "$TMP"
}

bench_deps
# 10,000 probes at once need about 10,000 sockets in ztprobe (it caps its concurrency at 3/4
# of the open-files limit), in the curl drivers and in blackbox_exporter.
hard=$(ulimit -Hn)
want=65536
[ "$hard" != unlimited ] && [ "$hard" -lt $want ] && want=$hard
ulimit -n "$want"
[ "$want" -ge 13400 ] || echo "bench: ulimit -n is $want: the 10000-probe matrix runs with less concurrency" >&2

trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
# The measuring helper (see rusage.c: bench.py's own children would inherit its peak RSS) and
# the bench listener (see httpd.c: the lab's Python servers drop connects past a few thousand).
for c in rusage httpd; do
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$TMP/$c" "$HERE/$c.c"
done
export ZTBENCH_RUSAGE=$TMP/rusage ZTBENCH_HTTPD=$TMP/httpd
echo "bench: lab $PREFIX coming up" >&2
bash "$LAB" up "$PREFIX" "$REPO/config/lab.json"
args=(--bin "$BIN" --prefix "$PREFIX" --results "$HERE/results")
[ "${BENCH_QUICK:-0}" = 1 ] && args+=(--quick)
wrap=()
. "$REPO/tests/image/lib.sh"
if zt_podman image exists "$ZT_IMAGE" 2>/dev/null; then
    IMG_MNT=$(zt_podman image mount "$ZT_IMAGE")
    v=$TMP/vols
    mkdir -p "$v/podinfo"
    ln -s "/etc/netns/$PREFIX-be/ztprobe-lab" "$v/config"
    ln -s "/etc/netns/$PREFIX-be/resolv.conf" "$v/resolv.conf"
    ln -s /etc/hosts "$v/hosts"
    ln -s /tmp "$v/tmp"
    args+=(--image-root "$IMG_MNT" --image-size "$(zt_podman image inspect --format '{{.Size}}' "$ZT_IMAGE")")
    [ "${BENCH_IMAGE_ONLY:-0}" = 1 ] && args+=(--image-only)
    wrap=(unshare -m --propagation private bash "$REPO/tests/image/inpod.sh" "$IMG_MNT" "$v" --)
else
    echo "bench: no image $ZT_IMAGE (make image): its targets are reported as missed" >&2
fi
"${wrap[@]}" "$PY" "$HERE/bench.py" "${args[@]}"
echo "bench: done in $(($(date +%s) - t0)) s; results in tests/bench/results/latest.md and latest.json" >&2
