# cases_http.sh: plain HTTP and TCP probes against zt_server.py modes on loopback (sourced
# by run.sh). Every probe of the group runs in one agent run; each result is asserted alone.

cases_http() {
    local H H6 S SIL RST GAR TRI END BIG RED ECHO CLOSED
    H=$(port healthy); H6=$(port healthy6); S=$(port status); SIL=$(port silent); RST=$(port reset)
    GAR=$(port garbage); TRI=$(port trickle); END=$(port endless); BIG=$(port big)
    RED=$(port redirect); ECHO=$(port echo); CLOSED=$CLOSED_PORT
    cat >"$T/http.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "web": { "selector": { "app": "web" }, "probes": [
    { "name": "healthy", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "allow",
      "status": [200], "body_contains": "\"status\":\"healthy\"" },
    { "name": "healthy-default-status", "kind": "http", "url": "http://127.0.0.1:$H/health",
      "expect": "allow", "attempts": 3 },
    { "name": "status-404", "kind": "http", "url": "http://127.0.0.1:$S/health", "expect": "allow" },
    { "name": "status-404-listed", "kind": "http", "url": "http://127.0.0.1:$S/x", "expect": "allow",
      "status": [404] },
    { "name": "status-any", "kind": "http", "url": "http://127.0.0.1:$S/x", "expect": "allow",
      "status": "any" },
    { "name": "body-mismatch", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "allow",
      "body_contains": "\"status\":\"degraded\"" },
    { "name": "silent", "kind": "http", "url": "http://127.0.0.1:$SIL/health", "expect": "allow" },
    { "name": "reset", "kind": "http", "url": "http://127.0.0.1:$RST/health", "expect": "allow" },
    { "name": "garbage", "kind": "http", "url": "http://127.0.0.1:$GAR/health", "expect": "allow" },
    { "name": "trickle", "kind": "http", "url": "http://127.0.0.1:$TRI/health", "expect": "allow" },
    { "name": "endless", "kind": "http", "url": "http://127.0.0.1:$END/", "expect": "allow",
      "body_contains": "never-there", "timeout_ms": 1500 },
    { "name": "big", "kind": "http", "url": "http://127.0.0.1:$BIG/", "expect": "allow",
      "body_contains": "never-there", "timeout_ms": 1500 },
    { "name": "closed", "kind": "http", "url": "http://127.0.0.1:$CLOSED/", "expect": "allow" },
    { "name": "closed-2-attempts", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED, "expect": "allow",
      "attempts": 2 },
    { "name": "ipv6-literal", "kind": "http", "url": "http://[::1]:$H6/health", "expect": "allow",
      "body_contains": "healthy" },
    { "name": "tcp-ipv6-literal", "kind": "tcp", "host": "::1", "port": $H6, "expect": "allow" },
    { "name": "deny-healthy", "kind": "http", "url": "http://127.0.0.1:$H/health", "expect": "deny" },
    { "name": "deny-closed", "kind": "http", "url": "http://127.0.0.1:$CLOSED/", "expect": "deny" },
    { "name": "deny-closed-refused-ok", "kind": "http", "url": "http://127.0.0.1:$CLOSED/",
      "expect": "deny", "deny_outcomes": ["timeout", "unreachable", "refused"] },
    { "name": "deny-echo-proxy", "kind": "http", "url": "http://127.0.0.1:$ECHO/", "expect": "deny" },
    { "name": "redirect-302", "kind": "http", "url": "http://127.0.0.1:$RED/health", "expect": "allow",
      "follow_redirects": false, "status": [302] },
    { "name": "redirect-default", "kind": "http", "url": "http://127.0.0.1:$RED/health",
      "expect": "allow" },
    { "name": "tcp-open", "kind": "tcp", "host": "127.0.0.1", "port": $H, "expect": "allow" },
    { "name": "tcp-closed", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED, "expect": "allow" },
    { "name": "tcp-deny-open", "kind": "tcp", "host": "127.0.0.1", "port": $ECHO, "expect": "deny" },
    { "name": "tcp-deny-closed", "kind": "tcp", "host": "127.0.0.1", "port": $CLOSED, "expect": "deny" }
  ] } }
}
EOF
    runz http 1 run -c "$T/http.json" --role web
    chk "http healthy 200 + body -> ok/pass" http healthy verdict=pass outcome=ok hint=null \
        kind=http expect=allow attempts=1 addresses^127.0.0.1 timings_ms.connect!=null \
        timings_ms.first_byte!=null timings_ms.tls=null timings_ms.dns=null 'duration_ms>0'
    chk "http default status (any 2xx), attempts 3 stops at first ok" http healthy-default-status \
        verdict=pass outcome=ok attempts=1
    chk "http 404 -> http_status, fail with hint" http status-404 verdict=fail outcome=http_status \
        hint!=null detail~404
    chk "http 404 listed in status -> pass" http status-404-listed verdict=pass outcome=ok
    chk "http status any -> pass on 404" http status-any verdict=pass outcome=ok
    chk "http body mismatch -> body_mismatch" http body-mismatch verdict=fail outcome=body_mismatch hint!=null
    chk "http silent server -> app_timeout near timeout_ms" http silent verdict=fail \
        outcome=app_timeout hint!=null 'duration_ms>900' 'duration_ms<2500' timings_ms.connect!=null
    chk "http reset -> protocol_error" http reset verdict=fail outcome=protocol_error hint!=null
    chk "http garbage -> protocol_error" http garbage verdict=fail outcome=protocol_error hint!=null
    chk "http trickled headers -> app_timeout near timeout_ms" http trickle verdict=fail \
        outcome=app_timeout 'duration_ms<2500'
    chk "http endless body is bounded in time" http endless verdict=fail \
        'outcome@body_mismatch|app_timeout|protocol_error' 'duration_ms<3000'
    chk "http 100 MB body is bounded in time" http big verdict=fail \
        'outcome@body_mismatch|app_timeout|protocol_error' 'duration_ms<3000'
    chk "http closed port -> refused" http closed verdict=fail outcome=refused hint!=null \
        timings_ms.first_byte=null
    chk "tcp allow, 2 attempts on a closed port -> both made" http closed-2-attempts verdict=fail \
        outcome=refused attempts=2
    chk "http to an IPv6 literal -> ok" http ipv6-literal verdict=pass outcome=ok addresses^::1 \
        'target~::1'
    chk "tcp to an IPv6 literal -> ok" http tcp-ipv6-literal verdict=pass outcome=ok addresses^::1
    chk "http deny to a healthy server -> fail (connected)" http deny-healthy verdict=fail \
        outcome=ok 'hint~kubectl' expect=deny
    chk "http deny to a closed port -> inconclusive by default" http deny-closed \
        verdict=inconclusive outcome=refused hint!=null
    chk "http deny, refused listed in deny_outcomes -> pass" http deny-closed-refused-ok \
        verdict=pass outcome=refused hint=null
    chk "http deny through an accept-all proxy -> fail" http deny-echo-proxy verdict=fail \
        'outcome@app_timeout|protocol_error|ok|http_status'
    chk "http redirect not followed, status [302] -> ok" http redirect-302 verdict=pass outcome=ok
    chk "http redirect not followed, default status -> http_status" http redirect-default \
        verdict=fail outcome=http_status
    chk "tcp open port -> ok" http tcp-open verdict=pass outcome=ok kind=tcp timings_ms.connect!=null
    chk "tcp closed port -> refused" http tcp-closed verdict=fail outcome=refused
    chk "tcp deny to a listening port -> fail" http tcp-deny-open verdict=fail outcome=ok
    chk "tcp deny to a closed port -> inconclusive" http tcp-deny-closed verdict=inconclusive outcome=refused
    chk "http run summary counts" http - schema=ztprobe/report/v1 role=web summary.total=26 \
        summary.passed=9 summary.inconclusive=2 summary.failed=15 summary.ok=false results#26
    local ms
    ms=$(wall_ms http)
    expect_between "http group ran its probes concurrently (wall ms)" "$ms" 900 6000
}
