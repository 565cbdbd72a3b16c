# The runtime image that model images start FROM: Debian slim, OpenBLAS and
# podium, running `podium serve` as a non-root user on port 8080.
#
#   docker build -t podium-runtime .
#   # a model image:
#   #   FROM podium-runtime
#   #   COPY mnist.safetensors /models/model.safetensors
#
# Without Docker: `make image` (tests/image/build-runtime.sh) builds it with
# buildah on a locally made debian:12-slim and serves a model image from it.
#
# Kubernetes probes /v2/health/live and /v2/health/ready (podium deploy sets
# them), so the image has no HEALTHCHECK; SIGTERM stops the server
# gracefully.

FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config libncurses-dev libcurl4-openssl-dev libyaml-dev \
        libjansson-dev libopenblas-dev libmicrohttpd-dev zlib1g-dev libgnutls28-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make -j"$(nproc)" && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libopenblas0-pthread libcurl4 libyaml-0-2 libjansson4 libmicrohttpd12 \
        zlib1g libncursesw6 libtinfo6 libgnutls30 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 podium \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /models \
        --shell /usr/sbin/nologin podium \
    && mkdir -p /models
COPY --from=build /out/usr/local/ /usr/local/
USER 10001:10001
WORKDIR /models
EXPOSE 8080
ENTRYPOINT ["podium", "serve"]
CMD ["/models/model.safetensors"]
