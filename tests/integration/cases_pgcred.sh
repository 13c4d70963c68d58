# cases_pgcred.sh: what the postgres probe sends, and to whom (docs/security.md), proven with
# a recording fake server (tests/servers/pg_fake.py: refuses TLS, asks for a cleartext
# password, records it) and the real PostgreSQL 15 of cases_pg.sh. Sourced by run.sh, called
# from cases_pg.

fake_rec() { # RUN FIELD: FIELD of every record, one per line (json; null when absent)
    $PY -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l); v=r
    for k in sys.argv[2].split("."):
        v=v.get(k) if isinstance(v,dict) else None
    print(json.dumps(v))' "$T/fake-$1.log" "$2" 2>/dev/null
}

# fake_run RUN WANT_RC CONFIG [ENV...]: runs the agent against the fake with a fresh log.
fake_run() {
    local run=$1 want=$2 cfg=$3
    shift 3
    : >"$T/fake-$run.log"
    FAKE_LOG=$T/fake-$run.log
    # The fake appends to the file named at its start: restart it per run, cheap.
    [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    rm -f "$T/pgfake.port"
    $PY "$ROOT/tests/servers/pg_fake.py" --log "$FAKE_LOG" --port-file "$T/pgfake.port" \
        --row "$FAKE_ROW" --max-seconds 60 2>>"$T/pgfake.err" &
    FAKE_PID=$!
    zt_track "$FAKE_PID"
    local i=0
    while [ ! -s "$T/pgfake.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    sed "s/@FAKE@/$(cat "$T/pgfake.port")/g" "$cfg" >"$T/$run.json"
    # runz runs "$ZT": a wrapper that adds the environment of this run.
    local saved_zt=$ZT
    {
        echo '#!/bin/bash'
        printf 'exec env'
        printf ' %q' "$@" "$saved_zt"
        printf ' "$@"\n'
    } >"$T/zt-$run.sh"
    chmod 755 "$T/zt-$run.sh"
    ZT=$T/zt-$run.sh
    runz "$run" "$want" run -c "$T/$run.json" --role r
    ZT=$saved_zt
    sleep 0.2 # the fake writes its record when the client's connection closes
}

diag_msg() { # RUN CODE: the message of diagnosis CODE in run RUN's report
    $PY -c 'import json,sys
for d in json.load(open(sys.argv[1]))["diagnoses"]:
    if d["code"] == sys.argv[2]: print(d["message"])' "$T/r/$1.out" "$2" 2>/dev/null
}

# no_password_sent LABEL RUN: every connection of RUN reached the fake, none carried a password.
no_password_sent() {
    local got
    got=$(fake_rec "$2" password | sort -u | tr '\n' ' ')
    if [ -s "$T/fake-$2.log" ] && [ "$got" = "null " ]; then
        ok "$1"
    else
        notok "$1" "passwords recorded: '${got:-no connection recorded}'"
    fi
}

cases_pgcred() {
    local P=$PG_PORT
    FAKE_ROW="zt-row-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    local FPW FENV
    FPW="zt-fake-pw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    FENV="zt-env-pw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    local head='{ "version": 1, "defaults": { "timeout_ms": 2000 }, "roles": { "r": { "selector": {}, "probes": ['
    local fpg='"kind": "postgres", "host": "127.0.0.1", "port": @FAKE@, "user": "probe", "dbname": "d"'

    # 1. A password and no sslmode: verify-full, so a server that refuses TLS never sees it.
    cat >"$T/c1.json" <<EOF
$head { "name": "fake", $fpg, "password_env": "ZT_FAKE_PW", "expect": "allow" } ] } } }
EOF
    fake_run cred-default 1 "$T/c1.json" ZT_FAKE_PW="$FPW"
    chk "password, no sslmode: refused TLS -> tls_error" cred-default fake outcome=tls_error
    if [ "$(fake_rec cred-default startup | sort -u)" = "null" ]; then
        ok "password, no sslmode: the fake got no startup message, let alone the password"
    else
        notok "password, no sslmode: no startup message" "recorded: $(cat "$T/fake-cred-default.log")"
    fi
    # An explicit weaker sslmode is the user's choice: warned, and a report diagnosis.
    cat >"$T/c1b.json" <<EOF
$head { "name": "fake-prefer", $fpg, "password_env": "ZT_FAKE_PW", "sslmode": "prefer", "expect": "allow" },
      { "name": "fake-deny", $fpg, "password_env": "ZT_FAKE_PW", "sslmode": "prefer", "expect": "deny" } ] } } }
EOF
    fake_run cred-prefer 1 "$T/c1b.json" ZT_FAKE_PW="$FPW"
    chk "explicit sslmode prefer: sent as configured (ok)" cred-prefer fake-prefer outcome=ok
    chk "explicit weaker sslmode: diagnosis password_to_unverified_server" cred-prefer - \
        'diagnoses.*.code^password_to_unverified_server'
    case $(diag_msg cred-prefer password_to_unverified_server) in
    *fake-deny*) notok "the diagnosis names the allow probe only" "$(diag_msg cred-prefer password_to_unverified_server)" ;;
    *fake-prefer*) ok "the diagnosis names the allow probe only" ;;
    *) notok "the diagnosis names the allow probe only" "$(diag_msg cred-prefer password_to_unverified_server)" ;;
    esac
    expect_stderr cred-prefer "run warns on stderr about the weaker sslmode" "fake-prefer"
    runz cred-validate 0 validate -c "$T/cred-prefer.json"
    expect_stderr cred-validate "validate warns on stderr about the weaker sslmode" "sslmode prefer"
    if grep -qF "fake-deny" "$T/r/cred-validate.err"; then
        notok "a deny probe sends no password: no warning for it" "$(cat "$T/r/cred-validate.err")"
    else
        ok "a deny probe sends no password: no warning for it"
    fi

    # Against the real server: the default verify-full with the CA from sslrootcert, from
    # defaults.ca_file, and a wrong CA.
    cat >"$T/c1c.json" <<EOF
{ "version": 1, "defaults": { "timeout_ms": 2000, "ca_file": "$T/pki/ca.pem" },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false }, "roles": { "r": { "selector": {}, "probes": [
  { "name": "vf-rootcert", "kind": "postgres", "host": "svc.test", "port": $P, "user": "govtech_admin",
    "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "sslrootcert": "$T/pki/ca.pem", "expect": "allow" },
  { "name": "vf-ca-file", "kind": "postgres", "host": "svc.test", "port": $P, "user": "govtech_admin",
    "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "expect": "allow" },
  { "name": "vf-wrong-ca", "kind": "postgres", "host": "svc.test", "port": $P, "user": "govtech_admin",
    "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "sslrootcert": "$T/pki/other-ca.pem", "expect": "allow" } ] } } }
EOF
    ZT_IT_PGPASSWORD=$PG_PASSWORD runz cred-real 1 run -c "$T/c1c.json" --role r
    chk "no sslmode + password: verify-full with sslrootcert -> ok" cred-real vf-rootcert outcome=ok
    chk "no sslmode + password: verify-full with defaults.ca_file -> ok" cred-real vf-ca-file outcome=ok
    chk "no sslmode + password: wrong CA -> tls_error" cred-real vf-wrong-ca outcome=tls_error

    # 2. No password configured: nothing from libpq's environment defaults either.
    local E=$T/pgenv
    mkdir -p "$E/home"
    printf '*:*:*:*:%s\n' "$FENV-passfile" >"$E/pgpass"
    printf '*:*:*:*:%s\n' "$FENV-home" >"$E/home/.pgpass"
    chmod 600 "$E/pgpass" "$E/home/.pgpass"
    printf '[zt]\npassword=%s-service\noptions=-c zt_marker=service\n' "$FENV" >"$E/service.conf"
    cat >"$T/c2.json" <<EOF
$head { "name": "fake-nopw", $fpg, "expect": "allow" } ] } } }
EOF
    fake_run cred-env 1 "$T/c2.json" PGPASSWORD="$FENV-env" PGPASSFILE="$E/pgpass" HOME="$E/home" \
        PGSERVICEFILE="$E/service.conf" PGSERVICE=zt PGOPTIONS="-c zt_marker=env" PGUSER=intruder \
        PGSSLMODE=disable PGAPPNAME=intruder
    no_password_sent "no password configured: PGPASSWORD, PGPASSFILE, ~/.pgpass, PGSERVICE unused" cred-env
    fake_run cred-pgpassword 1 "$T/c2.json" PGPASSWORD="$FENV-env"
    no_password_sent "no password configured: PGPASSWORD alone unused" cred-pgpassword
    local opts
    opts=$(fake_rec cred-env startup.options | sort -u)
    case $opts in
    *zt_marker*) notok "PGOPTIONS and the service file's options unused" "startup options $opts" ;;
    *) ok "PGOPTIONS and the service file's options unused" ;;
    esac
    if [ "$(fake_rec cred-env startup.user | sort -u)" = '"probe"' ]; then
        ok "PGUSER unused: the config's user went out"
    else
        notok "PGUSER unused" "user $(fake_rec cred-env startup.user)"
    fi
    chk "no password configured: auth_failed (server asked for one)" cred-env fake-nopw outcome=auth_failed
    chk "no password configured: no diagnosis" cred-env - 'diagnoses#0'

    # 3. A deny probe never sends the password, and a missing password is no reason to skip it.
    cat >"$T/c3.json" <<EOF
$head { "name": "deny-pw", $fpg, "password_env": "ZT_FAKE_PW", "sslmode": "prefer", "expect": "deny" },
      { "name": "deny-unset", $fpg, "password_env": "ZT_UNSET_PW_$$", "expect": "deny" },
      { "name": "deny-nofile", $fpg, "password_file": "$T/no-such-pw", "expect": "deny" },
      { "name": "allow-unset", $fpg, "password_env": "ZT_UNSET_PW_$$", "sslmode": "prefer", "expect": "allow" },
      { "name": "allow-nofile", $fpg, "password_file": "$T/no-such-pw", "sslmode": "prefer", "expect": "allow" } ] } } }
EOF
    fake_run cred-deny 1 "$T/c3.json" ZT_FAKE_PW="$FPW"
    if fake_rec cred-deny password | grep -qF "$FPW"; then
        notok "a deny probe never sends the password" "the fake recorded it"
    else
        ok "a deny probe never sends the password"
    fi
    chk "deny probe, server answered without a password -> fail (path open)" cred-deny deny-pw \
        verdict=fail outcome=auth_failed
    # (no sslmode with a password: verify-full, which the fake's refusal of TLS fails)
    chk "deny probe, password_env unset: still probed -> fail" cred-deny deny-unset verdict=fail outcome=tls_error
    chk "deny probe, password_file missing: still probed -> fail" cred-deny deny-nofile verdict=fail outcome=tls_error
    chk "allow probe, password_env unset: error naming the variable" cred-deny allow-unset \
        outcome=error 'detail~ZT_UNSET_PW_' 'hint~environment' 'hint!~internal'
    chk "allow probe, password_file missing: error naming the file" cred-deny allow-nofile \
        outcome=error 'detail~no-such-pw' 'hint~password_file' 'hint!~internal'
    expect_stderr cred-deny "run warns at start that a password variable is unset" "ZT_UNSET_PW_"

    # 5. Query results stay out of the report; the query runs read-only.
    cat >"$T/c5.json" <<EOF
$head { "name": "fake-query", $fpg, "password_env": "ZT_FAKE_PW", "sslmode": "prefer",
        "query": "SELECT secret FROM t", "expect": "allow" } ] } } }
EOF
    fake_run cred-query 0 "$T/c5.json" ZT_FAKE_PW="$FPW"
    chk "query ok: the row is not echoed into detail" cred-query fake-query outcome=ok \
        "detail!~$FAKE_ROW" 'detail~1 row' 'detail~15.99-fake'
    if grep -qF "$FAKE_ROW" "$T/r/cred-query.out" "$T/r/cred-query.err"; then
        notok "the row appears in no output" "found in stdout/stderr"
    else
        ok "the row appears in no output"
    fi
    case $(fake_rec cred-query startup.options) in
    *default_transaction_read_only=on*) ok "startup options set default_transaction_read_only=on" ;;
    *) notok "startup options set default_transaction_read_only=on" "options $(fake_rec cred-query startup.options)" ;;
    esac
    cat >"$T/c5b.json" <<EOF
{ "version": 1, "defaults": { "timeout_ms": 2000, "ca_file": "$T/pki/ca.pem" }, "roles": { "r": { "selector": {}, "probes": [
  { "name": "pg-write", "kind": "postgres", "host": "127.0.0.1", "port": $P, "user": "govtech_admin",
    "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "query": "CREATE TABLE zt_write_probe (x int)",
    "expect": "allow" } ] } } }
EOF
    ZT_IT_PGPASSWORD=$PG_PASSWORD runz cred-write 1 run -c "$T/c5b.json" --role r
    chk "a writing query fails: read-only transaction" cred-write pg-write outcome=query_failed 'detail~read-only'

    # 12. No core dump while a password is held: RLIMIT_CORE 0 and not dumpable (then
    # /proc/PID belongs to root, not to the unprivileged user the agent runs as).
    chmod 644 "$T/cred-deny.json"
    local wpid lim owner wdir
    wdir=$(mktemp -d "$T/watch.XXXXXX")
    chmod 777 "$wdir"
    # The image's ztprobe (tests/image/inimage.sh as $ZT) is chrooted by its wrapper, which
    # needs root: the wrapper takes the user to run as from ZT_IMAGE_USER instead.
    local runas=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    [ -n "${ZT_IMAGE_ROOT:-}" ] && runas=(env ZT_IMAGE_USER=65534:65534)
    "${runas[@]}" env ZT_FAKE_PW="$FPW" \
        "$ZT" watch -c "$T/cred-deny.json" --role r --interval 1s --out "$wdir/report.json" \
        >"$T/r/cred-watch.out" 2>"$T/r/cred-watch.err" &
    local bgpid=$! p agent=
    zt_track "$bgpid"
    sleep 1
    # The agent itself: $! may be a wrapper; the process named ztprobe writing to this test's
    # own folder is the one.
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = ztprobe ] &&
            tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$wdir/report.json" && agent=${p#/proc/}
    done
    wpid=${agent:-$bgpid}
    lim=$(awk '/^Max core file size/ {print $5, $6}' "/proc/$wpid/limits" 2>/dev/null)
    owner=$(stat -c %u "/proc/$wpid/status" 2>/dev/null)
    # The agent itself first: the image's wrapper (unshare --fork) ignores SIGTERM and would
    # wait for its child forever.
    kill "$wpid" "$bgpid" 2>/dev/null
    wait "$bgpid" 2>/dev/null
    [ "$lim" = "0 0" ] && ok "watch with a password: RLIMIT_CORE 0 (soft and hard)" ||
        notok "watch with a password: RLIMIT_CORE 0" "limits '$lim'"
    [ "$owner" = 0 ] && ok "watch with a password: not dumpable (/proc/PID owned by root)" ||
        notok "watch with a password: not dumpable" "/proc/$wpid/status owner '$owner' (65534: dumpable)"
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/r/cred-watch.err"; then
        notok "watch as nobody: no sanitizer report" "$(head -c 300 "$T/r/cred-watch.err")"
    else
        ok "watch as nobody: no sanitizer report"
    fi
}
