#!/usr/bin/env bash
# Receivables reports benchmark on PostgreSQL: C clients (default 20,000) under 20 managers and
# I orders with their bills (default 500,000), seeded straight into the tables with
# generate_series (a read benchmark: the reports read clients, users, orders and invoices, not
# the ledger, so the seed writes no ledger and the invariants check is not run). Mix: 5% of
# orders awaiting payment, 5% cancelled (bill void), the rest released or completed; 20% of the
# bills paid, a third of the open ones partly paid; due dates spread from 150 days ago to 30
# days ahead. Then times each report over HTTP against a release server (best and median of 5).
# Usage: bench/aging.sh   (uses $BENCH_POSTGRES_URL, a database it WIPES)
# Environment: DIASPAR_BIN (prebuilt server), CLIENTS (20000), INVOICES (500000), BENCH_PORT (18482).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BENCH_PORT:-18482}
CLIENTS=${CLIENTS:-20000}
INVOICES=${INVOICES:-500000}
BIN=${DIASPAR_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/diaspar
fi
export DATABASE_URL=${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL}
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
psql "$DATABASE_URL" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' 2>/dev/null
export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password DIASPAR__SERVER__PORT=$PORT DIASPAR__LOG__FILTER=error
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.2; done

echo "backend: postgres, $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
START=$(date +%s.%N)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v clients="$CLIENTS" -v invoices="$INVOICES" <<'SQL'
INSERT INTO users (id, email, password_hash, full_name, role, client_id, active, created_at, updated_at)
SELECT 'bench-mgr-' || lpad(m::text, 3, '0'), 'mgr' || m || '@bench.local', '!', 'Manager ' || m,
       'manager', NULL, true, now(), now()
FROM generate_series(1, 20) m;

INSERT INTO clients (id, name, inn, kpp, legal_address, email, credit_limit_minor,
  payment_terms_days, tier_pinned, status, manager_id, balance_minor, search_key, created_at,
  updated_at, ledger_seq)
SELECT 'bench-cli-' || lpad(c::text, 6, '0'), 'Bench client ' || c, (7700000000::bigint + c)::text,
       '770101001', 'Moscow', 'c' || c || '@bench.local', 10000000, 30, false, 'active',
       CASE WHEN c % 21 = 0 THEN NULL ELSE 'bench-mgr-' || lpad((c % 20 + 1)::text, 3, '0') END,
       0, 'bench client ' || c, now(), now(), 0
FROM generate_series(1, :clients) c;

CREATE TEMP TABLE seed AS
SELECT i, 'bench-cli-' || lpad(((i - 1) / 25 % :clients + 1)::text, 6, '0') AS client_id,
       CASE WHEN i % 20 = 0 THEN 'awaiting_payment' WHEN i % 20 = 1 THEN 'cancelled'
            WHEN i % 20 < 8 THEN 'completed' ELSE 'released' END AS order_status,
       10000 + (i::bigint * 7919) % 990000 AS total,
       DATE '2026-12-04' + (30 - (i * 31) % 181) AS due
FROM generate_series(1, :invoices) i;

INSERT INTO orders (id, client_id, status, fulfilment, total_minor, vat_minor, discount_bp,
  placed_by_kind, created_at, updated_at, released_at)
SELECT 'bench-ord-' || lpad(i::text, 7, '0'), client_id, order_status, 'pickup', total,
       total * 22 / 122, 0, 'user', (due - 30)::timestamp, (due - 30)::timestamp,
       CASE WHEN order_status IN ('awaiting_payment', 'cancelled') THEN NULL ELSE (due - 30)::timestamp END
FROM seed;

INSERT INTO invoices (id, number, series, seq, client_id, order_id, status, total_minor,
  vat_minor, paid_minor, issue_date, due_date, issued_at, voided_at, released)
SELECT 'bench-inv-' || lpad(i::text, 7, '0'), '2026-' || lpad(i::text, 6, '0'), '2026', i,
       client_id, 'bench-ord-' || lpad(i::text, 7, '0'),
       CASE WHEN order_status = 'cancelled' THEN 'void' WHEN i % 5 = 2 THEN 'paid' ELSE 'issued' END,
       total, total * 22 / 122,
       CASE WHEN order_status = 'cancelled' THEN 0 WHEN i % 5 = 2 THEN total
            WHEN i % 3 = 0 THEN total / 2 ELSE 0 END,
       due - 30, due, (due - 30)::timestamp,
       CASE WHEN order_status = 'cancelled' THEN (due - 29)::timestamp END,
       order_status NOT IN ('awaiting_payment', 'cancelled')
FROM seed;
ANALYZE;
SQL
echo "seeded $CLIENTS clients, $INVOICES orders and bills in $(echo "$(date +%s.%N) - $START" | bc | cut -c1-5) s"

TOKEN=$(curl -sf -X POST "localhost:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"grant_type":"password","username":"admin@diaspar.local","password":"bench-admin-password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
time_it() { # name path
  local times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -sf -o "$WORK/out" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$2")")
  done
  printf '%-32s best %.3f s  median %.3f s  (%s bytes)\n' "$1" \
    "$(printf '%s\n' "${times[@]}" | sort -n | head -1)" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)" "$(wc -c <"$WORK/out")"
}
time_it "aging total" "/api/v1/reports/aging?as_of=2026-12-04&group_by=total"
time_it "aging per manager" "/api/v1/reports/aging?as_of=2026-12-04&group_by=manager&limit=200"
time_it "aging per client, first page" "/api/v1/reports/aging?as_of=2026-12-04&limit=200"
time_it "aging per client, CSV page" "/api/v1/reports/aging?as_of=2026-12-04&limit=200&format=csv"
time_it "top 200 debtors" "/api/v1/reports/debtors?as_of=2026-12-04&limit=200"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/reports/aging?as_of=2026-12-04&group_by=total" |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["items"][0]; print("total row:", {k: r[k] for k in ("clients","open_invoices","not_due","d1_30","d31_60","d61_90","d90_plus","total")})'
psql "$DATABASE_URL" -Atc "SELECT 'check in SQL: ' || count(*) || ' open bills, ' || sum(i.total_minor - i.paid_minor) / 100.0 || ' open'
  FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.status = 'issued' AND i.paid_minor < i.total_minor
  AND o.status NOT IN ('awaiting_payment', 'cancelled', 'expired')"
echo "server RSS: $(( $(ps -o rss= -p $PID) / 1024 )) MB"
