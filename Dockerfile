# graftgres: build with Rust on Debian bookworm, run on bookworm-slim.
#   docker build -t graftgres .
#   docker run --rm -p 6432:6432 graftgres serve --listen 0.0.0.0:6432   # demo volume, local store

FROM rust:1-bookworm AS build
# bindgen (SQLite VFS bindings) needs libclang.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libclang-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin graftgres \
 && cp target/release/graftgres /usr/local/bin/graftgres

FROM debian:bookworm-slim
# ca-certificates: HTTPS object stores; sqlite3: lets the compose writer make a sample file.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates sqlite3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/graftgres graftgres
COPY --from=build /usr/local/bin/graftgres /usr/local/bin/graftgres
USER graftgres
# Relative data_dir (./graftgres-data: cache, importer state) lands here.
WORKDIR /var/lib/graftgres
EXPOSE 6432
ENTRYPOINT ["graftgres"]
CMD ["serve", "--listen", "0.0.0.0:6432"]
