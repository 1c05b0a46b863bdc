CREATE TABLE price_tiers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    min_turnover_minor BIGINT NOT NULL CHECK (min_turnover_minor >= 0),
    discount_bp INTEGER NOT NULL CHECK (discount_bp >= 0 AND discount_bp < 10000),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    inn TEXT NOT NULL UNIQUE,
    kpp TEXT,
    legal_address TEXT NOT NULL,
    delivery_address TEXT,
    email TEXT NOT NULL,
    phone TEXT,
    credit_limit_minor BIGINT NOT NULL DEFAULT 0 CHECK (credit_limit_minor >= 0),
    payment_terms_days INTEGER NOT NULL DEFAULT 0 CHECK (payment_terms_days >= 0),
    tier_id TEXT REFERENCES price_tiers (id),
    tier_pinned BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'blocked')),
    manager_id TEXT,
    balance_minor BIGINT NOT NULL DEFAULT 0,
    search_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id TEXT REFERENCES clients (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_client_idx ON users (client_id, id);

ALTER TABLE clients ADD CONSTRAINT clients_manager_fk FOREIGN KEY (manager_id) REFERENCES users (id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    secret_prefix TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_client_idx ON api_keys (client_id, id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    list_price_minor BIGINT NOT NULL CHECK (list_price_minor >= 0),
    cost_price_minor BIGINT NOT NULL CHECK (cost_price_minor >= 0),
    vat_rate_bp INTEGER NOT NULL CHECK (vat_rate_bp >= 0 AND vat_rate_bp <= 10000),
    category TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    search_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX products_category_idx ON products (category, id);

CREATE TABLE stock (
    product_id TEXT PRIMARY KEY REFERENCES products (id),
    on_hand BIGINT NOT NULL DEFAULT 0,
    reserved BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT stock_bounds CHECK (on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand)
);

CREATE TABLE stock_movements (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'write_off', 'correction')),
    quantity BIGINT NOT NULL,
    on_hand_after BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    request_id TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);

CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    event_type TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    client_id TEXT,
    payload TEXT NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (published_at, id);
