#!/usr/bin/env bash
# run.sh BIN: hostile peers (issue 5, item 1). Each case is one agent run with one probe against
# a misbehaving server on loopback, and asserts: the outcome the reference ("Outcomes") gives for it;
# that the run ended within the probe's timeout_ms plus a margin ($ZT_MARGIN_MS, default 1500,
# room for ASan's start-up); a bounded peak RSS ($ZT_RSS_MAX_KB, default 65536 = 64 MB, under a
# 100 MB body or an endless stream); exit 0/1 matching the verdict; no sanitizer report.
# Prints "ok - ..."/"not ok - ..." and "N passed, M failed"; exits non-zero on a failure.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
zt_agent "${1:-}"
zt_init hostile
MARGIN=${ZT_MARGIN_MS:-1500}
RSS_MAX=${ZT_RSS_MAX_KB:-65536}

sh "$ROOT/tests/servers/mkca.sh" "$T/pki" || { echo "mkca.sh failed" >&2; exit 1; }
sh "$ROOT/tests/hostile/mkexpired.sh" "$T/pki" || { echo "mkexpired.sh failed" >&2; exit 1; }
CA=$T/pki/ca.pem

for m in silent trickle endless big redirect garbage reset tls-stall pg-silent healthy; do
    srv "$m" "$m" || exit 1
done
srv expired healthy --tls-cert "$T/pki/expired.pem" --tls-key "$T/pki/expired.key" || exit 1
for m in rst-on-accept close-on-accept banner header-flood tls-garbage; do peer "$m" "$m" || exit 1; done
for m in silent tc-tcp-silent tc-tcp-answer tc-tcp-reset malformed-short malformed-count \
    malformed-loop malformed-junk many; do
    dns_srv "dns-$m" "$m" || exit 1
done

# hcase NAME TIMEOUT_MS OUTCOMES PROBE [JQ LABEL]: one run of one probe (fields after "name");
# OUTCOMES is a|b|c; JQ, when given, is an extra jq condition on the result that must be true.
# The DNS server is $DNS (default: the silent one; "search": false resolves names as given).
hcase() {
    local name=$1 tmo=$2 want=$3 probe=$4 jqx=${5:-} jqlabel=${6:-} out verdict rc_want
    cat >"$T/$name.json" <<EOF
{ "version": 1, "defaults": { "timeout_ms": $tmo, "ca_file": "$CA" },
  "dns": { "servers": ["127.0.0.1:${DNS:-$(port dns-silent)}"], "search": false },
  "roles": { "h": { "selector": {}, "probes": [ { "name": "$name", $probe } ] } } }
EOF
    runm "$name" run -c "$T/$name.json" --role h
    out=$(jres "$T/$name.out" "$name" .outcome)
    verdict=$(jres "$T/$name.out" "$name" .verdict)
    if [[ "|$want|" == *"|$out|"* ]]; then
        ok "$name: outcome $out (want $want)"
    else
        notok "$name: outcome in $want" "got '${out:-no report}' ($(jres "$T/$name.out" "$name" .detail)); exit $RC; stderr: $(head -c 300 "$T/$name.err" | tr '\n' ' ')"
    fi
    rc_want=1
    [ "$verdict" = pass ] && rc_want=0
    [ "$RC" -eq "$rc_want" ]
    check "$name: exit $RC matches verdict ${verdict:-none}" status_ok $? "exit $RC, want $rc_want"
    [ "$MS" -le $((tmo + MARGIN)) ]
    check "$name: ended in ${MS} ms (deadline $tmo + $MARGIN ms)" status_ok $? "took $MS ms"
    [ "$RSS_KB" -gt 0 ] && [ "$RSS_KB" -lt "$RSS_MAX" ]
    check "$name: peak RSS $((RSS_KB / 1024)) MB < $((RSS_MAX / 1024)) MB" status_ok $? "peak RSS ${RSS_KB} kB"
    sanitizer_clean "$name"
    check "$name: no sanitizer report" status_ok $? "$(grep -m1 -E 'Sanitizer|runtime error' "$T/$name.err")"
    if [ -n "$jqx" ]; then
        [ "$(jres "$T/$name.out" "$name" "$jqx")" = true ]
        check "$name: $jqlabel" status_ok $? "jq '$jqx' not true on $(jq -c --arg n "$name" '.results[]|select(.name==$n)|{detail,addresses}' "$T/$name.out" 2>/dev/null)"
    fi
}

url() { echo "\"url\": \"$1://127.0.0.1:$(port "$2")/health\""; }
pgp() { echo "\"kind\": \"postgres\", \"host\": \"127.0.0.1\", \"port\": $(port "$1"), \"user\": \"u\", \"dbname\": \"d\", \"expect\": \"allow\""; }
# The capped prefix: "body truncated at N bytes" with N at most 1 MiB, never the 100 MB.
CAPPED='(.detail | test("truncated")) and ((.detail | capture("truncated at (?<n>[0-9]+)").n | tonumber) <= 1048576)'

# --- HTTP
hcase http-silent 1000 app_timeout "\"kind\": \"http\", $(url http silent), \"expect\": \"allow\""
hcase http-trickled-headers 1000 app_timeout "\"kind\": \"http\", $(url http trickle), \"expect\": \"allow\""
hcase http-endless-body 1500 ok "\"kind\": \"http\", $(url http endless), \"expect\": \"allow\"" \
    "$CAPPED" "detail says the body was truncated at a capped prefix"
hcase http-endless-body-contains 1500 ok "\"kind\": \"http\", $(url http endless), \"expect\": \"allow\", \"body_contains\": \"xxxxxxxx\"" \
    "$CAPPED" "body check passes on the capped prefix"
hcase http-endless-body-mismatch 1500 body_mismatch "\"kind\": \"http\", $(url http endless), \"expect\": \"allow\", \"body_contains\": \"never-there\"" \
    "$CAPPED" "body_mismatch judged on the capped prefix, detail says truncated"
hcase http-100mb-body 3000 ok "\"kind\": \"http\", $(url http big), \"expect\": \"allow\"" \
    "$CAPPED" "100 MB body not read whole: capped prefix"
hcase http-100mb-body-mismatch 3000 body_mismatch "\"kind\": \"http\", $(url http big), \"expect\": \"allow\", \"body_contains\": \"never-there\"" \
    "$CAPPED" "100 MB body: body check on the capped prefix"
hcase http-redirect-loop 1500 http_status "\"kind\": \"http\", $(url http redirect), \"expect\": \"allow\"" \
    '.detail | test("302")' "redirect not followed by default: judged as 302"
hcase http-redirect-302-listed 1500 ok "\"kind\": \"http\", $(url http redirect), \"expect\": \"allow\", \"status\": [302]"
hcase http-redirect-loop-followed 3000 "http_status|protocol_error" "\"kind\": \"http\", $(url http redirect), \"expect\": \"allow\", \"follow_redirects\": true" \
    '.detail | test("redirect"; "i")' "following a loop stops at the redirect cap and says so"
hcase http-garbage 1500 protocol_error "\"kind\": \"http\", $(url http garbage), \"expect\": \"allow\""
hcase http-reset-after-request 1500 protocol_error "\"kind\": \"http\", $(url http reset), \"expect\": \"allow\""
hcase http-reset-on-accept 1500 protocol_error "\"kind\": \"http\", $(url http rst-on-accept), \"expect\": \"allow\""
hcase http-close-on-accept 1500 protocol_error "\"kind\": \"http\", $(url http close-on-accept), \"expect\": \"allow\""
hcase http-header-flood 1500 "protocol_error|app_timeout" "\"kind\": \"http\", $(url http header-flood), \"expect\": \"allow\""
# A deny probe against a hostile peer: it connected, so the path is open and the probe fails.
hcase http-deny-silent 1000 app_timeout "\"kind\": \"http\", $(url http silent), \"expect\": \"deny\"" \
    '.verdict == "fail"' "deny probe that connected fails"

# --- TLS
hcase https-tls-stall 1000 app_timeout "\"kind\": \"https\", $(url https tls-stall), \"expect\": \"allow\""
hcase https-expired-cert 1500 tls_error "\"kind\": \"https\", \"url\": \"https://localhost:$(port expired)/health\", \"expect\": \"allow\"" \
    '.detail | test("expired")' "detail names the expired certificate"
hcase https-expired-cert-ip 1500 tls_error "\"kind\": \"https\", $(url https expired), \"expect\": \"allow\""
hcase https-not-tls 1500 "tls_error|protocol_error" "\"kind\": \"https\", $(url https tls-garbage), \"expect\": \"allow\""

# --- PostgreSQL
hcase pg-http-service 1500 protocol_error "$(pgp healthy)"
hcase pg-ssh-banner 1500 protocol_error "$(pgp banner)"
hcase pg-ssh-banner-nossl 1500 protocol_error "$(pgp banner), \"sslmode\": \"disable\""
hcase pg-reset-on-accept 1500 protocol_error "$(pgp rst-on-accept)"
hcase pg-silent 1000 app_timeout "$(pgp pg-silent)"
hcase pg-silent-nossl 1000 app_timeout "$(pgp pg-silent), \"sslmode\": \"disable\""

# --- DNS ("server" per probe, or the silent default for names in urls/hosts)
dq() { echo "\"kind\": \"dns\", \"query\": \"svc.test\", \"server\": \"127.0.0.1:$(port "$1")\", \"expect\": \"allow\""; }
NOADDR='(.addresses // []) | length == 0'
hcase dns-silent 1000 dns_timeout "$(dq dns-silent)" "$NOADDR" "no addresses"
hcase dns-silent-http 1000 dns_timeout "\"kind\": \"http\", \"url\": \"http://svc.test:$(port healthy)/health\", \"expect\": \"allow\""
hcase dns-silent-postgres 1000 dns_timeout "\"kind\": \"postgres\", \"host\": \"svc.test\", \"port\": $(port pg-silent), \"user\": \"u\", \"dbname\": \"d\", \"expect\": \"allow\""
hcase dns-tc-tcp-silent 1500 "dns_timeout|dns_error" "$(dq dns-tc-tcp-silent)" "$NOADDR" "no addresses"
hcase dns-tc-tcp-answer 1500 ok "$(dq dns-tc-tcp-answer)" '.addresses == ["127.0.0.1"]' "TCP fallback answer used"
# c-ares reports a TCP connection reset by the server as ARES_ECONNREFUSED, which the agent
# calls "refused" (the DNS server refused): accepted here, the point is "never a hang".
hcase dns-tc-tcp-reset 1500 "dns_timeout|dns_error|refused" "$(dq dns-tc-tcp-reset)" "$NOADDR" "no addresses"
for m in short count loop junk; do
    hcase "dns-malformed-$m" 1500 "dns_error|dns_timeout" "$(dq "dns-malformed-$m")" "$NOADDR" "no addresses"
done
hcase dns-4000-records 3000 ok "$(dq dns-many)" '(.addresses | length) == 16' "addresses capped at 16"
# The same flood resolving a host for a tcp probe: the transfer uses one address, bounded.
DNS=$(port dns-many) hcase dns-4000-records-tcp 3000 ok "\"kind\": \"tcp\", \"host\": \"svc.test\", \"port\": $(port healthy), \"expect\": \"allow\"" \
    '(.addresses | length) <= 16' "addresses capped at 16"

# --- UDP peers (tests/servers/udp_peer.py): garbage, the largest datagram, a flood of
# replies, silence; one datagram decides, the rest is never buffered per probe.
for m in echo garbage big many silent; do
    zt_serve "udp-$m" "$PY" "$ROOT/tests/servers/udp_peer.py" --mode "$m" --port-file "$T/udp-$m.port" --max-seconds 300 || exit 1
done
uq() { echo "\"kind\": \"udp\", \"host\": \"127.0.0.1\", \"port\": $(port "udp-$1"), \"expect\": \"allow\""; }
hcase udp-echo 1000 ok "$(uq echo), \"send\": \"\\\\x00hi\", \"expect_reply\": \"pong:\\\\x00hi\""
hcase udp-garbage 1000 body_mismatch "$(uq garbage), \"expect_reply\": \"pong\""
hcase udp-64k-reply 1000 ok "$(uq big), \"expect_reply\": \"BBBB\"" '.detail | test("65507 bytes")' "the whole datagram read"
hcase udp-flood 1000 ok "$(uq many)"
hcase udp-flood-mismatch 1000 body_mismatch "$(uq many), \"expect_reply\": \"never-there\""
hcase udp-silent 1000 timeout "$(uq silent)"
hcase udp-silent-3-attempts 1000 timeout "$(uq silent), \"attempts\": 3, \"timeout_ms\": 300" '.attempts == 3' "three attempts"

zt_finish
