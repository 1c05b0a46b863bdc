DROP INDEX audit_log_actor_idx;
DROP INDEX audit_log_client_idx;
ALTER TABLE audit_log DROP COLUMN reason;
ALTER TABLE audit_log DROP COLUMN client_id;
DROP TABLE attention_requests;
-- SQLite cannot drop a column that references another table: order_lines.offer_id stays.
DROP TABLE offer_lines;
UPDATE order_lines SET offer_id = NULL;
DROP TABLE offers;
DROP TABLE margin_policies;
