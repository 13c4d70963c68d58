#!/usr/bin/env bash
# run.sh [ZTPROBE]: `ztprobe policy check|plan` from the command line: exit codes 0/1/2,
# --strict, -o json|text|yaml, error messages naming file/document/object/path, the warning
# for policy kinds the evaluator does not read, and the govtech proof: the rendered manifests
# (kubectl kustomize manifests) agree with config/govtech.json on every probe (no count is
# fixed: other work adds probes), coverage printed. `policy plan` output must validate and
# pass its own check, on the govtech render and on e2e fixtures with a Service per pod.
# `run --policies`: the policy field, the hints and the matrix_contradicts_policies diagnosis,
# against a listener on loopback (the only traffic here: 127.0.0.x). The seed's faults (wrong port,
# labels, DNS egress) and the mismatch each names; --explain (check and run). Calico: its policy
# tutorial step by step (fixtures/calico), coverage, bad input, run --policies hints. Cilium: its
# getting-started demo (L3/L4, L7) and deny.rst's table (fixtures/cilium). Prints ok/not ok
# lines and "N passed, M failed".
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
[ "$(json "$T/g.json" "all((not p[s]['by']) == (p[s]['allowed'] is not True or not p[s]['isolated']) for p in d['probes'] for s in ('egress', 'ingress'))")" = True ]
check "govtech: by lists rules exactly for the isolated directions that allow" status_ok $?
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
# (A document break between the two files: concatenated, the last object of one and the first
# of the other would be one mapping with duplicate keys, which the reader refuses.)
{ cat config/govtech.json; echo '---'; cat "$T/govtech.yaml"; echo '---'; cat "$DNS"; } |
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

# --- the seed's four faults: the explanation names the field to change ---------------------
# The govtech render changed as the platform team's troubleshooting list says things break.
python3 - "$T/govtech.yaml" "$T" config/govtech.json <<'EOF2'
import copy, json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def pol(ds, n): return next(d for d in ds if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == n)
wrong = copy.deepcopy(docs)
pol(wrong, "postgres-network-policy")["spec"]["ingress"][0]["ports"][0]["port"] = 5433
dns = copy.deepcopy(docs)
pol(dns, "allow-dns-egress")["spec"]["podSelector"] = {"matchExpressions": [
    {"key": "app", "operator": "NotIn", "values": ["backend"]}]}
relabel = copy.deepcopy(docs)  # the backend's pods relabelled (and its Service following them)
for d in relabel:
    if d["kind"] == "Deployment" and d["metadata"]["name"] == "backend":
        d["spec"]["template"]["metadata"]["labels"]["app"] = "backend-v2"
        d["spec"]["selector"]["matchLabels"]["app"] = "backend-v2"
    if d["kind"] == "Service" and d["spec"].get("selector", {}).get("app") == "backend":
        d["spec"]["selector"]["app"] = "backend-v2"
orphan = copy.deepcopy(relabel)  # the same, the backend's Service left behind (no endpoints)
for d in orphan:
    if d["kind"] == "Service" and d["spec"].get("selector", {}).get("app") == "backend-v2":
        d["spec"]["selector"]["app"] = "backend"
for name, ds in (("wrong-port", wrong), ("dns", dns), ("relabel", relabel), ("orphan", orphan)):
    yaml.safe_dump_all(ds, open("%s/fault-%s.yaml" % (sys.argv[2], name), "w"))
cfg = json.load(open(sys.argv[3]))
cfg["roles"]["backend"]["selector"] = {"app": "backend-v2"}
json.dump(cfg, open("%s/relabel.json" % sys.argv[2], "w"))
EOF2
mm() { json "$1" "[p.get('mismatch') for p in d['probes'] if (p['role'], p['name']) == ('$2', '$3')][0]"; }
reason() { json "$1" "[p['reason'] for p in d['probes'] if (p['role'], p['name']) == ('$2', '$3')][0]"; }
"$Z" policy check -c config/govtech.json -f "$T/fault-wrong-port.yaml" -f "$DNS" >"$T/fw.json" 2>"$T/e"
[ $? -eq 1 ] && [ "$(mm "$T/fw.json" backend postgres)" = "{'policy': 'govtech/postgres-network-policy', 'direction': 'ingress', 'rule': 0, 'peer': None, 'port': 0, 'part': 'port', 'field': 'spec.ingress[0].ports[0].port', 'key': 'port', 'wanted': '5433', 'found': '5432', 'sentence': 'govtech/postgres-network-policy ingress rule 0 would allow this but for its port: spec.ingress[0].ports[0].port is 5433; the probe connects to 5432'}" ]
check "fault wrong port: mismatch names spec.ingress[0].ports[0].port, wanted 5433, found 5432" status_ok $? "$(mm "$T/fw.json" backend postgres)"
reason "$T/fw.json" backend postgres | grep -qF "spec.ingress[0].ports[0].port is 5433; the probe connects to 5432"
check "fault wrong port: the reason says it in one sentence" status_ok $? "$(reason "$T/fw.json" backend postgres)"
[ "$(json "$T/fw.json" "[(p['egress']['allowed'], p['egress']['by'], p['ingress']['allowed']) for p in d['probes'] if (p['role'], p['name']) == ('backend', 'postgres')][0]")" = "(True, [{'policy': 'govtech/backend-network-policy', 'direction': 'egress', 'rule': 0}], False)" ]
check "fault wrong port: the egress that allows lists its rule (by), though ingress denies" status_ok $? \
    "$(json "$T/fw.json" "[(p['egress'], p['ingress']) for p in d['probes'] if p['name'] == 'postgres'][0]")"
"$Z" policy check -c config/govtech.json -f "$T/fault-dns.yaml" -f "$DNS" >"$T/fd.json" 2>"$T/e"
[ $? -eq 1 ] && [ "$(json "$T/fd.json" "[(m['policy'], m['part'], m['field'], m['key'], m['wanted'], m['found']) for m in [p['mismatch'] for p in d['probes'] if (p['role'], p['name']) == ('backend', 'cluster-dns')]][0]")" = "('govtech/allow-dns-egress', 'spec.podSelector', 'spec.podSelector.matchExpressions[0]', 'app', 'NotIn (backend)', 'backend')" ]
check "fault DNS egress missing: mismatch names allow-dns-egress spec.podSelector.matchExpressions[0] (NotIn backend; the pod has app=backend)" status_ok $? "$(mm "$T/fd.json" backend cluster-dns)"
"$Z" policy check -c "$T/relabel.json" -f "$T/fault-relabel.yaml" -f "$DNS" >"$T/fl.json" 2>"$T/e"
[ $? -eq 1 ] && [ "$(json "$T/fl.json" "[(m['policy'], m['direction'], m['peer'], m['field'], m['wanted'], m['found']) for m in [p['mismatch'] for p in d['probes'] if (p['role'], p['name']) == ('frontend', 'backend-health')]][0]")" = "('govtech/frontend-network-policy', 'egress', 0, 'spec.egress[0].to[0].podSelector.matchLabels.app', 'backend', 'backend-v2')" ]
check "fault labels: frontend's egress rule names spec.egress[0].to[0].podSelector.matchLabels.app (backend; the pod has backend-v2)" status_ok $? "$(mm "$T/fl.json" frontend backend-health) $(cat "$T/e")"
reason "$T/fl.json" backend postgres | grep -qF "govtech/backend-network-policy egress rule 0 would allow this, but the policy does not select role backend's pod: spec.podSelector.matchLabels.app is backend; role backend's pod carries app=backend-v2"
check "fault labels: from the backend, the policy that no longer selects it and the label" status_ok $? "$(reason "$T/fl.json" backend postgres)"
# The pods relabelled and their Service left selecting the old label: it has no endpoints, and
# the reason names its selector (not a pod standing in with the selector's labels).
"$Z" policy check -c "$T/relabel.json" -f "$T/fault-orphan.yaml" -f "$DNS" >"$T/fo.json" 2>"$T/e"
[ "$(json "$T/fo.json" "[p['intended'] for p in d['probes'] if (p['role'], p['name']) == ('frontend', 'backend-health')][0]")" = unknown ] &&
    reason "$T/fo.json" frontend backend-health | grep -qE '^Service govtech/backend-service has no endpoints: its selector app=backend(,[^ ]*)? matches none of the [0-9]+ pods of govtech in the objects .*`kubectl get pods -n govtech -l app=backend[^`]*` with `kubectl get pods -n govtech --show-labels`'
check "fault Service left behind: unknown, the reason names its selector and what to compare" status_ok $? "$(reason "$T/fo.json" frontend backend-health) $(cat "$T/e")"
# A CNI that does not enforce is seen only at run time (the lab); statically the policies deny,
# and --explain names the policies that decide it.
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" --explain frontend/no-direct-db -o text >"$T/x.txt" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -q "^  egress, judged at the source: deny" "$T/x.txt" &&
    grep -q "^    chain: denied by govtech/" "$T/x.txt" && grep -q "^  answer: deny (expect deny)" "$T/x.txt"
check "--explain on a deny the policies decide: exit 0, the deciding stage and the answer" status_ok $? "rc $rc: $(cat "$T/x.txt" "$T/e")"

# --- --explain ROLE/PROBE: the whole decision ------------------------------------------------
"$Z" policy check -c config/govtech.json -f "$T/fault-wrong-port.yaml" -f "$DNS" --explain backend/postgres -o text >"$T/x.txt" 2>"$T/e"
rc=$?
[ $rc -eq 1 ] && grep -qx "  ingress, judged at the destination: deny" "$T/x.txt" &&
    grep -qx "    govtech/postgres-network-policy selects the pod" "$T/x.txt" &&
    grep -qx "        port 0: spec.ingress\[0\].ports\[0\].port is 5433, found 5432 (port)" "$T/x.txt" &&
    grep -qx "      egress rule 0: allows" "$T/x.txt" &&
    grep -q "^    govtech/frontend-network-policy does not select the pod: spec.podSelector.matchLabels.app is frontend, found backend" "$T/x.txt"
check "--explain -o text: per direction every policy, each rule's peers and ports, what failed (exit 1: disagrees)" status_ok $? "rc $rc: $(cat "$T/x.txt" "$T/e")"
"$Z" policy check -c config/govtech.json -f "$T/fault-wrong-port.yaml" -f "$DNS" --explain backend/postgres >"$T/x.json" 2>"$T/e"
[ "$(json "$T/x.json" "(d['schema'], d['answer'], [(x['direction'], x['verdict'], x['chain'][0]['stage'], x['chain'][0]['action']) for x in d['directions']], [r['ports'][0] for x in d['directions'] for p in x['policies'] if p['policy'] == 'govtech/postgres-network-policy' for r in p.get('rules', [])], d['mismatch']['field'])")" = "('ztprobe/policy-explain/v1', 'deny', [('egress', 'allow', 'namespaced', 'allow'), ('ingress', 'deny', 'namespaced', 'deny')], [{'port': 0, 'matched': False, 'part': 'port', 'field': 'spec.ingress[0].ports[0].port', 'key': 'port', 'wanted': '5433', 'found': '5432'}], 'spec.ingress[0].ports[0].port')" ]
check "--explain -o json: schema, per-direction verdict and chain, the failing port, the mismatch" status_ok $? "$(head -c 600 "$T/x.json")"
[ "$(json "$T/x.json" "[k for x in d['directions'] for k in ('cilium', 'calico') if k in x]")" = "[]" ]
check "--explain without Cilium or Calico objects: no cilium or calico lists" status_ok $?
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" --explain backend/nope >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "role backend has no probe nope; its probes: postgres, secretsmanager, s3, " "$T/e"
check "--explain with a name that matches no probe: exit 2 listing the role's probes" status_ok $? "rc $rc: $(cat "$T/e")"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" --explain nobody/postgres >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "no role nobody; roles: frontend, backend" "$T/e"
check "--explain with an unknown role: exit 2 listing the roles" status_ok $? "rc $rc: $(cat "$T/e")"
"$Z" policy plan -f "$T/govtech.yaml" --explain backend/postgres >/dev/null 2>&1
check "policy plan --explain: exit 2" status_ok $(($? == 2 ? 0 : 1))

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
spec: {endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: "9092"}], rules: {kafka: [{topic: t}]}}]}]}
EOF
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f "$T/cilium.yaml" >"$T/c.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -qF "warning: CiliumNetworkPolicy govtech/l7-rules skipped (field spec.ingress[0].toPorts[0].rules.kafka is not evaluated for Cilium policies)" "$T/e"
check "CiliumNetworkPolicy with a kafka rule: a warning naming it and the field" status_ok $? "rc $rc: $(cat "$T/e")"
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

# A Service without a selector: its Endpoints / EndpointSlice give the addresses.
cat >"$T/eps.yaml" <<'EOF2'
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop, labels: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: external-db, namespace: shop}
spec: {ports: [{port: 5432}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: external-db, namespace: shop}
subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: no-endpoints, namespace: shop}
spec: {ports: [{port: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 192.0.2.0/28}}], ports: [{port: 5432}]}]
EOF2
printf 'version: 1\nroles:\n  web:\n    namespace: shop\n    selector: {app: web}\n    probes:\n    - {name: db, kind: tcp, host: external-db, port: 5432, expect: allow}\n    - {name: none, kind: tcp, host: no-endpoints, port: 5432, expect: deny}\n' >"$T/eps-cfg.yaml"
"$Z" policy check -c "$T/eps-cfg.yaml" -f "$T/eps.yaml" >"$T/eps.json" 2>/dev/null
[ "$(json "$T/eps.json" "[(p['name'], p['intended']) for p in d['probes']]")" = "[('db', 'allow'), ('none', 'unknown')]" ] &&
    json "$T/eps.json" "d['probes'][1]['reason']" | grep -q "no selector and no Endpoints or EndpointSlice"
check "a Service without a selector: its Endpoints' addresses decide; without them, unknown" status_ok $? \
    "$(json "$T/eps.json" "[(p['name'], p['intended'], p['reason']) for p in d['probes']]")"

# --- Calico policies ------------------------------------------------------------------------
# Calico's own "Calico policy tutorial", step by step: each step's matrix is what the tutorial
# states (fixtures/calico/tutorial-*); the evaluator agrees with every statement.
CAL=tests/policy/fixtures/calico
objs="-f $CAL/tutorial-objects.yaml -f $DNS"
for step in 2 3 4; do
    objs="$objs -f $CAL/tutorial-step$step.yaml"
    # shellcheck disable=SC2086
    "$Z" policy check -c "$CAL/tutorial-matrix$step.yaml" $objs >"$T/cal$step.json" 2>"$T/e"
    rc=$?
    [ $rc -eq 0 ] && [ "$(json "$T/cal$step.json" "(d['summary']['disagree'], d['summary']['unknown'], d['summary']['probes'])")" = "(0, 0, 3)" ]
    check "Calico policy tutorial step $step: agrees with every stated result" status_ok $? \
        "rc $rc: $(json "$T/cal$step.json" "[(p['name'], p['intended'], p['reason']) for p in d['probes']]") $(head -2 "$T/e")"
done
# The same objects against the step before's statements must disagree (the check can fail).
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix3.yaml" $objs >"$T/cal-x.json" 2>/dev/null
rc=$?
[ $rc -eq 1 ] && [ "$(json "$T/cal-x.json" "[p['name'] for p in d['probes'] if p['agrees'] is False]")" = "['nginx']" ]
check "Calico policy tutorial: step 4's objects contradict step 3's statement on nginx (exit 1)" status_ok $? "rc $rc"
json "$T/cal4.json" "[p['reason'] for p in d['probes'] if p['name']=='nginx'][0]" | grep -qF \
    "ingress: allowed by Calico NetworkPolicy advanced-policy-demo/allow-nginx-ingress (tier default, no order) ingress rule 0 (Allow)"
check "Calico: the reason names the policy, its tier and order, the rule and its action" status_ok $?
[ "$(json "$T/cal4.json" "(d['coverage']['rules'], d['coverage']['exercised'])")" = "(1, 1)" ]
check "Calico: coverage counts the Allow rules of Calico policies applying to a role" status_ok $?
python3 - "$CAL/tutorial-matrix4.yaml" "$T/cal-nodns.yaml" <<'EOF2'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["roles"]["access"]["probes"] = [p for p in c["roles"]["access"]["probes"] if p["expect"] == "deny"] + [
    {"name": "never", "kind": "tcp", "host": "nginx", "port": 80, "expect": "deny"}]
yaml.safe_dump(c, open(sys.argv[2], "w"))
EOF2
"$Z" policy check -c "$T/cal-nodns.yaml" -f "$CAL/tutorial-objects.yaml" -f "$DNS" -f "$CAL/tutorial-step2.yaml" \
    -f "$CAL/tutorial-step3.yaml" >"$T/cal-u.json" 2>/dev/null
[ "$(json "$T/cal-u.json" "[(u['policy'], u['direction'], u['rule']) for u in d['coverage']['uncovered']]")" = "[('Calico NetworkPolicy advanced-policy-demo/allow-busybox-egress', 'egress', 0)]" ]
check "Calico: an Allow rule no allow probe uses is listed as uncovered" status_ok $? "$(json "$T/cal-u.json" "d['coverage']")"
# --explain on a path Calico's policies decide: every Calico policy applying to the pod, in
# Calico's order, with tier and order; each rule's action and which part did not match.
cat >"$T/cal-x.yaml" <<'EOF2'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: wrong, namespace: advanced-policy-demo}
spec:
  order: 50
  selector: app == 'nginx'
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: run == 'other'}
    destination: {ports: [8080]}
  - action: Log
  - action: Deny
    protocol: UDP
EOF2
calx="-f $CAL/tutorial-objects.yaml -f $DNS -f $CAL/tutorial-step2.yaml -f $CAL/tutorial-step3.yaml -f $T/cal-x.yaml"
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" $calx --explain access/nginx >"$T/calx.json" 2>"$T/e"
rc=$?
[ $rc -eq 1 ] && [ "$(json "$T/calx.json" "[(p['policy'], p['kind'], p['tier'], p['order'], [(r['rule'], r['action'], r['protocol_matched'], r['source'], r.get('source_why'), r['destination'], r['ports_matched'], r.get('ports_why'), r['matches'], r['decides']) for r in p['rules']]) for p in d['directions'][1]['calico']]")" = "[('advanced-policy-demo/wrong', 'NetworkPolicy', 'default', 50, [(0, 'Allow', True, 'none', \"selector run == 'other': the pod's labels do not match\", 'all', False, 'destination ports: port 80 is not listed', 'none', False), (1, 'Log', True, 'all', None, 'all', True, None, 'all', False), (2, 'Deny', False, 'all', None, 'all', True, None, 'none', False)]), ('default-deny', 'GlobalNetworkPolicy', 'default', None, [])]" ] &&
    [ "$(json "$T/calx.json" "[(s['stage'], s['action'], s['name']) for s in d['directions'][1]['chain']]")" = "[('namespaced', 'deny', 'default-deny')]" ]
check "--explain, Calico: policies in order with tier and order, each rule's action and failing part, the tier's end decided" status_ok $? "rc $rc: $(head -c 1500 "$T/calx.json") $(cat "$T/e")"
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" $calx --explain access/nginx -o text >"$T/calx.txt" 2>"$T/e"
grep -qF "Calico NetworkPolicy advanced-policy-demo/wrong (tier default, order 50) applies to the pod" "$T/calx.txt" &&
    grep -qF "rule 0 (Allow): no match; source does not match (selector run == 'other': the pod's labels do not match); destination matches; port does not match (destination ports: port 80 is not listed)" "$T/calx.txt" &&
    grep -qF "rule 1 (Log): matches (Log: the walk goes on)" "$T/calx.txt" &&
    grep -qF "rule 2 (Deny): no match; protocol does not match" "$T/calx.txt"
check "--explain -o text, Calico: each rule with its action and what did not match" status_ok $? "$(cat "$T/calx.txt")"
# The allowing rule of step 4 decides; NetworkPolicy-only answers carry no CNI lists.
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" $objs --explain access/nginx >"$T/calx4.json" 2>/dev/null
[ "$(json "$T/calx4.json" "[(p['policy'], [(r['action'], r['matches'], r['decides']) for r in p['rules']]) for p in d['directions'][1]['calico']]")" = "[('advanced-policy-demo/allow-nginx-ingress', [('Allow', 'all', True)]), ('default-deny', [])]" ]
check "--explain, Calico: the Allow rule that matches decides" status_ok $? "$(head -c 900 "$T/calx4.json")"
# Calico evaluates a NetworkPolicy at order 1000 of its default tier: --explain lists it there,
# between a Calico policy of order 500 and one of order 2000, and its chain step says so.
cat >"$T/cal-np.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-access, namespace: advanced-policy-demo}
spec:
  podSelector: {matchLabels: {app: nginx}}
  ingress: [{from: [{podSelector: {matchLabels: {run: access}}}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: early, namespace: advanced-policy-demo}
spec: {order: 500, selector: app == 'nginx', ingress: [{action: Log}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: late, namespace: advanced-policy-demo}
spec: {order: 2000, selector: app == 'nginx', ingress: [{action: Deny}]}
EOF2
calnp="-f $CAL/tutorial-objects.yaml -f $DNS -f $CAL/tutorial-step2.yaml -f $CAL/tutorial-step3.yaml -f $T/cal-np.yaml"
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" $calnp --explain access/nginx >"$T/calnp.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && [ "$(json "$T/calnp.json" "(d['answer'], [(p['policy'], p['kind'], p['order']) for p in d['directions'][1]['calico']], [(s['kind'], s.get('priority')) for s in d['directions'][1]['chain']])")" = "('allow', [('advanced-policy-demo/early', 'NetworkPolicy', 500), ('advanced-policy-demo/allow-access', 'Kubernetes NetworkPolicy', 1000), ('advanced-policy-demo/late', 'NetworkPolicy', 2000), ('default-deny', 'GlobalNetworkPolicy', None)], [('NetworkPolicy', 1000)])" ]
check "--explain, Calico: the NetworkPolicies at order 1000 of the default tier, between orders 500 and 2000" status_ok $? "rc $rc: $(head -c 1200 "$T/calnp.json") $(cat "$T/e")"
# shellcheck disable=SC2086
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" $calnp --explain access/nginx -o text >"$T/calnp.txt" 2>"$T/e"
grep -qF "chain: allowed by NetworkPolicy advanced-policy-demo/allow-access (Calico tier default, order 1000) ingress rule 0" "$T/calnp.txt" &&
    [ "$(grep -oE "^    (Calico|Kubernetes) [A-Za-z]+ [^ ]+" "$T/calnp.txt" | tail -n 4 | tr '\n' ' ')" = "    Calico NetworkPolicy advanced-policy-demo/early     Kubernetes NetworkPolicy advanced-policy-demo/allow-access     Calico NetworkPolicy advanced-policy-demo/late     Calico GlobalNetworkPolicy default-deny " ] &&
    ! grep -qE "^    advanced-policy-demo/allow-access" "$T/calnp.txt"
check "--explain -o text, Calico: the NetworkPolicy listed in Calico's order only, the chain names its place" status_ok $? "$(cat "$T/calnp.txt")"
# The walk ends at the NetworkPolicy's allow: the Deny of order 2000 and default-deny are not
# reached, and no rule of theirs decides (the Deny would, were the walk to come to it).
[ "$(json "$T/calnp.json" "[(p['policy'], p['reached'], p.get('reached_why'), [(r.get('decides'), r.get('would_decide')) for r in p['rules']]) for p in d['directions'][1]['calico']]")" = "[('advanced-policy-demo/early', True, None, [(False, None)]), ('advanced-policy-demo/allow-access', True, None, [(None, None)]), ('advanced-policy-demo/late', False, 'the walk ended before it (see the chain)', [(False, True)]), ('default-deny', False, 'the walk ended before it (see the chain)', [])]" ] &&
    grep -qF "Calico NetworkPolicy advanced-policy-demo/late (tier default, order 2000) applies to the pod; not reached: the walk ended before it (see the chain)" "$T/calnp.txt" &&
    grep -qF "rule 0 (Deny): not reached (would decide); source matches" "$T/calnp.txt" && ! grep -qF "(Deny): decides" "$T/calnp.txt"
check "--explain, Calico: the policies after the deciding one are not reached, and none of their rules decides" status_ok $? "$(head -c 1500 "$T/calnp.json") $(cat "$T/calnp.txt")"
# The NetworkPolicies' entries carry "reached" and Calico's copies of them their own: each key
# once per object (a JSON reader keeps the last of two, another the first).
python3 - "$T/calnp.json" "$T/calx.json" <<'PYEOF'
import json, sys
def once(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise SystemExit("a key twice: %s" % keys)
    return dict(pairs)
for f in sys.argv[1:]:
    json.load(open(f), object_pairs_hook=once)
PYEOF
check "--explain -o json, Calico: no object holds a key twice" status_ok $? "$(head -c 600 "$T/calnp.json")"
# Bad input: a selector that does not parse names its column; a field not evaluated is a
# warning naming it, and the answers it touches are unknown.
printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec:\n  selector: "app == web"\n' >"$T/cal-bad.yaml"
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" -f "$CAL/tutorial-objects.yaml" -f "$T/cal-bad.yaml" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -qF "cal-bad.yaml: document 1 (GlobalNetworkPolicy p): spec.selector: column 8: expected a quoted string" "$T/e"
check "Calico: a selector that does not parse: exit 2 naming the path and the column" status_ok $? "rc $rc: $(cat "$T/e")"
printf 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: l7, namespace: advanced-policy-demo}\nspec:\n  ingress: [{action: Allow, http: {methods: [GET]}}]\n' >"$T/cal-l7.yaml"
"$Z" policy check -c "$CAL/tutorial-matrix4.yaml" -f "$CAL/tutorial-objects.yaml" -f "$DNS" -f "$T/cal-l7.yaml" >"$T/cal-l7.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -qF "NetworkPolicy advanced-policy-demo/l7 skipped (field spec.ingress[0].http is not evaluated for Calico policies)" "$T/e" &&
    [ "$(json "$T/cal-l7.json" "set(p['intended'] for p in d['probes'] if p['name'] != 'google')")" = "{'unknown'}" ]
check "Calico: an http match is a warning naming the field; the answers it touches are unknown" status_ok $? "rc $rc: $(cat "$T/e")"

# --- Cilium policies ------------------------------------------------------------------------
# Cilium's getting-started demo (fixtures/cilium/sw-*): after the L3/L4 policy and after the L7
# policy, every result the demo states.
CIL=tests/policy/fixtures/cilium
for step in l3-l4 l7; do
    pol=$CIL/sw-l3-l4-policy.yaml
    [ $step = l7 ] && pol=$CIL/sw-l3-l4-l7-policy.yaml
    "$Z" policy check -c "$CIL/sw-matrix-$step.yaml" -f "$CIL/sw-app.yaml" -f "$pol" >"$T/sw-$step.json" 2>"$T/e"
    rc=$?
    [ $rc -eq 0 ] && [ "$(json "$T/sw-$step.json" "(d['summary']['disagree'], d['summary']['unknown'])")" = "(0, 0)" ]
    check "Cilium demo, $step policy: agrees with every stated result" status_ok $? \
        "rc $rc: $(json "$T/sw-$step.json" "[(p['name'], p['intended'], p['reason']) for p in d['probes']]") $(head -2 "$T/e")"
done
json "$T/sw-l7.json" "[p['reason'] for p in d['probes'] if p['name']=='exhaust-port'][0]" | grep -qF \
    "ingress: denied by CiliumNetworkPolicy default/rule1 ingress rule 0 (at L7: no http rule allows PUT /v1/exhaust-port (Envoy: 403 Access denied))"
check "Cilium demo: the L7 refusal names the rule and Envoy's 403" status_ok $?
"$Z" policy check -c "$CIL/sw-matrix-l7.yaml" -f "$CIL/sw-app.yaml" -f "$CIL/sw-l3-l4-policy.yaml" >"$T/sw-x.json" 2>/dev/null
[ $? -eq 1 ] && [ "$(json "$T/sw-x.json" "[p['name'] for p in d['probes'] if p['agrees'] is False]")" = "['exhaust-port']" ]
check "Cilium demo: the L3/L4 policy alone contradicts the L7 statement (exit 1)" status_ok $?
# Coverage counts the allow rules of Cilium policies selecting a role's pods.
cat >"$T/cil-egress.yaml" <<'EOF2'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: tiefighter-out, namespace: default}
spec:
  endpointSelector: {matchLabels: {class: tiefighter}}
  egress:
  - toEndpoints: [{matchLabels: {class: deathstar}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  - toEntities: [world]
EOF2
"$Z" policy check -c "$CIL/sw-matrix-l3-l4.yaml" -f "$CIL/sw-app.yaml" -f "$CIL/sw-l3-l4-policy.yaml" \
    -f "$T/cil-egress.yaml" >"$T/cil-cov.json" 2>/dev/null
[ "$(json "$T/cil-cov.json" "(d['coverage']['rules'], d['coverage']['exercised'], [(u['policy'], u['direction'], u['rule']) for u in d['coverage']['uncovered']])")" = "(2, 1, [('CiliumNetworkPolicy default/tiefighter-out', 'egress', 1)])" ]
check "Cilium: coverage counts a role's Cilium allow rules and lists the one no probe uses" status_ok $? \
    "$(json "$T/cil-cov.json" "d['coverage']")"
# deny.rst's table: five sets of allow and deny policies on the server, and what curl gets.
mk() { printf 'version: 1\nroles:\n  client:\n    namespace: default\n    selector: {app: client}\n    probes:\n    - {name: p81, kind: tcp, host: 10.0.5.1, port: 81, expect: %s}\n    - {name: p80, kind: tcp, host: 10.0.5.1, port: 80, expect: %s}\n' "$1" "$2"; }
# Each column: the expected results for :81 and :80, then the deny rows applied ("only": no
# allow rows, the table's last column).
allows="-f $CIL/deny-table-allow-l7.yaml -f $CIL/deny-table-allow-l4-80.yaml -f $CIL/deny-table-allow-l4-81.yaml -f $CIL/deny-table-allow-l3.yaml"
col=0
for c in "allow allow|" "allow deny|deny-l4-80" "deny deny|deny-l3" "deny deny|deny-l4-80 deny-l3" "deny deny|only deny-l4-80"; do
    col=$((col + 1))
    want=${c%%|*}; denies=${c#*|}
    files=""
    [ "${denies%% *}" = only ] || files="$allows"
    for d in ${denies#only }; do files="$files -f $CIL/deny-table-$d.yaml"; done
    # shellcheck disable=SC2086
    mk $want >"$T/deny$col.yaml"
    # shellcheck disable=SC2086
    "$Z" policy check -c "$T/deny$col.yaml" -f "$CIL/deny-table.yaml" $files >"$T/deny$col.json" 2>"$T/e"
    rc=$?
    [ $rc -eq 0 ] && [ "$(json "$T/deny$col.json" "(d['summary']['disagree'], d['summary']['unknown'])")" = "(0, 0)" ]
    check "Cilium deny.rst table, column $col ($want for :81 :80): agrees" status_ok $? \
        "rc $rc: $(json "$T/deny$col.json" "[(p['name'], p['intended'], p['reason']) for p in d['probes']]")"
done

# --explain on a path Cilium's policies decide: every Cilium policy of the pod for the
# direction, each rule with its list, action, peer, ports and L7 verdict, and the chain's step.
"$Z" policy check -c "$CIL/sw-matrix-l7.yaml" -f "$CIL/sw-app.yaml" -f "$CIL/sw-l3-l4-l7-policy.yaml" \
    --explain tiefighter/exhaust-port >"$T/cx.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && [ "$(json "$T/cx.json" "(d['answer'], 'cilium' in d['directions'][0], d['directions'][0]['cilium'], [(p['policy'], p['kind'], p['default_deny'], [(r['list'], r['rule'], r['action'], r['peer'], r['ports_matched'], r['l7'], r['result'], 'REFUSED' in r.get('l7_why', '') or '403' in r.get('l7_why', '')) for r in p['rules']]) for p in d['directions'][1]['cilium']], d['directions'][1]['chain'][0]['kind'])")" = "('deny', True, [], [('default/rule1', 'CiliumNetworkPolicy', True, [('ingress', 0, 'allow', 'all', True, 'deny', 'denies at L7', True)])], 'CiliumNetworkPolicy')" ]
check "--explain, Cilium L7: the policy, its rule (allow list) whose peer and port match and whose L7 rules deny" status_ok $? "rc $rc: $(head -c 900 "$T/cx.json") $(cat "$T/e")"
"$Z" policy check -c "$CIL/sw-matrix-l7.yaml" -f "$CIL/sw-app.yaml" -f "$CIL/sw-l3-l4-l7-policy.yaml" \
    --explain xwing/land >"$T/cx2.json" 2>"$T/e"
[ "$(json "$T/cx2.json" "[(r['peer'], r['peer_why'], r['ports_matched'], r['result'], r['l7']) for p in d['directions'][1]['cilium'] for r in p['rules']]")" = "[('none', \"endpoints: no selector matches the pod's labels (without a namespace key, in the policy's namespace only)\", True, 'no match', None)]" ]
check "--explain, Cilium: a rule whose peer does not match says why (fromEndpoints vs the pod's labels), and no L7 verdict" status_ok $? "$(head -c 900 "$T/cx2.json")"
"$Z" policy check -c "$CIL/sw-matrix-l7.yaml" -f "$CIL/sw-app.yaml" -f "$CIL/sw-l3-l4-l7-policy.yaml" \
    --explain xwing/land -o text >"$T/cx2.txt" 2>"$T/e"
grep -qF "CiliumNetworkPolicy default/rule1 selects the pod (default deny)" "$T/cx2.txt" &&
    grep -qF "ingress rule 0 (allow): no match; peer does not match (endpoints: no selector matches the pod's labels" "$T/cx2.txt" &&
    ! grep -qF "; L7 " "$T/cx2.txt" &&
    grep -qF "chain: denied by CiliumNetworkPolicy default/rule1 (selects the pod; no ingress rule allows)" "$T/cx2.txt"
check "--explain -o text, Cilium: the policy, the rule and what did not match, the chain's step" status_ok $? "$(cat "$T/cx2.txt")"
# deny.rst's fourth column: deny rules win over the allows; both are listed, the deny decided
# in the cni-pre stage; the allow rule on another port says so.
mk deny deny >"$T/denyx.yaml"
# shellcheck disable=SC2086
"$Z" policy check -c "$T/denyx.yaml" -f "$CIL/deny-table.yaml" $allows -f "$CIL/deny-table-deny-l4-80.yaml" \
    -f "$CIL/deny-table-deny-l3.yaml" --explain client/p80 >"$T/cx3.json" 2>"$T/e"
[ "$(json "$T/cx3.json" "([(p['policy'], r['list'], r['result'], r.get('ports_why')) for p in d['directions'][1]['cilium'] for r in p['rules']], [(s['stage'], s['action'], s['name']) for s in d['directions'][1]['chain']])")" = "([('default/allow-l7', 'ingress', 'allows', None), ('default/allow-l4-80', 'ingress', 'allows', None), ('default/allow-l4-81', 'ingress', 'no match', 'toPorts: the port is not listed'), ('default/allow-l3', 'ingress', 'allows', None), ('default/deny-l4-80', 'ingressDeny', 'denies', None), ('default/deny-l3', 'ingressDeny', 'denies', None)], [('cni-pre', 'deny', 'deny-l4-80')])" ]
check "--explain, Cilium deny table: every allow and deny rule with its result, the cni-pre deny decided" status_ok $? "$(head -c 1200 "$T/cx3.json")"

# The govtech backend's internet egress the CNI way (issue 23), instead of the rendered
# NetworkPolicy's ipBlock rule: Cilium toFQDNs + egressDeny of private ranges, and Calico's
# GlobalNetworkPolicy with notNets. config/govtech.json must not disagree; what stays unknown
# is named (an outside name with no resolved_within may resolve into the denied ranges).
python3 - "$T/govtech.yaml" "$T/gov-noip.yaml" <<'EOF2'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "backend-network-policy":
        d["spec"]["egress"] = [e for e in d["spec"]["egress"] if not any("ipBlock" in t for t in e.get("to", []))]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF2
for cni in cilium calico; do
    "$Z" policy check -c config/govtech.json -f "$T/gov-noip.yaml" -f "$DNS" \
        -f "tests/policy/fixtures/$cni/govtech-backend-internet.yaml" >"$T/gov-$cni.json" 2>"$T/e"
    rc=$?
    # Cilium: the deny of private ranges covers part of "anywhere", so a name without
    # resolved_within stays unknown; Calico's notNets rule does not match it, the tier denies.
    want="(0, True, ['no-plain-http-out', 's3'])"
    [ $cni = calico ] && want="(0, True, ['s3'])"
    [ $rc -eq 0 ] && [ "$(json "$T/gov-$cni.json" "(d['summary']['disagree'], {'no-frontend', 'no-private-10', 'no-private-172', 'no-private-192'} <= set(p['name'] for p in d['probes'] if p['role']=='backend' and p['intended']=='deny'), sorted(p['name'] for p in d['probes'] if p['intended']=='unknown'))")" = "$want" ]
    check "govtech with the backend's internet egress as $cni policies: no disagreement, private ranges denied" status_ok $? \
        "rc $rc: $(json "$T/gov-$cni.json" "[(p['name'], p['intended']) for p in d['probes'] if p['role']=='backend']")"
    "$Z" policy plan -f "$T/gov-noip.yaml" -f "$DNS" -f "tests/policy/fixtures/$cni/govtech-backend-internet.yaml" \
        --namespace govtech --role-label app -o json >"$T/plan-$cni.json" 2>/dev/null
    json "$T/plan-$cni.json" "'\\n'.join(d['todo'])" | grep -q "role backend: .*backend-internet egress rule [01] (\(toFQDNs secretsmanager\|notNets\)"
    check "govtech $cni: policy plan lists the CNI's outside allow as a todo" status_ok $? "$(json "$T/plan-$cni.json" "d['todo']")"
    json "$T/gov-$cni.json" "[p['reason'] for p in d['probes'] if p['name']=='secretsmanager'][0]" | grep -q "govtech-backend-internet\|govtech/backend-internet"
    check "govtech $cni: secretsmanager is allowed by the $cni rule, named" status_ok $?
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
hint db-wrong-port | grep -qF "The policies deny this path: app/web-egress egress rule 0 would allow this but for its port: spec.egress[0].ports[0].port is 5432; the probe connects to 1."
st=$?; check "run --policies: failed allow, policies deny, same peer: the hint names the port field ($(pol db-wrong-port))" status_ok $st "$(hint db-wrong-port)"
hint cache-pg | grep -qF "app/web-egress egress rule 0 would allow this but for its podSelector: spec.egress[0].to[0].podSelector.matchLabels.app is db; the target's pod carries app=cache."
check "run --policies: failed allow, policies deny, same port: the hint names the label that differs" status_ok $? "$(hint cache-pg)"
hint db | grep -q "^The policies allow this path (app/web-egress egress rule 0), so this is not a policy effect"
check "run --policies: failed allow the policies allow: not a policy effect" status_ok $? "$(hint db)"
hint no-cache | grep -qF "The policies deny this path (app/web-egress selects the source pod for egress and none of its egress rules allows it), yet it connected: the CNI does not enforce NetworkPolicy (the EKS VPC CNI add-on needs enableNetworkPolicy: \"true\")"
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
# A Service whose selector picks none of the namespace's pods: the policies cannot judge the
# path, but the hint names the selector (127.0.0.3:1 refuses: nothing listens there).
cat >"$T/orphan.yaml" <<'EOF2'
apiVersion: v1
kind: Service
metadata: {name: api, namespace: app}
spec: {selector: {app: api}, clusterIP: 127.0.0.3, ports: [{port: 1}]}
EOF2
cat >"$T/orphan.json" <<'EOF2'
{"version": 1, "roles": {"web": {"selector": {"app": "web"}, "namespace": "app", "probes": [
 {"name": "api", "kind": "tcp", "host": "127.0.0.3", "port": 1, "expect": "allow", "timeout_ms": 500}]}}}
EOF2
"$Z" run -c "$T/orphan.json" --role web --policies "$T/objs.yaml,$T/orphan.yaml" >"$T/ro.json" 2>"$T/e"
[ "$(json "$T/ro.json" "d['results'][0]['policy']['intended']")" = unknown ] &&
    json "$T/ro.json" "d['results'][0]['hint']" | grep -qF 'Service app/api has no endpoints: its selector app=api matches none of the 3 pods of app in the objects'
check "run --policies: failed allow to a Service that selects no pod: the hint names its selector" status_ok $? "$(json "$T/ro.json" "d['results'][0]") $(cat "$T/e")"
"$Z" run -c "$T/run.json" --role web --policies "$T/bad.yaml" >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q "bad.yaml: document 2 (NetworkPolicy govtech/backend)" "$T/e"
check "run --policies with a malformed object: exit 2 naming it" status_ok $? "$(cat "$T/e")"

# Calico's policies in run --policies: the hints name the Calico step that decided.
cat >"$T/cal-objs.yaml" <<'EOF2'
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
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-out}
spec:
  order: 10
  selector: app == 'web'
  egress:
  - {action: Allow, protocol: TCP, destination: {selector: app == 'db', ports: [1]}}
  - {action: Deny, destination: {selector: app == 'cache'}}
EOF2
cat >"$T/cal-run.json" <<EOF2
{"version": 1, "roles": {"web": {"selector": {"app": "web"}, "namespace": "app", "probes": [
 {"name": "cal-db", "kind": "tcp", "host": "127.0.0.2", "port": 1, "expect": "allow", "timeout_ms": 500},
 {"name": "cal-no-cache", "kind": "tcp", "host": "127.0.0.1", "port": $PORT, "expect": "deny", "timeout_ms": 500}
]}}}
EOF2
"$Z" run -c "$T/cal-run.json" --role web --policies "$T/cal-objs.yaml" >"$T/cr.json" 2>"$T/e"
rc=$?
[ $rc -eq 1 ]
check "run --policies with Calico: exit 1 (probes fail)" status_ok $? "rc $rc: $(cat "$T/e")"
chint() { json "$T/cr.json" "[r['hint'] for r in d['results'] if r['name']=='$1'][0]"; }
chint cal-db | grep -qF "The policies allow this path (Calico web-out egress rule 0), so this is not a policy effect"
check "run --policies, Calico: failed allow the policies allow names the Calico rule" status_ok $? "$(chint cal-db)"
chint cal-no-cache | grep -qF "The policies deny this path (egress: denied by Calico GlobalNetworkPolicy web-out (tier default, order 10) egress rule 1 (Deny)), yet it connected: the CNI does not enforce them"
check "run --policies, Calico: a deny that connected names the Calico Deny rule" status_ok $? "$(chint cal-no-cache)"
[ "$(json "$T/cr.json" "[r['policy'] for r in d['results'] if r['name']=='cal-db'][0]['by']")" = "[{'policy': 'Calico web-out', 'direction': 'egress', 'rule': 0}]" ]
check "run --policies, Calico: result policy.by names the Calico rule" status_ok $? "$(json "$T/cr.json" "d['results'][0]['policy']")"

# Cilium's L7 rules in run --policies: a loopback server answers as Envoy does (403 "Access
# denied"); the deathstar pod's IP is 127.0.0.3. With deny_at: l7 the probe passes on it;
# without, the hint says to write it.
python3 -c 'import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        body = b"Access denied\r\n"
        self.send_response(403); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.3", 0), H)
print(s.server_address[1], flush=True)
s.timeout = 1
import time; end = time.time() + 120
while time.time() < end: s.handle_request()' >"$T/envoy.port" &
ENVOY=$!
zt_track "$ENVOY"
wait_ports envoy
EPORT=$(port envoy)
python3 - "$CIL/sw-app.yaml" "$T/sw-app-ip.yaml" "$EPORT" <<'EOF2'
import sys
t = open(sys.argv[1]).read()
t = t.replace("kind: Deployment\nmetadata:\n  name: deathstar", "kind: Deployment\nmetadata:\n  name: deathstar-template")
t += ("---\napiVersion: v1\nkind: Pod\nmetadata: {name: deathstar-1, namespace: default, labels: {org: empire, class: deathstar}}\n"
      "spec: {containers: [{name: d, ports: [{containerPort: %s}]}]}\nstatus: {podIP: 127.0.0.3}\n" % sys.argv[3])
open(sys.argv[2], "w").write(t)
EOF2
{ cat "$T/sw-app-ip.yaml"; echo '---'; sed "s/port: \"80\"/port: \"$EPORT\"/" "$CIL/sw-l3-l4-l7-policy.yaml"; } >"$T/sw-l7-objs.yaml"
cat >"$T/l7-run.json" <<EOF2
{"version": 1, "roles": {"tiefighter": {"selector": {"class": "tiefighter"}, "namespace": "default", "probes": [
 {"name": "exhaust-l7", "kind": "http", "method": "PUT", "url": "http://127.0.0.3:$EPORT/v1/exhaust-port", "expect": "deny", "deny_at": "l7", "timeout_ms": 1000},
 {"name": "exhaust-plain", "kind": "http", "method": "PUT", "url": "http://127.0.0.3:$EPORT/v1/exhaust-port", "expect": "deny", "timeout_ms": 1000}
]}}}
EOF2
"$Z" run -c "$T/l7-run.json" --role tiefighter --policies "$T/sw-l7-objs.yaml" >"$T/l7r.json" 2>"$T/e"
rc=$?
r7() { json "$T/l7r.json" "[r['$2'] for r in d['results'] if r['name']=='$1'][0]"; }
[ $rc -eq 1 ] && [ "$(r7 exhaust-l7 verdict)" = pass ] && [ "$(r7 exhaust-l7 outcome)" = l7_denied ] &&
    [ "$(json "$T/l7r.json" "[r['policy']['intended'] for r in d['results'] if r['name']=='exhaust-l7'][0]")" = deny ]
check "run --policies, Cilium L7: deny_at l7 passes on Envoy's 403 (policies: deny at L7)" status_ok $? \
    "rc $rc: $(r7 exhaust-l7 verdict) $(r7 exhaust-l7 outcome) $(head -c 300 "$T/e")"
r7 exhaust-plain hint | grep -qF "The policies deny this request at L7 (ingress: denied by CiliumNetworkPolicy default/rule1 ingress rule 0 (at L7: no http rule allows PUT /v1/exhaust-port"
check "run --policies, Cilium L7: without deny_at the hint says to write deny_at: l7" status_ok $? "$(r7 exhaust-plain hint)"
kill "$ENVOY" 2>/dev/null
wait "$ENVOY" 2>/dev/null
# --- via: ["service", "pods"]: one result per path (loopback: 127.0.0.1 and .3 stand for the
# Service's two pods; the Service name itself does not resolve here: its path fails alone) ----
cat >"$T/via.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: cache2, namespace: app, labels: {app: cache}}
status: {podIP: 127.0.0.3}
---
apiVersion: v1
kind: Service
metadata: {name: cachesvc, namespace: app}
spec:
  selector: {app: cache}
  ports: [{port: 6379, targetPort: $PORT}]
EOF2
cat >"$T/via.json" <<EOF2
{"version": 1, "dns": {"servers": ["127.0.0.1:9"], "search": false},
 "roles": {"web": {"selector": {"app": "web"}, "namespace": "app", "probes": [
 {"name": "cache", "kind": "tcp", "host": "cachesvc", "port": 6379, "expect": "allow", "timeout_ms": 500,
  "via": ["service", "pods"]},
 {"name": "cache-http", "kind": "http", "url": "http://cachesvc.app.svc.cluster.local:6379/", "expect": "deny",
  "timeout_ms": 500, "via": ["pods"]}
]}}}
EOF2
"$Z" validate -c "$T/via.json" >/dev/null 2>&1
check "via: a config with via validates" status_ok $?
"$Z" run -c "$T/via.json" --role web --policies "$T/objs.yaml,$T/via.yaml" >"$T/via.out" 2>"$T/e"
rc=$?
cat >"$T/via.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
got = {r["name"]: (r["target"], r["verdict"], r["outcome"], (r.get("policy") or {}).get("intended")) for r in d["results"]}
port = sys.argv[2]
want = {
    "cache": ("cachesvc:6379", "fail", None, None),
    "cache.pod.cache": ("127.0.0.1:" + port, "pass", "ok", "deny"),
    "cache.pod.cache2": ("127.0.0.3:" + port, "fail", "refused", "deny"),
    "cache-http.pod.cache": ("http://127.0.0.1:%s/" % port, "fail", None, "deny"),
    "cache-http.pod.cache2": ("http://127.0.0.3:%s/" % port, "inconclusive", "refused", "deny"),
}
assert set(got) == set(want), sorted(got)
for k, w in want.items():
    g = got[k]
    assert g[0] == w[0] and g[1] == w[1] and (w[2] is None or g[2] == w[2]) and (w[3] is None or g[3] == w[3]), (k, g, w)
assert got["cache"][2].startswith("dns_"), got["cache"]
print("ok")
PYEOF
python3 "$T/via.py" "$T/via.out" "$PORT" >"$T/via.chk" 2>&1
check "via: service and pod paths are separate results: the name fails alone, each pod on the targetPort with its own answer and policy" status_ok $? "rc $rc $(tail -2 "$T/via.chk") $(head -c 300 "$T/e")"
"$Z" run -c "$T/via.json" --role web >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q 'probe "cache": via pods needs the objects' "$T/e"
check "via: pods without --policies: exit 2 naming the probe" status_ok $? "rc $rc $(cat "$T/e")"
sed 's/"via": \["pods"\]/"via": ["pods", "pods"]/' "$T/via.json" >"$T/via-bad.json"
"$Z" validate -c "$T/via-bad.json" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q 'roles.web.probes\[1\].via: must list "service" and "pods", each at most once' "$T/e"
check "via: a repeated path is a config error naming the path" status_ok $? "rc $rc $(cat "$T/e")"
# The pod's own labels (the Downward API file) decide which pod of the objects it is: relabelled
# out of web-egress, db-wrong-port is no longer denied by it.
printf 'app="web2"\n' >"$T/labels-web2"
ZTPROBE_LABELS_FILE="$T/labels-web2" "$Z" run -c "$T/run.json" --role web --policies "$T/objs.yaml" --only db-wrong-port >"$T/rl.json" 2>/dev/null
[ "$(json "$T/rl.json" "d['results'][0]['policy']['intended']")" = allow ] && [ "$(pol db-wrong-port)" = deny ]
check "run --policies judges the pod by its own labels file (relabelled: allow; by the role's selector: deny)" status_ok $? \
    "$(json "$T/rl.json" "d['results'][0]['policy']")"
# run --explain NAME: that probe only; the report on stdout as usual, the decision on stderr.
"$Z" run -c "$T/run.json" --role web --policies "$T/objs.yaml" --explain db-wrong-port >"$T/rx.json" 2>"$T/rx.err"
rc=$?
[ $rc -eq 1 ] && [ "$(json "$T/rx.json" "[r['name'] for r in d['results']]")" = "['db-wrong-port']" ] &&
    [ "$(json "$T/rx.err" "(d['schema'], d['probe'], d['answer'], d['mismatch']['field'])")" = "('ztprobe/policy-explain/v1', 'db-wrong-port', 'deny', 'spec.egress[0].ports[0].port')" ]
check "run --policies --explain NAME: one probe run, its decision as JSON on stderr" status_ok $? "rc $rc: $(head -c 400 "$T/rx.err")"
"$Z" run -c "$T/run.json" --role web --policies "$T/objs.yaml" --explain db-wrong-port -o text >"$T/rx.txt" 2>"$T/rx.err"
grep -q "^db-wrong-port" "$T/rx.txt" && grep -qx "        port 0: spec.egress\[0\].ports\[0\].port is 5432, found 1 (port)" "$T/rx.err"
check "run --explain -o text: the decision as text on stderr" status_ok $? "$(cat "$T/rx.err")"
"$Z" run -c "$T/run.json" --role web --policies "$T/objs.yaml" --explain nope >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "role web has no probe nope; its probes: db-wrong-port, db, cache-pg, no-cache, no-db" "$T/e"
check "run --explain with a name that matches no probe: exit 2 listing the role's probes" status_ok $? "rc $rc: $(cat "$T/e")"
"$Z" run -c "$T/run.json" --role web --explain db >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "needs the objects: --policies" "$T/e"
check "run --explain without --policies: exit 2" status_ok $? "rc $rc: $(cat "$T/e")"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null


# --- the instance metadata service -----------------------------------------------------------
# Every role has deny probes to 169.254.169.254:80 and [fd00:ec2::254]:80, and the shipped
# policies deny both (the backend's internet rule excludes 169.254.0.0/16 and is IPv4-only).
[ "$(json "$T/g.json" "sorted((p['role'], p['name'], p['intended'], p['agrees']) for p in d['probes'] if p['name'].startswith('no-imds-')) == sorted((r, n, 'deny', True) for r in ('frontend','backend','postgres') for n in ('no-imds-v4','no-imds-v6'))")" = True ]
check "metadata: no-imds-v4/v6 of every role intended deny and agreeing" status_ok $?
# Without the link-local except and with port 80 open, the v4 probe disagrees: the check sees it.
python3 - "$T/govtech.yaml" >"$T/imds.yaml" <<'PYEOF'
import sys
text = open(sys.argv[1]).read()
# The NetworkPolicy object as kustomize renders it (not the ConfigMap's copy of the file).
rule = "  - ports:\n    - port: 443\n      protocol: TCP\n    to:\n    - ipBlock:\n"
ex = "        - 192.168.0.0/16\n        - 169.254.0.0/16\n"
assert text.count(rule) == 1 and text.count(ex) == 1
print(text.replace(rule, rule.replace("443", "80")).replace(ex, "        - 192.168.0.0/16\n"))
PYEOF
"$Z" policy check -c config/govtech.json -f "$T/imds.yaml" -f "$DNS" >"$T/imds.json" 2>/dev/null
rc=$?
[ $rc -eq 1 ] && [ "$(json "$T/imds.json" "[(p['role'], p['intended']) for p in d['probes'] if p['name']=='no-imds-v4' and p['agrees'] is False]")" = "[('backend', 'allow')]" ]
check "metadata: backend egress to 0.0.0.0/0:80 without the 169.254.0.0/16 except disagrees (exit $rc)" status_ok $?


# --- --cni: the dataplane's known deviations (docs/cni.md) ----------------------------------
python3 tests/policy/gen_cni_table.py --check >"$T/gen.err" 2>&1
check "cni: agent/policy/cni_table.c is fresh and docs/cni.md's table agrees with config/cni-deviations.json" status_ok $? "$(cat "$T/gen.err")"
[ "$(json "$T/g.json" "'cni' in d")" = False ]
check "cni: without --cni the report has no cni member" status_ok $?
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" --cni vpc-cni@1.0.3 >"$T/c103.json" 2>"$T/c.err"
rc=$?
check "cni: vpc-cni@1.0.3 on govtech exits 0 (deviations change no exit code)" status_ok $rc "rc $rc $(head -2 "$T/c.err")"
[ "$(json "$T/c103.json" "(d['cni']['profile'], d['cni']['version'], d['cni']['component'])")" = "('vpc-cni', '1.0.3', 'aws-network-policy-agent')" ]
check "cni: profile, version and component in the report" status_ok $?
cat >"$T/c103.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
dev = {x["id"]: x for x in d["cni"]["deviations"]}
e = dev["vpc-cni-except-ignored"]
assert e["source"] == "aws/aws-network-policy-agent#92" and e["effect"] == "leak", e
assert e["versions"] == ">= 1.0.0, < 1.0.4", e["versions"]
assert e["rules"] == [{"policy": "govtech/backend-network-policy", "direction": "egress", "rule": 1}], e["rules"]
changed = sorted((p["role"], p["name"], p["intended"], p["on_cni"]) for p in e["probes"])
assert changed == [("backend", n, "deny", "allow") for n in ("no-private-10", "no-private-172", "no-private-192")], changed
existing = sorted(c["existing"] for c in e["catch"] if "existing" in c)
assert existing == ["no-private-10", "no-private-172", "no-private-192"], existing
new = [c["probe"] for c in e["catch"] if "probe" in c]
assert [(p["host"], p["port"], p["expect"]) for p in new] == [("169.254.0.1", 443, "deny")], new
w = dev["vpc-cni-startup-window"]
assert w["effect"] == "window" and all(p["on_cni"] == "transient" for p in w["probes"]), w
assert {"role": "backend", "name": "no-imds-v6", "intended": "deny", "on_cni": "transient"} in w["probes"]
print("ok")
PYEOF
python3 "$T/c103.py" "$T/c103.json" >"$T/c.out" 2>&1
check "cni: vpc-cni@1.0.3: the backend's except rule, no-private-* deny -> allow, caught by them and by 169.254.0.1:443" status_ok $? "$(tail -3 "$T/c.out")"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" --cni vpc-cni@1.0.4 >"$T/c104.json" 2>/dev/null
[ "$(json "$T/c104.json" "sorted(x['id'] for x in d['cni']['deviations'])")" = "['vpc-cni-partial-enforcement', 'vpc-cni-startup-window']" ]
check "cni: vpc-cni@1.0.4: the except fix is in, the windows remain" status_ok $? "$(json "$T/c104.json" "[x['id'] for x in d['cni']['deviations']]")"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" --cni vpc-cni >"$T/cnov.json" 2>/dev/null
[ "$(json "$T/cnov.json" "d['cni']['version'] is None and 'vpc-cni-except-ignored' in [x['id'] for x in d['cni']['deviations']]")" = True ]
check "cni: no version: version null, every deviation of the profile that applies" status_ok $?
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" --cni vpc-cni@1.0.3 -o text >"$T/c.txt" 2>&1
grep -q "^cni vpc-cni@1.0.3 (table as of [0-9-]*): 3 known deviations apply" "$T/c.txt" &&
    grep -q "probe: backend/no-private-10: deny -> allow" "$T/c.txt" && grep -q "catch: backend: add .*169.254.0.1" "$T/c.txt"
check "cni: -o text shows the deviations after the table" status_ok $? "$(sed -n '/^cni/,+6p' "$T/c.txt")"
F=tests/policy/fixtures
"$Z" policy check -c $F/cni.json -f $F/cni.yaml --cni vpc-cni@1.0.5 >"$T/cf.json" 2>/dev/null
check "cni: fixture with vpc-cni@1.0.5 exits 0" status_ok $?
cat >"$T/cf.py" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
dev = {x["id"]: x for x in d["cni"]["deviations"]}
assert "vpc-cni-except-ignored" not in dev
r = dev["vpc-cni-except-reallowed"]
assert [(p["name"], p["on_cni"]) for p in r["probes"]] == [("no-svc-80", "allow")], r["probes"]
assert r["catch"] == [{"role": "client", "existing": "no-svc-80"}], r["catch"]
m = dev["vpc-cni-same-cidr-merged"]
assert m["effect"] == "over_deny" and m["catch"] == [], m
assert sorted((p["name"], p["intended"], p["on_cni"]) for p in m["probes"]) == [
    ("doc-range-443", "allow", "deny"), ("doc-range-dns", "allow", "deny")], m["probes"]
p = dev["vpc-cni-partial-enforcement"]
assert sorted(x["policy"] for x in p["rules"]) == ["cni/internet-and-svc-8080", "cni/pods-by-cidr"], p["rules"]
print("ok")
PYEOF
python3 "$T/cf.py" "$T/cf.json" >"$T/c.out" 2>&1
check "cni: #180: except range reallowed on 80 (leak, caught by no-svc-80); same CIDR merged (over-deny of both allows)" status_ok $? "$(tail -3 "$T/c.out")"
"$Z" policy check -c $F/cni.json -f $F/cni.yaml --cni cilium >"$T/cc.json" 2>/dev/null
[ "$(json "$T/cc.json" "[(x['id'], [(p['name'], p['on_cni']) for p in x['probes']]) for x in d['cni']['deviations']]")" = "[('cilium-ipblock-not-pods', [('server-by-cidr', 'deny')])]" ]
check "cni: cilium: a pod reached only through an ipBlock is denied" status_ok $? "$(json "$T/cc.json" "d['cni']")"
"$Z" policy check -c $F/cni.json -f $F/cni.yaml --cni calico@3.28 >"$T/ck.json" 2>/dev/null
[ "$(json "$T/ck.json" "d['cni']['deviations']")" = "[]" ]
check "cni: calico: a known profile, no deviation in the table" status_ok $?
"$Z" policy check -c $F/cni.json -f $F/cni.yaml --cni weave >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "unknown profile" "$T/e" && grep -q "vpc-cni@1.0.0..1.99.99" "$T/e" && grep -q "cilium@" "$T/e"
check "cni: unknown profile: exit 2 listing the known ones" status_ok $? "rc $rc $(cat "$T/e")"
"$Z" policy check -c $F/cni.json -f $F/cni.yaml --cni vpc-cni@7 >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -q "unknown version of vpc-cni" "$T/e" && grep -q "known: 1.0.0 to 1.99.99" "$T/e"
check "cni: unknown version: exit 2 listing the known ones" status_ok $? "rc $rc $(cat "$T/e")"
"$Z" policy plan -f $F/cni.yaml --role-label app >"$T/p0.json" 2>/dev/null
"$Z" policy plan -f $F/cni.yaml --role-label app --cni vpc-cni@1.0.5 >"$T/p1.json" 2>/dev/null
check "cni: policy plan --cni exits 0" status_ok $?
[ "$(json "$T/p1.json" "[(p['host'], p['port'], p['expect']) for p in d['roles']['client']['probes'] if p['name'].startswith('cni-')]")" = "[('10.254.0.1', 80, 'deny')]" ] &&
    [ "$(json "$T/p0.json" "[p for p in d['roles']['client']['probes'] if p['name'].startswith('cni-')]")" = "[]" ]
check "cni: plan --cni adds the catch probe 10.254.0.1:80 (plan without --cni has none)" status_ok $?
"$Z" policy check -c "$T/p1.json" -f $F/cni.yaml >/dev/null 2>&1
check "cni: the plan with its catch probe passes its own check" status_ok $?
"$Z" policy plan -f $F/cni.yaml --role-label app --cni vpc-cni@1.0.5 -o yaml >"$T/p1.yaml" 2>/dev/null &&
    "$Z" validate -c "$T/p1.yaml" >/dev/null 2>&1 && grep -q "cni-vpc-cni-except-reallowed-1" "$T/p1.yaml"
check "cni: plan --cni -o yaml validates and has the catch probe" status_ok $?

# --- the admin tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) ---
# shellcheck source=tests/policy/admin_tiers.sh
. "$HERE/admin_tiers.sh"

zt_finish
