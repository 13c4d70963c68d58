#!/usr/bin/env bash
# run.sh SECONDS [TARGET...]: builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,
# undefined) against the project's own sources and runs each for SECONDS.
#   1. Regression: every input in tests/fuzz/corpus/TARGET/ (the seeds, and every crash ever
#      found, kept there under crash-*) runs once; any failure is a "not ok".
#   2. Fuzzing: SECONDS of new inputs, starting from that corpus. New interesting inputs go
#      to build/fuzz/work/TARGET/ (never into the repo); a crash is saved as
#      build/fuzz/crash-TARGET-* and printed: copy it into tests/fuzz/corpus/TARGET/ as a
#      regression input once fixed.
# Targets: fuzz_config (config parser + validator, JSON and YAML), fuzz_labels (the labels
# file), fuzz_report (report_parse_json and every renderer), fuzz_objects (the Kubernetes
# object reader and the NetworkPolicy evaluator). Default: all four.
# `make fuzz` runs 60 s each, `make test` about 10 s each.
set -uo pipefail
SECS=${1:-10}
shift || true
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_config fuzz_labels fuzz_report fuzz_objects)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"

[[ $SECS =~ ^[0-9]+$ ]] || { echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2; exit 2; }
command -v "$CC" >/dev/null || { notok "build" "$CC not installed (apt-get install clang)"; zt_finish; }

PKGS="libcurl libpq libcares libcjson yaml-0.1 openssl"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DZT_VERSION=\"0.0.0-fuzz\" \
$(find agent probes -type d -printf "-I%p ") $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS=$(pkg-config --libs $PKGS 2>/dev/null || echo "-lcurl -lpq -lcares -lcjson -lyaml -lssl -lcrypto")
SAN="address,undefined"

# The project's sources, instrumented for coverage (fuzzer-no-link), into one archive: the
# linker takes only the objects a target needs, so the I/O modules never get in the way.
# All but main.c: the targets have their own entry point.
mkdir -p "$B/obj" "$B/work"
objs=()
build_ok=1
for src in $(find agent probes -name '*.c' ! -path agent/cmd/main.c | sort); do
    obj=$B/obj/$(echo "$src" | tr / _).o
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find agent probes -name '*.h' -newer "$obj" | head -1)" ]; then
        # shellcheck disable=SC2086
        if ! $CC $CFLAGS -fsanitize=fuzzer-no-link,$SAN -c "$src" -o "$obj" 2>"$B/obj/err.log"; then
            notok "compile $src" "$(head -c 400 "$B/obj/err.log" | tr '\n' ' ')"
            build_ok=0
            continue
        fi
    fi
    objs+=("$obj")
done
rm -f "$B/libzt-fuzz.a"
ar rcs "$B/libzt-fuzz.a" "${objs[@]}"

for t in "${TARGETS[@]}"; do
    # shellcheck disable=SC2086
    if $CC $CFLAGS -fsanitize=fuzzer,$SAN "tests/fuzz/$t.c" "$B/libzt-fuzz.a" $LIBS -o "$B/$t" \
        2>"$B/$t.build.log"; then
        ok "build $t"
    else
        notok "build $t" "$(head -c 600 "$B/$t.build.log" | tr '\n' ' ')"
        build_ok=0
    fi
done
[ "$build_ok" -eq 1 ] || zt_finish

# Every sanitizer finding is fatal and ends the run with a crash file.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

for t in "${TARGETS[@]}"; do
    seeds=$ROOT/tests/fuzz/corpus/$t
    n=$(find "$seeds" -type f | wc -l)
    if [ "$n" -eq 0 ]; then
        notok "$t regression" "no seed corpus in tests/fuzz/corpus/$t"
        continue
    fi
    # 1. The corpus (seeds + past crashes), each input once, one process per input so that
    # every failing input is named.
    bad=0
    while IFS= read -r f; do
        if ! "$B/$t" -artifact_prefix="$B/regress-$t-" "$f" >"$B/$t.regress.log" 2>&1; then
            notok "$t regression input $(basename "$f")" "$(grep -m3 -E '^fuzz_|ERROR|runtime error|SUMMARY'  "$B/$t.regress.log" | tr '\n' ' ')"
            bad=$((bad + 1))
        fi
    done < <(find "$seeds" -type f | sort)
    [ "$bad" -eq 0 ] && ok "$t regression: $n corpus inputs run clean"
    [ "$SECS" -gt 0 ] || continue
    # 2. SECONDS of fuzzing. -timeout: one input taking 10 s is a hang; -rss_limit_mb: an
    # input that makes the parser grow past 1 GB is a finding, not a swap storm.
    mkdir -p "$B/work/$t"
    "$B/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$B/crash-$t-" "$B/work/$t" "$seeds" \
        >"$B/$t.fuzz.log" 2>&1
    rc=$?
    execs=$(grep -m1 'stat::number_of_executed_units' "$B/$t.fuzz.log" | awk '{print $2}')
    if [ "$rc" -eq 0 ]; then
        ok "$t: ${SECS} s of fuzzing, ${execs:-?} inputs, no crash"
    else
        art=$(grep -m1 -o "Test unit written to .*" "$B/$t.fuzz.log" | sed 's/Test unit written to //')
        notok "$t: fuzzing" "exit $rc; input saved as ${art:-?}; $(grep -m3 -E '^fuzz_|ERROR:|runtime error|SUMMARY' "$B/$t.fuzz.log" | tr '\n' ' ')"
    fi
done
zt_finish
