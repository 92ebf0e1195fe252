# syntax=docker/dockerfile:1
#
# atrest as a container image:
#   docker build -t atrest .
#   docker run --rm -v "$PWD:/scan:ro" atrest scan .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY atrest scan s3://bucket
#
# Builder and runtime are the same Debian release (13, trixie): the binary
# links to that release's glibc. TLS is rustls with ring, no OpenSSL; the
# certificates of the object stores are checked against the runtime's CA
# bundle (/etc/ssl/certs/ca-certificates.crt, part of distroless "cc").
# .ci/docker-check builds this image and runs it where a container engine
# answers.

# The crate's dependencies need rustc >= 1.94.1 (the AWS SDK crates).
ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-slim-trixie AS builder
WORKDIR /build
ENV CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_TERM_COLOR=never
# Dependencies first, built against placeholder sources: this layer is reused
# until Cargo.toml or Cargo.lock change. The crate's own fingerprints are then
# removed so that the real sources are always compiled.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src target/release/.fingerprint/atrest-* target/release/build/atrest-* \
    target/release/deps/*atrest*
# rules/default.toml is embedded in the binary (include_str!).
COPY rules ./rules
COPY src ./src
RUN cargo build --release --locked \
 && install -m 0755 target/release/atrest /usr/local/bin/atrest \
 && /usr/local/bin/atrest --version

# glibc, libgcc_s and the CA bundle; no shell, no package manager.
FROM gcr.io/distroless/cc-debian13:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="atrest" \
      org.opencontainers.image.description="Find audio and biometric data stored without encryption, on disks and in object stores" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian13:nonroot"
COPY --from=builder /usr/local/bin/atrest /usr/local/bin/atrest
# distroless's "nonroot", as numbers: Kubernetes' runAsNonRoot can only
# verify a numeric user.
USER 65532:65532
WORKDIR /scan
ENTRYPOINT ["/usr/local/bin/atrest"]
CMD ["--help"]
