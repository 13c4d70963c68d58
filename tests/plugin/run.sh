#!/bin/bash
# run.sh [ZTPROBE]: the kubectl plugin (manifests/kubectl-ztprobe) against the policy lab,
# through a kubectl stand-in (tests/plugin/kubectl, first in PATH) that answers `get pods` from
# the lab's inventory and runs `exec` / `debug` with `ip netns exec` in the pod's namespace.
# No cluster is involved: what this proves is the plugin's logic (pod choice, sidecar or
# ephemeral container, the command it sends, collecting and merging, every failure mode), with
# the real agent probing the lab's real network. Also: `make install` (DESTDIR) and the real
# kubectl finding the installed plugin. Needs root (the lab); prints "N passed, M failed".
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
PLUGIN=$ROOT/manifests/kubectl-ztprobe
CONFIG=$ROOT/config/lab.json

zt_agent "${1:-$ROOT/ztprobe}"
BIN=$ZT
[ "$(id -u)" = 0 ] || { notok "root" "the lab needs root"; zt_finish; }

PREFIX=zpl$(($$ % 1000000))
zt_init plugin
plugin_cleanup() {
    local f pid
    # Ephemeral "containers" the stand-in started: none may outlive the test.
    for f in "$T"/state*/ephemeral/*/*.json; do
        [ -e "$f" ] || continue
        pid=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("pid",""))' "$f")
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
    done
    bash "$ROOT/tests/lab/lab.sh" down "$PREFIX" >/dev/null 2>&1
}
zt_at_exit plugin_cleanup

if ! bash "$ROOT/tests/lab/lab.sh" up "$PREFIX" "$CONFIG" >"$T/lab.log" 2>&1; then
    notok "lab up" "$(tail -5 "$T/lab.log")"
    zt_finish
fi
LABSTATE=$(bash "$ROOT/tests/lab/lab.sh" state "$PREFIX")
mkdir -p "$T/bin"
ln -s "$BIN" "$T/bin/ztprobe"          # the agent, as the image has it and as the merger
ln -s "$HERE/kubectl" "$T/bin/kubectl" # the stand-in
export ZT_STANDIN_LABDIR=$ROOT/tests/lab ZT_STANDIN_PREFIX=$PREFIX ZT_STANDIN_LABSTATE=$LABSTATE
export ZT_STANDIN_BINDIR=$T/bin
export LC_ALL=C
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}
unset ZTPROBE_IMAGE ZTPROBE_CONFIG

# plug NAME [VAR=VALUE...] -- ARGS...: `kubectl-ztprobe ARGS` with the stand-in, its own state
# folder, and the environment given; stdout, stderr, exit code and calls kept by NAME.
plug() {
    local name=$1
    shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    mkdir -p "$T/state-$name"
    env PATH="$T/bin:$PATH" ZT_STANDIN_STATE="$T/state-$name" ZT_STANDIN_SIDECARS=backend "${envs[@]}" \
        sh "$PLUGIN" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
# plug_ahead NAME [VAR=VALUE...] -- ARGS...: plug in the background, at most 3 at once: each
# run mostly waits for its probes' timeouts, role after role, and the runs are independent (a
# state folder each, the lab read only). plug_wait: until every one has ended; the checks come
# after it, in the order the runs were started.
PLUG_PIDS=()
plug_ahead() {
    while [ "$(jobs -rp | wc -l)" -ge 3 ]; do wait -n; done
    plug "$@" &
    PLUG_PIDS+=($!)
}
plug_wait() {
    local p
    for p in "${PLUG_PIDS[@]}"; do wait "$p"; done
    PLUG_PIDS=()
}
# err_has NAME LABEL STRING...: the run's stderr has every STRING.
err_has() { local n=$1 l=$2; shift 2; check "$l" err_has_all "$n" "$@"; }
err_has_all() {
    local name=$1 s
    shift
    for s in "$@"; do
        grep -qF -- "$s" "$T/$name.err" || { echo "no '$s' in: $(tail -c 400 "$T/$name.err")"; return 1; }
    done
}
# calls NAME PYTHON LABEL: PYTHON (a bool expression over `calls`, the argv lists) holds.
calls() { check "$3" calls_hold "$1" "$2"; }
calls_hold() {
    $PY -c '
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
ok = eval(sys.argv[2])
print("" if ok else json.dumps(calls)[:800])
sys.exit(0 if ok else 1)' "$T/state-$1/calls.jsonl" "$2"
}
# alive PID: running, not a zombie waiting for init to reap it.
alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# no_leftover NAME LABEL [TENTHS]: every process the stand-in started as an ephemeral container
# has ended (within TENTHS tenths of a second, default 20: the container's last write and its
# exit are not one step).
no_leftover() { check "$2" none_left "$1" "${3:-20}"; }
none_left() {
    local f pid left="" i
    for i in $(seq "$2"); do
        left=""
        for f in "$T/state-$1"/ephemeral/*/*.json; do
            [ -e "$f" ] || continue
            pid=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("pid",""))' "$f")
            [ -n "$pid" ] && alive "$pid" && left="$left $pid"
        done
        [ -z "$left" ] && break
        sleep 0.1
    done
    [ -z "$left" ] || { echo "still running:$left"; return 1; }
}

# ---- the namespace passes ----------------------------------------------------------------

# The matrix's size, from the config itself (it grows as probes are added).
NPROBES=$($PY -c 'import json,sys; print(sum(len(r["probes"]) for r in json.load(open(sys.argv[1]))["roles"].values()))' "$CONFIG")

plug_ahead pass -- run -n govtech -c "$CONFIG" --image registry.example.com/govtech/ztprobe:0.1.0
for fmt in json policyreport html junit; do
    plug_ahead "fmt-$fmt" ZT_STANDIN_CONFIG="$CONFIG" -- run -n govtech -o "$fmt" --image ztprobe:test
done
plug_wait
rc_is pass 0 "run: every role passes, exit 0 (merge's)"
if grep -q "$NPROBES probe results: $NPROBES passed, 0 failed, 0 inconclusive; 0 disagreements: OK" "$T/pass.out" &&
    grep -q "frontend-7d9f4" "$T/pass.out" && grep -q "postgres-7d9f4" "$T/pass.out"; then
    ok "run: the merged matrix names every role's pod and says OK"
else
    notok "run: the merged matrix" "$(tail -5 "$T/pass.out")"
fi
err_has pass "run: tells which way each role ran and the verdict" \
    "role backend: pod backend-7d9f4, container ztprobe (kubectl exec)" \
    "role frontend: pod frontend-7d9f4, ephemeral container (kubectl debug --target frontend --profile=restricted)" \
    "namespace govtech: OK"
calls pass 'any(c[0] == "exec" and "-i" in c and c[c.index("--")+1:c.index("--")+4] == ["ztprobe", "run", "-c"] and c[c.index("-c")+1] == "ztprobe" for c in calls)' \
    "run: the sidecar pod is run with kubectl exec -i -c ztprobe -- ztprobe run"
calls pass 'sum(1 for c in calls if c[0] == "debug" and "-i" in c and "--profile=restricted" in c and "--target=" + c[1 + c.index("-n") + 1].rsplit("-", 1)[0] in c and not any(a.startswith("--attach") for a in c)) == 2' \
    "run: the two pods without sidecar get kubectl debug -i --target APP --profile=restricted (attached)"
calls pass 'all(c[c.index("--")+1:c.index("--")+4] == ["ztprobe", "run", "-c"] and c[c.index("--")+4] == "-" and "sh" not in c[c.index("--"):] and "watch" not in c[c.index("--"):] for c in calls if c[0] in ("exec", "debug"))' \
    "run: the in-pod command is exactly one 'ztprobe run -c -' (no shell), never a watch"
calls pass 'all("--field-selector=status.phase=Running" in c for c in calls if c[:2] == ["get", "pods"]) and len([c for c in calls if c[:2] == ["get", "pods"]]) == 3' \
    "run: one pod per role from the config's selectors, running ones only"
no_leftover pass "run: no ephemeral container left running"

for fmt in json policyreport html junit; do
    rc_is "fmt-$fmt" 0 "run -o $fmt (config from the ConfigMap): exit 0"
done
if $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; sys.exit(0 if s["reports"]==3 and s["ok"] else 1)' "$T/fmt-json.out"; then
    ok "run -o json: merge's JSON, 3 reports, ok"
else
    notok "run -o json" "$(head -c 300 "$T/fmt-json.out")"
fi
if $PY "$ROOT/tests/outputs/check_policyreport.py" schema "$ROOT/tests/outputs/policyreport-crd-v1alpha2.yaml" "$T/fmt-policyreport.out" &&
    $PY "$ROOT/tests/outputs/check_policyreport.py" expect "$T/fmt-policyreport.out" docs=1 "ns:govtech=$NPROBES/0/0" \
        pod:govtech:backend/postgres=backend-7d9f4; then
    ok "run -o policyreport: one valid PolicyReport for govtech, every probe passes, pods named"
else
    notok "run -o policyreport" "$(head -c 300 "$T/fmt-policyreport.out")"
fi
if grep -q '<th scope="row"><span class="role">postgres</span>' "$T/fmt-html.out"; then ok "run -o html: the page"; else notok "run -o html" "no postgres row"; fi
if grep -q '<testsuites' "$T/fmt-junit.out"; then ok "run -o junit: JUnit XML"; else notok "run -o junit" "no testsuites"; fi

# ---- failing probes --------------------------------------------------------------------

bash "$ROOT/tests/lab/lab.sh" apply "$PREFIX" --deny none >>"$T/lab.log" 2>&1
plug open -- run -n govtech -c "$CONFIG" --image ztprobe:test
rc_is open 1 "a CNI that does not enforce: deny probes fail, exit 1"
if grep -q "NOT OK" "$T/open.out" && grep -q "policy_not_enforced" "$T/open.out"; then
    ok "a CNI that does not enforce: NOT OK, policy_not_enforced shown"
else
    notok "a CNI that does not enforce" "$(tail -5 "$T/open.out")"
fi
bash "$ROOT/tests/lab/lab.sh" apply "$PREFIX" >>"$T/lab.log" 2>&1

# ---- failure modes -----------------------------------------------------------------------

# A role with its own namespace is looked for there, not in -n's. The lab's pod "outsider" of
# namespace default carries app=frontend too: found in govtech, the role would run in the
# frontend pod instead, and its report would say so.
$PY - "$CONFIG" "$T/other-ns.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["roles"]["outsider"] = {"namespace": "default", "selector": {"app": "frontend"}, "probes": [
    {"name": "no-db-from-default", "kind": "tcp", "host": "postgres-service.govtech.svc.cluster.local",
     "port": 5432, "expect": "deny", "timeout_ms": 1000}]}
json.dump(c, open(sys.argv[2], "w"))
PYEOF
plug_ahead nopod ZT_STANDIN_NOPOD=postgres -- run -n govtech -c "$CONFIG" --image ztprobe:test
plug_ahead forbid ZT_STANDIN_FORBID=exec -- run -n govtech -c "$CONFIG" --image ztprobe:test
plug_ahead forbid-debug ZT_STANDIN_FORBID=debug -- run -n govtech -c "$CONFIG" --image ztprobe:test
plug_ahead pull -- run -n govtech -c "$CONFIG" --image registry.example.com/unpullable/ztprobe:0.1.0
plug_ahead noimage -- run -n govtech -c "$CONFIG"
plug_ahead other-ns -- run -n govtech -c "$T/other-ns.json" --image ztprobe:test -o json
plug_ahead noconfig -- run -n govtech
plug_ahead wait -- run -n govtech -c "$CONFIG" --image ztprobe:test --wait 20s -o json
plug_ahead policies -- run -n govtech -c "$CONFIG" --image ztprobe:test --policies "$ROOT/manifests/network-policies.yaml" -o json
plug_ahead badwait -- run -n govtech -c "$CONFIG" --image ztprobe:test --wait 5q
plug_ahead usage1 -- run -c "$CONFIG"
plug_ahead usage2 -- run -n govtech -o yaml
plug_wait

rc_is nopod 2 "no running pod for a role: merge's exit 2"
err_has nopod "no running pod: named, with the selector and the command to look" \
    "role postgres: no running pod in namespace govtech matches app=postgres (kubectl get pods -n govtech -l app=postgres)" \
    "namespace govtech: NOT OK (1 role(s) without a report; exit 2)"
if grep -q "postgres.no-running-pod" "$T/nopod.out" && grep -q "frontend-7d9f4" "$T/nopod.out"; then
    ok "no running pod: the other roles' matrix still printed, the role listed as missing"
else
    notok "no running pod: the others still printed" "$(tail -8 "$T/nopod.out")"
fi

rc_is forbid 2 "exec forbidden (RBAC): merge's exit 2"
err_has forbid "exec forbidden: says so and what permission is missing" \
    "role backend: exec into pod backend-7d9f4 is forbidden (RBAC): it needs create on pods/exec in govtech"

rc_is forbid-debug 2 "ephemeral containers forbidden (RBAC): exit 2"
err_has forbid-debug "ephemeral containers forbidden: says so" \
    "role frontend: adding an ephemeral container to pod frontend-7d9f4 is forbidden (RBAC): it needs patch on pods/ephemeralcontainers in govtech"

rc_is pull 2 "image cannot be pulled: exit 2"
err_has pull "image cannot be pulled: named, with the reason" \
    "role frontend: image registry.example.com/unpullable/ztprobe:0.1.0 cannot be pulled into pod frontend-7d9f4 (ImagePullBackOff)"
no_leftover pull "image cannot be pulled: nothing left running"

# An ephemeral container that outlasts --timeout: the role is reported, and the container (one
# run, never a watch) ends on its own within its probes' timeouts.
plug slow -- run -n govtech -c "$CONFIG" --image ztprobe:test --timeout 0
rc_is slow 2 "an ephemeral container past --timeout: exit 2"
err_has slow "past --timeout: says it runs once and ends on its own" \
    "did not finish within 0s (it runs once and ends on its own)"
# Within 5 s (the lab's longest probe timeout is 3 s), looked at every 0.1 s.
no_leftover slow "past --timeout: the ephemeral containers ended by themselves" 50

rc_is noimage 2 "no sidecar and no --image: exit 2"
err_has noimage "no sidecar and no --image: says to give --image" \
    "role frontend: pod frontend-7d9f4 has no ztprobe sidecar: give --image"

# A role with its own namespace (other-ns.json, above) is looked for there, not in -n's.
rc_is other-ns 0 "a role in another namespace: every role passes, exit 0"
calls other-ns 'any(c[:2] == ["get", "pods"] and c[c.index("-n") + 1] == "default" and "app=frontend" in c for c in calls) and any(c[0] == "debug" and c[c.index("-n") + 1] == "default" and "outsider-7d9f4" in c and "--env=POD_NAMESPACE=default" in c for c in calls)' \
    "a role in another namespace: its pod is listed and run in that namespace"
if $PY -c '
import json, sys
m = json.load(open(sys.argv[1]))
pods = {r["role"]: r["pod"] for r in m["reports"]}
sys.exit(0 if pods.get("outsider") == "outsider-7d9f4" and pods.get("frontend") == "frontend-7d9f4" else 1)' "$T/other-ns.out"; then
    ok "a role in another namespace: the merged report has its pod, and frontend keeps its own"
else
    notok "a role in another namespace: its pod" "$(head -c 400 "$T/other-ns.out")"
fi

rc_is noconfig 2 "no -c and no ConfigMap: exit 2"
err_has noconfig "no -c and no ConfigMap: says so" "no ConfigMap ztprobe-config"

# --wait and --policies go to the agent's run; an agent without them says so (exit 2).
if "$BIN" help run 2>/dev/null | grep -q -- '--wait'; then
    rc_is wait 0 "--wait: passed to run, exit 0"
else
    rc_is wait 2 "--wait: passed to run; this agent has no --wait: exit 2"
    err_has wait "--wait: the agent's own message is shown" "--wait"
fi
calls wait 'all(c[-2:] == ["--wait", "20s"] for c in calls if c[0] in ("exec", "debug"))' \
    "--wait: every in-pod run gets --wait 20s"
if "$BIN" help run 2>/dev/null | grep -q -- '--policies'; then
    rc_is policies 0 "--policies: the objects reach the agent, exit 0"
else
    rc_is policies 2 "--policies: passed to run; this agent has no --policies: exit 2"
fi
calls policies 'all(" --policies - " in " ".join(c) and "default-deny-all" not in " ".join(c) for c in calls if c[0] in ("exec", "debug"))' \
    "--policies: the objects travel on stdin after the config (--policies -), not in the command"

# The agent's messages come back on kubectl's stderr: shown tagged with the role; a run that
# prints no report leaves the role without one (exit 2).
rc_is badwait 2 "the agent refuses its flags: no report, exit 2"
err_has badwait "the agent's own message, tagged per role, for exec and debug alike" \
    "  backend: ztprobe: " "  frontend: ztprobe: " "role backend: ztprobe in pod backend-7d9f4 printed no report"

# The stand-in is a scratch image: no shell in the container (the control for the checks
# above, which pass only because the plugin runs ztprobe itself).
mkdir -p "$T/state-shell"
for verb in "exec -i -n govtech backend-7d9f4 -c ztprobe" \
    "debug -i -n govtech frontend-7d9f4 --image=ztprobe:test --target=frontend --profile=restricted --container=zs --quiet"; do
    # shellcheck disable=SC2086
    env PATH="$T/bin:$PATH" ZT_STANDIN_STATE="$T/state-shell" ZT_STANDIN_SIDECARS=backend \
        kubectl $verb -- sh -c 'ztprobe version' </dev/null >"$T/shell.out" 2>"$T/shell.err"
    src=$?
    if [ "$src" -ne 0 ] && grep -q 'exec: "sh": executable file not found' "$T/shell.err" && [ ! -s "$T/shell.out" ]; then
        ok "the stand-in refuses sh -c in the container (${verb%% *}), as a scratch image does"
    else
        notok "the stand-in refuses sh -c (${verb%% *})" "exit $src: $(head -c 200 "$T/shell.err")"
    fi
done

# ---- untrusted pods and configs (issue 18) ------------------------------------------------

# A pod's stderr reaches the operator's terminal: escape sequences (clipboard, title, clear
# screen, CSI raw and as UTF-8, conceal, CR) and a fake verdict, then 200 KiB of chatter, from
# the sidecar (exec) and an ephemeral container (debug). Shown filtered, at most 64 KiB per role.
# evil_relay NAME AWK: the checks on run NAME's stderr (the filter ran with AWK).
evil_relay() {
    local name=$1 awk=$2
    rc_is "$name" 0 "a pod writing escape sequences on stderr ($awk): its report still counts, exit 0"
    if $PY - "$T/$name.err" <<'PYEOF'
import sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8", "surrogateescape")
bad = [c for c in t if (c < " " and c not in "\t\n") or "\x7f" <= c <= "\x9f" or "\udc80" <= c <= "\udcff"]
sys.exit(1 if bad else 0)
PYEOF
    then
        ok "a pod's stderr ($awk): no C0 (but tab, newline), DEL, C1 (raw or UTF-8) or stray byte reaches the terminal"
    else
        notok "a pod's stderr is filtered ($awk)" "$(LC_ALL=C grep -a -m2 'evil\|csi' "$T/$name.err" | od -c | head -6)"
    fi
    err_has "$name" "a pod's stderr ($awk): shown, tagged, controls as '?', UTF-8 and tab kept" \
        "  backend: ?]52;c;ZXZpbC1jbGlwYm9hcmQ=??]0;evil-title??[2J?[H?31m raw-csi ??32m utf8-csi ?[8m concealed?namespace govtech: OK?? $(printf '\303\251t\303\251 \342\202\254\tkept')" \
        "  frontend: ?]52;c;" "  backend: [... cut: at most 65536 bytes shown]"
    if [ "$(grep -c '^  backend: chatter' "$T/$name.err")" -lt 1500 ] && [ "$(wc -c <"$T/$name.err")" -lt 250000 ] &&
        [ "$(tail -1 "$T/$name.err")" = "kubectl-ztprobe: namespace govtech: OK (every probe passed)" ]; then
        ok "a pod's stderr ($awk): at most 64 KiB shown per role (of 200 KiB; two roles, under 250 kB in all), the real verdict last"
    else
        notok "a pod's stderr is capped ($awk)" "$(grep -c '^  backend: chatter' "$T/$name.err") lines, $(wc -c <"$T/$name.err") bytes; last: $(tail -1 "$T/$name.err")"
    fi
}
plug evil-stderr ZT_STANDIN_EVIL=backend=stderr,frontend=stderr -- run -n govtech -c "$CONFIG" --image ztprobe:test
evil_relay evil-stderr "$(readlink -f "$(command -v awk)")"
# The same filter under another awk (BusyBox's, as on a minimal operator image): the script is
# POSIX awk on bytes, so it must give the same answer.
if command -v busybox >/dev/null && busybox awk 'BEGIN { exit 0 }'; then
    mkdir -p "$T/bbawk"
    ln -sf "$(command -v busybox)" "$T/bbawk/awk"
    plug evil-stderr-bb PATH="$T/bbawk:$T/bin:$PATH" ZT_STANDIN_EVIL=backend=stderr,frontend=stderr -- run -n govtech -c "$CONFIG" --image ztprobe:test
    evil_relay evil-stderr-bb "busybox awk"
else
    notok "the filter under busybox awk" "no busybox with awk (tests/deps.sh installs it)"
fi

# A config from the namespace's ConfigMap is written by whoever can edit that ConfigMap: a role in
# another namespace is refused (nothing is run there) unless --allow-other-namespaces.
plug cm-other-ns ZT_STANDIN_CONFIG="$T/other-ns.json" -- run -n govtech --image ztprobe:test -o json
rc_is cm-other-ns 2 "a ConfigMap naming a role in another namespace: refused, exit 2"
err_has cm-other-ns "a role in another namespace from the ConfigMap: named, with the flag" \
    "role outsider: the config from ConfigMap ztprobe-config in govtech puts this role in namespace default: refused" \
    "--allow-other-namespaces"
calls cm-other-ns 'not any("default" in c for c in calls) and sum(1 for c in calls if c[0] in ("exec", "debug")) == 3' \
    "a role in another namespace from the ConfigMap: no call in that namespace, the others run"
plug cm-other-ns-allowed ZT_STANDIN_CONFIG="$T/other-ns.json" -- run -n govtech --image ztprobe:test -o json --allow-other-namespaces
rc_is cm-other-ns-allowed 0 "--allow-other-namespaces: the ConfigMap's role in another namespace runs there, exit 0"
calls cm-other-ns-allowed 'any(c[0] == "debug" and c[c.index("-n") + 1] == "default" for c in calls)' \
    "--allow-other-namespaces: the debug call goes to that namespace"
if sh "$PLUGIN" help | grep -q -- '--allow-other-namespaces'; then
    ok "help names --allow-other-namespaces"
else
    notok "help names --allow-other-namespaces" "$(sh "$PLUGIN" help | head -5)"
fi

# The sidecar path: --timeout stops a run that never ends, as for ephemeral containers.
t0=$(date +%s)
plug exec-silent ZT_STANDIN_EVIL=backend=silent -- run -n govtech -c "$CONFIG" --image ztprobe:test --timeout 3
t1=$(date +%s)
rc_is exec-silent 2 "a sidecar run that never ends: exit 2"
err_has exec-silent "a sidecar run past --timeout: says so" \
    "role backend: kubectl exec into pod backend-7d9f4 did not finish within 3s (--timeout)"
if [ $((t1 - t0)) -lt 60 ]; then ok "a sidecar run past --timeout 3: the plugin ended in $((t1 - t0)) s"; else notok "--timeout on exec" "took $((t1 - t0)) s"; fi

# Output past 16 MiB (the report cap) is not read: the pod gets EPIPE, the role no report.
plug flood ZT_STANDIN_EVIL=backend=flood,frontend=flood -- run -n govtech -c "$CONFIG" --image ztprobe:test
rc_is flood 2 "a pod printing 20 MiB: exit 2"
err_has flood "a pod printing 20 MiB: named, the cap said" \
    "role backend: ztprobe in pod backend-7d9f4 printed more than 16777216 bytes (16 MiB, a report's cap)" \
    "role frontend: ztprobe in pod frontend-7d9f4 printed more than 16777216 bytes"
if [ -e "$T/state-flood/flood-backend-7d9f4.broken" ] && [ -e "$T/state-flood/flood-frontend-7d9f4.broken" ]; then
    ok "a pod printing 20 MiB: the plugin stopped reading at the cap (the pod's write failed, exec and debug)"
else
    notok "the plugin stops reading at the cap" "$(ls "$T/state-flood")"
fi

# A report that claims another namespace than its pod's: refused, and no PolicyReport for it.
plug claim ZT_STANDIN_EVIL=backend=claim-ns,frontend=claim-ns -- run -n govtech -c "$CONFIG" --image ztprobe:test -o policyreport
rc_is claim 2 "reports claiming kube-system: exit 2"
err_has claim "reports claiming kube-system: refused, the pod and the namespaces named" \
    "role backend: the report from pod backend-7d9f4 (namespace govtech) is refused: " \
    "pod.namespace is kube-system, not govtech (--namespace): refused" \
    "role frontend: the report from pod frontend-7d9f4 (namespace govtech) is refused: "
if [ "$($PY -c 'import sys, yaml; print(" ".join(sorted(str((d.get("metadata") or {}).get("namespace")) for d in yaml.safe_load_all(open(sys.argv[1])) if d)))' "$T/claim.out")" = govtech ] &&
    ! grep -q 'kube-system' "$T/claim.out"; then
    ok "reports claiming kube-system: the one PolicyReport is govtech's, kube-system appears nowhere"
else
    notok "reports claiming kube-system: no PolicyReport there" "$(grep -n 'namespace' "$T/claim.out" | head -5)"
fi

plug badns -- run -n 'govtech;x' -c "$CONFIG"
rc_is badns 2 "usage: -n that is not a namespace name is exit 2"

rc_is usage1 2 "usage: no -n is exit 2"
rc_is usage2 2 "usage: an unknown -o is exit 2"

# ---- make install, and the real kubectl finding the plugin ---------------------------------

if make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr/local >"$T/install.log" 2>&1 &&
    [ -x "$T/root/usr/local/bin/ztprobe" ] && [ -x "$T/root/usr/local/bin/kubectl-ztprobe" ]; then
    ok "make install puts ztprobe and kubectl-ztprobe in PREFIX/bin"
else
    notok "make install" "$(tail -5 "$T/install.log")"
fi
REAL=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$T/bin" | paste -sd:) command -v kubectl || true)
if [ -n "$REAL" ]; then
    if PATH="$T/root/usr/local/bin:$PATH" "$REAL" plugin list 2>/dev/null | grep -q "$T/root/usr/local/bin/kubectl-ztprobe" &&
        [ "$(PATH="$T/root/usr/local/bin:$PATH" "$REAL" ztprobe version 2>&1)" = "kubectl-ztprobe 0.1.0" ]; then
        ok "the real kubectl ($("$REAL" version --client 2>/dev/null | head -1)) finds and runs the installed plugin"
    else
        notok "the real kubectl finds the plugin" "$(PATH="$T/root/usr/local/bin:$PATH" "$REAL" plugin list 2>&1 | head -5)"
    fi
else
    notok "the real kubectl finds the plugin" "no kubectl on this machine"
fi
# The stand-in accepts what it was written to accept; the real kubectl must too. Every kind of
# call the plugin made above is replayed with the real kubectl against a closed port on
# 127.0.0.1: it must get as far as connecting (refused), never stop at its own flag or template
# parsing. A misspelt flag is the control.
if [ -n "$REAL" ]; then
    GONE=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:$GONE", insecure-skip-tls-verify: true}}]
users: [{name: ci, user: {token: not-a-token}}]
contexts: [{name: lab, context: {cluster: lab, user: ci}}]
current-context: lab
EOF
    # One call of each kind (get pods, get configmap, exec, debug, get pod), as made.
    $PY -c '
import json, sys
seen = {}
for f in sys.argv[1:]:
    for l in open(f):
        c = json.loads(l)
        seen.setdefault((c[0], c[1] if c[0] == "get" else ""), c)
for c in seen.values():
    print(json.dumps(c))' "$T"/state-pass/calls.jsonl "$T"/state-fmt-json/calls.jsonl >"$T/replay.jsonl"
    bad=""
    kinds=0
    while IFS= read -r call; do
        kinds=$((kinds + 1))
        $PY -c 'import json, os, sys
c = json.loads(sys.argv[1])
os.execvp(sys.argv[2], [sys.argv[2], "--kubeconfig", sys.argv[3], "--request-timeout=2s"] + c)' \
            "$call" "$REAL" "$T/kubeconfig" </dev/null >/dev/null 2>"$T/replay.err"
        grep -q "refused" "$T/replay.err" && ! grep -qiE "unknown (flag|shorthand)|invalid argument|error parsing|unknown command" "$T/replay.err" ||
            bad="$bad $(echo "$call" | head -c 80): $(grep -v refused "$T/replay.err" | head -c 200);"
    done <"$T/replay.jsonl"
    if [ -z "$bad" ] && [ "$kinds" -ge 5 ]; then
        ok "the real kubectl accepts every kind of call the plugin makes ($kinds kinds: flags, templates)"
    else
        notok "the real kubectl accepts the plugin's calls" "$kinds kinds;$bad"
    fi
    "$REAL" --kubeconfig "$T/kubeconfig" --request-timeout=2s debug -n govtech p --image=i --profil=restricted -- sh \
        </dev/null >/dev/null 2>"$T/replay-bad.err"
    if grep -q "unknown flag" "$T/replay-bad.err"; then
        ok "the replay notices a misspelt flag (control)"
    else
        notok "the replay notices a misspelt flag (control)" "$(head -c 200 "$T/replay-bad.err")"
    fi
fi
if command -v shellcheck >/dev/null; then
    if out=$(shellcheck -s sh "$PLUGIN" 2>&1); then ok "shellcheck -s sh: the plugin is POSIX sh"; else notok "shellcheck" "$(echo "$out" | head -5)"; fi
fi

zt_finish
