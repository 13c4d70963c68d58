#!/usr/bin/env bash
# run.sh BIN: limits (issue 5, item 4).
#  - 10,000 probes under `ulimit -n 256`: every probe runs and passes, the concurrency is
#    lowered below the descriptor limit, and the report says so (diagnosis concurrency_capped);
#    also with --concurrency 10000 asked for explicitly.
#  - Config size cap: a file over CONFIG_MAX_BYTES (4 MiB) is refused with exit 2 and a message
#    naming the file and the limit; a valid file just under the cap is accepted; endless
#    inputs (/dev/zero, a FIFO fed forever) are refused within seconds, in bounded memory;
#    a FIFO or pipe whose writer stays silent ends in exit 2 after 10 s, never a hang; a
#    config on a pipe (-c -, /dev/stdin, <(...)) is read, and `-c - --policies -` too.
#  - merge memory: hostile 16 MiB reports (many results, a huge array, a huge result, many
#    keys), 10,000 results of the smallest JSON the schema allows (with and without an empty
#    policy object each: they cost 9.7x and 14.9x before result_t owned its texts) and a
#    legitimate 10,000-result one cost at most 8x their size.
#  - stdin: --stdin-end TOKEN ends an open stream at the plugin's line, refuses bytes after it
#    and input without it; without the flag a line "..." ends nothing.
#  - objects.sh (issue 18): stdin read to its end (a policy after "..." counts), duplicate keys,
#    the reader's cost on hostile inputs (tests/bench/reader_bench.py) in bounded memory, the API
#    server's caps (labels, annotations, podIPs), the time limit of policy check.
#  - merge.sh (issue 18): merge -o html|text|json of three 10,000-result reports, merge - on a
#    silent pipe.
#  - SIGTERM during --out: no temporary file left; the folder fsynced after the rename.
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
# A config FIFO is read bounded in size and time: fed forever, refused at the cap; with no
# writer at all (the open itself used to block forever) or a silent one, exit 2 after the
# 10 s idle deadline, naming the file. The labels and password files still refuse FIFOs.
mkfifo "$T/fifo.json"
( exec 3>"$T/fifo.json"; while printf '%4096s' ' ' >&3 2>/dev/null; do :; done ) &
FEEDER=$!
zt_track "$FEEDER"
runm fifo validate -c "$T/fifo.json"
kill "$FEEDER" 2>/dev/null
[ "$RC" -eq 2 ] && [ "$MS" -lt 10000 ] && [ "$RSS_KB" -lt 65536 ]
check "config from an endless FIFO refused: exit $RC in $MS ms" status_ok $? "exit $RC, $MS ms, RSS $RSS_KB kB; $(head -c 200 "$T/fifo.err")"
grep -q "$T/fifo.json: larger than the 4194304-byte limit" "$T/fifo.err"
check "endless FIFO: the message names the file and the cap" status_ok $? "stderr: $(head -c 300 "$T/fifo.err")"
mkfifo "$T/idle.json"
# The three 10 s deadlines below (no writer, a silent writer, a silent stdin) are idle waits of
# their own: they run together, and are checked in turn. bg_stat NAME CMD...: CMD in the
# background, its "RC MS RSS_KB" kept in $T/NAME.stat; stat_of NAME sets RC, MS and RSS_KB.
bg_stat() { local n=$1; shift; ( "$@"; echo "$RC $MS ${RSS_KB:-0}" >"$T/$n.stat" ) & }
stat_of() { read -r RC MS RSS_KB <"$T/$1.stat" 2>/dev/null || RC=x MS=x RSS_KB=0; }
ZT_HARD_TIMEOUT=20 bg_stat fifo-idle runm fifo-idle validate -c "$T/idle.json"
IDLE1=$!
# A writer that opens the FIFO and stays silent (a stuck process substitution).
mkfifo "$T/silent.json"
( exec 3>"$T/silent.json"; sleep 30 ) &
SILENT=$!
zt_track "$SILENT"
ZT_HARD_TIMEOUT=20 bg_stat fifo-silent runm fifo-silent validate -c "$T/silent.json"
IDLE2=$!
# validate_stdin NAME FIFO: `validate -c -` with stdin from FIFO, at most 20 s; sets RC and MS,
# output in $T/NAME.out and $T/NAME.err.
validate_stdin() {
    local st0
    st0=$(date +%s%N)
    timeout -k 2 20 "$ZT" validate -c - <"$2" >"$T/$1.out" 2>"$T/$1.err"
    RC=$?
    MS=$((($(date +%s%N) - st0) / 1000000))
}
# stdin left open and silent (kubectl exec -i with nothing sent): the same, for -c -.
mkfifo "$T/stdin.fifo"
sleep 30 >"$T/stdin.fifo" &
SILENT2=$!
zt_track "$SILENT2"
bg_stat stdin-silent validate_stdin stdin-silent "$T/stdin.fifo"
IDLE3=$!
wait "$IDLE1" "$IDLE2" "$IDLE3"
kill "$SILENT" "$SILENT2" 2>/dev/null
stat_of fifo-idle
[ "$RC" -eq 2 ] && [ "$MS" -ge 9000 ] && [ "$MS" -lt 15000 ] &&
    grep -q "$T/idle.json: cannot read: no data and no end of input for 10 s" "$T/fifo-idle.err"
check "config from a FIFO nobody writes: exit $RC after $MS ms (10 s deadline), no hang" status_ok $? "exit $RC (124 = hung), $MS ms; $(head -c 200 "$T/fifo-idle.err")"
stat_of fifo-silent
[ "$RC" -eq 2 ] && [ "$MS" -ge 9000 ] && [ "$MS" -lt 15000 ] && grep -q "$T/silent.json: cannot read: no data" "$T/fifo-silent.err"
check "config FIFO with a silent writer: exit $RC after $MS ms, names the file" status_ok $? "exit $RC (124 = hung), $MS ms; $(head -c 200 "$T/fifo-silent.err")"
stat_of stdin-silent
[ "$RC" -eq 2 ] && [ "$MS" -ge 9000 ] && [ "$MS" -lt 15000 ] &&
    grep -q -- "-: cannot read: no data and no end of input for 10 s" "$T/stdin-silent.err"
check "-c - on a silent pipe: exit $RC after $MS ms (stdin from a silent sleep), no hang" status_ok $? "exit $RC (124 = hung), $MS ms; $(head -c 200 "$T/stdin-silent.err")"
# The labels file is read the same way: /dev/zero as labels must not hang or grow.
cat >"$T/sel.json" <<EOF
{"version":1,"roles":{"a":{"selector":{"app":"a"},"probes":[{"name":"t","kind":"tcp","host":"127.0.0.1","port":$OPEN,"expect":"allow"}]}}}
EOF
ZTPROBE_LABELS_FILE=/dev/zero runm labelszero run -c "$T/sel.json"
[ "$RC" -eq 2 ] && [ "$MS" -lt 10000 ] && [ "$RSS_KB" -lt 65536 ]
check "labels file /dev/zero: exit $RC in $MS ms, RSS $((RSS_KB / 1024)) MB" status_ok $? "exit $RC, $MS ms, RSS $RSS_KB kB; $(head -c 200 "$T/labelszero.err")"
ZTPROBE_LABELS_FILE=$T/idle.json ZT_HARD_TIMEOUT=10 runm labelsfifo run -c "$T/sel.json"
[ "$RC" -eq 2 ] && [ "$MS" -lt 5000 ] && grep -q 'FIFO' "$T/labelsfifo.err"
check "labels file that is a FIFO nobody writes: exit $RC in $MS ms, says FIFO" status_ok $? "exit $RC (124 = hung), $MS ms; $(head -c 200 "$T/labelsfifo.err")"
# stdin that is never closed (kubectl debug -i): with --stdin-end TOKEN the input ends at the
# line "# ztprobe end of input TOKEN" (the plugin sends it), at once, not at the 10 s deadline;
# bytes after it are refused, and so is a stream that ends without it. Without the flag a line
# "..." or a closing brace no longer ends stdin: the open stream hits the idle deadline.
TOK=0123456789abcdef0123456789abcdef
# validate_open NAME SRC [FLAGS...]: `validate -c - FLAGS` with stdin SRC then kept open 30 s.
validate_open() {
    local name=$1 src=$2 st0
    shift 2
    rm -f "$T/$name.fifo"
    mkfifo "$T/$name.fifo"
    (cat "$src"; exec sleep 30) >"$T/$name.fifo" &
    HOLD=$!
    zt_track "$HOLD"
    st0=$(date +%s%N)
    timeout -k 2 20 "$ZT" validate -c - "$@" <"$T/$name.fifo" >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
    MS=$((($(date +%s%N) - st0) / 1000000))
    kill "$HOLD" 2>/dev/null
}
printf 'version: 1\nroles:\n  a:\n    selector: {app: a}\n    probes: [{name: t, kind: tcp, host: 127.0.0.1, port: %s, expect: allow}]\n' "$OPEN" >"$T/sel.yaml"
for kind in json yaml; do
    { cat "$T/sel.$kind"; echo; echo "# ztprobe end of input $TOK"; } >"$T/open-$kind.in"
    validate_open open-$kind "$T/open-$kind.in" --stdin-end "$TOK"
    [ "$RC" -eq 0 ] && [ "$MS" -lt 5000 ]
    check "-c - --stdin-end with stdin left open, $kind config: read in $MS ms (exit $RC)" status_ok $? "exit $RC, $MS ms; $(head -c 200 "$T/open-$kind.err")"
done
{ cat "$T/sel.yaml"; echo "# ztprobe end of input $TOK"; echo 'roles: {}'; } >"$T/open-trail.in"
validate_open open-trail "$T/open-trail.in" --stdin-end "$TOK"
[ "$RC" -eq 2 ] && [ "$MS" -lt 5000 ] && grep -q -- '-: cannot read: bytes after the end line' "$T/open-trail.err"
check "--stdin-end: bytes after the end line (stream left open): exit $RC in $MS ms" status_ok $? "exit $RC, $MS ms; $(head -c 200 "$T/open-trail.err")"
{ cat "$T/sel.yaml"; echo "# ztprobe end of input $TOK"; echo 'x: 1'; } |
    timeout 20 "$ZT" validate -c - --stdin-end "$TOK" >"$T/pipe-trail.out" 2>"$T/pipe-trail.err"
RC=$?
[ "$RC" -eq 2 ] && grep -q 'bytes after the end line' "$T/pipe-trail.err"
check "--stdin-end: bytes after the end line (a pipe that closes): exit $RC" status_ok $? "exit $RC; $(head -c 200 "$T/pipe-trail.err")"
{ cat "$T/sel.yaml"; echo "# ztprobe end of input ${TOK}0"; } >"$T/other-tok.yaml"
timeout 20 "$ZT" validate -c - --stdin-end "$TOK" <"$T/other-tok.yaml" >"$T/notok.out" 2>"$T/notok.err"
RC=$?
[ "$RC" -eq 2 ] && grep -q 'ended without its end line' "$T/notok.err"
check "--stdin-end: a file without the end line (another token): exit $RC" status_ok $? "exit $RC; $(head -c 200 "$T/notok.err")"
timeout 20 "$ZT" validate -c - --stdin-end short <"$T/sel.yaml" >"$T/badtok.out" 2>"$T/badtok.err"
RC=$?
[ "$RC" -eq 2 ] && grep -q -- '--stdin-end: must be 16..64 letters and digits' "$T/badtok.err"
check "--stdin-end with a malformed token: exit $RC" status_ok $? "exit $RC; $(head -c 200 "$T/badtok.err")"
{ cat "$T/sel.yaml"; echo '...'; } >"$T/dots.yaml"
ZT_HARD_TIMEOUT=20 validate_open open-dots "$T/dots.yaml"
[ "$RC" -eq 2 ] && [ "$MS" -ge 9000 ] && grep -q 'no data and no end of input' "$T/open-dots.err"
check "without --stdin-end a line '...' does not end an open stdin (exit $RC after $MS ms)" status_ok $? "exit $RC, $MS ms; $(head -c 200 "$T/open-dots.err")"

# A config on a pipe is read: -c -, -c /dev/stdin, -c <(...); and -c - --policies - as one
# YAML stream, the config first (a JSON document), the objects after ---.
for how in - /dev/stdin; do
    # shellcheck disable=SC2002
    cat "$T/sel.json" | timeout 20 "$ZT" validate -c "$how" >"$T/pipe.out" 2>"$T/pipe.err"
    RC=$?
    [ "$RC" -eq 0 ] && grep -q ": valid (1 role" "$T/pipe.out"
    check "config piped to -c $how: read (exit $RC)" status_ok $? "exit $RC; $(head -c 200 "$T/pipe.err")"
done
timeout 20 "$ZT" validate -c <(cat "$T/sel.json") >"$T/psub.out" 2>"$T/psub.err"
RC=$?
[ "$RC" -eq 0 ]
check "config from a process substitution: read (exit $RC)" status_ok $? "exit $RC; $(head -c 200 "$T/psub.err")"
cat >"$T/objs.yaml" <<'OBJS'
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: lim, labels: {app: a}}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: lim}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
OBJS
{ cat "$T/sel.json"; echo '---'; cat "$T/objs.yaml"; } |
    POD_NAMESPACE=lim timeout 30 "$ZT" run -c - --policies - --role a -o json >"$T/both.out" 2>"$T/both.err"
RC=$?
jq -e '.results[0].name == "t"' "$T/both.out" >/dev/null 2>&1 && grep -q "deny-all" "$T/both.out"
check "-c - --policies -: one stream, the config then the objects (exit $RC; the policy is named)" status_ok $? "exit $RC; $(head -c 300 "$T/both.err")"

# The object reader under hostile input (issue 18).
. "$(dirname "${BASH_SOURCE[0]}")/objects.sh"
. "$(dirname "${BASH_SOURCE[0]}")/merge.sh"

# A password file that is a FIFO: the probe ends with the reason, the loop does not hang on it.
cat >"$T/pwfifo.json" <<EOF
{"version":1,"roles":{"a":{"selector":{},"probes":[{"name":"pg","kind":"postgres","host":"127.0.0.1","port":$OPEN,
 "user":"u","dbname":"d","password_file":"$T/idle.json","sslmode":"disable","expect":"allow","timeout_ms":1000}]}}}
EOF
ZT_HARD_TIMEOUT=10 runm pwfifo run -c "$T/pwfifo.json" --role a
[ "$RC" -eq 1 ] && [ "$MS" -lt 5000 ] && jq -e '.results[0].detail | test("FIFO")' "$T/pwfifo.out" >/dev/null 2>&1
check "password_file that is a FIFO: exit $RC in $MS ms, detail says FIFO" status_ok $? "exit $RC (124 = hung), $MS ms; $(jq -c '.results[0]|{outcome,detail}' "$T/pwfifo.out" 2>/dev/null)"

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


# ---- SIGTERM while --out is written: never a temporary file left beside the report.
# `run --out` (SIGTERM's default action) and `watch --out` (its handler), each killed at many
# points around the moment the 1,000-result report (> 64 KiB) is written.
mkdir -p "$T/outdir"
# Deterministic first: strace holds every fsync for a second, and SIGTERM arrives while the
# temporary file is being synced (the window is too short to hit by chance on tmpfs).
( exec strace -f -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=2000000 \
    "$ZT" run -c "$T/small.json" --role a --out "$T/outdir/r.json" >/dev/null 2>&1 ) &
ST=$!
for _ in $(seq 100); do # until the temporary file exists: its fsync is being held
    ls -A "$T/outdir" | grep -q '^\.ztprobe-report\.' && break
    sleep 0.05
done
AG=$(ps --ppid "$ST" -o pid= | tr -d ' ')
[ -n "$AG" ] && kill -TERM "$AG"
wait "$ST"
! ls -A "$T/outdir" | grep -q '^\.ztprobe-report\.'
check "run --out, SIGTERM during the fsync of the temporary file (strace delay): none left" status_ok $? "left: $(ls -A "$T/outdir" | tr '\n' ' ') (agent pid '${AG:-none}')"
rm -f "$T/outdir"/.ztprobe-report.* "$T/outdir/r.json"
# The folder is fsynced after the rename (the rename itself must reach the disk).
strace -f -o "$T/st.log" -e trace=openat,rename,fsync "$ZT" run -c "$T/small.json" --role a \
    --out "$T/outdir/r.json" >/dev/null 2>&1
$PY - "$T/st.log" "$T/outdir" <<'PYEOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
renamed = dir_fd = None
for i, l in enumerate(lines):
    if "rename(" in l and "r.json" in l and "= 0" in l:
        renamed = i
    m = re.search(r'openat\(AT_FDCWD, "%s", [^)]*O_DIRECTORY[^)]*\) = (\d+)' % re.escape(sys.argv[2]), l)
    if m and renamed is not None:
        dir_fd = m.group(1)
    if dir_fd and re.search(r"fsync\(%s\) += 0" % dir_fd, l):
        sys.exit(0)
sys.exit(1)
PYEOF
check "run --out: the folder is opened and fsynced after the rename (strace)" status_ok $? "$(grep -E 'rename|O_DIRECTORY|fsync' "$T/st.log" | tail -4 | tr '\n' ' ')"
t0=$(date +%s%N)
"$ZT" run -c "$T/1k.json" --role big --out "$T/outdir/r.json" 2>/dev/null
D=$((($(date +%s%N) - t0) / 1000000))
# term_after SECONDS CMD...: runs CMD, sends it SIGTERM after SECONDS, and counts in $leftover
# the runs that left a temporary file in $T/outdir (removed for the next run).
term_after() {
    local nap=$1 p
    shift
    "$@" 2>/dev/null &
    p=$!
    sleep "$nap"
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    if ls -A "$T/outdir" | grep -q '^\.ztprobe-report\.'; then
        leftover=$((leftover + 1))
        rm -f "$T/outdir"/.ztprobe-report.*
    fi
}
leftover=0
for i in $(seq 0 29); do
    # From 60% to 120% of a whole run: the end of a run is where the file is written.
    term_after "$(awk -v d="$D" -v i="$i" 'BEGIN { printf "%.3f", d * (0.6 + i / 50) / 1000 }')" \
        "$ZT" run -c "$T/1k.json" --role big --out "$T/outdir/r.json"
done
[ "$leftover" -eq 0 ]
check "run --out killed by SIGTERM at 30 points (a run takes $D ms): no temporary file left" status_ok $? "$leftover of 30 runs left a .ztprobe-report.* file"
jq -e '.summary.total == 1000' "$T/outdir/r.json" >/dev/null 2>&1
check "run --out under SIGTERM: the report is always a whole one" status_ok $? "$(head -c 100 "$T/outdir/r.json")"
leftover=0
for i in $(seq 1 20); do
    term_after "$(awk -v r="$RANDOM" -v d="$D" 'BEGIN { printf "%.3f", (d + r % (3 * d + 1)) / 1000 }')" \
        "$ZT" watch -c "$T/1k.json" --role big --interval 10ms --out "$T/outdir/w.json"
done
[ "$leftover" -eq 0 ]
check "watch --out killed by SIGTERM at 20 random points: no temporary file left" status_ok $? "$leftover of 20 left a .ztprobe-report.* file"

# ---- merge memory (issue 11, item 10): a hostile 16 MiB report must not cost more than 8x its
# size in memory (it cost 40x). Shapes: 70,000 minimal results; one array of 8 million zeros
# under an unknown key; one result with 4 million addresses; 2 million unknown top-level keys;
# and a legitimate 10,000-result report. Issue 18: the most results a report may hold (10,000)
# with the least JSON each (2.4 MB), bare and each with an empty policy object: the smallest
# input for the most records, where a fixed-size record would show. Peak RSS minus the agent's floor (a tiny report) must
# stay within 8x the input. ASan's quarantine keeps freed memory resident by design: kept
# small here, so the sanitized agent measures what the plain one would.
$PY - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
N = 16 * 1024 * 1024 - 4096
res0 = {"name": "p", "kind": "tcp", "target": "a:1", "expect": "deny", "verdict": "pass", "outcome": "timeout",
        "detail": None, "hint": None, "attempts": 1, "duration_ms": 1, "addresses": [],
        "timings_ms": {"dns": None, "connect": None, "tls": None, "first_byte": None}}
def doc(results, extra=""):
    d = {"schema": "ztprobe/report/v1", "agent_version": "0.1.0", "role": "r",
         "pod": {"name": "p-0", "namespace": "ns"}, "started_at": "2026-11-26T05:00:00.123Z",
         "duration_ms": 1, "summary": {"total": len(results), "passed": len(results), "failed": 0,
                                       "inconclusive": 0, "ok": True},
         "diagnoses": [], "results": results}
    s = json.dumps(d, separators=(",", ":"))
    return s[:-1] + extra + "}" if extra else s
one = json.dumps(res0, separators=(",", ":"))
n = N // (len(one) + 12)
many = [dict(res0, name="p%d" % i) for i in range(n)]
open(t + "/mem-results.json", "w").write(doc(many))
open(t + "/mem-junk.json", "w").write(doc([res0], ',"junk":[' + "0," * (N // 2 - 1) + "0]"))
big = json.dumps(dict(res0, addresses=["X"]), separators=(",", ":")).replace('["X"]', "[" + '"1",' * (N // 4 - 1) + '"1"]')
open(t + "/mem-addrs.json", "w").write(doc([]).replace('"results":[]', '"results":[' + big + "]"))
keys = "".join(',"k%d":0' % i for i in range(N // 14))
open(t + "/mem-keys.json", "w").write(doc([res0], keys))
legit = [dict(res0, name="probe-%05d" % i, target="svc-%d.govtech.svc:5432" % i, detail="no answer to TCP SYN within 1000 ms") for i in range(10000)]
open(t + "/mem-legit.json", "w").write(json.dumps(json.loads(doc(legit)), indent=2))
open(t + "/mem-tiny.json", "w").write(doc([res0]))
open(t + "/mem-min.json", "w").write(doc([dict(res0, name="p%d" % i) for i in range(10000)]))
pol0 = {"intended": "deny", "by": [], "reason": None}
open(t + "/mem-policy.json", "w").write(doc([dict(res0, name="p%d" % i, policy=pol0) for i in range(10000)]))
PYEOF
export ASAN_OPTIONS_SAVED=${ASAN_OPTIONS:-}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
runm mem-tiny merge -o text "$T/mem-tiny.json"
FLOOR=$RSS_KB
for shape in results junk addrs keys legit min policy; do
    f=$T/mem-$shape.json
    kb=$(($(stat -c %s "$f") / 1024))
    runm "mem-$shape" merge -o text "$f"
    [ "$RC" -le 2 ] && [ $((RSS_KB - FLOOR)) -le $((8 * kb)) ]
    check "merge of a $((kb / 1024)) MiB report ($shape): exit $RC, peak RSS $((RSS_KB / 1024)) MB <= floor $((FLOOR / 1024)) MB + 8x input" status_ok $? "exit $RC, peak $RSS_KB kB, floor $FLOOR kB, input $kb kB; $(head -c 200 "$T/mem-$shape.err")"
done
[ "$(cat "$T/mem-legit.rc" 2>/dev/null || echo "$RC")" ] && grep -q '10000 probe results' "$T/mem-legit.out"
check "merge of the legitimate 10,000-result report works" status_ok $? "$(tail -2 "$T/mem-legit.out")"
grep -q '10000 probe results: 10000 passed' "$T/mem-min.out" && grep -q '10000 probe results: 10000 passed' "$T/mem-policy.out"
check "merge reads both 10,000-result minimal reports whole" status_ok $? "$(tail -1 "$T/mem-min.out") / $(tail -1 "$T/mem-policy.out") / $(head -c 200 "$T/mem-policy.err")"
grep -q 'more than 10000' "$T/mem-results.err" && grep -q 'larger than 65536 bytes' "$T/mem-addrs.err"
check "merge says why a hostile report is refused (result count, piece size)" status_ok $? "$(head -c 200 "$T/mem-results.err") / $(head -c 200 "$T/mem-addrs.err")"
export ASAN_OPTIONS=$ASAN_OPTIONS_SAVED
[ -n "$ASAN_OPTIONS" ] || unset ASAN_OPTIONS

zt_finish
