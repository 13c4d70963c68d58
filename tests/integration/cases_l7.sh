# cases_l7.sh: deny_at: l7 (sourced by run.sh). An http(s) probe that expects a deny at L7
# passes only on the proxy's own refusal: HTTP 403 with Envoy's body "Access denied" (a
# loopback server answering as Cilium's Envoy does); the server's own 403s, a 200 or no
# answer do not prove it. dns probes do not take the key (c-ares reports a REFUSED answer as
# "no server answered"): validate refuses it.

cases_l7() {
    local L CLOSED
    L=$(port l7); CLOSED=$CLOSED_PORT
    cat >"$T/l7.json" <<EOF2
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "web": { "selector": { "app": "web" }, "probes": [
    { "name": "envoy", "kind": "http", "method": "PUT", "url": "http://127.0.0.1:$L/envoy", "expect": "deny",
      "deny_at": "l7" },
    { "name": "own-403", "kind": "http", "url": "http://127.0.0.1:$L/forbidden", "expect": "deny",
      "deny_at": "l7" },
    { "name": "own-403-access-denied-html", "kind": "http", "url": "http://127.0.0.1:$L/denied-html",
      "expect": "deny", "deny_at": "l7" },
    { "name": "served", "kind": "http", "url": "http://127.0.0.1:$L/ok", "expect": "deny", "deny_at": "l7" },
    { "name": "closed", "kind": "http", "url": "http://127.0.0.1:$CLOSED/envoy", "expect": "deny",
      "deny_at": "l7" },
    { "name": "envoy-without-deny-at", "kind": "http", "url": "http://127.0.0.1:$L/envoy", "expect": "deny" },
    { "name": "envoy-allow", "kind": "http", "url": "http://127.0.0.1:$L/envoy", "expect": "allow" }
  ] } }
}
EOF2
    runz l7 1 run -c "$T/l7.json" --role web
    chk "deny_at l7: Envoy's 403 Access denied -> l7_denied, pass" l7 envoy verdict=pass outcome=l7_denied \
        'detail~Access denied'
    chk "deny_at l7: the server's own 403 -> fail" l7 own-403 verdict=fail outcome=http_status
    chk "deny_at l7: a 403 whose page says Access denied is still the server's -> fail" l7 \
        own-403-access-denied-html verdict=fail outcome=http_status
    chk "deny_at l7: a 200 -> fail" l7 served verdict=fail outcome=ok
    chk "deny_at l7: no connection is not the proxy's refusal -> inconclusive" l7 closed \
        verdict=inconclusive outcome=refused
    chk "without deny_at, Envoy's 403 is an answer: the deny fails" l7 envoy-without-deny-at verdict=fail \
        outcome=http_status
    chk "expect allow: Envoy's 403 fails the allow" l7 envoy-allow verdict=fail outcome=http_status
    # The key is checked: l7 needs expect deny; on a dns probe only REFUSED passes, so no
    # expect_rcode beside it.
    sed 's/"expect": "allow" }/"expect": "allow", "deny_at": "l7" }/' "$T/l7.json" >"$T/l7-bad.json"
    runz l7bad 2 validate -c "$T/l7-bad.json"
    grep -q 'deny_at: l7 needs expect: deny' "$T/r/l7bad.err"
    check "deny_at l7 on an allow probe: exit 2 naming the path" status_ok $? "$(head -c 300 "$T/r/l7bad.err")"
    printf '{"version": 1, "roles": {"w": {"selector": {"a": "b"}, "probes": [{"name": "d", "kind": "dns", "query": "x.test", "expect": "deny", "deny_at": "l7", "expect_rcode": "nxdomain"}]}}}' >"$T/l7dns.json"
    runz l7dns 2 validate -c "$T/l7dns.json"
    grep -q 'probes\[0\].deny_at: l7 takes no expect_rcode or answers_within' "$T/r/l7dns.err"
    check "deny_at l7 with expect_rcode on a dns probe: exit 2 naming the path" status_ok $? \
        "$(head -c 300 "$T/r/l7dns.err")"
}
