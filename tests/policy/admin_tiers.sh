# admin_tiers.sh: sourced by run.sh (shares $Z, $T, $DNS, json, check): the cluster-scoped
# tiers. The platform team's manifests/cluster policies (both API groups) with the govtech
# render agree with config/govtech.json; the explanation chain (a Pass, then the NetworkPolicy
# rule) in -o json, -o text and the reason; the metadata Deny; the Baseline between namespaces
# and under NetworkPolicies; bad and unknown admin objects; the run --policies hint of an
# admin Deny (loopback only: 127.0.0.x stand for the pods' IPs, port 1 refuses).

# The kustomizations render, and to the files they list.
for k in manifests/cluster manifests/cluster/eks; do
    if "$KUBECTL" kustomize "$k" >"$T/cl.yaml" 2>"$T/e"; then
        python3 - "$T/cl.yaml" "$k/cluster-network-policies.yaml" <<'EOF' >"$T/e" 2>&1
import sys, yaml
a = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
b = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
key = lambda d: d["metadata"]["name"]
sys.exit(0 if sorted(a, key=key) == sorted(b, key=key) and len(a) == 3 else 1)
EOF
        check "kubectl kustomize $k renders its three policies" status_ok $? "$(cat "$T/e")"
    else
        notok "kubectl kustomize $k renders" "$(head -2 "$T/e")"
    fi
done

"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" >"$T/base.json" 2>/dev/null
for grp in upstream eks; do
    f=manifests/cluster/cluster-network-policies.yaml
    [ $grp = eks ] && f=manifests/cluster/eks/cluster-network-policies.yaml
    "$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f "$f" >"$T/cl.json" 2>"$T/e"
    rc=$?
    [ $rc -eq 0 ] && ! grep -q "warning" "$T/e"
    check "cluster policies ($grp): policy check exits 0, no warning" status_ok $? "rc $rc: $(head -3 "$T/e")"
    [ "$(json "$T/cl.json" "d['summary']")" = "$(json "$T/base.json" "d['summary']")" ]
    check "cluster policies ($grp): the same summary as the namespace's policies alone ($(json "$T/cl.json" "d['summary']"))" \
        status_ok $?
    want="egress: passed by admin ClusterNetworkPolicy govtech-pass-cluster-dns (priority 20) egress rule pass-dns, then allowed by govtech/allow-dns-egress egress rule 0"
    [ "$(json "$T/cl.json" "[p['reason'] for p in d['probes'] if p['role']=='frontend' and p['name']=='cluster-dns'][0]")" = "$want" ]
    check "cluster policies ($grp): the DNS reason is the chain (Pass, then the NetworkPolicy rule)" status_ok $? \
        "$(json "$T/cl.json" "[p['reason'] for p in d['probes'] if p['name']=='cluster-dns'][0]")"
done
[ "$(json "$T/cl.json" "[(s['stage'], s['action'], s.get('kind'), s.get('name'), s.get('priority'), s.get('rule'), s.get('rule_name')) for s in [p for p in d['probes'] if p['name']=='cluster-dns'][0]['egress']['chain']]")" = \
  "[('admin', 'pass', 'ClusterNetworkPolicy', 'govtech-pass-cluster-dns', 20, 0, 'pass-dns'), ('namespaced', 'allow', 'NetworkPolicy', 'allow-dns-egress', None, 0, None)]" ]
check "-o json: egress.chain holds the steps (stage, action, kind, name, priority, rule, rule_name)" status_ok $? \
    "$(json "$T/cl.json" "[p for p in d['probes'] if p['name']=='cluster-dns'][0]['egress']['chain']")"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f manifests/cluster/cluster-network-policies.yaml \
    -o text >"$T/cl.txt" 2>&1
grep -q "cluster-dns .*passed by admin ClusterNetworkPolicy govtech-pass-cluster-dns (priority 20) egress rule pass-dns, then allowed by govtech/allow-dns-egress egress rule 0" "$T/cl.txt"
check "-o text: the reason column shows the chain" status_ok $?

# --explain walks the stages: the admin Pass, then the NetworkPolicy rule.
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f manifests/cluster/cluster-network-policies.yaml \
    --explain frontend/cluster-dns -o text >"$T/clx.txt" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -qx "    chain: passed by admin ClusterNetworkPolicy govtech-pass-cluster-dns (priority 20) egress rule pass-dns, then allowed by govtech/allow-dns-egress egress rule 0" "$T/clx.txt"
check "--explain with admin policies: the direction's chain shows the admin Pass, then the NetworkPolicy rule" status_ok $? \
    "rc $rc: $(cat "$T/clx.txt" "$T/e")"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f manifests/cluster/cluster-network-policies.yaml \
    --explain frontend/cluster-dns >"$T/clx.json" 2>/dev/null
[ "$(json "$T/clx.json" "[(s['stage'], s['action']) for s in d['directions'][0]['chain']]")" = "[('admin', 'pass'), ('namespaced', 'allow')]" ]
check "--explain -o json with admin policies: egress chain admin pass, namespaced allow" status_ok $? "$(head -c 400 "$T/clx.json")"

# The metadata address: denied by the admin tier before any NetworkPolicy.
cat >"$T/imds.json" <<'EOF'
{"version": 1, "roles": {"backend": {"selector": {"app": "backend"}, "namespace": "govtech", "probes": [
 {"name": "no-imds", "kind": "http", "url": "http://169.254.169.254/latest/meta-data/", "expect": "deny"}]}}}
EOF
"$Z" policy check -c "$T/imds.json" -f "$T/govtech.yaml" -f manifests/cluster/eks/cluster-network-policies.yaml >"$T/i.json" 2>"$T/e"
[ "$(json "$T/i.json" "(d['probes'][0]['intended'], d['probes'][0]['egress']['chain'][0]['stage'], d['probes'][0]['egress']['chain'][0]['name'])")" = \
  "('deny', 'admin', 'govtech-deny-instance-metadata')" ]
check "metadata address: denied at the admin tier by govtech-deny-instance-metadata" status_ok $? \
    "$(json "$T/i.json" "d['probes'][0]['reason']") $(cat "$T/e")"
[ "$(json "$T/i.json" "('deny-imds' in [u.get('rule_name') for u in d['coverage']['uncovered']], 'pass-dns' in [u.get('rule_name') for u in d['coverage']['uncovered']])")" = "(False, True)" ]
check "coverage: the admin Deny rule is exercised by the deny probe it denies (the Pass rule, without a DNS probe, is not)" status_ok $? \
    "$(json "$T/i.json" "d['coverage']")"
# govtech's matrix has metadata probes (no-imds-v4/v6 in every role): they exercise deny-imds.
[ "$(json "$T/cl.json" "[u for u in d['coverage']['uncovered'] if u.get('rule_name') in ('deny-imds', 'pass-dns')]")" = "[]" ] &&
    [ "$(json "$T/cl.json" "[(p['intended'], p['egress']['chain'][0]['name']) for p in d['probes'] if p['role']=='backend' and p['name']=='no-imds-v4'][0]")" = \
      "('deny', 'govtech-deny-instance-metadata')" ]
check "coverage: govtech's no-imds-v4 is denied by deny-imds at the admin tier, so it is covered; the DNS probes pass through pass-dns" \
    status_ok $? "$(json "$T/cl.json" "d['coverage']")"

# The Baseline: without the namespace's NetworkPolicies it isolates govtech from other
# namespaces; with a NetworkPolicy selecting the pod, the NetworkPolicy decides.
python3 - "$T/govtech.yaml" "$T/nonp.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] != "NetworkPolicy"]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF
cat >"$T/mon.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: scrape-backend, namespace: govtech}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}], ports: [{port: 3000}]}]
EOF
cat >"$T/base.json" <<'EOF'
{"version": 1, "roles": {
 "monitor": {"selector": {"app": "monitor"}, "namespace": "monitoring", "probes": [
  {"name": "backend", "kind": "tcp", "host": "backend-service.govtech", "port": 3000, "expect": "allow"},
  {"name": "no-frontend", "kind": "tcp", "host": "frontend-service.govtech", "port": 80, "expect": "deny"}]},
 "frontend": {"selector": {"app": "frontend"}, "namespace": "govtech", "probes": [
  {"name": "postgres", "kind": "tcp", "host": "postgres-service", "port": 5432, "expect": "allow"},
  {"name": "no-backend", "kind": "tcp", "host": "backend-service", "port": 3000, "expect": "deny"}]}}}
EOF
"$Z" policy check -c "$T/base.json" -f "$T/nonp.yaml" -f "$T/mon.yaml" -f manifests/cluster/cluster-network-policies.yaml \
    >"$T/b.json" 2>"$T/e"
rc=$?
check "Baseline: policy check exits 0 (every probe agrees)" status_ok $rc "rc $rc: $(cat "$T/e") $(json "$T/b.json" "[p['reason'] for p in d['probes']]")"
[ "$(json "$T/b.json" "[(p['name'], p['intended'], p['ingress']['chain'][-1]['stage'], p['ingress']['chain'][-1].get('rule_name')) for p in d['probes']]")" = \
  "[('backend', 'allow', 'namespaced', None), ('no-frontend', 'deny', 'baseline', 'other-namespaces'), ('postgres', 'allow', 'baseline', 'same-namespace'), ('no-backend', 'deny', 'namespaced', None)]" ]
check "Baseline: a NetworkPolicy opens one path and, selecting the pod, closes the rest; the Baseline decides for pods no NetworkPolicy selects" status_ok $? \
    "$(json "$T/b.json" "[(p['name'], p['intended'], p['reason']) for p in d['probes']]")"

# Bad admin objects: exit 2 with file, document, object and path; another version: a
# warning and unknown.
cat >"$T/badcnp.yaml" <<'EOF'
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: too-low}
spec:
  tier: Admin
  priority: 2000
  subject: {namespaces: {}}
EOF
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$T/badcnp.yaml" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 2 ] && grep -qF "$T/badcnp.yaml: document 1 (ClusterNetworkPolicy too-low): spec.priority: must be an integer 0..1000" "$T/e"
check "malformed ClusterNetworkPolicy: exit 2 naming file, document, object, path" status_ok $? "rc $rc: $(cat "$T/e")"
sed 's|policy.networking.k8s.io/v1alpha2|policy.networking.k8s.io/v1beta1|' manifests/cluster/cluster-network-policies.yaml >"$T/v1b.yaml"
"$Z" policy check -c config/govtech.json -f "$T/govtech.yaml" -f "$DNS" -f "$T/v1b.yaml" >"$T/v.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && grep -q "warning: ClusterNetworkPolicy govtech-deny-instance-metadata skipped (a version not read" "$T/e" &&
    [ "$(json "$T/v.json" "set(p['intended'] for p in d['probes'])")" = "{'unknown'}" ]
check "ClusterNetworkPolicy of a version not read: a warning, every answer unknown" status_ok $? "rc $rc: $(head -2 "$T/e")"

# run --policies: an admin Deny of a failed allow says that no NetworkPolicy can open it.
cat >"$T/aobjs.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: app, labels: {app: db}}
status: {podIP: 127.0.0.2}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-db}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  egress:
  - {name: block-db, action: Deny, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}]}
EOF
cat >"$T/arun.json" <<'EOF'
{"version": 1, "roles": {"web": {"selector": {"app": "web"}, "namespace": "app", "probes": [
 {"name": "db", "kind": "tcp", "host": "127.0.0.2", "port": 1, "expect": "allow", "timeout_ms": 500}]}}}
EOF
"$Z" run -c "$T/arun.json" --role web --policies "$T/aobjs.yaml" >"$T/ar.json" 2>"$T/e"
h=$(json "$T/ar.json" "d['results'][0]['hint']")
echo "$h" | grep -q "^A cluster admin policy denies this path (denied by admin ClusterNetworkPolicy no-db (priority 5) egress rule block-db): no NetworkPolicy can open it"
check "run --policies: a failed allow an admin policy denies: the hint names the policy, priority and rule" status_ok $? "$h $(cat "$T/e")"
[ "$(json "$T/ar.json" "d['results'][0]['policy']['reason']")" = "egress: denied by admin ClusterNetworkPolicy no-db (priority 5) egress rule block-db" ]
check "run --policies: policy.reason is the chain" status_ok $? "$(json "$T/ar.json" "d['results'][0]['policy']")"

# The network-policy-api conformance tests, transcribed (fixtures/conformance): every assertion
# a probe can express agrees; SCTP (no SCTP probe kind) and the node-peer tests are counted.
python3 "$HERE/conformance.py" "$Z" >"$T/conf.txt" 2>&1
rc=$?
sum=$(head -1 "$T/conf.txt")
[ $rc -eq 0 ] && [ "$(echo "$sum" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['compared'] == d['agree'] and d['compared'] >= 400 and d['compared'] + d['sctp_not_expressible'] == d['assertions'])")" = True ]
check "conformance (v1alpha2 main, v1alpha1 release-0.1): every assertion a probe can express agrees: $sum" status_ok $? \
    "$(sed -n 2,12p "$T/conf.txt")"

# policy plan with the cluster policies: a deny probe per address of the metadata Deny for
# every role, the Pass and the Baseline's ingress rules as todo lines with the reason; the plan
# validates and agrees with its own check.
"$Z" policy plan -f "$T/govtech.yaml" -f "$DNS" -f manifests/cluster/cluster-network-policies.yaml --namespace govtech \
    --role-label app -o json >"$T/apl.json" 2>"$T/e"
check "plan with the cluster policies exits 0" status_ok $? "$(cat "$T/e")"
[ "$(json "$T/apl.json" "sorted(set((r, p['host'], p['port'], p['expect']) for r, v in d['roles'].items() for p in v['probes'] if p.get('host') in ('169.254.169.254', 'fd00:ec2::254')))")" = \
  "[('backend', '169.254.169.254', 443, 'deny'), ('backend', 'fd00:ec2::254', 443, 'deny'), ('frontend', '169.254.169.254', 443, 'deny'), ('frontend', 'fd00:ec2::254', 443, 'deny'), ('postgres', '169.254.169.254', 443, 'deny'), ('postgres', 'fd00:ec2::254', 443, 'deny')]" ]
check "plan: a deny probe for each address of the admin Deny, in every role" status_ok $? "$(json "$T/apl.json" "d['roles']['backend']['probes']")"
[ "$(json "$T/apl.json" "sum('pass-dns, Pass): a Pass hands the path' in t for t in d['todo']) == 3 and sum('other-namespaces, Deny): an ingress rule' in t for t in d['todo']) == 3")" = True ]
check "plan: the Pass and the Baseline's ingress rules are todo lines with the reason" status_ok $? "$(json "$T/apl.json" "d['todo']")"
"$Z" policy check -c "$T/apl.json" -f "$T/govtech.yaml" -f "$DNS" -f manifests/cluster/cluster-network-policies.yaml >"$T/apc.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && [ "$(json "$T/apc.json" "(d['summary']['disagree'], d['summary']['unknown'], any(u.get('rule_name') == 'deny-imds' for u in d['coverage']['uncovered']))")" = "(0, 0, False)" ]
check "plan: its own check agrees, and exercises the admin Deny rule" status_ok $? "rc $rc: $(json "$T/apc.json" "d['summary']") $(cat "$T/e")"

# A domainNames Accept plans an https probe to the name (an http probe with an https URL would
# not validate), and the plan validates.
cat >"$T/dom.yaml" <<'EOF2'
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allow-aws}
spec:
  tier: Admin
  priority: 30
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: govtech}}}
  egress:
  - {name: secrets, action: Accept, to: [{domainNames: [secretsmanager.us-east-1.amazonaws.com]}]}
EOF2
"$Z" policy plan -f "$T/govtech.yaml" -f "$DNS" -f "$T/dom.yaml" --namespace govtech --role-label app -o json \
    >"$T/dpl.json" 2>"$T/e" &&
    [ "$(json "$T/dpl.json" "sorted(set((p['kind'], p.get('url')) for v in d['roles'].values() for p in v['probes'] if 'secretsmanager' in (p.get('url') or p.get('host') or '')))")" = \
      "[('https', 'https://secretsmanager.us-east-1.amazonaws.com/')]" ] &&
    "$Z" validate -c "$T/dpl.json" >/dev/null 2>>"$T/e"
check "plan: a domainNames Accept gives an https probe to the name, and the plan validates" status_ok $? "$(cat "$T/e") $(json "$T/dpl.json" "d['roles']['backend']['probes']" 2>&1 | head -c 600)"

# Hostile admin objects: each one exit 2 with its path, never a crash (the suite runs the
# sanitized agent in make test).
i=0
bad=""
while IFS='|' read -r body want; do
    i=$((i + 1))
    printf 'apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: h%d}\n%s\n' "$i" "$body" >"$T/h$i.yaml"
    "$Z" policy check -c config/govtech.json -f "$T/h$i.yaml" >/dev/null 2>"$T/h$i.err"
    rc=$?
    { [ $rc -eq 2 ] && grep -qF "h$i.yaml: document 1 (ClusterNetworkPolicy h$i): $want" "$T/h$i.err" &&
        ! grep -q "Sanitizer\|runtime error" "$T/h$i.err"; } || bad="$bad [$i rc $rc: $(head -c 200 "$T/h$i.err")]"
done <<'EOF2'
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [null]}|spec.ingress[0]: must be a mapping
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [null]}]}|spec.ingress[0].from[0]: must be a mapping
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [1]}]}]}|spec.egress[0].to[0].networks[0]: must be a CIDR block
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Accept, to: [{domainNames: ['*.']}]}]}|spec.egress[0].to[0].domainNames[0]: must be a domain name
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: null}]}]}|spec.ingress[0].protocols[0]: must set exactly one of
spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 1}}}}]}]}|spec.ingress[0].protocols[0].tcp.destinationPort.range.end: must be an integer
spec: {tier: Admin, priority: 1e300, subject: {namespaces: {}}}|spec.priority: must be an integer 0..1000
spec: {tier: [Admin], priority: 1, subject: {namespaces: {}}}|spec.tier: required: Admin or Baseline
spec: {tier: Admin, priority: 1, subject: {pods: {podSelector: {matchLabels: {a: [1]}}}}}|spec.subject.pods.podSelector.matchLabels.a: must be a string
spec: 5|spec: required: a mapping
EOF2
[ -z "$bad" ]
check "hostile ClusterNetworkPolicies ($i): exit 2 with file, object and path, no sanitizer report" status_ok $? "$bad"
