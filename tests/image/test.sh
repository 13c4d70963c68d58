#!/usr/bin/env bash
# test.sh: `make image-test`. Runs the image built by `make image` the way a pod would, without
# a container engine (containers cannot start here: crun's setrlimit is refused):
#
#   - `podman image mount` gives the image's root filesystem, never written to (checked);
#   - each run happens inside a lab pod's network namespace (tests/lab/lab.sh: the govtech
#     namespace with manifests/network-policies.yaml enforced), in fresh mount and PID
#     namespaces where inpod.sh mounts what the pod spec mounts (config read-only at
#     /etc/ztprobe, Downward API labels at /etc/podinfo, kube-dns resolv.conf, an emptyDir on
#     /tmp) and makes the root read-only, then `chroot --userspec=65532:65532` with the image's
#     own environment, entrypoint and command;
#   - the frontend matrix passes with the image's default command (`ztprobe run`), the
#     backend and postgres matrices with the CronJobs' arguments from manifests/, the frontend
#     sidecar's `watch` arguments from manifests/ write a report and stop on SIGTERM, and the
#     docs/cluster.md's `kubectl exec` / `kubectl debug` commands work in the image;
#   - peak RSS of every run (GNU time) stays within the memory request and at most half the
#     limit of the ztprobe containers in manifests/;
#   - the image has no shell (the harness stays outside the chroot; uid, groups and
#     capabilities are read from /proc of the running ztprobe), no program but ztprobe, at most
#     8 shared objects (its own loader's --list), and an SPDX list naming every file;
#   - the image's ztprobe passes the host's integration tls/pg/dns groups and the hostile-peer
#     suite (inimage.sh runs it as their binary), as the host build does.
#
# Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed"; exits 1 on a failure.
# Everything (lab, mounts, processes, temp files) goes on exit, failure or Ctrl-C.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/lib.sh
. "$ZT_REPO/tests/lib.sh"
HERE=$ZT_REPO/tests/image
LAB=$ZT_REPO/tests/lab/lab.sh
PREFIX=zi$(($$ % 100000000))
zt_init image
TMP=$T
MNT=
LAB_UP=0
BG=()
declare -A SUITE_PID=() # the host suites run against the image (below), by name

# because WHY CMD...: for check, when CMD's own output says nothing: WHY is the reason.
because() {
    local why=$1
    shift
    "$@" >/dev/null 2>&1 && return 0
    printf '%s\n' "$why"
    return 1
}
all() { # CMD1 -- CMD2 ...: true when every command succeeds (for check)
    local cmd=()
    while [ $# -gt 0 ]; do
        if [ "$1" = "--" ]; then "${cmd[@]}" || return 1; cmd=(); else cmd+=("$1"); fi
        shift
    done
    [ ${#cmd[@]} -eq 0 ] || "${cmd[@]}"
}
# descendant PID NAME: the first process named NAME below PID.
descendant() {
    local p
    for p in $(pgrep -P "$1"); do
        if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ]; then echo "$p"; return 0; fi
        descendant "$p" "$2" && return 0
    done
    return 1
}

# What tests/lib.sh's cleanup does not know: the chrooted processes (killed outright), the
# lab, the image's mount.
image_cleanup() {
    local p
    for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    # A host suite still running (Ctrl-C): TERM, so that its own trap tears down its servers.
    for p in "${SUITE_PID[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    [ $LAB_UP -eq 1 ] && bash "$LAB" down "$PREFIX" >/dev/null 2>&1
    [ -n "$MNT" ] && zt_podman image unmount "$ZT_IMAGE" >/dev/null 2>&1
}
zt_at_exit image_cleanup

[ "$(id -u)" -eq 0 ] || { notok "image test needs root (network namespaces, chroot)"; zt_finish; }
if ! zt_podman image exists "$ZT_IMAGE" 2>/dev/null; then
    notok "image $ZT_IMAGE exists" "run 'make image' first"
    zt_finish
fi

# ---------------------------------------------------------------- the image's config
zt_podman image inspect --format '{{json .Config}}' "$ZT_IMAGE" >"$TMP/config.json"
size=$(zt_podman image inspect --format '{{.Size}}' "$ZT_IMAGE")
cfg() { "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps(c.get(sys.argv[2])))' "$TMP/config.json" "$1"; }
check "image runs as USER 65532:65532" because "$(cfg User)" [ "$(cfg User)" = '"65532:65532"' ]
check 'image ENTRYPOINT ["ztprobe"], CMD ["run"]' because "$(cfg Entrypoint) $(cfg Cmd)" \
    [ "$(cfg Entrypoint) $(cfg Cmd)" = '["ztprobe"] ["run"]' ]
echo "# image $ZT_IMAGE: $((size / 1000000)) MB"

# The image's environment and argv, as an engine would start it: env -i + Config.Env.
mapfile -t IMG_ENV < <("$PY" -c 'import json,sys; [print(e) for e in json.load(open(sys.argv[1])).get("Env") or []]' "$TMP/config.json")
mapfile -t IMG_ARGV < <("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); [print(a) for a in (c.get("Entrypoint") or []) + (c.get("Cmd") or [])]' "$TMP/config.json")

MNT=$(zt_podman image mount "$ZT_IMAGE") || { notok "podman image mount $ZT_IMAGE"; MNT=; zt_finish; }
[ -x "$MNT/usr/local/bin/ztprobe" ] || { notok "ztprobe in the image at /usr/local/bin/ztprobe"; zt_finish; }
touch "$TMP/stamp"

# vols ROLE: the pod's volumes for ROLE in $TMP/vols-ROLE (see inpod.sh).
vols() {
    local role=$1 short=$2 v=$TMP/vols-$1
    mkdir -p "$v/config" "$v/podinfo" "$v/tmp"
    chmod 1777 "$v/tmp"
    # The lab's CA path (sslrootcert, defaults.ca_file) is where this pod mounts the CA.
    sed 's#"/etc/ztprobe-lab/ca.pem"#"/etc/ztprobe/ca.pem"#g' "$ZT_REPO/config/lab.json" >"$v/config/config.json"
    if [ $LAB_UP -eq 1 ]; then
        cp "$ST/ca/ca.pem" "$v/config/ca.pem"
        cp "$ST/labels/$role" "$v/podinfo/labels"
        cp "/etc/netns/$PREFIX-$short/resolv.conf" "$v/resolv.conf"
    else
        printf 'app="%s"\n' "$role" >"$v/podinfo/labels"
        : >"$v/resolv.conf"
    fi
    # The kubelet's /etc/hosts (localhost; the pod's own name is not needed here).
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$v/hosts"
    chmod -R a+rX "$v/config" "$v/podinfo" "$v/resolv.conf" "$v/hosts"
    echo "$v"
}

# The host's chroot by its path: env -i gives the image's PATH, which has /usr/local/bin alone.
CHROOT=$(command -v chroot)
# in_pod ROLE SHORT|- ENV... -- ARGV...: ARGV as uid 65532 in the image, in ROLE's pod (SHORT:
# the lab namespace; - for none), with the image's environment plus ENV. Peak RSS in $TMP/rss.
in_pod() {
    local role=$1 short=$2 v env=() netns=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do env+=("$1"); shift; done
    shift
    v=$TMP/vols-$role
    [ "$short" != - ] && netns=(ip netns exec "$PREFIX-$short")
    "${netns[@]}" unshare -m -p -f --propagation private \
        bash "$HERE/inpod.sh" "$MNT" "$v" -- \
        /usr/bin/time -f %M -o "$TMP/rss" \
        env -i "${IMG_ENV[@]}" POD_NAMESPACE=govtech "${env[@]}" \
        "$CHROOT" --userspec=65532:65532 "$MNT" "$@"
}

# ---------------------------------------------------------------- static checks, no network
zt_phase "static checks"
vols frontend - >/dev/null
# The image has no shell to run `id` in: the uid, groups and capabilities are read from
# /proc/PID/status of the image's own ztprobe, started as a pod would start it and held
# waiting for its config on a FIFO.
mkfifo -m 644 "$TMP/hold"
in_pod frontend - -- ztprobe validate -c /dev/stdin <"$TMP/hold" >/dev/null 2>&1 &
hpid=$!
BG+=("$hpid")
exec 9>"$TMP/hold"
child=
for _ in $(seq 1 100); do child=$(descendant "$hpid" ztprobe) && break; sleep 0.05; done
status=$(cat /proc/"${child:-0}"/status 2>/dev/null)
cat "$ZT_REPO/config/lab.json" >&9
exec 9>&-
wait "$hpid" || true
field() { awk -v f="$1:" '$1 == f {$1 = ""; print substr($0, 2)}' <<<"$status"; }
ids="$(field Uid) / $(field Gid) / groups: $(field Groups)"
check "ztprobe runs as uid 65532, gid 65532, no other group ($ids)" because "pid ${child:-not found}" \
    all [ "$(field Uid)" = "65532 65532 65532 65532" ] -- \
    [ "$(field Gid)" = "65532 65532 65532 65532" ] -- \
    bash -c '[ -z "$(tr " " "\n" <<<"$1" | grep -v -x -e 65532 -e "")" ]' _ "$(field Groups)"
# No capabilities at all: the effective, permitted and ambient sets are empty, as
# `capabilities.drop: [ALL]` with a non-root uid gives in a pod.
caps="$(field CapEff) $(field CapPrm) $(field CapAmb)"
check "ztprobe runs with no effective, permitted or ambient capabilities" because "$caps" \
    [ "$caps" = "0000000000000000 0000000000000000 0000000000000000" ]
# What the dynamic loader maps, asked of the image's own loader (ldd is a shell script, and
# the image has no shell): libc, libcurl, libpq and the rest being linked in.
interp=$(readelf -l "$MNT/usr/local/bin/ztprobe" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
out=$(in_pod frontend - -- "$interp" --list /usr/local/bin/ztprobe 2>&1)
nso=$(grep -c -E '=> /|^\s*/' <<<"$out")
check "every shared object of ztprobe is in the image ($nso: $(grep -oE '(lib|ld)[^ /]*\.so[.0-9]*' <<<"$out" | sort -u | tr '\n' ' '))" \
    because "$out" bash -c '! grep -qE "not found|libcurl|libpq|libcares|libcjson|libyaml" <<<"$1" && [ "$2" -ge 1 ] && [ "$2" -le 8 ]' _ "$out" "$nso"
out=$(in_pod frontend - -- ztprobe version 2>&1)
check "ztprobe on the image's PATH: $out" because "$out" grep -q "^ztprobe $ZT_VERSION" <<<"$out"
version_line=$out
# Nothing to run but ztprobe: no shell, no package manager, no program or tool besides it
# (shared objects are executable files too, and are allowed).
progs=$(cd "$MNT" && find . -xdev \( -type f -o -type l \) -perm /111 ! -name '*.so*' ! -path ./usr/local/bin/ztprobe | tr '\n' ' ')
shells=$(cd "$MNT" && ls -d bin/sh bin/bash bin/busybox usr/bin/dpkg usr/bin/apt-get var/lib/dpkg 2>/dev/null | tr '\n' ' ')
check "no shell, package manager or program besides ztprobe in the image" because "$progs$shells" \
    [ -z "$progs$shells" ]
# The SPDX list names every file of the image, with its checksum and the Debian source
# package and version it came from; ztprobe's version line names the same libraries.
out=$("$PY" "$HERE/sbom_check.py" "$MNT" "$version_line" 2>&1)
check "SPDX list in the image: every file with its Debian source package and version ($out)" because "$out" \
    grep -q "files," <<<"$out"
out=$(unshare -m -p -f --propagation private bash "$HERE/inpod.sh" "$MNT" "$TMP/vols-frontend" -- \
    touch "$MNT/zt-write-test" 2>&1)
check "the root filesystem is read-only in the test harness (even for root)" because "$out" \
    grep -q "Read-only file system" <<<"$out"

# ---------------------------------------------------------------- the lab
zt_phase "lab up"
if ! bash "$LAB" up "$PREFIX" >"$TMP/lab.log" 2>&1; then
    notok "lab up ($PREFIX)" "$(tail -5 "$TMP/lab.log")"
    zt_finish
fi
LAB_UP=1
ST=$(bash "$LAB" state "$PREFIX")
PGPW=$(cat "$ST/pg/password")

# The memory sizes of the ztprobe containers in manifests/ (all equal; checked offline).
read -r MEM_REQ MEM_LIM < <("$PY" - "$ZT_REPO/manifests" <<'EOF'
import glob, re, sys, yaml
units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "K": 1000, "M": 1000**2, "G": 1000**3, "": 1}
def b(q):
    n, u = re.fullmatch(r"(\d+)([KMG]i?)?", str(q)).groups()
    return int(n) * units[u or ""]
req, lim = [], []
def walk(o):
    if isinstance(o, dict):
        if re.search(r"(^|/)ztprobe(:|$)", str(o.get("image", ""))):
            req.append(b(o["resources"]["requests"]["memory"]))
            lim.append(b(o["resources"]["limits"]["memory"]))
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
for f in glob.glob(sys.argv[1] + "/*.yaml"):
    for d in yaml.safe_load_all(open(f)):
        walk(d)
print(min(req), min(lim))
EOF
)

# judge ROLE REPORT: the JSON report passes for ROLE, every probe "pass" (quiet); verdict
# ROLE REPORT prints the one-line summary.
judge() { verdict "$@" >/dev/null 2>&1; }
verdict() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
role, path = sys.argv[1:]
r = json.load(open(path))
bad = [x["name"] + ":" + x["verdict"] + "/" + x["outcome"] for x in r["results"] if x["verdict"] != "pass"]
ok = r["role"] == role and r["summary"]["ok"] and not bad and r["summary"]["total"] > 0 \
    and r["pod"]["namespace"] == "govtech"
print("%s: %d probes, %s%s" % (r["role"], r["summary"]["total"],
      "all pass" if not bad else "not passing: " + " ".join(bad), "" if ok else " (FAILED)"))
sys.exit(0 if ok else 1)
EOF
}

mem_ok() { # WHAT: the last run's peak RSS against the manifests' request and limit
    local kb
    kb=$(tail -1 "$TMP/rss" 2>/dev/null)
    [[ $kb =~ ^[0-9]+$ ]] || { notok "$1: peak RSS measured" "no /usr/bin/time output"; return; }
    echo "# $1: peak RSS $((kb / 1024)) MiB (request $((MEM_REQ / 1048576)) Mi, limit $((MEM_LIM / 1048576)) Mi)"
    check "$1: peak RSS $((kb / 1024)) MiB within the request, under half the limit" because "$kb KiB" \
        all [ $((kb * 1024)) -le "$MEM_REQ" ] -- [ $((kb * 1024 * 2)) -le "$MEM_LIM" ]
}

# manifest_args KIND NAME: the ztprobe container's command+args in manifests/, one per line.
manifest_args() {
    "$PY" - "$ZT_REPO/manifests" "$1" "$2" <<'EOF'
import glob, re, sys, yaml
d, kind, name = sys.argv[1:]
for f in sorted(glob.glob(d + "/*.yaml")):
    for o in yaml.safe_load_all(open(f)):
        if o and o.get("kind") == kind and o["metadata"]["name"] == name:
            t = o["spec"]["jobTemplate"]["spec"]["template"] if kind == "CronJob" else o["spec"]["template"]
            for c in t["spec"]["containers"]:
                if re.search(r"(^|/)ztprobe(:|$)", c["image"]):
                    print("\n".join(c.get("command", []) + c.get("args", [])))
                    sys.exit(0)
sys.exit(1)
EOF
}

zt_phase "the roles' runs"
# 1. frontend: the image's own entrypoint and command, nothing added (`docker run IMAGE`).
vols frontend fe >/dev/null
rc=0
in_pod frontend fe POD_NAME=frontend-image-test -- "${IMG_ARGV[@]}" >"$TMP/fe.json" 2>"$TMP/fe.err" || rc=$?
verdict=$(verdict frontend "$TMP/fe.json" 2>&1)
check "frontend matrix passes in the image: '${IMG_ARGV[*]}' as 65532 in the lab's frontend pod ($verdict)" \
    because "exit $rc; $(head -3 "$TMP/fe.err")" all [ $rc -eq 0 ] -- judge frontend "$TMP/fe.json"
mem_ok "frontend default run"

# 2. every role with its CronJob's arguments from manifests/ (the lab's CA as a ConfigMap key).
for rs in frontend:fe backend:be postgres:pg; do
    role=${rs%%:*} short=${rs##*:}
    vols "$role" "$short" >/dev/null
    mapfile -t args < <(manifest_args CronJob "ztprobe-$role")
    [ ${#args[@]} -gt 0 ] || { notok "CronJob ztprobe-$role in manifests/"; continue; }
    rc=0
    in_pod "$role" "$short" POD_NAME="$role-cron-test" PGPASSWORD="$PGPW" -- \
        ztprobe "${args[@]}" --ca-file /etc/ztprobe/ca.pem >"$TMP/$role.json" 2>"$TMP/$role.err" || rc=$?
    verdict=$(verdict "$role" "$TMP/$role.json" 2>&1)
    check "$role CronJob command 'ztprobe ${args[*]}' passes in the image ($verdict)" \
        because "exit $rc; $(head -3 "$TMP/$role.err")" all [ $rc -eq 0 ] -- judge "$role" "$TMP/$role.json"
    mem_ok "$role CronJob run"
    # The Job's log is the report: `kubectl logs job/...` must be JSON alone, nothing on stderr.
    check "$role CronJob run writes nothing on stderr (its log is the JSON report alone)" \
        because "$(head -3 "$TMP/$role.err")" [ ! -s "$TMP/$role.err" ]
done

# docs/cluster.md's post-deploy step: the three Jobs' logs merged into one namespace-wide matrix.
v=$TMP/vols-frontend
cp "$TMP/frontend.json" "$TMP/backend.json" "$TMP/postgres.json" "$v/tmp/"
chmod 644 "$v"/tmp/*.json
rc=0
in_pod frontend - -- ztprobe merge -o text /tmp/frontend.json /tmp/backend.json /tmp/postgres.json \
    >"$TMP/merge.txt" 2>&1 || rc=$?
check "docs/cluster.md 'ztprobe merge -o text frontend.json backend.json postgres.json' exits 0 with every role" \
    because "exit $rc; $(head -5 "$TMP/merge.txt")" \
    all [ $rc -eq 0 ] -- grep -q backend "$TMP/merge.txt" -- grep -q postgres "$TMP/merge.txt"

zt_phase "the sidecar's watch"
# 3. the frontend sidecar's `watch` from manifests/: a report on the emptyDir, SIGTERM -> exit 0.
mapfile -t sargs < <(manifest_args Deployment frontend)
v=$(vols frontend fe)
rm -f "$v/tmp/report.json"
in_pod frontend fe POD_NAME=frontend-sidecar-test -- ztprobe "${sargs[@]}" 2>"$TMP/watch.err" &
wpid=$!
BG+=("$wpid")
for _ in $(seq 1 150); do [ -s "$v/tmp/report.json" ] && break; sleep 0.2; done
verdict=$(verdict frontend "$v/tmp/report.json" 2>&1)
check "frontend sidecar 'ztprobe ${sargs[*]}' writes a passing report on its emptyDir ($verdict)" \
    because "$(head -3 "$TMP/watch.err")" judge frontend "$v/tmp/report.json"
# The image has no `cat`: docs/cluster.md shows the sidecar's last report with ztprobe itself.
rc=0
in_pod frontend - -- ztprobe merge -o text /tmp/report.json >"$TMP/show.txt" 2>&1 || rc=$?
check "docs/cluster.md 'ztprobe merge -o text /tmp/report.json' (kubectl exec) prints the sidecar's report" \
    because "exit $rc; $(head -3 "$TMP/show.txt")" all [ $rc -eq 0 ] -- grep -q frontend "$TMP/show.txt"
# The sidecar is the unshare child (PID 1 of its PID namespace): SIGTERM it as the kubelet would.
child=$(descendant "$wpid" ztprobe)
t0=$(date +%s%N)
[ -n "$child" ] && kill -TERM "$child"
rc=0
wait "$wpid" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "sidecar exits 0 on SIGTERM, in ${ms} ms" because "exit $rc, pid ${child:-not found}" \
    all [ -n "$child" ] -- [ $rc -eq 0 ] -- [ $ms -lt 3000 ]
check "sidecar logs one JSON line per run" because "$(head -2 "$TMP/watch.err")" \
    "$PY" -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1]) if x.startswith("{")]; sys.exit(0 if l else 1)' "$TMP/watch.err"
mem_ok "frontend sidecar"

zt_phase "docs/cluster.md's commands"
# 4. docs/cluster.md's verification commands, inside the image: `kubectl exec ... -c ztprobe --
#    ztprobe run -o text`, and `kubectl debug` (no volumes: config on stdin, role by flag).
vols backend be >/dev/null
rc=0
in_pod backend be PGPASSWORD="$PGPW" -- ztprobe run -o text --ca-file /etc/ztprobe/ca.pem \
    >"$TMP/exec.txt" 2>&1 || rc=$?
check "docs/cluster.md 'ztprobe run -o text' (kubectl exec into the backend sidecar) passes and prints the table" \
    because "exit $rc; $(head -5 "$TMP/exec.txt")" all [ $rc -eq 0 ] -- grep -q "VERDICT" "$TMP/exec.txt"
rc=0
in_pod frontend fe -- ztprobe run -c - --role frontend -o text \
    <"$ZT_REPO/config/lab.json" >"$TMP/debug.txt" 2>&1 || rc=$?
check "docs/cluster.md 'ztprobe run -c - --role frontend -o text' (kubectl debug) passes" \
    because "exit $rc; $(head -5 "$TMP/debug.txt")" all [ $rc -eq 0 ] -- grep -q "VERDICT" "$TMP/debug.txt"

# 5. The image's ztprobe against the host's suites, as they run the host build: the TLS cases
#    (names, chains, untrusted and system CAs), PostgreSQL (auth failures, TLS modes) and DNS
#    errors of tests/integration, and every hostile peer of tests/hostile (expired
#    certificates, malformed DNS answers, ...). inimage.sh runs each call in the image.
sv=$TMP/vols-suites
mkdir -p "$sv/config" "$sv/podinfo"
ln -s /tmp "$sv/tmp"
ln -s /etc/resolv.conf "$sv/resolv.conf"
ln -s /etc/hosts "$sv/hosts"
# host_suite_start NAME USER SCRIPT ARGS...: the suite SCRIPT in the background, the image's
# ztprobe as its binary (ARGS: the suite's own, after it), its output in $TMP/suite-NAME.log;
# host_suite_tally NAME: waits for it, then counts its cases here, each line prefixed NAME.
# The two suites run together: their cases wait on their own servers' silences and timeouts,
# on loopback servers of their own, and are timed each against its own deadline.
host_suite_start() {
    local name=$1 user=$2 script=$3
    shift 3
    ZT_IMAGE_ROOT=$MNT ZT_IMAGE_VOLS=$sv ZT_IMAGE_USER=$user \
        bash "$script" "$HERE/inimage.sh" "$@" >"$TMP/suite-$name.log" 2>&1 &
    SUITE_PID[$name]=$!
}
host_suite_tally() {
    local name=$1 log=$TMP/suite-$1.log rc=0 p q
    wait "${SUITE_PID[$name]}" || rc=$?
    unset "SUITE_PID[$name]" # ended: its pid is no longer ours to signal
    grep -E '^(not )?ok - ' "$log" | sed -E "s/^((not )?ok - )/\1$name (image): /"
    p=$(grep -c '^ok - ' "$log")
    q=$(grep -c '^not ok - ' "$log")
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + q))
    if [ "$rc" -ne 0 ] && [ "$q" -eq 0 ] || [ "$p" -eq 0 ]; then
        notok "$name suite against the image ran" "exit $rc: $(tail -3 "$log" | tr '\n' ' ')"
    fi
}
zt_phase "integration tls pg dns and hostile against the image"
host_suite_start integration 0:0 "$ZT_REPO/tests/integration/run.sh" tls pg dns
host_suite_start hostile 65532:65532 "$ZT_REPO/tests/hostile/run.sh"
host_suite_tally integration
host_suite_tally hostile
zt_phase "host suites done"

# Nothing was written into the image's root filesystem.
changed=$(find "$MNT" -xdev -newer "$TMP/stamp" 2>/dev/null | head -5 | tr '\n' ' ')
check "the image's root filesystem is unchanged after the runs" because "$changed" [ -z "$changed" ]
zt_finish
