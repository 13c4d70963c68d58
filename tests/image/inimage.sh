#!/usr/bin/env bash
# inimage.sh ARGS...: the image's ztprobe as a drop-in executable for the host's suites
# (tests/integration/run.sh, tests/hostile/run.sh take it as their BINARY), so that the TLS,
# PostgreSQL and DNS cases run against the image's binary, its libraries and its CA bundle.
#
# Each call runs `ztprobe ARGS...` chrooted into the mounted image ($ZT_IMAGE_ROOT) as uid
# 65532 with no capabilities on a read-only root, through inpod.sh, in fresh mount and PID
# namespaces, in the caller's network namespace (the suites' servers are on its loopback).
# $ZT_IMAGE_VOLS (test.sh makes it) holds what inpod.sh mounts; its tmp/ and resolv.conf are
# links to the host's /tmp and /etc/resolv.conf, so the suites' files (under /tmp) have the
# same paths inside. stdin, stdout, stderr, the environment and the exit code pass through.
# ZT_IMAGE_USER=UID:GID runs it as another user (test.sh: 0:0 for the integration suite,
# whose PostgreSQL password file is root's, mode 0600, as a Secret mounted for another uid
# would be unreadable in a pod too).
set -euo pipefail
: "${ZT_IMAGE_ROOT:?}" "${ZT_IMAGE_VOLS:?}"
# --kill-child: the suites' `timeout` ends this process; the chrooted ztprobe goes with it.
exec unshare -m -p -f --kill-child --propagation private \
    bash "$(dirname "${BASH_SOURCE[0]}")/inpod.sh" "$ZT_IMAGE_ROOT" "$ZT_IMAGE_VOLS" -- \
    chroot --userspec="${ZT_IMAGE_USER:-65532:65532}" "$ZT_IMAGE_ROOT" /usr/local/bin/ztprobe "$@"
