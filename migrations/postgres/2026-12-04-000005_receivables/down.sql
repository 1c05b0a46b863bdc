DROP TABLE bonus_awards;
DROP TABLE dunning_notices;
DROP TABLE penalty_accruals;
ALTER TABLE invoices DROP COLUMN penalty_through;
ALTER TABLE invoices DROP COLUMN penalty_minor;
ALTER TABLE clients DROP COLUMN held_by_job;
ALTER TABLE clients DROP COLUMN auto_hold;
ALTER TABLE clients DROP COLUMN penalty_exempt;
DROP TABLE receivables_policies;
