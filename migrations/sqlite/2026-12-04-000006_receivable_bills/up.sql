-- Whether the bill's goods were released (its order has released_at): an issued bill of a
-- released order is a receivable. Set with the release and never cleared (a cancelled order's
-- bill is voided), so the receivables queries need no join to orders; the partial index holds
-- exactly the open receivables, per client oldest due first.
ALTER TABLE invoices ADD COLUMN released BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE invoices SET released = TRUE
  WHERE order_id IN (SELECT id FROM orders WHERE released_at IS NOT NULL);
DROP INDEX invoices_open_idx;
CREATE INDEX invoices_receivable_idx ON invoices (client_id, due_date)
  WHERE status = 'issued' AND released;

-- The day accruals keep no foreign keys: the penalties job writes ~one row per overdue bill and
-- day in the transaction that read those bills, and the per-row key checks were most of the
-- insert. The invariants check proves every accrual belongs to an existing bill of its client.
-- (SQLite cannot drop a constraint: the table is rebuilt.)
CREATE TABLE penalty_accruals_new (
    invoice_id TEXT NOT NULL,
    day DATE NOT NULL,
    client_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    -- The bill's open amount the day's penalty was computed on.
    base_minor BIGINT NOT NULL,
    policy_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (invoice_id, day)
);
INSERT INTO penalty_accruals_new SELECT invoice_id, day, client_id, amount_minor, base_minor,
  policy_version, created_at FROM penalty_accruals;
DROP TABLE penalty_accruals;
ALTER TABLE penalty_accruals_new RENAME TO penalty_accruals;
-- No index by client: a client's accruals are found through its bills (invoices_client_idx,
-- then the primary key); a second index on every accrual only slowed the daily insert.
