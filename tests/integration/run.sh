#!/bin/bash
# run.sh: ztprobe's integration suite. Drives the real binary through its command line
# against real servers on loopback (HTTP modes, TLS with a CA made now, PostgreSQL 15,
# dnsmasq) and real drops/rejects in two network namespaces of its own.
#
# Usage: bash tests/integration/run.sh [BINARY] [GROUP...]
#   BINARY  default ./ztprobe (e.g. build/san/ztprobe for the sanitized build)
#   GROUP   http tls pg dns udp netns cli watch wait (default: all)
# Prints "ok - ..." / "not ok - ...: why" per case, then "N passed, M failed[, K skipped]";
# exits 1 if any case failed. Needs root (namespaces, nftables, the postgres user).
# Everything it starts is stopped on exit, also on failure or Ctrl-C.
# Variables set here (ports, passwords) are read by the sourced cases_*.sh files.
# shellcheck disable=SC2034
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${1:-./ztprobe}
[ $# -gt 0 ] && shift
GROUPS_WANTED=${*:-http tls pg dns udp netns cli watch wait}

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"
for f in "$HERE"/cases_*.sh; do
    # shellcheck disable=SC1090
    . "$f"
done
zt_agent "$BIN"
[ "$(id -u)" -eq 0 ] || { notok "root" "needs root (network namespaces, nftables, runuser postgres)"; zt_finish; }
zt_init it
mkdir -p "$T/r"
chmod 711 "$T"   # the postgres user must reach $T/pgroot; nothing here is listable by others
sweep_stale_netns zti

# Sanitizer builds: report leaks and errors on stderr, where runz looks for them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# The agent must not see a pod's environment from the caller's shell.
unset ZTPROBE_CONFIG ZTPROBE_ROLE ZTPROBE_LABELS_FILE POD_NAME POD_NAMESPACE
export LC_ALL=C

want() { case " $GROUPS_WANTED " in *" $1 "*) return 0 ;; esac; return 1; }

setup_failed() { # a fixture that did not start is a failed case, never a silent skip
    notok "setup: $1" "${2:-see stderr}"
}

t_start=$(date +%s)
sh "$ROOT/tests/servers/mkca.sh" "$T/pki" || setup_failed "mkca.sh"
sh "$ROOT/tests/hostile/mkexpired.sh" "$T/pki" || setup_failed "mkexpired.sh"

# Loopback servers, started together, then waited for.
for m in healthy status silent reset garbage trickle endless big redirect l7; do srv "$m" "$m"; done
SRV_BIND=::1 srv healthy6 healthy
srv echo echo-any
srv noconn echo-any --bind 127.0.0.1,127.0.0.2 --conn-log "$T/noconn.conns"
srv pg-silent pg-silent
srv tls-stall tls-stall
srv dns-drop udp-drop
srv tls-good healthy --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key"
srv tls-wrong healthy --tls-cert "$T/pki/wrong.pem" --tls-key "$T/pki/wrong.key"
srv tls-alpn healthy --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key" --tls-alpn kafka,h2
srv tls-12 healthy --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key" --tls-max 1.2
srv tls-expired healthy --tls-cert "$T/pki/expired.pem" --tls-key "$T/pki/expired.key"
CLOSED_PORT=$(free_port)
CLOSED_UDP_PORT=$($PY -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_dnsmasq || setup_failed "dnsmasq"

if want pg; then
    PG_PASSWORD="zt-pw-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    PG_BAD_PASSWORD="zt-bad-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    PG_DIR=$T/pgroot
    mkdir -p "$PG_DIR"
    if ! PG_PORT=$(ZT_PG_PASSWORD=$PG_PASSWORD sh "$ROOT/tests/servers/pg.sh" start "$PG_DIR" "$T/pki"); then
        setup_failed "PostgreSQL 15 (tests/servers/pg.sh)"
        GROUPS_WANTED=${GROUPS_WANTED//pg/}
    fi
fi
if want netns && ! netns_up; then
    setup_failed "network namespaces"
    GROUPS_WANTED=${GROUPS_WANTED//netns/}
fi
wait_ports healthy healthy6 status silent reset garbage trickle endless big redirect l7 echo noconn \
    pg-silent tls-stall dns-drop tls-good tls-wrong tls-alpn tls-12 tls-expired || setup_failed "loopback servers"

want http && cases_http
want http && cases_l7
want tls && cases_tls
want pg && cases_pg
want dns && cases_dns
want udp && cases_udp
want netns && cases_netns
want netns && want udp && cases_udp_netns
want cli && cases_cli
want watch && cases_watch
want wait && cases_wait

echo "# integration suite: $(($(date +%s) - t_start)) s with $ZT"
zt_finish
