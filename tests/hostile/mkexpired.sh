#!/bin/sh
# mkexpired.sh: an expired server certificate (valid 2020-01-01 .. 2020-01-02) for 127.0.0.1
# and localhost, signed by the test CA that tests/servers/mkca.sh made in DIR, so the only
# thing wrong with it is its dates. OpenSSL 3.0's `x509 -req` cannot set past dates, so
# `openssl ca` does the signing with a throwaway database in DIR/expired-ca/.
#
# Usage: mkexpired.sh DIR      (DIR holds ca.pem, ca.key; writes expired.pem, expired.key)
set -eu
[ $# -eq 1 ] || { echo "usage: mkexpired.sh DIR" >&2; exit 2; }
cd "$1"
mkdir -p expired-ca
: >expired-ca/index.txt
echo 01 >expired-ca/serial
cat >expired-ca/ca.cnf <<CNF
[ ca ]
default_ca = zt
[ zt ]
dir = expired-ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leaf
unique_subject = no
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out expired.key 2>/dev/null
chmod 600 expired.key
openssl req -new -key expired.key -out expired-ca/expired.csr -subj "/CN=localhost" 2>/dev/null
openssl ca -batch -config expired-ca/ca.cnf -cert ca.pem -keyfile ca.key \
    -startdate 20200101000000Z -enddate 20200102000000Z \
    -in expired-ca/expired.csr -out expired.pem >/dev/null 2>&1
# Proof that it is expired and nothing else: verification fails with "certificate has
# expired" (X509_V_ERR_CERT_HAS_EXPIRED), not with another error.
out=$(openssl verify -CAfile ca.pem expired.pem 2>&1 || true)
case $out in
*"certificate has expired"*) ;;
*) echo "mkexpired.sh: unexpected verification result: $out" >&2; exit 1 ;;
esac
