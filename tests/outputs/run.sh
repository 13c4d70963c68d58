#!/bin/bash
# run.sh: the namespace outputs of `ztprobe merge`, read back by what consumes them.
#   -o policyreport  the PolicyReport CRD's schema (tests/outputs/policyreport-crd-v1alpha2.yaml,
#                    python3-jsonschema, strict), Go's YAML parser (`kubectl kustomize`), names
#                    shortened with a hash, hostile strings, missing reports, bad namespaces
#   -o html          (see the html section) a headless Chromium renders it; its DOM is checked
# The reports merged are real: the agent probes servers on 127.0.0.1 (tests/servers/zt_server.py)
# as three pods of two namespaces; variants (long or bad namespaces, hostile strings) are made
# by editing those JSON reports.
#
# Usage: bash tests/outputs/run.sh [BINARY]   (default ./ztprobe)
# Prints "ok - ..." / "not ok - ...: why" per case, then "N passed, M failed"; exits 1 if any
# case failed. ARTIFACTS=DIR keeps the rendered outputs (page, screenshot) there; KEEP=1 keeps
# the temporary folder.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
CHK=$HERE/check_policyreport.py
CRD=$HERE/policyreport-crd-v1alpha2.yaml

zt_agent "${1:-./ztprobe}"
$PY -c 'import jsonschema, yaml' 2>/dev/null || notok "python3-jsonschema installed" "missing; run 'sh tests/deps.sh'"
[ "$FAILED" -eq 0 ] || zt_finish

zt_init out

unset ZTPROBE_CONFIG ZTPROBE_ROLE POD_NAME POD_NAMESPACE
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
export ZTPROBE_LABELS_FILE=$T/no-labels
export LC_ALL=C
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}

# ---- helpers -------------------------------------------------------------------------

# zt NAME POD NAMESPACE ARGS...: the agent as that pod; stdout, stderr, exit code by NAME.
zt() {
    local name=$1 pod=$2 ns=$3
    shift 3
    POD_NAME=$pod POD_NAMESPACE=$ns "$ZT" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
# edit IN OUT PYTHON: OUT is report IN after PYTHON ran on it as `r` (bytes may be invalid
# UTF-8: "\udcXX" in a string is written as the raw byte XX).
edit() {
    $PY - "$1" "$2" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "wb").write(json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogateescape"))
EOF
}

# ---- real reports ----------------------------------------------------------------------

if ! srv web healthy; then
    notok "setup" "zt_server.py did not start"
    zt_finish
fi
WEB=$(port web)
CLOSED=$(free_port)
cat >"$T/c.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 2000 },
  "roles": {
    "frontend": { "selector": { "app": "frontend" }, "probes": [
      { "name": "backend-health", "kind": "http", "url": "http://127.0.0.1:$WEB/health",
        "expect": "allow", "status": [200], "body_contains": "healthy" },
      { "name": "no-direct-db", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED,
        "expect": "deny", "deny_outcomes": ["refused"] } ] },
    "backend": { "selector": { "app": "backend" }, "probes": [
      { "name": "web", "kind": "tcp", "host": "127.0.0.1", "port": $WEB, "expect": "allow" },
      { "name": "no-frontend", "kind": "tcp", "host": "127.0.0.1", "port": $WEB, "expect": "deny" },
      { "name": "no-closed", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED, "expect": "deny" } ] },
    "postgres": { "selector": { "app": "postgres" }, "probes": [
      { "name": "no-egress", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED,
        "expect": "deny", "deny_outcomes": ["refused", "timeout"] } ] }
  }
}
EOF
zt fe frontend-7d9f govtech run -c "$T/c.json" --role frontend
rc_is fe 0 "report: frontend passes"
zt be backend-5c4b govtech run -c "$T/c.json" --role backend
rc_is be 1 "report: backend fails (an open deny, an inconclusive deny)"
zt pg postgres-0 data run -c "$T/c.json" --role postgres
rc_is pg 0 "report: postgres (namespace data) passes"
for r in fe be pg; do cp "$T/$r.out" "$T/$r.json"; done

# ---- PolicyReport ----------------------------------------------------------------------

# The machine's kubectl, else the Debian kubectl 1.20 that tests/manifests unpacks.
KUBECTL=$(command -v kubectl || true)
[ -n "$KUBECTL" ] || KUBECTL=$ROOT/build/manifests/kubectl-1.20/usr/bin/kubectl
# kustomize NAME: Go's YAML parser (kubectl's) reads NAME.out; what it wrote is NAME.kust
kustomize() {
    mkdir -p "$T/k-$1"
    cp "$T/$1.out" "$T/k-$1/report.yaml"
    printf 'resources:\n- report.yaml\n' >"$T/k-$1/kustomization.yaml"
    "$KUBECTL" kustomize "$T/k-$1" >"$T/$1.kust" 2>"$T/$1.kerr"
}

zt pr - - merge -o policyreport "$T/fe.json" "$T/be.json" "$T/pg.json"
rc_is pr 1 "policyreport: exit 1 as merge (backend fails)"
check "policyreport: valid against the v1alpha2 CRD schema (strict)" $PY "$CHK" schema "$CRD" "$T/pr.out"
check "policyreport: one report per namespace, counts, rules, results, resources" \
    $PY "$CHK" expect "$T/pr.out" docs=2 nsless=0 ns:govtech=3/1/1 ns:data=1/0/0 \
    name:govtech=ztprobe-govtech name:data=ztprobe-data \
    rule:govtech:frontend/backend-health=pass:ok rule:govtech:frontend/no-direct-db=pass:refused \
    rule:govtech:backend/no-frontend=fail:ok rule:govtech:backend/no-closed=error:refused \
    rule:data:postgres/no-egress=pass:refused pod:govtech:backend/web=backend-5c4b missing=0
if [ -x "$KUBECTL" ]; then
    if kustomize pr; then
        check "policyreport: kubectl kustomize (Go YAML) reads the same objects" \
            $PY "$CHK" same "$T/pr.out" "$T/pr.kust"
    else
        notok "policyreport: kubectl kustomize reads it" "$(head -c 300 "$T/pr.kerr")"
    fi
else
    notok "policyreport: kubectl kustomize reads it" "no kubectl (nor build/manifests/kubectl-1.20: bash tests/manifests/deps.sh)"
fi

# Negative controls: the strict schema check must catch what the API server would refuse or
# silently prune, and the counts check a summary that lies.
$PY - "$T/pr.out" "$T" <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
def bad(n, f):
    d = [yaml.safe_load(yaml.safe_dump(x)) for x in docs]
    f(d[0])
    yaml.safe_dump_all(d, open("%s/bad-%s.yaml" % (sys.argv[2], n), "w"))
bad("result", lambda d: d["results"][0].update(result="inconclusive"))
bad("field", lambda d: d["results"][0].update(verdict="pass"))
bad("prop", lambda d: d["results"][0]["properties"].update(attempts=1))
bad("name", lambda d: d["metadata"].update(name="x" * 64))
bad("nanos", lambda d: d["results"][0]["timestamp"].update(nanos=2**31))
bad("summary", lambda d: d["summary"].update(fail=0))
EOF
for b in result field prop name nanos summary; do
    check "policyreport: the check rejects a broken copy ($b) (control)" fails \
        $PY "$CHK" schema "$CRD" "$T/bad-$b.yaml"
done

# Long namespaces: "ztprobe-" + 63 characters is past the 63 allowed; two that share their first
# 55 characters must still get two names.
L1=$(printf 'a%.0s' $(seq 63))
L2=$(printf 'a%.0s' $(seq 55))bbbbbbbb
edit "$T/fe.json" "$T/long1.json" "r['pod']['namespace'] = '$L1'"
edit "$T/be.json" "$T/long2.json" "r['pod']['namespace'] = '$L2'"
zt prl - - merge -o policyreport "$T/long1.json" "$T/long2.json"
rc_is prl 1 "policyreport: 63-character namespaces are written, not refused"
check "policyreport: long names shortened to valid DNS labels" $PY "$CHK" schema "$CRD" "$T/prl.out"
names=$($PY -c 'import sys, yaml; print(" ".join(d["metadata"]["name"] for d in yaml.safe_load_all(open(sys.argv[1]))))' "$T/prl.out")
n1=${names%% *}
n2=${names##* }
if [ ${#n1} -le 63 ] && [ ${#n2} -le 63 ] && [ "$n1" != "$n2" ] && [[ $n1 == ztprobe-aaaa*-* ]] &&
    [[ $n1 =~ -[0-9a-f]{10}$ ]]; then
    ok "policyreport: shortened with a hash, distinct ($n1, $n2)"
else
    notok "policyreport: shortened with a hash, distinct" "'$n1' '$n2'"
fi

# A namespace Kubernetes cannot have: no object can hold it; exit 2 naming the report.
edit "$T/fe.json" "$T/badns.json" "r['pod']['namespace'] = 'Gov_Tech'"
zt prb - - merge -o policyreport "$T/badns.json" "$T/be.json"
if [ "$(cat "$T/prb.rc")" = 2 ] && grep -q 'badns.json: pod.namespace "Gov_Tech" is not a Kubernetes namespace' "$T/prb.err" &&
    [ ! -s "$T/prb.out" ]; then
    ok "policyreport: an invalid namespace is exit 2, named, nothing written"
else
    notok "policyreport: an invalid namespace is exit 2" "exit $(cat "$T/prb.rc"): $(head -c 300 "$T/prb.err")"
fi

# A pod that did not know its namespace, and an unreadable report.
edit "$T/pg.json" "$T/nons.json" "r['pod']['namespace'] = None"
echo '{"schema": "ztprobe/report/v1", "role": ' >"$T/broken.json"
zt prm - - merge -o policyreport "$T/fe.json" "$T/nons.json" "$T/broken.json"
rc_is prm 2 "policyreport: an unreadable report is exit 2"
check "policyreport: with a missing report and a namespace-less pod, still valid" \
    $PY "$CHK" schema "$CRD" "$T/prm.out"
check "policyreport: the missing report is an error result in every object; no-namespace object" \
    $PY "$CHK" expect "$T/prm.out" docs=2 nsless=1 missing=1 ns:govtech=2/0/1 ns:=1/0/1 name:=ztprobe

# Hostile strings: a report may carry anything in its free text and names; the YAML must
# keep them as data (no document break, no tag, no alias), and both parsers read them back.
cat >"$T/h.json" <<'EOF'
"\"\n---\nkind: Secret\n# c: &a *a !!python/object:os.system {{x}} \t\u0001\u007f\u0085\u2028\u2029\ufeff\ud83d\ude00 \\ end"
EOF
edit "$T/be.json" "$T/hostile.json" "
r['pod']['name'] = 'evil\"pod: x'
r['results'][0]['detail'] = json.load(open('$T/h.json'))
r['results'][0]['target'] = 'bad\udcff\udcfe bytes'
r['results'][1]['hint'] = '- [x]: {y} | > &z'
"
zt prh - - merge -o policyreport "$T/hostile.json"
rc_is prh 1 "hostile: merged (exit 1)"
check "hostile: still one valid PolicyReport" $PY "$CHK" schema "$CRD" "$T/prh.out"
# Controls, NEL, LS, PS and BOM carry nothing in a report and Go's YAML tools refuse them raw:
# they read U+FFFD; everything else comes back exactly.
cat >"$T/h-want.json" <<'EOF'
"\"\n---\nkind: Secret\n# c: &a *a !!python/object:os.system {{x}} \t\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ud83d\ude00 \\ end"
EOF
check "hostile: detail read back (PyYAML), controls as U+FFFD" \
    $PY "$CHK" prop "$T/prh.out" govtech backend/web detail "$(cat "$T/h-want.json")"
check "hostile: invalid UTF-8 became U+FFFD" \
    $PY "$CHK" prop "$T/prh.out" govtech backend/web target '"bad\ufffd\ufffd bytes"'
check "hostile: YAML syntax in a hint stays text" \
    $PY "$CHK" prop "$T/prh.out" govtech backend/no-frontend hint '"- [x]: {y} | > &z"'
check "hostile: pod name with a quote" \
    $PY "$CHK" prop "$T/prh.out" govtech backend/web pod '"evil\"pod: x"'
if kustomize prh; then
    check "hostile: kubectl kustomize (Go YAML) reads the same strings" \
        $PY "$CHK" same "$T/prh.out" "$T/prh.kust"
else
    notok "hostile: kubectl kustomize reads it" "$(head -c 300 "$T/prh.kerr")"
fi

zt runpr - - run -c "$T/c.json" --role frontend -o policyreport
rc_is runpr 2 "run -o policyreport is a usage error (a namespace format)"

# ---- HTML ------------------------------------------------------------------------------

HCHK=$HERE/check_html.py
ART=${ARTIFACTS:-$ROOT/build/test-artifacts/outputs}
mkdir -p "$ART"
# Colours the page paints: the pass, fail and inconclusive badges (merge_html.c's style).
GREEN='#1e6b30' RED='#a61b1b' BROWN='#7a4f00'

zt html - - merge -o html "$T/fe.json" "$T/be.json" "$T/pg.json"
rc_is html 1 "html: exit 1 as merge (backend fails)"
cp "$T/html.out" "$ART/matrix.html"
check "html: self-contained (no script, nothing loaded), CSP, lang, title, AA contrast" \
    $PY "$HCHK" page "$T/html.out"
if command -v chromium >/dev/null; then
    if bash "$HERE/render.sh" "$T/html.out" "$ART/matrix.png" 1280,900 >"$T/html.dom" 2>"$T/html.rerr" &&
        [ -s "$T/html.dom" ]; then
        ok "html: headless Chromium renders it (artifact $ART/matrix.png)"
        cp "$T/html.dom" "$ART/matrix.dom.html"
        check "html: DOM has the matrix: every role, pod, probe, verdict, outcome; headers scoped" \
            $PY "$HCHK" dom "$T/html.dom" "$T/fe.json" "$T/be.json" "$T/pg.json"
        check "html: the screenshot shows pass, fail and inconclusive colours" \
            $PY "$HCHK" png "$ART/matrix.png" 1280 900 "$GREEN" "$RED" "$BROWN"
        check "html: the DOM check notices a report not shown (control)" fails \
            $PY "$HCHK" dom "$T/html.dom" "$T/fe.json" "$T/be.json" "$T/pg.json" "$T/pg.json"
        check "html: the screenshot check notices a colour not painted (control)" fails \
            $PY "$HCHK" png "$ART/matrix.png" 1280 900 '#123456'
    else
        notok "html: headless Chromium renders it" "$(tail -c 300 "$T/html.rerr")"
    fi
else
    notok "html: headless Chromium renders it" "no chromium; run 'sh tests/deps.sh'"
fi
sed 's|</main>|<script>alert(1)</script></main>|' "$T/html.out" >"$T/bad-script.html"
check "html: the page check rejects a script (control)" fails $PY "$HCHK" page "$T/bad-script.html"
sed 's|<link|<x|; s|</title>|</title><link rel="stylesheet" href="https://198.51.100.1/x.css">|' "$T/html.out" >"$T/bad-link.html"
check "html: the page check rejects an external asset (control)" fails $PY "$HCHK" page "$T/bad-link.html"

# Hostile strings: every peer string is text on the page, never markup.
edit "$T/be.json" "$T/hostile-h.json" "
r['role'] = '<img src=x onerror=alert(1)>'
r['pod']['name'] = '\"><script>alert(2)</script>'
r['results'][0]['name'] = '<i>web</i>'
r['results'][0]['detail'] = '</td></tr></table><script>alert(3)</script>&amp; \u0001 bad\udcff'
r['results'][1]['hint'] = \"' onmouseover='alert(4)' <style>*{display:none}</style>\"
r['results'][2]['target'] = '<b>127.0.0.1</b>:1'
r['diagnoses'] = [{'code': 'x<y', 'message': '<iframe src=https://203.0.113.9/>'}]
"
zt htmlh - - merge -o html "$T/fe.json" "$T/hostile-h.json"
rc_is htmlh 1 "hostile html: merged (exit 1)"
cp "$T/htmlh.out" "$ART/hostile.html"
check "hostile html: still self-contained and scriptless" $PY "$HCHK" page "$T/htmlh.out"
if command -v chromium >/dev/null &&
    bash "$HERE/render.sh" "$T/htmlh.out" "$ART/hostile.png" 1280,900 >"$T/htmlh.dom" 2>/dev/null; then
    check "hostile html: the browser's DOM has every row and probe, no script, no handler" \
        $PY "$HCHK" dom "$T/htmlh.dom" "$T/fe.json" "$T/hostile-h.json"
    check "hostile html: the hostile strings are shown as text" \
        $PY "$HCHK" text "$T/htmlh.dom" '"<img src=x onerror=alert(1)>"' \
        '"\"><script>alert(2)</script>"' '"</td></tr></table><script>alert(3)</script>&amp; \ufffd bad\ufffd"' \
        "\"' onmouseover='alert(4)' <style>*{display:none}</style>\"" '"<iframe src=https://203.0.113.9/>"' \
        '"<b>127.0.0.1</b>:1"'
else
    notok "hostile html: rendered" "chromium failed"
fi

# run --policies: a cell that did not pass shows why the policies deny it, the field to change.
# The objects put the "web" server at 127.0.0.1; the backend's policy admits port 1 only.
cat >"$T/objs.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: backend-5c4b, namespace: govtech, labels: {app: backend}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: govtech, labels: {app: web}}
status: {podIP: 127.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-egress, namespace: govtech}
spec:
  podSelector: {matchLabels: {app: backend}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 1}]}]
EOF
zt bp backend-5c4b govtech run -c "$T/c.json" --role backend --policies "$T/objs.yaml"
rc_is bp 1 "policies: the backend report made with --policies (an open deny: exit 1)"
cp "$T/bp.out" "$T/bp.json"
zt htmlp - - merge -o html "$T/fe.json" "$T/bp.json"
rc_is htmlp 1 "policies html: merged (exit 1)"
cp "$T/htmlp.out" "$ART/policies.html"
check "policies html: the open deny's cell says why the policies deny it, naming the field" \
    $PY "$HCHK" text "$T/htmlp.out" "\"Policies: deny: no egress rule of govtech/backend-egress allows TCP $WEB to 127.0.0.1:$WEB; govtech/backend-egress egress rule 0 would allow this but for its port: spec.egress[0].ports[0].port is 1; the probe connects to $WEB\""
check "policies html: every cell that did not pass has its policy line, the passed none" \
    $PY "$HCHK" dom "$T/htmlp.out" "$T/fe.json" "$T/bp.json"
edit "$T/bp.json" "$T/bp-other.json" "r['results'][1]['policy']['reason'] = 'something else'"
check "policies html: the check notices a policy line that is not the report's (control)" fails \
    $PY "$HCHK" dom "$T/htmlp.out" "$T/fe.json" "$T/bp-other.json"
if command -v chromium >/dev/null &&
    bash "$HERE/render.sh" "$T/htmlp.out" "$ART/policies.png" 1280,900 >"$T/htmlp.dom" 2>/dev/null; then
    check "policies html: the browser's DOM has the policy lines" \
        $PY "$HCHK" dom "$T/htmlp.dom" "$T/fe.json" "$T/bp.json"
else
    notok "policies html: rendered" "chromium failed"
fi

zt runh - - run -c "$T/c.json" --role frontend -o html
rc_is runh 2 "run -o html is a usage error (a namespace format)"

zt_finish
