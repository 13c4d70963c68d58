# ztprobe: the in-pod NetworkPolicy probe agent, as a small image for sidecars, ephemeral
# containers (`kubectl debug --target`), CronJobs and post-deploy Jobs.
#
#   docker build -t ztprobe .        (here, without a Docker engine: `make image`)
#
# The config comes from a ConfigMap mounted at /etc/ztprobe/config.json (manifests/); the role
# from the pod's labels, mounted by the Downward API at /etc/podinfo/labels.

# ---- build: the compiler and the -dev packages, never shipped
FROM docker.io/library/debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config \
      libcurl4-openssl-dev libpq-dev libc-ares-dev libcjson-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY agent/ agent/
COPY probes/ probes/
RUN make -j"$(nproc)" ztprobe \
 && install -D -s -m 0755 ztprobe /out/usr/local/bin/ztprobe

# ---- runtime: only the shared libraries ztprobe links (tests/manifests checks them against
# `ldd ztprobe`) and the CA bundle the https and postgres probes verify against.
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcurl4 libpq5 libc-ares2 libcjson1 libyaml-0-2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/lib/dpkg/*-old \
 && mkdir -p /etc/ztprobe /etc/podinfo
# /etc/ztprobe and /etc/podinfo: mount points of the ConfigMap and the Downward API labels
# (the kubelet makes them anyway; `docker run -v` and `make image-test` mount onto them).
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="ztprobe" \
      org.opencontainers.image.description="In-pod NetworkPolicy probe agent: expected-allow and expected-deny probes, JSON verdicts" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
# The distroless "nonroot" uid/gid: matches runAsUser 65532 in the manifests, and owns nothing
# in the image, so a read-only root filesystem is all it ever sees.
USER 65532:65532
ENTRYPOINT ["ztprobe"]
CMD ["run"]
