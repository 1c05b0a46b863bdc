use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    tiers_crud_and_roles,
    tier_in_use_cannot_be_deleted,
    clients_see_their_price_in_the_catalog,
    quote_prices_merged_lines_with_the_tier_discount,
    quote_validation_names_each_field,
    quotes_are_scoped_to_the_clients_company,
);

fn field_errors(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {r:?}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn errs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

async fn tier(app: &TestApp, token: &str, name: &str, turnover: &str, bp: i32) -> Resp {
    app.post(
        token,
        "/api/v1/price-tiers",
        json!({"name": name, "min_turnover": turnover, "discount_bp": bp}),
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    let r = app
        .get(&app.admin, &format!("/api/v1/audit?action={action}"))
        .await;
    r.ok(200)["items"].as_array().unwrap().len()
}

async fn tiers_crud_and_roles(app: &TestApp) {
    let director = app.staff("director").await;
    let manager = app.staff("manager").await;
    let company = app.company(11).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;

    let r = tier(app, &director, " Gold ", "3000000", 700).await;
    let gold = r.ok(201).clone();
    assert_eq!(gold["name"], "Gold");
    assert_eq!(gold["min_turnover"], "3000000.00");
    assert_eq!(gold["discount_bp"], 700);
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/price-tiers/{}", id(&gold))
    );
    let silver = tier(app, &app.admin, "Silver", "500000.00", 300)
        .await
        .ok(201)
        .clone();
    tier(app, &manager, "Bronze", "1", 100)
        .await
        .problem(403, "forbidden");
    tier(app, &buyer, "Bronze", "1", 100)
        .await
        .problem(403, "forbidden");
    tier(app, &director, "Gold", "1", 100)
        .await
        .problem(409, "tier_name_taken");
    let r = tier(app, &director, "", "1", 10_000).await;
    r.problem(422, "validation_failed");
    assert_eq!(
        field_errors(&r),
        errs(&[("name", "too_short"), ("discount_bp", "out_of_range")])
    );
    app.post(
        &director,
        "/api/v1/price-tiers",
        json!({"name": "X", "min_turnover": "-1", "discount_bp": 1}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &director,
        "/api/v1/price-tiers",
        json!({"name": "X", "min_turnover": "1", "discount_bp": 1, "id": "mine"}),
    )
    .await
    .problem(422, "validation_failed");

    // Anyone authenticated reads them, by minimum turnover.
    let list = app.get(&buyer, "/api/v1/price-tiers").await;
    let names: Vec<&str> = list.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Silver", "Gold"]);
    let path = format!("/api/v1/price-tiers/{}", id(&gold));
    assert_eq!(app.get(&buyer, &path).await.ok(200)["discount_bp"], 700);
    app.get(&buyer, "/api/v1/price-tiers/nope")
        .await
        .problem(404, "not_found");

    // Updates.
    app.patch(&manager, &path, json!({"discount_bp": 1}))
        .await
        .problem(403, "forbidden");
    app.patch(&director, &path, json!({"name": "Silver"}))
        .await
        .problem(409, "tier_name_taken");
    app.patch(&director, &path, json!({"discount_bp": -1}))
        .await
        .problem(422, "validation_failed");
    app.patch(&director, &path, json!({"client_id": "x"}))
        .await
        .problem(422, "validation_failed");
    let r = app
        .patch(
            &director,
            &path,
            json!({"name": "Platinum", "min_turnover": "100.5", "discount_bp": 900}),
        )
        .await;
    assert_eq!(r.ok(200)["name"], "Platinum");
    assert_eq!(r.body["min_turnover"], "100.50");
    assert_eq!(r.body["discount_bp"], 900);
    let list = app.get(&buyer, "/api/v1/price-tiers").await;
    assert_eq!(list.ok(200)["items"][0]["name"], "Platinum");
    app.patch(
        &director,
        "/api/v1/price-tiers/nope",
        json!({"discount_bp": 1}),
    )
    .await
    .problem(404, "not_found");

    // Deletion.
    app.delete(&manager, &path).await.problem(403, "forbidden");
    assert_eq!(app.delete(&director, &path).await.status.as_u16(), 204);
    app.get(&director, &path).await.problem(404, "not_found");
    app.delete(&director, &path).await.problem(404, "not_found");
    app.get(&director, &format!("/api/v1/price-tiers/{}", id(&silver)))
        .await
        .ok(200);

    // Every change is audited; failed ones are not.
    assert_eq!(audit_count(app, "price_tier.created").await, 2);
    assert_eq!(audit_count(app, "price_tier.updated").await, 1);
    assert_eq!(audit_count(app, "price_tier.deleted").await, 1);
}

async fn tier_in_use_cannot_be_deleted(app: &TestApp) {
    let t = tier(app, &app.admin, "Silver", "0", 300)
        .await
        .ok(201)
        .clone();
    let company = app.company(12).await;
    app.sql(&format!(
        "UPDATE clients SET tier_id = '{}' WHERE id = '{company}'",
        id(&t)
    ))
    .await;
    let path = format!("/api/v1/price-tiers/{}", id(&t));
    app.delete(&app.admin, &path)
        .await
        .problem(409, "tier_in_use");
    app.get(&app.admin, &path).await.ok(200);
    let client = app
        .get(&app.admin, &format!("/api/v1/clients/{company}"))
        .await;
    assert_eq!(client.ok(200)["tier_id"], id(&t).as_str());
    app.sql(&format!(
        "UPDATE clients SET tier_id = NULL WHERE id = '{company}'"
    ))
    .await;
    assert_eq!(app.delete(&app.admin, &path).await.status.as_u16(), 204);
    assert_eq!(audit_count(app, "price_tier.deleted").await, 1);
}

async fn clients_see_their_price_in_the_catalog(app: &TestApp) {
    let p = app.product("P-100").await;
    let odd = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": "P-ODD", "name": "Odd", "unit": "pcs", "list_price": "3.33",
                   "cost_price": "1.11", "vat_rate_bp": 0}),
        )
        .await
        .ok(201)
        .clone();
    let company = app.company(13).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;

    // Without a tier the price is the list price.
    let one = app
        .get(&buyer, &format!("/api/v1/products/{}", id(&p)))
        .await;
    assert_eq!(one.ok(200)["price"], "100.00");

    let t = tier(app, &app.admin, "Five", "0", 500)
        .await
        .ok(201)
        .clone();
    // The tier is assigned through the API: the price a moment ago was cached, and the change
    // applies at once all the same.
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{company}"),
        json!({"tier_id": id(&t)}),
    )
    .await
    .ok(200);
    let one = app
        .get(&buyer, &format!("/api/v1/products/{}", id(&p)))
        .await;
    assert_eq!(one.ok(200)["price"], "95.00");
    assert_eq!(one.body["list_price"], "100.00");
    let list = app.get(&buyer, "/api/v1/products").await;
    let items = list.ok(200)["items"].as_array().unwrap();
    assert_eq!(items[0]["price"], "95.00");
    assert_eq!(items[1]["id"], odd["id"]);
    assert_eq!(items[1]["price"], "3.16"); // 3.33 × 0.95 = 3.1635
    for body in [one.ok(200), list.ok(200)] {
        let text = body.to_string();
        assert!(!text.contains("cost_price"), "{text}");
        assert!(!text.contains("60.00") && !text.contains("1.11"), "{text}");
    }

    // Other companies keep their own price; staff see no client price.
    let other = app.company(14).await;
    let (_, other_buyer) = app.client_user(&other, "client_admin").await;
    let r = app
        .get(&other_buyer, &format!("/api/v1/products/{}", id(&p)))
        .await;
    assert_eq!(r.ok(200)["price"], "100.00");
    let staff = app
        .get(&app.admin, &format!("/api/v1/products/{}", id(&p)))
        .await;
    assert!(staff.ok(200).get("price").is_none(), "{staff:?}");
    assert_eq!(staff.body["cost_price"], "60.00");
    let list = app.get(&app.admin, "/api/v1/products").await;
    assert!(list.ok(200)["items"][0].get("price").is_none());

    // A tier change applies at once.
    app.patch(
        &app.admin,
        &format!("/api/v1/price-tiers/{}", id(&t)),
        json!({"discount_bp": 300}),
    )
    .await
    .ok(200);
    let one = app
        .get(&buyer, &format!("/api/v1/products/{}", id(&p)))
        .await;
    assert_eq!(one.ok(200)["price"], "97.00");
}

async fn quote_prices_merged_lines_with_the_tier_discount(app: &TestApp) {
    let p = app.product("Q-100").await;
    let pid = id(&p);
    let odd = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": "Q-ODD", "name": "Odd", "unit": "kg", "list_price": "3.33",
                   "cost_price": "1.11", "vat_rate_bp": 0}),
        )
        .await
        .ok(201)
        .clone();
    app.post(
        &app.admin,
        &format!("/api/v1/products/{pid}/stock-movements"),
        json!({"kind": "receipt", "quantity": 10, "reason": "Delivery"}),
    )
    .await
    .ok(201);
    app.sql(&format!(
        "UPDATE stock SET reserved = 4 WHERE product_id = '{pid}'"
    ))
    .await;
    let company = app.company(15).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    let t = tier(app, &app.admin, "Three", "0", 300)
        .await
        .ok(201)
        .clone();
    app.sql(&format!(
        "UPDATE clients SET tier_id = '{}' WHERE id = '{company}'",
        id(&t)
    ))
    .await;
    let audit_before = app.get(&app.admin, "/api/v1/audit?limit=200").await.ok(200)["items"]
        .as_array()
        .unwrap()
        .len();

    let body = json!({"lines": [
        {"product_id": odd["id"], "quantity": 1},
        {"product_id": pid, "quantity": 3},
        {"sku": "Q-100", "quantity": 2},
    ]});
    let r = app.post(&buyer, "/api/v1/quotes", body.clone()).await;
    let q = r.ok(200).clone();
    assert_eq!(q["client_id"], company.as_str());
    assert_eq!(q["tier_id"], id(&t).as_str());
    assert_eq!(q["discount_bp"], 300);
    let lines = q["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    // By product id: the 100.00 product was created first.
    let l = &lines[0];
    assert_eq!(l["product_id"], pid.as_str());
    assert_eq!(l["sku"], "Q-100");
    assert_eq!(l["unit"], "pcs");
    assert_eq!(l["quantity"], 5);
    assert_eq!(l["list_price"], "100.00");
    assert_eq!(l["discount_bp"], 300);
    assert_eq!(l["unit_price"], "97.00");
    assert_eq!(l["vat_rate_bp"], 2200);
    assert_eq!(l["total"], "485.00");
    assert_eq!(l["vat"], "87.46"); // 485 × 22 / 122 = 87.459
    assert_eq!(l["available"], 6);
    let l = &lines[1];
    assert_eq!(l["unit_price"], "3.23"); // 3.33 × 0.97 = 3.2301
    assert_eq!(l["total"], "3.23");
    assert_eq!(l["vat"], "0.00");
    assert_eq!(l["available"], 0);
    assert_eq!(q["total"], "488.23");
    assert_eq!(q["vat"], "87.46");
    let text = q.to_string();
    assert!(!text.contains("cost") && !text.contains("60.00") && !text.contains("1.11"));

    // Staff get the same prices for the client.
    let manager = app.staff("manager").await;
    let mut staff_body = body.clone();
    staff_body["client_id"] = json!(company);
    let r = app.post(&manager, "/api/v1/quotes", staff_body).await;
    assert_eq!(r.ok(200)["total"], "488.23");
    assert_eq!(r.body["lines"], q["lines"]);

    // Nothing was booked or written.
    let stock = app
        .get(&app.admin, &format!("/api/v1/products/{pid}"))
        .await;
    assert_eq!(stock.ok(200)["stock"]["reserved"], 4);
    let audit_after = app.get(&app.admin, "/api/v1/audit?limit=200").await.ok(200)["items"]
        .as_array()
        .unwrap()
        .len();
    // Only the staff user created above was audited.
    assert_eq!(audit_after, audit_before + 1);
    app.sql(&format!(
        "UPDATE stock SET reserved = 0 WHERE product_id = '{pid}'"
    ))
    .await;

    // Without a tier: list prices.
    app.sql(&format!(
        "UPDATE clients SET tier_id = NULL WHERE id = '{company}'"
    ))
    .await;
    let r = app
        .post(
            &buyer,
            "/api/v1/quotes",
            json!({"lines": [{"sku": "Q-100", "quantity": 3}]}),
        )
        .await;
    assert!(r.ok(200)["tier_id"].is_null());
    assert_eq!(r.body["discount_bp"], 0);
    assert_eq!(r.body["total"], "300.00");
    assert_eq!(r.body["vat"], "54.10"); // 300 × 22 / 122 = 54.098
}

async fn quote_validation_names_each_field(app: &TestApp) {
    let p = app.product("V-1").await;
    let inactive = app.product("V-OFF").await;
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{}", id(&inactive)),
        json!({"active": false}),
    )
    .await
    .ok(200);
    let company = app.company(16).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    let quote = |body: Value| app.post(&buyer, "/api/v1/quotes", body);

    let r = quote(json!({"lines": [
        {"product_id": p["id"], "quantity": 1},
        {"product_id": p["id"], "quantity": 0},
        {"quantity": 2},
        {"product_id": p["id"], "sku": "V-1", "quantity": 1},
        {"sku": "V-1", "quantity": 1_000_000_001_i64},
    ]}))
    .await;
    r.problem(422, "validation_failed");
    assert_eq!(
        field_errors(&r),
        errs(&[
            ("lines[1].quantity", "out_of_range"),
            ("lines[2].product_id", "required"),
            ("lines[3]", "ambiguous"),
            ("lines[4].quantity", "out_of_range"),
        ])
    );
    let r = quote(json!({"lines": [
        {"product_id": p["id"], "quantity": 1},
        {"sku": "NO-SUCH", "quantity": 1},
        {"product_id": "no-such-id", "quantity": 1},
        {"product_id": inactive["id"], "quantity": 1},
        {"sku": "V-OFF", "quantity": 1},
    ]}))
    .await;
    r.problem(422, "validation_failed");
    assert_eq!(
        field_errors(&r),
        errs(&[
            ("lines[1].sku", "unknown_product"),
            ("lines[2].product_id", "unknown_product"),
            ("lines[3].product_id", "product_inactive"),
            ("lines[4].sku", "product_inactive"),
        ])
    );
    let r = quote(json!({"lines": []})).await;
    r.problem(422, "validation_failed");
    assert_eq!(field_errors(&r), errs(&[("lines", "required")]));
    let many: Vec<Value> = (0..501)
        .map(|_| json!({"sku": "V-1", "quantity": 1}))
        .collect();
    let r = quote(json!({ "lines": many })).await;
    assert_eq!(field_errors(&r), errs(&[("lines", "too_many_lines")]));
    let r = quote(json!({"lines": [{"sku": "V-1", "quantity": 1, "price": "1.00"}]})).await;
    r.problem(422, "validation_failed");
    assert!(field_errors(&r)[0].0.starts_with("lines[0]"), "{r:?}");
    quote(json!({"lines": [{"sku": "V-1", "quantity": 1}], "discount_bp": 9000}))
        .await
        .problem(422, "validation_failed");
    quote(json!({})).await.problem(422, "validation_failed");

    // 500 lines of one product merge into one line.
    let many: Vec<Value> = (0..500)
        .map(|_| json!({"sku": "V-1", "quantity": 2}))
        .collect();
    let r = quote(json!({ "lines": many })).await;
    assert_eq!(r.ok(200)["lines"][0]["quantity"], 1000);
    assert_eq!(r.body["total"], "100000.00");

    // Totals beyond any amount are refused, not wrapped around.
    let huge = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": "V-HUGE", "name": "Huge", "unit": "pcs",
                   "list_price": "9999999999999.99", "cost_price": "1.00", "vat_rate_bp": 2200}),
        )
        .await
        .ok(201)
        .clone();
    let r = quote(json!({"lines": [
        {"sku": "V-1", "quantity": 1},
        {"product_id": huge["id"], "quantity": 1_000_000_000},
    ]}))
    .await;
    r.problem(422, "validation_failed");
    assert_eq!(
        field_errors(&r),
        errs(&[("lines[1].quantity", "out_of_range")])
    );
    let r = quote(json!({"lines": [{"sku": "V-HUGE", "quantity": 1}]})).await;
    assert_eq!(r.ok(200)["total"], "9999999999999.99");
}

async fn quotes_are_scoped_to_the_clients_company(app: &TestApp) {
    app.product("S-1").await;
    let mine = app.company(17).await;
    let other = app.company(18).await;
    let (_, buyer) = app.client_user(&mine, "client_accountant").await;
    let lines = json!([{"sku": "S-1", "quantity": 1}]);

    let r = app
        .post(
            &buyer,
            "/api/v1/quotes",
            json!({"client_id": mine, "lines": lines}),
        )
        .await;
    assert_eq!(r.ok(200)["client_id"], mine.as_str());
    app.post(
        &buyer,
        "/api/v1/quotes",
        json!({"client_id": other, "lines": lines}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        &buyer,
        "/api/v1/quotes",
        json!({"client_id": "nope", "lines": lines}),
    )
    .await
    .problem(404, "not_found");

    let manager = app.staff("manager").await;
    let r = app
        .post(&manager, "/api/v1/quotes", json!({"lines": lines}))
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(field_errors(&r), errs(&[("client_id", "required")]));
    app.post(
        &manager,
        "/api/v1/quotes",
        json!({"client_id": "nope", "lines": lines}),
    )
    .await
    .problem(404, "not_found");
    let r = app
        .post(
            &manager,
            "/api/v1/quotes",
            json!({"client_id": other, "lines": lines}),
        )
        .await;
    assert_eq!(r.ok(200)["client_id"], other.as_str());
    app.send(
        app.http
            .post(app.url("/api/v1/quotes"))
            .json(&json!({"lines": lines})),
    )
    .await
    .problem(401, "missing_token");
}
