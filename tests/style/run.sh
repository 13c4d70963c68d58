#!/usr/bin/env bash
# run.sh: the C sources are formatted as .clang-format says (clang-format 14, Debian's): one
# check per file, so a failure names the file; `clang-format -i FILE` mends it.
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
if ! command -v clang-format >/dev/null 2>&1; then
    echo "not ok - clang-format is installed (make deps)"
    echo "0 passed, 1 failed"
    exit 1
fi
for f in $(git ls-files 'agent/*.[ch]' 'probes/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.c' 'tests/bench/*.c'); do
    if out=$(clang-format --dry-run --Werror "$f" 2>&1); then
        echo "ok - $f is formatted"
        passed=$((passed + 1))
    else
        echo "not ok - $f is formatted: $(echo "$out" | head -2 | tr '\n' ' ')"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
