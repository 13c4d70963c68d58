# lib.sh: helpers of the integration suite (sourced by run.sh, bash): the tally, starting
# and stopping what the suite owns (servers, dnsmasq, PostgreSQL, namespaces), and running
# the agent with its output captured per case.
# Everything started here is recorded, and zt_cleanup undoes exactly that, by pid or name.

PY=/usr/bin/python3
SRV=$ROOT/tests/servers/zt_server.py
CHECK=$HERE/check.py
PASSED=0
FAILED=0
SKIPPED=0
PIDS=()          # every background process the suite started
NETNS=()         # every namespace it created
PG_DIR=""        # set once PostgreSQL runs
DNSMASQ_PIDFILE=""   # dnsmasq runs in the foreground: its pid is in PIDS

ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
notok() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
skip() { echo "skip - $1: $2"; SKIPPED=$((SKIPPED + 1)); }

# chk LABEL RUN PROBE ASSERTION...: one assertion line on the report of run RUN.
chk() {
    local label=$1 run=$2
    shift 2
    if $PY "$CHECK" "$label" "$T/r/$run.out" "$@"; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
}

zt_cleanup() {
    local p ns
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$PG_DIR" ] && sh "$ROOT/tests/servers/pg.sh" stop "$PG_DIR" >/dev/null 2>&1
    for ns in "${NETNS[@]}"; do
        # Anything still inside a namespace of ours was started by this suite.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "${T:-}" ] && [ -d "$T" ] && rm -rf "$T"
}

# sweep_stale_netns: deletes namespaces left by an earlier run of this suite that was killed
# before its trap ran (SIGKILL). Only names of our own pattern, zti<pid>[a-z], whose run.sh pid
# is gone; never anything else.
sweep_stale_netns() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        [[ $ns =~ ^zti([0-9]+)[a-z]$ ]] || continue
        pid=${BASH_REMATCH[1]}
        [ "$pid" = "$$" ] && continue
        kill -0 "$pid" 2>/dev/null && continue
        ip netns del "$ns" 2>/dev/null && echo "run.sh: removed stale namespace $ns" >&2
    done
}

free_port() { # an unused loopback TCP port (bound, then closed: nothing listens there)
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# srv NAME MODE [ARGS...]: starts zt_server.py in the background; the port lands in
# $T/NAME.port. $SRV_NS (a namespace) and $SRV_BIND (default 127.0.0.1) apply when set.
srv() {
    local name=$1 mode=$2
    shift 2
    local pre=()
    [ -n "${SRV_NS:-}" ] && pre=(ip netns exec "$SRV_NS")
    "${pre[@]}" "$PY" "$SRV" --mode "$mode" --bind "${SRV_BIND:-127.0.0.1}" \
        --port-file "$T/$name.port" --max-seconds 180 "$@" 2>>"$T/$name.log" &
    PIDS+=($!)
}

# wait_ports NAME...: waits (5 s at most) until every named server wrote its port.
wait_ports() {
    local n
    for n in "$@"; do
        for _ in $(seq 50); do
            [ -s "$T/$n.port" ] && break
            sleep 0.1
        done
        if [ ! -s "$T/$n.port" ]; then
            echo "run.sh: server $n did not start:" >&2
            cat "$T/$n.log" >&2
            return 1
        fi
    done
}

port() { cat "$T/$1.port"; }

# runz NAME WANT_RC [ARGS...]: runs the agent (inside $RUN_NS when set), keeps stdout, stderr
# and the wall time (ms) under $T/r/NAME.*, and asserts the exit code and a clean stderr (no
# sanitizer report). One tally line per run.
runz() {
    local name=$1 want=$2
    shift 2
    local pre=() t0 t1 rc why=""
    [ -n "${RUN_NS:-}" ] && pre=(ip netns exec "$RUN_NS")
    t0=$(date +%s%N)
    timeout -k 2 40 "${pre[@]}" "$ZT" "$@" >"$T/r/$name.out" 2>"$T/r/$name.err" </dev/null
    rc=$?
    t1=$(date +%s%N)
    echo "$rc" >"$T/r/$name.rc"
    echo $(((t1 - t0) / 1000000)) >"$T/r/$name.ms"
    [ "$rc" = "$want" ] || why="exit $rc, want $want"
    if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T/r/$name.err"; then
        why="${why:+$why; }sanitizer report on stderr"
    fi
    if [ -z "$why" ]; then
        ok "$name: exit $want"
    else
        notok "$name: exit $want" "$why; stderr: $(head -c 300 "$T/r/$name.err" | tr '\n' ' ')"
    fi
}

wall_ms() { cat "$T/r/$1.ms"; }

# expect_stderr NAME LABEL SUBSTRING: the run's stderr contains SUBSTRING.
expect_stderr() {
    if grep -qF -- "$3" "$T/r/$1.err"; then
        ok "$2"
    else
        notok "$2" "stderr lacks '$3': $(head -c 300 "$T/r/$1.err" | tr '\n' ' ')"
    fi
}

# expect_stdout NAME LABEL SUBSTRING
expect_stdout() {
    if grep -qF -- "$3" "$T/r/$1.out"; then
        ok "$2"
    else
        notok "$2" "stdout lacks '$3': $(head -c 300 "$T/r/$1.out" | tr '\n' ' ')"
    fi
}

# expect_word NAME LABEL WORD: stdout has WORD as a whole word (a probe name in a table).
expect_word() {
    if grep -qE -- "(^|[[:space:]])$3([[:space:]]|\$)" "$T/r/$1.out"; then
        ok "$2"
    else
        notok "$2" "stdout lacks the word '$3': $(head -c 300 "$T/r/$1.out" | tr '\n' ' ')"
    fi
}

# expect_between LABEL VALUE MIN MAX (integers)
expect_between() {
    if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
        ok "$1"
    else
        notok "$1" "$2 not in [$3, $4]"
    fi
}

# start_dnsmasq: kube-dns stand-in on 127.0.0.1:$DNS_PORT, authoritative for *.test.
start_dnsmasq() {
    DNSMASQ_PIDFILE=$T/dnsmasq.pid
    for _ in 1 2 3; do
        DNS_PORT=$($PY -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
            --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces -u root \
            --pid-file="$DNSMASQ_PIDFILE" --log-facility="$T/dnsmasq.log" --log-queries \
            --local=/test/ \
            --host-record=svc.test,127.0.0.1 \
            --host-record=multi.test,127.0.0.1 --host-record=multi.test,127.0.0.2 \
            --host-record=v6.test,::1 \
            --host-record=both.test,127.0.0.1,::1 &
        PIDS+=($!)
        for _ in $(seq 30); do
            [ -s "$DNSMASQ_PIDFILE" ] && return 0
            kill -0 "${PIDS[-1]}" 2>/dev/null || break
            sleep 0.1
        done
    done
    echo "run.sh: dnsmasq did not start" >&2
    return 1
}
