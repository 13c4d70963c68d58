#!/usr/bin/env bash
# run.sh: the C sources are formatted as .clang-format says (clang-format 14, Debian's): one
# check per file, so a failure names the file; `clang-format -i FILE` mends it. The files are
# checked one per core at once, and listed in name order.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang-format >/dev/null 2>&1; then
    echo "not ok - clang-format is installed (make deps)"
    echo "0 passed, 1 failed"
    exit 1
fi
# One line per file: "FILE<TAB>ok - ..." or "FILE<TAB>not ok - ...", sorted by FILE.
lines=$(git ls-files 'agent/*.[ch]' 'probes/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.c' 'tests/bench/*.c' |
    xargs -r -P "$(nproc 2>/dev/null || echo 2)" -I{} sh -c '
        if out=$(clang-format --dry-run --Werror "$1" 2>&1); then
            printf "%s\tok - %s is formatted\n" "$1" "$1"
        else
            printf "%s\tnot ok - %s is formatted: %s\n" "$1" "$1" "$(echo "$out" | head -2 | tr "\n" " ")"
        fi' _ {} | sort -t "$(printf '\t')" -k1,1 | cut -f2-)
printf '%s\n' "$lines"
passed=$(grep -c '^ok - ' <<<"$lines")
failed=$(grep -c '^not ok - ' <<<"$lines")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
