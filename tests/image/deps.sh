#!/bin/sh
# tests/image/deps.sh PREFIX: the libraries the image's ztprobe links statically, built into PREFIX
# (include/, lib/) for `make STATIC_DEPS=PREFIX`. Run by the Dockerfile's build stage.
#
# libcurl, libpq and cJSON are built from Debian's own source packages (`apt-get source`:
# upstream's tarball with Debian's patches, security fixes included), configured for what
# ztprobe uses: libcurl speaks HTTP and HTTPS only, through OpenSSL, with no IDN, PSL, HTTP/2,
# compression, LDAP, SSH, RTMP or Kerberos; libpq has OpenSSL and nothing else (no GSSAPI,
# LDAP, readline, ICU, NLS). c-ares, libyaml and OpenSSL come as the static archives Debian's
# -dev packages ship (built from the same Debian sources). So the binary needs libc alone.
#
# PREFIX/share/ztprobe/sources lists "SOURCE-PACKAGE VERSION WHAT" for each of them: the
# image's SPDX list (tests/image/sbom.sh) is made from it. Needs deb-src entries and the build
# dependencies the Dockerfile installs.
set -eu
PREFIX=$1
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$PREFIX/share/ztprobe"
SRC=${ZT_DEPS_SRC:-$(mktemp -d)}
JOBS=$(nproc 2>/dev/null || echo 2)
LIST=$PREFIX/share/ztprobe/sources
: >"$LIST"
cd "$SRC"

# fetch PKG: `apt-get source PKG`, newest version first. A mirror may hold the index of a
# security upload before its files: then the next version down is taken, and said (the SPDX
# list carries the version actually built). Prints the unpacked directory.
fetch() {
    for v in $(apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -urV); do
        if apt-get source -qq "$1=$v" >"fetch-$1.log" 2>&1; then
            d=$(find . -maxdepth 1 -type d -name "$1-*" | head -1)
            echo "$1 $v" >"version-$1"
            mkdir -p "$PREFIX/share/ztprobe/copyright"
            cp "$d/debian/copyright" "$PREFIX/share/ztprobe/copyright/$1"
            echo "$d"
            return 0
        fi
        echo "deps.sh: $1 $v not downloadable from this mirror, trying the next version" >&2
    done
    cat "fetch-$1.log" >&2
    echo "deps.sh: no version of $1 could be fetched" >&2
    return 1
}

# from_deb DEV-PACKAGE WHAT: an archive Debian ships, recorded with its source package.
from_deb() {
    dpkg-query -W -f='${source:Package} ${source:Version}' "$1" | sed "s|\$| $2|" >>"$LIST"
    echo >>"$LIST"
}

# ---- libcurl: HTTP and HTTPS through OpenSSL. As debian/rules does for its OpenSSL flavour:
# the series' last two patches (the NSS and GnuTLS flavours' library names) taken off, then
# configure regenerated (the patches touch configure.ac).
d=$(fetch curl)
(
    cd "$d"
    patch -s -R -p1 <debian/patches/99_nss.patch
    patch -s -R -p1 <debian/patches/90_gnutls.patch
    autoreconf -fi >/dev/null 2>&1
    ./configure -q --prefix="$PREFIX" --disable-shared --enable-static \
        --with-openssl --enable-threaded-resolver \
        --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
        --disable-dict --disable-file --disable-ftp --disable-gopher --disable-imap \
        --disable-ldap --disable-ldaps --disable-mqtt --disable-pop3 --disable-rtsp \
        --disable-smb --disable-smtp --disable-telnet --disable-tftp \
        --disable-manual --disable-ntlm --disable-ntlm-wb \
        --disable-netrc \
        --without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
        --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche \
        --without-librtmp --without-libssh2 --without-libssh --without-wolfssh \
        --without-libgsasl --without-gssapi
    make -s -j"$JOBS" -C lib >/dev/null
    make -s -C lib install >/dev/null
    make -s -C include install >/dev/null
)
echo "$(cat version-curl) libcurl.a" >>"$LIST"

# ---- libpq: OpenSSL only. A static libpq also needs src/common's and src/port's archives
# built for shared use (the _shlib variants: the ones libpq.so is linked with).
d=$(fetch postgresql-15)
(
    cd "$d"
    ./configure -q --prefix="$PREFIX" --with-openssl --without-readline --without-icu \
        --without-gssapi --without-ldap --without-zlib --without-pam --without-libxml \
        --disable-nls >/dev/null
    make -s -j"$JOBS" -C src/interfaces/libpq all-static-lib >/dev/null
    make -s -j"$JOBS" -C src/common libpgcommon_shlib.a >/dev/null
    make -s -j"$JOBS" -C src/port libpgport_shlib.a >/dev/null
    cp src/interfaces/libpq/libpq.a src/common/libpgcommon_shlib.a src/port/libpgport_shlib.a \
        "$PREFIX/lib/"
    cp src/interfaces/libpq/libpq-fe.h src/interfaces/libpq/libpq-events.h \
        src/include/postgres_ext.h src/include/pg_config_ext.h "$PREFIX/include/"
)
echo "$(cat version-postgresql-15) libpq.a" >>"$LIST"

# ---- cJSON: one file; Debian ships no static archive of it.
d=$(fetch cjson)
(
    cd "$d"
    mkdir -p "$PREFIX/include/cjson"
    ${CC:-cc} -std=c89 -O2 -fPIE -c cJSON.c -o cJSON.o
    ar rcs "$PREFIX/lib/libcjson.a" cJSON.o
    cp cJSON.h "$PREFIX/include/cjson/"
)
echo "$(cat version-cjson) libcjson.a" >>"$LIST"

from_deb libc-ares-dev libcares.a
from_deb libyaml-dev libyaml.a
from_deb libssl-dev "libssl.a libcrypto.a"
sed -i '/^$/d' "$LIST"
cat "$LIST"
# The unpacked sources and their objects (about 340 MB) would otherwise stay in the build
# stage's layer and in the copy of it every later layer is (podman's vfs store).
[ -n "${ZT_DEPS_SRC:-}" ] || rm -rf "$SRC"
