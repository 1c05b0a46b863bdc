use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    adjustments_and_account,
    ledger_access_rules,
    director_assigns_tiers
);

async fn adjustments_and_account(app: &TestApp) {
    let a = app.company(1).await; // credit limit 1000.00
    let director = app.staff("director").await;
    let accountant = app.staff("accountant").await;
    let path = format!("/api/v1/clients/{a}/ledger/adjustments");
    let r = app
        .post(
            &director,
            &path,
            json!({"amount": "250.50", "reason": "Opening balance"}),
        )
        .await;
    let e = r.ok(201);
    assert_eq!(e["seq"], 1);
    assert_eq!(e["amount"], "250.50");
    assert_eq!(e["balance_after"], "250.50");
    let r = app
        .post(
            &accountant,
            &path,
            json!({"amount": "-300", "reason": "Correction"}),
        )
        .await;
    assert_eq!(r.ok(201)["balance_after"], "-49.50");
    // Bad adjustments.
    app.post(&director, &path, json!({"amount": "0", "reason": "x"}))
        .await
        .problem(422, "validation_failed");
    app.post(&director, &path, json!({"amount": "10", "reason": ""}))
        .await
        .problem(422, "validation_failed");
    app.post(&director, &path, json!({"amount": "1.001", "reason": "x"}))
        .await
        .problem(422, "validation_failed");

    // With an Idempotency-Key a retried adjustment is posted once.
    let send = || {
        app.send(
            app.http
                .post(app.url(&path))
                .bearer_auth(&director)
                .header("Idempotency-Key", "adj-1")
                .json(&json!({"amount": "5.00", "reason": "Retry-safe"})),
        )
    };
    let first = send().await;
    assert_eq!(first.ok(201)["seq"], 3);
    let again = send().await;
    assert_eq!(again.ok(201)["seq"], 3);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    app.post(
        &director,
        &path,
        json!({"amount": "-5.00", "reason": "Undo the retry-safe one"}),
    )
    .await
    .ok(201);

    let ledger = app
        .get(&app.admin, &format!("/api/v1/clients/{a}/ledger?limit=1"))
        .await;
    assert_eq!(ledger.ok(200)["items"][0]["seq"], 1);
    let cursor = ledger.body["next_cursor"].as_str().unwrap().to_string();
    let next = app
        .get(
            &app.admin,
            &format!("/api/v1/clients/{a}/ledger?limit=1&after={cursor}"),
        )
        .await;
    assert_eq!(next.ok(200)["items"][0]["seq"], 2);
    let all = app
        .get(&app.admin, &format!("/api/v1/clients/{a}/ledger"))
        .await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 4);

    let (_, buyer) = app.client_user(&a, "client_buyer").await;
    let acc = app
        .get(&buyer, &format!("/api/v1/clients/{a}/account"))
        .await;
    let acc = acc.ok(200);
    assert_eq!(acc["balance"], "-49.50");
    assert_eq!(acc["credit_limit"], "1000.00");
    assert_eq!(acc["available_credit"], "950.50");
    assert_eq!(acc["awaiting_payment"], "0.00");
    assert_eq!(acc["turnover"], "0.00");
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?action=ledger.adjusted&entity_id={a}"),
        )
        .await;
    assert_eq!(
        audit.ok(200)["items"].as_array().unwrap().len(),
        4,
        "{audit:?}"
    );
}

async fn ledger_access_rules(app: &TestApp) {
    let a = app.company(2).await;
    let b = app.company(3).await;
    let (_, admin_a) = app.client_user(&a, "client_admin").await;
    let manager = app.staff("manager").await;
    let body = json!({"amount": "10.00", "reason": "Gift"});
    app.post(
        &manager,
        &format!("/api/v1/clients/{a}/ledger/adjustments"),
        body.clone(),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &admin_a,
        &format!("/api/v1/clients/{a}/ledger/adjustments"),
        body.clone(),
    )
    .await
    .problem(403, "forbidden");
    for path in [
        format!("/api/v1/clients/{b}/account"),
        format!("/api/v1/clients/{b}/ledger"),
    ] {
        app.get(&admin_a, &path).await.problem(404, "not_found");
    }
    app.post(
        &admin_a,
        &format!("/api/v1/clients/{b}/ledger/adjustments"),
        body,
    )
    .await
    .problem(404, "not_found");
    app.get(&manager, "/api/v1/clients/nope/account")
        .await
        .problem(404, "not_found");
}

async fn director_assigns_tiers(app: &TestApp) {
    let a = app.company(4).await;
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let (_, client_admin) = app.client_user(&a, "client_admin").await;
    let silver = app
        .post(
            &director,
            "/api/v1/price-tiers",
            json!({"name": "Silver", "min_turnover": "5000.00", "discount_bp": 300}),
        )
        .await;
    let silver = silver.ok(201)["id"].as_str().unwrap().to_string();
    let gold = app
        .post(
            &director,
            "/api/v1/price-tiers",
            json!({"name": "Gold", "min_turnover": "50000.00", "discount_bp": 700}),
        )
        .await;
    gold.ok(201);
    // A retried tier creation with the same key creates one tier.
    let bronze = || {
        app.send(
            app.http
                .post(app.url("/api/v1/price-tiers"))
                .bearer_auth(&director)
                .header("Idempotency-Key", "tier-bronze")
                .json(&json!({"name": "Bronze", "min_turnover": "1000.00", "discount_bp": 100})),
        )
    };
    let first = bronze().await;
    let again = bronze().await;
    assert_eq!(again.ok(201)["id"], first.ok(201)["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert!(first.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/api/v1/price-tiers/"));
    let path = format!("/api/v1/clients/{a}");
    let r = app.patch(&manager, &path, json!({"tier_id": silver})).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "director_only");
    let r = app
        .patch(
            &client_admin,
            &path,
            json!({"tier_id": silver, "tier_pinned": true}),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "staff_only");
    app.patch(&director, &path, json!({"tier_id": "no-such-tier"}))
        .await
        .problem(422, "validation_failed");
    let r = app
        .patch(
            &director,
            &path,
            json!({"tier_id": silver, "tier_pinned": true}),
        )
        .await;
    assert_eq!(r.ok(200)["tier_id"], silver.as_str());
    assert_eq!(r.body["tier_pinned"], true);
    let acc = app
        .get(&client_admin, &format!("/api/v1/clients/{a}/account"))
        .await;
    assert_eq!(acc.ok(200)["tier_name"], "Silver");
    assert_eq!(acc.body["discount_bp"], 300);
    assert_eq!(acc.body["next_tier"]["name"], "Gold");
    assert_eq!(acc.body["next_tier"]["missing"], "50000.00");
    let p = app.product("T-1").await; // list price 100.00
    let view = app
        .get(
            &client_admin,
            &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(view.ok(200)["price"], "97.00");
    // Removing the tier.
    let r = app.patch(&director, &path, json!({"tier_id": null})).await;
    assert!(r.ok(200)["tier_id"].is_null());
}
