#!/bin/sh
# pg.sh: a throwaway PostgreSQL 15 cluster for tests, run as the unprivileged `postgres` user
# (the server refuses to run as root) in a folder the test owns.
#
# Usage: pg.sh start DIR [CERTDIR]   initdb + start; prints the TCP port on stdout
#        pg.sh stop DIR              stops it (fast, no checkpoint wait); idempotent
# DIR is created if needed and made traversable (o+x) so the postgres user reaches DIR/pg.
# With CERTDIR (mkca.sh output: server.pem, server.key) the server offers TLS.
# The cluster: scram-sha-256 over TCP, trust only on its own Unix socket in DIR/pg/sock,
# role govtech_admin LOGIN with the password from $ZT_PG_PASSWORD (else a random one, written
# to DIR/pg/password, mode 600), database govtech owned by it, and the probe's least-privilege
# role ztprobe (docs/security.md) with the same password.
# Environment: ZT_PG_LISTEN (default 127.0.0.1), ZT_PG_PORT (default: a free port),
# ZT_PG_NETNS (run the server inside that network namespace: lab use).
set -eu
BIN=/usr/lib/postgresql/15/bin
usage() { echo "usage: pg.sh start DIR [CERTDIR] | pg.sh stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
pgdir=$dir/pg

as_pg() { runuser -u postgres -- "$@"; }
in_ns() { if [ -n "${ZT_PG_NETNS:-}" ]; then ip netns exec "$ZT_PG_NETNS" "$@"; else "$@"; fi; }

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case $cmd in
stop)
    [ -f "$pgdir/data/postmaster.pid" ] || exit 0
    in_ns runuser -u postgres -- "$BIN/pg_ctl" -D "$pgdir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    exit 0
    ;;
start) ;;
*) usage ;;
esac

certdir=${3:-}
listen=${ZT_PG_LISTEN:-127.0.0.1}
port=${ZT_PG_PORT:-$(free_port)}
mkdir -p "$pgdir/sock"
chmod o+x "$dir"
chown -R postgres:postgres "$pgdir"
chmod 700 "$pgdir"
if ! runuser -u postgres -- test -w "$pgdir"; then
    echo "pg.sh: user postgres cannot reach $pgdir: make every folder above it o+x" >&2
    exit 1
fi

password=${ZT_PG_PASSWORD:-}
if [ -z "$password" ]; then
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
fi
umask 077
printf '%s' "$password" >"$pgdir/password"
chown postgres "$pgdir/password"

as_pg "$BIN/initdb" -D "$pgdir/data" -U postgres -E UTF8 --locale=C -A trust \
    >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; exit 1; }

cat >"$pgdir/data/pg_hba.conf" <<EOF
local all all trust
host  all all 0.0.0.0/0 scram-sha-256
host  all all ::/0      scram-sha-256
EOF

cat >>"$pgdir/data/postgresql.conf" <<EOF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$pgdir/sock'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 50
log_connections = off
EOF

if [ -n "$certdir" ]; then
    cp "$certdir/server.pem" "$pgdir/data/server.crt"
    cp "$certdir/server.key" "$pgdir/data/server.key"
    cat >>"$pgdir/data/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
fi
chown -R postgres:postgres "$pgdir"

in_ns runuser -u postgres -- "$BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 30 start \
    >/dev/null 2>&1 || { cat "$pgdir/server.log" >&2; exit 1; }

# The password goes through stdin, never on a command line (ps would show it).
{
    printf "SET client_min_messages = warning;\n"
    printf "CREATE ROLE govtech_admin LOGIN PASSWORD '%s';\n" "$(printf '%s' "$password" | sed "s/'/''/g")"
    printf "CREATE DATABASE govtech OWNER govtech_admin;\n"
    printf "CREATE ROLE ztprobe LOGIN PASSWORD '%s' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10;\n" \
        "$(printf '%s' "$password" | sed "s/'/''/g")"
    printf "GRANT CONNECT ON DATABASE govtech TO ztprobe;\n"
    printf "ALTER ROLE ztprobe SET default_transaction_read_only = on;\n"
} | in_ns runuser -u postgres -- "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir/sock" -p "$port" \
    -U postgres -d postgres -f - >/dev/null

echo "$port"
