# objects.sh: sourced by run.sh (needs $ZT, $T, check, status_ok, runm): the object reader
# under hostile input (issue 18): stdin read to its end, duplicate keys, the API server's
# caps, cost bounded in time (a 10 s hang guard, not a timing assertion) and memory.

# ---- stdin ends where the input ends: a line "..." hides nothing
cat >"$T/obj-cfg.json" <<'CFG'
{"version":1,"roles":{"a":{"namespace":"x","selector":{"app":"a"},"probes":[{"name":"out","kind":"tcp","host":"203.0.113.5","port":443,"expect":"deny"}]}}}
CFG
cat >"$T/hidden.yaml" <<'OBJS'
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: x, labels: {app: a}}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
...
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-egress, namespace: x}
spec: {podSelector: {}, policyTypes: [Egress], egress: [{}]}
OBJS
timeout 10 "$ZT" policy check -c "$T/obj-cfg.json" -f - -o json <"$T/hidden.yaml" >"$T/hidden-file.out" 2>"$T/hidden-file.err"
RC=$?
[ "$RC" -eq 1 ] && grep -q 'allow-all-egress' "$T/hidden-file.out"
check "policy check -f - < FILE: the policy after a line '...' is read (exit $RC, the probe disagrees)" status_ok $? "exit $RC; $(head -c 300 "$T/hidden-file.err")"
# shellcheck disable=SC2002 # a pipe that closes, not a file
cat "$T/hidden.yaml" | timeout 10 "$ZT" policy check -c "$T/obj-cfg.json" -f - -o json >"$T/hidden-pipe.out" 2>"$T/hidden-pipe.err"
RC=$?
[ "$RC" -eq 1 ] && grep -q 'allow-all-egress' "$T/hidden-pipe.out"
check "policy check -f - on a pipe: the policy after a line '...' is read (exit $RC)" status_ok $? "exit $RC; $(head -c 300 "$T/hidden-pipe.err")"
{ cat "$T/obj-cfg.json"; echo '---'; cat "$T/hidden.yaml"; } |
    timeout 10 "$ZT" policy check -c - -f - -o json >"$T/hidden-both.out" 2>"$T/hidden-both.err"
RC=$?
[ "$RC" -eq 1 ] && grep -q 'allow-all-egress' "$T/hidden-both.out"
check "policy check -c - -f -: the policy after a line '...' is read (exit $RC)" status_ok $? "exit $RC; $(head -c 300 "$T/hidden-both.err")"

# ---- duplicate keys: kubectl keeps the last, so the reader refuses them (JSON and YAML)
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: a-1, namespace: x, labels: {app: a, app: b}}\n' >"$T/dup.yaml"
printf '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a-1","namespace":"x","labels":{"app":"a"}}},\n{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"d","namespace":"x"},"spec":{"podSelector":{},"policyTypes":["Egress"],"policyTypes":[]}}]}\n' >"$T/dup.json"
for f in dup.yaml dup.json; do
    timeout 10 "$ZT" policy check -c "$T/obj-cfg.json" -f "$T/$f" >"$T/$f.out" 2>"$T/$f.err"
    RC=$?
    case $f in
    dup.yaml) want="$T/dup.yaml: document 1: metadata.labels.app: duplicate key" ;;
    *) want="$T/dup.json: document 1: items[1].spec.policyTypes: duplicate key" ;;
    esac
    [ "$RC" -eq 2 ] && grep -qF "$want" "$T/$f.err"
    check "duplicate key in $f: exit $RC naming file, document and path" status_ok $? "exit $RC; $(head -c 300 "$T/$f.err")"
done
# A mapping of 100,000 keys with the duplicate last: sorted, not pairwise (10 s: a hang guard).
$PY - "$T/dupbig.json" <<'PYEOF'
import json, sys
labels = ",".join('"k%d":"value-%d"' % (i, i) for i in range(100000)) + ",\"k7\":\"w\""
open(sys.argv[1], "w").write('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"x","labels":{%s}}}' % labels)
PYEOF
ZT_HARD_TIMEOUT=10 runm dupbig policy check -c "$T/obj-cfg.json" -f "$T/dupbig.json"
[ "$RC" -eq 2 ] && grep -qF "metadata.labels.k7: duplicate key" "$T/dupbig.err"
check "duplicate among 100,000 keys: exit $RC in $MS ms (124 = hung)" status_ok $? "exit $RC; $(head -c 300 "$T/dupbig.err")"

# ---- the reader's cost: each hostile input of tests/bench/reader_bench.py answered or refused,
# in bounded memory (peak RSS <= 8 x input + 16 MB), within a 60 s hang guard (these took 9 s to
# 4 minutes, and 2.6 GB for the zeros). The guard is not a timing assertion.
$PY "$ROOT/tests/bench/reader_bench.py" --gen "$T/hostile" || notok "reader_bench.py --gen"
# A sanitized agent pays for shadow memory, redzones and a quarantine that keeps freed memory
# resident by design: the quarantine is kept small, and its floor (a one-object file) is
# subtracted, so it measures what the plain agent would. The plain agent is measured as is.
OBJ_ASAN_SAVED=${ASAN_OPTIONS:-}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:malloc_context_size=0"
OBJ_FLOOR=0
if ldd "$ZT" 2>/dev/null | grep -q libasan; then
    echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}' >"$T/tiny-objects.json"
    runm cost-floor policy check -c "$T/obj-cfg.json" -f "$T/tiny-objects.json"
    OBJ_FLOOR=$RSS_KB
fi
# cost NAME WANT_RC LABEL [GREP]: policy check on hostile/NAME; exit WANT_RC (a|b allowed),
# bounded memory, GREP (when given) in stderr.
cost() {
    local name=$1 want=$2 label=$3 grep_for=${4:-} f=$T/hostile/$1 kb
    kb=$(($(stat -c %s "$f") / 1024))
    ZT_HARD_TIMEOUT=60 runm "cost-$name" policy check -c "$T/hostile/config.json" -f "$f" -o json
    case "|$want|" in *"|$RC|"*) ;; *) notok "$label: exit $RC, want $want" "$(head -c 300 "$T/cost-$name.err")"; return ;; esac
    [ $((RSS_KB - OBJ_FLOOR)) -le $((8 * kb + 16384)) ]
    check "$label: exit $RC in $MS ms, peak RSS $((RSS_KB / 1024)) MB (sanitizer floor $((OBJ_FLOOR / 1024)) MB) <= 8 x $((kb / 1024)) MB + 16 MB" status_ok $? "peak $RSS_KB kB, floor $OBJ_FLOOR kB, input $kb kB"
    if [ -n "$grep_for" ]; then
        grep -qF -- "$grep_for" "$T/cost-$name.err"
        check "$label: the message says why" status_ok $? "$(head -c 300 "$T/cost-$name.err")"
    fi
}
cost labels-36k.json 0 "pods and policies with 36,000 labels each (selectors matched by binary search)"
cost ns-labels-80k.json "0|1" "a Namespace with 80,000 labels"
cost namespaces-50k.json "0|1" "50,000 namespaces (found by hash)"
cost podips-100k.json 2 "a pod with 100,000 podIPs" "document 1: (top level): takes more than 19 MB in memory as a tree"
cost zeros-63m.json 2 "a 63 MB JSON array of zeros" "document 1: (top level): must be a Kubernetes object"
cost realistic.yaml "0|1" "realistic multi-document YAML"
cost realistic.json "0|1" "realistic JSON List (items read one by one)"
export ASAN_OPTIONS=$OBJ_ASAN_SAVED
[ -n "$ASAN_OPTIONS" ] || unset ASAN_OPTIONS
# A pod's labels as the API server validates them, its annotations' total, podIPs per family.
obj_err() { # NAME OBJECT_YAML WANT: policy check refuses OBJECT_YAML with exit 2 and WANT
    printf '%s\n' "$2" >"$T/$1.yaml"
    timeout 10 "$ZT" policy check -c "$T/obj-cfg.json" -f "$T/$1.yaml" >"$T/$1.out" 2>"$T/$1.err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -qF -- "$3" "$T/$1.err"
    check "$1: exit $rc, $3" status_ok $? "exit $rc; $(head -c 300 "$T/$1.err")"
}
obj_err label-key 'kind: Pod
apiVersion: v1
metadata: {name: p, namespace: x, labels: {"a b": c}}' 'document 1 (Pod x/p): metadata.labels.a b: not a valid label key'
obj_err label-value 'kind: Pod
apiVersion: v1
metadata: {name: p, namespace: x, labels: {app: "-x"}}' 'metadata.labels.app: not a valid label value'
obj_err label-long 'kind: Namespace
apiVersion: v1
metadata: {name: x, labels: {app: "'"$(printf 'v%.0s' $(seq 64))"'"}}' 'metadata.labels.app: not a valid label value'
obj_err selector-key 'kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: n, namespace: x}
spec: {podSelector: {matchLabels: {"example.com/": a}}}' 'spec.podSelector.matchLabels.example.com/: not a valid label key'
printf 'kind: Pod\napiVersion: v1\nmetadata:\n  name: p\n  namespace: x\n  annotations: {a: "%s"}\n' "$(head -c 262144 /dev/zero | tr '\0' v)" >"$T/annot.yaml"
timeout 10 "$ZT" policy check -c "$T/obj-cfg.json" -f "$T/annot.yaml" >/dev/null 2>"$T/annot.err"
RC=$?
[ "$RC" -eq 2 ] && grep -qF 'document 1 (Pod x/p): metadata.annotations: 262145 bytes in all, more than the API server'"'"'s 262144' "$T/annot.err"
check "annotations over 256 KiB in all: exit $RC naming the object" status_ok $? "exit $RC; $(head -c 300 "$T/annot.err")"
obj_err podips-3 'kind: Pod
apiVersion: v1
metadata: {name: p, namespace: x}
status: {podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}, {ip: 10.0.0.3}]}' 'document 1 (Pod x/p): status.podIPs: 3 addresses: the API server allows at most 2, one per family'
obj_err podips-family 'kind: Pod
apiVersion: v1
metadata: {name: p, namespace: x}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]}' 'status.podIPs[1].ip: a second address of one family'

# ---- the overall time limit of policy check|plan (default 120 s): past it, exit 2 and a message,
# here after 1 s on a FIFO whose writer is silent (the read's own idle deadline is 10 s).
rm -f "$T/slow.fifo"
mkfifo "$T/slow.fifo"
(exec 3>"$T/slow.fifo"; exec sleep 30) &
HOLD=$!
zt_track "$HOLD"
ZTPROBE_POLICY_TIME_LIMIT=1 ZT_HARD_TIMEOUT=20 runm slow policy check -c "$T/obj-cfg.json" -f "$T/slow.fifo"
kill "$HOLD" 2>/dev/null
[ "$RC" -eq 2 ] && [ "$MS" -lt 9000 ] && grep -qF 'policy check: not done within its 1 s time limit (ZTPROBE_POLICY_TIME_LIMIT)' "$T/slow.err"
check "policy check past its time limit: exit $RC after $MS ms with a message" status_ok $? "exit $RC, $MS ms; $(head -c 300 "$T/slow.err")"
