#!/bin/sh
# Runs each cmocka unit test binary given; prints per-binary status and exits non-zero if any
# failed. cmocka prints its own "[  PASSED  ] N test(s)." lines. ZT_UNIT_WRAP, if set, is a
# command put in front of each binary (the valgrind pass of `make test`).
rc=0
for t in "$@"; do
    echo "== $t"
    # shellcheck disable=SC2086
    ${ZT_UNIT_WRAP:-} "$t" || { echo "FAILED: $t" >&2; rc=1; }
done
exit $rc
