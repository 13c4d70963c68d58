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
}
