#!/bin/bash
# udp_family.sh BIN: the targets of the dual-stack/UDP issue, measured in two network
# namespaces of its own (a client and a dual-stack server, zbu<pid>c / zbu<pid>s, linked to
# nothing else; nftables in the server drops the probed ports):
#   1. family: all costs no more wall time than the slowest family (addresses in parallel);
#   2. 1,000 udp probes at concurrency 1,000 under `ulimit -n 256` are capped (the
#      concurrency_capped diagnosis) and finish within 1.2 x T, T = rounds x timeout;
#   3. per-probe memory under 10 KB: peak RSS of 1,000 udp probes in flight at once, minus
#      that of 10, over 990.
# Prints one line per target with PASS/MISS and the numbers, writes them to
# tests/bench/results/udp_family.md, exits 1 on a MISS. About 20 s.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: udp_family.sh BIN" >&2; exit 2; }
BIN=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "udp_family.sh: needs root (network namespaces)" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
C=zbu$$c
S=zbu$$s
TMP=$(mktemp -d /tmp/ztbench-udp.XXXXXX)
DNSPID=""
cleanup() {
    trap - EXIT INT TERM
    [ -n "$DNSPID" ] && kill "$DNSPID" 2>/dev/null
    for ns in $C $S; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in $C $S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip link add "zbu$$c0" netns "$C" type veth peer name "zbu$$s0" netns "$S"
ip -n "$C" addr add 10.96.0.1/24 dev "zbu$$c0"
ip -n "$C" addr add fd00:96::1/64 dev "zbu$$c0" nodad
ip -n "$S" addr add 10.96.0.2/24 dev "zbu$$s0"
ip -n "$S" addr add fd00:96::2/64 dev "zbu$$s0" nodad
ip -n "$C" link set "zbu$$c0" up
ip -n "$S" link set "zbu$$s0" up
ip netns exec "$S" nft -f - <<'EOF'
table inet zt_bench {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport 7000 drop
        tcp dport 7000 drop
    }
}
EOF
ip netns exec "$C" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --port=53 --listen-address=127.0.0.1 --bind-interfaces -u root --pid-file="$TMP/dns.pid" \
    --local=/bench/ --host-record=dual.bench,10.96.0.2,fd00:96::2 2>"$TMP/dns.log" &
DNSPID=$!
for _ in $(seq 30); do [ -s "$TMP/dns.pid" ] && break; sleep 0.1; done

# matrix FILE N KIND FAMILY TIMEOUT_MS CONCURRENCY: N deny probes into the drop.
matrix() {
    "$PY" - "$@" <<'EOF'
import json, sys
path, n, kind, fam, tmo, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
probes = [{"name": "p%d" % i, "kind": kind, "host": "dual.bench", "port": 7000, "family": fam,
           "expect": "deny"} for i in range(n)]
json.dump({"version": 1, "defaults": {"timeout_ms": tmo, "concurrency": conc},
           "dns": {"servers": ["127.0.0.1:53"], "search": False},
           "roles": {"b": {"probes": probes}}}, open(path, "w"))
EOF
}

# run NAME NOFILE ARGS...: the agent in the client namespace; wall ms and peak RSS (kB).
run() {
    local name=$1 nofile=$2
    shift 2
    local t0 t1
    t0=$(date +%s%N)
    ip netns exec "$C" bash -c 'ulimit -n "$1"; shift; exec /usr/bin/time -f %M -o "$0" "$@"' \
        "$TMP/$name.rss" "$nofile" "$BIN" run --role b "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" || true
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000)) >"$TMP/$name.ms"
}
field() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/$1.json" "$2"; }

RES=$HERE/results/udp_family.md
MISS=0
line() { # TARGET VERDICT NUMBERS
    printf '| %s | %s | %s |\n' "$1" "$2" "$3" | tee -a "$RES.tmp"
    [ "$2" = PASS ] || MISS=1
}
printf '# udp and family benchmarks (%s, %s)\n\n| target | result | measured |\n|---|---|---|\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc) CPUs" >"$RES.tmp"

# 1. family all vs the slowest family: 100 tcp and 100 udp probes into a drop on both
#    families, 500 ms each; run alone, each family takes one timeout, so must all.
for kind in tcp udp; do
    for fam in ipv4 ipv6 all; do
        matrix "$TMP/f-$kind-$fam.cfg" 100 "$kind" "$fam" 500 1000
        run "f-$kind-$fam" 4096 -c "$TMP/f-$kind-$fam.cfg"
    done
    v4=$(field "f-$kind-ipv4" 'r["duration_ms"]'); v6=$(field "f-$kind-ipv6" 'r["duration_ms"]')
    al=$(field "f-$kind-all" 'r["duration_ms"]')
    naddr=$(field "f-$kind-all" 'len(r["results"][0]["addresses"])')
    ok=$("$PY" -c "import sys; v4,v6,al=map(float,sys.argv[1:]); print('PASS' if al <= max(v4,v6)*1.1+20 else 'MISS')" "$v4" "$v6" "$al")
    [ "$naddr" = 2 ] || ok=MISS
    line "family all ($kind, 100 probes, $naddr addresses each) <= slowest family" "$ok" \
        "ipv4 ${v4} ms, ipv6 ${v6} ms, all ${al} ms"
done

# 2. 1,000 udp probes, concurrency 1,000, ulimit -n 256: capped, within 1.2 x T.
matrix "$TMP/cap.cfg" 1000 udp ipv4 200 1000
run cap 256 -c "$TMP/cap.cfg"
capped=$(field cap '[d["message"] for d in r["diagnoses"] if d["code"]=="concurrency_capped"]')
cap=$(grep -o 'lowered from [0-9]* to [0-9]*' "$TMP/cap.err" | awk '{print $5}' | head -1)
passed=$(field cap 'r["summary"]["passed"]')
ms=$(cat "$TMP/cap.ms")
T=$("$PY" -c "import math,sys; print(math.ceil(1000/int(sys.argv[1]))*200)" "${cap:-1}")
ok=$("$PY" -c "import sys; print('PASS' if float(sys.argv[1]) <= 1.2*float(sys.argv[2]) else 'MISS')" "$ms" "$T")
{ [ -n "$cap" ] && [ "$capped" != "[]" ] && [ "$passed" = 1000 ]; } || ok=MISS
line "1,000 udp probes, concurrency 1,000, ulimit -n 256: capped, <= 1.2 x T" "$ok" \
    "capped to ${cap:-?}, $passed passed, wall $ms ms, T = $T ms (ceil(1000/cap) x 200 ms)"

# 3. Per-probe memory: 1,000 udp probes in flight at once against 10.
matrix "$TMP/m10.cfg" 10 udp ipv4 500 1000
matrix "$TMP/m1000.cfg" 1000 udp ipv4 500 1000
run m10 4096 -c "$TMP/m10.cfg"
run m1000 4096 -c "$TMP/m1000.cfg"
r10=$(cat "$TMP/m10.rss"); r1000=$(cat "$TMP/m1000.rss")
per=$("$PY" -c "import sys; print(round((int(sys.argv[2])-int(sys.argv[1]))*1024/990))" "$r10" "$r1000")
ok=$([ "$per" -lt 10240 ] && echo PASS || echo MISS)
line "per udp probe memory < 10 KB" "$ok" "peak RSS $r10 kB (10 probes), $r1000 kB (1,000): $per bytes per probe"
mv "$RES.tmp" "$RES"
exit $MISS
