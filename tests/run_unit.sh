#!/bin/sh
# Runs each cmocka unit test binary given; prints per-binary status and exits non-zero if any
# failed. cmocka prints its own "[  PASSED  ] N test(s)." lines.
rc=0
for t in "$@"; do
    echo "== $t"
    "$t" || { echo "FAILED: $t" >&2; rc=1; }
done
exit $rc
