#!/usr/bin/env bash
# The whole test suite (`make test`): builds the plain and the ASan+UBSan variants, runs the
# cmocka unit tests under both, then the integration suite (real servers on loopback, real
# drops in network namespaces) and the lab scenarios with the sanitized agent. Ends with one
# line "N passed, M failed" summing every suite, and exits non-zero if anything failed.
#
# run_all.sh [SUITE...]: only the named suites, in their usual order, building only the
# variants they need (`make test SUITES="..."`, `make check`); an unknown name is an error
# that lists the known ones. --list prints the names. Each suite's closing line and the table
# at the end give its time in seconds, wall and CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 times=() ran=()

# Every suite, in the order it runs, with the build it uses: plain, san (ASan+UBSan) or - (none
# of ours: style reads the sources, fuzz builds its own).
KNOWN=(unit-plain:plain unit-asan-ubsan:san unit-valgrind:plain integration:san formats:san
    outputs:san plugin:san lab:san policy-lab:san hostile:san limits:san secrets:san policy:san
    watch:plain valgrind:plain fuzz:- manifests:plain style:- docs:plain)
names() { printf '%s\n' "${KNOWN[@]%%:*}"; }
if [ "${1:-}" = --list ]; then
    names
    exit 0
fi
# Names may also come comma-separated (SUITES=unit-plain,policy).
read -r -a WANT <<<"${*//,/ }"
for w in "${WANT[@]}"; do
    if ! names | grep -qxF -- "$w"; then
        echo "run_all.sh: unknown suite '$w'; the suites are: $(names | tr '\n' ' ')" >&2
        exit 2
    fi
done
# wanted NAME: NAME was asked for (every suite when none was named).
wanted() { [ ${#WANT[@]} -eq 0 ] || printf '%s\n' "${WANT[@]}" | grep -qxF -- "$1"; }
# needs VARIANT: a wanted suite uses that build.
needs() {
    local k
    for k in "${KNOWN[@]}"; do
        [ "${k#*:}" = "$1" ] && wanted "${k%%:*}" && return 0
    done
    return 1
}
log=$(mktemp -d /tmp/ztprobe-test.XXXXXX)
trap 'rm -rf "$log"' EXIT

# Sums a suite's counts: cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" lines and
# our scripts' "N passed, M failed" line.
count() {
    local f=$1 p q
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$f" | awk '{s+=$4} END {print s+0}')
    q=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$f" | awk '{s+=$4} END {print s+0}')
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -1)
    if [ -n "$line" ]; then
        p=$((p + $(echo "$line" | awk '{print $1}')))
        q=$((q + $(echo "$line" | awk '{print $3}')))
    fi
    echo "$p $q"
}

suite() {
    local name=$1
    shift
    if ! names | grep -qxF -- "$name"; then # a suite line below that KNOWN does not list
        echo "SUITE FAILED: $name is not in run_all.sh's KNOWN list"
        failed=$((failed + 1))
        return 0
    fi
    wanted "$name" || return 0
    ran+=("$name")
    echo "=== $name"
    local out="$log/$name.log" rc t0=$EPOCHREALTIME c0
    cpu_ms
    c0=$CPU_MS
    "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    read -r p q < <(count "$out")
    if [ "$rc" -ne 0 ] && [ "$q" -eq 0 ]; then
        q=1 # the suite failed outside any counted test (build error, crash)
        echo "SUITE FAILED: $name (exit $rc)"
    fi
    passed=$((passed + p))
    failed=$((failed + q))
    local secs cpu
    secs=$(elapsed "$t0")
    cpu_ms
    cpu=$(((CPU_MS - c0 + 500) / 1000))
    times+=("$(printf '%-16s %5ss %5ss  %s passed, %s failed' "$name" "$secs" "$cpu" "$p" "$q")")
    echo "=== $name: $p passed, $q failed (${secs}s, ${cpu}s of CPU)"
}

# cpu_ms: CPU_MS, the CPU time (user + system, in ms) of every child this script has waited
# for, from `times`: a suite that takes much more time than CPU is waiting (timeouts, sleeps).
cpu_ms() {
    local u s
    times >"$log/times" # in this shell: a subshell would report its own children
    { read -r _ _; read -r u s; } <"$log/times"
    CPU_MS=$(($(to_ms "$u") + $(to_ms "$s")))
}
to_ms() { # 1m2.345s -> 62345
    local m=${1%%m*} rest=${1#*m}
    rest=${rest%s}
    echo $((m * 60000 + 10#${rest%.*} * 1000 + 10#${rest#*.}))
}

# elapsed T0: whole seconds since T0 (an $EPOCHREALTIME), for the per-suite timing.
elapsed() {
    local now=${EPOCHREALTIME/./} then=${1/./}
    echo $(((now - then + 500000) / 1000000))
}

build() {
    if needs plain; then
        make -j"$JOBS" all build/plain/libzt.a $(units plain) || return 1
    fi
    if needs san; then
        make -j"$JOBS" SANITIZE=address,undefined build/san/ztprobe $(units san) || return 1
    fi
}

units() { ls tests/unit/test_*.c | sed "s|tests/unit/\(.*\)\.c|build/$1/tests/\1|"; }

t_build=$EPOCHREALTIME
if ! build; then
    echo "0 passed, 1 failed"
    exit 1
fi
times+=("$(printf '%-16s %5ss' build "$(elapsed "$t_build")")")

# LeakSanitizer on, and every UBSan finding fatal, so a sanitizer report fails its test.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87

# The unit binaries run one per core at once (ZT_UNIT_JOBS): each is independent.
export ZT_UNIT_JOBS=$JOBS
suite unit-plain sh tests/run_unit.sh $(units plain)
# The unit tests also look for a pointer kept to a stack frame that has returned (an endpoint
# pointing into a caller's locals read after the caller is gone): off by default in ASan.
ASAN_OPTIONS=$ASAN_OPTIONS:detect_stack_use_after_return=1 suite unit-asan-ubsan sh tests/run_unit.sh $(units san)
# The same unit tests under valgrind memcheck: an error or a definite leak fails the binary.
ZT_UNIT_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
    suite unit-valgrind sh tests/run_unit.sh $(units plain)
suite integration bash tests/integration/run.sh build/san/ztprobe
suite formats bash tests/formats/run.sh build/san/ztprobe
suite outputs bash tests/outputs/run.sh build/san/ztprobe
suite plugin bash tests/plugin/run.sh build/san/ztprobe
suite lab bash tests/lab/run.sh build/san/ztprobe
# Three answers per probe: policy check, the lab's nft rules, what run observes (tests/lab/agree.py).
suite policy-lab /usr/bin/python3 tests/lab/agree.py build/san/ztprobe
suite hostile bash tests/hostile/run.sh build/san/ztprobe
suite limits bash tests/limits/run.sh build/san/ztprobe
suite secrets bash tests/secrets/run.sh build/san/ztprobe
suite policy bash tests/policy/run.sh build/san/ztprobe
# The plain agent: ASan's quarantine holds freed memory back by design, so resident memory
# over 1,000 runs says nothing about leaks there (watch also runs sanitized in integration).
suite watch bash tests/watch/run.sh build/plain/ztprobe
suite valgrind bash tests/valgrind/run.sh build/plain/ztprobe
suite fuzz bash tests/fuzz/run.sh "${ZT_FUZZ_SECONDS:-10}"
# The plain binary: the Dockerfile check compares its libraries with the runtime packages.
suite manifests bash tests/manifests/run.sh build/plain/ztprobe
# The C style (.clang-format), one line per file.
suite style bash tests/style/run.sh
# The docs against the code: reference, module table, links (tests/docs/check.py).
suite docs bash tests/docs/run.sh build/plain/ztprobe

# Every wanted suite ran (a name in KNOWN without its suite line would be skipped silently).
for k in "${KNOWN[@]%%:*}"; do
    if wanted "$k" && ! printf '%s\n' "${ran[@]}" | grep -qxF -- "$k"; then
        echo "SUITE FAILED: $k is in KNOWN but has no suite line"
        failed=$((failed + 1))
    fi
done

echo
echo "=== time per suite: wall, CPU (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${times[@]}"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
