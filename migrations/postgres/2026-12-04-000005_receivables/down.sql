DROP TABLE bonus_awards;
DROP TABLE dunning_notices;
DROP TABLE penalty_accruals;
DROP TABLE invoice_penalties;
ALTER TABLE clients DROP COLUMN held_by_job;
ALTER TABLE clients DROP COLUMN auto_hold;
ALTER TABLE clients DROP COLUMN penalty_exempt;
DROP TABLE receivables_policies;
