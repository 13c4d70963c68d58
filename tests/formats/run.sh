#!/bin/bash
# run.sh: checks ztprobe's machine outputs with their consumers' own tools. Runs the real
# binary against servers on 127.0.0.1 (tests/servers/zt_server.py) with a config whose
# probes pass, fail and end inconclusive, then:
#   -o junit        xmllint --schema tests/formats/junit.xsd, plus counts (check_formats.py)
#   -o prometheus   promtool check metrics, plus family grouping (check_formats.py)
#   --push URL      a PUT to tests/formats/recorder.py standing in for a Pushgateway; also
#                   from $ZTPROBE_PUSH_URL and --push-url-file, with proxy variables ignored; and
#                   to Debian's real prometheus-pushgateway on 127.0.0.1, read back from its /metrics
#   merge           over the reports of three roles, then with two pods that disagree
# Each check has a negative control where a tool might pass anything.
#
# Usage: bash tests/formats/run.sh [BINARY]   (default ./ztprobe)
# Prints "ok - ..." / "not ok - ...: why" per case, then "N passed, M failed"; exits 1 if
# any case failed. Needs promtool (Debian: prometheus), xmllint (libxml2-utils) and
# prometheus-pushgateway.
# Everything it starts is stopped on exit, also on failure or Ctrl-C (KEEP=1 keeps the
# temporary folder with every output, for a look after a failure).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$HERE/../lib.sh"
CHK=$HERE/check_formats.py

zt_agent "${1:-./ztprobe}"
for tool in promtool xmllint; do
    command -v "$tool" >/dev/null || notok "$tool installed" "missing; run 'sh tests/deps.sh'"
done
[ "$FAILED" -eq 0 ] || zt_finish

zt_init fmt

# Nothing from the caller's shell may steer the agent or route loopback through a proxy.
unset ZTPROBE_CONFIG ZTPROBE_ROLE POD_NAME POD_NAMESPACE
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
export ZTPROBE_LABELS_FILE=$T/no-labels   # roles are forced with --role
export LC_ALL=C
# A sanitized build: a finding exits 86, which no exit-code check accepts.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}

# ---- fixtures ------------------------------------------------------------------------

recorder() { # recorder NAME STATUS: the Pushgateway stand-in, port in $T/NAME.port
    zt_serve "$1" "$PY" "$HERE/recorder.py" --record "$T/$1.jsonl" --status "$2" \
        --port-file "$T/$1.port" --max-seconds 300
}
if ! srv web healthy || ! srv junk garbage; then
    notok "setup" "zt_server.py did not start (see $T/*.log)"
    zt_finish
fi
WEB=$(port web)
JUNK=$(port junk)
# A port nothing listens on (bound, then closed): connections are refused.
CLOSED=$(free_port)

# config OPENPORT: frontend's no-db probe is denied when OPENPORT is closed, open otherwise
# (the second frontend pod "sees" an open path: a policy that does not select it).
config() {
    cat <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 2000 },
  "roles": {
    "frontend": { "selector": { "app": "frontend" }, "probes": [
      { "name": "backend-health", "kind": "http", "url": "http://127.0.0.1:$WEB/health",
        "expect": "allow", "status": [200], "body_contains": "healthy" },
      { "name": "no-db", "kind": "tcp", "host": "127.0.0.1", "port": $1,
        "expect": "deny", "deny_outcomes": ["refused"] } ] },
    "backend": { "selector": { "app": "backend" }, "probes": [
      { "name": "web", "kind": "tcp", "host": "127.0.0.1", "port": $WEB, "expect": "allow" } ] },
    "postgres": { "selector": { "app": "postgres" }, "probes": [
      { "name": "no-egress", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED,
        "expect": "deny", "deny_outcomes": ["refused", "timeout", "unreachable"] } ] },
    "mixed": { "selector": { "app": "mixed" }, "probes": [
      { "name": "health", "kind": "http", "url": "http://127.0.0.1:$WEB/health",
        "expect": "allow" },
      { "name": "wrong-status", "kind": "http", "url": "http://127.0.0.1:$WEB/nope",
        "expect": "allow" },
      { "name": "garbage", "kind": "http", "url": "http://127.0.0.1:$JUNK/",
        "expect": "allow" },
      { "name": "open-deny", "kind": "tcp", "host": "127.0.0.1", "port": $WEB,
        "expect": "deny" },
      { "name": "closed-deny", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED,
        "expect": "deny" } ] }
  }
}
EOF
}
config "$CLOSED" >"$T/c1.json"
config "$WEB" >"$T/c2.json"

# zt NAME POD ARGS...: runs the agent as pod POD; stdout, stderr and exit code kept by NAME.
zt() {
    local name=$1 pod=$2
    shift 2
    POD_NAME=$pod POD_NAMESPACE=fmt "$ZT" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
}
has() { grep -qF -- "$2" "$T/$1.out"; }

# ---- JSON reports (the inputs of merge) ----------------------------------------------

zt fe-a frontend-a run -c "$T/c1.json" --role frontend -o json
rc_is fe-a 0 "json: frontend-a passes (exit 0)"
zt fe-b frontend-b run -c "$T/c2.json" --role frontend -o json
rc_is fe-b 1 "json: frontend-b finds no-db open (exit 1)"
zt be backend-0 run -c "$T/c1.json" --role backend -o json
rc_is be 0 "json: backend passes"
zt pg postgres-0 run -c "$T/c1.json" --role postgres -o json
rc_is pg 0 "json: postgres passes"

# ---- JUnit ---------------------------------------------------------------------------

zt junit mixed-0 run -c "$T/c1.json" --role mixed -o junit
rc_is junit 1 "junit: mixed role exits 1"
check "junit: xmllint validates against junit.xsd" \
    xmllint --noout --schema "$HERE/junit.xsd" "$T/junit.out"
check "junit: counts agree, failure for failed, error for inconclusive" \
    $PY "$CHK" junit "$T/junit.out" mixed:health=pass mixed:wrong-status=failure:http_status \
    mixed:garbage=failure:protocol_error mixed:open-deny=failure:ok \
    mixed:closed-deny=error:refused
if has junit 'hostname="mixed-0"' && has junit '<property name="pod.namespace" value="fmt"/>'; then
    ok "junit: hostname and namespace from the pod"
else
    notok "junit: hostname and namespace from the pod" "$(grep -m1 '<testsuite ' "$T/junit.out")"
fi
# Negative controls: the schema rejects a failure without type, and a count that is not one.
sed 's/ type="http_status"//' "$T/junit.out" >"$T/junit-bad1.xml"
check "junit: schema rejects <failure> without type (control)" fails \
    xmllint --noout --schema "$HERE/junit.xsd" "$T/junit-bad1.xml"
sed '0,/tests="[0-9]*"/s//tests="many"/' "$T/junit.out" >"$T/junit-bad2.xml"
check "junit: schema rejects a non-numeric count (control)" fails \
    xmllint --noout --schema "$HERE/junit.xsd" "$T/junit-bad2.xml"
sed '0,/tests="5"/s//tests="6"/' "$T/junit.out" \
    >"$T/junit-bad3.xml"
check "junit: count check rejects a wrong total (control)" fails \
    $PY "$CHK" junit "$T/junit-bad3.xml"

zt junit-fe frontend-a run -c "$T/c1.json" --role frontend -o junit
rc_is junit-fe 0 "junit: passing role exits 0"
check "junit: passing role validates" \
    xmllint --noout --schema "$HERE/junit.xsd" "$T/junit-fe.out"

# ---- Prometheus ----------------------------------------------------------------------

zt prom mixed-0 run -c "$T/c1.json" --role mixed -o prometheus
rc_is prom 1 "prometheus: mixed role exits 1"
check "prometheus: promtool check metrics" sh -c "promtool check metrics <'$T/prom.out'"
L='role="mixed",probe="%s",kind="%s",expect="%s"'
# shellcheck disable=SC2059
check "prometheus: families whole, HELP/TYPE, expected samples" \
    $PY "$CHK" prom "$T/prom.out" \
    "ztprobe_probe_success\{$(printf "$L" health http allow)\} 1" \
    "ztprobe_probe_success\{$(printf "$L" closed-deny tcp deny)\} 0" \
    "ztprobe_probe_outcome\{$(printf "$L" closed-deny tcp deny),outcome=\"refused\"\} 1" \
    "ztprobe_probe_outcome\{$(printf "$L" open-deny tcp deny),outcome=\"ok\"\} 1" \
    "ztprobe_probe_verdict\{$(printf "$L" closed-deny tcp deny),verdict=\"inconclusive\"\} 1" \
    "ztprobe_probe_duration_seconds\{$(printf "$L" health http allow)\} [0-9.e-]+" \
    'ztprobe_probes\{role="mixed",verdict="pass"\} 1' \
    'ztprobe_probes\{role="mixed",verdict="fail"\} 3' \
    'ztprobe_probes\{role="mixed",verdict="inconclusive"\} 1' \
    'ztprobe_run_duration_seconds\{role="mixed"\} [0-9.e-]+' \
    'ztprobe_last_run_timestamp_seconds\{role="mixed"\} [0-9.]+'
ts=$(sed -n 's/^ztprobe_last_run_timestamp_seconds{role="mixed"} \([0-9]*\).*/\1/p' "$T/prom.out")
now=$(date +%s)
if [ -n "$ts" ] && [ $((now - ts)) -ge 0 ] && [ $((now - ts)) -lt 120 ]; then
    ok "prometheus: last run timestamp is now"
else
    notok "prometheus: last run timestamp is now" "got '$ts', now $now"
fi
{ cat "$T/prom.out"; echo 'ztprobe_probes{role="x\q"} 1'; } >"$T/prom-bad.txt"
check "prometheus: promtool rejects a bad escape (control)" fails \
    sh -c "promtool check metrics <'$T/prom-bad.txt'"
{ cat "$T/prom.out"; echo 'ztprobe_probe_success{role="late"} 1'; } >"$T/prom-bad2.txt"
check "prometheus: grouping check rejects a split family (control)" fails \
    $PY "$CHK" prom "$T/prom-bad2.txt"

# ---- Pushgateway ---------------------------------------------------------------------

if recorder gw 202; then
    zt push mixed-0 run -c "$T/c1.json" --role mixed -o prometheus --push "http://127.0.0.1:$(port gw)/"
    rc_is push 1 "push: exit reflects the probes (1), not the push"
    check "push: PUT to /metrics/job/JOB/instance/POD, text/plain; version=0.0.4" \
        $PY "$CHK" record "$T/gw.jsonl" PUT '/metrics/job/[^/]+/instance/mixed-0' \
        "text/plain; version=0.0.4" "$T/pushed.txt"
    check "push: the pushed body passes promtool" sh -c "promtool check metrics <'$T/pushed.txt'"
    check "push: the pushed body is the role's exposition" \
        $PY "$CHK" prom "$T/pushed.txt" 'ztprobe_probes\{role="mixed",verdict="fail"\} 3'
else
    notok "push" "recorder.py did not start"
fi
if recorder gw400 400; then
    zt push400 mixed-0 run -c "$T/c1.json" --role mixed -o prometheus \
        --push "http://zt-user:pw-s3cret@127.0.0.1:$(port gw400)"
    got=$(cat "$T/push400.rc")
    if [ "$got" != 0 ] && grep -q "HTTP 400" "$T/push400.err" && ! grep -q "pw-s3cret" "$T/push400.err" \
        && ! grep -q "pw-s3cret" "$T/push400.out"; then
        ok "push: HTTP 400 reported (exit $got) without the URL's credentials"
    else
        notok "push: HTTP 400 reported without credentials" "exit $got: $(head -c 300 "$T/push400.err")"
    fi
else
    notok "push 400" "recorder.py did not start"
fi
# --push credentials without argv (issue 11, item 8): $ZTPROBE_PUSH_URL and --push-url-file;
# proxy variables never apply (a dead proxy in every variable: the PUT still arrives); a
# user:password URL over plain http is pushed with a warning, the password never printed.
if recorder gwenv 202 && recorder gwfile 202 && recorder gwproxy 202; then
    DEAD="http://127.0.0.1:$CLOSED"
    ZTPROBE_PUSH_URL="http://127.0.0.1:$(port gwenv)" \
        zt pushenv mixed-0 run -c "$T/c1.json" --role mixed -o prometheus
    rc_is pushenv 1 "push from \$ZTPROBE_PUSH_URL: exit reflects the probes (1)"
    check "push from \$ZTPROBE_PUSH_URL: the PUT arrived" \
        $PY "$CHK" record "$T/gwenv.jsonl" PUT '/metrics/job/[^/]+/instance/mixed-0' "text/plain; version=0.0.4"
    http_proxy=$DEAD HTTP_PROXY=$DEAD https_proxy=$DEAD HTTPS_PROXY=$DEAD ALL_PROXY=$DEAD all_proxy=$DEAD \
        zt pushproxy mixed-0 run -c "$T/c1.json" --role mixed -o prometheus \
        --push "http://127.0.0.1:$(port gwproxy)"
    rc_is pushproxy 1 "push with every proxy variable set to a dead proxy: exit 1, not 3"
    check "push ignores proxy variables: the PUT arrived directly" \
        $PY "$CHK" record "$T/gwproxy.jsonl" PUT '/metrics/job/[^/]+/instance/mixed-0' "text/plain; version=0.0.4"
    printf ' http://zt-user:pw-F1le-s3cret@127.0.0.1:%s/ \n' "$(port gwfile)" >"$T/push-url"
    zt pushfile mixed-0 run -c "$T/c1.json" --role mixed -o json --push-url-file "$T/push-url"
    rc_is pushfile 1 "push from --push-url-file: exit reflects the probes (1)"
    check "push from --push-url-file: the PUT arrived with the file's Basic credentials" \
        $PY -c 'import base64, json, sys; r = json.loads(open(sys.argv[1]).readline()); sys.exit(r["headers"].get("authorization") != "Basic " + base64.b64encode(b"zt-user:pw-F1le-s3cret").decode())' "$T/gwfile.jsonl"
    check "push over plain http with user:password: a warning on stderr" grep -q 'plain http' "$T/pushfile.err"
    check "push: the file's password is printed nowhere" sh -c "! grep -q 'pw-F1le-s3cret' '$T/pushfile.err' '$T/pushfile.out'"
    mkfifo "$T/push-fifo"
    timeout 10 env POD_NAME=mixed-0 "$ZT" run -c "$T/c1.json" --role mixed --push-url-file "$T/push-fifo" \
        >"$T/pushfifo.out" 2>"$T/pushfifo.err"
    echo $? >"$T/pushfifo.rc"
    rc_is pushfifo 2 "--push-url-file naming a FIFO: refused (exit 2), no hang"
    zt pushboth mixed-0 run -c "$T/c1.json" --role mixed --push http://127.0.0.1:1 --push-url-file "$T/push-url"
    rc_is pushboth 2 "--push and --push-url-file together: usage error"
else
    notok "push from env/file" "recorder.py did not start"
fi

# ---- a real Pushgateway ----------------------------------------------------------------
# Debian's prometheus-pushgateway (1.5) on 127.0.0.1, without persistence; the pushes are read
# back from its /metrics as Prometheus would scrape them. Only the pid started here is stopped
# (a service the package may have started is neither used nor touched).

PGW=/usr/bin/prometheus-pushgateway
if [ -x "$PGW" ]; then
    GWPORT=$(free_port)
    zt_bg pgw "$PGW" --web.listen-address="127.0.0.1:$GWPORT" --persistence.file=""
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$GWPORT/-/ready" >/dev/null && break; sleep 0.1; done
    # scrape NAME: the Pushgateway's /metrics into NAME.prom
    scrape() { curl -sf --max-time 5 "http://127.0.0.1:$GWPORT/metrics" >"$T/$1.prom"; }
    zt rpush mixed-0 run -c "$T/c1.json" --role mixed -o prometheus --push "http://127.0.0.1:$GWPORT"
    rc_is rpush 1 "pushgateway: exit reflects the probes (1); the push was accepted"
    zt rpush2 frontend-a run -c "$T/c1.json" --role frontend -o json --push "http://127.0.0.1:$GWPORT/"
    rc_is rpush2 0 "pushgateway: a second pod pushes (with -o json on stdout)"
    if scrape gw1; then
        G='job="ztprobe",kind="%s",probe="%s",role="%s"'
        # The Pushgateway adds the grouping labels (job, instance) and sorts labels by name.
        # shellcheck disable=SC2059
        check "pushgateway: /metrics has both pods' series under their instance" \
            $PY "$CHK" prom-series "$T/gw1.prom" \
            "ztprobe_probe_success{expect=\"allow\",instance=\"mixed-0\",$(printf "$G" http health mixed)} 1" \
            "ztprobe_probe_success{expect=\"deny\",instance=\"mixed-0\",$(printf "$G" tcp closed-deny mixed)} 0" \
            "ztprobe_probe_success{expect=\"allow\",instance=\"frontend-a\",$(printf "$G" http backend-health frontend)} 1" \
            "ztprobe_probes{instance=\"mixed-0\",job=\"ztprobe\",role=\"mixed\",verdict=\"fail\"} 3"
        check "pushgateway: push_time_seconds and no push_failure for either group" \
            $PY "$CHK" prom-series "$T/gw1.prom" \
            'push_time_seconds{instance="mixed-0",job="ztprobe"} *' \
            'push_time_seconds{instance="frontend-a",job="ztprobe"} *' \
            'push_failure_time_seconds{instance="mixed-0",job="ztprobe"} 0' \
            'push_failure_time_seconds{instance="frontend-a",job="ztprobe"} 0'
        check "pushgateway: the series check notices a sample that is not there (control)" fails \
            $PY "$CHK" prom-series "$T/gw1.prom" 'ztprobe_probes{instance="nobody",job="ztprobe",role="mixed",verdict="fail"} 3'
        check "pushgateway: its /metrics passes promtool" sh -c "promtool check metrics <'$T/gw1.prom'"
    else
        notok "pushgateway: /metrics" "no answer on 127.0.0.1:$GWPORT: $(tail -c 300 "$T/pgw.log")"
    fi
    # A second push of the same group replaces it (PUT): the fixed run reads 0 failures.
    zt rpush3 mixed-0 run -c "$T/c1.json" --role mixed --only health -o prometheus --push "http://127.0.0.1:$GWPORT"
    if scrape gw2 && ! grep -q 'ztprobe_probe_success{expect="deny",instance="mixed-0"' "$T/gw2.prom" &&
        grep -q 'ztprobe_probes{instance="mixed-0",job="ztprobe",role="mixed",verdict="fail"} 0' "$T/gw2.prom"; then
        ok "pushgateway: a new push replaces the pod's group (PUT), stale probes gone"
    else
        notok "pushgateway: a new push replaces the pod's group" "$(grep 'instance="mixed-0"' "$T/gw2.prom" | head -5)"
    fi
else
    notok "pushgateway" "no $PGW; run 'sh tests/deps.sh' (Debian package prometheus-pushgateway)"
fi

# ---- merge ---------------------------------------------------------------------------

zt merge3 - merge -o text "$T/fe-a.out" "$T/be.out" "$T/pg.out"
rc_is merge3 0 "merge: three roles all passing exit 0"
if has merge3 "frontend" && has merge3 "backend-0" && has merge3 "postgres-0" &&
    has merge3 "  no-db " && has merge3 "0 disagreements: OK"; then
    ok "merge: text matrix names every role, pod and probe"
else
    notok "merge: text matrix" "$(head -c 400 "$T/merge3.out")"
fi
zt merge3j - merge -o json "$T/fe-a.out" "$T/be.out" "$T/pg.out"
rc_is merge3j 0 "merge -o json: exit 0"
check "merge -o json: summary ok, 3 reports, 4 results" \
    $PY "$CHK" merge-json "$T/merge3j.out" ok=true reports=3 total=4 passed=4 disagreements=0

zt merge4 - merge -o text "$T/fe-a.out" "$T/fe-b.out" "$T/be.out" "$T/pg.out"
rc_is merge4 1 "merge: a failing pod makes exit 1"
if has merge4 "frontend/no-db: pass on frontend-a; fail on frontend-b"; then
    ok "merge: the disagreement names both pods"
else
    notok "merge: the disagreement names both pods" "$(head -c 600 "$T/merge4.out")"
fi
zt merge4j - merge -o json "$T/fe-a.out" "$T/fe-b.out" "$T/be.out" "$T/pg.out"
check "merge -o json: disagreement listed, not ok" \
    $PY "$CHK" merge-json "$T/merge4j.out" ok=false failed=1 disagreements=1 \
    disagreement=frontend/no-db

echo '{"schema": "ztprobe/report/v1", "role": ' >"$T/broken.json"
zt merge-bad - merge -o text "$T/fe-a.out" "$T/be.out" "$T/broken.json"
# An unreadable report is an input error (exit 2, as for a bad config); the matrix of the
# others is still printed, with the bad one listed as missing.
rc_is merge-bad 2 "merge: an unreadable report makes exit 2"
if has merge-bad "missing reports:" && has merge-bad "broken.json: " && has merge-bad "backend-0" &&
    grep -qF "broken.json" "$T/merge-bad.err"; then
    ok "merge: the unreadable report is named, the others still shown"
else
    notok "merge: the unreadable report is named" "$(head -c 300 "$T/merge-bad.out")"
fi

zt merge-junit - merge -o junit "$T/fe-a.out" "$T/fe-b.out" "$T/be.out" "$T/pg.out"
rc_is merge-junit 1 "merge -o junit: exit 1 (frontend-b fails)"
check "merge -o junit: validates, one suite per pod" \
    xmllint --noout --schema "$HERE/junit.xsd" "$T/merge-junit.out"
if [ "$(grep -c '<testsuite name="frontend"' "$T/merge-junit.out")" = 2 ] &&
    has merge-junit 'hostname="frontend-b"'; then
    ok "merge -o junit: both frontend pods as suites"
else
    notok "merge -o junit: both frontend pods as suites" "$(grep '<testsuite ' "$T/merge-junit.out")"
fi

# ---- watch metrics: a server toggled between runs --------------------------------------

# watch_lines N PATTERN: up to 15 s until the watch's stderr has N lines matching PATTERN.
watch_lines() {
    for _ in $(seq 150); do
        [ "$(grep -c -- "$2" "$T/watch.err" 2>/dev/null)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
TOGGLE=$(free_port)
toggle_up() {
    rm -f "$T/toggle.port"
    srv toggle echo-any --port "$TOGGLE"
    TOGGLE_PID=${ZT_PIDS[-1]}
}
cat >"$T/watch.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "roles": { "web": { "probes": [
    { "name": "toggled", "kind": "tcp", "host": "127.0.0.1", "port": $TOGGLE, "expect": "allow" },
    { "name": "steady", "kind": "tcp", "host": "127.0.0.1", "port": $WEB, "expect": "allow" } ] } }
}
EOF
toggle_up
POD_NAME=web-0 "$ZT" watch -c "$T/watch.json" --role web --interval 300ms -o prometheus \
    --out "$T/watch.prom" 2>"$T/watch.err" &
WATCH_PID=$!
zt_track "$WATCH_PID"
# Up for two runs, down until a run saw it, up again until a run saw it: two flips.
flipped=0
if watch_lines 2 '"ok":true'; then
    kill "$TOGGLE_PID"
    wait "$TOGGLE_PID" 2>/dev/null
    rm -f "$T/toggle.port"
    if watch_lines 1 '"ok":false'; then
        toggle_up
        n=$(grep -c '"ok":true' "$T/watch.err")
        watch_lines $((n + 1)) '"ok":true' && flipped=1
    fi
fi
back=$(grep '"ok":true' "$T/watch.err" | tail -1)
sleep 0.7 # a run or two more, without a change
kill -TERM "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
if [ "$flipped" = 1 ]; then
    ok "watch: the toggled server was seen down and up again"
else
    notok "watch: the toggled server was seen down and up again" "$(tail -c 400 "$T/watch.err")"
fi
check "watch: promtool check metrics on the watch's exposition" sh -c "promtool check metrics <'$T/watch.prom'"
W='role="web",probe="%s",kind="tcp",expect="allow"'
# shellcheck disable=SC2059
check "watch: flip counter 2 for the toggled probe, 0 for the steady one" \
    $PY "$CHK" prom "$T/watch.prom" \
    "# TYPE ztprobe_probe_verdict_changes_total counter" \
    "ztprobe_probe_verdict_changes_total\{$(printf "$W" toggled)\} 2" \
    "ztprobe_probe_verdict_changes_total\{$(printf "$W" steady)\} 0" \
    "ztprobe_probe_last_change_timestamp_seconds\{$(printf "$W" toggled)\} [0-9.]+"
# The toggled probe changed at the run that saw the server back (its log line's time, to the
# second); the steady one at the first run.
check "watch: last change timestamps are the runs that changed them" \
    $PY "$HERE/check_watch.py" "$T/watch.prom" "$back" "$(head -1 "$T/watch.err")"
if [ "$(grep -c '"changed":\["toggled"\]' "$T/watch.err")" = 2 ]; then
    ok "watch: the log line names the probe that changed, twice"
else
    notok "watch: the log line names the probe that changed, twice" \
        "$(grep -o '"changed":[^]]*]' "$T/watch.err" | sort | uniq -c | tr '\n' ' ')"
fi
sed 's/ztprobe_probe_verdict_changes_total{\(.*\)toggled\(.*\)} 2/ztprobe_probe_verdict_changes_total{\1toggled\2} 1/' \
    "$T/watch.prom" >"$T/watch-bad.prom"
# shellcheck disable=SC2059
check "watch: the counter check notices a wrong count (control)" fails \
    $PY "$CHK" prom "$T/watch-bad.prom" "ztprobe_probe_verdict_changes_total\{$(printf "$W" toggled)\} 2"

# run --wait: the convergence figures in the exposition (frontend-a passes at once).
zt waitprom frontend-a run -c "$T/c1.json" --role frontend -o prometheus --wait 3s
rc_is waitprom 0 "wait: run --wait -o prometheus exits 0"
check "wait: promtool check metrics with the convergence families" sh -c "promtool check metrics <'$T/waitprom.out'"
check "wait: convergence families" $PY "$CHK" prom "$T/waitprom.out" \
    'ztprobe_converged_after_seconds\{role="frontend"\} 0' \
    'ztprobe_probe_converged_after_seconds\{role="frontend",probe="no-db",kind="tcp",expect="deny"\} 0'

# ---- alert rules -------------------------------------------------------------------------

mkdir -p "$T/rules"
if $PY -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "PrometheusRule", d["kind"]
yaml.safe_dump(d["spec"], open(sys.argv[2], "w"))' "$ROOT/manifests/prometheusrule.yaml" "$T/rules/rules.yaml" 2>"$T/rules.err"; then
    check "rules: promtool check rules on the PrometheusRule's spec" \
        promtool check rules "$T/rules/rules.yaml"
    cp "$HERE/rules_test.yaml" "$T/rules/"
    cp "$T/rules/rules.yaml" "$T/rules/rules.good"
    check "rules: promtool test rules (fail, inconclusive, staleness, absent, diagnoses, flapping)" \
        promtool test rules "$T/rules/rules_test.yaml"
    # Control: the same tests against a rule that never fires must fail.
    sed -i 's/ztprobe_probe_verdict{verdict="fail"} == 1/ztprobe_probe_verdict{verdict="fail"} == 2/' \
        "$T/rules/rules.yaml"
    check "rules: promtool test rules notices a broken rule (control)" fails \
        promtool test rules "$T/rules/rules_test.yaml"
    # Control: a flapping rule on the counter's value (changes since the sidecar started, not
    # in the last hour) must fail: it would still fire an hour after the last change.
    sed 's/increase(ztprobe_probe_verdict_changes_total\[1h\]) >= 4/ztprobe_probe_verdict_changes_total >= 4/' \
        "$T/rules/rules.good" >"$T/rules/rules.yaml"
    if grep -q 'ztprobe_probe_verdict_changes_total >= 4' "$T/rules/rules.yaml"; then
        check "rules: promtool test rules notices a flapping rule without increase() (control)" fails \
            promtool test rules "$T/rules/rules_test.yaml"
    else
        notok "rules: flapping control" "the rule's expression was not found to break"
    fi
else
    notok "rules: manifests/prometheusrule.yaml is a PrometheusRule" "$(head -c 300 "$T/rules.err")"
fi

zt_finish
