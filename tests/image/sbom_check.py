#!/usr/bin/python3
"""sbom_check.py ROOT VERSION-LINE: checks the image's SPDX list (tests/image/sbom.sh) against the
mounted image ROOT: every file of the image is listed with its SHA-256 and is contained by a
package with a version and a Debian purl; ztprobe is STATIC_LINKed to each library built in;
and `ztprobe version` (VERSION-LINE) reports the upstream versions the list names. Prints a
one-line summary; exits 1 (with the reason) on a mismatch."""
import hashlib
import json
import os
import re
import sys

SBOM = "/usr/share/doc/ztprobe/sbom.spdx.json"


def main(root, version):
    with open(root + SBOM, encoding="utf-8") as handle:
        doc = json.load(handle)
    assert doc["spdxVersion"] == "SPDX-2.3", doc["spdxVersion"]
    pkgs = {p["SPDXID"]: p for p in doc["packages"]}
    rels = doc["relationships"]
    owner = {r["relatedSpdxElement"]: r["spdxElementId"] for r in rels
             if r["relationshipType"] == "CONTAINS"}
    static = {pkgs[r["relatedSpdxElement"]]["name"]: pkgs[r["relatedSpdxElement"]]["versionInfo"]
              for r in rels if r["relationshipType"] == "STATIC_LINK"}
    listed = {}
    for f in doc["files"]:
        p = pkgs[owner[f["SPDXID"]]]
        assert p.get("versionInfo"), "no version for " + f["fileName"]
        if p["name"] != "ztprobe":
            purl = p["externalRefs"][0]["referenceLocator"]
            assert purl.startswith("pkg:deb/debian/%s@" % p["name"]), purl
        listed[f["fileName"][1:]] = {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
    shipped = set()
    for d, _, names in os.walk(root):
        for n in names:
            full = os.path.join(d, n)
            if os.path.isfile(full) and full[len(root):] != SBOM:
                shipped.add(full[len(root):])
    missing = shipped - set(listed)
    assert not missing, "not in the SPDX list: %s" % sorted(missing)
    for path, sums in listed.items():
        with open(root + path, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == sums["SHA256"], "checksum of " + path
    for lib in ("curl", "postgresql-15", "openssl", "c-ares", "cjson", "libyaml"):
        assert lib in static, "ztprobe has no STATIC_LINK to " + lib
    for name, key in (("curl", "libcurl "), ("postgresql-15", "libpq "), ("c-ares", "c-ares "),
                      ("openssl", "OpenSSL/"), ("cjson", "cJSON ")):
        m = re.search(re.escape(key) + r"([0-9.]+)", version)
        assert m and static[name].startswith(m.group(1)), \
            "version line says %s %s, the list %s" % (name, m and m.group(1), static[name])
    print("%d files, %d packages: %s" % (len(listed), len(pkgs), ", ".join(
        "%s %s" % (p["name"], p["versionInfo"]) for p in sorted(pkgs.values(), key=lambda p: p["name"]))))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:3])
    except (AssertionError, KeyError, OSError, ValueError) as e:
        print("SPDX check failed: %s" % e)
        sys.exit(1)
