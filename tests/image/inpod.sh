#!/usr/bin/env bash
# inpod.sh ROOT VOLS -- CMD...: runs CMD as a container of the image would run, without a
# container engine. Meant to be started by test.sh inside a lab pod's network namespace and in
# fresh mount and PID namespaces (`unshare -m -p -f --propagation private`), so every mount
# below vanishes with the command and nothing reaches the host's mount table.
#
# ROOT is the image's root filesystem (`podman image mount`); VOLS a folder holding what the
# pod spec would mount:
#   VOLS/config/     -> /etc/ztprobe   read-only  (the ConfigMap)
#   VOLS/podinfo/    -> /etc/podinfo   read-only  (the Downward API labels)
#   VOLS/resolv.conf -> /etc/resolv.conf read-only (what the kubelet writes: the lab's kube-dns)
#   VOLS/hosts       -> /etc/hosts     read-only (the kubelet's: localhost and the pod's name)
#   VOLS/tmp/        -> /tmp           writable   (the emptyDir)
# plus a minimal /dev and a /proc of the new PID namespace, then the root itself remounted
# read-only (readOnlyRootFilesystem). CMD runs with the caller's uid: test.sh uses
# `chroot --userspec=65532:65532 ROOT ...`.
set -euo pipefail
ROOT=$1 VOLS=$2
shift 2
[ "${1:-}" = "--" ] && shift

ro_bind() { # SRC DST
    mount --bind "$1" "$2"
    mount -o remount,bind,ro "$2"
}

mount --make-rprivate /
mount --bind "$ROOT" "$ROOT" # a mount point of its own, so it can be made read-only last
ro_bind "$VOLS/config" "$ROOT/etc/ztprobe"
ro_bind "$VOLS/podinfo" "$ROOT/etc/podinfo"
ro_bind "$VOLS/resolv.conf" "$ROOT/etc/resolv.conf"
ro_bind "$VOLS/hosts" "$ROOT/etc/hosts"
mount --bind "$VOLS/tmp" "$ROOT/tmp"
mount -t tmpfs -o mode=0755,size=64k,nosuid,noexec zt-dev "$ROOT/dev"
for d in null zero random urandom; do
    : >"$ROOT/dev/$d"
    mount --bind "/dev/$d" "$ROOT/dev/$d"
done
# The links every OCI runtime creates (`ztprobe run -c /dev/stdin` relies on them).
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
mount -t proc -o nosuid,nodev,noexec proc "$ROOT/proc"
mount -o remount,bind,ro "$ROOT"
exec "$@"
