//! Individual attention (client requests, large orders flagged for the manager) and the audit
//! trail (staff filters, a company's own activity).
use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    clients_ask_for_a_person,
    large_orders_are_flagged_and_go_on,
    the_audit_trail_and_a_company_activity,
);

/// A company managed by a new manager, with a buyer: (client id, manager id, manager token,
/// buyer id, buyer token).
async fn managed(app: &TestApp, seed: u32) -> (String, String, String, String, String) {
    let c = app.company(seed).await;
    let (manager_id, manager) = app.staff_user("manager").await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{c}"),
        json!({"manager_id": manager_id, "credit_limit": "1000000.00"}),
    )
    .await
    .ok(200);
    let (buyer_id, buyer) = app.client_user(&c, "client_buyer").await;
    (c, manager_id, manager, buyer_id, buyer)
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn clients_ask_for_a_person(app: &TestApp) {
    let (c, manager_id, manager, _, buyer) = managed(app, 11).await;
    let (other, _, _, _, other_buyer) = managed(app, 12).await;
    let p = stocked(app, "ATT-1", "100.00", 100).await;
    let order = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 1}]}),
        )
        .await;
    let order_id = order.ok(201)["id"].as_str().unwrap().to_string();
    let foreign = app
        .post(
            &other_buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 1}]}),
        )
        .await;
    let foreign_id = foreign.ok(201)["id"].as_str().unwrap().to_string();

    // Bad input: every field named, nothing written.
    let bad = app
        .post(
            &buyer,
            "/api/v1/attention-requests",
            json!({"topic": " ", "phone": "call me", "email": "nope", "callback": true}),
        )
        .await;
    bad.problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["topic", "phone", "email"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    app.post(
        &buyer,
        "/api/v1/attention-requests",
        json!({"topic": "x", "callback": true}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &buyer,
        "/api/v1/attention-requests",
        json!({"topic": "x", "priority": "high"}),
    )
    .await
    .problem(422, "validation_failed");
    // Another company's order: 404. Staff do not file requests.
    app.post(
        &buyer,
        "/api/v1/attention-requests",
        json!({"topic": "About this order", "order_id": foreign_id}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        &manager,
        "/api/v1/attention-requests",
        json!({"topic": "x"}),
    )
    .await
    .problem(403, "forbidden");

    let body = json!({"topic": "Delivery to a new warehouse", "message": "Can you deliver to Tula?",
                      "order_id": order_id, "phone": "+7 (495) 123-45-67",
                      "email": "buyer@example.ru", "callback": true});
    let send = || {
        app.send(
            app.http
                .post(app.url("/api/v1/attention-requests"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", "call-me-1")
                .json(&body),
        )
    };
    let created = send().await;
    let r = created.ok(201).clone();
    assert_eq!(r["status"], "open");
    assert_eq!(r["kind"], "client_request");
    assert_eq!(r["client_id"], c.as_str());
    assert_eq!(r["manager_id"], manager_id.as_str());
    assert_eq!(r["callback"], true);
    let replay = send().await;
    assert_eq!(replay.ok(201)["id"], r["id"]);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    let id = r["id"].as_str().unwrap().to_string();

    // Who sees it: the company and staff; another company gets 404.
    let own = app.get(&buyer, "/api/v1/attention-requests").await;
    assert_eq!(ids(&own), vec![id.clone()]);
    app.get(&other_buyer, &format!("/api/v1/attention-requests/{id}"))
        .await
        .problem(404, "not_found");
    app.get(
        &other_buyer,
        &format!("/api/v1/attention-requests?client_id={c}"),
    )
    .await
    .problem(404, "not_found");
    assert!(ids(&app.get(&other_buyer, "/api/v1/attention-requests").await).is_empty());
    let queue = app
        .get(
            &manager,
            &format!("/api/v1/attention-requests?manager_id={manager_id}&status=open"),
        )
        .await;
    assert_eq!(ids(&queue), vec![id.clone()]);
    let before = app
        .get(
            &manager,
            "/api/v1/attention-requests?created_to=2000-01-01T00:00:00Z",
        )
        .await;
    assert!(ids(&before).is_empty());

    // The queue: assign, reassign, resolve.
    let (director_id, director) = app.staff_user("director").await;
    app.post(
        &buyer,
        &format!("/api/v1/attention-requests/{id}/assign"),
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &manager,
        &format!("/api/v1/attention-requests/{id}/assign"),
        json!({"assignee_id": other}),
    )
    .await
    .problem(422, "validation_failed");
    let mine = app
        .post(
            &manager,
            &format!("/api/v1/attention-requests/{id}/assign"),
            json!({}),
        )
        .await;
    assert_eq!(mine.ok(200)["status"], "assigned");
    assert_eq!(mine.body["assignee_id"], manager_id.as_str());
    let handed = app
        .post(
            &manager,
            &format!("/api/v1/attention-requests/{id}/assign"),
            json!({"assignee_id": director_id, "reason": "a volume question for the director"}),
        )
        .await;
    assert_eq!(handed.ok(200)["assignee_id"], director_id.as_str());
    app.post(
        &director,
        &format!("/api/v1/attention-requests/{id}/resolve"),
        json!({"resolution_note": ""}),
    )
    .await
    .problem(422, "validation_failed");
    let done = app
        .post(
            &director,
            &format!("/api/v1/attention-requests/{id}/resolve"),
            json!({"resolution_note": "Called back; Tula is in the delivery zone from January"}),
        )
        .await;
    assert_eq!(done.ok(200)["status"], "resolved");
    assert!(done.body["resolved_at"].is_string());
    assert_eq!(
        done.body["resolution_note"],
        "Called back; Tula is in the delivery zone from January"
    );
    app.post(
        &director,
        &format!("/api/v1/attention-requests/{id}/resolve"),
        json!({"resolution_note": "again"}),
    )
    .await
    .problem(409, "attention_resolved");
    app.post(
        &manager,
        &format!("/api/v1/attention-requests/{id}/assign"),
        json!({}),
    )
    .await
    .problem(409, "attention_resolved");
    // Resolved straight from the queue: handled by whoever resolved it.
    let quick = app
        .post(
            &buyer,
            "/api/v1/attention-requests",
            json!({"topic": "Invoice copy"}),
        )
        .await;
    let quick_id = quick.ok(201)["id"].as_str().unwrap().to_string();
    let done_quick = app
        .post(
            &manager,
            &format!("/api/v1/attention-requests/{quick_id}/resolve"),
            json!({"resolution_note": "sent by e-mail"}),
        )
        .await;
    assert_eq!(done_quick.ok(200)["assignee_id"], manager_id.as_str());
    // The client sees it resolved, not the internal note.
    let seen = app
        .get(&buyer, &format!("/api/v1/attention-requests/{id}"))
        .await;
    assert_eq!(seen.ok(200)["status"], "resolved");
    assert!(seen.body.get("resolution_note").is_none());
    assert!(ids(&app
        .get(&manager, "/api/v1/attention-requests?status=open")
        .await)
    .is_empty());

    // Each step audited, the reassignment with its reason.
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?entity_type=attention_request&entity_id={id}"),
        )
        .await;
    let actions: Vec<&str> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "attention.requested",
            "attention.assigned",
            "attention.assigned",
            "attention.resolved"
        ]
    );
    assert_eq!(
        audit.body["items"][2]["reason"],
        "a volume question for the director"
    );
}

async fn set_attention(app: &TestApp, director: &str, attention: Value) {
    let mut body = margin_policy(0, json!({}), json!({}), Value::Null);
    body["attention"] = attention;
    put_policy(app, director, body).await.ok(200);
}

async fn large_orders_are_flagged_and_go_on(app: &TestApp) {
    let director = app.staff("director").await;
    let (c, manager_id, manager, _, buyer) = managed(app, 21).await;
    let p = goods(app, "BIG-1", "100.00", "50.00", 0, "Paper").await;
    let order = |qty: i64| {
        app.post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": qty}]}),
        )
    };
    let flagged = || async {
        app.get(
            &manager,
            &format!("/api/v1/attention-requests?kind=large_order&client_id={c}"),
        )
        .await
        .body["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    // No thresholds: nothing flagged.
    assert_eq!(order(50).await.ok(201)["status"], "released");
    assert!(flagged().await.is_empty());

    // Above 1,000.00: flagged, and released all the same.
    set_attention(
        app,
        &director,
        json!({"order_total_above": "1000.00", "average_multiple_bp": null, "min_orders_for_average": 2}),
    )
    .await;
    assert_eq!(order(10).await.ok(201)["status"], "released");
    assert!(flagged().await.is_empty());
    let big = order(11).await;
    assert_eq!(big.ok(201)["status"], "released");
    let items = flagged().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["order_id"], big.body["id"]);
    assert_eq!(items[0]["manager_id"], manager_id.as_str());
    assert_eq!(items[0]["status"], "open");
    assert!(items[0]["topic"].as_str().unwrap().contains("1000.00"));

    // Relative: above 3× the average of the earlier orders (5,000 + 1,000 + 1,100) / 3 =
    // 2,366.66 → 7,099.98.
    set_attention(
        app,
        &director,
        json!({"order_total_above": null, "average_multiple_bp": 30000, "min_orders_for_average": 3}),
    )
    .await;
    assert_eq!(order(70).await.ok(201)["status"], "released");
    assert_eq!(flagged().await.len(), 1);
    // The average is now (7,100 + 7,000) / 4 = 3,525.00 → above 10,575.00.
    let huge = order(106).await;
    assert_eq!(huge.ok(201)["status"], "released");
    let items = flagged().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["order_id"], huge.body["id"]);
    assert!(
        items[1]["topic"].as_str().unwrap().contains("3.00×"),
        "{}",
        items[1]["topic"]
    );
    // The flags are internal: the client sees neither them nor their thresholds.
    let own = app
        .get(&buyer, "/api/v1/attention-requests?kind=large_order")
        .await;
    assert!(ids(&own).is_empty());
    assert!(ids(&app.get(&buyer, "/api/v1/attention-requests").await).is_empty());
    let flag_id = items[1]["id"].as_str().unwrap();
    app.post(
        &manager,
        &format!("/api/v1/attention-requests/{flag_id}/assign"),
        json!({"reason": "3x their usual: check the margin"}),
    )
    .await
    .ok(200);
    app.get(&buyer, &format!("/api/v1/attention-requests/{flag_id}"))
        .await
        .problem(404, "not_found");
    let activity = app
        .get(&buyer, &format!("/api/v1/clients/{c}/activity?limit=200"))
        .await;
    assert!(!activity.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entity_type"] == "attention_flag" || e["action"] == "attention.flagged"));
    // Staff see the flag's whole story.
    let story = app
        .get(
            &manager,
            &format!("/api/v1/audit?entity_type=attention_flag&entity_id={flag_id}"),
        )
        .await;
    let actions: Vec<&str> = story.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["attention.flagged", "attention.assigned"]);
    let audit = app
        .get(&manager, "/api/v1/audit?action=attention.flagged")
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);
    assert_eq!(audit.body["items"][0]["actor_kind"], "system");
}

async fn the_audit_trail_and_a_company_activity(app: &TestApp) {
    let (director_id, director) = app.staff_user("director").await;
    let (c, _, manager, buyer_id, buyer) = managed(app, 31).await;
    let (other, _, _, _, other_buyer) = managed(app, 32).await;
    let p = goods(app, "AUD-1", "100.00", "70.00", 0, "Paper").await;
    let floor = |bp: i32| {
        put_policy(
            app,
            &director,
            margin_policy(bp, json!({}), json!({}), Value::Null),
        )
    };
    floor(1000).await.ok(200);
    let offer = app
        .post(
            &buyer,
            "/api/v1/offers",
            json!({"lines": [{"product_id": p, "quantity": 10, "asked_price": "80.00"}]}),
        )
        .await;
    let offer_id = offer.ok(201)["id"].as_str().unwrap().to_string();
    assert_eq!(offer.body["status"], "pending");
    // The floor rises to 20 %: 80.00 over 70.00 (12.5 %) needs the director's override.
    floor(2000).await.ok(200);
    app.post(
        &director,
        &format!("/api/v1/offers/{offer_id}/accept"),
        json!({"override_reason": "keeps a competitor out of this account"}),
    )
    .await
    .ok(200);
    let order = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 2}], "offer_id": offer_id}),
        )
        .await;
    order.ok(201);
    app.post(
        &director,
        &format!("/api/v1/clients/{c}/ledger/adjustments"),
        json!({"amount": "15.00", "reason": "goodwill for a late delivery"}),
    )
    .await
    .ok(201);
    app.post(
        &other_buyer,
        "/api/v1/attention-requests",
        json!({"topic": "hello"}),
    )
    .await
    .ok(201);

    // Staff filters.
    app.get(&buyer, "/api/v1/audit")
        .await
        .problem(403, "forbidden");
    let by_buyer = app
        .get(&manager, &format!("/api/v1/audit?actor_id={buyer_id}"))
        .await;
    let actions: Vec<&str> = by_buyer.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["offer.submitted", "order.placed", "order.released"]
    );
    let of_client = app
        .get(&manager, &format!("/api/v1/audit?client_id={c}&limit=200"))
        .await;
    let rows = of_client.ok(200)["items"].as_array().unwrap().clone();
    assert!(rows.iter().all(|e| e["client_id"] == c.as_str()));
    assert!(rows.iter().any(|e| e["action"] == "offer.floor_overridden"));
    let reasons = app
        .get(
            &manager,
            &format!("/api/v1/audit?client_id={c}&with_reason=true"),
        )
        .await;
    let reasons: Vec<&str> = reasons.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"goodwill for a late delivery"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"keeps a competitor out of this account"),
        "{reasons:?}"
    );
    let by_director = app
        .get(
            &manager,
            &format!("/api/v1/audit?actor_id={director_id}&actor_kind=user&action=ledger.adjusted"),
        )
        .await;
    assert_eq!(by_director.ok(200)["items"].as_array().unwrap().len(), 1);
    // Dates: nothing before the epoch of this test, everything since.
    let future = app
        .get(&manager, "/api/v1/audit?occurred_from=2999-01-01T00:00:00Z")
        .await;
    assert!(future.ok(200)["items"].as_array().unwrap().is_empty());
    let past = app
        .get(&manager, &format!("/api/v1/audit?client_id={c}&occurred_from=2000-01-01T00:00:00Z&occurred_to=2999-01-01T00:00:00Z&limit=200"))
        .await;
    assert_eq!(past.ok(200)["items"].as_array().unwrap().len(), rows.len());
    app.get(
        &manager,
        "/api/v1/audit?occurred_from=2030-01-01T00:00:00Z&occurred_to=2020-01-01T00:00:00Z",
    )
    .await
    .problem(422, "validation_failed");
    app.get(&manager, "/api/v1/audit?actor_kind=robot")
        .await
        .problem(422, "validation_failed");
    app.get(&manager, "/api/v1/audit?occurred_from=yesterday")
        .await
        .problem(400, "invalid_query");
    // Cursor pages cover the same rows once each.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/audit?client_id={c}&limit=2&after={a}"),
            None => format!("/api/v1/audit?client_id={c}&limit=2"),
        };
        let page = app.get(&manager, &path).await;
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    let all: Vec<String> = rows
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, all);

    // The company's own activity: its people by id, the retailer's as `staff`, no internals
    // (the helpers scan every client response for costs, margins and floors).
    let activity = app
        .get(&buyer, &format!("/api/v1/clients/{c}/activity?limit=200"))
        .await;
    let items = activity.ok(200)["items"].as_array().unwrap().clone();
    assert!(!items
        .iter()
        .any(|e| e["action"] == "offer.floor_overridden"));
    assert_eq!(items.len(), rows.len() - 1);
    let placed = items
        .iter()
        .find(|e| e["action"] == "order.placed")
        .unwrap();
    assert_eq!(placed["actor_kind"], "user");
    assert_eq!(placed["actor_id"], buyer_id.as_str());
    let adjusted = items
        .iter()
        .find(|e| e["action"] == "ledger.adjusted")
        .unwrap();
    assert_eq!(adjusted["actor_kind"], "staff");
    assert!(adjusted["actor_id"].is_null());
    assert_eq!(adjusted["reason"], "goodwill for a late delivery");
    let accepted = items
        .iter()
        .find(|e| e["action"] == "offer.accepted")
        .unwrap();
    assert_eq!(accepted["entity_id"], offer_id.as_str());
    let orders_only = app
        .get(
            &buyer,
            &format!("/api/v1/clients/{c}/activity?entity_type=order"),
        )
        .await;
    assert!(orders_only.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["entity_type"] == "order"));
    // An accountant of the company reads it too; another company's id is 404 to a client,
    // and staff read any company's.
    let (_, accountant) = app.client_user(&c, "client_accountant").await;
    app.get(&accountant, &format!("/api/v1/clients/{c}/activity"))
        .await
        .ok(200);
    app.get(&buyer, &format!("/api/v1/clients/{other}/activity"))
        .await
        .problem(404, "not_found");
    app.get(&other_buyer, &format!("/api/v1/clients/{c}/activity"))
        .await
        .problem(404, "not_found");
    let staff_view = app
        .get(&manager, &format!("/api/v1/clients/{other}/activity"))
        .await;
    assert!(staff_view.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "attention.requested"));
    app.get(&manager, "/api/v1/clients/no-such-company/activity")
        .await
        .problem(404, "not_found");
}
