# cases_tls.sh: https probes against TLS servers whose CA is made at test time (sourced by
# run.sh). Names go through dnsmasq (svc.test), so SNI and verification use the name.

cases_tls() {
    local G W ST H
    G=$(port tls-good); W=$(port tls-wrong); ST=$(port tls-stall); H=$(port healthy)
    cat >"$T/tls.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "web": { "selector": { "app": "web" }, "probes": [
    { "name": "trusted-name", "kind": "https", "url": "https://svc.test:$G/health", "expect": "allow",
      "ca_file": "$T/pki/ca.pem", "status": [200], "body_contains": "healthy" },
    { "name": "trusted-ip", "kind": "https", "url": "https://127.0.0.1:$G/health", "expect": "allow",
      "ca_file": "$T/pki/ca.pem" },
    { "name": "wrong-name", "kind": "https", "url": "https://svc.test:$W/health", "expect": "allow",
      "ca_file": "$T/pki/ca.pem" },
    { "name": "untrusted-ca", "kind": "https", "url": "https://svc.test:$G/health", "expect": "allow",
      "ca_file": "$T/pki/other-ca.pem" },
    { "name": "system-ca", "kind": "https", "url": "https://svc.test:$G/health", "expect": "allow" },
    { "name": "handshake-stall", "kind": "https", "url": "https://svc.test:$ST/", "expect": "deny",
      "ca_file": "$T/pki/ca.pem" },
    { "name": "deny-trusted", "kind": "https", "url": "https://svc.test:$G/health", "expect": "deny",
      "ca_file": "$T/pki/ca.pem" },
    { "name": "deny-untrusted", "kind": "https", "url": "https://svc.test:$G/health", "expect": "deny",
      "ca_file": "$T/pki/other-ca.pem" },
    { "name": "https-to-plain", "kind": "https", "url": "https://svc.test:$H/health", "expect": "allow",
      "ca_file": "$T/pki/ca.pem" },
    { "name": "plain-to-tls", "kind": "http", "url": "http://svc.test:$G/health", "expect": "allow" }
  ] } }
}
EOF
    runz tls 1 run -c "$T/tls.json" --role web
    chk "https trusted CA, name via DNS -> ok" tls trusted-name verdict=pass outcome=ok kind=https \
        addresses^127.0.0.1 timings_ms.dns!=null timings_ms.tls!=null timings_ms.connect!=null
    chk "https trusted CA, IP SAN -> ok" tls trusted-ip verdict=pass outcome=ok timings_ms.dns=null
    chk "https wrong certificate name -> tls_error" tls wrong-name verdict=fail outcome=tls_error hint!=null
    chk "https untrusted CA -> tls_error" tls untrusted-ca verdict=fail outcome=tls_error hint!=null
    chk "https system CA bundle does not trust the test CA -> tls_error" tls system-ca \
        verdict=fail outcome=tls_error
    chk "https handshake stall, deny -> fail (TCP connected)" tls handshake-stall verdict=fail \
        'outcome@tls_error|app_timeout' 'duration_ms<2500'
    chk "https deny to a trusted server -> fail" tls deny-trusted verdict=fail outcome=ok
    chk "https deny, TLS rejected -> fail (TCP connected)" tls deny-untrusted verdict=fail outcome=tls_error
    # The handshake fails because the peer speaks HTTP: either outcome is fair (both say
    # "connected"), and neither may pass.
    chk "https to a plain HTTP server -> tls_error or protocol_error" tls https-to-plain verdict=fail \
        'outcome@tls_error|protocol_error' 
    chk "http to a TLS server -> protocol_error" tls plain-to-tls verdict=fail \
        'outcome@protocol_error|app_timeout'

    # --ca-file overrides defaults.ca_file (a probe without its own ca_file uses it).
    cat >"$T/tls-cafile.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "web": { "selector": { "app": "web" }, "probes": [
    { "name": "via-flag", "kind": "https", "url": "https://svc.test:$G/health", "expect": "allow" }
  ] } }
}
EOF
    runz tls-cafile 0 run -c "$T/tls-cafile.json" --role web --ca-file "$T/pki/ca.pem"
    chk "https --ca-file flag supplies the CA" tls-cafile via-flag verdict=pass outcome=ok
    runz tls-cafile-none 1 run -c "$T/tls-cafile.json" --role web
    chk "https same probe without --ca-file -> tls_error" tls-cafile-none via-flag outcome=tls_error
    cases_tls_kind
}

# The tls kind: a handshake with full verification and nothing after it, against the same
# servers plus ALPN, TLS 1.2-only and expired-certificate ones.
cases_tls_kind() {
    local G W ST H A V X E
    G=$(port tls-good); W=$(port tls-wrong); ST=$(port tls-stall); H=$(port healthy)
    A=$(port tls-alpn); V=$(port tls-12); X=$(port tls-expired); E=$(port echo)
    cat >"$T/tlskind.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000, "ca_file": "$T/pki/ca.pem" },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "db": { "selector": { "app": "db" }, "probes": [
    { "name": "good", "kind": "tls", "host": "svc.test", "port": $G, "expect": "allow" },
    { "name": "good-ip", "kind": "tls", "host": "127.0.0.1", "port": $G, "expect": "allow" },
    { "name": "wrong-name", "kind": "tls", "host": "svc.test", "port": $W, "expect": "allow" },
    { "name": "unknown-ca", "kind": "tls", "host": "svc.test", "port": $G, "expect": "allow",
      "ca_file": "$T/pki/other-ca.pem" },
    { "name": "expired", "kind": "tls", "host": "localhost", "port": $X, "expect": "allow" },
    { "name": "alpn-match", "kind": "tls", "host": "svc.test", "port": $A, "expect": "allow",
      "alpn": ["postgresql", "kafka"] },
    { "name": "alpn-mismatch", "kind": "tls", "host": "svc.test", "port": $A, "expect": "allow",
      "alpn": ["postgresql"] },
    { "name": "alpn-unsupported", "kind": "tls", "host": "svc.test", "port": $G, "expect": "allow",
      "alpn": ["h2"] },
    { "name": "v12-default", "kind": "tls", "host": "svc.test", "port": $V, "expect": "allow" },
    { "name": "v13-refused", "kind": "tls", "host": "svc.test", "port": $V, "expect": "allow",
      "min_version": "1.3" },
    { "name": "v13-ok", "kind": "tls", "host": "svc.test", "port": $G, "expect": "allow",
      "min_version": "1.3" },
    { "name": "plain-http", "kind": "tls", "host": "svc.test", "port": $H, "expect": "allow" },
    { "name": "plain-echo", "kind": "tls", "host": "svc.test", "port": $E, "expect": "allow" },
    { "name": "stall", "kind": "tls", "host": "svc.test", "port": $ST, "expect": "allow" },
    { "name": "refused", "kind": "tls", "host": "svc.test", "port": $CLOSED_PORT, "expect": "allow" },
    { "name": "deny-verified", "kind": "tls", "host": "svc.test", "port": $G, "expect": "deny" },
    { "name": "deny-unverified", "kind": "tls", "host": "svc.test", "port": $W, "expect": "deny" },
    { "name": "deny-refused", "kind": "tls", "host": "svc.test", "port": $CLOSED_PORT, "expect": "deny" }
  ] } }
}
EOF
    runz tlskind 1 run -c "$T/tlskind.json" --role db
    chk "tls trusted CA, name -> ok, timings" tlskind good verdict=pass outcome=ok kind=tls \
        target=svc.test:$G timings_ms.connect!=null timings_ms.tls!=null 'detail~certificate verified'
    chk "tls trusted CA, IP SAN -> ok" tlskind good-ip verdict=pass outcome=ok
    chk "tls certificate for another name -> tls_error" tlskind wrong-name verdict=fail outcome=tls_error \
        'detail~hostname mismatch' hint!=null
    chk "tls unknown CA -> tls_error" tlskind unknown-ca verdict=fail outcome=tls_error 'detail~local issuer'
    chk "tls expired certificate -> tls_error" tlskind expired verdict=fail outcome=tls_error 'detail~expired'
    chk "tls ALPN offered, one selected -> ok" tlskind alpn-match verdict=pass outcome=ok 'detail~ALPN kafka'
    chk "tls ALPN none in common -> tls_error" tlskind alpn-mismatch verdict=fail outcome=tls_error \
        'detail~no ALPN'
    chk "tls ALPN ignored by the server -> tls_error" tlskind alpn-unsupported verdict=fail outcome=tls_error
    chk "tls TLS 1.2 server, default minimum -> ok" tlskind v12-default verdict=pass outcome=ok 'detail~TLSv1.2'
    chk "tls min_version 1.3 to a TLS 1.2 server -> tls_error" tlskind v13-refused verdict=fail \
        outcome=tls_error 'detail~protocol version'
    chk "tls min_version 1.3 -> ok over TLS 1.3" tlskind v13-ok verdict=pass outcome=ok 'detail~TLSv1.3'
    chk "tls to a plain HTTP server -> protocol_error" tlskind plain-http verdict=fail outcome=protocol_error
    chk "tls to a TCP echo (no TLS) -> connected, not ok" tlskind plain-echo verdict=fail \
        'outcome@protocol_error|tls_error|app_timeout'
    chk "tls handshake stall -> app_timeout" tlskind stall verdict=fail outcome=app_timeout \
        timings_ms.connect!=null 'duration_ms<2500'
    chk "tls nothing listening -> refused" tlskind refused verdict=fail outcome=refused
    chk "tls deny, verified handshake -> fail" tlskind deny-verified verdict=fail outcome=ok
    chk "tls deny, handshake rejected -> fail (connected)" tlskind deny-unverified verdict=fail \
        outcome=tls_error
    chk "tls deny, refused -> inconclusive" tlskind deny-refused verdict=inconclusive outcome=refused
}
