DROP TABLE statement_responses;
DROP INDEX ledger_entries_payment_idx;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('payment', 'release', 'release_reversal', 'penalty', 'bonus', 'adjustment', 'refund'));
ALTER TABLE ledger_entries DROP COLUMN payment_id;
DROP INDEX orders_waiting_idx;
DROP INDEX invoices_open_idx;
DROP TABLE payment_allocations;
DROP TABLE payments;
DROP TABLE payment_imports;
