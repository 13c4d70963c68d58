#!/usr/bin/env bash
# run.sh [ZTPROBE]: the docs against the code (tests/docs/check.py: config keys, outcomes,
# diagnoses, commands and flags in docs/reference.md; the module table of docs/architecture.md
# against the files and their includes; no citation of documents outside the repository;
# relative links; the config examples validate), then proves each check can fail: a copy of the
# repository is broken one way at a time and check.py must report exactly that check.
# Prints ok/not ok lines and "N passed, M failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
REPO=$ROOT
Z=$(realpath -m "${1:-$REPO/ztprobe}")
zt_init docs

# 1. The repository as it is: check.py's own lines, and its verdict.
"$PY" "$HERE/check.py" "$Z" >"$T/out" 2>&1
zt_tally < <(grep -E '^(ok|not ok) - ' "$T/out")
check "check.py on the repository: no check failed" grep -qE '^[0-9]+ passed, 0 failed$' "$T/out"

# 2. Each check fails on a copy broken for it (the tracked and new files, committed in a scratch repo).
C="$T/copy"
mkdir -p "$C"
(cd "$REPO" && git ls-files -z -co --exclude-standard | tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$C"
git -C "$C" init -q && git -C "$C" add -A && git -C "$C" -c user.name=t -c user.email=t@t commit -qm base

# breaks NAME EXPECTED-not-ok-TEXT COMMAND...: runs COMMAND in the copy, expects check.py to fail
# with a "not ok" line containing the text, then restores the copy.
breaks() {
    local what=$1 want=$2
    shift 2
    (cd "$C" && eval "$*" && git add -A) >/dev/null 2>&1
    ZT_DOCS_ROOT="$C" "$PY" "$HERE/check.py" "$Z" >"$T/b" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ] && grep '^not ok - ' "$T/b" | grep -qF -- "$want"; then
        ok "fails when $what"
    else
        notok "fails when $what" "exit $rc, $(grep '^not ok' "$T/b" | head -2)"
    fi
    (cd "$C" && git reset -q --hard && git clean -qfd) >/dev/null 2>&1
}

breaks "a schema key is not in the reference" "missing: todo" \
    "sed -i 's/\`todo\`/todo/g' docs/reference.md"
breaks "an outcome is not in the reference" "missing: dns_nodata" \
    "sed -i 's/\`dns_nodata\`/dns_nodata/g' docs/reference.md"
breaks "a diagnosis code is not in the reference" "missing: matrix_contradicts_policies" \
    "sed -i 's/\`matrix_contradicts_policies\`/matrix_contradicts_policies/g' docs/reference.md"
breaks "a flag is not in the reference" "missing: --strict" \
    "sed -i 's/--strict/strict/g' docs/reference.md"
breaks "a command is not in the reference" "missing: validate" \
    "sed -i 's/validate/check-config/g' docs/reference.md"
breaks "a source file is not in the module table" "agent/newmod.c" \
    "printf '/* newmod.c */\n' >agent/newmod.c"
breaks "a file includes a header its row does not allow" "agent/util/cidr.c includes session.h" \
    "sed -i '0,/#include/s//#include \"session.h\"\n#include/' agent/util/cidr.c"
breaks "a lower layer includes a higher one, even when its row allows it" \
    "agent/util/cidr.c (agent/util) includes session.h of the higher layer agent/run" \
    "sed -i '0,/#include/s//#include \"session.h\"\n#include/' agent/util/cidr.c && sed -i 's/^\(| \`agent\/util\/cidr.c\`.*| \)none |$/\1\`session.h\` |/' docs/architecture.md"
breaks "a source folder is not a layer" "folders not in LAYERS: agent/extra" \
    "mkdir -p agent/extra && printf '/* x.c */\n' >agent/extra/x.c && sed -i 's/^\(| module | role | may include |\)$/\1/' docs/architecture.md && printf '\n| \`agent/extra/x.c\` | x | none |\n' >>docs/architecture.md"
breaks "a file cites a planning document" "tests/lab/lab.sh" \
    "echo '# see DESIGN''.md' >>tests/lab/lab.sh"
breaks "a config example does not validate" "README.md: " \
    "sed -i '0,/\"expect\": \"deny\"/s//\"expect\": \"maybe\"/' README.md"
breaks "a relative link is broken" "docs/reference.md -> nowhere.md" \
    "echo '[gone](nowhere.md)' >>docs/reference.md"

zt_finish
