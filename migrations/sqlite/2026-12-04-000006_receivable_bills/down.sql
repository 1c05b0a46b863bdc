CREATE TABLE penalty_accruals_old (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    day DATE NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    base_minor BIGINT NOT NULL,
    policy_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (invoice_id, day)
);
INSERT INTO penalty_accruals_old SELECT invoice_id, day, client_id, amount_minor, base_minor,
  policy_version, created_at FROM penalty_accruals;
DROP TABLE penalty_accruals;
ALTER TABLE penalty_accruals_old RENAME TO penalty_accruals;
CREATE INDEX penalty_accruals_client_idx ON penalty_accruals (client_id, day);
DROP INDEX invoices_receivable_idx;
CREATE INDEX invoices_open_idx ON invoices (client_id, status, due_date);
ALTER TABLE invoices DROP COLUMN released;
