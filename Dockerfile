# ztprobe: the in-pod NetworkPolicy probe agent, as a small image for sidecars, ephemeral
# containers (`kubectl debug --target`), CronJobs and post-deploy Jobs.
#
#   docker build -t ztprobe .        (here, without a Docker engine: `make image`)
#
# The config comes from a ConfigMap mounted at /etc/ztprobe/config.json (manifests/); the role
# from the pod's labels, mounted by the Downward API at /etc/podinfo/labels.

# ---- build: the compiler, Debian's source packages and the -dev packages, never shipped
FROM docker.io/library/debian:bookworm-slim AS build
# deb-src beside every deb entry, for `apt-get source` (tests/image/deps.sh).
RUN if [ -f /etc/apt/sources.list.d/debian.sources ]; then \
      sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources; \
    else \
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >>/etc/apt/sources.list; \
    fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential dpkg-dev autoconf automake libtool pkg-config ca-certificates \
      libssl-dev libc-ares-dev libyaml-dev
# libcurl (HTTP/HTTPS), libpq and cJSON from Debian's sources, with Debian's patches; a layer
# of its own, so that a change to ztprobe's code does not rebuild them.
WORKDIR /src
COPY tests/image/deps.sh tests/image/
RUN sh tests/image/deps.sh /opt/deps
# The rest of the context in one step (.dockerignore lets Makefile, agent/, probes/ and tests/image/*.sh
# through): podman's vfs store keeps a full copy of the build stage per layer.
COPY . ./
RUN make -j"$(nproc)" STATIC_DEPS=/opt/deps build/static/ztprobe \
 && sh tests/image/rootfs.sh build/static/ztprobe "$(sed -n 's/^VERSION *:= *//p' Makefile)" /opt/deps /out

# ---- runtime: nothing but what tests/image/rootfs.sh assembled: ztprobe (libcurl, libpq, c-ares,
# cJSON, libyaml and OpenSSL linked in), libc and its loader (tests/manifests checks them
# against `ldd ztprobe`), the CA bundle, the 65532 user, the licences and the SPDX list of all of
# it at /usr/share/doc/ztprobe/sbom.spdx.json. No shell, no package manager.
FROM scratch
COPY --from=build /out/ /
ENV PATH=/usr/local/bin
LABEL org.opencontainers.image.title="ztprobe" \
      org.opencontainers.image.description="In-pod NetworkPolicy probe agent: expected-allow and expected-deny probes, JSON verdicts" \
      org.opencontainers.image.base.name="scratch"
# The distroless "nonroot" uid/gid: matches runAsUser 65532 in the manifests, and owns nothing
# in the image, so a read-only root filesystem is all it ever sees.
USER 65532:65532
ENTRYPOINT ["ztprobe"]
CMD ["run"]
