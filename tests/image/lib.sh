# shellcheck shell=bash disable=SC2034 # sourced: the variables are used by the including script
# Sourced by tests/image/*.sh: one podman invocation shared by the build and the image test.
#
# No container engine runs on these machines, so podman runs daemonless as root with settings
# that work without systemd or overlayfs: vfs storage, cgroupfs, a file event log. Its store is
# private to the repo (build/image/), so it neither touches nor depends on the host's
# /var/lib/containers, and the cached base image survives between runs.

ZT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ZT_IMG_DIR=${ZT_IMAGE_DIR:-$ZT_REPO/build/image}
ZT_VERSION=$(sed -n 's/^VERSION *:= *//p' "$ZT_REPO/Makefile")
ZT_IMAGE=localhost/ztprobe:${ZT_VERSION:-dev}
ZT_BASE=docker.io/library/debian:bookworm-slim

zt_podman() {
    podman --root "$ZT_IMG_DIR/storage" --runroot "$ZT_IMG_DIR/run" --storage-driver vfs \
        --cgroup-manager cgroupfs --events-backend file "$@"
}

# zt_phase WHAT: a "# [Ns] WHAT" line, seconds since the script started (where the time goes).
zt_phase() { echo "# [${SECONDS}s] $*"; }
