#!/usr/bin/env bash
# run.sh BIN: watch over the long run, and the text table's colour rule.
#   - soak: 1,000 runs at a 10 ms interval against loopback servers; resident memory and open
#     descriptors sampled after 100 runs and after 1,000 must not grow (memory within 512 KiB,
#     descriptors equal); SIGTERM then ends it with exit 0 within a second.
#   - overrun: a run that takes longer than the interval is followed by the next, never
#     overlapped: runs are counted against the time they take, not against the interval.
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
