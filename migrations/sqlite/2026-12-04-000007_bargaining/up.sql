-- Bargaining within a margin floor, individual attention, and the audit trail for staff.

-- The director's margin policy in versions (floors, the auto-accept rule, attention thresholds).
CREATE TABLE margin_policies (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);

-- A client's price offer. `manager_id` is the queue it waits in (the client's manager then).
CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'countered', 'withdrawn', 'expired', 'revoked')),
    -- `below_margin_floor` (the system) or `staff` (a person declined).
    decline_code TEXT,
    -- Declined by the rules because the deal as a whole is below the deal floor.
    deal_below_floor BOOLEAN NOT NULL DEFAULT FALSE,
    decision_reason TEXT,
    -- A director's reason for a decision below a floor.
    override_reason TEXT,
    comment TEXT,
    wanted_by DATE,
    -- Competitor evidence (JSON list of {name, url, note}).
    evidence TEXT NOT NULL,
    manager_id TEXT,
    created_by_kind TEXT NOT NULL,
    created_by_id TEXT,
    decided_by_kind TEXT,
    decided_by_id TEXT,
    policy_version INTEGER NOT NULL,
    valid_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP
);
CREATE INDEX offers_status_idx ON offers (status, id);
CREATE INDEX offers_client_idx ON offers (client_id, id);

-- One product per line (duplicates merged). Costs and floors are as of the submission and the
-- decision; `used_quantity` counts what orders took at the agreed price.
CREATE TABLE offer_lines (
    offer_id TEXT NOT NULL REFERENCES offers (id),
    line_no INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    list_price_minor BIGINT NOT NULL,
    tier_price_minor BIGINT NOT NULL,
    asked_price_minor BIGINT NOT NULL CHECK (asked_price_minor > 0),
    competitor_price_minor BIGINT,
    cost_minor BIGINT NOT NULL,
    floor_bp INTEGER NOT NULL,
    below_floor BOOLEAN NOT NULL,
    counter_price_minor BIGINT,
    agreed_price_minor BIGINT,
    decision_cost_minor BIGINT,
    used_quantity BIGINT NOT NULL DEFAULT 0 CHECK (used_quantity >= 0 AND used_quantity <= quantity),
    PRIMARY KEY (offer_id, line_no),
    UNIQUE (offer_id, product_id)
);

-- The offer whose agreed price an order line carries.
ALTER TABLE order_lines ADD COLUMN offer_id TEXT REFERENCES offers (id);

-- Clients who want a person, and orders flagged for one.
CREATE TABLE attention_requests (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    kind TEXT NOT NULL CHECK (kind IN ('client_request', 'large_order')),
    topic TEXT NOT NULL,
    message TEXT,
    order_id TEXT REFERENCES orders (id),
    phone TEXT,
    email TEXT,
    callback BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'resolved')),
    manager_id TEXT,
    assignee_id TEXT,
    resolution_note TEXT,
    created_by_kind TEXT NOT NULL,
    created_by_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX attention_requests_status_idx ON attention_requests (status, id);
CREATE INDEX attention_requests_client_idx ON attention_requests (client_id, id);

-- The audit trail: the company a row concerns (a client's activity) and the reason given for a
-- manual action. Rows written before this keep the company when the entity is the client.
ALTER TABLE audit_log ADD COLUMN client_id TEXT;
ALTER TABLE audit_log ADD COLUMN reason TEXT;
-- The backfill looks events up by entity; a temporary index keeps it one probe per row.
CREATE INDEX outbox_events_backfill_tmp ON outbox_events (entity_type, entity_id);
UPDATE audit_log SET client_id = entity_id WHERE entity_type = 'client';
UPDATE audit_log SET client_id = (
    SELECT e.client_id FROM outbox_events e
    WHERE e.entity_type = audit_log.entity_type AND e.entity_id = audit_log.entity_id
      AND e.event_type = audit_log.action AND e.occurred_at = audit_log.occurred_at
    LIMIT 1)
  WHERE client_id IS NULL;
DROP INDEX outbox_events_backfill_tmp;
CREATE INDEX audit_log_client_idx ON audit_log (client_id, id) WHERE client_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id) WHERE actor_id IS NOT NULL;
