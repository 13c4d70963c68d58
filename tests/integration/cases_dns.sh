# cases_dns.sh: dns probes and name resolution for connection probes, against dnsmasq on
# loopback, a UDP "server" that reads and never answers, and a closed UDP port (sourced by
# run.sh).

cases_dns() {
    local D DROP H NOCONN UDPCLOSED
    D=127.0.0.1:$DNS_PORT; DROP=127.0.0.1:$(port dns-drop); H=$(port healthy)
    NOCONN=$(port noconn); UDPCLOSED=127.0.0.1:$CLOSED_UDP_PORT
    cat >"$T/dns.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["$D"], "search": false },
  "roles": { "r": { "selector": { "app": "r" }, "probes": [
    { "name": "known", "kind": "dns", "query": "svc.test", "expect": "allow" },
    { "name": "known-server-field", "kind": "dns", "query": "svc.test", "server": "$D", "expect": "allow" },
    { "name": "unknown", "kind": "dns", "query": "nope.test", "expect": "allow" },
    { "name": "aaaa-on-v4-only", "kind": "dns", "query": "svc.test", "type": "AAAA", "expect": "allow" },
    { "name": "aaaa", "kind": "dns", "query": "v6.test", "type": "AAAA", "expect": "allow" },
    { "name": "answers-mismatch", "kind": "dns", "query": "multi.test", "expect": "allow",
      "answers_within": ["127.0.0.1/32"] },
    { "name": "answers-within", "kind": "dns", "query": "multi.test", "expect": "allow",
      "answers_within": ["127.0.0.0/8"] },
    { "name": "expect-nxdomain", "kind": "dns", "query": "nope.test", "expect": "allow",
      "expect_rcode": "nxdomain" },
    { "name": "expect-nxdomain-exists", "kind": "dns", "query": "svc.test", "expect": "allow",
      "expect_rcode": "nxdomain" },
    { "name": "server-silent", "kind": "dns", "query": "svc.test", "server": "$DROP", "expect": "allow" },
    { "name": "deny-server-silent", "kind": "dns", "query": "svc.test", "server": "$DROP", "expect": "deny" },
    { "name": "deny-server-closed", "kind": "dns", "query": "svc.test", "server": "$UDPCLOSED",
      "expect": "deny" },
    { "name": "deny-answered", "kind": "dns", "query": "svc.test", "expect": "deny" },
    { "name": "tcp-by-name", "kind": "tcp", "host": "svc.test", "port": $H, "expect": "allow" },
    { "name": "tcp-nxdomain", "kind": "tcp", "host": "nope.test", "port": $H, "expect": "allow" },
    { "name": "tcp-deny-nxdomain", "kind": "tcp", "host": "nope.test", "port": $H, "expect": "deny" },
    { "name": "http-resolved-within", "kind": "http", "url": "http://svc.test:$H/health", "expect": "allow",
      "resolved_within": ["127.0.0.0/8"] },
    { "name": "http-resolved-outside", "kind": "http", "url": "http://multi.test:$NOCONN/", "expect": "allow",
      "resolved_within": ["127.0.0.1/32"] },
    { "name": "noconn-control", "kind": "tcp", "host": "127.0.0.1", "port": $NOCONN, "expect": "allow" },
    { "name": "deny-resolved-outside", "kind": "tcp", "host": "multi.test", "port": $NOCONN, "expect": "deny",
      "resolved_within": ["127.0.0.1/32"] }
  ] } }
}
EOF
    runz dns 1 run -c "$T/dns.json" --role r
    chk "dns known name -> ok with the address" dns known verdict=pass outcome=ok kind=dns \
        addresses^127.0.0.1 addresses#1 timings_ms.dns!=null
    chk "dns probe with its own server field -> ok" dns known-server-field verdict=pass outcome=ok
    chk "dns unknown name -> dns_nxdomain" dns unknown verdict=fail outcome=dns_nxdomain hint!=null
    chk "dns AAAA on a v4-only name -> dns_nodata" dns aaaa-on-v4-only verdict=fail outcome=dns_nodata
    chk "dns AAAA -> ok ::1" dns aaaa verdict=pass outcome=ok addresses^::1
    chk "dns answers_within mismatch -> cidr_mismatch" dns answers-mismatch verdict=fail \
        outcome=cidr_mismatch hint!=null addresses#2
    chk "dns answers_within match -> ok" dns answers-within verdict=pass outcome=ok addresses#2
    chk "dns expect_rcode nxdomain on an unknown name -> pass" dns expect-nxdomain verdict=pass
    chk "dns expect_rcode nxdomain on an existing name -> fail" dns expect-nxdomain-exists verdict=fail
    chk "dns silent server -> dns_timeout" dns server-silent verdict=fail outcome=dns_timeout \
        'hint~53'  'duration_ms<2500'
    chk "dns deny, silent server -> pass" dns deny-server-silent verdict=pass outcome=dns_timeout
    chk "dns deny, server port closed -> pass" dns deny-server-closed verdict=pass \
        'outcome@refused|unreachable|dns_error'
    chk "dns deny, answered -> fail" dns deny-answered verdict=fail outcome=ok
    chk "tcp by name -> ok with the address and a dns timing" dns tcp-by-name verdict=pass outcome=ok \
        addresses^127.0.0.1 timings_ms.dns!=null
    chk "tcp to an unknown name -> dns_nxdomain" dns tcp-nxdomain verdict=fail outcome=dns_nxdomain
    chk "tcp deny to an unknown name -> inconclusive" dns tcp-deny-nxdomain verdict=inconclusive \
        outcome=dns_nxdomain
    chk "http resolved_within match -> ok" dns http-resolved-within verdict=pass outcome=ok
    chk "http resolved_within mismatch -> cidr_mismatch" dns http-resolved-outside verdict=fail \
        outcome=cidr_mismatch timings_ms.connect=null
    chk "tcp deny, resolved_within mismatch -> inconclusive" dns deny-resolved-outside \
        verdict=inconclusive outcome=cidr_mismatch
    # The server logs every connection: the control probe (literal IP) makes exactly one, the
    # two probes whose name resolved outside resolved_within must add none.
    chk "control probe to the logging server -> ok" dns noconn-control verdict=pass outcome=ok
    local conns
    conns=$(wc -l <"$T/noconn.conns" 2>/dev/null || echo 0)
    expect_between "resolved_within mismatch makes no connection (connections logged)" "$conns" 1 1

    # Config-wide DNS that never answers: connection probes by name end in dns_timeout, and a
    # deny probe is inconclusive, never pass.
    cat >"$T/dns-blocked.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["$DROP"], "search": false },
  "roles": { "r": { "selector": { "app": "r" }, "probes": [
    { "name": "tcp-allow", "kind": "tcp", "host": "svc.test", "port": $H, "expect": "allow" },
    { "name": "tcp-deny", "kind": "tcp", "host": "svc.test", "port": $H, "expect": "deny" },
    { "name": "http-deny", "kind": "http", "url": "http://svc.test:$H/health", "expect": "deny" },
    { "name": "dns-allow", "kind": "dns", "query": "svc.test", "expect": "allow" }
  ] } }
}
EOF
    runz dns-blocked 1 run -c "$T/dns-blocked.json" --role r
    chk "tcp by name, DNS silent -> dns_timeout" dns-blocked tcp-allow verdict=fail outcome=dns_timeout \
        hint!=null 'duration_ms<2500'
    chk "tcp deny by name, DNS silent -> inconclusive" dns-blocked tcp-deny verdict=inconclusive \
        outcome=dns_timeout
    chk "http deny by name, DNS silent -> inconclusive" dns-blocked http-deny verdict=inconclusive \
        outcome=dns_timeout
    chk "DNS silent -> dns_blocked diagnosis" dns-blocked - diagnoses.*.code^dns_blocked

    # 500 probes to one name at once share one lookup: each gets its own outcome, and the
    # server sees a handful of queries, not 500 (a burst that large overflows the resolver
    # socket in a pod and reads as a false dns_timeout).
    $PY - "$D" "$H" >"$T/dns-burst.json" <<'PYEOF'
import json, sys
d, h = sys.argv[1], int(sys.argv[2])
probes = [{"name": "p%d" % i, "kind": "tcp", "host": "svc.test", "port": h, "expect": "allow"}
          for i in range(500)]
print(json.dumps({"version": 1, "defaults": {"timeout_ms": 2000, "concurrency": 500},
                  "dns": {"servers": [d], "search": False},
                  "roles": {"r": {"selector": {"app": "r"}, "probes": probes}}}))
PYEOF
    local before after
    before=$(grep -c 'query\[A\] svc.test' "$T/dnsmasq.log" 2>/dev/null)
    runz dns-burst 0 run -c "$T/dns-burst.json" --role r
    sleep 0.3
    after=$(grep -c 'query\[A\] svc.test' "$T/dnsmasq.log" 2>/dev/null)
    chk "500 probes to one name -> every one ok with its own DNS timing" dns-burst - \
        summary.passed=500 'results.*.timings_ms.dns!=null'
    expect_between "500 probes to one name share their lookups (A queries seen by the server)" \
        "$((after - before))" 1 5

    cases_dns_l7
}

# deny_at: l7 on dns probes, against a server that answers as Cilium's DNS proxy under an L7
# DNS rule: REFUSED for refused.*, NXDOMAIN for nx.*, SERVFAIL for servfail.*, else 127.0.0.1.
cases_dns_l7() {
    local X SILENT UDPCLOSED
    if ! dns_srv dns-proxy cilium-proxy --query-log "$T/dns-proxy.queries"; then
        setup_failed "DNS proxy stand-in (tests/hostile/dns_server.py --mode cilium-proxy)"
        return
    fi
    X=127.0.0.1:$(port dns-proxy); SILENT=127.0.0.1:$(port dns-drop); UDPCLOSED=127.0.0.1:$CLOSED_UDP_PORT
    cat >"$T/dns-l7.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["$X"], "search": false },
  "roles": { "r": { "selector": { "app": "r" }, "probes": [
    { "name": "refused", "kind": "dns", "query": "refused.example.test", "expect": "deny", "deny_at": "l7" },
    { "name": "refused-aaaa", "kind": "dns", "query": "refused.example.test", "type": "AAAA",
      "expect": "deny", "deny_at": "l7" },
    { "name": "answered", "kind": "dns", "query": "api.example.test", "expect": "deny", "deny_at": "l7" },
    { "name": "nodata", "kind": "dns", "query": "api.example.test", "type": "AAAA", "expect": "deny",
      "deny_at": "l7" },
    { "name": "nxdomain", "kind": "dns", "query": "nx.example.test", "expect": "deny", "deny_at": "l7" },
    { "name": "servfail", "kind": "dns", "query": "servfail.example.test", "expect": "deny", "deny_at": "l7" },
    { "name": "silent", "kind": "dns", "query": "refused.example.test", "server": "$SILENT",
      "expect": "deny", "deny_at": "l7" },
    { "name": "closed", "kind": "dns", "query": "refused.example.test", "server": "$UDPCLOSED",
      "expect": "deny", "deny_at": "l7" },
    { "name": "plain-deny-refused", "kind": "dns", "query": "refused.example.test", "expect": "deny" },
    { "name": "plain-allow-refused", "kind": "dns", "query": "refused.example.test", "expect": "allow" },
    { "name": "plain-allow-answered", "kind": "dns", "query": "api.example.test", "expect": "allow" }
  ] } }
}
EOF
    runz dns-l7 1 run -c "$T/dns-l7.json" --role r
    chk "dns deny_at l7: REFUSED (the DNS proxy) -> l7_denied, pass" dns-l7 refused verdict=pass \
        outcome=l7_denied 'detail~REFUSED' hint=null
    chk "dns deny_at l7: REFUSED for AAAA -> l7_denied, pass" dns-l7 refused-aaaa verdict=pass outcome=l7_denied
    chk "dns deny_at l7: NOERROR with a record -> fail with the address" dns-l7 answered verdict=fail \
        outcome=ok addresses^127.0.0.1 'hint~rules.dns'
    chk "dns deny_at l7: NOERROR without records -> fail" dns-l7 nodata verdict=fail outcome=dns_nodata
    chk "dns deny_at l7: NXDOMAIN (a resolver answered) -> fail" dns-l7 nxdomain verdict=fail \
        outcome=dns_nxdomain
    chk "dns deny_at l7: SERVFAIL -> fail" dns-l7 servfail verdict=fail outcome=dns_error 'detail~rcode 2'
    chk "dns deny_at l7: silence is no refusal -> inconclusive" dns-l7 silent verdict=inconclusive \
        outcome=dns_timeout 'hint~REFUSED'
    chk "dns deny_at l7: port closed (ICMP) -> inconclusive" dns-l7 closed verdict=inconclusive \
        'outcome@refused|unreachable'
    # Plain dns probes keep their behaviour: c-ares reads a REFUSED answer as "no server".
    chk "plain dns deny, REFUSED -> refused, pass (unchanged)" dns-l7 plain-deny-refused verdict=pass \
        outcome=refused
    chk "plain dns allow, REFUSED -> refused, fail (unchanged)" dns-l7 plain-allow-refused verdict=fail \
        outcome=refused
    chk "plain dns allow, answered -> ok (unchanged)" dns-l7 plain-allow-answered verdict=pass outcome=ok
}
