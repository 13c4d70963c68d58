# cases_udp.sh: the udp probe kind and the family key (sourced by run.sh): UDP peers on
# 127.0.0.1 and ::1 (echo, garbage, 64 KiB, a flood, silence), a closed UDP port, dual-stack
# names from dnsmasq (both.test: 127.0.0.1 and ::1), and config errors.

# udp_srv NAME MODE [ARGS...]: tests/servers/udp_peer.py (srv's command line) through srv.
udp_srv() { SRV=$ROOT/tests/servers/udp_peer.py srv "$@"; }

udp_config_errors() {
    local body=$1 want=$2 label=$3 name=$4
    printf '%s' "{\"version\":1,\"roles\":{\"r\":{\"probes\":[$body]}}}" >"$T/$name.json"
    runz "$name" 2 validate -c "$T/$name.json"
    expect_stderr "$name" "$label" "$want"
}

cases_udp() {
    local E4 E6 D GB BIG MANY SIL H2 UC
    SRV_BIND=127.0.0.1,::1 udp_srv udp-echo echo
    SRV_BIND=::1 udp_srv udp-echo6 echo
    udp_srv udp-echo4only echo
    udp_srv udp-garbage garbage
    udp_srv udp-big big
    udp_srv udp-many many
    udp_srv udp-silent silent
    SRV_BIND=127.0.0.1,::1 srv dual-http healthy
    wait_ports udp-echo udp-echo6 udp-echo4only udp-garbage udp-big udp-many udp-silent dual-http ||
        setup_failed "udp peers"
    E4=$(port udp-echo); E6=$(port udp-echo6); D=$(port udp-echo4only); GB=$(port udp-garbage)
    BIG=$(port udp-big); MANY=$(port udp-many); SIL=$(port udp-silent); H2=$(port dual-http)
    UC=$CLOSED_UDP_PORT
    cat >"$T/udp.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 800 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "r": { "selector": { "app": "r" }, "probes": [
    { "name": "echo", "kind": "udp", "host": "127.0.0.1", "port": $E4, "send": "ping\\\\x00\\\\x41\\\\\\\\",
      "expect_reply": "pong:ping\\\\x00A\\\\\\\\", "expect": "allow" },
    { "name": "echo-any", "kind": "udp", "host": "127.0.0.1", "port": $E4, "expect": "allow" },
    { "name": "echo6", "kind": "udp", "host": "::1", "port": $E6, "expect_reply": "pong:", "expect": "allow" },
    { "name": "echo-mismatch", "kind": "udp", "host": "127.0.0.1", "port": $E4, "expect_reply": "hello",
      "expect": "allow" },
    { "name": "echo-deny", "kind": "udp", "host": "127.0.0.1", "port": $E4, "expect": "deny" },
    { "name": "echo-mismatch-deny", "kind": "udp", "host": "127.0.0.1", "port": $E4, "expect_reply": "hello",
      "expect": "deny" },
    { "name": "closed", "kind": "udp", "host": "127.0.0.1", "port": $UC, "expect": "allow" },
    { "name": "closed6", "kind": "udp", "host": "::1", "port": $UC, "expect": "allow" },
    { "name": "closed-deny", "kind": "udp", "host": "127.0.0.1", "port": $UC, "expect": "deny" },
    { "name": "closed-deny-listed", "kind": "udp", "host": "127.0.0.1", "port": $UC, "expect": "deny",
      "deny_outcomes": ["refused"] },
    { "name": "silent", "kind": "udp", "host": "127.0.0.1", "port": $SIL, "expect": "allow" },
    { "name": "silent-deny", "kind": "udp", "host": "127.0.0.1", "port": $SIL, "expect": "deny" },
    { "name": "garbage", "kind": "udp", "host": "127.0.0.1", "port": $GB, "expect_reply": "pong", "expect": "allow" },
    { "name": "big", "kind": "udp", "host": "127.0.0.1", "port": $BIG, "expect_reply": "BBBB", "expect": "allow" },
    { "name": "many", "kind": "udp", "host": "127.0.0.1", "port": $MANY, "expect": "allow", "attempts": 3 },
    { "name": "by-name", "kind": "udp", "host": "svc.test", "port": $E4, "expect": "allow" },
    { "name": "nxdomain", "kind": "udp", "host": "nope.test", "port": $E4, "expect": "allow" },
    { "name": "all-udp", "kind": "udp", "host": "both.test", "port": $E4, "family": "all", "expect": "allow" },
    { "name": "all-udp-v4only", "kind": "udp", "host": "both.test", "port": $D, "family": "all", "expect": "allow" },
    { "name": "all-udp-deny", "kind": "udp", "host": "both.test", "port": $D, "family": "all", "expect": "deny",
      "deny_outcomes": ["refused"] },
    { "name": "v6-udp", "kind": "udp", "host": "both.test", "port": $D, "family": "ipv6", "expect": "allow" },
    { "name": "v4-udp", "kind": "udp", "host": "both.test", "port": $D, "family": "ipv4", "expect": "allow" },
    { "name": "v6-nodata", "kind": "tcp", "host": "svc.test", "port": $H2, "family": "ipv6", "expect": "allow" },
    { "name": "v4-nodata", "kind": "tcp", "host": "v6.test", "port": $H2, "family": "ipv4", "expect": "allow" },
    { "name": "v6-literal-v4", "kind": "tcp", "host": "127.0.0.1", "port": $H2, "family": "ipv6", "expect": "allow" },
    { "name": "all-tcp", "kind": "tcp", "host": "both.test", "port": $H2, "family": "all", "expect": "allow" },
    { "name": "all-http", "kind": "http", "url": "http://both.test:$H2/health", "family": "all",
      "body_contains": "healthy", "expect": "allow" },
    { "name": "v6-http", "kind": "http", "url": "http://both.test:$H2/health", "family": "ipv6", "expect": "allow" },
    { "name": "all-tcp-v4only", "kind": "tcp", "host": "both.test", "port": $(port healthy), "family": "all",
      "expect": "allow" },
    { "name": "any-tcp", "kind": "tcp", "host": "both.test", "port": $(port healthy), "expect": "allow" },
    { "name": "within-v6", "kind": "tcp", "host": "both.test", "port": $H2, "family": "all",
      "resolved_within": ["127.0.0.0/8", "::1/128"], "expect": "allow" },
    { "name": "within-v4-only", "kind": "udp", "host": "both.test", "port": $E4, "family": "all",
      "resolved_within": ["127.0.0.0/8"], "expect": "allow" },
    { "name": "answers-within-v6", "kind": "dns", "query": "v6.test", "type": "AAAA",
      "answers_within": ["::/120"], "expect": "allow" },
    { "name": "answers-outside-v6", "kind": "dns", "query": "v6.test", "type": "AAAA",
      "answers_within": ["fd00::/8"], "expect": "allow" }
  ] } }
}
EOF
    runz udp 1 run -c "$T/udp.json" --role r
    chk "udp echo with escaped payload and expect_reply -> ok" udp echo verdict=pass outcome=ok \
        'detail~reply of 12 bytes' 'timings_ms.first_byte>0' 'addresses^127.0.0.1'
    chk "udp echo, expect_reply any -> ok" udp echo-any verdict=pass outcome=ok
    chk "udp echo over ::1 -> ok" udp echo6 verdict=pass outcome=ok
    chk "udp reply without expect_reply -> body_mismatch fail" udp echo-mismatch verdict=fail \
        outcome=body_mismatch 'hint~expect_reply'
    chk "udp reply, deny -> fail (path open)" udp echo-deny verdict=fail outcome=ok 'hint~open'
    chk "udp reply that does not match, deny -> still fail (a reply came back)" udp echo-mismatch-deny \
        verdict=fail outcome=body_mismatch
    chk "udp closed port -> ICMP port unreachable = refused" udp closed verdict=fail outcome=refused \
        'detail~port unreachable' 'hint~UDP port' 'duration_ms<500'
    chk "udp closed port over ::1 -> ICMPv6 port unreachable = refused" udp closed6 verdict=fail \
        outcome=refused 'detail~ICMPv6'
    chk "udp closed port, deny -> inconclusive" udp closed-deny verdict=inconclusive outcome=refused
    chk "udp closed port, deny_outcomes [refused] -> pass" udp closed-deny-listed verdict=pass outcome=refused
    chk "udp silent peer -> timeout near timeout_ms" udp silent verdict=fail outcome=timeout \
        'duration_ms>700' 'duration_ms<1500' 'hint~protocol: UDP'
    chk "udp silent peer, deny -> timeout pass" udp silent-deny verdict=pass outcome=timeout
    chk "udp garbage reply -> body_mismatch" udp garbage verdict=fail outcome=body_mismatch \
        'detail~512 bytes'
    chk "udp 64 KiB reply -> read whole, ok" udp big verdict=pass outcome=ok 'detail~65507 bytes'
    chk "udp flood of replies -> first one decides, ok, one attempt" udp many verdict=pass outcome=ok attempts=1
    chk "udp by name -> ok" udp by-name verdict=pass outcome=ok 'timings_ms.dns>0'
    chk "udp unknown name -> dns_nxdomain" udp nxdomain verdict=fail outcome=dns_nxdomain
    chk "family all udp, both families answer -> pass, two addresses" udp all-udp verdict=pass outcome=ok \
        'addresses#2' 'addresses.*.outcome^ok' 'addresses.0.duration_ms>0'
    chk "family all udp, v6 closed -> fail on the v6 address" udp all-udp-v4only verdict=fail outcome=refused \
        'addresses#2' 'hint~IPv6' 'detail~::1'
    chk "family all deny, v4 open -> fail, hint names IPv4" udp all-udp-deny verdict=fail outcome=ok \
        'hint~not over IPv4' 'hint~ipBlocks'
    chk "family ipv6 -> the AAAA address only" udp v6-udp verdict=fail outcome=refused 'detail~ICMPv6'
    chk "family ipv4 -> the A address only" udp v4-udp verdict=pass outcome=ok
    chk "family ipv6 on a v4-only name -> dns_nodata" udp v6-nodata verdict=fail outcome=dns_nodata
    chk "family ipv4 on a v6-only name -> dns_nodata" udp v4-nodata verdict=fail outcome=dns_nodata
    chk "family ipv6 on an IPv4 literal -> dns_nodata" udp v6-literal-v4 verdict=fail outcome=dns_nodata \
        'detail~no IPv6 address'
    chk "family all tcp -> both addresses ok" udp all-tcp verdict=pass 'addresses#2' 'addresses.1.outcome=ok'
    chk "family all http -> each address through CURLOPT_RESOLVE, both ok" udp all-http verdict=pass \
        'addresses#2' 'addresses.0.outcome=ok' 'addresses.1.outcome=ok'
    chk "family ipv6 http -> ok over ::1" udp v6-http verdict=pass outcome=ok
    chk "family all tcp, server on v4 only -> fail" udp all-tcp-v4only verdict=fail outcome=refused \
        'addresses.*.outcome^ok' 'addresses.*.outcome^refused'
    chk "family any (default) -> the IPv4 address, as before" udp any-tcp verdict=pass outcome=ok \
        'addresses#2' 'addresses^127.0.0.1'
    chk "resolved_within with an IPv6 CIDR covers the AAAA address" udp within-v6 verdict=pass \
        'addresses#2'
    chk "resolved_within IPv4 only, name has an AAAA too -> cidr_mismatch, not connected" udp \
        within-v4-only verdict=fail outcome=cidr_mismatch 'detail~::1'
    chk "answers_within with an IPv6 CIDR -> ok" udp answers-within-v6 verdict=pass outcome=ok
    chk "answers_within, AAAA outside the IPv6 CIDR -> cidr_mismatch" udp answers-outside-v6 \
        verdict=fail outcome=cidr_mismatch

    # Text and merge show per-address outcomes compactly; merge reads the new shape back.
    runz udp-text 1 run -c "$T/udp.json" --role r -o text --only all-udp-v4only,all-udp
    expect_stdout udp-text "text: per-address outcomes of family all" "ok (v4)"
    expect_stdout udp-text "text: the failing family named" "refused (v6)"
    runz udp-merge 1 merge -o text "$T/r/udp.out"
    expect_stdout udp-merge "merge text: per-address outcomes" "refused (v6)"
    runz udp-merge-json 1 merge -o json "$T/r/udp.out"
    expect_stdout udp-merge-json "merge json: reads family all reports" '"all-udp-v4only"'

    if want pg && [ -n "${PG_PORT:-}" ]; then
        cat >"$T/udp-pg.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 3000 },
  "dns": { "servers": ["127.0.0.1:$DNS_PORT"], "search": false },
  "roles": { "r": { "selector": { "app": "r" }, "probes": [
    { "name": "pg-v4", "kind": "postgres", "host": "both.test", "port": $PG_PORT, "family": "ipv4",
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "sslmode": "disable",
      "expect": "allow" },
    { "name": "pg-v6", "kind": "postgres", "host": "both.test", "port": $PG_PORT, "family": "ipv6",
      "user": "govtech_admin", "dbname": "govtech", "password_env": "ZT_IT_PGPASSWORD", "sslmode": "disable",
      "expect": "allow" }
  ] } }
}
EOF
        ZT_IT_PGPASSWORD=$PG_PASSWORD runz udp-pg 1 run -c "$T/udp-pg.json" --role r
        chk "postgres family ipv4 -> hostaddr 127.0.0.1, ok" udp-pg pg-v4 verdict=pass outcome=ok
        chk "postgres family ipv6 -> hostaddr ::1 (PostgreSQL listens on v4 only), refused" udp-pg pg-v6 \
            verdict=fail outcome=refused
    fi

    udp_config_errors '{"name":"u","kind":"udp","host":"h","port":0,"expect":"allow"}' \
        "roles.r.probes[0].port: must be 1..65535" "validate: udp port 0 refused" udp-port0
    udp_config_errors '{"name":"u","kind":"udp","host":"h","port":53,"send":"\\xZZ","expect":"allow"}' \
        "roles.r.probes[0].send: bad escape" "validate: bad \\x escape in send, with its path" udp-esc
    udp_config_errors '{"name":"u","kind":"udp","host":"h","port":53,"send":"\\q","expect":"allow"}' \
        "roles.r.probes[0].send: bad escape" "validate: unknown escape in send" udp-esc2
    udp_config_errors "{\"name\":\"u\",\"kind\":\"udp\",\"host\":\"h\",\"port\":53,\"send\":\"$(head -c 65537 /dev/zero | tr '\0' a)\",\"expect\":\"allow\"}" \
        "roles.r.probes[0].send: longer than 65536 bytes" "validate: send over 64 KiB" udp-big-send
    udp_config_errors '{"name":"u","kind":"udp","host":"h","port":53,"expect_reply":"\\x4","expect":"allow"}' \
        "roles.r.probes[0].expect_reply: bad escape" "validate: bad escape in expect_reply" udp-esc3
    udp_config_errors '{"name":"u","kind":"tcp","host":"h","port":53,"family":"v6","expect":"allow"}' \
        "roles.r.probes[0].family: must be one of any, ipv4, ipv6, all" "validate: unknown family" udp-fam
    udp_config_errors '{"name":"u","kind":"dns","query":"h","family":"all","expect":"allow"}' \
        "roles.r.probes[0].family: unknown key for kind dns" "validate: family is not a dns key" udp-famdns
    udp_config_errors '{"name":"u","kind":"tcp","host":"h","port":53,"send":"x","expect":"allow"}' \
        "roles.r.probes[0].send: unknown key for kind tcp" "validate: send only for udp" udp-sendtcp
}

# A client, a router and a server namespace (zti<pid>c, r, s), dual-stack, linked to nothing
# else; nftables in the router's forward hook answers per UDP port, so the ICMP errors come
# from a middle hop, as from a node that enforces policies.
udp_netns_up() {
    local c=zti$$c r=zti$$r s=zti$$s ns
    for ns in $c $r $s; do
        zt_netns_add "$ns" || return 1
        ip -n "$ns" link set lo up
        # No duplicate address detection: a tentative link-local address delays the first
        # neighbour resolution past a probe's timeout.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    done
    ip link add "zti$$c0" netns "$c" type veth peer name "zti$$r0" netns "$r" || return 1
    ip link add "zti$$s0" netns "$s" type veth peer name "zti$$r1" netns "$r" || return 1
    ip -n "$c" addr add 10.98.0.1/24 dev "zti$$c0"
    ip -n "$c" addr add fd00:98::1/64 dev "zti$$c0" nodad
    ip -n "$r" addr add 10.98.0.254/24 dev "zti$$r0"
    ip -n "$r" addr add fd00:98::254/64 dev "zti$$r0" nodad
    ip -n "$r" addr add 10.97.0.254/24 dev "zti$$r1"
    ip -n "$r" addr add fd00:97::254/64 dev "zti$$r1" nodad
    ip -n "$s" addr add 10.97.0.2/24 dev "zti$$s0"
    ip -n "$s" addr add fd00:97::2/64 dev "zti$$s0" nodad
    ip -n "$c" link set "zti$$c0" up
    ip -n "$r" link set "zti$$r0" up
    ip -n "$r" link set "zti$$r1" up
    ip -n "$s" link set "zti$$s0" up
    ip -n "$c" route add default via 10.98.0.254
    ip -n "$c" -6 route add default via fd00:98::254
    ip -n "$s" route add default via 10.97.0.254
    ip -n "$s" -6 route add default via fd00:97::254
    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
    ip netns exec "$r" nft -f - <<'EOF' || return 1
table inet zt_router {
    chain forward {
        type filter hook forward priority 0; policy accept;
        udp dport 91 reject with icmpx type admin-prohibited
        udp dport 92 drop
        meta nfproto ipv4 udp dport 93 reject with icmp type host-unreachable
        meta nfproto ipv6 udp dport 93 reject with icmpv6 type addr-unreachable
        meta nfproto ipv4 udp dport 94 reject with icmp type net-unreachable
        meta nfproto ipv6 udp dport 94 reject with icmpv6 type no-route
        meta nfproto ipv4 udp dport 95 drop
        meta nfproto ipv4 tcp dport 95 drop
        udp dport 96 reject
    }
}
EOF
    local p
    for p in 90 91 92 93 94 95 96; do
        SRV_NS=$s SRV_BIND=10.97.0.2,fd00:97::2 udp_srv "unet-udp$p" echo --port "$p"
    done
    SRV_NS=$s SRV_BIND=10.97.0.2,fd00:97::2 srv unet-tcp95 echo-any --port 95
    ip netns exec "$c" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --port=53 --listen-address=127.0.0.1 --bind-interfaces -u root --pid-file="$T/unet-dns.pid" \
        --local=/lab/ --host-record=dual.lab,10.97.0.2,fd00:97::2 2>>"$T/unet-dns.log" &
    zt_track $!
    wait_ports unet-udp90 unet-udp91 unet-udp92 unet-udp93 unet-udp94 unet-udp95 unet-udp96 unet-tcp95 ||
        return 1
    # Both families routed end to end before any case runs (neighbour discovery through the
    # router can lag on a loaded machine); else the setup failed, with what the router saw.
    if ! ip netns exec "$c" "$PY" - <<'EOF'
import socket, time
deadline = time.time() + 10
for fam, addr in ((socket.AF_INET, "10.97.0.2"), (socket.AF_INET6, "fd00:97::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    while True:
        try:
            s.sendto(b"ready?", (addr, 90))
            s.recvfrom(100)
            break
        except OSError:
            if time.time() > deadline:
                raise SystemExit("no UDP echo from %s" % addr)
EOF
    then
        ip -n "$r" -6 neigh >&2
        ip -n "$c" -6 addr >&2
        return 1
    fi
}

cases_udp_netns() {
    if ! udp_netns_up; then
        setup_failed "udp router namespaces"
        return
    fi
    cat >"$T/unet.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 800 },
  "dns": { "servers": ["127.0.0.1:53"], "search": false },
  "roles": { "pod": { "selector": { "app": "pod" }, "probes": [
    { "name": "open", "kind": "udp", "host": "10.97.0.2", "port": 90, "expect": "allow" },
    { "name": "open6", "kind": "udp", "host": "fd00:97::2", "port": 90, "expect": "allow" },
    { "name": "admin", "kind": "udp", "host": "10.97.0.2", "port": 91, "expect": "deny" },
    { "name": "admin6", "kind": "udp", "host": "fd00:97::2", "port": 91, "expect": "deny" },
    { "name": "admin-allow", "kind": "udp", "host": "10.97.0.2", "port": 91, "expect": "allow" },
    { "name": "drop", "kind": "udp", "host": "10.97.0.2", "port": 92, "expect": "deny" },
    { "name": "host-unreach", "kind": "udp", "host": "10.97.0.2", "port": 93, "expect": "deny" },
    { "name": "host-unreach6", "kind": "udp", "host": "fd00:97::2", "port": 93, "expect": "deny" },
    { "name": "net-unreach", "kind": "udp", "host": "10.97.0.2", "port": 94, "expect": "deny" },
    { "name": "router-port-unreach", "kind": "udp", "host": "10.97.0.2", "port": 96, "expect": "deny" },
    { "name": "all-open", "kind": "udp", "host": "dual.lab", "port": 90, "family": "all", "expect": "allow" },
    { "name": "all-deny-v4-only", "kind": "udp", "host": "dual.lab", "port": 95, "family": "all",
      "expect": "deny" },
    { "name": "all-tcp-deny-v4-only", "kind": "tcp", "host": "dual.lab", "port": 95, "family": "all",
      "expect": "deny" },
    { "name": "any-deny-v4-only", "kind": "udp", "host": "dual.lab", "port": 95, "expect": "deny" },
    { "name": "all-deny-both", "kind": "udp", "host": "dual.lab", "port": 91, "family": "all", "expect": "deny" }
  ] } }
}
EOF
    RUN_NS=zti$$c runz unet 1 run -c "$T/unet.json" --role pod
    chk "netns udp open path -> ok" unet open verdict=pass outcome=ok
    chk "netns udp open path over IPv6 -> ok" unet open6 verdict=pass outcome=ok
    chk "netns udp ICMP admin-prohibited from the router, deny -> unreachable pass" unet admin verdict=pass \
        outcome=unreachable 'detail~from 10.98.0.254' 'duration_ms<600'
    chk "netns udp ICMPv6 admin-prohibited from the router, deny -> unreachable pass" unet admin6 \
        verdict=pass outcome=unreachable 'detail~from fd00:98::254' 'detail~ICMPv6'
    chk "netns udp admin-prohibited, allow -> unreachable fail with hint" unet admin-allow verdict=fail \
        outcome=unreachable hint!=null
    chk "netns udp drop, deny -> timeout pass" unet drop verdict=pass outcome=timeout 'duration_ms>700'
    chk "netns udp host unreachable -> unreachable" unet host-unreach verdict=pass outcome=unreachable \
        'detail~type 3 code 1'
    chk "netns udp IPv6 address unreachable -> unreachable" unet host-unreach6 verdict=pass outcome=unreachable
    chk "netns udp net unreachable -> unreachable" unet net-unreach verdict=pass outcome=unreachable
    chk "netns udp port unreachable from a middle hop -> refused, inconclusive" unet router-port-unreach \
        verdict=inconclusive outcome=refused 'detail~from 10.98.0.254'
    chk "netns family all, both open -> pass" unet all-open verdict=pass 'addresses#2'
    chk "netns family all, deny held on IPv4 only -> fail naming IPv6" unet all-deny-v4-only verdict=fail \
        outcome=ok 'hint~held over IPv4 but not over IPv6' 'hint~except' 'addresses.*.outcome^timeout'
    chk "netns family all tcp, deny held on IPv4 only -> fail" unet all-tcp-deny-v4-only verdict=fail \
        outcome=ok 'hint~IPv6'
    chk "netns family any, deny on IPv4 only -> pass (the gap family: all exists for)" unet any-deny-v4-only \
        verdict=pass outcome=timeout
    chk "netns family all, denied on both -> pass" unet all-deny-both verdict=pass outcome=unreachable \
        'addresses#2'
}
