#!/bin/sh
# tests/image/sbom.sh ROOT MANIFEST SOURCES VERSION: prints the image's SPDX 2.3 document (JSON).
#
# MANIFEST has "PATH SOURCE SOURCE-VERSION" per file shipped in ROOT (rootfs.sh writes it);
# SOURCES has "SOURCE SOURCE-VERSION ARCHIVES..." per library linked statically into ztprobe
# (deps.sh writes it). Every Debian source package becomes an SPDX package with its version
# and a purl (pkg:deb/debian/NAME@VERSION?arch=source), each file is CONTAINed by the package
# it came from, and /usr/local/bin/ztprobe has a STATIC_LINK to each library's package: a CVE
# scanner reading this document sees libcurl and libpq although no .so of theirs is shipped.
# Names, versions and paths are Debian's (no quote, backslash or control character in them).
set -eu
ROOT=$1 MAN=$2 SOURCES=$3 VERSION=$4

id_of() { echo "SPDXRef-Package-$1" | tr -c 'A-Za-z0-9.\n-' '-'; }
purl_ver() { echo "$1" | sed 's/%/%25/g; s/+/%2B/g; s/:/%3A/g; s/~/%7E/g'; }
sep() { [ "$1" -eq 0 ] || printf ',\n'; }

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ns=$(sha256sum "$ROOT/usr/local/bin/ztprobe" | cut -c1-16)
printf '{\n  "spdxVersion": "SPDX-2.3",\n  "dataLicense": "CC0-1.0",\n'
printf '  "SPDXID": "SPDXRef-DOCUMENT",\n  "name": "ztprobe-image-%s",\n' "$VERSION"
printf '  "documentNamespace": "https://spdx.org/spdxdocs/ztprobe-image-%s-%s",\n' "$VERSION" "$ns"
printf '  "creationInfo": { "created": "%s", "creators": ["Tool: ztprobe tests/image/sbom.sh"] },\n' "$created"
printf '  "documentDescribes": ["%s"],\n' "$(id_of ztprobe)"

printf '  "packages": [\n'
i=0
{ awk '{print $2, $3}' "$MAN"; awk '{print $1, $2}' "$SOURCES"; } | sort -u |
    while read -r src ver; do
        sep $i
        i=$((i + 1))
        if [ "$src" = ztprobe ]; then
            printf '    { "SPDXID": "%s", "name": "ztprobe", "versionInfo": "%s",' "$(id_of ztprobe)" "$ver"
            printf ' "primaryPackagePurpose": "APPLICATION",'
        else
            printf '    { "SPDXID": "%s", "name": "%s", "versionInfo": "%s",' "$(id_of "$src")" "$src" "$ver"
            printf ' "supplier": "Organization: Debian", "primaryPackagePurpose": "SOURCE",'
            printf ' "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",'
            printf ' "referenceLocator": "pkg:deb/debian/%s@%s?arch=source&distro=debian-12" }],' "$src" "$(purl_ver "$ver")"
        fi
        printf ' "downloadLocation": "NOASSERTION", "filesAnalyzed": false,'
        printf ' "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",'
        printf ' "copyrightText": "NOASSERTION" }'
    done
printf '\n  ],\n  "files": [\n'
i=0
while read -r path src ver; do
    sep $i
    i=$((i + 1))
    printf '    { "SPDXID": "SPDXRef-File-%d", "fileName": ".%s", "checksums": [' "$i" "$path"
    printf '{ "algorithm": "SHA1", "checksumValue": "%s" }, ' "$(sha1sum "$ROOT$path" | cut -d' ' -f1)"
    printf '{ "algorithm": "SHA256", "checksumValue": "%s" }],' "$(sha256sum "$ROOT$path" | cut -d' ' -f1)"
    printf ' "comment": "from %s %s", "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION" }' "$src" "$ver"
done <"$MAN"
printf '\n  ],\n  "relationships": [\n'
printf '    { "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "%s" }' "$(id_of ztprobe)"
i=0
while read -r path src ver; do
    i=$((i + 1))
    printf ',\n    { "spdxElementId": "%s", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-File-%d" }' "$(id_of "$src")" "$i"
    if [ "$path" = /usr/local/bin/ztprobe ]; then
        awk '{print $1}' "$SOURCES" | while read -r lib; do
            printf ',\n    { "spdxElementId": "SPDXRef-File-%d", "relationshipType": "STATIC_LINK", "relatedSpdxElement": "%s" }' "$i" "$(id_of "$lib")"
        done
    fi
done <"$MAN"
printf '\n  ]\n}\n'
