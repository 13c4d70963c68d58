#!/usr/bin/env bash
# run.sh [ZTPROBE]: the offline checks of manifests/ and the Dockerfile (part of `make test`;
# no cluster, no network but the package registries deps.sh installs from).
#
#   1. `kubectl kustomize manifests` renders, with the machine's kubectl (when there is one)
#      and with Debian's kubectl 1.20 (old embedded kustomize), to the same objects;
#   2. every rendered object validates against the Kubernetes API schemas (npm
#      kubernetes-models), with no unknown field (validate.js);
#   2b. manifests/cluster and manifests/cluster/eks render, cluster-scoped, the same policies in
#      both API groups, read by ztprobe with the APIs' validation;
#   3. the ConfigMap's config equals config/govtech.json and passes `ZTPROBE validate`; every
#      pod meets the restricted Pod Security Standard with requests and limits; the probe pods
#      get no Service traffic; CronJob and hook settings; no secrets; the Dockerfile's image
#      build covers every library of `ldd ZTPROBE` (check.py, dockerfile.py).
#
# Prints "ok - ..." / "not ok - ..." lines, then "N passed, M failed"; exits 1 on a failure.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ZTPROBE=$(realpath "${1:-$REPO/ztprobe}" 2>/dev/null || echo "${1:-$REPO/ztprobe}")
OUT=${ZT_MANIFESTS_BUILD:-$REPO/build/manifests}
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
zt_init manifests
TMP=$T

if ! bash "$HERE/deps.sh" >"$TMP/deps.log" 2>&1; then
    notok "install the checks' dependencies (tests/manifests/deps.sh)" "$(tail -5 "$TMP/deps.log")"
    zt_finish
fi

# The kubectls to render with: the machine's, then Debian's 1.20 unpacked by deps.sh.
kubectls=()
if command -v kubectl >/dev/null; then kubectls+=("$(command -v kubectl)"); fi
kubectls+=("$OUT/kubectl-1.20/usr/bin/kubectl")
renders=()
i=0
for k in "${kubectls[@]}"; do
    i=$((i + 1))
    ver=$("$k" version --client 2>/dev/null | sed -n 's/.*GitVersion:"\([^"]*\)".*/\1/p; s/^Client Version: \(.*\)/\1/p' | head -1)
    if "$k" kustomize "$REPO/manifests" >"$TMP/render$i.yaml" 2>"$TMP/render$i.err"; then
        ok "kubectl kustomize manifests renders (kubectl ${ver:-?}: $k)"
        renders+=("$TMP/render$i.yaml")
    else
        notok "kubectl kustomize manifests renders (kubectl ${ver:-?}: $k)" "$(head -3 "$TMP/render$i.err")"
    fi
done
[ ${#renders[@]} -gt 0 ] || zt_finish

# manifests/cluster (policy.networking.k8s.io/v1alpha2) and manifests/cluster/eks
# (networking.k8s.aws/v1alpha1): both render with every kubectl, cluster-scoped, the same
# policies (names, tiers, priorities, subjects, actions, peers) in the two groups, ports in each
# group's own style; and ztprobe reads them with the APIs' validation and no warning.
for k in "${kubectls[@]}"; do
    if "$k" kustomize "$REPO/manifests/cluster" >"$TMP/cl.yaml" 2>"$TMP/cl.err" &&
        "$k" kustomize "$REPO/manifests/cluster/eks" >"$TMP/eks.yaml" 2>>"$TMP/cl.err"; then
        "$PY" - "$TMP/cl.yaml" "$TMP/eks.yaml" >"$TMP/cl.out" 2>&1 <<'EOF2'
import sys, yaml
up = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
eks = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
assert {d["apiVersion"] for d in up} == {"policy.networking.k8s.io/v1alpha2"}, "upstream group"
assert {d["apiVersion"] for d in eks} == {"networking.k8s.aws/v1alpha1"}, "EKS group"
assert all("namespace" not in d["metadata"] for d in up + eks), "cluster-scoped"
def norm(d):
    s = dict(d["spec"])
    for dirn in ("ingress", "egress"):
        rules = []
        for r in s.get(dirn, []):
            r = dict(r)
            ports = r.pop("protocols", None) or r.pop("ports", None) or []
            flat = []
            for p in ports:
                if "portNumber" in p:
                    flat.append((p["portNumber"].get("protocol", "TCP"), p["portNumber"]["port"]))
                else:
                    (proto, v), = p.items()
                    flat.append((proto.upper(), v["destinationPort"]["number"]))
            r["ports"] = sorted(flat)
            rules.append(r)
        s[dirn] = rules
    return d["metadata"]["name"], s
a, b = sorted(map(norm, up), key=lambda x: x[0]), sorted(map(norm, eks), key=lambda x: x[0])
assert a == b, "the two groups differ:\n%s\n%s" % (a, b)
assert len(a) == 3
EOF2
        [ $? -eq 0 ]
        check "manifests/cluster and manifests/cluster/eks render (kubectl $k): cluster-scoped, the same policies in both groups" \
            status_ok $? "$(tail -3 "$TMP/cl.out")"
    else
        notok "manifests/cluster and manifests/cluster/eks render (kubectl $k)" "$(head -3 "$TMP/cl.err")"
    fi
done
if [ -x "$ZTPROBE" ]; then
    printf '{"version": 1, "roles": {"r": {"selector": {"app": "frontend"}, "namespace": "govtech", "probes": [{"name": "x", "kind": "tcp", "host": "169.254.169.254", "port": 80, "expect": "deny"}]}}}' >"$TMP/clcfg.json"
    for f in "$TMP/cl.yaml" "$TMP/eks.yaml"; do
        "$ZTPROBE" policy check -c "$TMP/clcfg.json" -f "$f" >"$TMP/clchk.json" 2>"$TMP/clchk.err"
        rc=$?
        [ $rc -eq 0 ] && [ ! -s "$TMP/clchk.err" ]
        check "ztprobe reads $(basename "$f" .yaml) with the API's validation, no warning, the metadata probe denied" \
            status_ok $? "rc $rc: $(head -3 "$TMP/clchk.err")"
    done
fi

# YAML -> JSON with Debian's python3-yaml, then the schemas in Node.js. The PrometheusRule is
# applied on its own (its CRD exists only where the Prometheus Operator runs), so it is not in
# the render: validated from its file.
extra=()
[ -f "$REPO/manifests/prometheusrule.yaml" ] && extra+=("$REPO/manifests/prometheusrule.yaml")
"$PY" -c 'import json, sys, yaml; json.dump([o for f in sys.argv[2:] for o in yaml.safe_load_all(open(f)) if o], open(sys.argv[1], "w"))' \
    "$TMP/objects.json" "${renders[0]}" "${extra[@]}"
zt_tally < <(node "$HERE/validate.js" "$OUT/npm/node_modules" "$TMP/objects.json" 2>&1 |
    sed -e '/^ok - /b' -e '/^not ok - /b' -e 's/^/not ok - validate.js: /')

# The validator itself must catch what it is for: a copy of one rendered Deployment with a
# misspelt field, a wrong type and a bad enum value.
"$PY" - "$TMP/objects.json" "$TMP/broken.json" <<'EOF'
import json, sys
objs = json.load(open(sys.argv[1]))
d = next(o for o in objs if o["kind"] == "Deployment")
d["metadata"]["name"] += "-broken"
c = d["spec"]["template"]["spec"]["containers"][0]
c["securityContext"]["readOnlyRootFilesytem"] = True
c["imagePullPolicy"] = "Sometimes"
d["spec"]["replicas"] = "two"
json.dump([d], open(sys.argv[2], "w"))
EOF
node "$HERE/validate.js" "$OUT/npm/node_modules" "$TMP/broken.json" >"$TMP/broken.out" 2>&1
if grep -q 'unknown field(s):.*readOnlyRootFilesytem' "$TMP/broken.out" &&
    grep -q 'replicas' "$TMP/broken.out" && grep -q 'imagePullPolicy' "$TMP/broken.out"; then
    ok "self-test: validate.js rejects an unknown field, a wrong type and a bad enum"
else
    notok "self-test: validate.js rejects an unknown field, a wrong type and a bad enum" "$(cat "$TMP/broken.out")"
fi

if [ -x "$ZTPROBE" ]; then
    zt_tally < <("$PY" "$HERE/check.py" "$REPO" "$ZTPROBE" "${renders[@]}" 2>&1 |
        sed -e '/^ok - /b' -e '/^not ok - /b' -e 's/^/not ok - check.py: /')
else
    notok "ztprobe binary for validate and ldd" "$ZTPROBE missing: run make first"
fi
zt_finish
