//! Bargaining: the margin policy, offers judged at once (declined below a floor, accepted by
//! the auto-accept rule, else pending), staff decisions with floors and the director's
//! override, counters, orders at the agreed prices. Every client response is scanned for costs
//! and margins by the helpers.
use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    margin_policy_is_versioned_and_audited,
    offers_are_judged_at_once,
    staff_decide_within_floors_or_by_override,
    counter_accept_withdraw_and_decline,
    orders_get_the_agreed_prices,
    bad_offers_change_nothing,
    offers_expire_by_the_job,
    racing_decisions_and_orders_keep_one_effect,
    a_better_tier_price_wins_over_the_offer,
    part_of_an_agreement_is_ordered_and_the_decision_stays,
    offers_per_day_are_limited,
    staff_revoke_an_agreement,
);

async fn offer(app: &TestApp, buyer: &str, lines: Value) -> Resp {
    app.post(
        buyer,
        "/api/v1/offers",
        json!({"lines": lines, "evidence": [{"competitor": "OfficeMag", "url": "https://officemag.example/a4", "note": "their price list of May"}],
               "comment": "we buy every month", "wanted_by": "2027-01-15"}),
    )
    .await
}

fn line(id: &str, quantity: i64, asked: &str) -> Value {
    json!({"product_id": id, "quantity": quantity, "asked_price": asked})
}

/// A company with a buyer; returns (client id, buyer token).
async fn buyer(app: &TestApp, seed: u32) -> (String, String) {
    let c = app.company(seed).await;
    let (_, token) = app.client_user(&c, "client_buyer").await;
    (c, token)
}

async fn margin_policy_is_versioned_and_audited(app: &TestApp) {
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let (_, client) = buyer(app, 1).await;
    let v0 = app.get(&manager, "/api/v1/policies/margins").await;
    assert_eq!(v0.ok(200)["version"], 0);
    assert_eq!(v0.body["policy"]["deal_floor_bp"], 0);
    app.get(&client, "/api/v1/policies/margins")
        .await
        .problem(403, "forbidden");
    let a = goods(app, "MP-A", "100.00", "60.00", 0, "Paper").await;
    let body = margin_policy(
        1500,
        json!({ a.clone(): 2000 }),
        json!({"Paper": 1000}),
        Value::Null,
    );
    put_policy(app, &manager, body.clone())
        .await
        .problem(403, "forbidden");
    let bad = put_policy(
        app,
        &director,
        margin_policy(
            10_000,
            json!({"no-such-product": 100}),
            json!({"Paper": -20_000}),
            json!({"max_discount_bp": 10_000, "min_headroom_bp": 0}),
        ),
    )
    .await;
    bad.problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "deal_floor_bp",
        "category_floors.Paper",
        "auto_accept.max_discount_bp",
    ] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    // The unknown product is found once the rules are in range.
    let unknown = put_policy(
        app,
        &director,
        margin_policy(
            1500,
            json!({"no-such-product": 100}),
            json!({}),
            Value::Null,
        ),
    )
    .await;
    unknown.problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_product");
    let v1 = put_policy(app, &director, body.clone()).await;
    assert_eq!(v1.ok(200)["version"], 1);
    let v2 = put_policy(
        app,
        &director,
        margin_policy(1200, json!({}), json!({}), Value::Null),
    )
    .await;
    assert_eq!(v2.ok(200)["version"], 2);
    let now = app.get(&manager, "/api/v1/policies/margins").await;
    assert_eq!(now.ok(200)["version"], 2);
    assert_eq!(now.body["policy"]["deal_floor_bp"], 1200);
    let audit = app
        .get(&app.admin, "/api/v1/audit?action=margin_policy.updated")
        .await;
    let items = audit.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["details"]["policy"]["product_floors"][&a], 2000);
}

async fn offers_are_judged_at_once(app: &TestApp) {
    let director = app.staff("director").await;
    let a = goods(app, "J-A", "100.00", "60.00", 0, "Paper").await;
    let b = goods(app, "J-B", "100.00", "95.00", 0, "Cheap").await;
    let v = goods(app, "J-V", "122.00", "80.00", 2200, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(
            2000,
            json!({}),
            json!({"Cheap": 0}),
            json!({"max_discount_bp": 500, "min_headroom_bp": 200}),
        ),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 2).await;

    // 75.00 at cost 60.00 is exactly 20 %: the floor holds; 25 % off the tier price is too
    // much for the auto-accept rule: a person decides.
    let pending = offer(app, &token, json!([line(&a, 10, "75.00")])).await;
    let p = pending.ok(201);
    assert_eq!(p["status"], "pending");
    assert_eq!(p["client_id"], client.as_str());
    assert_eq!(p["lines"][0]["tier_price"], "100.00");
    assert_eq!(p["asked_total"], "750.00");
    assert_eq!(p["evidence"][0]["competitor"], "OfficeMag");
    assert!(p.get("staff").is_none());

    // A kopeck less is 19.99 %: declined at once, the line named, nothing about why.
    let declined = offer(app, &token, json!([line(&a, 10, "74.99")])).await;
    let d = declined.ok(201);
    assert_eq!(d["status"], "declined");
    assert_eq!(d["decline_code"], "below_margin_floor");
    assert_eq!(d["lines"][0]["below_margin_floor"], true);
    assert_eq!(d["deal_below_margin_floor"], true);

    // 4 % off the tier price with 37.5 % margin: accepted by the rule.
    let accepted = offer(app, &token, json!([line(&a, 5, "96.00")])).await;
    let acc = accepted.ok(201);
    assert_eq!(acc["status"], "accepted");
    assert_eq!(acc["lines"][0]["agreed_price"], "96.00");
    assert!(acc["valid_until"].is_string());
    // 5 % off keeps the discount but 2 % headroom needs 22 %: 95.00 at cost 60.00 is 36.8 %.
    let at_limit = offer(app, &token, json!([line(&a, 5, "95.00")])).await;
    assert_eq!(at_limit.ok(201)["status"], "accepted");
    let beyond = offer(app, &token, json!([line(&a, 5, "94.99")])).await;
    assert_eq!(beyond.ok(201)["status"], "pending");

    // Each line keeps its own floor (B's category floor is 0 %), but the deal as a whole is
    // below 20 %: declined, no line named.
    let deal = offer(
        app,
        &token,
        json!([line(&a, 1, "100.00"), line(&b, 10, "96.00")]),
    )
    .await;
    let dl = deal.ok(201);
    assert_eq!(dl["status"], "declined");
    assert_eq!(dl["deal_below_margin_floor"], true);
    assert_eq!(dl["lines"][0]["below_margin_floor"], false);
    assert_eq!(dl["lines"][1]["below_margin_floor"], false);
    // Enough of A carries B: (40 × 40.00 + 10 × 1.00) / (40 × 100.00 + 10 × 96.00) = 32.5 %,
    // so the floors hold; but B's 1.04 % has no 2 % headroom above its 0 % floor, so the
    // auto-accept rule does not apply: a person decides.
    let carried = offer(
        app,
        &token,
        json!([line(&a, 40, "100.00"), line(&b, 10, "96.00")]),
    )
    .await;
    assert_eq!(carried.ok(201)["status"], "pending");
    assert_eq!(carried.body["deal_below_margin_floor"], false);

    // With VAT the margin is on the net amount, rounded as invoiced: 122.00 gross is 100.00
    // net, exactly 20 % over cost 80.00 (kept, no headroom: pending); 121.99 has 22.00 VAT in
    // it, 99.99 net: below.
    let vat_ok = offer(app, &token, json!([line(&v, 1, "122.00")])).await;
    assert_eq!(vat_ok.ok(201)["status"], "pending");
    let vat_low = offer(app, &token, json!([line(&v, 1, "121.99")])).await;
    assert_eq!(vat_low.ok(201)["status"], "declined");

    // Staff see the queue with margins, floors and the client's history.
    let manager = app.staff("manager").await;
    let queue = app.get(&manager, "/api/v1/offers?status=pending").await;
    let items = queue.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 4);
    let first = &items[0];
    assert_eq!(first["id"], p["id"]);
    assert_eq!(first["lines"][0]["margins"]["cost"], "60.00");
    assert_eq!(first["lines"][0]["margins"]["floor_bp"], 2000);
    assert_eq!(first["lines"][0]["margins"]["at_asked_bp"], 2000);
    assert_eq!(first["lines"][0]["margins"]["at_tier_bp"], 4000);
    assert_eq!(first["staff"]["deal_floor_bp"], 2000);
    assert_eq!(first["staff"]["deal_margin_at_asked_bp"], 2000);
    let history = &first["staff"]["history"];
    assert_eq!(history["offers"], 9);
    assert_eq!(history["accepted"], 2);
    assert_eq!(history["declined"], 3);
    assert_eq!(history["acceptance_rate_bp"], 4000);
    // Agreed 96.00 × 5 and 95.00 × 5 against 100.00: 4.5 % conceded on average.
    assert_eq!(history["average_concession_bp"], 450);
    // The client sees its own offers, without any of it.
    let own = app.get(&token, "/api/v1/offers").await;
    assert_eq!(own.ok(200)["items"].as_array().unwrap().len(), 9);
    let future = app
        .get(&manager, "/api/v1/offers?created_from=2999-01-01T00:00:00Z")
        .await;
    assert!(future.ok(200)["items"].as_array().unwrap().is_empty());
    let all = app
        .get(
            &manager,
            "/api/v1/offers?created_from=2000-01-01T00:00:00Z&created_to=2999-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 9);
    let own_pending = app.get(&token, "/api/v1/offers?status=pending").await;
    assert_eq!(own_pending.ok(200)["items"].as_array().unwrap().len(), 4);
    // Every decision was recorded, visible to staff in the audit.
    let audit = app
        .get(&app.admin, "/api/v1/audit?entity_type=offer&limit=100")
        .await;
    let actions: Vec<String> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "offer.submitted").count(),
        9
    );
    assert_eq!(actions.iter().filter(|a| *a == "offer.declined").count(), 3);
    assert_eq!(actions.iter().filter(|a| *a == "offer.accepted").count(), 2);
}

async fn staff_decide_within_floors_or_by_override(app: &TestApp) {
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let a = goods(app, "S-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(2000, json!({}), json!({}), Value::Null),
    )
    .await
    .ok(200);
    let (_, token) = buyer(app, 3).await;
    let o = offer(app, &token, json!([line(&a, 10, "80.00")])).await;
    let id = o.ok(201)["id"].as_str().unwrap().to_string();
    assert_eq!(o.body["status"], "pending");
    // The cost rises to 65.00: 80.00 keeps 18.75 %, below the floor now.
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{a}"),
        json!({"cost_price": "65.00"}),
    )
    .await
    .ok(200);
    let refused = app
        .post(&manager, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await;
    refused.problem(422, "below_margin_floor");
    assert!(refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("margin 1875 bp, floor 2000 bp"));
    app.post(
        &manager,
        &format!("/api/v1/offers/{id}/accept"),
        json!({"override_reason": "strategic account"}),
    )
    .await
    .problem(403, "override_requires_director");
    // A client cannot accept its own pending offer, nor send staff fields.
    app.post(&token, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await
        .problem(409, "invalid_transition");
    app.post(
        &token,
        &format!("/api/v1/offers/{id}/accept"),
        json!({"override_reason": "please"}),
    )
    .await
    .problem(422, "validation_failed");
    let ok = app
        .post(
            &director,
            &format!("/api/v1/offers/{id}/accept"),
            json!({"override_reason": "strategic account, volume next quarter"}),
        )
        .await;
    let v = ok.ok(200);
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["lines"][0]["agreed_price"], "80.00");
    assert_eq!(v["lines"][0]["margins"]["at_agreed_bp"], 1875);
    assert_eq!(
        v["staff"]["override_reason"],
        "strategic account, volume next quarter"
    );
    // Twice: 409.
    app.post(&director, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await
        .problem(409, "offer_already_accepted");
    let audit = app
        .get(&app.admin, &format!("/api/v1/audit?entity_id={id}"))
        .await;
    let items = audit.ok(200)["items"].as_array().unwrap().clone();
    let overridden = items
        .iter()
        .find(|e| e["action"] == "offer.floor_overridden")
        .expect("override audited");
    assert_eq!(
        overridden["details"]["reason"],
        "strategic account, volume next quarter"
    );
    // The client sees the decision, not the override.
    let seen = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(seen.ok(200)["status"], "accepted");
    // The client's order on it holds while the cost has not risen further…
    let order = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 4)], "offer_id": id}),
        )
        .await;
    assert_eq!(order.ok(201)["total"], "320.00");
    // …and is refused once it has.
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{a}"),
        json!({"cost_price": "66.00"}),
    )
    .await
    .ok(200);
    let after = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 4)], "offer_id": id}),
        )
        .await;
    after.problem(409, "below_margin_floor");
}

fn line_req(id: &str, quantity: i64) -> Value {
    json!({"product_id": id, "quantity": quantity})
}

async fn counter_accept_withdraw_and_decline(app: &TestApp) {
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let a = goods(app, "C-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(2000, json!({}), json!({}), Value::Null),
    )
    .await
    .ok(200);
    let (_, token) = buyer(app, 4).await;
    let id = offer(app, &token, json!([line(&a, 10, "76.00")]))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let counter = |lines: Value| json!({"lines": lines, "reason": "our best for this volume"});
    app.post(
        &manager,
        &format!("/api/v1/offers/{id}/counter"),
        counter(json!([{"line_no": 1, "price": "75.00"}])),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &manager,
        &format!("/api/v1/offers/{id}/counter"),
        counter(json!([{"line_no": 1, "price": "100.01"}])),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &manager,
        &format!("/api/v1/offers/{id}/counter"),
        counter(json!([{"line_no": 9, "price": "80.00"}])),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &token,
        &format!("/api/v1/offers/{id}/counter"),
        counter(json!([{"line_no": 1, "price": "80.00"}])),
    )
    .await
    .problem(403, "forbidden");
    let c = app
        .post(
            &manager,
            &format!("/api/v1/offers/{id}/counter"),
            counter(json!([{"line_no": 1, "price": "82.50"}])),
        )
        .await;
    let cv = c.ok(200);
    assert_eq!(cv["status"], "countered");
    assert_eq!(cv["lines"][0]["counter_price"], "82.50");
    assert_eq!(cv["decision_reason"], "our best for this volume");
    // Staff cannot accept their own counter; the client does.
    app.post(&manager, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await
        .problem(409, "invalid_transition");
    let acc = app
        .post(&token, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await;
    assert_eq!(acc.ok(200)["status"], "accepted");
    assert_eq!(acc.body["lines"][0]["agreed_price"], "82.50");
    app.post(&token, &format!("/api/v1/offers/{id}/accept"), json!({}))
        .await
        .problem(409, "offer_already_accepted");

    // An expired counter cannot be accepted.
    let id2 = offer(app, &token, json!([line(&a, 10, "77.00")]))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &manager,
        &format!("/api/v1/offers/{id2}/counter"),
        counter(json!([{"line_no": 1, "price": "85.00"}])),
    )
    .await
    .ok(200);
    app.sql(&format!(
        "UPDATE offers SET valid_until = '2020-01-01 00:00:00' WHERE id = '{id2}'"
    ))
    .await;
    app.post(&token, &format!("/api/v1/offers/{id2}/accept"), json!({}))
        .await
        .problem(409, "offer_expired");
    let expired = app.get(&token, "/api/v1/offers?status=expired").await;
    assert_eq!(expired.ok(200)["items"].as_array().unwrap().len(), 1);

    // Withdraw and decline.
    let id3 = offer(app, &token, json!([line(&a, 1, "90.00")]))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let w = app
        .post(
            &token,
            &format!("/api/v1/offers/{id3}/withdraw"),
            json!({"reason": "bought elsewhere"}),
        )
        .await;
    assert_eq!(w.ok(200)["status"], "withdrawn");
    app.post(&token, &format!("/api/v1/offers/{id3}/withdraw"), json!({}))
        .await
        .problem(409, "invalid_transition");
    app.post(
        &manager,
        &format!("/api/v1/offers/{id3}/decline"),
        json!({"reason": "late"}),
    )
    .await
    .problem(409, "invalid_transition");
    let id4 = offer(app, &token, json!([line(&a, 1, "90.00")]))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &manager,
        &format!("/api/v1/offers/{id4}/decline"),
        json!({"reason": ""}),
    )
    .await
    .problem(422, "validation_failed");
    let d = app
        .post(
            &manager,
            &format!("/api/v1/offers/{id4}/decline"),
            json!({"reason": "this product is not discounted"}),
        )
        .await;
    assert_eq!(d.ok(200)["status"], "declined");
    assert_eq!(d.body["decline_code"], "staff");
    let seen = app.get(&token, &format!("/api/v1/offers/{id4}")).await;
    assert_eq!(
        seen.ok(200)["decision_reason"],
        "this product is not discounted"
    );
}

async fn orders_get_the_agreed_prices(app: &TestApp) {
    let director = app.staff("director").await;
    let a = goods(app, "O-A", "100.00", "60.00", 0, "Paper").await;
    let b = goods(app, "O-B", "50.00", "10.00", 2200, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(
            2000,
            json!({}),
            json!({}),
            json!({"max_discount_bp": 500, "min_headroom_bp": 100}),
        ),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 5).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{client}"),
        json!({"credit_limit": "100000.00"}),
    )
    .await
    .ok(200);
    let o = offer(app, &token, json!([line(&a, 10, "96.00")])).await;
    assert_eq!(o.ok(201)["status"], "accepted");
    let id = o.body["id"].as_str().unwrap().to_string();
    // 12 of A on the offer: 10 at 96.00, 2 at the tier price; B as usual.
    let order = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 12), line_req(&b, 1)], "offer_id": id}),
        )
        .await;
    let ov = order.ok(201).clone();
    assert_eq!(ov["status"], "released");
    assert_eq!(ov["total"], "1210.00");
    let lines = ov["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let agreed = lines.iter().find(|l| l["offer_id"] == id.as_str()).unwrap();
    assert_eq!(agreed["quantity"], 10);
    assert_eq!(agreed["unit_price"], "96.00");
    assert_eq!(agreed["total"], "960.00");
    let rest = lines
        .iter()
        .find(|l| l["product_id"] == a.as_str() && l["offer_id"].is_null())
        .unwrap();
    assert_eq!(rest["quantity"], 2);
    assert_eq!(rest["unit_price"], "100.00");
    let seen = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(seen.ok(200)["lines"][0]["used_quantity"], 10);
    // Used up: it prices nothing more.
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": id}),
    )
    .await
    .problem(409, "offer_used_up");
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&b, 1)], "offer_id": id}),
    )
    .await
    .problem(422, "validation_failed");
    // A cancelled order gives its quantities back.
    let order_id = ov["id"].as_str().unwrap();
    app.post(
        &token,
        &format!("/api/v1/orders/{order_id}/cancel"),
        json!({}),
    )
    .await
    .ok(200);
    let back = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(back.ok(200)["lines"][0]["used_quantity"], 0);
    let again = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 3)], "offer_id": id}),
        )
        .await;
    assert_eq!(again.ok(201)["total"], "288.00");
    // Another company cannot use it: 404.
    let (_, other) = buyer(app, 6).await;
    app.post(
        &other,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": id}),
    )
    .await
    .problem(404, "not_found");
    app.get(&other, &format!("/api/v1/offers/{id}"))
        .await
        .problem(404, "not_found");
    app.post(&other, &format!("/api/v1/offers/{id}/withdraw"), json!({}))
        .await
        .problem(404, "not_found");
    // Expired: refused, nothing booked.
    app.sql(&format!(
        "UPDATE offers SET valid_until = '2020-01-01 00:00:00' WHERE id = '{id}'"
    ))
    .await;
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": id}),
    )
    .await
    .problem(409, "offer_expired");
    // A pending offer prices nothing either.
    let pending = offer(app, &token, json!([line(&a, 1, "80.00")])).await;
    let pid = pending.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": pid}),
    )
    .await
    .problem(409, "offer_not_accepted");
}

async fn bad_offers_change_nothing(app: &TestApp) {
    let a = goods(app, "B-A", "100.00", "60.00", 0, "Paper").await;
    let off = goods(app, "B-OFF", "100.00", "60.00", 0, "Paper").await;
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{off}"),
        json!({"active": false}),
    )
    .await
    .ok(200);
    let (_, token) = buyer(app, 7).await;
    let bad = |lines: Value| offer(app, &token, lines);
    let r = bad(json!([line(&a, 1, "0.00")])).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "lines[0].asked_price");
    let r = bad(json!([line(&a, 1, "100.01")])).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "above_list_price");
    bad(json!([line(&a, 1001, "90.00")]))
        .await
        .problem(409, "insufficient_stock");
    let r = bad(json!([line(&off, 1, "90.00")])).await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "product_inactive");
    let r = bad(json!([line(&a, 1, "90.00"), line(&a, 2, "91.00")])).await;
    assert_eq!(r.body["errors"][0]["code"], "duplicate_product", "{r:?}");
    bad(json!([])).await.problem(422, "validation_failed");
    bad(json!([{"product_id": a, "quantity": 1, "asked_price": "90.00", "cost": "1.00"}]))
        .await
        .problem(422, "validation_failed");
    let r = app
        .post(&token, "/api/v1/offers", json!({"lines": [line(&a, 1, "90.00")], "evidence": [{"competitor": "X", "url": "ftp://x"}]}))
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "invalid_url");
    let r = app
        .post(
            &token,
            "/api/v1/offers",
            json!({"lines": [line(&a, 1, "90.00")], "wanted_by": "2020-01-01"}),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "in_the_past");
    // Staff and accountants do not make offers.
    let manager = app.staff("manager").await;
    offer(app, &manager, json!([line(&a, 1, "90.00")]))
        .await
        .problem(403, "forbidden");
    let c = app.company(8).await;
    let (_, accountant) = app.client_user(&c, "client_accountant").await;
    offer(app, &accountant, json!([line(&a, 1, "90.00")]))
        .await
        .problem(403, "forbidden");
    // Nothing was recorded.
    let all = app.get(&manager, "/api/v1/offers").await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 0);
    app.get(&manager, "/api/v1/offers?status=bogus")
        .await
        .problem(400, "invalid_query");
    // The same key and body: one offer, the same answer.
    let send = |key: &'static str, price: &'static str| {
        app.send(
            app.http
                .post(app.url("/api/v1/offers"))
                .bearer_auth(&token)
                .header("Idempotency-Key", key)
                .json(&json!({"lines": [line(&a, 1, price)]})),
        )
    };
    let first = send("offer-1", "90.00").await;
    let replay = send("offer-1", "90.00").await;
    assert_eq!(first.ok(201)["id"], replay.ok(201)["id"]);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    send("offer-1", "91.00")
        .await
        .problem(422, "idempotency_key_reused");
    let all = app.get(&manager, "/api/v1/offers").await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 1);
}

async fn offers_expire_by_the_job(app: &TestApp) {
    use diaspar::scheduler::model::JobName;
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let a = goods(app, "E-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(
            2000,
            json!({}),
            json!({}),
            json!({"max_discount_bp": 500, "min_headroom_bp": 100}),
        ),
    )
    .await
    .ok(200);
    let (_, token) = buyer(app, 9).await;
    let accepted = offer(app, &token, json!([line(&a, 5, "97.00")])).await;
    assert_eq!(accepted.ok(201)["status"], "accepted");
    let accepted_id = accepted.body["id"].as_str().unwrap().to_string();
    let countered = offer(app, &token, json!([line(&a, 5, "80.00")])).await;
    let countered_id = countered.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &manager,
        &format!("/api/v1/offers/{countered_id}/counter"),
        json!({"lines": [{"line_no": 1, "price": "85.00"}]}),
    )
    .await
    .ok(200);
    let pending = offer(app, &token, json!([line(&a, 5, "81.00")])).await;
    let pending_id = pending.ok(201)["id"].as_str().unwrap().to_string();

    // Within the week nothing expires.
    let now = diaspar::db::now();
    let early = run_job(
        app,
        JobName::OfferExpiry,
        now + chrono::Duration::days(6),
        None,
    )
    .await;
    assert_eq!(early.items, 0);
    // After it, the accepted offer and the counter do; the pending one waits on.
    let later = run_job(
        app,
        JobName::OfferExpiry,
        now + chrono::Duration::days(8),
        None,
    )
    .await;
    assert_eq!(later.items, 2);
    let again = run_job(
        app,
        JobName::OfferExpiry,
        now + chrono::Duration::days(8) + chrono::Duration::minutes(5),
        None,
    )
    .await;
    assert_eq!(again.items, 0);
    for id in [&accepted_id, &countered_id] {
        let o = app.get(&token, &format!("/api/v1/offers/{id}")).await;
        assert_eq!(o.ok(200)["status"], "expired");
    }
    let p = app
        .get(&token, &format!("/api/v1/offers/{pending_id}"))
        .await;
    assert_eq!(p.ok(200)["status"], "pending");
    let listed = app.get(&token, "/api/v1/offers?status=expired").await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 2);
    let listed = app.get(&token, "/api/v1/offers?status=accepted").await;
    assert!(listed.ok(200)["items"].as_array().unwrap().is_empty());
    // Expired: it prices nothing and cannot be accepted or withdrawn.
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": accepted_id}),
    )
    .await
    .problem(409, "offer_expired");
    app.post(
        &token,
        &format!("/api/v1/offers/{countered_id}/accept"),
        json!({}),
    )
    .await
    .problem(409, "offer_expired");
    app.post(
        &token,
        &format!("/api/v1/offers/{accepted_id}/withdraw"),
        json!({}),
    )
    .await
    .problem(409, "offer_expired");
    let events = app
        .get(&app.admin, "/api/v1/audit?action=offer.expired")
        .await;
    let items = events.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["actor_kind"], "system");
    // The client sees the expiry in its activity.
    let c = accepted.body["client_id"].as_str().unwrap();
    let activity = app
        .get(
            &token,
            &format!("/api/v1/clients/{c}/activity?action=offer.expired"),
        )
        .await;
    assert_eq!(activity.ok(200)["items"].as_array().unwrap().len(), 2);
}

async fn racing_decisions_and_orders_keep_one_effect(app: &TestApp) {
    let director = app.staff("director").await;
    let a = goods(app, "R-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(2000, json!({}), json!({}), Value::Null),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 10).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{client}"),
        json!({"credit_limit": "100000.00"}),
    )
    .await
    .ok(200);
    let o = offer(app, &token, json!([line(&a, 10, "90.00")])).await;
    let id = o.ok(201)["id"].as_str().unwrap().to_string();
    // Four staff decide at once: one wins, the rest are told it was decided.
    let managers = [
        app.staff("manager").await,
        app.staff("manager").await,
        director.clone(),
        app.staff("manager").await,
    ];
    let path = format!("/api/v1/offers/{id}/accept");
    let results =
        futures_util::future::join_all(managers.iter().map(|m| app.post(m, &path, json!({}))))
            .await;
    let won = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| r.status == 409 && r.code() == "offer_already_accepted"));
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?entity_id={id}&action=offer.accepted"),
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
    // Six orders of 3 race for the 10 agreed units. They queue on the offer: three get 3 at
    // the agreed price, the fourth the last unit and 2 at the tier price, the last two are
    // refused whole (nothing booked for them).
    let orders = futures_util::future::join_all((0..6).map(|_| {
        app.post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 3)], "offer_id": id}),
        )
    }))
    .await;
    let mut totals: Vec<&str> = orders
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["total"].as_str().unwrap())
        .collect();
    totals.sort_unstable();
    assert_eq!(
        totals,
        ["270.00", "270.00", "270.00", "290.00"],
        "{orders:?}"
    );
    assert!(
        orders
            .iter()
            .filter(|r| r.status != 201)
            .all(|r| r.status == 409 && r.code() == "offer_used_up"),
        "{orders:?}"
    );
    let seen = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(seen.ok(200)["lines"][0]["used_quantity"], 10);
}

async fn a_better_tier_price_wins_over_the_offer(app: &TestApp) {
    let director = app.staff("director").await;
    let a = goods(app, "T-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(
            2000,
            json!({}),
            json!({}),
            json!({"max_discount_bp": 500, "min_headroom_bp": 100}),
        ),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 13).await;
    let o = offer(app, &token, json!([line(&a, 10, "96.00")])).await;
    assert_eq!(o.ok(201)["status"], "accepted");
    let id = o.body["id"].as_str().unwrap().to_string();
    // The company moves to a 5 % tier: 95.00 beats the agreed 96.00.
    let gold = app
        .post(
            &director,
            "/api/v1/price-tiers",
            json!({"name": "Gold", "min_turnover": "0.00", "discount_bp": 500}),
        )
        .await;
    let gold = gold.ok(201)["id"].as_str().unwrap().to_string();
    app.patch(
        &director,
        &format!("/api/v1/clients/{client}"),
        json!({"tier_id": gold, "tier_pinned": true}),
    )
    .await
    .ok(200);
    let order = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 2)], "offer_id": id}),
        )
        .await;
    let ov = order.ok(201);
    assert_eq!(ov["total"], "190.00");
    assert!(ov["lines"][0]["offer_id"].is_null());
    let seen = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(seen.ok(200)["lines"][0]["used_quantity"], 0);
}

async fn part_of_an_agreement_is_ordered_and_the_decision_stays(app: &TestApp) {
    let director = app.staff("director").await;
    let (manager_id, manager) = app.staff_user("manager").await;
    let a = goods(app, "PA-A", "100.00", "50.00", 0, "Paper").await;
    let b = goods(app, "PA-B", "100.00", "90.00", 0, "Cheap").await;
    put_policy(
        app,
        &director,
        margin_policy(1500, json!({}), json!({"Cheap": 500}), Value::Null),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 14).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{client}"),
        json!({"credit_limit": "100000.00"}),
    )
    .await
    .ok(200);
    // A at 50 % carries B at 5.26 % (its floor 5 %): the deal is 28.2 %.
    let o = offer(
        app,
        &token,
        json!([line(&a, 10, "100.00"), line(&b, 10, "95.00")]),
    )
    .await;
    assert_eq!(o.ok(201)["status"], "pending");
    let id = o.body["id"].as_str().unwrap().to_string();
    let acc = app
        .post(
            &manager,
            &format!("/api/v1/offers/{id}/accept"),
            json!({"reason": "regular buyer"}),
        )
        .await;
    assert_eq!(acc.ok(200)["status"], "accepted");
    // Ordering B alone is ordering part of the agreed deal: the deal floor is judged on the
    // whole agreement, B's own floor on B.
    let order = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&b, 5)], "offer_id": id}),
        )
        .await;
    assert_eq!(order.ok(201)["total"], "475.00");
    // B's cost rises to 91.00: 95.00 keeps 4.2 %, below its 5 % floor.
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{b}"),
        json!({"cost_price": "91.00"}),
    )
    .await
    .ok(200);
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&b, 1)], "offer_id": id}),
    )
    .await
    .problem(409, "below_margin_floor");
    // A still holds on its own.
    let order = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 1)], "offer_id": id}),
        )
        .await;
    assert_eq!(order.ok(201)["total"], "100.00");
    // Withdrawn, the offer keeps who decided it and why.
    let w = app
        .post(
            &token,
            &format!("/api/v1/offers/{id}/withdraw"),
            json!({"reason": "enough for now"}),
        )
        .await;
    assert_eq!(w.ok(200)["status"], "withdrawn");
    assert_eq!(w.body["decision_reason"], "regular buyer");
    let staff_view = app.get(&manager, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(
        staff_view.ok(200)["staff"]["decided_by"],
        manager_id.as_str()
    );
    let audit = app
        .get(
            &manager,
            &format!("/api/v1/audit?entity_id={id}&action=offer.withdrawn"),
        )
        .await;
    assert_eq!(audit.ok(200)["items"][0]["reason"], "enough for now");
}

async fn offers_per_day_are_limited(app: &TestApp) {
    let director = app.staff("director").await;
    let a = goods(app, "L-A", "100.00", "60.00", 0, "Paper").await;
    let mut body = margin_policy(2000, json!({}), json!({}), Value::Null);
    body["max_offers_per_day"] = json!(2);
    put_policy(app, &director, body).await.ok(200);
    let (_, token) = buyer(app, 15).await;
    // Declined or not, each offer counts: probing floors line by line is what this stops.
    assert_eq!(
        offer(app, &token, json!([line(&a, 1, "10.00")]))
            .await
            .ok(201)["status"],
        "declined"
    );
    assert_eq!(
        offer(app, &token, json!([line(&a, 1, "90.00")]))
            .await
            .ok(201)["status"],
        "pending"
    );
    let third = offer(app, &token, json!([line(&a, 1, "80.00")])).await;
    third.problem(429, "rate_limited");
    let wait: i64 = third.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    // Another company has its own allowance; a day later the first has a new one.
    let (_, other) = buyer(app, 16).await;
    offer(app, &other, json!([line(&a, 1, "90.00")]))
        .await
        .ok(201);
    app.sql("UPDATE offers SET created_at = '2020-01-01 00:00:00'")
        .await;
    offer(app, &token, json!([line(&a, 1, "80.00")]))
        .await
        .ok(201);
    let v = app.get(&director, "/api/v1/policies/margins").await;
    assert_eq!(v.ok(200)["policy"]["max_offers_per_day"], 2);
}

async fn staff_revoke_an_agreement(app: &TestApp) {
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let a = goods(app, "RV-A", "100.00", "60.00", 0, "Paper").await;
    put_policy(
        app,
        &director,
        margin_policy(
            2000,
            json!({}),
            json!({}),
            json!({"max_discount_bp": 500, "min_headroom_bp": 100}),
        ),
    )
    .await
    .ok(200);
    let (client, token) = buyer(app, 17).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{client}"),
        json!({"credit_limit": "100000.00"}),
    )
    .await
    .ok(200);
    let o = offer(app, &token, json!([line(&a, 10, "96.00")])).await;
    assert_eq!(o.ok(201)["status"], "accepted");
    let id = o.body["id"].as_str().unwrap().to_string();
    let placed = app
        .post(
            &token,
            "/api/v1/orders",
            json!({"lines": [line_req(&a, 4)], "offer_id": id}),
        )
        .await;
    assert_eq!(placed.ok(201)["total"], "384.00");
    let path = format!("/api/v1/offers/{id}/revoke");
    app.post(&token, &path, json!({"reason": "mine"}))
        .await
        .problem(403, "forbidden");
    app.post(&manager, &path, json!({"reason": " "}))
        .await
        .problem(422, "validation_failed");
    let r = app
        .post(
            &manager,
            &path,
            json!({"reason": "list prices change on the 1st"}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "revoked");
    app.post(&manager, &path, json!({"reason": "again"}))
        .await
        .problem(409, "invalid_transition");
    // The client sees why; the agreement prices nothing more, the order placed keeps its price.
    let seen = app.get(&token, &format!("/api/v1/offers/{id}")).await;
    assert_eq!(seen.ok(200)["status"], "revoked");
    assert_eq!(
        seen.body["decision_reason"],
        "list prices change on the 1st"
    );
    app.post(
        &token,
        "/api/v1/orders",
        json!({"lines": [line_req(&a, 1)], "offer_id": id}),
    )
    .await
    .problem(409, "offer_not_accepted");
    let order_id = placed.body["id"].as_str().unwrap();
    let order = app.get(&token, &format!("/api/v1/orders/{order_id}")).await;
    assert_eq!(order.ok(200)["total"], "384.00");
    let revoked = app.get(&token, "/api/v1/offers?status=revoked").await;
    assert_eq!(revoked.ok(200)["items"].as_array().unwrap().len(), 1);
    // A pending offer is declined, not revoked.
    let p = offer(app, &token, json!([line(&a, 1, "80.00")])).await;
    let pid = p.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &manager,
        &format!("/api/v1/offers/{pid}/revoke"),
        json!({"reason": "no"}),
    )
    .await
    .problem(409, "invalid_transition");
}
