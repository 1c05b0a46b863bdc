-- Money in: payments (from the API or a bank statement), their allocations to bills, and the
-- statement imports they came in.

CREATE TABLE payment_imports (
    id TEXT PRIMARY KEY,
    format TEXT NOT NULL CHECK (format IN ('1c', 'csv')),
    file_sha256 TEXT NOT NULL,
    documents INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    ignored INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    unmatched INTEGER NOT NULL,
    total_minor BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    -- The bank's identity of the payment: one payment per reference, however often it arrives.
    bank_reference TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('api', 'import')),
    import_id TEXT REFERENCES payment_imports (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    value_date DATE NOT NULL,
    payer_inn TEXT NOT NULL,
    payer_kpp TEXT,
    payer_name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    document_number TEXT,
    document_date DATE,
    status TEXT NOT NULL CHECK (status IN ('unmatched', 'matched', 'refunded')),
    client_id TEXT REFERENCES clients (id),
    allocated_minor BIGINT NOT NULL DEFAULT 0 CHECK (allocated_minor >= 0),
    refunded_minor BIGINT NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    matched_by TEXT CHECK (matched_by IN ('inn', 'staff')),
    created_at TIMESTAMP NOT NULL,
    matched_at TIMESTAMP,
    CHECK (allocated_minor + refunded_minor <= amount_minor)
);
CREATE INDEX payments_client_idx ON payments (client_id, id);
CREATE INDEX payments_status_idx ON payments (status, id);

-- Which bills a payment paid. Append-only: a wrong match is undone by negative rows.
CREATE TABLE payment_allocations (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_allocations_payment_idx ON payment_allocations (payment_id);
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (invoice_id);

-- The payment a ledger entry (payment, refund, correction) belongs to; a wrong match is undone
-- by a `payment_reversal` entry. SQLite cannot alter a CHECK: the table is rebuilt (nothing
-- references it).
CREATE TABLE ledger_entries_new (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'payment_reversal', 'release', 'release_reversal', 'penalty', 'bonus', 'adjustment', 'refund')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
    balance_after_minor BIGINT NOT NULL,
    order_id TEXT,
    invoice_id TEXT,
    reason TEXT,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL,
    payment_id TEXT
);
INSERT INTO ledger_entries_new (id, client_id, seq, kind, amount_minor, balance_after_minor,
        order_id, invoice_id, reason, actor_kind, actor_id, created_at)
    SELECT id, client_id, seq, kind, amount_minor, balance_after_minor, order_id, invoice_id,
        reason, actor_kind, actor_id, created_at FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE UNIQUE INDEX ledger_entries_client_seq_idx ON ledger_entries (client_id, seq);
CREATE INDEX ledger_entries_payment_idx ON ledger_entries (payment_id);

-- Open bills of a client, oldest due first (allocation, aging).
CREATE INDEX invoices_open_idx ON invoices (client_id, status, due_date);
-- Orders waiting for money, oldest first, per client (release on payment).
CREATE INDEX orders_waiting_idx ON orders (client_id, status, created_at);

-- A client's answer to a reconciliation statement (акт сверки) of a period: confirmed, or
-- disputed with a comment for staff. The closing balance it answered is kept with it.
CREATE TABLE statement_responses (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'disputed')),
    comment TEXT,
    closing_balance_minor BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX statement_responses_client_idx ON statement_responses (client_id, period_from, period_to);
CREATE INDEX statement_responses_status_idx ON statement_responses (status, id);
