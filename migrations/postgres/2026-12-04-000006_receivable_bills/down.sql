CREATE INDEX penalty_accruals_client_idx ON penalty_accruals (client_id, day);
ALTER TABLE invoice_penalties RESET (fillfactor);
ALTER TABLE penalty_accruals ADD CONSTRAINT penalty_accruals_client_id_fkey
  FOREIGN KEY (client_id) REFERENCES clients (id);
ALTER TABLE penalty_accruals ADD CONSTRAINT penalty_accruals_invoice_id_fkey
  FOREIGN KEY (invoice_id) REFERENCES invoices (id);
DROP INDEX invoices_receivable_idx;
CREATE INDEX invoices_open_idx ON invoices (client_id, status, due_date);
ALTER TABLE invoices DROP COLUMN released;
