#!/bin/bash
# demo.sh BIN: `make demo`. Brings the policy lab up (the govtech namespace in network
# namespaces, enforcing manifests/network-policies.yaml), runs BIN in the frontend, backend and
# postgres pods with config/lab.json, prints each role's table and the namespace-wide matrix,
# and tears the lab down (also on failure or Ctrl-C). Exit 0 only when every role passed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: demo.sh BIN" >&2; exit 2; }
BIN=$(realpath "$1")
[ -x "$BIN" ] || { echo "demo.sh: $1 is not an executable" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONFIG=$REPO/config/lab.json
PREFIX=zd$(($$ % 10000000))
LAB=$HERE/lab.sh
TMP=$(mktemp -d /tmp/ztdemo.XXXXXX)

cleanup() {
    trap - EXIT INT TERM
    bash "$LAB" down "$PREFIX" || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROLES="frontend:fe backend:be postgres:pg"
t0=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - t0) / 1000000)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }
echo "== ztprobe policy lab $PREFIX: govtech namespace in network namespaces, manifests/network-policies.yaml enforced on the node"
bash "$LAB" up "$PREFIX" "$CONFIG"
ST=$(bash "$LAB" state "$PREFIX")
echo "== lab up in $(elapsed)"

# Runs BIN in ROLE's pod namespace, with what a pod would have: the Downward API labels and
# pod name, the database password in the environment.
in_pod() { # ROLE SHORT ARGS...
    local role=$1 short=$2
    shift 2
    ip netns exec "$PREFIX-$short" env PGPASSWORD="$(cat "$ST/pg/password")" \
        POD_NAME="$role-lab" POD_NAMESPACE=govtech ZTPROBE_LABELS_FILE="$ST/labels/$role" \
        "$BIN" "$@"
}

failed=0
reports=()
for rs in $ROLES; do
    role=${rs%%:*}
    short=${rs##*:}
    echo
    echo "== $role (ip netns exec $PREFIX-$short ztprobe run -c config/lab.json --role $role -o text)"
    rc=0
    in_pod "$role" "$short" run -c "$CONFIG" --role "$role" -o text || rc=$?
    rcj=0
    in_pod "$role" "$short" run -c "$CONFIG" --role "$role" -o json --out "$TMP/$role.json" || rcj=$?
    if [ $rc -ne 0 ] || [ $rcj -ne 0 ]; then
        echo "== $role: FAILED (exit $rc / $rcj)"
        failed=1
    fi
    [ -s "$TMP/$role.json" ] && reports+=("$TMP/$role.json")
done

echo
echo "== namespace-wide matrix"
if [ ${#reports[@]} -gt 0 ]; then
    mrc=0
    "$BIN" merge -o text "${reports[@]}" 2>"$TMP/merge.err" || mrc=$?
    if [ $mrc -eq 2 ] && grep -qi "unknown command" "$TMP/merge.err"; then
        # `ztprobe merge` not there yet: a compact matrix from the JSON reports.
        /usr/bin/python3 - "${reports[@]}" <<'EOF'
import json, sys
reports = [json.load(open(p)) for p in sys.argv[1:]]
w = max(len(r["name"]) for rep in reports for r in rep["results"])
print("%-10s %-*s %-6s %-12s %s" % ("ROLE", w, "PROBE", "EXPECT", "VERDICT", "OUTCOME"))
for rep in reports:
    for r in rep["results"]:
        print("%-10s %-*s %-6s %-12s %s" % (rep["role"], w, r["name"], r["expect"],
                                            r["verdict"], r["outcome"]))
    s = rep["summary"]
    print("%-10s %d/%d passed%s" % (rep["role"], s["passed"], s["total"],
                                    "" if s["ok"] else "  <-- FAILED"))
EOF
    elif [ $mrc -ne 0 ] && [ $mrc -ne 1 ]; then
        cat "$TMP/merge.err" >&2
        failed=1
    fi
else
    echo "(no reports)"
    failed=1
fi
echo
printf '== demo took %s; ' "$(elapsed)"
if [ $failed -eq 0 ]; then echo "every role passed"; else echo "SOME ROLE FAILED"; fi
exit $failed
