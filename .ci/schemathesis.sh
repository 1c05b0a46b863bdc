#!/usr/bin/env bash
# Fuzzes the live server against its own OpenAPI spec with schemathesis: all checks, fixed seed,
# once as an admin and once as a client user. Fails on any finding.
# Usage: .ci/schemathesis.sh [path-to-diaspar-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/diaspar}
PORT=${ST_PORT:-18471}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-40}
WORK=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

if ! command -v st >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

export DATABASE_URL="$WORK/st.db"
export DIASPAR_BOOTSTRAP_ADMIN_PASSWORD="st-admin-password-1"
export DIASPAR__SERVER__PORT=$PORT
export DIASPAR__LOG__FILTER=warn
# Fuzz the token endpoint itself rather than its rate limiter (tested in tests/api/auth.rs).
export DIASPAR__AUTH__LOGIN_BURST=1000000
"$BIN" seed-demo > "$WORK/seed.log"
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }

token() {
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"grant_type\":\"password\",\"username\":\"$1\",\"password\":\"$2\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ADMIN=$(token admin@diaspar.local "$DIASPAR_BOOTSTRAP_ADMIN_PASSWORD")
CLIENT=$(token admin@romashka.example demo-password-1)

# Fresh Idempotency-Keys (see the hooks file).
export PYTHONPATH="$PWD/.ci${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks
status=0
for who in ADMIN CLIENT; do
  echo "== schemathesis as $who"
  st --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/api-docs/openapi.json" \
    --checks all \
    --seed 20261203 \
    --max-examples "$MAX_EXAMPLES" \
    --workers 2 \
    --no-color \
    --warnings off \
    -H "Authorization: Bearer ${!who}" || status=1
done
if [ $status -ne 0 ]; then
  echo "---- server log (tail)"; tail -50 "$WORK/server.log"
fi
exit $status
