# lib.sh: what only the integration suite needs on top of tests/lib.sh (sourced by run.sh,
# bash): running the agent with its output kept per case under $T/r, the assertions on those
# outputs (all through tests/lib.sh's check), and the kube-dns stand-in.

# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
CHECK=$HERE/check.py

# chk LABEL RUN PROBE ASSERTION...: one assertion line on the report of run RUN (check.py).
chk() {
    local label=$1 run=$2
    shift 2
    check "$label" "$PY" "$CHECK" "$T/r/$run.out" "$@"
}

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
    if ! sanitizer_clean "$T/r/$name.err"; then
        why="${why:+$why; }sanitizer report on stderr"
    fi
    [ -z "$why" ]
    check "$name: exit $want" status_ok $? "$why; stderr: $(head -c 300 "$T/r/$name.err" | tr '\n' ' ')"
}

wall_ms() { cat "$T/r/$1.ms"; }

# has_text FILE WHAT SUBSTRING / has_word FILE WHAT WORD: predicates for check.
has_text() {
    grep -qF -- "$3" "$1" || { echo "$2 lacks '$3': $(head -c 300 "$1" | tr '\n' ' ')"; return 1; }
}
has_word() {
    grep -qE -- "(^|[[:space:]])$3([[:space:]]|\$)" "$1" ||
        { echo "$2 lacks the word '$3': $(head -c 300 "$1" | tr '\n' ' ')"; return 1; }
}
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || { echo "$1 not in [$2, $3]"; return 1; }; }
# expect_stderr NAME LABEL SUBSTRING: the run's stderr contains SUBSTRING.
expect_stderr() { check "$2" has_text "$T/r/$1.err" stderr "$3"; }
# expect_stdout NAME LABEL SUBSTRING
expect_stdout() { check "$2" has_text "$T/r/$1.out" stdout "$3"; }
# expect_word NAME LABEL WORD: stdout has WORD as a whole word (a probe name in a table).
expect_word() { check "$2" has_word "$T/r/$1.out" stdout "$3"; }
# expect_between LABEL VALUE MIN MAX (integers)
expect_between() { check "$1" between "$2" "$3" "$4"; }

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
        zt_track $!
        for _ in $(seq 30); do
            [ -s "$DNSMASQ_PIDFILE" ] && return 0
            kill -0 "${ZT_PIDS[-1]}" 2>/dev/null || break
            sleep 0.1
        done
    done
    echo "run.sh: dnsmasq did not start" >&2
    return 1
}
