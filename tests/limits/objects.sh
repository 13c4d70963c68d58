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
