# keysweep in a container: a static (musl) binary on an empty image, run as
# a non-root user, scanning the directory mounted at /src.
#
#   docker build -t keysweep .
#   docker run --rm -v "$PWD:/src" keysweep scan
#
# Multi-stage: the build stage compiles with the locked dependencies; the
# image holds the binary, CA certificates (for --verify) and nothing else.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev git
WORKDIR /build
COPY . .
ARG KEYSWEEP_COMMIT=unknown
ENV KEYSWEEP_COMMIT=${KEYSWEEP_COMMIT}
RUN cargo build --release --locked && cp target/release/keysweep /keysweep

FROM alpine:3 AS certs
RUN apk add --no-cache ca-certificates

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /keysweep /usr/local/bin/keysweep
# git refuses repositories owned by another user; keysweep reads them with
# gitoxide, which honours safe.directory the same way: trust the mount.
ENV GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/keysweep"]
CMD ["scan", "."]
