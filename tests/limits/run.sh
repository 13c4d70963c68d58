#!/usr/bin/env bash
# run.sh BIN: limits (issue 5, item 4).
#  - 10,000 probes under `ulimit -n 256`: every probe runs and passes, the concurrency is
#    lowered below the descriptor limit, and the report says so (diagnosis concurrency_capped);
#    also with --concurrency 10000 asked for explicitly.
#  - Config size cap: a file over CONFIG_MAX_BYTES (4 MiB) is refused with exit 2 and a message
#    naming the file and the limit; a valid file just under the cap is accepted; endless
#    inputs (/dev/zero, a FIFO fed forever) are refused within seconds, in bounded memory.
#  - SIGPIPE never kills the agent: `ztprobe run | head -c1`, a reader that is already gone,
#    and -v logs into a closed pipe while --out is still written; watch keeps writing --out
#    with its log pipe closed.
# Prints "ok - ..."/"not ok - ..." and "N passed, M failed"; exits non-zero on a failure.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
zt_agent "${1:-}"
zt_init limits

srv open healthy || exit 1
OPEN=$(port open)
CLOSED=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# ---- 10,000 probes with 256 descriptors
# 6,000 tcp allow to the open port, 3,000 tcp deny to a closed port (refused listed), 1,000 http
# allow: every one needs a socket, so at most ~170 can be in flight.
$PY - "$T/10k.json" "$OPEN" "$CLOSED" <<'EOF'
import json, sys
path, op, cl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
probes = []
for i in range(6000):
    probes.append({"name": "tcp-%d" % i, "kind": "tcp", "host": "127.0.0.1", "port": op, "expect": "allow"})
for i in range(3000):
    probes.append({"name": "deny-%d" % i, "kind": "tcp", "host": "127.0.0.1", "port": cl, "expect": "deny",
                   "deny_outcomes": ["timeout", "unreachable", "refused"]})
for i in range(1000):
    probes.append({"name": "http-%d" % i, "kind": "http", "url": "http://127.0.0.1:%d/health" % op,
                   "expect": "allow", "status": [200]})
cfg = {"version": 1, "defaults": {"timeout_ms": 10000, "concurrency": 1000},
       "dns": {"servers": ["127.0.0.1:9"], "search": False},
       "roles": {"big": {"selector": {}, "probes": probes}}}
json.dump(cfg, open(path, "w"))
cfg["roles"]["big"]["probes"] = probes[:1000]
json.dump(cfg, open(path[:-len("10k.json")] + "1k.json", "w"))
EOF

tenk() { # NAME [EXTRA ARGS]: the 10k run under ulimit -n 256
    local name=$1
    shift
    ( ulimit -n 256 && runm "$name" run -c "$T/10k.json" --role big "$@" &&
        echo "$RC $MS $RSS_KB" >"$T/$name.stat" )
    read -r RC MS RSS_KB <"$T/$name.stat"
    [ "$RC" -eq 0 ]
    check "$name: 10,000 probes with ulimit -n 256: exit 0" status_ok $? "exit $RC; stderr: $(head -c 400 "$T/$name.err" | tr '\n' ' ')"
    [ "$(jq -r '"\(.summary.total) \(.summary.passed)"' "$T/$name.out" 2>/dev/null)" = "10000 10000" ]
    check "$name: report has 10,000 results, all passed" status_ok $? "summary $(jq -c .summary "$T/$name.out" 2>/dev/null)"
    jq -e '[.diagnoses[].code] | index("concurrency_capped")' "$T/$name.out" >/dev/null 2>&1
    check "$name: the report says the concurrency was capped" status_ok $? "diagnoses $(jq -c '[.diagnoses[].code]' "$T/$name.out" 2>/dev/null)"
    local cap
    cap=$(jq -r '.diagnoses[] | select(.code == "concurrency_capped") | .message' "$T/$name.out" 2>/dev/null |
        grep -oE 'lowered to [0-9]+' | grep -oE '[0-9]+')
    [ -n "$cap" ] && [ "$cap" -ge 1 ] && [ "$cap" -lt 256 ]
    check "$name: capped below the descriptor limit (${cap:-?} < 256)" status_ok $? "cap '${cap:-none}'"
    ! grep -qiE 'too many open files|EMFILE' "$T/$name.out" "$T/$name.err"
    check "$name: no EMFILE anywhere" status_ok $? "$(grep -m1 -iE 'too many open files|EMFILE' "$T/$name.out" "$T/$name.err")"
    sanitizer_clean "$name"
    check "$name: no sanitizer report" status_ok $? "$(grep -m1 -E 'Sanitizer|runtime error' "$T/$name.err")"
    [ "$MS" -lt 90000 ]
    check "$name: finished in ${MS} ms" status_ok $? "took $MS ms"
}
ZT_HARD_TIMEOUT=120 tenk limits-10k
ZT_HARD_TIMEOUT=120 tenk limits-10k-c10000 --concurrency 10000

# ---- config size cap (CONFIG_MAX_BYTES: 4 MiB)
CAP=$((4 * 1024 * 1024))
mkcfg() { # FILE TOTAL_BYTES: a valid config padded with blanks to exactly TOTAL_BYTES
    $PY - "$1" "$2" <<'EOF'
import sys
body = b'{"version":1,"roles":{"a":{"selector":{},"probes":[{"name":"t","kind":"tcp","host":"127.0.0.1","port":1,"expect":"deny"}]}}}'
n = int(sys.argv[2])
open(sys.argv[1], "wb").write(body[:-1] + b" " * (n - len(body)) + b"}")
EOF
}
mkcfg "$T/under.json" "$CAP"
runm under validate -c "$T/under.json"
[ "$RC" -eq 0 ]
check "config of exactly 4 MiB (the cap) is accepted" status_ok $? "exit $RC: $(head -c 300 "$T/under.err")"
mkcfg "$T/over.json" $((CAP + 1))
runm over validate -c "$T/over.json"
[ "$RC" -eq 2 ]
check "config of 4 MiB + 1 byte: exit 2" status_ok $? "exit $RC"
grep -q "over.json" "$T/over.err" && grep -qE 'larger|limit|too (big|large)' "$T/over.err"
check "config over the cap: the message names the file and the limit" status_ok $? "stderr: $(head -c 300 "$T/over.err")"
mkcfg "$T/huge.json" $((64 * 1024 * 1024))
runm huge run -c "$T/huge.json" --role a
[ "$RC" -eq 2 ] && [ "$RSS_KB" -lt 65536 ]
check "64 MiB config refused by run (exit 2) without reading it (RSS $((RSS_KB / 1024)) MB)" status_ok $? "exit $RC, RSS $RSS_KB kB"

# Endless inputs: no size known in advance (st_size 0), so the read itself must stop.
runm zero validate -c /dev/zero
[ "$RC" -eq 2 ] && [ "$MS" -lt 10000 ] && [ "$RSS_KB" -lt 65536 ]
check "-c /dev/zero refused: exit $RC in $MS ms, RSS $((RSS_KB / 1024)) MB" status_ok $? "exit $RC, $MS ms, RSS $RSS_KB kB; $(head -c 200 "$T/zero.err")"
mkfifo "$T/fifo.json"
( exec 3>"$T/fifo.json"; while printf '%4096s' ' ' >&3 2>/dev/null; do :; done ) &
FEEDER=$!
zt_track "$FEEDER"
runm fifo validate -c "$T/fifo.json"
kill "$FEEDER" 2>/dev/null
[ "$RC" -eq 2 ] && [ "$MS" -lt 10000 ] && [ "$RSS_KB" -lt 65536 ]
check "config from an endless FIFO refused: exit $RC in $MS ms" status_ok $? "exit $RC, $MS ms, RSS $RSS_KB kB; $(head -c 200 "$T/fifo.err")"
grep -qE 'larger|limit' "$T/fifo.err"
check "endless FIFO: the message names the limit" status_ok $? "stderr: $(head -c 300 "$T/fifo.err")"
# The labels file is read the same way: /dev/zero as labels must not hang or grow.
cat >"$T/sel.json" <<EOF
{"version":1,"roles":{"a":{"selector":{"app":"a"},"probes":[{"name":"t","kind":"tcp","host":"127.0.0.1","port":$OPEN,"expect":"allow"}]}}}
EOF
ZTPROBE_LABELS_FILE=/dev/zero runm labelszero run -c "$T/sel.json"
[ "$RC" -eq 2 ] && [ "$MS" -lt 10000 ] && [ "$RSS_KB" -lt 65536 ]
check "labels file /dev/zero: exit $RC in $MS ms, RSS $((RSS_KB / 1024)) MB" status_ok $? "exit $RC, $MS ms, RSS $RSS_KB kB; $(head -c 200 "$T/labelszero.err")"

# ---- SIGPIPE
cat >"$T/small.json" <<EOF
{"version":1,"dns":{"servers":["127.0.0.1:9"],"search":false},"roles":{"a":{"selector":{},"probes":[
{"name":"open","kind":"tcp","host":"127.0.0.1","port":$OPEN,"expect":"allow"},
{"name":"web","kind":"http","url":"http://127.0.0.1:$OPEN/health","expect":"allow"}]}}}
EOF
# A report larger than a pipe buffer (64 KiB): the 1,000-probe JSON report.
timeout -k 2 60 "$ZT" run -c "$T/1k.json" --role big 2>"$T/pipe1.err" | head -c1 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ]
check "run (1,000 results, > 64 KiB) | head -c1: agent exit $rc, not SIGPIPE" status_ok $? "exit $rc (141 = SIGPIPE)"
[ "$($ZT run -c "$T/1k.json" --role big 2>/dev/null | wc -c)" -gt 65536 ]
check "the 1,000-result report is larger than a pipe buffer" status_ok $? "smaller than 64 KiB: the case proves nothing"
# The reader is gone before the agent writes a byte.
timeout -k 2 30 "$ZT" run -c "$T/small.json" --role a 2>"$T/pipe2.err" | true
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ]
check "run | (closed pipe): agent exit $rc, not SIGPIPE" status_ok $? "exit $rc (141 = SIGPIPE)"
# -v logs go to a closed pipe (stderr) while the report goes to --out: the report is written.
rm -f "$T/pipe3.report"
timeout -k 2 30 "$ZT" run -c "$T/small.json" --role a -v --out "$T/pipe3.report" 2>&1 >/dev/null | true
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && [ "$(jq -r .summary.passed "$T/pipe3.report" 2>/dev/null)" = 2 ]
check "run -v --out F 2>closed pipe: exit $rc and F holds the report" status_ok $? "exit $rc; report: $(head -c 200 "$T/pipe3.report" 2>/dev/null)"
# watch: its JSON log lines go to a closed pipe; it keeps running and writing --out, and
# exits 0 on SIGTERM.
rm -f "$T/watch.report"
( timeout --preserve-status -k 2 3 "$ZT" watch -c "$T/small.json" --role a --interval 200ms \
    --out "$T/watch.report" 2>&1 >/dev/null | true; echo "${PIPESTATUS[0]}" >"$T/watch.rc" ) &
WPIPE=$!
sleep 1.2
m1=$(jq -r .started_at "$T/watch.report" 2>/dev/null)
sleep 1.2
m2=$(jq -r .started_at "$T/watch.report" 2>/dev/null)
wait "$WPIPE" # timeout sends SIGTERM at 3 s; --preserve-status gives watch's own exit code
rc=$(cat "$T/watch.rc" 2>/dev/null)
[ -n "$m1" ] && [ -n "$m2" ] && [ "$m2" != null ] && [ "$m1" != "$m2" ]
check "watch with its log pipe closed keeps writing --out (started_at $m1 -> $m2)" status_ok $? "before '$m1', after '$m2'"
[ "$rc" = 0 ]
check "watch with its log pipe closed: exit 0 on SIGTERM" status_ok $? "exit '${rc:-?}' (141 = SIGPIPE)"

zt_finish
