#!/usr/bin/env bash
# Baseline read benchmark: GET /api/v1/products?limit=50 as a client user, with wrk.
# Usage: bench/catalog.sh [sqlite|postgres]   (postgres uses $BENCH_POSTGRES_URL, a database it may wipe)
# Needs wrk (apt-get install wrk). Builds the release binary, seeds the demo data into a fresh
# database, runs the server on 127.0.0.1:18480, drives it with 2 threads x 16 connections for
# 15 s, and prints throughput, latency percentiles and the server's RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
PORT=18480
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
BIN=${DIASPAR_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/diaspar
fi
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ "$BACKEND" = postgres ]; then
  export DATABASE_URL=${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL}
  psql "$DATABASE_URL" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
else
  export DATABASE_URL="$WORK/bench.db"
fi
export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password DIASPAR__SERVER__PORT=$PORT DIASPAR__LOG__FILTER=error
"$BIN" seed-demo >/dev/null
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -X POST "localhost:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"grant_type":"password","username":"buyer@romashka.example","password":"demo-password-1"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "backend: $BACKEND, $(nproc) cores, $(git rev-parse --short HEAD)"
wrk -t2 -c16 -d15s --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/products?limit=50" |
  grep -E 'Requests/sec|50%|99%|Socket errors|Non-2xx'
echo "server RSS: $(( $(ps -o rss= -p $PID) / 1024 )) MB"
