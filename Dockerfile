# netrun in a container: the release binary, the first-party plugin bundles
# and their components precompiled for this image's wasmtime, on a
# distroless base (no shell, no package manager), run as a non-root user.
#
#   docker build -t netrun:0.1 .
#   docker run --rm -v $PWD/inventory:/inventory:ro netrun:0.1 run collect-facts -i /inventory
#
# Kubernetes manifests using this image: deploy/kubernetes/.

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --release --locked -p netrun \
 && scripts/build-plugins.sh \
 && deploy/image/layout.sh /out
# /out: bin/netrun and plugins/, each bundle with its component compiled for
# this binary beside it (the test suite checks this layout: it sweeps a lab
# from it as another user with nothing writable, and nothing is compiled).

# glibc and libgcc, nothing else; `nonroot` is uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out /opt/netrun
USER 65532:65532
# netrun serve's /metrics.
EXPOSE 9464
ENTRYPOINT ["/opt/netrun/bin/netrun"]
CMD ["--help"]
