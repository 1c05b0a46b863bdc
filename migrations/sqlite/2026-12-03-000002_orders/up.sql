-- Entries of a client are numbered 1, 2, 3… by clients.ledger_seq, taken in the same guarded
-- UPDATE that moves the cached balance.
ALTER TABLE clients ADD COLUMN ledger_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'release', 'release_reversal', 'penalty', 'bonus', 'adjustment', 'refund')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
    balance_after_minor BIGINT NOT NULL,
    order_id TEXT,
    invoice_id TEXT,
    reason TEXT,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_client_seq_idx ON ledger_entries (client_id, seq);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'released', 'picked_up', 'shipped', 'completed', 'cancelled', 'expired')),
    fulfilment TEXT NOT NULL CHECK (fulfilment IN ('pickup', 'delivery')),
    delivery_address TEXT,
    client_reference TEXT,
    comment TEXT,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    vat_minor BIGINT NOT NULL CHECK (vat_minor >= 0),
    discount_bp INTEGER NOT NULL,
    tier_id TEXT,
    reserved_until TIMESTAMP,
    pickup_code TEXT,
    placed_by_kind TEXT NOT NULL,
    placed_by_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    released_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX orders_client_idx ON orders (client_id, id);
CREATE INDEX orders_status_idx ON orders (status, reserved_until);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    line_no INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    list_price_minor BIGINT NOT NULL,
    discount_bp INTEGER NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    vat_rate_bp INTEGER NOT NULL,
    total_minor BIGINT NOT NULL,
    vat_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL,
    seq INTEGER NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    order_id TEXT NOT NULL UNIQUE REFERENCES orders (id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'paid', 'void')),
    total_minor BIGINT NOT NULL,
    vat_minor BIGINT NOT NULL,
    paid_minor BIGINT NOT NULL DEFAULT 0,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    voided_at TIMESTAMP,
    UNIQUE (series, seq)
);
CREATE INDEX invoices_client_idx ON invoices (client_id, id);

CREATE TABLE document_counters (
    series TEXT PRIMARY KEY,
    last_value INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Goods leaving the warehouse for an order (pickup, shipment) are stock movements too.
-- SQLite cannot alter a CHECK constraint: rebuild the table.
CREATE TABLE stock_movements_new (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'write_off', 'correction', 'issue')),
    quantity BIGINT NOT NULL,
    on_hand_after BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL,
    order_id TEXT
);
INSERT INTO stock_movements_new (id, product_id, kind, quantity, on_hand_after, reason, actor_kind, actor_id, created_at)
    SELECT id, product_id, kind, quantity, on_hand_after, reason, actor_kind, actor_id, created_at FROM stock_movements;
DROP TABLE stock_movements;
ALTER TABLE stock_movements_new RENAME TO stock_movements;
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);
