-- Receivables control: the director's policy in versions, per-client exceptions, and the daily
-- penalty accruals (one per bill and day, so a day is never charged twice).

CREATE TABLE receivables_policies (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);

-- No penalties for this client; no automatic credit hold; whether the hold it is on was put by
-- the credit_holds job (only those are lifted by it).
ALTER TABLE clients ADD COLUMN penalty_exempt BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN auto_hold BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE clients ADD COLUMN held_by_job BOOLEAN NOT NULL DEFAULT FALSE;

-- What penalties a bill accrued (Σ of its accruals) and the last day they cover: a narrow table
-- the daily job updates, so the wide, many-indexed invoices rows are not rewritten every day.
CREATE TABLE invoice_penalties (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices (id),
    penalty_minor BIGINT NOT NULL CHECK (penalty_minor >= 0),
    penalty_through DATE NOT NULL
);

CREATE TABLE penalty_accruals (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    day DATE NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    -- The bill's open amount the day's penalty was computed on.
    base_minor BIGINT NOT NULL,
    policy_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (invoice_id, day)
);
CREATE INDEX penalty_accruals_client_idx ON penalty_accruals (client_id, day);

-- Reminder letters: each level (by its day offset from the due date) once per bill.
CREATE TABLE dunning_notices (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    offset_days INTEGER NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The bill's due date + offset: the day the level was for.
    level_day DATE NOT NULL,
    policy_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (invoice_id, offset_days)
);
CREATE INDEX dunning_notices_client_idx ON dunning_notices (client_id, level_day);

-- Bonuses for early payment: once per bill.
CREATE TABLE bonus_awards (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices (id),
    client_id TEXT NOT NULL REFERENCES clients (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    -- 'early' (paid N days before due) or 'prepaid' (paid before its goods were released).
    reason TEXT NOT NULL CHECK (reason IN ('early', 'prepaid')),
    policy_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bonus_awards_client_idx ON bonus_awards (client_id);
