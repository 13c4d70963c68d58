# shellcheck shell=bash
# lib.sh: the one helper library of the shell test suites, sourced by every tests/*/run.sh.
#
#   tally     ok NAME / notok NAME WHY / skip NAME WHY print TAP-style lines ("ok - NAME",
#             "not ok - NAME: WHY"); zt_tally counts such lines printed by a tool; zt_finish
#             prints the closing "N passed, M failed" that tests/run_all.sh counts, and exits
#             non-zero when anything failed.
#   checker   check NAME CMD...: the only assertion; ok when CMD succeeds, otherwise CMD's
#             output is the reason. Its predicates: status_ok RC [WHY] (an exit status taken
#             earlier) and fails CMD... (a negative control: CMD must reject its input).
#   lifetime  zt_init NAME makes the private folder $T and the EXIT/INT/TERM traps; every
#             background process is registered (zt_bg, zt_track) and zt_cleanup stops exactly
#             those, by pid, deletes the namespaces made by zt_netns_add (and what runs in
#             them), runs the hooks given to zt_at_exit. KEEP=1 keeps $T.
#   servers   zt_bg NAME CMD... (log in $T/NAME.log), wait_ports NAME..., port NAME, srv,
#             dns_srv, peer (tests/servers and tests/hostile stand-ins), free_port.
#   agent     zt_agent PATH sets $ZT; runm NAME ARGS... runs it with RC, MS and RSS_KB kept;
#             rc_is NAME WANT LABEL checks an exit code a suite kept in $T/NAME.rc.
#   misc      sweep_stale_netns PREFIX, sanitizer_clean FILE, jres FILE PROBE JQ.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
SRV=$ROOT/tests/servers/zt_server.py
DNS_SRV=$ROOT/tests/hostile/dns_server.py
PEER=$ROOT/tests/hostile/peer.py
PASSED=0
FAILED=0
SKIPPED=0
ZT_PIDS=()    # every background process the suite started (and only those are stopped)
ZT_HOOKS=()   # functions zt_cleanup runs after stopping them (labs, stand-ins' children)
ZT_NETNS=()   # every network namespace the suite created (zt_netns_add)
PG_DIR=""     # set once tests/servers/pg.sh runs a PostgreSQL there

ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
notok() { echo "not ok - $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
skip() { echo "skip - $1: $2"; SKIPPED=$((SKIPPED + 1)); }

# zt_tally: echoes the TAP lines a tool prints on stdin and counts them (use it as
# `zt_tally < <(tool)`: a pipe would count in a subshell).
zt_tally() {
    local line
    while IFS= read -r line; do
        echo "$line"
        case $line in
        "ok - "*) PASSED=$((PASSED + 1)) ;;
        "not ok - "*) FAILED=$((FAILED + 1)) ;;
        esac
    done
}

# check NAME CMD...: one test line; CMD runs in a subshell, its output (800 bytes) is the
# reason when it fails.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else notok "$name" "$(printf '%s' "$out" | head -c 800)"; fi
}
# status_ok RC [WHY]: for check, when the condition was a command run before (its $?).
status_ok() {
    [ "$1" -eq 0 ] && return 0
    [ -n "${2:-}" ] && printf '%s\n' "$2"
    return 1
}
# fails CMD...: for check, a negative control: true when CMD rejects what it was given.
fails() {
    if "$@" >/dev/null 2>&1; then echo "accepted broken input"; return 1; fi
    return 0
}

# zt_finish: the closing line ("N passed, M failed[, K skipped]") and the exit.
zt_finish() {
    if [ "$SKIPPED" -gt 0 ]; then
        echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
    else
        echo "$PASSED passed, $FAILED failed"
    fi
    [ "$FAILED" -eq 0 ]
    exit $?
}

zt_cleanup() {
    local p h ns
    trap - EXIT INT TERM
    for p in "${ZT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for h in "${ZT_HOOKS[@]}"; do "$h"; done
    [ -n "$PG_DIR" ] && sh "$ROOT/tests/servers/pg.sh" stop "$PG_DIR" >/dev/null 2>&1
    for ns in "${ZT_NETNS[@]}"; do
        # Anything still inside a namespace of ours was started by this suite.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for p in "${ZT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ -n "${T:-}" ] && [ -d "$T" ]; then
        if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    fi
}

# zt_init NAME: a private temp folder $T (traversable, so pg.sh's postgres user reaches it)
# and the traps: cleanup on exit, also after Ctrl-C or a TERM.
zt_init() {
    T=$(mktemp -d "/tmp/zt-$1.XXXXXX")
    chmod 755 "$T"
    trap zt_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
zt_track() { ZT_PIDS+=("$@"); }   # PID...: a process started by hand, stopped at exit
zt_at_exit() { ZT_HOOKS+=("$1"); } # FUNC: run by zt_cleanup
zt_netns_add() { ip netns add "$1" && ZT_NETNS+=("$1"); } # NAME: created, deleted at exit

# zt_agent PATH: $ZT, the agent's absolute path; a missing one is a failed test, not a skip.
zt_agent() {
    ZT=$(readlink -f "${1:-}" 2>/dev/null || true)
    if [ -z "${1:-}" ] || [ -z "$ZT" ] || [ ! -x "$ZT" ] || [ -d "$ZT" ]; then
        notok "agent" "no executable at '${1:-}'; build it with 'make'"
        zt_finish
    fi
}

# zt_bg NAME CMD...: CMD in the background, registered; its output goes to $T/NAME.log.
zt_bg() {
    local name=$1
    shift
    "$@" >>"$T/$name.log" 2>&1 &
    ZT_PIDS+=($!)
}
# wait_ports NAME...: waits (5 s at most each) until every named server wrote $T/NAME.port.
wait_ports() {
    local n
    for n in "$@"; do
        for _ in $(seq 50); do
            [ -s "$T/$n.port" ] && break
            sleep 0.1
        done
        if [ ! -s "$T/$n.port" ]; then
            echo "server $n did not start: $(cat "$T/$n.log" 2>/dev/null)" >&2
            return 1
        fi
    done
}
port() { cat "$T/$1.port"; }
# zt_serve NAME CMD...: a server that writes its port to $T/NAME.port (CMD must be given
# --port-file "$T/NAME.port"), started and waited for.
zt_serve() { zt_bg "$@" && wait_ports "$1"; }
# srv NAME MODE [ARGS...]: tests/servers/zt_server.py (in $SRV_NS when set, on $SRV_BIND,
# default 127.0.0.1); dns_srv and peer: the hostile DNS server and raw TCP peer.
srv() {
    local n=$1 m=$2 pre=()
    shift 2
    [ -n "${SRV_NS:-}" ] && pre=(ip netns exec "$SRV_NS")
    zt_serve "$n" "${pre[@]}" "$PY" "$SRV" --mode "$m" --bind "${SRV_BIND:-127.0.0.1}" \
        --port-file "$T/$n.port" --max-seconds 300 "$@"
}
dns_srv() { local n=$1 m=$2; shift 2; zt_serve "$n" "$PY" "$DNS_SRV" --mode "$m" --port-file "$T/$n.port" --max-seconds 300 "$@"; }
peer() { zt_serve "$1" "$PY" "$PEER" --mode "$2" --port-file "$T/$1.port" --max-seconds 300; }
free_port() { # an unused loopback TCP port (bound, then closed: nothing listens there)
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# runm NAME [ARGS...]: runs the agent (in $RUN_NS when set, wrapped by $ZT_WRAP when set,
# e.g. valgrind), keeping stdout/stderr in $T/NAME.out/.err. Sets RC, MS (wall ms) and
# RSS_KB (peak resident set). A hard outer timeout ($ZT_HARD_TIMEOUT, 60 s) turns a hang into
# a failure instead of a stuck suite.
runm() {
    local name=$1 t0 t1 pre=()
    shift
    [ -n "${RUN_NS:-}" ] && pre=(ip netns exec "$RUN_NS")
    t0=$(date +%s%N)
    # shellcheck disable=SC2086 # ZT_WRAP is a command line
    timeout -k 2 "${ZT_HARD_TIMEOUT:-60}" "${pre[@]}" /usr/bin/time -f "%M" -o "$T/$name.rss" \
        ${ZT_WRAP:-} "$ZT" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
    RC=$?
    t1=$(date +%s%N)
    MS=$(((t1 - t0) / 1000000))
    RSS_KB=$(grep -E '^[0-9]+$' "$T/$name.rss" 2>/dev/null | tail -1)
    RSS_KB=${RSS_KB:-0}
}

# rc_is NAME WANT LABEL: the exit code kept in $T/NAME.rc is WANT (its stderr, $T/NAME.err,
# is the reason otherwise).
rc_is() { check "$3" exit_was "$1" "$2"; }
exit_was() {
    local got
    got=$(cat "$T/$1.rc" 2>/dev/null)
    [ "$got" = "$2" ] || { echo "exit $got, want $2: $(tail -c 400 "$T/$1.err" 2>/dev/null)"; return 1; }
}

# sanitizer_clean FILE: no ASan/UBSan/LSan report in FILE (an agent's stderr); a bare NAME
# means $T/NAME.err.
sanitizer_clean() {
    local f=$1
    [ -e "$f" ] || f=$T/$1.err
    ! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$f"
}

# jres FILE PROBE JQ: a jq expression on the result named PROBE of the report in FILE.
jres() { jq -r --arg n "$2" ".results[] | select(.name == \$n) | $3" "$1" 2>/dev/null; }

# sweep_stale_netns PREFIX: deletes namespaces PREFIX<pid><suffix> left by an earlier run
# killed before its trap ran (SIGKILL), when that pid is gone. Only names of that pattern;
# never anything else, never a live run's.
sweep_stale_netns() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        [[ $ns =~ ^$1([0-9]+)[a-z]*$ ]] || continue
        pid=${BASH_REMATCH[1]}
        [ "$pid" = "$$" ] && continue
        kill -0 "$pid" 2>/dev/null && continue
        ip netns del "$ns" 2>/dev/null && echo "removed stale namespace $ns" >&2
    done
}
