#!/usr/bin/env bash
# Order-placement benchmark: the load generator in bench/loadgen against a release server on a
# fresh database, then the server's peak RSS and the DESIGN.md invariants.
# Usage: bench/orders.sh [sqlite|postgres] [loadgen options, e.g. --concurrency 16 --lines 5]
#   postgres uses $BENCH_POSTGRES_URL, a database it WIPES (public schema dropped), and first runs
#   pgbench TPC-B (-i -s 10, then -c 16 -j 2 -T 20) in a scratch database `diaspar_pgbench` on the
#   same server, so the orders/s can be read beside the tps.
# Environment: DIASPAR_BIN (a prebuilt server binary; else `cargo build --release`), LOADGEN_BIN
# (else built from bench/loadgen), BENCH_PORT (18480), PGBENCH_SECONDS (20), SKIP_PGBENCH=1.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
shift || true
PORT=${BENCH_PORT:-18480}
ADMIN_PASSWORD=bench-admin-password

BIN=${DIASPAR_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/diaspar
fi
LOADGEN=${LOADGEN_BIN:-}
if [ -z "$LOADGEN" ]; then
  cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
  LOADGEN=bench/loadgen/target/release/diaspar-loadgen
fi

WORK=$(mktemp -d)
PID= SAMPLER=
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PGBENCH_TPS=
if [ "$BACKEND" = postgres ]; then
  export DATABASE_URL=${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL}
  psql "$DATABASE_URL" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' 2>/dev/null
  echo "postgres: $(psql "$DATABASE_URL" -Atc 'SELECT version()' | cut -d' ' -f1-2)," \
    "synchronous_commit=$(psql "$DATABASE_URL" -Atc 'SHOW synchronous_commit')," \
    "shared_buffers=$(psql "$DATABASE_URL" -Atc 'SHOW shared_buffers')"
  if [ "${SKIP_PGBENCH:-}" != 1 ]; then
    command -v pgbench >/dev/null || { echo "pgbench is missing: apt-get install postgresql-client"; exit 1; }
    PGB_URL="${DATABASE_URL%/*}/diaspar_pgbench"
    psql "${DATABASE_URL%/*}/postgres" -qc 'CREATE DATABASE diaspar_pgbench' 2>/dev/null || true
    pgbench -i -s 10 -q "$PGB_URL" >"$WORK/pgbench-init.log" 2>&1
    pgbench -c 16 -j 2 -T "${PGBENCH_SECONDS:-20}" "$PGB_URL" >"$WORK/pgbench.log" 2>&1
    PGBENCH_TPS=$(grep -oE 'tps = [0-9.]+' "$WORK/pgbench.log" | head -1 | cut -d' ' -f3)
    grep -E 'latency average|tps =' "$WORK/pgbench.log" | sed 's/^/pgbench TPC-B -s 10 -c 16 -j 2: /'
  fi
else
  export DATABASE_URL="$WORK/bench.db"
fi

export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD=$ADMIN_PASSWORD DIASPAR__SERVER__PORT=$PORT DIASPAR__LOG__FILTER=error
# The load generator logs in once per client company from one address.
export DIASPAR__AUTH__LOGIN_BURST=1000 DIASPAR__AUTH__LOGIN_PER_MINUTE=60000
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.2; done
curl -sf "localhost:$PORT/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }

# Peak RSS of the server, sampled every 0.5 s.
(
  peak=0
  while kill -0 "$PID" 2>/dev/null; do
    rss=$(ps -o rss= -p "$PID" 2>/dev/null | tr -d ' ')
    [ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss && echo "$peak" >"$WORK/rss.peak"
    sleep 0.5
  done
) &
SAMPLER=$!

echo "backend: $BACKEND, $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'), server $BIN"
"$LOADGEN" --url "http://127.0.0.1:$PORT" --admin-password "$ADMIN_PASSWORD" "$@" | tee "$WORK/loadgen.out"
RESULT=$(grep '^RESULT' "$WORK/loadgen.out" || true)

sleep 0.6
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
PEAK_KB=$(cat "$WORK/rss.peak" 2>/dev/null || echo 0)
echo "server RSS: peak $((PEAK_KB / 1024)) MB, at the end $(($(ps -o rss= -p "$PID") / 1024)) MB"

kill -TERM "$PID"
wait "$PID" 2>/dev/null || true
PID=
if grep -qiE 'panic|error' "$WORK/server.log"; then
  echo "server log (errors):"
  grep -iE 'panic|error' "$WORK/server.log" | sort | uniq -c | sort -rn | head -10
fi

# The DESIGN.md invariants, checked by the server binary against the database it just used.
if "$BIN" check-invariants 2>&1 | sed 's/^/invariants: /'; then :; else
  echo "invariants: FAILED"
  INVARIANTS_FAILED=1
fi

ORDERS=$(sed -n 's/.*orders_per_s=\([0-9.]*\).*/\1/p' <<<"$RESULT")
if [ -n "$PGBENCH_TPS" ] && [ -n "$ORDERS" ]; then
  echo "orders/s vs pgbench tps: $ORDERS / $PGBENCH_TPS = $(python3 -c "print(f'{$ORDERS/$PGBENCH_TPS:.2f}')")x"
fi
echo "summary: backend=$BACKEND ${RESULT#RESULT } rss_peak_mb=$((PEAK_KB / 1024))${PGBENCH_TPS:+ pgbench_tps=$PGBENCH_TPS}"
[ -z "${INVARIANTS_FAILED:-}" ]
