use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(adjustments_and_account, ledger_access_rules);

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
    assert!(next.body["next_cursor"].is_null());

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
            &format!("/api/v1/audit-log?action=ledger.adjusted&entity_id={a}"),
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);
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
