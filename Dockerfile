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
 && scripts/build-plugins.sh
# The binary finds its plugins in <exe dir>/../plugins.
RUN mkdir -p /out/bin /out/cache \
 && cp target/release/netrun /out/bin/netrun \
 && cp -r target/plugins /out/plugins
# Precompile: a run loads (compiles and caches) every driver and the named
# workflow. There is no device to reach here, so each run fails by design;
# the check after the loop is that the cache was filled.
RUN mkdir -p /tmp/warmup \
 && printf 'warmup:\n  hostname: 127.0.0.1\n  port: 1\n  platform: cisco_ios\n  username: nobody\n' > /tmp/warmup/hosts.yaml \
 && for w in collect-facts interface-counters; do \
      XDG_CACHE_HOME=/out/cache /out/bin/netrun run "$w" -i /tmp/warmup \
        --retries 0 --connect-timeout 1 --host-key-policy off >/dev/null 2>&1 || true; \
    done \
 && test -n "$(ls -A /out/cache/netrun/components)"

# glibc and libgcc, nothing else; `nonroot` is uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out /opt/netrun
# Compiled components are read from here (the cache is read-only at run
# time: a plugin added later is compiled in memory on each start).
ENV XDG_CACHE_HOME=/opt/netrun/cache
USER 65532:65532
# netrun serve's /metrics.
EXPOSE 9464
ENTRYPOINT ["/opt/netrun/bin/netrun"]
CMD ["--help"]
