#!/bin/bash
# run.sh BIN: the lab suite of `make test` / `make lab`: the translator's unit tests, the
# config/lab.json freshness check, then the scenario tests in one lab (scenarios.py).
# Prints "ok - NAME" / "not ok - NAME" and a final "N passed, M failed"; exit 1 on any failure.
# The lab is torn down on exit, failure or Ctrl-C (scenarios.py owns it).
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: run.sh BIN [--only SUBSTRING]" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
REPO=$ROOT
BIN=$1
shift
t0=$(date +%s)

# result RC NAME [DETAIL FILE]: the file's last 40 lines follow a failure, as TAP comments.
result() {
    check "$2" status_ok "$1"
    [ "$1" -eq 0 ] || { [ -n "${3:-}" ] && sed 's/^/#   /' "$3" | tail -40; }
}

zt_init lab
log=$T/log

(cd "$REPO" && "$PY" -m unittest discover -s tests/lab -p 'test_*.py') >"$log" 2>&1
rc=$?
result $rc "translator unit tests ($(grep -Eo 'Ran [0-9]+ tests' "$log" || echo 'none ran'))" "$log"

"$PY" "$HERE/gen_lab_config.py" --check >"$log" 2>&1
result $? "config/lab.json equals a fresh generation from config/govtech.json" "$log"

if [ ! -x "$BIN" ]; then
    notok "agent binary $BIN missing"
else
    "$PY" "$HERE/scenarios.py" "$BIN" "$@" | tee "$log"
    counts=$(grep -E '^scenarios: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    if [ -z "$counts" ]; then
        notok "scenario runner died"
    else
        set -- $counts
        PASSED=$((PASSED + $2))
        FAILED=$((FAILED + $4))
    fi
fi

echo "# lab suite took $(($(date +%s) - t0))s"
zt_finish
