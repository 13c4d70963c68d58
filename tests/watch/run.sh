#!/usr/bin/env bash
# run.sh BIN: watch over the long run, and the text table's colour rule.
#   - soak: 1,000 runs at a 10 ms interval against loopback servers; resident memory and open
#     descriptors sampled after 100 runs and after 1,000 must not grow (memory within 512 KiB,
#     descriptors equal); SIGTERM then ends it with exit 0 within a second.
#   - overrun: a run that takes longer than the interval is followed by the next, never
#     overlapped: runs are counted against the time they take, not against the interval.
#   - startup: watch --startup: each deny's unprotected window within a round of the moment the
#     path closed, +Inf for one never closed, the metrics (promtool), the log line, usage errors.
#   - colour: -o text on a terminal (a pty from `script`) has ANSI colours; with NO_COLOR set,
#     into a pipe, or with --out, it has none.
# Prints "ok - ..." / "not ok - ..." and "N passed, M failed"; exits 1 on any failure.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
zt_agent "${1:-./ztprobe}"
BIN=$ZT
zt_init watch

srv healthy healthy || { notok "setup" "healthy server did not start"; }
srv silent silent || { notok "setup" "silent server did not start"; }
HP=$(port healthy) SP=$(port silent)

cat >"$T/soak.json" <<JSON
{ "version": 1, "defaults": { "timeout_ms": 1000 }, "dns": { "servers": ["127.0.0.1:9"], "search": false },
  "roles": { "soak": { "selector": { "app": "soak" }, "probes": [
    { "name": "http", "kind": "http", "url": "http://127.0.0.1:$HP/health", "expect": "allow",
      "body_contains": "healthy" },
    { "name": "tcp", "kind": "tcp", "host": "127.0.0.1", "port": $HP, "expect": "allow" },
    { "name": "closed", "kind": "tcp", "host": "127.0.0.1", "port": 9, "expect": "deny",
      "deny_outcomes": ["refused"] } ] } } }
JSON

# sample PID: "rss_kib fds". A run holds sockets while it is in flight, so the descriptors
# are the fewest seen over 30 looks (between runs), the memory the most.
sample() {
    local rss=0 fds=100000 r f
    for _ in $(seq 30); do
        r=$(awk '/^VmRSS:/ {print $2}' /proc/"$1"/status)
        f=$(ls /proc/"$1"/fd | wc -l)
        [ "$r" -gt "$rss" ] && rss=$r
        [ "$f" -lt "$fds" ] && fds=$f
        sleep 0.003
    done
    echo "$rss $fds"
}
wait_runs() { # N: until the run log has N lines (or 120 s)
    for _ in $(seq 2400); do
        [ "$(grep -c '"event":"run"' "$T/soak.err" 2>/dev/null)" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# ---- soak
"$BIN" watch -c "$T/soak.json" --role soak --interval 10ms --out "$T/soak-report.json" 2>"$T/soak.err" &
W=$!
zt_track $W
if wait_runs 100; then
    read -r rss1 fd1 < <(sample $W)
    if wait_runs 1000; then
        read -r rss2 fd2 < <(sample $W)
        t0=$(date +%s%N)
        kill -TERM $W
        wait $W
        rc=$? ms=$((($(date +%s%N) - t0) / 1000000))
        growth=$((rss2 - rss1))
        if [ "$growth" -le 512 ]; then ok "soak: memory flat over runs 100..1000 (${rss1} -> ${rss2} KiB)"
        else notok "soak: memory flat over runs 100..1000" "grew ${growth} KiB (${rss1} -> ${rss2})"; fi
        if [ "$fd1" -eq "$fd2" ]; then ok "soak: descriptors flat over runs 100..1000 ($fd1)"
        else notok "soak: descriptors flat over runs 100..1000" "$fd1 -> $fd2"; fi
        if [ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ]; then ok "soak: SIGTERM -> exit 0 in ${ms} ms"
        else notok "soak: SIGTERM -> exit 0 within 1 s" "exit $rc after ${ms} ms"; fi
        bad=$(grep '"event":"run"' "$T/soak.err" | grep -vc '"ok":true')
        if [ "$bad" -eq 0 ]; then ok "soak: every run passed"; else notok "soak: every run passed" "$bad runs did not"; fi
        if "$BIN" merge "$T/soak-report.json" >/dev/null; then ok "soak: the last --out report is a valid passing report"
        else notok "soak: the last --out report is a valid passing report" "merge rejected it"; fi
    else
        kill $W; notok "soak: 1000 runs" "only $(grep -c . "$T/soak.err") after 120 s"
    fi
else
    kill $W; notok "soak: 100 runs" "$(head -c 300 "$T/soak.err")"
fi

# ---- overrun: each run waits 600 ms on a silent server, the interval is 100 ms.
cat >"$T/slow.json" <<JSON
{ "version": 1, "roles": { "slow": { "selector": { "app": "slow" }, "probes": [
    { "name": "silent", "kind": "http", "url": "http://127.0.0.1:$SP/", "expect": "deny",
      "timeout_ms": 600 } ] } } }
JSON
"$BIN" watch -c "$T/slow.json" --role slow --interval 100ms --out "$T/slow-report.json" 2>"$T/slow.err" &
W=$!
zt_track $W
sleep 3.1
kill -TERM $W
wait $W
runs=$(grep -c '"event":"run"' "$T/slow.err")
# 3.1 s / 0.6 s per run: 5 runs at most one after another; overlapping runs would give ~30.
if [ "$runs" -ge 4 ] && [ "$runs" -le 6 ]; then ok "overrun: $runs runs of 600 ms in 3.1 s at a 100 ms interval (never overlapped)"
else notok "overrun: 4..6 runs of 600 ms in 3.1 s" "$runs runs"; fi

# ---- startup: watch --startup measures how long each deny was not yet enforced. A server that
# stops listening 1 s after the watch starts stands in for the node starting to enforce (its
# refusal is the deny); one that never stops is a deny never enforced.
GP=$(free_port)
"$PY" "$SRV" --mode healthy --bind 127.0.0.1 --port "$GP" --port-file "$T/gone.port" --max-seconds 60 \
    2>>"$T/gone.log" &
GONE=$!
zt_track $GONE
wait_ports gone || notok "startup: setup" "the server to stop did not start"
cat >"$T/startup.json" <<JSON
{ "version": 1, "defaults": { "timeout_ms": 300 },
  "roles": { "s": { "selector": { "app": "s" }, "probes": [
    { "name": "reach", "kind": "tcp", "host": "127.0.0.1", "port": $HP, "expect": "allow" },
    { "name": "gone", "kind": "tcp", "host": "127.0.0.1", "port": $GP, "expect": "deny",
      "deny_outcomes": ["refused"] },
    { "name": "never", "kind": "tcp", "host": "127.0.0.1", "port": $HP, "expect": "deny",
      "deny_outcomes": ["refused"] } ] } } }
JSON
t_start=$(date +%s%N)
"$BIN" watch -c "$T/startup.json" --role s --interval 1h --startup 3s --every 100ms --stable 3 \
    -o prometheus --out "$T/startup.prom" 2>"$T/startup.err" &
W=$!
zt_track $W
sleep 1
t_kill0=$(date +%s%N)
kill -KILL $GONE; wait $GONE 2>/dev/null
t_kill1=$(date +%s%N)
for _ in $(seq 100); do grep -q '"event":"startup"' "$T/startup.err" && [ -s "$T/startup.prom" ] && break; sleep 0.1; done
kill -TERM $W; wait $W
# The deny held from the first round after the server was gone: within one round (100 ms) plus
# a failing round (milliseconds) and slack; the process started a little after t_start.
lo=$(((t_kill0 - t_start) / 1000000 - 200)) hi=$(((t_kill1 - t_start) / 1000000 + 100 + 400))
got=$(awk -F'} ' '/^ztprobe_probe_startup_unprotected_seconds.*probe="gone"/ {printf "%d", $2 * 1000}' "$T/startup.prom")
if [ -n "$got" ] && [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ]; then
    ok "startup: the deny's unprotected window ($got ms) is the moment its server went away (${lo}..${hi} ms)"
else notok "startup: the deny's unprotected window within a round of the change" "got '$got', want ${lo}..${hi}; $(head -c 300 "$T/startup.prom")"; fi
if grep -q '^ztprobe_probe_startup_unprotected_seconds{.*probe="never".*} +Inf$' "$T/startup.prom"; then
    ok "startup: a deny never enforced within --startup is +Inf"
else notok "startup: a deny never enforced within --startup is +Inf" "$(grep startup_unprotected "$T/startup.prom")"; fi
if grep -q '^pod_creation_reachability_latency_seconds_count{role="s",expect="allow"} 1$' "$T/startup.prom"; then
    ok "startup: the allow probe's reachability as perf-tests' pod_creation_reachability_latency_seconds"
else notok "startup: perf-tests' reachability histogram" "$(grep -c pod_creation "$T/startup.prom") lines"; fi
if promtool check metrics <"$T/startup.prom" >"$T/startup.promtool" 2>&1; then ok "startup: promtool check metrics"
else notok "startup: promtool check metrics" "$(head -c 300 "$T/startup.promtool")"; fi
if grep -q '"event":"startup".*"unprotected_ms":{"gone":[0-9.]*,"never":null}' "$T/startup.err"; then
    ok "startup: one log line with each deny's unprotected_ms (null: never)"
else notok "startup: the startup log line" "$(grep startup "$T/startup.err" | head -c 300)"; fi
"$BIN" watch -c "$T/startup.json" --role s --interval 1h --startup 200ms >/dev/null 2>"$T/su.err"
if [ $? -eq 2 ] && grep -q -- '--startup 200ms is shorter than the probe timeout' "$T/su.err"; then ok "startup: shorter than a probe timeout: exit 2 naming --startup"
else notok "startup: shorter than a probe timeout: exit 2" "$(cat "$T/su.err")"; fi
"$BIN" watch -c "$T/startup.json" --role s --interval 1h --stable 2 >/dev/null 2>"$T/su.err"
if [ $? -eq 2 ] && grep -q -- '--stable needs --startup' "$T/su.err"; then ok "startup: --stable without --startup: exit 2 naming it"
else notok "startup: --stable without --startup: exit 2" "$(cat "$T/su.err")"; fi

# ---- colour
cat >"$T/col.json" <<JSON
{ "version": 1, "roles": { "c": { "selector": { "app": "c" }, "probes": [
    { "name": "tcp", "kind": "tcp", "host": "127.0.0.1", "port": $HP, "expect": "allow" } ] } } }
JSON
ESC=$'\033['
script -qec "$BIN run -c $T/col.json --role c -o text" /dev/null >"$T/tty.out" 2>&1
if grep -qF "$ESC" "$T/tty.out"; then ok "colour: -o text on a terminal has ANSI colours"
else notok "colour: -o text on a terminal has ANSI colours" "$(head -c 200 "$T/tty.out")"; fi
NO_COLOR=1 script -qec "$BIN run -c $T/col.json --role c -o text" /dev/null >"$T/nocolor.out" 2>&1
if grep -q "tcp" "$T/nocolor.out" && ! grep -qF "$ESC" "$T/nocolor.out"; then ok "colour: NO_COLOR=1 on a terminal gives plain text"
else notok "colour: NO_COLOR=1 on a terminal gives plain text" "$(head -c 200 "$T/nocolor.out")"; fi
"$BIN" run -c "$T/col.json" --role c -o text >"$T/pipe.out" 2>&1
if grep -q "tcp" "$T/pipe.out" && ! grep -qF "$ESC" "$T/pipe.out"; then ok "colour: -o text into a pipe is plain"
else notok "colour: -o text into a pipe is plain" "$(head -c 200 "$T/pipe.out")"; fi
script -qec "$BIN run -c $T/col.json --role c -o text --out $T/file.out" /dev/null >/dev/null 2>&1
if grep -q "tcp" "$T/file.out" && ! grep -qF "$ESC" "$T/file.out"; then ok "colour: --out from a terminal is plain"
else notok "colour: --out from a terminal is plain" "$(head -c 200 "$T/file.out" 2>/dev/null)"; fi

zt_finish
