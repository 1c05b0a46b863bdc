DROP TABLE statement_responses;
DROP INDEX ledger_entries_payment_idx;
ALTER TABLE ledger_entries DROP COLUMN payment_id;
DROP INDEX orders_waiting_idx;
DROP INDEX invoices_open_idx;
DROP TABLE payment_allocations;
DROP TABLE payments;
DROP TABLE payment_imports;
