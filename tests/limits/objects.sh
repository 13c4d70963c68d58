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
# A mapping of 200,000 keys with the duplicate last: sorted, not pairwise (10 s: a hang guard).
$PY - "$T/dupbig.json" <<'PYEOF'
import json, sys
labels = ",".join('"k%d":"v"' % i for i in range(200000)) + ',"k7":"w"'
open(sys.argv[1], "w").write('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"x","labels":{%s}}}' % labels)
PYEOF
ZT_HARD_TIMEOUT=10 runm dupbig policy check -c "$T/obj-cfg.json" -f "$T/dupbig.json"
[ "$RC" -eq 2 ] && grep -qF "metadata.labels.k7: duplicate key" "$T/dupbig.err"
check "duplicate among 200,000 keys: exit $RC in $MS ms (124 = hung)" status_ok $? "exit $RC; $(head -c 300 "$T/dupbig.err")"
