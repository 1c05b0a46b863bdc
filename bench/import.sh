#!/usr/bin/env bash
# Statement import benchmark: a 1CClientBankExchange file of N payments (default 10,000) from
# C client companies (default 2,000) against a release server on a fresh database. Half of the
# companies have credit and a released order (an open bill the payment's purpose names), half
# have none and an order waiting for payment; every company pays several times, so payments
# are matched, allocated, release waiting orders and leave advances. Prints the import time,
# then imports the same file again (all duplicates) and ends with `diaspar check-invariants`.
# Usage: bench/import.sh [sqlite|postgres]   (postgres uses $BENCH_POSTGRES_URL, a database it WIPES)
# Environment: DIASPAR_BIN (prebuilt server), PAYMENTS (10000), CLIENTS (2000), BENCH_PORT (18481).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
PORT=${BENCH_PORT:-18481}
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
else
  export DATABASE_URL="$WORK/bench.db"
fi
export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password DIASPAR__SERVER__PORT=$PORT DIASPAR__LOG__FILTER=error
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.2; done

echo "backend: $BACKEND, $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
PAYMENTS=${PAYMENTS:-10000} CLIENTS=${CLIENTS:-2000} URL="http://127.0.0.1:$PORT" WORK="$WORK" python3 - <<'PY'
import json, os, time, urllib.request

url, work = os.environ["URL"], os.environ["WORK"]
n_pay, n_cli = int(os.environ["PAYMENTS"]), int(os.environ["CLIENTS"])

def call(method, path, body=None, token=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("content-type", ctype)
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"null")

def inn10(i):
    base = f"{5000000 + i:09d}"
    w = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return base + str(sum(int(d) * k for d, k in zip(base, w)) % 11 % 10)

t0 = time.time()
admin = call("POST", "/api/v1/auth/token", {"grant_type": "password",
             "username": "admin@diaspar.local", "password": "bench-admin-password"})["access_token"]
product = call("POST", "/api/v1/products", {"sku": "BENCH-1", "name": "Bench", "unit": "pcs",
               "list_price": "100.00", "cost_price": "50.00", "vat_rate_bp": 2200}, admin)["id"]
call("POST", f"/api/v1/products/{product}/stock-movements",
     {"kind": "receipt", "quantity": 10_000_000, "reason": "bench"}, admin)
clients = []
for i in range(n_cli):
    credit = "100000.00" if i % 2 == 0 else "0.00"
    c = call("POST", "/api/v1/clients", {"name": f"Bench {i}", "inn": inn10(i), "kpp": "770101001",
             "legal_address": "Moscow", "email": f"b{i}@example.com", "credit_limit": credit,
             "payment_terms_days": 10}, admin)
    o = call("POST", "/api/v1/orders", {"client_id": c["id"],
             "lines": [{"product_id": product, "quantity": 5}]}, admin)  # 500.00
    clients.append((inn10(i), o["invoice"]["number"]))
print(f"seeded {n_cli} companies with one order each in {time.time() - t0:.1f} s")

docs = []
for k in range(n_pay):
    inn, bill = clients[k % n_cli]
    purpose = f"Оплата по счету № {bill}" if k < n_cli else "Оплата по договору"
    docs.append("\r\n".join([
        "СекцияДокумент=Платежное поручение", f"Номер={k + 1}", "Дата=03.12.2026",
        f"Сумма={150 + k % 7}.00", f"ПлательщикСчет=40702810{k:012d}", "ДатаСписано=03.12.2026",
        f"Плательщик=ИНН {inn} ООО \"Плательщик\"", f"ПлательщикИНН={inn}", "ПлательщикКПП=770101001",
        "Плательщик1=ООО \"Плательщик\"", "ПлательщикБИК=044525225",
        "ПолучательСчет=40702810900000012345", "ДатаПоступило=03.12.2026",
        "ПолучательИНН=7801000005", "Получатель1=ООО \"Диаспар\"", f"НазначениеПлатежа={purpose}",
        "КонецДокумента"]))
text = "\r\n".join(["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows",
                    "ДатаНачала=03.12.2026", "ДатаКонца=03.12.2026",
                    "РасчСчет=40702810900000012345"] + docs + ["КонецФайла", ""])
body = text.encode("cp1251")
print(f"statement: {n_pay} payments, {len(body) / 1e6:.1f} MB (windows-1251)")
for run in ("first import", "same file again"):
    t = time.time()
    r = call("POST", "/api/v1/payments/imports", raw=body, token=admin, ctype="text/plain")
    s = time.time() - t
    print(f"{run}: {s:.2f} s  imported={r['imported']} duplicates={r['duplicates']} "
          f"matched={r['matched']} released_orders={len(r['released_orders'])}")
    print(f"RESULT {run.replace(' ', '_')}_s={s:.2f}")
PY
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
"$BIN" check-invariants 2>&1 | sed 's/^/invariants: /'
