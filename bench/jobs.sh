#!/usr/bin/env bash
# Receivables jobs benchmark: C clients (default 20,000) with 10 released orders each (200,000
# open bills, due from 60 days ago to 30 days ahead, with their release ledger entries, lines
# and stock reservations) and one unpaid order each whose reservation ran out, seeded straight
# into a migrated database in SQL (consistent: the script ends with `diaspar check-invariants`),
# a receivables policy with reminders, penalties, holds, bonuses, and two price tiers. The seed
# is a steady day: yesterday's penalties and the reminder levels already due were done, so
# today's runs do one day's work (every overdue bill accrues; the bills whose level day is today
# get their letter); holds and tiers start from nothing, so those runs are their worst case. Then
# every job runs once through `diaspar job run NAME` while wrk reads
# `GET /api/v1/invoices?limit=20` from a running server; prints each job's time (from its run
# record) and the p99 of the reads during it.
# Usage: bench/jobs.sh [sqlite|postgres]   (postgres uses $BENCH_POSTGRES_URL, a database it WIPES)
# Environment: DIASPAR_BIN (prebuilt server), CLIENTS (20000), BENCH_PORT (18483), JOBS (the jobs
# to run, in order; all by default), READERS (wrk connections reading during each run, 1; 4
# saturates 2 cores; 0 runs the jobs on an idle machine). Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
PORT=${BENCH_PORT:-18483}
CLIENTS=${CLIENTS:-20000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
BIN=${DIASPAR_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/diaspar
fi
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
if [ "$BACKEND" = postgres ]; then
  export DATABASE_URL=${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL}
  psql "$DATABASE_URL" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' 2>/dev/null
  SQL() { psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1; }
else
  export DATABASE_URL="$WORK/bench.db"
  command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3"; exit 1; }
  SQL() { sqlite3 -bail "$DATABASE_URL"; }
fi
export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password DIASPAR__SERVER__PORT=$PORT DIASPAR__LOG__FILTER=error
for j in RESERVATION_EXPIRY DUNNING PENALTIES ADVANCE_BONUS CREDIT_HOLDS TIER_RECALC HOUSEKEEPING; do
  export "DIASPAR__JOBS__$j="
done
"$BIN" migrate >/dev/null
echo "backend: $BACKEND, $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
START=$(date +%s.%N)
BACKEND=$BACKEND CLIENTS=$CLIENTS python3 - <<'PY' | SQL
import datetime, json, os
pg = os.environ["BACKEND"] == "postgres"
n = int(os.environ["CLIENTS"])
released = 10 * n
today = datetime.date.today()
now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
ts = now.strftime("%Y-%m-%d %H:%M:%S")
def pad(expr, width):
    return f"lpad(({expr})::text, {width}, '0')" if pg else f"printf('%0{width}d', {expr})"
def lts(v):
    return f"TIMESTAMP '{v}'" if pg else f"'{v}'"
def ldate(v):
    return f"DATE '{v}'" if pg else f"'{v}'"
def day(offset_expr):
    return (f"(DATE '{today}' + ({offset_expr})::int)" if pg
            else f"date('{today}', ({offset_expr}) || ' days')")
series = (f"SELECT generate_series AS i FROM generate_series(1, {released + n})" if pg else
          f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {released + n}) SELECT i FROM s")
client = f"'bc-' || {pad('(i - 1) % ' + str(n) + ' + 1', 6)}"
print("BEGIN;")
print(f"""INSERT INTO products (id, sku, name, unit, list_price_minor, cost_price_minor, vat_rate_bp,
  category, active, search_key, created_at, updated_at)
  VALUES ('bench-p', 'BENCH-P', 'Bench product', 'pcs', 100000, 50000, 2200, NULL, TRUE,
  'bench product', '{ts}', '{ts}');""")
print(f"INSERT INTO stock (product_id, on_hand, reserved, updated_at) VALUES ('bench-p', 1000000000, {released + n}, '{ts}');")
print(f"""INSERT INTO stock_movements (id, product_id, kind, quantity, on_hand_after, reason, actor_kind,
  actor_id, created_at) VALUES ('bench-m', 'bench-p', 'receipt', 1000000000, 1000000000, 'bench', 'system', NULL, '{ts}');""")
print(f"""INSERT INTO price_tiers (id, name, min_turnover_minor, discount_bp, created_at, updated_at) VALUES
  ('bench-t1', 'Silver', 1000000, 300, '{ts}', '{ts}'), ('bench-t2', 'Gold', 3000000, 700, '{ts}', '{ts}');""")
seq = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {m}) SELECT i FROM s"
clients_src = (f"SELECT generate_series AS i FROM generate_series(1, {n})" if pg else seq.format(m=n))
print(f"""INSERT INTO clients (id, name, inn, kpp, legal_address, email, credit_limit_minor,
  payment_terms_days, tier_pinned, status, balance_minor, search_key, created_at, updated_at, ledger_seq)
  SELECT 'bc-' || {pad('i', 6)}, 'Bench client ' || i, '77' || {pad('i', 8)}, '770101001', 'Moscow',
    'c' || i || '@bench.local', 1000000000000, 30, FALSE, 'active', 0, 'bench client ' || i,
    '{ts}', '{ts}', 0 FROM ({clients_src}) c;""")
# Orders 1..released: released, due from -60 to +30 days; the rest: waiting, reservation over.
total = "(10000 + (i * 7919) % 490000)"
due = "((i * 37) % 91 - 60)"
print(f"""INSERT INTO orders (id, client_id, status, fulfilment, total_minor, vat_minor, discount_bp,
  reserved_until, placed_by_kind, created_at, updated_at, released_at)
  SELECT 'bo-' || {pad('i', 7)}, {client},
    CASE WHEN i <= {released} THEN 'released' ELSE 'awaiting_payment' END, 'pickup',
    {total}, {total} * 22 / 122, 0,
    CASE WHEN i <= {released} THEN NULL ELSE {lts((now - datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"))} END,
    'system', '{ts}', '{ts}', CASE WHEN i <= {released} THEN {lts(ts)} ELSE NULL END
  FROM ({series}) s;""")
print(f"""INSERT INTO order_lines (order_id, line_no, product_id, sku, name, unit, quantity,
  list_price_minor, discount_bp, unit_price_minor, vat_rate_bp, total_minor, vat_minor)
  SELECT 'bo-' || {pad('i', 7)}, 1, 'bench-p', 'BENCH-P', 'Bench product', 'pcs', 1, {total}, 0,
    {total}, 2200, {total}, {total} * 22 / 122 FROM ({series}) s;""")
print(f"""INSERT INTO invoices (id, number, series, seq, client_id, order_id, status, total_minor,
  vat_minor, paid_minor, issue_date, due_date, issued_at, released)
  SELECT 'bi-' || {pad('i', 7)}, '2026-' || {pad('i', 6)}, '2026', i, {client}, 'bo-' || {pad('i', 7)},
    'issued', {total}, {total} * 22 / 122, 0, {day(due + ' - 30')},
    CASE WHEN i <= {released} THEN {day(due)} ELSE {ldate(today)} END, '{ts}',
    CASE WHEN i <= {released} THEN TRUE ELSE FALSE END
  FROM ({series}) s;""")
print("DELETE FROM document_counters WHERE series = '2026';")
print(f"INSERT INTO document_counters (series, last_value) VALUES ('2026', {released + n});")
print(f"""INSERT INTO ledger_entries (id, client_id, seq, kind, amount_minor, balance_after_minor,
  order_id, invoice_id, actor_kind, created_at)
  SELECT 'be-' || {pad('i', 7)}, {client}, (i - 1) / {n} + 1, 'release', -{total},
    SUM(-{total}) OVER (PARTITION BY (i - 1) % {n} ORDER BY i), 'bo-' || {pad('i', 7)},
    'bi-' || {pad('i', 7)}, 'system', '{ts}'
  FROM ({series}) s WHERE i <= {released};""")
print("""UPDATE clients SET balance_minor = (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e WHERE e.client_id = clients.id),
  ledger_seq = (SELECT COUNT(*) FROM ledger_entries e WHERE e.client_id = clients.id);""")
policy = {"payment_terms_days": 30, "reservation_ttl_hours": 72,
          "reminders": [{"offset_days": -3, "template": "before_due"}, {"offset_days": 1, "template": "overdue"},
                        {"offset_days": 14, "template": "final_notice"}],
          "penalty": {"bp_per_day": 10, "grace_days": 3, "cap_bp": 1000},
          "credit_hold": {"after_days_overdue": 30, "when_over_limit": True},
          "advance_bonus": {"bp": 50, "min_days_before_due": 5, "prepaid_orders": True},
          "tier_window_days": 365, "commission": {"base_bp": 300, "overdue_factor_bp": 20000}}
print(f"""INSERT INTO receivables_policies (version, body, actor_kind, actor_id, created_at)
  VALUES (1, '{json.dumps(policy)}', 'system', NULL, '2026-01-01 00:00:00');""")
# Yesterday's runs happened: every bill past grace is charged through yesterday (nothing
# accrued yet, so today none is capped), every reminder level whose day has passed was sent.
yesterday = today - datetime.timedelta(days=1)
print(f"""INSERT INTO invoice_penalties (invoice_id, penalty_minor, penalty_through)
  SELECT id, 0, '{yesterday}' FROM invoices WHERE due_date < '{today - datetime.timedelta(days=3)}';""")
for offset in (-3, 1, 14):
    level_day = (f"(i.due_date + {offset})" if pg else f"date(i.due_date, '{offset} days')")
    print(f"""INSERT INTO dunning_notices (invoice_id, offset_days, client_id, template, subject, body,
      level_day, policy_version, created_at)
      SELECT i.id, {offset}, i.client_id, 'seeded', 'seeded', 'seeded', {level_day}, 1, '{ts}'
      FROM invoices i WHERE i.status = 'issued' AND {level_day} < '{today}';""")
print("COMMIT;")
# Settle the freshly written tables (a steady database: autovacuum has kept up, the seed's WAL
# is checkpointed) so the runs below do not share the machine with that cleanup.
print("VACUUM ANALYZE; CHECKPOINT;" if pg else "ANALYZE;")
PY
echo "seeded $CLIENTS clients, $((CLIENTS * 10)) open bills, $CLIENTS expired reservations in $(echo "$(date +%s.%N) - $START" | bc | cut -c1-5) s"

"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -X POST "localhost:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"grant_type":"password","username":"admin@diaspar.local","password":"bench-admin-password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
printf '%-20s %8s %10s %12s %10s\n' job items time "reads/s" "read p99"
for job in ${JOBS:-reservation_expiry dunning penalties advance_bonus credit_holds tier_recalc housekeeping}; do
  if [ "${READERS:-1}" -gt 0 ]; then
    wrk -t1 -c"${READERS:-1}" -d8s --latency -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$PORT/api/v1/invoices?limit=20" >"$WORK/wrk.$job" 2>&1 &
    WRK=$!
    sleep 1
  else
    printf '99%%  -\nRequests/sec: 0\n' >"$WORK/wrk.$job"
    WRK=
  fi
  "$BIN" job run "$job" >"$WORK/run.$job" 2>"$WORK/run.$job.err" || { cat "$WORK/run.$job.err"; }
  [ -n "$WRK" ] && wait $WRK
  python3 - "$WORK/run.$job" "$WORK/wrk.$job" "$job" <<'PY'
import datetime, json, re, sys
run = json.load(open(sys.argv[1]))
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
secs = (t(run["finished_at"]) - t(run["started_at"])).total_seconds()
w = open(sys.argv[2]).read()
p99 = re.search(r"^\s*99%\s+(\S+)", w, re.M).group(1)
rps = re.search(r"Requests/sec:\s+(\S+)", w).group(1)
print(f"{sys.argv[3]:<20} {run['items']:>8} {secs:>9.2f}s {float(rps):>12.0f} {p99:>10}  ({run['status']})")
PY
done
echo "server RSS: $(( $(ps -o rss= -p $PID) / 1024 )) MB"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
"$BIN" check-invariants 2>&1 | sed 's/^/invariants: /'
