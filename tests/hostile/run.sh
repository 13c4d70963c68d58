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
for m in rst-on-accept close-on-accept banner header-flood tls-garbage pg-c1; do peer "$m" "$m" || exit 1; done
for m in silent tc-tcp-silent tc-tcp-answer tc-tcp-reset tc-tcp-refused tc-tcp-dropped malformed-short malformed-count \
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
# The tls kind (a handshake and nothing after it) against the same peers: bounded by the
# deadline, and every peer that accepted counts as connected.
tlsp() { echo "\"kind\": \"tls\", \"host\": \"127.0.0.1\", \"port\": $(port "$1"), \"expect\": \"allow\""; }
hcase tls-kind-stall 1000 app_timeout "$(tlsp tls-stall)"
hcase tls-kind-not-tls 1500 "tls_error|protocol_error" "$(tlsp tls-garbage)"
hcase tls-kind-ssh-banner 1500 protocol_error "$(tlsp banner)"
hcase tls-kind-reset-on-accept 1500 protocol_error "$(tlsp rst-on-accept)"
hcase tls-kind-close-on-accept 1500 protocol_error "$(tlsp close-on-accept)"
hcase tls-kind-expired 1500 tls_error "\"kind\": \"tls\", \"host\": \"localhost\", \"port\": $(port expired), \"expect\": \"allow\", \"ca_file\": \"$T/pki/ca.pem\"" \
    '.detail | test("expired")' "detail names the expired certificate"

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
# The TCP fallback after a truncated UDP answer fails: reset, refused (c-ares says
# ECONNREFUSED for both) or dropped (SYNs unanswered). The server answered over UDP, so it is
# a DNS failure, never the probe's own "refused" (issue 11, item 11); for the dns kind, and for
# a tcp probe whose host is resolved through that server.
TCFB='.detail | test("truncated")'
hcase dns-tc-tcp-reset 1500 dns_error "$(dq dns-tc-tcp-reset)" "$TCFB" "detail says the TCP retry of a truncated answer failed"
hcase dns-tc-tcp-refused 1500 dns_error "$(dq dns-tc-tcp-refused)" "$TCFB" "detail says the TCP retry of a truncated answer failed"
hcase dns-tc-tcp-dropped 2500 dns_timeout "$(dq dns-tc-tcp-dropped)" "$NOADDR" "no addresses"
for m in reset refused dropped; do
    DNS=$(port "dns-tc-tcp-$m") hcase "dns-tc-tcp-$m-tcp" 2500 "dns_error|dns_timeout" \
        "\"kind\": \"tcp\", \"host\": \"svc.test\", \"port\": $(port healthy), \"expect\": \"allow\"" "$NOADDR" "no addresses"
done
# The server's UDP port itself refuses (ICMP port unreachable): that alone is the dns probe's
# "refused" (DNS egress blocked by a REJECT), and a dns_error for a name lookup.
UDPCLOSED=$($PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hcase dns-udp-refused 1500 refused "\"kind\": \"dns\", \"query\": \"svc.test\", \"server\": \"127.0.0.1:$UDPCLOSED\", \"expect\": \"allow\""
DNS=$UDPCLOSED hcase dns-udp-refused-tcp 1500 dns_error "\"kind\": \"tcp\", \"host\": \"svc.test\", \"port\": $(port healthy), \"expect\": \"allow\""
for m in short count loop junk; do
    hcase "dns-malformed-$m" 1500 "dns_error|dns_timeout" "$(dq "dns-malformed-$m")" "$NOADDR" "no addresses"
done
hcase dns-4000-records 3000 ok "$(dq dns-many)" '(.addresses | length) == 16' "addresses capped at 16"
# The same flood resolving a host for a tcp probe: the transfer uses one address, bounded.
DNS=$(port dns-many) hcase dns-4000-records-tcp 3000 ok "\"kind\": \"tcp\", \"host\": \"svc.test\", \"port\": $(port healthy), \"expect\": \"allow\"" \
    '(.addresses | length) <= 16' "addresses capped at 16"


# --- Redirects (issue 11, item 4): follow_redirects follows only same-origin redirects (scheme,
# host, port), on the address c-ares resolved; another origin (port, host name, scheme) is not
# contacted at all: the 302 is the answer, and detail says why it was not followed.
zt_serve other "$PY" "$SRV" --mode healthy --port-file "$T/other.port" --max-seconds 300 --conn-log "$T/other.conns" || exit 1
zt_serve redir-rel "$PY" "$PEER" --mode redirect --port-file "$T/redir-rel.port" --max-seconds 300 || exit 1
zt_serve redir-self "$PY" "$PEER" --mode redirect --port-file "$T/redir-self.port" --max-seconds 300 \
    --location "http://127.0.0.1:{self}/final?token=zt-redirect-query" || exit 1
zt_serve redir-port "$PY" "$PEER" --mode redirect --port-file "$T/redir-port.port" --max-seconds 300 \
    --location "http://127.0.0.1:$(port other)/health?token=zt-redirect-query" || exit 1
zt_serve redir-host "$PY" "$PEER" --mode redirect --port-file "$T/redir-host.port" --max-seconds 300 \
    --location "http://localhost:{self}/final" || exit 1
zt_serve redir-scheme "$PY" "$PEER" --mode redirect --port-file "$T/redir-scheme.port" --max-seconds 300 \
    --location "https://127.0.0.1:{self}/final" || exit 1
rd() { echo "\"kind\": \"http\", \"url\": \"http://127.0.0.1:$(port "$1")/start\", \"follow_redirects\": true, \"headers\": { \"X-Zt-Secret\": \"s3cret-hdr\" }, \"expect\": \"allow\""; }
hcase redirect-same-origin-relative 1500 ok "$(rd redir-rel)" \
    '.detail | test("after 1 same-origin redirect")' "followed, and detail says so"
hcase redirect-same-origin-absolute 1500 ok "$(rd redir-self), \"body_contains\": \"final-page\"" \
    '(.detail | test("after 1 same-origin redirect")) and (.addresses == ["127.0.0.1"])' "followed on the resolved address"
hcase redirect-other-port 1500 http_status "$(rd redir-port)" \
    '(.detail | test("HTTP 302")) and (.detail | test("another origin")) and (.detail | test("zt-redirect-query") | not)' \
    "judged as the 302; detail says another origin, without the Location's query"
[ ! -s "$T/other.conns" ]
check "redirect to another port: the other server got no connection (no header sent there)" status_ok $? "$(wc -l <"$T/other.conns") connection(s)"
hcase redirect-other-host 1500 http_status "$(rd redir-host)" \
    '.detail | test("redirect to http://localhost:[0-9]+/final not followed")' "a host name change is another origin, not resolved"
hcase redirect-other-scheme 1500 http_status "$(rd redir-scheme)" '.detail | test("another origin")' "http -> https is another origin"
hcase redirect-listed-status 1500 ok "$(rd redir-port), \"status\": [302]" \
    '.detail | test("not followed")' "a 302 listed in status passes, the note stays"

# --- Terminal safety (issue 11, item 6): a peer's C1 controls (U+009B as UTF-8, raw 0x9b and
# 0x85 bytes that are not UTF-8) and ESC reach no text output: run -o text, merge -o text,
# -o junit; JSON keeps them as \u escapes.
hcase pg-c1-message 1500 auth_failed "$(pgp pg-c1), \"sslmode\": \"disable\"" \
    '.detail | test("C1-UTF8")' "the peer's message is in detail"
runm pg-c1-text run -c "$T/pg-c1-message.json" --role h -o text
runm pg-c1-junit run -c "$T/pg-c1-message.json" --role h -o junit
# merge shows no detail: the report's pod name carries the peer's text (U+009B, ESC; a raw
# byte that is not UTF-8 is refused by the report parser), as a hostile hand would write it.
$PY - "$T/pg-c1-message.out" "$T/pg-c1-a.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["pod"]["name"] = r["results"][0]["detail"]
open(sys.argv[2], "wb").write(json.dumps(r, ensure_ascii=False).encode("utf-8"))
PYEOF
runm pg-c1-merge merge -o text "$T/pg-c1-a.json"
for f in pg-c1-text pg-c1-merge pg-c1-junit pg-c1-message; do
    grep -q 'C1-UTF8' "$T/$f.out" && $PY - "$T/$f.out" <<'PYEOF'
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape")
sys.exit(any(c == "\x1b" or "\x80" <= c <= "\x9f" or "\udc80" <= c <= "\udcff" for c in t))
PYEOF
    check "$f: the peer's text is shown, without ESC or any C1 control" status_ok $? "$(grep -a 'C1-UTF8' "$T/$f.out" | head -1 | od -c | head -4 | tr '\n' ' ')"
done
grep -q 'u009b31m' "$T/pg-c1-message.out"
check "pg-c1 JSON: U+009B kept as an escape (\\u009b)" status_ok $? "$(grep -a -o 'failed.\{0,20\}' "$T/pg-c1-message.out" | head -1)"

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

# --- Hostile objects (issue 18, item 8): a NetworkPolicy's name carries C1 controls (NEL
# U+0085, CSI U+009B), the line separators U+2028 and U+2029, a newline and bytes that are not
# UTF-8 (0x9b, 0xff: JSON objects are read as bytes). policy check -o json and policy plan -o
# json|yaml keep them only as escapes; plan -o yaml writes the name into a `# todo:` comment,
# where any line break (PyYAML, a YAML 1.1 reader, breaks lines at NEL, LS and PS too) would
# start YAML of the object author's own.
cat >"$T/obj-cfg.json" <<'CFGEOF'
{"version":1,"roles":{"web":{"selector":{"app":"web"},"probes":[{"name":"no-db","kind":"tcp","host":"db","port":5432,"expect":"deny"}]}}}
CFGEOF
$PY - "$T/obj-hostile.json" <<'PYEOF'
import json, sys
name = "evil\u0085nel: 1\u2028ls: 2\u2029ps: 3\nnl: 4\u009b31m"
objs = {"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "t", "labels": {"app": "web"}},
     "spec": {"containers": [{"name": "c", "image": "i"}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "t"},
     "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "t"},
     "spec": {"podSelector": {}, "policyTypes": ["Egress"],
              "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}}]}
s = json.dumps(objs, ensure_ascii=False).encode()
open(sys.argv[1], "wb").write(s.replace(b'31m"', b'31m\x9b\xff"'))
PYEOF
"$ZT" policy check -c "$T/obj-cfg.json" -f "$T/obj-hostile.json" --namespace t -o json >"$T/obj-check.out" 2>"$T/obj-check.err"
echo $? >"$T/obj-check.rc"
"$ZT" policy plan -f "$T/obj-hostile.json" -o json >"$T/obj-plan-json.out" 2>"$T/obj-plan-json.err"
echo $? >"$T/obj-plan-json.rc"
"$ZT" policy plan -f "$T/obj-hostile.json" -o yaml >"$T/obj-plan-yaml.out" 2>"$T/obj-plan-yaml.err"
echo $? >"$T/obj-plan-yaml.rc"
# clean_bytes FILE: valid UTF-8, no C0 but newline, no DEL, no C1, no U+2028/U+2029.
clean_bytes() {
    $PY - "$1" <<'PYEOF'
import sys
b = open(sys.argv[1], "rb").read()
try:
    t = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8: %s" % e)
    sys.exit(1)
bad = [c for c in t if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f" or c in "\u2028\u2029"]
if bad:
    print("raw %r" % bad[:5])
sys.exit(1 if bad else 0)
PYEOF
}
for f in obj-check obj-plan-json obj-plan-yaml; do
    [ "$(cat "$T/$f.rc")" = 0 ] && grep -q 'evil' "$T/$f.out"
    check "$f: answers (exit 0) and names the hostile policy" status_ok $? "exit $(cat "$T/$f.rc"): $(head -c 300 "$T/$f.err")"
    out=$(clean_bytes "$T/$f.out")
    check "$f: no raw control, C1, line separator or stray byte from the object" status_ok $? "$out"
done
$PY - "$T/obj-check.out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
want = "t/evil\u0085nel: 1\u2028ls: 2\u2029ps: 3\nnl: 4\u009b31m\ufffd\ufffd"
sys.exit(0 if d["coverage"]["uncovered"][0]["policy"] == want else 1)
PYEOF
check "policy check -o json: the name kept as escapes (C1, separators, newline), stray bytes as U+FFFD" status_ok $? \
    "$(grep -m1 -a '"policy"' "$T/obj-check.out")"
$PY - "$T/obj-plan-yaml.out" <<'PYEOF'
import sys, yaml
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
d = yaml.safe_load(t)
todo = [l for l in t.split("\n") if l.startswith("# todo:") and "evil" in l]
ok = set(d) == {"version", "roles"} and set(d["roles"]) == {"web"} and len(todo) == 1 and \
    "evil?nel: 1?ls: 2?ps: 3?nl: 4?31m??" in todo[0]
if not ok:
    print(sorted(d), todo)
sys.exit(0 if ok else 1)
PYEOF
check "policy plan -o yaml: the name stays inside its # comment (one line, no YAML of its own)" status_ok $? \
    "$(grep -a 'evil' "$T/obj-plan-yaml.out" | head -3 | tr '\n' '|')"

# --- Hostile reports (issue 18, item 7): a pod writes the report merge reads, and claims
# another namespace (kube-system). `merge -o policyreport` writes one object per namespace
# claimed, which `kubectl apply -f -` applies with the operator's rights; merge --namespace NS
# refuses such a report (exit 2, naming it, listed as missing) and puts none outside NS.
cat >"$T/ns-cfg.json" <<'CFGEOF'
{"version":1,"roles":{"r":{"selector":{},"probes":[{"name":"closed","kind":"tcp","host":"127.0.0.1","port":9,"expect":"deny","timeout_ms":500}]}}}
CFGEOF
POD_NAME=honest-1 POD_NAMESPACE=team-a "$ZT" run -c "$T/ns-cfg.json" --role r >"$T/ns-honest.json" 2>/dev/null
$PY - "$T/ns-honest.json" "$T/ns-claims.json" "$T/ns-none.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["pod"] = {"name": "hostile-1", "namespace": "kube-system"}
json.dump(r, open(sys.argv[2], "w"))
r["pod"] = {"name": "quiet-1", "namespace": None}
json.dump(r, open(sys.argv[3], "w"))
PYEOF
# pr_namespaces FILE: the metadata.namespace of every object, sorted, one line.
pr_namespaces() {
    $PY -c 'import sys, yaml; print(" ".join(sorted(str((d.get("metadata") or {}).get("namespace")) for d in yaml.safe_load_all(open(sys.argv[1])) if d)))' "$1"
}
"$ZT" merge -o policyreport "$T/ns-honest.json" "$T/ns-claims.json" >"$T/ns-open.out" 2>"$T/ns-open.err"
[ "$(pr_namespaces "$T/ns-open.out")" = "kube-system team-a" ]
check "merge -o policyreport without --namespace: the claimed kube-system gets an object (the control)" status_ok $? \
    "$(pr_namespaces "$T/ns-open.out")"
"$ZT" merge -o policyreport --namespace team-a "$T/ns-honest.json" "$T/ns-claims.json" "$T/ns-none.json" \
    >"$T/ns-fenced.out" 2>"$T/ns-fenced.err"
rc=$?
[ $rc -eq 2 ] && grep -q "merge: $T/ns-claims.json: pod.namespace is kube-system, not team-a (--namespace): refused" "$T/ns-fenced.err"
check "merge --namespace team-a: a report claiming kube-system is refused, exit 2, the report named" status_ok $? \
    "exit $rc: $(head -c 300 "$T/ns-fenced.err")"
[ "$(pr_namespaces "$T/ns-fenced.out")" = "team-a" ] && grep -q 'name: "quiet-1"' "$T/ns-fenced.out" &&
    grep -q 'ns-claims.json' "$T/ns-fenced.out" && ! grep -q 'hostile-1' "$T/ns-fenced.out"
check "merge --namespace team-a: one object, in team-a (a report naming no namespace joins it), the refused one an error there" \
    status_ok $? "$(pr_namespaces "$T/ns-fenced.out"); $(grep -c . "$T/ns-fenced.out") lines"
"$ZT" merge -o json --namespace team-a "$T/ns-honest.json" >/dev/null 2>&1
rc=$?
"$ZT" merge --namespace 'Kube_System' "$T/ns-honest.json" >/dev/null 2>"$T/ns-bad.err"
rc2=$?
[ $rc -ne 2 ] && [ $rc2 -eq 2 ] && grep -q "not a namespace name" "$T/ns-bad.err"
check "merge --namespace: the honest report alone is accepted; a flag value that is no namespace name is exit 2" status_ok $? \
    "exit $rc, $rc2: $(head -c 200 "$T/ns-bad.err")"

zt_finish
