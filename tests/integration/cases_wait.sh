# cases_wait.sh: `run --wait` against servers that change while ztprobe waits (sourced by
# run.sh): a server that starts listening after 2 s (an allow probe converges then), one that
# stops after 2 s (a deny probe, refused listed, converges then), a probe that never passes,
# the usage errors, and SIGTERM while waiting. The convergence figures are compared with the
# moments the servers really changed, read from the clock of this script and of the files
# the servers write.

# conv_check LABEL REPORT PROBE LOW_S HIGH_S: the probe's converged_after_ms, as a moment
# (the report's started_at + the figure), lies within [LOW_S, HIGH_S] (Unix seconds).
conv_check() {
    local label=$1 out
    if out=$($PY - "$T/r/$2.out" "$3" "$4" "$5" <<'EOF'
import datetime, json, sys
rep = json.load(open(sys.argv[1]))
probe, low, high = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
start = datetime.datetime.strptime(rep["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
start = start.replace(tzinfo=datetime.timezone.utc).timestamp()
res = [r for r in rep["results"] if r["name"] == probe][0]
ms = res["converged_after_ms"]
if ms is None:
    sys.exit("%s never converged (outcome %s)" % (probe, res["outcome"]))
at = start + ms / 1000.0
if not low <= at <= high:
    sys.exit("%s converged at +%.0f ms, %.3f s after the change (window %.3f..%.3f s)"
             % (probe, ms, at - low, 0, high - low))
print("+%.0f ms" % ms)
EOF
    ); then
        ok "$label ($out)"
    else
        notok "$label" "$out"
    fi
}

mtime() { $PY -c 'import os, sys; print("%.6f" % os.stat(sys.argv[1]).st_mtime)' "$1"; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'; }
now_s() { $PY -c 'import time; print("%.6f" % time.time())'; }

cases_wait() {
    local late gone closed sil pid t_kill0 t_kill1 low n
    late=$(free_port); gone=$(free_port); closed=$(free_port); sil=$(port silent)
    cat >"$T/wait.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "roles": {
    "deploy": { "probes": [
      { "name": "late-allow", "kind": "tcp", "host": "127.0.0.1", "port": $late, "expect": "allow" },
      { "name": "gone-deny", "kind": "tcp", "host": "127.0.0.1", "port": $gone, "expect": "deny",
        "deny_outcomes": ["refused"] },
      { "name": "closed-deny", "kind": "tcp", "host": "127.0.0.1", "port": $closed, "expect": "deny",
        "deny_outcomes": ["refused"] } ] },
    "never": { "probes": [
      { "name": "closed-allow", "kind": "tcp", "host": "127.0.0.1", "port": $closed, "expect": "allow" } ] },
    "slow": { "probes": [
      { "name": "hang", "kind": "http", "url": "http://127.0.0.1:$sil/", "expect": "allow",
        "timeout_ms": 2000 } ] }
  }
}
EOF
    # A server already up that goes away after 2 s, one that comes up after 2 s.
    rm -f "$T/late.port" "$T/gone.port" "$T/gone.killed" "$T/gone.up"
    (
        "$PY" "$SRV" --mode echo-any --bind 127.0.0.1 --port "$gone" --port-file "$T/gone.port" \
            --max-seconds 60 2>>"$T/gone.log" &
        spid=$!
        # Two seconds after ztprobe starts (gone.up): stopped, and reaped here, so the
        # moment it was gone is known.
        for _ in $(seq 100); do [ -e "$T/gone.up" ] && break; sleep 0.05; done
        sleep 2
        t0=$(now_s)
        kill -KILL "$spid"
        wait "$spid" 2>/dev/null
        echo "$t0 $(now_s)" >"$T/gone.killed"
    ) &
    zt_track $!
    wait_ports gone || notok "wait: setup" "the server to stop did not start"
    (sleep 2; exec "$PY" "$SRV" --mode echo-any --bind 127.0.0.1 --port "$late" \
        --port-file "$T/late.port" --max-seconds 60) 2>>"$T/late.log" &
    zt_track $!
    touch "$T/gone.up"
    runz wait-converge 0 run -c "$T/wait.json" --role deploy --wait 10s -v
    chk "wait: every probe passed in the end" wait-converge - summary.ok=true summary.passed=3
    chk "wait: a probe that passed at once converged after 0 ms" wait-converge closed-deny \
        converged_after_ms=0 verdict=pass
    if [ -s "$T/late.port" ]; then
        low=$(mtime "$T/late.port")
        # The first round after the server listened: within one round (1 s apart) plus slack.
        conv_check "wait: allow probe converges within a round of the server starting" \
            wait-converge late-allow "$(add "$low" -0.05)" "$(add "$low" 1.3)"
    else
        notok "wait: allow probe converges when the server starts" "the late server never started"
    fi
    if [ -s "$T/gone.killed" ]; then
        read -r t_kill0 t_kill1 <"$T/gone.killed"
        conv_check "wait: deny probe converges within a round of the server stopping" \
            wait-converge gone-deny "$(add "$t_kill0" -0.05)" "$(add "$t_kill1" 1.3)"
    else
        notok "wait: deny probe converges when the server stops" "the server was not stopped"
    fi
    if $PY -c 'import json, sys
r = json.load(open(sys.argv[1]))
want = max(x["converged_after_ms"] for x in r["results"])
sys.exit(0 if r["converged_after_ms"] == want and want >= 1000 else 1)' "$T/r/wait-converge.out"; then
        ok "wait: the report converged when its last probe did"
    else
        notok "wait: the report converged when its last probe did" "$(head -c 300 "$T/r/wait-converge.out")"
    fi
    expect_stderr wait-converge "wait: stderr says when it converged" "--wait: converged after"

    # Never passes: the wait bounds the whole run (1 s timeout + slack per round: the last
    # round starts by 3.9 s of a 5 s wait), exit 1, every figure null.
    runz wait-never 1 run -c "$T/wait.json" --role never --wait 5s -o json -v
    chk "wait: a probe that never passed has converged_after_ms null" wait-never closed-allow \
        converged_after_ms=null verdict=fail outcome=refused
    chk "wait: the report has converged_after_ms null" wait-never - converged_after_ms=null summary.ok=false
    expect_between "wait: the run ends within the wait (ms)" "$(wall_ms wait-never)" 2900 5000
    expect_stderr wait-never "wait: rounds once a second (4 rounds in 5 s)" "not converged within 5s (4 rounds"
    # Without -v nothing on stderr: a Job's log (stdout and stderr merged) is the report alone.
    runz wait-quiet 1 run -c "$T/wait.json" --role never --wait 2s
    if [ -s "$T/r/wait-quiet.err" ]; then
        notok "wait: nothing on stderr without -v" "$(head -c 300 "$T/r/wait-quiet.err")"
    else
        ok "wait: nothing on stderr without -v"
    fi
    runz wait-text 1 run -c "$T/wait.json" --role never --wait 1s -o text
    expect_stdout wait-text "wait: -o text says it did not converge" "not converged: 1 probe never passed"

    # Without --wait, no convergence fields at all (the report layout of a plain run).
    runz wait-plain 1 run -c "$T/wait.json" --role never
    if grep -q converged_after_ms "$T/r/wait-plain.out"; then
        notok "wait: a plain run's results have no converged_after_ms" "found in the report"
    else
        ok "wait: a plain run's results have no converged_after_ms"
    fi

    # Usage errors: a wait below the probe timeout names both; a bad duration; watch has none.
    runz wait-short 2 run -c "$T/wait.json" --role slow --wait 1s
    expect_stderr wait-short "wait: below the probe timeout names the wait" "--wait 1s"
    expect_stderr wait-short "wait: below the probe timeout names the timeout and probe" \
        'probe timeout of 2000 ms (probe "hang")'
    runz wait-bad 2 run -c "$T/wait.json" --role never --wait soon
    expect_stderr wait-bad "wait: a bad duration is named" '--wait: must be a duration like 30s'
    runz wait-watch 2 watch -c "$T/wait.json" --role never --interval 1s --wait 5s
    # The probes of a report parse back: merge reads a --wait report.
    runz wait-merge 0 merge -o json "$T/r/wait-converge.out"

    # SIGTERM while waiting, in the middle of the second 2 s round: the agent ends within a second, with
    # the report of the last completed round (app_timeout), not an "abandoned" outcome.
    "$ZT" run -c "$T/wait.json" --role slow --wait 30s -v >"$T/r/wait-term.out" 2>"$T/r/wait-term.err" </dev/null &
    pid=$!
    zt_track "$pid"
    sleep 3.2
    t_kill0=$(date +%s%N)
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    echo $? >"$T/r/wait-term.rc"
    t_kill1=$(date +%s%N)
    expect_between "wait: SIGTERM ends the wait within 1 s (ms)" $(((t_kill1 - t_kill0) / 1000000)) 0 1200
    expect_between "wait: SIGTERM exits as the final state says (1)" "$(cat "$T/r/wait-term.rc")" 1 1
    chk "wait: SIGTERM reports the last completed round" wait-term hang outcome=app_timeout \
        'detail!~abandoned' converged_after_ms=null
    expect_stderr wait-term "wait: SIGTERM is logged" "--wait: stopped by a signal"
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/r/wait-term.err"; then
        notok "wait: SIGTERM: no sanitizer report" "$(grep -m1 -E 'Sanitizer|runtime error' "$T/r/wait-term.err")"
    else
        ok "wait: SIGTERM: no sanitizer report"
    fi
    n=$(grep -c '"outcome"' "$T/r/wait-term.out")
    expect_between "wait: SIGTERM report holds the probe once" "$n" 1 1
    cases_wait_stable
}

# --stable and --every: a probe converges after N consecutive passes (its figure the first
# of them); rounds --every apart; the perf-tests histogram; the usage errors naming the flag.
cases_wait_stable() {
    local late2 low
    late2=$(free_port)
    rm -f "$T/late2.port"
    (sleep 1; exec "$PY" "$SRV" --mode echo-any --bind 127.0.0.1 --port "$late2" \
        --port-file "$T/late2.port" --max-seconds 30) 2>>"$T/late2.log" &
    zt_track $!
    cat >"$T/stable.json" <<EOF
{ "version": 1, "defaults": { "timeout_ms": 200 },
  "roles": { "deploy": { "probes": [
    { "name": "late-allow", "kind": "tcp", "host": "127.0.0.1", "port": $late2, "expect": "allow" } ] } } }
EOF
    runz wait-stable 0 run -c "$T/stable.json" --role deploy --wait 10s --stable 3 --every 250ms -v -o json
    if [ -s "$T/late2.port" ]; then
        low=$(mtime "$T/late2.port")
        # The first of three passes: within one round (250 ms) of the server starting.
        conv_check "wait --stable 3 --every 250ms: converged at the first of the passes, within a round" \
            wait-stable late-allow "$(add "$low" -0.05)" "$(add "$low" 0.55)"
    else
        notok "wait --stable: the late server started" "it never did"
    fi
    # Two more rounds after the first pass, 250 ms apart: the run lasts at least 500 ms more.
    if $PY -c 'import json, sys
r = json.load(open(sys.argv[1])); c = r["results"][0]["converged_after_ms"]
sys.exit(0 if c is not None and r["duration_ms"] >= c + 450 else 1)' "$T/r/wait-stable.out"; then
        ok "wait --stable 3: two more passing rounds after the first pass"
    else
        notok "wait --stable 3: two more passing rounds after the first pass" "$(head -c 300 "$T/r/wait-stable.out")"
    fi
    runz wait-stable-prom 0 run -c "$T/wait.json" --role deploy --only closed-deny --wait 5s --stable 2 \
        --every 100ms -o prometheus
    expect_stdout wait-stable-prom "wait -o prometheus: perf-tests' histogram" \
        'policy_enforcement_latency_policy_creation_seconds_bucket{role="deploy",expect="deny",le="0.1"} 1'
    if command -v promtool >/dev/null; then
        promtool check metrics <"$T/r/wait-stable-prom.out" >"$T/promtool.out" 2>&1
        check "wait -o prometheus: promtool check metrics accepts it" status_ok $? "$(head -c 300 "$T/promtool.out")"
    fi
    runz wait-stable0 2 run -c "$T/wait.json" --role never --wait 5s --stable 0
    expect_stderr wait-stable0 "wait: --stable 0 is named" "--stable: must be an integer 1..100"
    runz wait-every-fast 2 run -c "$T/wait.json" --role never --wait 5s --every 50ms
    expect_stderr wait-every-fast "wait: --every below 100ms is named" "--every 50ms: must be at least 100ms"
    runz wait-every-long 2 run -c "$T/wait.json" --role never --wait 2s --every 3s
    expect_stderr wait-every-long "wait: --every above the wait is named" "--every 3000ms is longer than --wait 2s"
    runz wait-stable-alone 2 run -c "$T/wait.json" --role never --stable 2
    expect_stderr wait-stable-alone "wait: --stable without --wait is named" "--stable needs --wait"
}
