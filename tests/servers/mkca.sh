#!/bin/sh
# mkca.sh: makes a throwaway PKI at test time, so no key or certificate is ever committed.
#
# Usage: mkca.sh DIR [SAN ...]
# Writes into DIR (created if needed):
#   ca.pem ca.key              the test CA
#   server.pem server.key      signed by ca: localhost, svc.test, *.svc.test, 127.0.0.1, ::1,
#                              plus every extra SAN given (e.g. DNS:backend-service IP:10.0.0.5)
#   wrong.pem wrong.key        signed by ca, but only for wrong-name.invalid (name mismatch)
#   other-ca.pem other-ca.key  an unrelated CA (a client trusting only it must reject server.pem)
# EC P-256 keys: fast to make, and as strict as RSA for verification.
set -eu
[ $# -ge 1 ] || { echo "usage: mkca.sh DIR [SAN ...]" >&2; exit 2; }
dir=$1
shift
mkdir -p "$dir"
cd "$dir"

sans="DNS:localhost,DNS:svc.test,DNS:*.svc.test,IP:127.0.0.1,IP:::1"
for s in "$@"; do sans="$sans,$s"; done

mkkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

mkca() { # NAME CN
    mkkey "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

mkleaf() { # NAME CN SANS
    mkkey "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

mkca ca "ztprobe test CA"
mkca other-ca "ztprobe unrelated CA"
mkleaf server localhost "$sans"
mkleaf wrong wrong-name.invalid "DNS:wrong-name.invalid"
# Keys readable by the owner only; the postgres helper copies what it needs.
chmod 600 ./*.key
openssl verify -CAfile ca.pem server.pem >/dev/null
openssl verify -CAfile ca.pem wrong.pem >/dev/null
