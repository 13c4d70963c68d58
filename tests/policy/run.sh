#!/usr/bin/env bash
# run.sh [ZTPROBE]: `ztprobe policy check|plan` from the command line: exit codes 0/1/2,
# --strict, -o json|text|yaml, error messages naming file/document/object/path, the warning
# for policy kinds the evaluator does not read, and the govtech proof: the rendered manifests
# (kubectl kustomize manifests) agree with config/govtech.json on every probe (no count is
# fixed: other work adds probes), coverage printed. `policy plan` output must validate and
# pass its own check, on the govtech render and on e2e fixtures with a Service per pod.
# `run --policies`: the policy field, the hints and the matrix_contradicts_policies diagnosis,
# against a listener on loopback (the only traffic here: 127.0.0.x). Prints ok/not ok lines and "N passed, M failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
REPO=$ROOT
zt_agent "${1:-$REPO/ztprobe}"
Z=$ZT
zt_init policy
cd "$REPO"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
DNS=tests/policy/fixtures/kube-dns.yaml

# The govtech render: the machine's kubectl, else the 1.20 one tests/manifests unpacks.
KUBECTL=$(command -v kubectl || echo "$REPO/build/manifests/kubectl-1.20/usr/bin/kubectl")
if "$KUBECTL" kustomize manifests >"$T/govtech.yaml" 2>"$T/k.err"; then
    ok "kubectl kustomize manifests renders"
else
    notok "kubectl kustomize manifests renders" "$(head -2 "$T/k.err")"
fi

"$Z" help policy >"$T/help" 2>&1
check "help policy exits 0" status_ok $?
grep -q "policy check -c CONFIG -f OBJECTS" "$T/help"
check "help policy shows check and plan" status_ok $?

# --- the govtech proof --------------------------------------------------------------------
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" >"$T/g.json" 2>"$T/g.err"
rc=$?
check "govtech: policy check exits 0" status_ok $rc "rc $rc: $(head -3 "$T/g.err")"
want=$(json config/govtech.json "sum(len(r['probes']) for r in d['roles'].values())")
got=$(json "$T/g.json" "d['summary']['probes']")
[ -n "$want" ] && [ "$want" = "$got" ]
check "govtech: every probe of config/govtech.json is judged ($got of $want)" status_ok $?
[ "$(json "$T/g.json" "d['summary']['disagree']")" = 0 ]
st=$?; check "govtech: disagree 0 ($(json "$T/g.json" "d['summary']"))" status_ok $st
json "$T/g.json" "'\n'.join('  %s/%s: %s (%s)' % (p['role'], p['name'], p['intended'], p['reason']) for p in d['probes'] if p['agrees'] is not True)"
[ "$(json "$T/g.json" "all(not p['egress']['by'] or p['intended']=='allow' for p in d['probes'])")" = True ]
check "govtech: by lists rules only for allowed paths" status_ok $?
[ "$(json "$T/g.json" "d['schema']")" = ztprobe/policy-check/v1 ]
check "govtech: report schema ztprobe/policy-check/v1" status_ok $?
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -o text >"$T/g.txt" 2>&1
check "govtech: -o text exits 0" status_ok $?
grep -E "^probes [0-9]+: agree [0-9]+, disagree 0" "$T/g.txt" >/dev/null && grep -q "^coverage: [0-9]* of [0-9]* rules" "$T/g.txt"
check "govtech: text shows the summary and the coverage" status_ok $?
sed -n '/^probes/,$p' "$T/g.txt"

# Without the cluster DNS in the objects, the DNS probes cannot be decided: unknown, not a
# guess; --strict turns that into exit 1.
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" >"$T/n.json" 2>/dev/null
check "no kube-dns objects: exit 0 (unknown is not a disagreement)" status_ok $?
[ "$(json "$T/n.json" "[p['intended'] for p in d['probes'] if p['kind']=='dns'] == ['unknown']*len([p for p in d['probes'] if p['kind']=='dns']) and len(d['probes'])>0")" = True ]
check "no kube-dns objects: dns probes are unknown" status_ok $?
"$Z" policy check --strict -c config/govtech.json -f "$T/govtech.yaml" >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ]
check "--strict: unknown answers exit 1" status_ok $? "rc $rc"

# -f with a folder (as kubectl takes one): exit 2, and what to give instead.
"$Z" policy check -c config/govtech.json -f manifests >/dev/null 2>"$T/dir.err"
rc=$?
[ $rc -eq 2 ] && grep -q "manifests: is a directory: .*kubectl kustomize manifests" "$T/dir.err"
check "policy check -f FOLDER: exit 2, says to give its files or render the kustomization" status_ok $? \
    "rc $rc: $(head -c 300 "$T/dir.err")"

# -c - -f -: one stream on stdin, the config first, the objects after `---`: the same answer
# as from files (kubectl exec -i ... -- ztprobe policy check -c - -f -, with no volume).
{ cat config/govtech.json; echo '---'; cat "$T/govtech.yaml" "$DNS"; } |
    "$Z" policy check -c - -f - >"$T/stdin.json" 2>"$T/stdin.err"
rc=$?
[ $rc -eq 0 ] && [ "$(json "$T/stdin.json" "d['summary']")" = "$(json "$T/g.json" "d['summary']")" ]
check "policy check -c - -f -: one stream, the config first; the same summary as from files" status_ok $? \
    "rc $rc: $(head -c 300 "$T/stdin.err")"

# Names and reasons come from objects someone else wrote: -o text shows them through the one
# terminal filter (ESC and the C1 control U+009B, CSI, become '?').
sed 's/name: allow-dns-egress/name: "allow-dns-\\e[31m\\u009begress"/' "$T/govtech.yaml" >"$T/evil.yaml"
"$Z" policy check -c config/govtech.json -f "$T/evil.yaml" -f "$DNS" -o text >"$T/evil.txt" 2>&1
grep -q 'allow-dns-?\[31m?egress' "$T/evil.txt" && ! LC_ALL=C grep -qaP '\x1b|\xc2[\x80-\x9f]' "$T/evil.txt"
check "policy check -o text: ESC and C1 controls in a policy's name shown as ?" status_ok $?

# DNS over UDP decides; a policy that opens only UDP 53 is named in the reason.
python3 - "$T/govtech.yaml" "$T/udp53.yaml" <<'EOF2'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "allow-dns-egress":
        d["spec"]["egress"][0]["ports"] = [{"protocol": "UDP", "port": 53}]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF2
"$Z" policy check -c config/govtech.json -f "$T/udp53.yaml" -f "$DNS" >"$T/u.json" 2>/dev/null
[ "$(json "$T/u.json" "all(p['intended']=='allow' and 'TCP 53 is denied' in p['reason'] for p in d['probes'] if p['kind']=='dns')")" = True ]
check "DNS policy with UDP 53 only: dns probes allowed, the reason says TCP 53 is denied" status_ok $?

# A matrix that contradicts the policies.
python3 - config/govtech.json "$T/bad.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for p in c["roles"]["frontend"]["probes"]:
    if p["name"] == "no-direct-db":
        p["expect"] = "allow"
json.dump(c, open(sys.argv[2], "w"))
EOF
"$Z" policy check -c "$T/bad.json" -f "$T/govtech.yaml" -f "$DNS" >"$T/b.json" 2>/dev/null
rc=$?
[ $rc -eq 1 ]
check "a contradicting probe: exit 1" status_ok $? "rc $rc"
[ "$(json "$T/b.json" "[(p['name'], p['agrees']) for p in d['probes'] if p['agrees'] is False]")" = "[('no-direct-db', False)]" ]
check "a contradicting probe: agrees false on exactly that probe" status_ok $?

# --- errors: exit 2 with file, document, object and path ----------------------------------
cat >"$T/bad.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: govtech}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: govtech}
spec:
  podSelector: {}
  egress:
  - {}
  - ports: [{port: "5432/tcp"}]
EOF
"$Z" policy check -c config/govtech.json -f "$T/bad.yaml" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -qF "$T/bad.yaml: document 2 (NetworkPolicy govtech/backend): spec.egress[1].ports[0].port: must be a number or an IANA port name" "$T/e"
check "malformed object: exit 2 naming file, document, object, path" status_ok $? "rc $rc: $(cat "$T/e")"
printf 'kind: Pod\nmetadata: {name: p\n' >"$T/syntax.yaml"
"$Z" policy check -c config/govtech.json -f "$T/syntax.yaml" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "syntax.yaml: line" "$T/e"
check "YAML syntax error: exit 2 with the line" status_ok $? "rc $rc: $(cat "$T/e")"
"$Z" policy check -c config/govtech.json -f "$T/missing.yaml" >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q "missing.yaml: cannot read: No such file" "$T/e"
check "unreadable file: exit 2" status_ok $?
"$Z" policy check -c config/govtech.json >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q -- "-f FILE is required" "$T/e"
check "no -f: exit 2" status_ok $?
"$Z" policy lint -f "$T/govtech.yaml" >/dev/null 2>&1
check "unknown subcommand: exit 2" status_ok $(($? == 2 ? 0 : 1))
"$Z" policy check -o junit -c config/govtech.json -f "$T/govtech.yaml" >/dev/null 2>&1
check "check -o junit: exit 2" status_ok $(($? == 2 ? 0 : 1))
"$Z" run -o yaml -c config/govtech.json --role x >/dev/null 2>&1
check "-o yaml stays refused by run" status_ok $(($? == 2 ? 0 : 1))
python3 -c "import json; c=json.load(open('config/govtech.json')); c['roles']['frontend']['selector']={'app': 'nothing-here'}; json.dump(c, open('$T/nosel.json','w'))"
"$Z" policy check -c "$T/nosel.json" -f "$T/govtech.yaml" >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q "ambiguous namespace\|no namespace" "$T/e"
check "role namespace that cannot be placed: exit 2" status_ok $? "$(cat "$T/e")"

# --- policy kinds the evaluator does not read ----------------------------------------------
cat >"$T/cilium.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7-rules, namespace: govtech}
spec: {endpointSelector: {}}
EOF
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f "$T/cilium.yaml" >"$T/c.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -q "warning: CiliumNetworkPolicy govtech/l7-rules skipped" "$T/e"
check "CiliumNetworkPolicy: a warning naming it" status_ok $? "rc $rc: $(cat "$T/e")"
[ "$(json "$T/c.json" "set(p['intended'] for p in d['probes'])")" = "{'unknown'}" ]
check "CiliumNetworkPolicy in the namespace: every answer unknown" status_ok $?

# --- policy plan ---------------------------------------------------------------------------
for fmt in json yaml; do
    "$Z" policy plan -f "$T/govtech.yaml" -f "$DNS" --namespace govtech --role-label app -o $fmt >"$T/plan.$fmt" 2>"$T/e"
    check "plan -o $fmt on govtech exits 0" status_ok $? "$(cat "$T/e")"
    "$Z" validate -c "$T/plan.$fmt" >/dev/null 2>"$T/e"
    check "plan -o $fmt on govtech: validate accepts it" status_ok $? "$(cat "$T/e")"
    "$Z" policy check -c "$T/plan.$fmt" -f "$T/govtech.yaml" -f "$DNS" >"$T/pc.json" 2>"$T/e"
    check "plan -o $fmt on govtech: its own check exits 0" status_ok $? "$(cat "$T/e")"
    [ "$(json "$T/pc.json" "(d['summary']['disagree'], d['summary']['unknown'], d['summary']['probes'] > 5)")" = "(0, 0, True)" ]
    st=$?; check "plan -o $fmt on govtech: disagree 0, unknown 0 ($(json "$T/pc.json" "d['summary']"))" status_ok $st
done
grep -q "^# todo: role backend: govtech/backend-network-policy egress rule 1" "$T/plan.yaml"
check "plan -o yaml: the outside allow is a todo comment naming the rule" status_ok $?
[ "$(json "$T/plan.json" "any('backend-network-policy egress rule 1' in t for t in d['todo'])")" = True ]
check "plan -o json: the outside allow is in todo" status_ok $?
"$Z" policy plan -f "$T/govtech.yaml" -f "$DNS" >"$T/plan2.json" 2>"$T/e"
[ $? -eq 2 ] && grep -q "several namespaces" "$T/e"
check "plan without --namespace across namespaces: exit 2" status_ok $? "$(cat "$T/e")"

# e2e fixtures, with a Service per pod so there is something to probe.
for f in 03-pod-selector-same-ns 10-pod-and-namespace-selector 19-egress-named-port 28-egress-denied-on-client-side; do
    python3 - tests/unit/fixtures/netpol-e2e/$f.yaml "$T/svc.yaml" <<'EOF'
import sys
out = []
for ns in "xyz":
    for p in "abc":
        out.append(f"apiVersion: v1\nkind: Service\nmetadata: {{name: s-{p}, namespace: {ns}}}\n"
                   f"spec: {{selector: {{pod: {p}}}, ports: [{{port: 80, targetPort: serve-80-tcp}}, {{port: 81}}]}}\n")
open(sys.argv[2], "w").write("---\n".join(out))
EOF
    fx=tests/unit/fixtures/netpol-e2e/$f.yaml
    "$Z" policy plan -f "$fx" -f "$T/svc.yaml" --namespace x -o yaml >"$T/e2e.yaml" 2>"$T/e"
    "$Z" validate -c "$T/e2e.yaml" >/dev/null 2>>"$T/e"
    check "plan on e2e $f validates" status_ok $? "$(cat "$T/e")"
    "$Z" policy check -c "$T/e2e.yaml" -f "$fx" -f "$T/svc.yaml" >"$T/pc.json" 2>"$T/e"
    [ $? -eq 0 ] && [ "$(json "$T/pc.json" "d['summary']['disagree']")" = 0 ]
    st=$?; check "plan on e2e $f passes its own check ($(json "$T/pc.json" "d['summary']"))" status_ok $st "$(cat "$T/e")"
done

# --- run --policies (loopback only: 127.0.0.x stand for the pods' IPs) ---------------------
cat >"$T/objs.yaml" <<'EOF2'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: app, labels: {app: db}}
status: {podIP: 127.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: cache, namespace: app, labels: {app: cache}}
status: {podIP: 127.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432}]
EOF2
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$T/listener.port" &
LISTENER=$!
zt_track "$LISTENER"
wait_ports listener
PORT=$(port listener)
cat >"$T/run.json" <<EOF2
{"version": 1, "roles": {"web": {"selector": {"app": "web"}, "namespace": "app", "probes": [
 {"name": "db-wrong-port", "kind": "tcp", "host": "127.0.0.2", "port": 1, "expect": "allow", "timeout_ms": 500},
 {"name": "db", "kind": "tcp", "host": "127.0.0.2", "port": 5432, "expect": "allow", "timeout_ms": 500},
 {"name": "cache-pg", "kind": "tcp", "host": "127.0.0.1", "port": 5432, "expect": "allow", "timeout_ms": 500},
 {"name": "no-cache", "kind": "tcp", "host": "127.0.0.1", "port": $PORT, "expect": "deny", "timeout_ms": 500},
 {"name": "no-db", "kind": "tcp", "host": "127.0.0.2", "port": 5432, "expect": "deny", "timeout_ms": 500}
]}}}
EOF2
"$Z" run -c "$T/run.json" --role web --policies "$T/objs.yaml" >"$T/r.json" 2>"$T/e"
rc=$?
[ $rc -eq 1 ]
check "run --policies: exit 1 (probes fail)" status_ok $? "rc $rc: $(cat "$T/e")"
hint() { json "$T/r.json" "[r['hint'] for r in d['results'] if r['name']=='$1'][0]"; }
pol() { json "$T/r.json" "[r['policy']['intended'] for r in d['results'] if r['name']=='$1'][0]"; }
hint db-wrong-port | grep -q "nearest rule, app/web-egress egress rule 0, allows this peer on other ports: wrong port in the policy?"
st=$?; check "run --policies: failed allow, policies deny, same peer: wrong port? ($(pol db-wrong-port))" status_ok $st "$(hint db-wrong-port)"
hint cache-pg | grep -q "allows this port to other pods: pod labels don't match the podSelector?"
check "run --policies: failed allow, policies deny, same port: labels?" status_ok $? "$(hint cache-pg)"
hint db | grep -q "^The policies allow this path (app/web-egress egress rule 0), so this is not a policy effect"
check "run --policies: failed allow the policies allow: not a policy effect" status_ok $? "$(hint db)"
hint no-cache | grep -q "yet it connected: the CNI does not enforce NetworkPolicy"
check "run --policies: deny that connected, policies deny: CNI not enforcing" status_ok $? "$(hint no-cache)"
[ "$(json "$T/r.json" "[r['policy'] for r in d['results'] if r['name']=='db'][0]['by']")" = "[{'policy': 'app/web-egress', 'direction': 'egress', 'rule': 0}]" ]
check "run --policies: result policy.by names the rule" status_ok $?
json "$T/r.json" "[x['message'] for x in d['diagnoses'] if x['code']=='matrix_contradicts_policies'][0]" >"$T/diag"
grep -q "db-wrong-port (expect allow, policies deny)" "$T/diag" && grep -q "no-db (expect deny, policies allow)" "$T/diag" &&
    ! grep -q "no-cache" "$T/diag"
check "run --policies: matrix_contradicts_policies lists exactly the contradicting probes" status_ok $? "$(cat "$T/diag")"
"$Z" merge -o json "$T/r.json" >"$T/m.json" 2>"$T/e"
[ $? -eq 1 ] && [ "$(json "$T/m.json" "d['schema']")" != "" ]
check "merge reads a report with policy fields (exit 1: probes failed)" status_ok $? "$(cat "$T/e")"
ZTPROBE_POLICIES="$T/objs.yaml" "$Z" run -c "$T/run.json" --role web --only db >"$T/r2.json" 2>/dev/null
[ "$(json "$T/r2.json" "d['results'][0]['policy']['intended']")" = allow ]
check "run: \$ZTPROBE_POLICIES works as --policies" status_ok $?
"$Z" run -c "$T/run.json" --role web --only db >"$T/r3.json" 2>/dev/null
[ "$(json "$T/r3.json" "'policy' in d['results'][0]")" = False ]
check "run without --policies: no policy key" status_ok $?
"$Z" run -c "$T/run.json" --role web --policies "$T/bad.yaml" >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q "bad.yaml: document 2 (NetworkPolicy govtech/backend)" "$T/e"
check "run --policies with a malformed object: exit 2 naming it" status_ok $? "$(cat "$T/e")"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

# --- the admin tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) ---
# shellcheck source=tests/policy/admin_tiers.sh
. "$HERE/admin_tiers.sh"

zt_finish
