// Diesel table definitions, written by hand to match both migration trees.

diesel::table! {
    price_tiers (id) {
        id -> Text,
        name -> Text,
        min_turnover_minor -> BigInt,
        discount_bp -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        inn -> Text,
        kpp -> Nullable<Text>,
        legal_address -> Text,
        delivery_address -> Nullable<Text>,
        email -> Text,
        phone -> Nullable<Text>,
        credit_limit_minor -> BigInt,
        payment_terms_days -> Integer,
        tier_id -> Nullable<Text>,
        tier_pinned -> Bool,
        status -> Text,
        manager_id -> Nullable<Text>,
        balance_minor -> BigInt,
        search_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        client_id -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        client_id -> Text,
        name -> Text,
        role -> Text,
        secret_hash -> Text,
        secret_prefix -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        sku -> Text,
        name -> Text,
        unit -> Text,
        list_price_minor -> BigInt,
        cost_price_minor -> BigInt,
        vat_rate_bp -> Integer,
        category -> Nullable<Text>,
        active -> Bool,
        search_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stock (product_id) {
        product_id -> Text,
        on_hand -> BigInt,
        reserved -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stock_movements (id) {
        id -> Text,
        product_id -> Text,
        kind -> Text,
        quantity -> BigInt,
        on_hand_after -> BigInt,
        reason -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        request_id -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        event_type -> Text,
        entity_type -> Text,
        entity_id -> Text,
        client_id -> Nullable<Text>,
        payload -> Text,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> clients (client_id));
diesel::joinable!(api_keys -> clients (client_id));
diesel::joinable!(stock -> products (product_id));
diesel::joinable!(stock_movements -> products (product_id));
diesel::joinable!(clients -> price_tiers (tier_id));

diesel::allow_tables_to_appear_in_same_query!(
    price_tiers,
    clients,
    users,
    api_keys,
    products,
    stock,
    stock_movements,
    audit_log,
    outbox_events,
);
