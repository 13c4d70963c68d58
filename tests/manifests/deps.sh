#!/usr/bin/env bash
# deps.sh: installs what the offline manifest checks need into build/manifests/ (no system
# change, idempotent, fast when already there):
#   - node_modules: `npm ci` from the committed package.json + package-lock.json
#     (kubernetes-models: the Kubernetes API schemas as validating classes);
#   - kubectl 1.20: Debian's kubernetes-client, unpacked (not installed: its /usr/bin/kubectl
#     would collide with a kubectl the machine may already have), so the kustomization is
#     proven to render with that old embedded kustomize as well as with a current kubectl.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${ZT_MANIFESTS_BUILD:-$REPO/build/manifests}
mkdir -p "$OUT/npm"

# npm ci wipes node_modules; skip it while the lock file is the one installed from.
if ! cmp -s "$HERE/package-lock.json" "$OUT/npm/package-lock.json" ||
    [ ! -d "$OUT/npm/node_modules/kubernetes-models" ]; then
    command -v npm >/dev/null || { echo "deps.sh: npm missing (Node.js 18+ with npm)" >&2; exit 2; }
    cp "$HERE/package.json" "$HERE/package-lock.json" "$OUT/npm/"
    (cd "$OUT/npm" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi

if [ ! -x "$OUT/kubectl-1.20/usr/bin/kubectl" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # apt-get download drops privileges to _apt: give it a folder it can write.
    chmod 777 "$tmp"
    (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1) || {
        apt-get update -qq && (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null)
    }
    rm -rf "$OUT/kubectl-1.20.tmp"
    dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$OUT/kubectl-1.20.tmp"
    rm -rf "$OUT/kubectl-1.20"
    mv "$OUT/kubectl-1.20.tmp" "$OUT/kubectl-1.20"
fi
