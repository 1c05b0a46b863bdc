# Multi-stage build: compile with the full toolchain, run from a small Debian image as non-root.
#   docker build -t diaspar .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e DIASPAR_AUTH_KEYS=k1=<32+ byte secret> \
#              -e DIASPAR__AUTH__ACTIVE_KID=k1 diaspar
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY config config
COPY openapi openapi
RUN cargo build --release --locked --bin diaspar

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin diaspar \
 && mkdir -p /app/data /app/config \
 && chown diaspar /app/data
WORKDIR /app
COPY --from=build /src/target/release/diaspar /usr/local/bin/diaspar
COPY config/production.example.toml /app/config/production.example.toml
USER diaspar
# Settings come from the environment: DATABASE_URL (unset = SQLite under /app/data),
# DIASPAR_AUTH_KEYS, DIASPAR__AUTH__ACTIVE_KID, DIASPAR__<SECTION>__<KEY> for anything else.
ENV DIASPAR_ENV=production \
    DIASPAR__SERVER__HOST=0.0.0.0 \
    DIASPAR__SERVER__PORT=8080 \
    DIASPAR__LOG__FORMAT=json
EXPOSE 8080
VOLUME ["/app/data"]
ENTRYPOINT ["diaspar"]
CMD ["serve"]
