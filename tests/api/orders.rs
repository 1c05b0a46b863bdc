use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    released_within_credit_and_picked_up,
    awaiting_payment_beyond_credit_and_cancel,
    insufficient_stock_books_nothing,
    order_rules_and_visibility,
    delivery_ship_complete_and_transitions,
    idempotency_key_semantics,
    concurrent_orders_never_oversell,
    concurrent_orders_respect_credit_limit,
    concurrent_same_idempotency_key_one_order,
);

async fn stock_of(app: &TestApp, id: &str) -> (i64, i64) {
    let p = app.get(&app.admin, &format!("/api/v1/products/{id}")).await;
    let s = &p.ok(200)["stock"];
    (
        s["on_hand"].as_i64().unwrap(),
        s["reserved"].as_i64().unwrap(),
    )
}

async fn order(app: &TestApp, token: &str, lines: Value) -> Resp {
    app.post(token, "/api/v1/orders", json!({"lines": lines}))
        .await
}

async fn released_within_credit_and_picked_up(app: &TestApp) {
    let c = app.company(1).await; // credit limit 1000.00, 10 days terms
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "R-1", "150.00", 20).await;
    let r = order(
        app,
        &buyer,
        json!([{"product_id": p, "quantity": 4}, {"sku": "R-1", "quantity": 2}]),
    )
    .await;
    let o = r.ok(201).clone();
    assert_eq!(o["status"], "released");
    assert_eq!(o["total"], "900.00");
    assert_eq!(o["vat"], "162.30"); // 900 * 22 / 122 = 162.295… → 162.30
    assert_eq!(o["lines"].as_array().unwrap().len(), 1); // merged
    assert_eq!(o["lines"][0]["quantity"], 6);
    assert!(o["invoice"]["number"]
        .as_str()
        .unwrap()
        .ends_with("-000001"));
    let code = o["pickup_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);
    assert_eq!(stock_of(app, &p).await, (20, 6));
    let acc = app
        .get(&buyer, &format!("/api/v1/clients/{c}/account"))
        .await;
    assert_eq!(acc.ok(200)["balance"], "-900.00");
    assert_eq!(acc.body["available_credit"], "100.00");
    assert_eq!(acc.body["turnover"], "900.00");
    let ledger = app
        .get(&buyer, &format!("/api/v1/clients/{c}/ledger"))
        .await;
    assert_eq!(ledger.ok(200)["items"][0]["kind"], "release");
    assert_eq!(ledger.body["items"][0]["order_id"], o["id"]);

    // Pickup: wrong code, wrong role, then the logistician with the right code.
    let id = o["id"].as_str().unwrap();
    let logistician = app.staff("logistician").await;
    app.post(
        &logistician,
        &format!("/api/v1/orders/{id}/pickup"),
        json!({"pickup_code": "000000x"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &buyer,
        &format!("/api/v1/orders/{id}/pickup"),
        json!({"pickup_code": code}),
    )
    .await
    .problem(403, "forbidden");
    let r = app
        .post(
            &logistician,
            &format!("/api/v1/orders/{id}/pickup"),
            json!({"pickup_code": code}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "picked_up");
    assert_eq!(stock_of(app, &p).await, (14, 0));
    app.post(
        &logistician,
        &format!("/api/v1/orders/{id}/pickup"),
        json!({"pickup_code": code}),
    )
    .await
    .problem(409, "invalid_transition");
    app.post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
        .await
        .problem(409, "invalid_transition");
    let r = app
        .post(
            &logistician,
            &format!("/api/v1/orders/{id}/complete"),
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "completed");
    let inv = app
        .get(
            &buyer,
            &format!("/api/v1/invoices/{}", o["invoice"]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(inv.ok(200)["total"], "900.00");
    assert_eq!(inv.body["status"], "issued");
}

async fn awaiting_payment_beyond_credit_and_cancel(app: &TestApp) {
    let c = app.company(2).await; // credit 1000.00
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "A-1", "600.00", 10).await;
    let first = order(app, &buyer, json!([{"product_id": p, "quantity": 1}])).await;
    assert_eq!(first.ok(201)["status"], "released");
    let second = order(app, &buyer, json!([{"product_id": p, "quantity": 1}])).await;
    let o = second.ok(201).clone();
    assert_eq!(o["status"], "awaiting_payment");
    assert!(o["reserved_until"].is_string());
    assert!(o["pickup_code"].is_null());
    assert_eq!(stock_of(app, &p).await, (10, 2));
    let acc = app
        .get(&buyer, &format!("/api/v1/clients/{c}/account"))
        .await;
    assert_eq!(acc.ok(200)["awaiting_payment"], "600.00");
    assert_eq!(acc.body["balance"], "-600.00");
    // Invoice numbers continue.
    assert!(o["invoice"]["number"]
        .as_str()
        .unwrap()
        .ends_with("-000002"));

    // Cancel both: stock freed, release reversed by a new entry, bills voided.
    for ord in [first.body.clone(), o] {
        let id = ord["id"].as_str().unwrap();
        let r = app
            .post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
            .await;
        assert_eq!(r.ok(200)["status"], "cancelled");
        assert_eq!(r.body["invoice"]["status"], "void");
    }
    assert_eq!(stock_of(app, &p).await, (10, 0));
    let acc = app
        .get(&buyer, &format!("/api/v1/clients/{c}/account"))
        .await;
    assert_eq!(acc.ok(200)["balance"], "0.00");
    let ledger = app
        .get(&buyer, &format!("/api/v1/clients/{c}/ledger"))
        .await;
    let kinds: Vec<&str> = ledger.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["release", "release_reversal"]);
}

async fn insufficient_stock_books_nothing(app: &TestApp) {
    let c = app.company(3).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let a = stocked(app, "I-1", "1.00", 5).await;
    let b = stocked(app, "I-2", "1.00", 2).await;
    let d = stocked(app, "I-3", "1.00", 100).await;
    let r = order(app, &buyer, json!([{"product_id": d, "quantity": 1}, {"product_id": a, "quantity": 6}, {"sku": "I-2", "quantity": 3}])).await;
    r.problem(409, "insufficient_stock");
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{r:?}");
    assert!(errors.iter().any(
        |e| e["field"] == "lines[1]" && e["message"].as_str().unwrap().contains("available 5")
    ));
    assert!(errors.iter().any(
        |e| e["field"] == "lines[2]" && e["message"].as_str().unwrap().contains("available 2")
    ));
    for p in [&a, &b, &d] {
        assert_eq!(stock_of(app, p).await.1, 0);
    }
    let list = app.get(&buyer, "/api/v1/orders").await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 0);
    let inv = app.get(&buyer, "/api/v1/invoices").await;
    assert_eq!(inv.ok(200)["items"].as_array().unwrap().len(), 0);
}

async fn order_rules_and_visibility(app: &TestApp) {
    let c = app.company(4).await;
    let other = app.company(5).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let (_, accountant) = app.client_user(&c, "client_accountant").await;
    let (_, other_buyer) = app.client_user(&other, "client_buyer").await;
    let p = stocked(app, "V-1", "10.00", 50).await;
    let o = order(app, &buyer, json!([{"product_id": p, "quantity": 1}])).await;
    let id = o.ok(201)["id"].as_str().unwrap().to_string();
    let inv = o.body["invoice"]["id"].as_str().unwrap().to_string();
    // Another company: 404 everywhere, and it cannot order for us.
    app.get(&other_buyer, &format!("/api/v1/orders/{id}"))
        .await
        .problem(404, "not_found");
    app.post(
        &other_buyer,
        &format!("/api/v1/orders/{id}/cancel"),
        json!({}),
    )
    .await
    .problem(404, "not_found");
    app.get(&other_buyer, &format!("/api/v1/invoices/{inv}"))
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get(&other_buyer, "/api/v1/orders").await.ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post(
        &other_buyer,
        "/api/v1/orders",
        json!({"client_id": c, "lines": [{"product_id": p, "quantity": 1}]}),
    )
    .await
    .problem(404, "not_found");
    // Accountants pay, they do not order.
    order(app, &accountant, json!([{"product_id": p, "quantity": 1}]))
        .await
        .problem(403, "forbidden");
    // Staff must name the company; server-owned fields are refused.
    order(app, &app.admin, json!([{"product_id": p, "quantity": 1}]))
        .await
        .problem(422, "validation_failed");
    app.post(
        &buyer,
        "/api/v1/orders",
        json!({"lines": [{"product_id": p, "quantity": 1}], "status": "released"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &buyer,
        "/api/v1/orders",
        json!({"lines": [{"product_id": p, "quantity": 1, "price": "0.01"}]}),
    )
    .await
    .problem(422, "validation_failed");
    order(app, &buyer, json!([]))
        .await
        .problem(422, "validation_failed");
    order(app, &buyer, json!([{"product_id": p, "quantity": 0}]))
        .await
        .problem(422, "validation_failed");
    let many: Vec<Value> = (0..501)
        .map(|_| json!({"product_id": p, "quantity": 1}))
        .collect();
    order(app, &buyer, json!(many))
        .await
        .problem(422, "validation_failed");
    // Inactive products are refused.
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{p}"),
        json!({"active": false}),
    )
    .await
    .ok(200);
    order(app, &buyer, json!([{"product_id": p, "quantity": 1}]))
        .await
        .problem(422, "validation_failed");
    // A blocked company cannot order; on hold, only its advance counts.
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{c}"),
        json!({"status": "blocked"}),
    )
    .await
    .ok(200);
    let q = stocked(app, "V-2", "10.00", 50).await;
    order(app, &buyer, json!([{"product_id": q, "quantity": 1}]))
        .await
        .problem(403, "client_blocked");
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{c}"),
        json!({"status": "on_hold"}),
    )
    .await
    .ok(200);
    let r = order(app, &buyer, json!([{"product_id": q, "quantity": 1}])).await;
    assert_eq!(r.ok(201)["status"], "awaiting_payment"); // balance is -10.00, credit does not count
    let director = app.staff("director").await;
    app.post(
        &director,
        &format!("/api/v1/clients/{c}/ledger/adjustments"),
        json!({"amount": "100.00", "reason": "prepayment"}),
    )
    .await
    .ok(201);
    let r = order(app, &buyer, json!([{"product_id": q, "quantity": 2}])).await;
    assert_eq!(r.ok(201)["status"], "released"); // the advance (90.00) covers 20.00
                                                 // Filters.
    let list = app.get(&buyer, "/api/v1/orders?status=released").await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 2);
    let list = app
        .get(
            &app.admin,
            &format!("/api/v1/orders?client_id={c}&status=awaiting_payment"),
        )
        .await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
}

async fn delivery_ship_complete_and_transitions(app: &TestApp) {
    let c = app.company(6).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "D-1", "10.00", 10).await;
    let r = app
        .post(&buyer, "/api/v1/orders", json!({"lines": [{"product_id": p, "quantity": 3}], "fulfilment": "delivery", "delivery_address": "Склад клиента", "client_reference": "PO-77"}))
        .await;
    let o = r.ok(201).clone();
    let id = o["id"].as_str().unwrap();
    assert_eq!(o["delivery_address"], "Склад клиента");
    assert!(o["pickup_code"].is_null());
    let logistician = app.staff("logistician").await;
    app.post(
        &logistician,
        &format!("/api/v1/orders/{id}/pickup"),
        json!({"pickup_code": "123456"}),
    )
    .await
    .problem(409, "invalid_transition");
    app.post(
        &logistician,
        &format!("/api/v1/orders/{id}/complete"),
        json!({}),
    )
    .await
    .problem(409, "invalid_transition");
    assert_eq!(
        app.post(
            &logistician,
            &format!("/api/v1/orders/{id}/ship"),
            json!({})
        )
        .await
        .ok(200)["status"],
        "shipped"
    );
    assert_eq!(stock_of(app, &p).await, (7, 0));
    assert_eq!(
        app.post(
            &logistician,
            &format!("/api/v1/orders/{id}/complete"),
            json!({})
        )
        .await
        .ok(200)["status"],
        "completed"
    );
    let list = app
        .get(&buyer, "/api/v1/orders?client_reference=PO-77")
        .await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
    let moves = app
        .get(&app.admin, &format!("/api/v1/products/{p}/stock-movements"))
        .await;
    assert_eq!(moves.ok(200)["items"][1]["kind"], "issue");
}

async fn idempotency_key_semantics(app: &TestApp) {
    let c = app.company(7).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "K-1", "10.00", 10).await;
    let body = json!({"lines": [{"product_id": p, "quantity": 2}]});
    let send = |key: &'static str, body: Value| {
        app.send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", key)
                .json(&body),
        )
    };
    let first = send("key-1", body.clone()).await;
    let first_body = first.ok(201).clone();
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = send("key-1", body.clone()).await;
    assert_eq!(again.ok(201), &first_body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    send(
        "key-1",
        json!({"lines": [{"product_id": p, "quantity": 3}]}),
    )
    .await
    .problem(422, "idempotency_key_reused");
    assert_eq!(stock_of(app, &p).await.1, 2);
    // A failed request stores nothing: the same key works once the cause is fixed.
    send(
        "key-2",
        json!({"lines": [{"product_id": p, "quantity": 50}]}),
    )
    .await
    .problem(409, "insufficient_stock");
    assert_eq!(
        send(
            "key-2",
            json!({"lines": [{"product_id": p, "quantity": 1}]})
        )
        .await
        .ok(201)["status"],
        "released"
    );
    // Keys are per principal: another user with the same key gets its own order.
    let (_, buyer2) = app.client_user(&c, "client_buyer").await;
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer2)
                .header("Idempotency-Key", "key-1")
                .json(&body),
        )
        .await;
    assert_ne!(r.ok(201)["id"], first_body["id"]);
    // Machine clients must send a key.
    let key = app
        .post(
            &app.admin,
            &format!("/api/v1/clients/{c}/api-keys"),
            json!({"name": "ERP"}),
        )
        .await;
    let token = app
        .token(json!({"grant_type": "client_credentials", "client_id": key.body["id"], "client_secret": key.body["client_secret"]}))
        .await
        .ok(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&token, "/api/v1/orders", body.clone())
        .await
        .problem(400, "idempotency_key_required");
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&token)
                .header("Idempotency-Key", "erp-1")
                .json(&body),
        )
        .await;
    r.ok(201);
    let r = app
        .send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&token)
                .header("Idempotency-Key", "bad key with spaces")
                .json(&body),
        )
        .await;
    r.problem(400, "invalid_idempotency_key");
}

async fn concurrent_orders_never_oversell(app: &TestApp) {
    let c = app.company(8).await;
    let director = app.staff("director").await;
    app.post(
        &director,
        &format!("/api/v1/clients/{c}/ledger/adjustments"),
        json!({"amount": "100000.00", "reason": "advance"}),
    )
    .await
    .ok(201);
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "C-1", "1.00", 10).await;
    let body = json!({"lines": [{"product_id": p, "quantity": 1}]});
    let results = futures_util::future::join_all(
        (0..50).map(|_| app.post(&buyer, "/api/v1/orders", body.clone())),
    )
    .await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    let short = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "insufficient_stock")
        .count();
    assert_eq!(
        ok,
        10,
        "{:?}",
        results
            .iter()
            .filter(|r| r.status != 201 && r.status != 409)
            .collect::<Vec<_>>()
    );
    assert_eq!(short, 40);
    assert_eq!(stock_of(app, &p).await, (10, 10));
}

async fn concurrent_orders_respect_credit_limit(app: &TestApp) {
    let c = app.company(9).await; // credit limit 1000.00
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "L-1", "70.00", 1000).await;
    let body = json!({"lines": [{"product_id": p, "quantity": 1}]});
    let results = futures_util::future::join_all(
        (0..50).map(|_| app.post(&buyer, "/api/v1/orders", body.clone())),
    )
    .await;
    assert!(
        results.iter().all(|r| r.status == 201),
        "{:?}",
        results.iter().find(|r| r.status != 201)
    );
    let released = results
        .iter()
        .filter(|r| r.body["status"] == "released")
        .count();
    assert_eq!(released, 14); // 14 × 70 = 980 ≤ 1000 < 15 × 70
    let acc = app
        .get(&buyer, &format!("/api/v1/clients/{c}/account"))
        .await;
    assert_eq!(acc.ok(200)["balance"], "-980.00");
    assert_eq!(acc.body["awaiting_payment"], "2520.00");
}

async fn concurrent_same_idempotency_key_one_order(app: &TestApp) {
    let c = app.company(10).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "S-1", "1.00", 100).await;
    let body = json!({"lines": [{"product_id": p, "quantity": 1}]});
    let results = futures_util::future::join_all((0..20).map(|_| {
        app.send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", "same")
                .json(&body),
        )
    }))
    .await;
    for r in &results {
        assert!(
            r.status == 201 || (r.status == 409 && r.code() == "idempotency_key_in_use"),
            "{r:?}"
        );
    }
    let ids: std::collections::HashSet<&str> = results
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let list = app.get(&buyer, "/api/v1/orders").await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
    assert_eq!(stock_of(app, &p).await.1, 1);
}
