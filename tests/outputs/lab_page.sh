#!/bin/bash
# lab_page.sh BIN OUTDIR [PREFIX]: the lab's namespace matrix as the outputs of `ztprobe merge`.
# Brings the policy lab up (tests/lab/lab.sh, PREFIX default zp<pid>), runs BIN in the frontend,
# backend and postgres pods as tests/lab/demo.sh does, and writes to OUTDIR: ROLE.json (the
# reports), matrix.html and policyreport.yaml (merge), and matrix.png (headless Chromium's
# screenshot of the page; docs/cluster.md's picture is one). The lab goes down on exit, also on
# failure or Ctrl-C. Exit: merge's exit code for the html (0 when every role passed).
# ZT_LAB_WRONG_PORT=1: the shipped policies with one seed mistake, the frontend's egress rule
# to the backend on port 3001 instead of 3000 (docs/cluster.md's picture); ZT_PAGE_SIZE=W,H: the
# screenshot's window (default 1280,900); ZT_PAGE_SCALE: its device scale factor (render.sh).
# docs/cluster.md's picture: ZT_LAB_WRONG_PORT=1 ZT_PAGE_SIZE=1480,940 ZT_PAGE_SCALE=0.8.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: lab_page.sh BIN OUTDIR [PREFIX]" >&2; exit 2; }
BIN=$(realpath "$1")
OUT=$(realpath -m "$2")
PREFIX=${3:-zp$(($$ % 10000000))}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONFIG=$REPO/config/lab.json
LAB=$REPO/tests/lab/lab.sh
mkdir -p "$OUT"

cleanup() {
    trap - EXIT INT TERM
    bash "$LAB" down "$PREFIX" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$LAB" up "$PREFIX" "$CONFIG" >"$OUT/lab-up.log" 2>&1 || { cat "$OUT/lab-up.log" >&2; exit 3; }
ST=$(bash "$LAB" state "$PREFIX")
if [ -n "${ZT_LAB_WRONG_PORT:-}" ]; then
    /usr/bin/python3 - "$REPO/manifests/network-policies.yaml" "$OUT/policies-wrong-port.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
fe = next(d for d in docs if d["metadata"]["name"] == "frontend-network-policy")
port = fe["spec"]["egress"][0]["ports"][0]
assert port["port"] == 3000, port
port["port"] = 3001
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
EOF
    bash "$LAB" apply "$PREFIX" -p "$OUT/policies-wrong-port.yaml" >>"$OUT/lab-up.log" 2>&1
fi
reports=()
for rs in frontend:fe backend:be postgres:pg; do
    role=${rs%%:*}
    short=${rs##*:}
    # What a pod has: Downward API labels, pod name and namespace, the database password.
    ip netns exec "$PREFIX-$short" env PGPASSWORD="$(cat "$ST/pg/password")" \
        POD_NAME="$role-lab" POD_NAMESPACE=govtech ZTPROBE_LABELS_FILE="$ST/labels/$role" \
        "$BIN" run -c "$CONFIG" --out "$OUT/$role.json" || true
    reports+=("$OUT/$role.json")
done
rc=0
"$BIN" merge -o html "${reports[@]}" >"$OUT/matrix.html" || rc=$?
"$BIN" merge -o policyreport "${reports[@]}" >"$OUT/policyreport.yaml" || true
bash "$HERE/render.sh" "$OUT/matrix.html" "$OUT/matrix.png" "${ZT_PAGE_SIZE:-1280,900}" >/dev/null
exit $rc
