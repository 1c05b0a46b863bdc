DROP INDEX audit_log_actor_idx;
DROP INDEX audit_log_client_idx;
ALTER TABLE audit_log DROP COLUMN reason;
ALTER TABLE audit_log DROP COLUMN client_id;
DROP TABLE attention_requests;
ALTER TABLE order_lines DROP COLUMN offer_id;
DROP TABLE offer_lines;
DROP TABLE offers;
DROP TABLE margin_policies;
