#!/bin/sh
# Runs each cmocka unit test binary given; prints per-binary status and exits non-zero if any
# failed. cmocka prints its own "[  PASSED  ] N test(s)." lines. ZT_UNIT_WRAP, if set, is a
# command put in front of each binary (the valgrind pass of `make test`). ZT_UNIT_JOBS=N runs
# N binaries at once (each is independent: temporary files and loopback ports of its own),
# their output printed whole and in the order given.
rc=0
if [ "${ZT_UNIT_JOBS:-1}" -le 1 ]; then
    for t in "$@"; do
        echo "== $t"
        # shellcheck disable=SC2086
        ${ZT_UNIT_WRAP:-} "$t" || { echo "FAILED: $t" >&2; rc=1; }
    done
    exit $rc
fi
dir=$(mktemp -d /tmp/zt-unit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
n=0
for t in "$@"; do
    n=$((n + 1))
    printf '%s %s\n' "$n" "$t"
done | xargs -P "$ZT_UNIT_JOBS" -L 1 sh -c '${ZT_UNIT_WRAP:-} "$2" >"$0/$1.out" 2>&1; echo $? >"$0/$1.rc"' "$dir"
n=0
for t in "$@"; do
    n=$((n + 1))
    echo "== $t"
    cat "$dir/$n.out" 2>/dev/null
    [ "$(cat "$dir/$n.rc" 2>/dev/null)" = 0 ] || { echo "FAILED: $t" >&2; rc=1; }
done
exit $rc
