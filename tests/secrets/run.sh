#!/usr/bin/env bash
# run.sh BIN: no secret in any output (issue 5, item 5; the reference: "No secret ... ever appears in a
# report, a log line or an error message").
# Secrets, each with a random part so a match cannot be a coincidence: a PostgreSQL password
# given through password_env and through password_file (and a wrong one, also a secret), an
# Authorization and a Proxy-Authorization header value, a literal password and URL
# credentials in configs that must be refused, a query token in a probe URL, a Pushgateway
# password.
# Proof the secrets were really used: the PostgreSQL probes authenticate (ok), and a server that
# reflects the request's headers back (body and WWW-Authenticate) shows the header was sent.
# Every output of every mode is kept: run -o json|text|junit|prometheus (the formats this
# binary offers), -v, --out, list, validate, watch's log lines and --out, merge, --push from
# $ZTPROBE_PUSH_URL and --push-url-file (accepted and refused), and the error
# messages of failed runs and refused configs. Each is grepped for every secret.
# The credential paths of docs/security.md too: the warnings and the diagnosis
# password_to_unverified_server (the probes here use sslmode disable on purpose), the default
# verify-full refusing a server without TLS, deny probes with a password, a missing password,
# and a recording fake PostgreSQL (tests/servers/pg_fake.py) that asks for a cleartext
# password and answers the query with a row that is itself a secret.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
zt_agent "${1:-}"
zt_init secrets
O=$T/o
mkdir -p "$O"

rnd() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
PW="zt-Pg-Secret-$(rnd)"
WRONG="zt-Wrong-Secret-$(rnd)"
TOKEN="zt-Auth-Token-$(rnd)"
PTOKEN="zt-Proxy-Token-$(rnd)"
LIT="zt-Literal-Secret-$(rnd)"
URLPW="zt-Url-Secret-$(rnd)"
QTOKEN="zt-Query-Token-$(rnd)"
PUSHPW="zt-Push-Secret-$(rnd)"
ROW="zt-Row-Secret-$(rnd)"
ENVPW="zt-Env-Secret-$(rnd)"
SECRETS=("$PW" "$WRONG" "$TOKEN" "$PTOKEN" "$LIT" "$URLPW" "$QTOKEN" "$PUSHPW" "$ROW" "$ENVPW")

srv healthy healthy || exit 1
srv redirect redirect || exit 1
srv echo echo-any || exit 1
peer reflect reflect || exit 1
# The fake's own log holds what it was sent (the password, by design): kept out of $O.
zt_serve pgfake "$PY" "$ROOT/tests/servers/pg_fake.py" --log "$T/pgfake.rec" --port-file "$T/pgfake.port" \
    --row "$ROW" --max-seconds 300 || exit 1
PG_DIR=$T/pgd
PGPORT=$(ZT_PG_PASSWORD=$PW sh "$ROOT/tests/servers/pg.sh" start "$PG_DIR") ||
    { notok "PostgreSQL 15 started (tests/servers/pg.sh)" "see above"; zt_finish; exit 1; }
CLOSED=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
umask 077
printf '%s' "$PW" >"$T/pgpass"
export ZT_SECRET_PW=$PW ZT_WRONG_PW=$WRONG
H=$(port healthy)

hdrs="\"headers\": { \"Authorization\": \"Bearer $TOKEN\", \"Proxy-Authorization\": \"Basic $PTOKEN\" }"
pg() { echo "\"kind\": \"postgres\", \"host\": \"127.0.0.1\", \"user\": \"govtech_admin\", \"dbname\": \"govtech\", \"sslmode\": \"disable\""; }
fk() { echo "\"kind\": \"postgres\", \"host\": \"127.0.0.1\", \"port\": $(port pgfake), \"user\": \"$1\", \"dbname\": \"govtech\", \"sslmode\": \"disable\""; }
cat >"$T/cfg.json" <<EOF
{ "version": 1, "defaults": { "timeout_ms": 2000 },
  "dns": { "servers": ["127.0.0.1:9"], "search": false },
  "roles": { "backend": { "selector": { "app": "backend" }, "probes": [
    { "name": "pg-env", $(pg), "port": $PGPORT, "password_env": "ZT_SECRET_PW", "query": "SELECT version()", "expect": "allow" },
    { "name": "pg-file", $(pg), "port": $PGPORT, "password_file": "$T/pgpass", "expect": "allow" },
    { "name": "pg-wrong", $(pg), "port": $PGPORT, "password_env": "ZT_WRONG_PW", "expect": "allow" },
    { "name": "pg-closed", $(pg), "port": $CLOSED, "password_env": "ZT_SECRET_PW", "expect": "allow" },
    { "name": "pg-deny-open", $(pg), "port": $PGPORT, "password_file": "$T/pgpass", "expect": "deny" },
    { "name": "pg-default-verify", "kind": "postgres", "host": "127.0.0.1", "user": "govtech_admin", "dbname": "govtech", "port": $PGPORT, "password_env": "ZT_SECRET_PW", "expect": "allow" },
    { "name": "pg-fake", $(fk fake-allow), "password_env": "ZT_SECRET_PW", "query": "SELECT secret FROM t", "expect": "allow" },
    { "name": "pg-fake-nopw", $(fk fake-nopw), "expect": "allow" },
    { "name": "pg-fake-deny", $(fk fake-deny), "password_env": "ZT_SECRET_PW", "expect": "deny" },
    { "name": "http-auth", "kind": "http", "url": "http://127.0.0.1:$H/health", $hdrs, "expect": "allow" },
    { "name": "http-auth-deny", "kind": "http", "url": "http://127.0.0.1:$H/health", $hdrs, "expect": "deny" },
    { "name": "http-reflect-sent", "kind": "http", "url": "http://127.0.0.1:$(port reflect)/", $hdrs,
      "status": [401], "body_contains": "Authorization: Bearer zt-Auth-Token-", "expect": "allow" },
    { "name": "http-reflect-401", "kind": "http", "url": "http://127.0.0.1:$(port reflect)/", $hdrs, "expect": "allow" },
    { "name": "http-reflect-mismatch", "kind": "http", "url": "http://127.0.0.1:$(port reflect)/", $hdrs,
      "status": [401], "body_contains": "never-there", "expect": "allow" },
    { "name": "http-echo", "kind": "http", "url": "http://127.0.0.1:$(port echo)/", $hdrs, "expect": "allow" },
    { "name": "http-redirect", "kind": "http", "url": "http://127.0.0.1:$(port redirect)/", $hdrs,
      "follow_redirects": true, "expect": "allow" },
    { "name": "http-query-token", "kind": "http", "url": "http://127.0.0.1:$H/health?token=$QTOKEN#f-$QTOKEN", "expect": "allow" },
    { "name": "http-query-token-fail", "kind": "http", "url": "http://127.0.0.1:$CLOSED/x?api_key=$QTOKEN", "expect": "allow" }
  ] } } }
EOF

# keep NAME CMD...: runs a command, stdout to $O/NAME.out, stderr to $O/NAME.err.
keep() { local n=$1; shift; timeout -k 2 60 "$@" >"$O/$n.out" 2>"$O/$n.err" </dev/null; echo $? >"$T/$n.rc"; }

# libpq's environment defaults carry a secret too: they must never be used nor printed.
export PGPASSWORD=$ENVPW PGOPTIONS="-c zt_marker=$ENVPW"
keep json "$ZT" run -c "$T/cfg.json" --role backend -o json
keep verbose "$ZT" run -c "$T/cfg.json" --role backend -v
keep verbose-text "$ZT" run -c "$T/cfg.json" --role backend -v -o text
keep out "$ZT" run -c "$T/cfg.json" --role backend --out "$O/out-file.json" -v
keep text "$ZT" run -c "$T/cfg.json" --role backend -o text
for f in junit prometheus; do
    if "$ZT" help run 2>&1 | grep -q "$f"; then
        keep "$f" "$ZT" run -c "$T/cfg.json" --role backend -o "$f" -v
        [ -s "$O/$f.out" ]
        check "-o $f produced a report" status_ok $? "empty stdout; stderr: $(head -c 200 "$O/$f.err")"
    else
        echo "skip - -o $f: not offered by this binary ('ztprobe help run'); the reference requires it"
    fi
done
keep list "$ZT" list -c "$T/cfg.json" --role backend
keep list-all "$ZT" list -c "$T/cfg.json"
keep validate "$ZT" validate -c "$T/cfg.json"
keep role-by-labels env ZTPROBE_LABELS_FILE=/dev/null "$ZT" run -c "$T/cfg.json" -v
cp "$O/json.out" "$T/a.json"
cp "$O/json.out" "$T/b.json"
# A report written elsewhere (an older agent, a hand) whose targets carry userinfo and a query:
# merge shows them redacted in every format.
jq --arg pw "$URLPW" --arg q "$QTOKEN" '.results[0].target = "http://admin:\($pw)@svc:8080/p?token=\($q)"' \
    "$O/json.out" >"$T/hand.json"
keep merge-hand-text "$ZT" merge -o text "$T/hand.json"
keep merge-hand-json "$ZT" merge -o json "$T/hand.json"
if "$ZT" help merge 2>&1 | grep -q junit; then keep merge-hand-junit "$ZT" merge -o junit "$T/hand.json"; fi
keep merge-text "$ZT" merge -o text "$T/a.json" "$T/b.json"
keep merge-json "$ZT" merge -o json "$T/a.json" "$T/b.json"
if "$ZT" help merge 2>&1 | grep -q junit; then keep merge-junit "$ZT" merge -o junit "$T/a.json" "$T/b.json"; fi
keep merge-policyreport "$ZT" merge -o policyreport "$T/a.json" "$T/b.json"
keep merge-html "$ZT" merge -o html "$T/a.json" "$T/b.json"
# watch: its JSON log lines (stderr) and the report it keeps rewriting; SIGTERM after ~2 runs.
timeout --preserve-status -k 2 4 "$ZT" watch -c "$T/cfg.json" --role backend --interval 200ms \
    --out "$O/watch-file.json" -v >"$O/watch.out" 2>"$O/watch.err"
echo $? >"$T/watch.rc"
timeout --preserve-status -k 2 4 "$ZT" watch -c "$T/cfg.json" --role backend --interval 200ms \
    -o text >"$O/watch-text.out" 2>"$O/watch-text.err"

# --push credentials from the environment and from a file (never argv), to a Pushgateway
# stand-in that accepts (202) and one that refuses (400, its error message): the password
# must show nowhere, while the gateway got it (the proof it was used).
zt_serve gw "$PY" "$ROOT/tests/formats/recorder.py" --record "$T/gw.jsonl" --status 202 --port-file "$T/gw.port" --max-seconds 300 || exit 1
zt_serve gw400 "$PY" "$ROOT/tests/formats/recorder.py" --record "$T/gw400.jsonl" --status 400 --port-file "$T/gw400.port" --max-seconds 300 || exit 1
printf 'http://pushuser:%s@127.0.0.1:%s\n' "$PUSHPW" "$(port gw)" >"$T/push-url"
keep push-env env ZTPROBE_PUSH_URL="http://pushuser:$PUSHPW@127.0.0.1:$(port gw)" "$ZT" run -c "$T/cfg.json" --role backend -o prometheus -v
keep push-file "$ZT" run -c "$T/cfg.json" --role backend -o text -v --push-url-file "$T/push-url"
keep push-env-400 env ZTPROBE_PUSH_URL="http://pushuser:$PUSHPW@127.0.0.1:$(port gw400)" "$ZT" run -c "$T/cfg.json" --role backend -o json -v
keep push-watch env ZTPROBE_PUSH_URL="http://pushuser:$PUSHPW@127.0.0.1:$(port gw400)" timeout --preserve-status -k 2 2 "$ZT" watch -c "$T/cfg.json" --role backend --interval 300ms -v

# Refused configs: the error message must not quote the secret it refuses.
bad() { # NAME PROBE-FIELDS: a config with one tcp-less probe, expected to be refused (exit 2)
    cat >"$T/$1.json" <<EOF
{ "version": 1, "roles": { "r": { "selector": {}, "probes": [ { "name": "p", $2 } ] } } }
EOF
    keep "$1" "$ZT" run -c "$T/$1.json" --role r
    keep "$1-validate" "$ZT" validate -c "$T/$1.json"
    [ "$(cat "$T/$1.rc")" = 2 ] && [ -s "$O/$1.err" ]
    check "refused config $1: exit 2 with a message" status_ok $? "exit $(cat "$T/$1.rc"); stderr: $(head -c 200 "$O/$1.err")"
}
bad literal-password "$(pg), \"port\": 5432, \"password\": \"$LIT\", \"expect\": \"allow\""
bad literal-password-number "$(pg), \"port\": 5432, \"password\": \"$LIT\", \"password_env\": 7, \"expect\": \"allow\""
bad url-credentials "\"kind\": \"http\", \"url\": \"http://admin:$URLPW@127.0.0.1:$H/\", \"expect\": \"allow\""
bad url-credentials-https "\"kind\": \"https\", \"url\": \"https://$URLPW@127.0.0.1:$H/\", \"expect\": \"allow\""
bad header-crlf "\"kind\": \"http\", \"url\": \"http://127.0.0.1:$H/\", \"headers\": { \"Authorization\": \"Bearer $TOKEN\\r\\nX-Injected: 1\" }, \"expect\": \"allow\""
bad header-not-string "\"kind\": \"http\", \"url\": \"http://127.0.0.1:$H/\", \"headers\": { \"Authorization\": [\"Bearer $TOKEN\"] }, \"expect\": \"allow\""
bad header-unknown-key "\"kind\": \"http\", \"url\": \"http://127.0.0.1:$H/\", \"headers\": { \"Authorization\": \"Bearer $TOKEN\" }, \"bogus\": \"$LIT\", \"expect\": \"allow\""
bad header-on-tcp "\"kind\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1, \"headers\": { \"Authorization\": \"Bearer $TOKEN\" }, \"expect\": \"allow\""
# A password_env naming a variable that is unset, and a password_file that is missing: failures
# at run time, after the config was accepted.
cat >"$T/runtime.json" <<EOF
{ "version": 1, "roles": { "r": { "selector": {}, "probes": [
  { "name": "unset-env", $(pg), "port": $PGPORT, "password_env": "ZT_NOT_SET_$(rnd)", "expect": "allow" },
  { "name": "missing-file", $(pg), "port": $PGPORT, "password_file": "$T/no-such-file", "expect": "allow" },
  { "name": "unset-env-deny", $(pg), "port": $PGPORT, "password_env": "ZT_NOT_SET_$(rnd)", "expect": "deny" },
  { "name": "missing-file-deny", $(pg), "port": $PGPORT, "password_file": "$T/no-such-file", "expect": "deny" } ] } } }
EOF
keep runtime "$ZT" run -c "$T/runtime.json" --role r -v
keep runtime-text "$ZT" run -c "$T/runtime.json" --role r -o text

# The secrets were really used.
res() { jres "$O/json.out" "$1" .outcome; }
[ "$(res pg-env)" = ok ] && [ "$(res pg-file)" = ok ]
check "password_env and password_file authenticate (ok): the password reached libpq" status_ok $? "pg-env $(res pg-env), pg-file $(res pg-file): $(jres "$O/json.out" pg-env .detail)"
[ "$(res pg-wrong)" = auth_failed ]
check "a wrong password gives auth_failed" status_ok $? "got $(res pg-wrong)"
[ "$(res http-query-token)" = ok ] && [ "$(jres "$O/json.out" http-query-token .target)" = "http://127.0.0.1:$H/health" ]
check "a URL with a query and fragment is probed whole, reported without them" status_ok $? "got $(res http-query-token), target $(jres "$O/json.out" http-query-token .target)"
grep -qF "$QTOKEN" "$T/hand.json"
check "the hand-made report carries the secrets merge must hide" status_ok $? "jq failed"
grep -c "Basic $(printf 'pushuser:%s' "$PUSHPW" | base64 -w0)" "$T/gw.jsonl" | grep -qx 2 &&
    grep -q "Basic $(printf 'pushuser:%s' "$PUSHPW" | base64 -w0)" "$T/gw400.jsonl"
check "the push credentials from \$ZTPROBE_PUSH_URL and --push-url-file reached the gateway" status_ok $? "$(wc -l <"$T/gw.jsonl") pushes recorded"
[ "$(cat "$T/push-env-400.rc")" = 3 ] && grep -q 'HTTP 400' "$O/push-env-400.err"
check "a refused push says so (exit 3, HTTP 400)" status_ok $? "exit $(cat "$T/push-env-400.rc"): $(head -c 200 "$O/push-env-400.err")"
[ "$(res http-reflect-sent)" = ok ]
check "the Authorization header was sent (the reflecting server echoed it back)" status_ok $? "got $(res http-reflect-sent): $(jres "$O/json.out" http-reflect-sent .detail)"
[ "$(cat "$T/watch.rc")" = 0 ] && [ -s "$O/watch-file.json" ] && [ -s "$O/watch.err" ]
check "watch ran, logged and wrote --out" status_ok $? "exit $(cat "$T/watch.rc"), log $(wc -c <"$O/watch.err") bytes"

# The credential paths were really taken (docs/security.md).
grep -q "warning: role backend probe pg-env sends its password with sslmode disable" "$O/json.err" &&
    grep -q "sslmode disable" "$O/validate.err"
check "run and validate warned about the weaker sslmode" status_ok $? "json.err: $(head -c 200 "$O/json.err")"
jq -e '.diagnoses[] | select(.code == "password_to_unverified_server") | .message | test("pg-env")' "$O/json.out" >/dev/null
check "the report carries password_to_unverified_server" status_ok $? "$(jq -c .diagnoses "$O/json.out")"
[ "$(res pg-default-verify)" = tls_error ]
check "a password without sslmode: verify-full refuses a server without TLS" status_ok $? "got $(res pg-default-verify)"
[ "$(res pg-fake)" = ok ] && grep -qF "\"password\": \"$PW\"" "$T/pgfake.rec"
check "the fake server got the password (sslmode disable) and answered the query" status_ok $? "pg-fake $(res pg-fake)"
sent=$(jq -r 'select(.password != null) | .startup.user' "$T/pgfake.rec" | sort | uniq -c | tr -s ' \n' ' ')
sent="$sent; deny probe records: $(grep -c '"user": "fake-deny"' "$T/pgfake.rec")"
[ "$(jq -r 'select(.password != null) | .startup.user' "$T/pgfake.rec" | sort -u)" = fake-allow ] &&
    grep -qF '"user": "fake-deny"' "$T/pgfake.rec"
check "only the allow probe with a password sent it (not the deny, not the one without)" status_ok $? "passwords by user:$sent"
! grep -qF "$ENVPW" "$T/pgfake.rec"
check "PGPASSWORD and PGOPTIONS from the environment never reached a server" status_ok $? "found in the fake's record"
[ "$(jres "$O/runtime.out" unset-env-deny .verdict)" = fail ] && [ "$(jres "$O/runtime.out" missing-file-deny .verdict)" = fail ]
check "deny probes run without their password (the open path fails them)" status_ok $? \
    "$(jres "$O/runtime.out" unset-env-deny .outcome) $(jres "$O/runtime.out" missing-file-deny .outcome)"

# The grep: every file of every mode, for every secret (fixed strings, binary files too).
n_files=0
for f in "$O"/*; do
    [ -s "$f" ] || continue
    n_files=$((n_files + 1))
    hit=""
    for s in "${SECRETS[@]}"; do
        grep -qaF -- "$s" "$f" && hit="$hit ${s%-*}"
    done
    # The status first: a command substitution in check's label would overwrite $?.
    [ -z "$hit" ]
    found=$?
    check "no secret in $(basename "$f") ($(wc -c <"$f") bytes)" status_ok "$found" "found:$hit: $(grep -aoE ".{0,60}(${PW}|${WRONG}|${TOKEN}|${PTOKEN}|${LIT}|${URLPW}|${QTOKEN}|${PUSHPW}|${ROW}|${ENVPW}).{0,20}" "$f" | head -2 | tr '\n' ' ')"
done
[ "$n_files" -ge 30 ]
check "outputs grepped: $n_files non-empty files" status_ok $? "only $n_files: some mode printed nothing"
# The grep itself works: the config holds the secrets it looks for.
grep -qF "$TOKEN" "$T/cfg.json" && grep -qF "$LIT" "$T/literal-password.json" && grep -qF "$PW" "$T/pgpass"
check "the grep finds the secrets where they are (config, password file)" status_ok $? "grep does not see them"
! grep -lE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$O"/*.err >"$T/san.txt"
check "no sanitizer report in any run" status_ok $? "in $(tr '\n' ' ' <"$T/san.txt")"

zt_finish
