# EMR Stream image: `emr` (producers, consumer service, exports, embedded broker) on Debian 12.
#   docker build -t emr-stream .            (or: make image, with docker or podman)
# Build stage: Swift 6 on Debian 12 (bookworm), release build, Swift runtime linked statically.
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first: this layer is reused while only the sources change.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
COPY topics ./topics
RUN swift build -c release --static-swift-stdlib --product emr \
 && install -m 0755 "$(swift build -c release --show-bin-path)/emr" /usr/local/bin/emr \
 && strip /usr/local/bin/emr

# Runtime stage: only the shared libraries emr needs.
FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libsqlite3-0 ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 emr \
 && useradd --system --uid 10001 --gid emr --home-dir /var/lib/emr --shell /usr/sbin/nologin emr \
 && mkdir -p /var/lib/emr /synthea \
 && chown emr:emr /var/lib/emr /synthea
COPY --from=build /usr/local/bin/emr /usr/local/bin/emr
# The same declarations are compiled into emr; the files are here to read, or to copy and edit
# for --topics.
COPY topics /usr/share/emr/topics
USER emr
WORKDIR /var/lib/emr
# State and exports; /synthea holds a generated (or mounted) Synthea export.
VOLUME ["/var/lib/emr"]
EXPOSE 8080
# Healthy = ready to serve (the consumer's /readyz); services that serve no HTTP disable it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["emr", "probe", "--quiet", "--timeout", "4", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["emr"]
CMD ["--help"]
