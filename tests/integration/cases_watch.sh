# cases_watch.sh: `watch` (periodic runs, stops on SIGTERM within a second), `merge` (reports
# of several pods into one matrix) and the report-wide policy_not_enforced diagnosis (sourced
# by run.sh; uses the reports of the cli and http groups when they ran).

# watch_run NAME SLEEP_S CONFIG ARGS...: starts `watch` in the background, waits SLEEP_S,
# sends SIGTERM and records the exit code and how long the agent took to exit after it.
watch_run() {
    local name=$1 nap=$2 pid t0 t1 rc
    shift 2
    "$ZT" watch "$@" >"$T/r/$name.out" 2>"$T/r/$name.err" </dev/null &
    pid=$!
    zt_track "$pid"
    sleep "$nap"
    t0=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null
    # At most 5 s, so a watch that ignores SIGTERM fails the case instead of hanging the suite.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    t1=$(date +%s%N)
    echo "$rc" >"$T/r/$name.rc"
    echo $(((t1 - t0) / 1000000)) >"$T/r/$name.ms"
}

cases_watch() {
    local H SIL n
    H=$(port healthy); SIL=$(port silent)
    mkdir -p "$T/watch"
    cat >"$T/watch.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": {
    "w": { "selector": { "app": "w" }, "probes": [
      { "name": "up", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "allow" } ] },
    "slow": { "selector": { "app": "slow" }, "probes": [
      { "name": "hang", "kind": "http", "url": "http://127.0.0.1:$SIL/", "expect": "allow",
        "timeout_ms": 8000 } ] },
    "open": { "selector": { "app": "open" }, "probes": [
      { "name": "deny-1", "kind": "tcp", "host": "127.0.0.1", "port": $H, "expect": "deny" },
      { "name": "deny-2", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "deny" } ] }
  }
}
EOF
    watch_run watch 2.6 -c "$T/watch.json" --role w --interval 1s --out "$T/watch/report.json"
    expect_between "watch exits 0 on SIGTERM" "$(cat "$T/r/watch.rc")" 0 0
    expect_between "watch exits within 1 s of SIGTERM (ms)" "$(wall_ms watch)" 0 1200
    n=$(grep -c '^{' "$T/r/watch.err")
    expect_between "watch logs one JSON line per run on stderr (runs seen)" "$n" 2 4
    cp "$T/watch/report.json" "$T/r/watch-file.out" 2>/dev/null
    chk "watch writes each report to --out" watch-file - schema=ztprobe/report/v1 role=w summary.ok=true
    n=$(find "$T/watch" -mindepth 1 | wc -l)
    expect_between "watch leaves only the report in the --out folder" "$n" 1 1
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/r/watch.err"; then
        notok "watch: no sanitizer report" "$(grep -m1 -E 'Sanitizer|runtime error' "$T/r/watch.err")"
    else
        ok "watch: no sanitizer report"
    fi

    # SIGTERM while a probe still waits (8 s timeout): the run in flight is abandoned or
    # finished within one second.
    watch_run watch-inflight 0.8 -c "$T/watch.json" --role slow --interval 30s --out "$T/watch/slow.json"
    expect_between "watch exits 0 on SIGTERM during a run" "$(cat "$T/r/watch-inflight.rc")" 0 0
    expect_between "watch abandons the run in flight within 1 s (ms)" "$(wall_ms watch-inflight)" 0 1200
    runz watch-bad-interval 2 watch -c "$T/watch.json" --role w --interval soon --out "$T/watch/x.json"

    # Every deny probe connected: the policy is not enforced at all.
    runz open 1 run -c "$T/watch.json" --role open
    chk "all deny probes connected -> policy_not_enforced diagnosis" open - \
        'diagnoses.*.code^policy_not_enforced' summary.failed=2
    runz some-open 0 run -c "$T/watch.json" --role w
    chk "no deny probe -> no policy_not_enforced diagnosis" some-open - diagnoses#0

    # merge: several pods' reports -> one namespace-wide matrix.
    if [ -s "$T/r/all-pass.out" ] && [ -s "$T/r/http.out" ]; then
        runz merge-fail 1 merge -o json "$T/r/all-pass.out" "$T/r/http.out"
        expect_stdout merge-fail "merge names the first role" '"cli"'
        expect_stdout merge-fail "merge names the second role" '"web"'
        runz merge-ok 0 merge -o text "$T/r/all-pass.out" "$T/r/some-open.out"
        expect_word merge-ok "merge -o text shows the role cli" cli
    else
        skip "merge" "needs the cli and http groups"
    fi
    printf 'not json' >"$T/notjson.json"
    runz merge-bad 2 merge "$T/notjson.json"
}
