# evidence-pack as a container: a static (musl) binary on distroless, run as
# a non-root user. Built by the release workflow (.github/workflows/release.yml);
# by hand:
#   docker build --build-arg EVIDENCE_PACK_COMMIT=$(git rev-parse HEAD) -t evidence-pack .
#   docker run --rm -v ~/.aws:/home/nonroot/.aws:ro -v "$PWD:/out" -w /out \
#     evidence-pack run -o pack.zip --key /out/key
FROM rust:1.95-alpine AS build
# aws-lc-sys (the SDK's TLS crypto) compiles C; perl and cmake are its fallbacks.
# busybox-static: see the final stage.
RUN apk add --no-cache musl-dev gcc g++ make cmake perl busybox-static
WORKDIR /src
COPY . .
# The build context carries no .git: build.rs takes the commit from here.
ARG EVIDENCE_PACK_COMMIT=unknown
ENV EVIDENCE_PACK_COMMIT=${EVIDENCE_PACK_COMMIT}
# The profile the downloadable binaries are built with (Cargo.toml: dist).
RUN cargo build --profile dist --locked && cp target/dist/evidence-pack /evidence-pack

# static-debian12 holds CA certificates and a nonroot user (uid 65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /evidence-pack /usr/local/bin/evidence-pack
# One static shell and nothing else: the Kubernetes Indexed Job example
# (examples/k8s) computes `--shard $((JOB_COMPLETION_INDEX+1))/N` in sh.
COPY --from=build /bin/busybox.static /bin/sh
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["evidence-pack"]
