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
