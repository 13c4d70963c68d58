# lib.sh: helpers shared by the robustness suites (tests/hostile, tests/limits, tests/secrets,
# tests/valgrind), sourced by bash: the tally, background servers recorded by pid and stopped
# on exit, and running the agent with its exit code, wall time and peak RSS captured.
# Callers set ZT (the agent binary) and call zh_init first.

PY=/usr/bin/python3
ZH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRV=$ZH_ROOT/tests/servers/zt_server.py
DNS_SRV=$ZH_ROOT/tests/hostile/dns_server.py
PEER=$ZH_ROOT/tests/hostile/peer.py
PASSED=0
FAILED=0
ZH_PIDS=()
ZH_PG_DIR=""

ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
notok() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }

# check LABEL COND-EXIT-CODE WHY: ok when the previous command succeeded.
check() { if [ "$2" -eq 0 ]; then ok "$1"; else notok "$1" "$3"; fi; }

zh_cleanup() {
    local p
    trap - EXIT INT TERM
    for p in "${ZH_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${ZH_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "$ZH_PG_DIR" ] && sh "$ZH_ROOT/tests/servers/pg.sh" stop "$ZH_PG_DIR" >/dev/null 2>&1
    # ZH_KEEP=1 keeps the folder (configs, outputs, logs) for a post-mortem.
    if [ -n "${T:-}" ] && [ -d "$T" ]; then
        if [ -n "${ZH_KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    fi
}

# zh_init NAME: a private temp folder $T (traversable, so pg.sh's postgres user reaches it)
# and the cleanup trap.
zh_init() {
    [ -x "${ZT:-}" ] || { echo "$1: usage: $1 path/to/ztprobe" >&2; exit 2; }
    ZT=$(cd "$(dirname "$ZT")" && pwd)/$(basename "$ZT")
    T=$(mktemp -d "/tmp/zt-$1.XXXXXX")
    chmod 755 "$T"
    trap zh_cleanup EXIT
    trap 'exit 130' INT TERM
}

# zh_finish: the summary line and the exit code.
zh_finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# bg NAME CMD...: starts a server in the background that writes its port to $T/NAME.port
# (the command must be given --port-file "$T/NAME.port"); waits up to 5 s for the port.
bg() {
    local name=$1
    shift
    "$@" 2>>"$T/$name.log" &
    ZH_PIDS+=($!)
    for _ in $(seq 50); do
        [ -s "$T/$name.port" ] && return 0
        sleep 0.1
    done
    echo "server $name did not start: $(cat "$T/$name.log")" >&2
    return 1
}

srv() { local n=$1 m=$2; shift 2; bg "$n" "$PY" "$SRV" --mode "$m" --port-file "$T/$n.port" --max-seconds 300 "$@"; }
dns_srv() { local n=$1 m=$2; shift 2; bg "$n" "$PY" "$DNS_SRV" --mode "$m" --port-file "$T/$n.port" --max-seconds 300 "$@"; }
peer() { bg "$1" "$PY" "$PEER" --mode "$2" --port-file "$T/$1.port" --max-seconds 300; }
port() { cat "$T/$1.port"; }

# runm NAME [ARGS...]: runs the agent (wrapped by $ZH_WRAP when set, e.g. valgrind), keeping
# stdout/stderr in $T/NAME.out/.err. Sets RC, MS (wall ms) and RSS_KB (peak resident set).
# A hard outer timeout (60 s) turns a hang into a failure instead of a stuck suite.
runm() {
    local name=$1 t0 t1
    shift
    t0=$(date +%s%N)
    timeout -k 2 "${ZH_HARD_TIMEOUT:-60}" /usr/bin/time -f "%M" -o "$T/$name.rss" \
        ${ZH_WRAP:-} "$ZT" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
    RC=$?
    t1=$(date +%s%N)
    MS=$(((t1 - t0) / 1000000))
    RSS_KB=$(grep -E '^[0-9]+$' "$T/$name.rss" 2>/dev/null | tail -1)
    RSS_KB=${RSS_KB:-0}
}

# sanitizer_clean NAME: no ASan/UBSan/LSan report in the run's stderr.
sanitizer_clean() {
    ! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T/$1.err"
}

# jres FILE PROBE JQ: a jq expression on the result named PROBE of the report in FILE.
jres() { jq -r --arg n "$2" ".results[] | select(.name == \$n) | $3" "$1" 2>/dev/null; }
