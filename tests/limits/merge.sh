# merge.sh: sourced by run.sh (needs $ZT, $T, $PY, check, status_ok, runm): merge's cost under
# hostile reports (issue 18, item 9): -o html indexes each result once (three 2.4 MB reports
# of 10,000 results with distinct targets took 51 s), `merge -` on a silent pipe ends at the
# idle deadline. Time limits here are hang guards, not timing assertions.
$PY - "$T" <<'PYEOF'
import json, sys
res0 = {"name": "p", "kind": "tcp", "target": "a:1", "expect": "deny", "verdict": "pass", "outcome": "timeout",
        "detail": None, "hint": None, "attempts": 1, "duration_ms": 1, "addresses": [],
        "timings_ms": {"dns": None, "connect": None, "tls": None, "first_byte": None}}
for r in range(3):
    res = [dict(res0, name="p%d" % i, target="h%d.example:80" % i) for i in range(10000)]
    d = {"schema": "ztprobe/report/v1", "agent_version": "0.1.0", "role": "r%d" % r,
         "pod": {"name": "p-%d" % r, "namespace": "ns"}, "started_at": "2026-11-26T05:00:00.123Z",
         "duration_ms": 1, "summary": {"total": 10000, "passed": 10000, "failed": 0, "inconclusive": 0, "ok": True},
         "diagnoses": [], "results": res}
    open("%s/wide%d.json" % (sys.argv[1], r), "w").write(json.dumps(d, separators=(",", ":")))
PYEOF
for fmt in html text json; do
    ZT_HARD_TIMEOUT=15 runm "wide-$fmt" merge -o "$fmt" "$T/wide0.json" "$T/wide1.json" "$T/wide2.json"
    [ "$RC" -eq 0 ] && [ -s "$T/wide-$fmt.out" ]
    check "merge -o $fmt of three reports of 10,000 results, 10,000 columns: exit $RC in $MS ms (124 = over the 15 s guard)" status_ok $? "exit $RC; $(head -c 200 "$T/wide-$fmt.err")"
done
[ "$(grep -o '<th scope="col">' "$T/wide-html.out" | wc -l)" -eq 10001 ] && [ "$(grep -o '<td>' "$T/wide-html.out" | wc -l)" -eq 30000 ] &&
    [ "$(grep -c '<td class="none">' "$T/wide-html.out")" -eq 0 ]
check "merge -o html: 10,000 target columns, each result in its own (30,000 filled cells)" status_ok $? "$(grep -o '<td>' "$T/wide-html.out" | wc -l) filled"

# merge - on a pipe whose writer stays silent: the idle deadline (10 s), exit 2, no hang.
mkfifo "$T/merge-silent.fifo"
(exec sleep 30) >"$T/merge-silent.fifo" &
HOLD=$!
zt_track "$HOLD"
st0=$(date +%s%N)
timeout -k 2 25 "$ZT" merge - <"$T/merge-silent.fifo" >"$T/merge-silent.out" 2>"$T/merge-silent.err"
RC=$?
kill "$HOLD" 2>/dev/null
MS=$((($(date +%s%N) - st0) / 1000000))
[ "$RC" -eq 2 ] && grep -q -- '-: cannot read: no data and no end of input for 10 s' "$T/merge-silent.err"
[ "$MS" -lt 20000 ]
check "merge - on a silent pipe: exit $RC after $MS ms (124 = hung)" status_ok $? "exit $RC; $(head -c 200 "$T/merge-silent.err")"
