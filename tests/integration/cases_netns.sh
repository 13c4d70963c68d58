# cases_netns.sh: real drops and rejects (sourced by run.sh). Two namespaces of this run, a
# (client: the agent) and b (target), joined by one veth pair and linked to nothing else;
# nftables in b's input hook drops / resets / answers ICMP admin-prohibited per port.
# Listeners run on every port, so a refusal comes from the rule, not from a closed port.

NS_A=""
NS_B=""
NS_IP_B=10.99.0.2

netns_up() {
    NS_A=zti$$a
    NS_B=zti$$b
    zt_netns_add "$NS_A" || return 1
    zt_netns_add "$NS_B" || return 1
    # Created directly inside the namespaces: the host's namespace never holds either end.
    ip link add "zti$$va" netns "$NS_A" type veth peer name "zti$$vb" netns "$NS_B" || return 1
    ip -n "$NS_A" addr add 10.99.0.1/24 dev "zti$$va"
    ip -n "$NS_B" addr add "$NS_IP_B/24" dev "zti$$vb"
    ip -n "$NS_A" link set lo up
    ip -n "$NS_B" link set lo up
    ip -n "$NS_A" link set "zti$$va" up
    ip -n "$NS_B" link set "zti$$vb" up
    ip netns exec "$NS_B" nft -f - <<'EOF' || return 1
table ip zt_target {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 81 drop
        tcp dport 82 reject with tcp reset
        tcp dport 83 reject with icmp type admin-prohibited
    }
}
EOF
    SRV_NS=$NS_B SRV_BIND=$NS_IP_B srv ns-http healthy --port 80
    local p
    for p in 81 82 83 84; do
        SRV_NS=$NS_B SRV_BIND=$NS_IP_B srv "ns-tcp$p" echo-any --port "$p"
    done
    wait_ports ns-http ns-tcp81 ns-tcp82 ns-tcp83 ns-tcp84
}

cases_netns() {
    local B=$NS_IP_B
    cat >"$T/ns.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:53"], "search": false },
  "roles": { "pod": { "selector": { "app": "pod" }, "probes": [
    { "name": "http-allow-open", "kind": "http", "url": "http://$B/health", "expect": "allow",
      "body_contains": "healthy" },
    { "name": "http-deny-open", "kind": "http", "url": "http://$B/health", "expect": "deny" },
    { "name": "tcp-allow-open", "kind": "tcp", "host": "$B", "port": 84, "expect": "allow" },
    { "name": "drop-deny", "kind": "tcp", "host": "$B", "port": 81, "expect": "deny" },
    { "name": "drop-allow", "kind": "tcp", "host": "$B", "port": 81, "expect": "allow" },
    { "name": "drop-http-deny", "kind": "http", "url": "http://$B:81/", "expect": "deny" },
    { "name": "drop-deny-2-attempts", "kind": "tcp", "host": "$B", "port": 81, "expect": "deny",
      "attempts": 2, "timeout_ms": 600 },
    { "name": "reset-deny", "kind": "tcp", "host": "$B", "port": 82, "expect": "deny" },
    { "name": "reset-deny-listed", "kind": "tcp", "host": "$B", "port": 82, "expect": "deny",
      "deny_outcomes": ["refused"] },
    { "name": "reset-allow", "kind": "http", "url": "http://$B:82/", "expect": "allow" },
    { "name": "icmp-deny", "kind": "tcp", "host": "$B", "port": 83, "expect": "deny" },
    { "name": "icmp-http-deny", "kind": "http", "url": "http://$B:83/", "expect": "deny" },
    { "name": "icmp-allow", "kind": "tcp", "host": "$B", "port": 83, "expect": "allow" },
    { "name": "pg-drop-deny", "kind": "postgres", "host": "$B", "port": 81, "user": "u", "dbname": "d",
      "expect": "deny" },
    { "name": "tls-drop-deny", "kind": "tls", "host": "$B", "port": 81, "expect": "deny" },
    { "name": "tls-icmp-allow", "kind": "tls", "host": "$B", "port": 83, "expect": "allow" }
  ] } }
}
EOF
    RUN_NS=$NS_A runz netns 1 run -c "$T/ns.json" --role pod
    chk "netns open path, http allow -> ok" netns http-allow-open verdict=pass outcome=ok
    chk "netns open path, http deny -> fail, policy not enforced" netns http-deny-open verdict=fail outcome=ok
    chk "netns open tcp port -> ok (listener check)" netns tcp-allow-open verdict=pass outcome=ok
    chk "netns drop, deny -> timeout pass near timeout_ms" netns drop-deny verdict=pass outcome=timeout \
        hint=null 'duration_ms>900' 'duration_ms<2000' timings_ms.connect=null
    chk "netns drop, allow -> timeout fail with hint" netns drop-allow verdict=fail outcome=timeout \
        'hint~81' 'hint~kubectl' 
    chk "netns drop, http deny -> timeout pass" netns drop-http-deny verdict=pass outcome=timeout
    chk "netns drop, 2 attempts, deny -> both made, pass" netns drop-deny-2-attempts verdict=pass \
        outcome=timeout attempts=2 'duration_ms>1100' 'duration_ms<2500'
    chk "netns tcp reset, deny -> refused, inconclusive" netns reset-deny verdict=inconclusive outcome=refused
    chk "netns tcp reset, deny_outcomes [refused] -> pass" netns reset-deny-listed verdict=pass outcome=refused
    chk "netns tcp reset, http allow -> refused fail" netns reset-allow verdict=fail outcome=refused
    chk "netns icmp admin-prohibited, deny -> unreachable pass" netns icmp-deny verdict=pass \
        outcome=unreachable 'duration_ms<900'
    chk "netns icmp admin-prohibited, http deny -> unreachable pass" netns icmp-http-deny verdict=pass \
        outcome=unreachable
    chk "netns icmp admin-prohibited, allow -> unreachable fail" netns icmp-allow verdict=fail \
        outcome=unreachable hint!=null
    chk "netns drop, postgres deny -> timeout pass" netns pg-drop-deny verdict=pass outcome=timeout
    chk "netns drop, tls deny -> timeout pass" netns tls-drop-deny verdict=pass outcome=timeout \
        timings_ms.connect=null timings_ms.tls=null
    chk "netns icmp admin-prohibited, tls allow -> unreachable fail" netns tls-icmp-allow verdict=fail \
        outcome=unreachable

    # 20 probes into the drop, timeout 1000 ms each: run together they take ~1 s, not 20 s;
    # with --concurrency 10 they take two rounds.
    local i probes=""
    for i in $(seq 1 20); do
        probes="$probes${probes:+,}
    { \"name\": \"drop-$i\", \"kind\": \"tcp\", \"host\": \"$B\", \"port\": 81, \"expect\": \"deny\" }"
    done
    cat >"$T/ns20.json" <<EOF
{
  "version": 1,
  "defaults": { "timeout_ms": 1000 },
  "dns": { "servers": ["127.0.0.1:53"], "search": false },
  "roles": { "pod": { "selector": { "app": "pod" }, "probes": [ $probes
  ] } }
}
EOF
    RUN_NS=$NS_A runz netns20 0 run -c "$T/ns20.json" --role pod
    chk "netns 20 dropped probes all pass" netns20 - summary.total=20 summary.passed=20 \
        summary.ok=true 'duration_ms<5000'
    chk "netns 20 dropped probes: each waited its timeout" netns20 drop-20 outcome=timeout \
        'duration_ms>900'
    expect_between "netns 20 dropped probes ran at the same time (wall ms)" "$(wall_ms netns20)" 900 5000
    RUN_NS=$NS_A runz netns20-c10 0 run -c "$T/ns20.json" --role pod --concurrency 10
    expect_between "netns --concurrency 10 runs 20 drops in two rounds (wall ms)" \
        "$(wall_ms netns20-c10)" 1900 5500
}
