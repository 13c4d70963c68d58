#!/bin/bash
# lab.sh: the govtech namespace emulated in network namespaces, enforcing the shipped
# NetworkPolicies with nftables on a "node" that routes between the pods (docs/testing.md, "The lab").
# Dual-stack: every pod and host has an IPv4 and an IPv6 address, the node routes both.
#
# Usage: lab.sh up PREFIX [CONFIG]      build the lab (CONFIG: config/lab.json) and enforce
#                                       manifests/network-policies.yaml; on failure it tears
#                                       itself down
#        lab.sh down PREFIX             remove every namespace, process and file of the lab
#        lab.sh apply PREFIX [ARGS...]  re-render and load the node's rules: ARGS go to
#                                       np2nft.py (-p FILE replaces the shipped policies,
#                                       --deny MODE, -i INVENTORY); flushes conntrack;
#                                       --load-at UNIXTIME renders at once and loads then
#        lab.sh state PREFIX            print the lab's state folder
#
# PREFIX (2-10 lower-case letters/digits, starting with a letter) names every namespace
# (PREFIX-node, PREFIX-fe, ...) and veth, so two labs never collide. Nothing is linked to the
# host's namespace: the node has only veths to the lab's own pods and hosts. Pods get
# /etc/netns/PREFIX-x/resolv.conf (kube-dns) and /etc/netns/PREFIX-x/ztprobe-lab/ca.pem (the lab
# CA, seen at /etc/ztprobe-lab/ca.pem by processes run with `ip netns exec`).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SERVERS=$REPO/tests/servers
CA_MOUNT=/etc/ztprobe-lab   # mount point for the per-namespace CA folder (see above)
NODE_IP=169.254.1.1
NODE_IP6=fe80::1   # the node's side of every veth (link-local: the same on each link)

die() { echo "lab.sh: $*" >&2; exit 1; }

check_prefix() {
    [[ $1 =~ ^[a-z][a-z0-9]{1,9}$ ]] || die "PREFIX must be 2-10 of [a-z0-9], starting with a letter: '$1'"
}

state_dir() { echo "${ZTLAB_STATE_ROOT:-/tmp}/ztlab-$1"; }

# ---------------------------------------------------------------- down

lab_down() {
    local prefix=$1 st ns pid left
    st=$(state_dir "$prefix")
    if [ -d "$st/pg/data" ]; then
        ZT_PG_NETNS=$prefix-pg sh "$SERVERS/pg.sh" stop "$st" >/dev/null 2>&1 || true
    fi
    local spaces
    spaces=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$prefix-[a-z0-9]+$" || true)
    # Every process left in one of the lab's namespaces was started by this lab.
    for ns in $spaces; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        left=0
        for ns in $spaces; do [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && left=1; done
        [ $left -eq 0 ] && break
        sleep 0.2
    done
    for ns in $spaces; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for ns in $spaces; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf /etc/netns/"$prefix"-*
    rm -rf "$st"
    # The CA mount point is shared by all labs: removed with the last one.
    if [ -d "$CA_MOUNT" ] && ! ls -d /etc/netns/*/ztprobe-lab >/dev/null 2>&1; then
        rmdir "$CA_MOUNT" 2>/dev/null || true
    fi
}

# ---------------------------------------------------------------- up

ns_of() { echo "$PREFIX-$1"; }

no_dad() { # NS: addresses of new links there are usable at once (no duplicate detection)
    ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

link_ns() { # SHORT IP... : a namespace joined to the node by a veth, Calico-style
    local short=$1 ns veth ip v4=""
    shift
    ns=$(ns_of "$short")
    veth=$PREFIX-$short
    ip netns add "$ns"
    no_dad "$ns"
    ip -n "$ns" link set lo up
    # Created inside the node, the peer moved straight into the pod: never in the host's namespace.
    ip -n "$NODE" link add "$veth" type veth peer name eth0 netns "$ns"
    ip -n "$NODE" addr add "$NODE_IP/32" dev "$veth" noprefixroute
    ip -n "$NODE" -6 addr add "$NODE_IP6/64" dev "$veth" nodad
    ip -n "$NODE" link set "$veth" up
    ip -n "$ns" link set eth0 up
    # nodad: a tentative address would refuse binds for a second or two.
    for ip in "$@"; do
        if [[ $ip == *:* ]]; then
            ip -n "$ns" -6 addr add "$ip/128" dev eth0 nodad
            ip -n "$NODE" -6 route add "$ip/128" dev "$veth"
        else
            ip -n "$ns" addr add "$ip/32" dev eth0
            ip -n "$NODE" route add "$ip/32" dev "$veth"
            [ -n "$v4" ] || v4=$ip
        fi
    done
    ip -n "$ns" route add "$NODE_IP" dev eth0 scope link
    ip -n "$ns" route add default via "$NODE_IP" dev eth0 src "$v4"
    ip -n "$ns" -6 route add default via "$NODE_IP6" dev eth0
}

pod_files() { # SHORT: the pod's resolv.conf and CA, seen through `ip netns exec`
    local d=/etc/netns/$(ns_of "$1")
    mkdir -p "$d/ztprobe-lab"
    cat >"$d/resolv.conf" <<EOF
nameserver 10.96.0.10
search govtech.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
EOF
    cp "$ST/ca/ca.pem" "$d/ztprobe-lab/ca.pem"
    chmod 755 "$d/ztprobe-lab"
    chmod 644 "$d/ztprobe-lab/ca.pem" "$d/resolv.conf"
}

wait_file() { # FILE SECONDS WHAT
    local i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -gt $(($2 * 10)) ] && die "$3 did not start (see $ST/log)"
        sleep 0.1
    done
}

start_bg() { # NAME NS CMD... : a server in a namespace, its pid recorded
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" "$@" >"$ST/log/$name.log" 2>&1 </dev/null &
    echo "$! $name" >>"$ST/pids"
}

serve() { # SHORT MODE PORT
    local short=$1 mode=$2 port=$3 ns ip tls=() a
    ns=$(ns_of "$short")
    ip=${BIND[$short]:-${ADDR[$short]},${ADDR6[$short]}}   # both families
    case $mode in
    healthy-tls) tls=(--tls-cert "$ST/ca/server.pem" --tls-key "$ST/ca/server.key"); mode=healthy ;;
    postgres)
        ZT_PG_NETNS=$ns ZT_PG_LISTEN=$ip ZT_PG_PORT=$port \
            sh "$SERVERS/pg.sh" start "$ST" "$ST/ca" >"$ST/log/pg-start.log" 2>&1 ||
            { cat "$ST/log/pg-start.log" >&2; die "postgres did not start"; }
        return ;;
    dnsmasq)
        local args=(--keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts
            --bind-interfaces --port="$port"
            --local=/cluster.local/ --address=/#/ --log-facility="$ST/log/dnsmasq-queries.log"
            --log-queries --cache-size=0 --pid-file=)
        local rec
        for a in ${ip//,/ }; do args+=(--listen-address="$a"); done
        for rec in "${DNS[@]}"; do args+=(--host-record="$rec"); done
        start_bg dnsmasq "$ns" dnsmasq "${args[@]}"
        local i=0
        until ip netns exec "$ns" ss -Hlun "sport = :$port" | grep -q .; do
            i=$((i + 1)); [ $i -gt 50 ] && die "dnsmasq did not start (see $ST/log/dnsmasq.log)"
            sleep 0.1
        done
        return ;;
    esac
    local pf=$ST/run/$short-$port.port
    if [ "$mode" = udp-echo ]; then
        pf=$ST/run/$short-udp$port.port   # a host may serve TCP and UDP on one port number
        start_bg "$short-udp$port" "$ns" "$PY" "$SERVERS/udp_service.py" --bind "$ip" \
            --port "$port" --port-file "$pf" --max-seconds 7200
        wait_file "$pf" 5 "udp server $short:$port"
        return
    fi
    start_bg "$short-$port" "$ns" "$PY" "$SERVERS/zt_server.py" --mode "$mode" --bind "$ip" \
        --port "$port" --port-file "$pf" --max-seconds 7200 "${tls[@]}"
    wait_file "$pf" 5 "server $short:$port"
}

apply_rules() { # [--load-at UNIXTIME] [np2nft args]: renders and loads the node's rules, then flushes conntrack
    local inv=$ST/inventory.json args=() have_p=0 a load_at=""
    # --load-at: render now, load at that moment (a node that starts enforcing later)
    while [ $# -gt 0 ]; do
        if [ "$1" = "--load-at" ] && [ $# -ge 2 ]; then load_at=$2; shift 2; else args+=("$1"); shift; fi
    done
    for a in "${args[@]}"; do [ "$a" = "-p" ] || [ "$a" = "--policies" ] && have_p=1; done
    [ $have_p -eq 1 ] || args+=(-p "$REPO/manifests/network-policies.yaml")
    local has_i=0
    for a in "${args[@]}"; do [ "$a" = "-i" ] || [ "$a" = "--inventory" ] && has_i=1; done
    [ $has_i -eq 1 ] || args+=(-i "$inv")
    "$PY" "$HERE/np2nft.py" "${args[@]}" --table ztlab -o "$ST/rules.nft"
    if [ -n "$load_at" ]; then
        "$PY" -c 'import sys, time; time.sleep(max(0.0, float(sys.argv[1]) - time.time()))' "$load_at"
    fi
    ip netns exec "$NODE" nft -f "$ST/rules.nft"
    ip netns exec "$NODE" "$PY" "$HERE/ctflush.py"
}

lab_up() {
    local config=$1 kind a b c d e
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
    [ -f "$config" ] || die "no config $config"
    if ip netns list | awk '{print $1}' | grep -qE "^$PREFIX-"; then
        die "a lab with prefix $PREFIX exists; run: lab.sh down $PREFIX"
    fi
    UP_OK=0
    trap '[ "$UP_OK" = 1 ] || { echo "lab.sh: up failed; tearing down" >&2; lab_down "$PREFIX"; }' EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$ST/log" "$ST/run" "$ST/labels"
    chmod 755 "$ST"
    "$PY" "$HERE/topology.py" plan "$PREFIX" "$config" >"$ST/plan"
    "$PY" "$HERE/topology.py" inventory "$PREFIX" >"$ST/inventory.json"

    declare -gA ADDR=() ADDR6=() BIND=()
    DNS=()
    local sans=() pods=() hosts=() serves=()
    while read -r kind a b c d e; do
        case $kind in
        pod) ADDR[$a]=$b; pods+=("$a") ;;
        addr6) ADDR6[$a]=$b ;;
        # A host may carry several addresses: its servers listen on all of them.
        host) ADDR[$a]=$b; BIND[$a]=0.0.0.0,::; hosts+=("$a ${b} ${c:-} ${d:-} ${e:-}") ;;
        serve) serves+=("$a $b $c") ;;
        dns) DNS+=("$a,$b${c:+,$c}") ;;
        san) sans+=("$a") ;;
        esac
    done <"$ST/plan"

    sh "$SERVERS/mkca.sh" "$ST/ca" "${sans[@]}" >/dev/null
    chmod 644 "$ST/ca/ca.pem"
    mkdir -p "$CA_MOUNT"

    NODE=$(ns_of node)
    ip netns add "$NODE"
    no_dad "$NODE"
    ip -n "$NODE" link set lo up
    ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$NODE" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip netns exec "$NODE" sysctl -qw net.ipv4.conf.all.rp_filter=0
    local p h
    for p in "${pods[@]}"; do link_ns "$p" "${ADDR[$p]}" "${ADDR6[$p]}"; pod_files "$p"; done
    for h in "${hosts[@]}"; do
        # shellcheck disable=SC2086
        link_ns $h
    done
    # Rules before servers: nothing is ever reachable unenforced.
    apply_rules
    local s
    for s in "${serves[@]}"; do
        # shellcheck disable=SC2086
        serve $s
    done
    local name
    for name in $(awk '$1=="pod" {print $5}' "$ST/plan"); do
        "$PY" "$HERE/topology.py" labels "$name" >"$ST/labels/$name"
    done
    UP_OK=1
    trap - INT TERM
}

# ---------------------------------------------------------------- main

[ $# -ge 2 ] || die "usage: lab.sh up|down|apply|state PREFIX [...]"
CMD=$1
PREFIX=$2
shift 2
check_prefix "$PREFIX"
ST=$(state_dir "$PREFIX")
NODE=$PREFIX-node
case $CMD in
up) lab_up "${1:-$REPO/config/lab.json}" ;;
down) lab_down "$PREFIX" ;;
apply) [ -d "$ST" ] || die "no lab $PREFIX"; apply_rules "$@" ;;
state) echo "$ST" ;;
*) die "unknown command $CMD" ;;
esac
