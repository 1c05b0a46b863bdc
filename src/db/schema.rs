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
        ledger_seq -> BigInt,
        penalty_exempt -> Bool,
        auto_hold -> Bool,
        held_by_job -> Bool,
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
        order_id -> Nullable<Text>,
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
        client_id -> Nullable<Text>,
        reason -> Nullable<Text>,
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

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        client_id -> Text,
        seq -> BigInt,
        kind -> Text,
        amount_minor -> BigInt,
        balance_after_minor -> BigInt,
        order_id -> Nullable<Text>,
        invoice_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
        payment_id -> Nullable<Text>,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        client_id -> Text,
        status -> Text,
        fulfilment -> Text,
        delivery_address -> Nullable<Text>,
        client_reference -> Nullable<Text>,
        comment -> Nullable<Text>,
        total_minor -> BigInt,
        vat_minor -> BigInt,
        discount_bp -> Integer,
        tier_id -> Nullable<Text>,
        reserved_until -> Nullable<Timestamp>,
        pickup_code -> Nullable<Text>,
        placed_by_kind -> Text,
        placed_by_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    order_lines (order_id, line_no) {
        order_id -> Text,
        line_no -> Integer,
        product_id -> Text,
        sku -> Text,
        name -> Text,
        unit -> Text,
        quantity -> BigInt,
        list_price_minor -> BigInt,
        discount_bp -> Integer,
        unit_price_minor -> BigInt,
        vat_rate_bp -> Integer,
        total_minor -> BigInt,
        vat_minor -> BigInt,
        offer_id -> Nullable<Text>,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        number -> Text,
        series -> Text,
        seq -> Integer,
        client_id -> Text,
        order_id -> Text,
        status -> Text,
        total_minor -> BigInt,
        vat_minor -> BigInt,
        paid_minor -> BigInt,
        issue_date -> Date,
        due_date -> Date,
        issued_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        released -> Bool,
    }
}

diesel::table! {
    document_counters (series) {
        series -> Text,
        last_value -> Integer,
    }
}

diesel::table! {
    idempotency_keys (principal, idem_key) {
        principal -> Text,
        idem_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> clients (client_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::table! {
    payment_imports (id) {
        id -> Text,
        format -> Text,
        file_sha256 -> Text,
        documents -> Integer,
        imported -> Integer,
        duplicates -> Integer,
        ignored -> Integer,
        matched -> Integer,
        unmatched -> Integer,
        total_minor -> BigInt,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        bank_reference -> Text,
        source -> Text,
        import_id -> Nullable<Text>,
        amount_minor -> BigInt,
        value_date -> Date,
        payer_inn -> Text,
        payer_kpp -> Nullable<Text>,
        payer_name -> Text,
        purpose -> Text,
        document_number -> Nullable<Text>,
        document_date -> Nullable<Date>,
        status -> Text,
        client_id -> Nullable<Text>,
        allocated_minor -> BigInt,
        refunded_minor -> BigInt,
        matched_by -> Nullable<Text>,
        created_at -> Timestamp,
        matched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payment_allocations (id) {
        id -> Text,
        payment_id -> Text,
        invoice_id -> Text,
        amount_minor -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    statement_responses (id) {
        id -> Text,
        client_id -> Text,
        period_from -> Date,
        period_to -> Date,
        status -> Text,
        comment -> Nullable<Text>,
        closing_balance_minor -> BigInt,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (job, period) {
        job -> Text,
        period -> Text,
        owner -> Text,
        run_id -> Text,
        expires_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        period -> Text,
        run_trigger -> Text,
        owner -> Text,
        status -> Text,
        run_now -> Timestamp,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        items -> BigInt,
        errors -> BigInt,
        message -> Nullable<Text>,
    }
}

diesel::table! {
    receivables_policies (version) {
        version -> Integer,
        body -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    penalty_accruals (invoice_id, day) {
        invoice_id -> Text,
        day -> Date,
        client_id -> Text,
        amount_minor -> BigInt,
        base_minor -> BigInt,
        policy_version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dunning_notices (invoice_id, offset_days) {
        invoice_id -> Text,
        offset_days -> Integer,
        client_id -> Text,
        template -> Text,
        subject -> Text,
        body -> Text,
        level_day -> Date,
        policy_version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bonus_awards (invoice_id) {
        invoice_id -> Text,
        client_id -> Text,
        amount_minor -> BigInt,
        reason -> Text,
        policy_version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoice_penalties (invoice_id) {
        invoice_id -> Text,
        penalty_minor -> BigInt,
        penalty_through -> Date,
    }
}

diesel::joinable!(invoices -> orders (order_id));
diesel::joinable!(payments -> clients (client_id));
diesel::joinable!(payment_allocations -> payments (payment_id));
diesel::joinable!(payment_allocations -> invoices (invoice_id));
diesel::joinable!(ledger_entries -> clients (client_id));
diesel::joinable!(api_keys -> clients (client_id));
diesel::joinable!(stock -> products (product_id));
diesel::joinable!(stock_movements -> products (product_id));
diesel::joinable!(clients -> price_tiers (tier_id));

diesel::table! {
    margin_policies (version) {
        version -> Integer,
        body -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        client_id -> Text,
        status -> Text,
        decline_code -> Nullable<Text>,
        deal_below_floor -> Bool,
        decision_reason -> Nullable<Text>,
        override_reason -> Nullable<Text>,
        comment -> Nullable<Text>,
        wanted_by -> Nullable<Date>,
        evidence -> Text,
        manager_id -> Nullable<Text>,
        created_by_kind -> Text,
        created_by_id -> Nullable<Text>,
        decided_by_kind -> Nullable<Text>,
        decided_by_id -> Nullable<Text>,
        policy_version -> Integer,
        valid_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    offer_lines (offer_id, line_no) {
        offer_id -> Text,
        line_no -> Integer,
        product_id -> Text,
        sku -> Text,
        name -> Text,
        quantity -> BigInt,
        list_price_minor -> BigInt,
        tier_price_minor -> BigInt,
        asked_price_minor -> BigInt,
        competitor_price_minor -> Nullable<BigInt>,
        cost_minor -> BigInt,
        floor_bp -> Integer,
        below_floor -> Bool,
        counter_price_minor -> Nullable<BigInt>,
        agreed_price_minor -> Nullable<BigInt>,
        decision_cost_minor -> Nullable<BigInt>,
        used_quantity -> BigInt,
    }
}

diesel::table! {
    attention_requests (id) {
        id -> Text,
        client_id -> Text,
        kind -> Text,
        topic -> Text,
        message -> Nullable<Text>,
        order_id -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        callback -> Bool,
        status -> Text,
        manager_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        resolution_note -> Nullable<Text>,
        created_by_kind -> Text,
        created_by_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(offer_lines -> offers (offer_id));

diesel::allow_tables_to_appear_in_same_query!(
    margin_policies,
    offers,
    offer_lines,
    attention_requests,
    price_tiers,
    clients,
    users,
    api_keys,
    products,
    stock,
    stock_movements,
    audit_log,
    outbox_events,
    ledger_entries,
    orders,
    order_lines,
    invoices,
    document_counters,
    idempotency_keys,
    payment_imports,
    payments,
    payment_allocations,
    statement_responses,
    job_leases,
    job_runs,
    receivables_policies,
    penalty_accruals,
    invoice_penalties,
    dunning_notices,
    bonus_awards,
);
