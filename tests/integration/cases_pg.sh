# cases_pg.sh: postgres probes against a real PostgreSQL 15 (tests/servers/pg.sh), a silent
# listener and an HTTP server on the "pg" port (sourced by run.sh). Also checks that no
# password ever reaches stdout or stderr, in every output format and with -v.

cases_pg() {
    local P PS H
    P=$PG_PORT; PS=$(port pg-silent); H=$(port healthy)
    printf '%s\n' "$PG_PASSWORD" >"$T/pgpass"
    chmod 600 "$T/pgpass"
    cat >"$T/pg.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1500, "ca_file": "$T/pki/ca.pem" },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "backend": { "selector": { "app": "backend" }, "probes": [
    { "name": "pg-ok", "kind": "postgres", "host": "127.0.0.1", "port": $P, "user": "govtech_admin",
      "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "query": "SELECT version()",
      "expect": "allow" },
    { "name": "pg-wrong-password", "kind": "postgres", "host": "127.0.0.1", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGBAD", "expect": "allow" },
    { "name": "pg-unknown-user", "kind": "postgres", "host": "127.0.0.1", "port": $P,
      "user": "nobody_here", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "expect": "allow" },
    { "name": "pg-password-file", "kind": "postgres", "host": "127.0.0.1", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_file": "$T/pgpass", "expect": "allow" },
    { "name": "pg-bad-query", "kind": "postgres", "host": "127.0.0.1", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD",
      "query": "SELECT * FROM no_such_table_zt", "expect": "allow" },
    { "name": "pg-verify-full", "kind": "postgres", "host": "svc.test", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD",
      "sslmode": "verify-full", "sslrootcert": "$T/pki/ca.pem", "expect": "allow" },
    { "name": "pg-verify-untrusted", "kind": "postgres", "host": "svc.test", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD",
      "sslmode": "verify-full", "sslrootcert": "$T/pki/other-ca.pem", "expect": "allow" },
    { "name": "pg-deny-open", "kind": "postgres", "host": "127.0.0.1", "port": $P,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGBAD", "expect": "deny" },
    { "name": "pg-silent", "kind": "postgres", "host": "127.0.0.1", "port": $PS,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD",
      "timeout_ms": 1000, "expect": "allow" },
    { "name": "pg-http-server", "kind": "postgres", "host": "127.0.0.1", "port": $H,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "expect": "allow" },
    { "name": "pg-closed", "kind": "postgres", "host": "127.0.0.1", "port": $CLOSED_PORT,
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "expect": "deny" }
  ] } }
}
EOF
    export ZT_IT_PGPASSWORD=$PG_PASSWORD ZT_IT_PGBAD=$PG_BAD_PASSWORD
    runz pg 1 run -c "$T/pg.json" --role backend
    chk "postgres right password -> ok, version in detail" pg pg-ok verdict=pass outcome=ok \
        'detail~PostgreSQL 15' addresses^127.0.0.1 timings_ms.connect!=null timings_ms.first_byte!=null
    chk "postgres wrong password -> auth_failed" pg pg-wrong-password verdict=fail outcome=auth_failed hint!=null
    chk "postgres unknown user -> auth_failed" pg pg-unknown-user verdict=fail outcome=auth_failed
    chk "postgres password_file -> ok" pg pg-password-file verdict=pass outcome=ok
    chk "postgres bad query -> query_failed" pg pg-bad-query verdict=fail outcome=query_failed \
        'detail~no_such_table_zt'
    chk "postgres sslmode verify-full with the test CA -> ok" pg pg-verify-full verdict=pass outcome=ok \
        timings_ms.dns!=null
    chk "postgres verify-full with another CA -> tls_error" pg pg-verify-untrusted verdict=fail outcome=tls_error
    chk "postgres deny, server answered -> fail" pg pg-deny-open verdict=fail outcome=auth_failed
    chk "postgres silent listener -> app_timeout" pg pg-silent verdict=fail outcome=app_timeout \
        'duration_ms>900' 'duration_ms<2500'
    chk "postgres port speaks HTTP -> protocol_error" pg pg-http-server verdict=fail outcome=protocol_error
    chk "postgres deny, closed port -> inconclusive" pg pg-closed verdict=inconclusive outcome=refused

    # The passwords never reach any output, whatever the format or verbosity.
    runz pg-v 1 run -c "$T/pg.json" --role backend -v
    runz pg-text 1 run -c "$T/pg.json" --role backend -o text -v
    runz pg-junit 1 run -c "$T/pg.json" --role backend -o junit
    runz pg-prom 1 run -c "$T/pg.json" --role backend -o prometheus
    local r leaked=""
    for r in pg pg-v pg-text pg-junit pg-prom; do
        if grep -qF -e "$PG_PASSWORD" -e "$PG_BAD_PASSWORD" "$T/r/$r.out" "$T/r/$r.err"; then
            leaked="$leaked $r"
        fi
    done
    if [ -z "$leaked" ]; then
        ok "postgres passwords absent from stdout/stderr (json, -v, text, junit, prometheus)"
    else
        notok "postgres passwords absent from stdout/stderr" "leaked in:$leaked"
    fi
    expect_stdout pg-text "postgres -o text lists the probes" "pg-wrong-password"
    # The table carries each failed probe's hint (the same sentence as the JSON report's).
    local hint
    hint=$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print([x["hint"] for x in r["results"] if x["name"]=="pg-bad-query"][0][:40])' "$T/r/pg.out" 2>/dev/null)
    if [ -n "$hint" ]; then
        expect_stdout pg-text "-o text shows the hint of a failed probe" "$hint"
    else
        notok "-o text shows the hint of a failed probe" "no hint for pg-bad-query in the JSON report"
    fi
    chk "-v keeps stdout a pure JSON report" pg-v - schema=ztprobe/report/v1 summary.total=11
    if [ -s "$T/r/pg-v.err" ]; then ok "-v logs to stderr"; else notok "-v logs to stderr" "stderr empty"; fi
    unset ZT_IT_PGPASSWORD ZT_IT_PGBAD

    # A password_env that is not set: the probe cannot authenticate, nothing crashes.
    runz pg-noenv 1 run -c "$T/pg.json" --role backend --only pg-ok
    chk "postgres password_env unset -> fails (never ok)" pg-noenv pg-ok verdict=fail

    cases_pgcred
}
