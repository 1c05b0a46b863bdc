use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    products_crud_and_roles,
    cost_price_is_staff_only,
    stock_movements_respect_bounds,
    product_search_and_filters,
    catalog_pages_follow_stock_at_once,
);

/// The catalog page cache never shows a change made through this server late: stock
/// movements, orders booking stock, cancellations freeing it, product edits.
async fn catalog_pages_follow_stock_at_once(app: &TestApp) {
    let p = app.product("CACHE-1").await;
    let id = p["id"].as_str().unwrap().to_string();
    let logistician = app.staff("logistician").await;
    let company = app.company(7).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    let available = |body: &serde_json::Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .map(|i| i["stock"]["available"].as_i64().unwrap())
    };
    let page = "/api/v1/products?limit=50";
    assert_eq!(available(app.get(&buyer, page).await.ok(200)), Some(0));
    app.post(
        &logistician,
        &format!("/api/v1/products/{id}/stock-movements"),
        json!({"kind": "receipt", "quantity": 10, "reason": "Delivery"}),
    )
    .await
    .ok(201);
    assert_eq!(available(app.get(&buyer, page).await.ok(200)), Some(10));
    let order = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": id, "quantity": 4}]}),
        )
        .await;
    let order = order.ok(201);
    assert_eq!(available(app.get(&buyer, page).await.ok(200)), Some(6));
    app.post(
        &buyer,
        &format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap()),
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(available(app.get(&buyer, page).await.ok(200)), Some(10));
    app.patch(
        &app.admin,
        &format!("/api/v1/products/{id}"),
        json!({"active": false}),
    )
    .await
    .ok(200);
    assert_eq!(available(app.get(&buyer, page).await.ok(200)), None);
}

async fn products_crud_and_roles(app: &TestApp) {
    let p = app.product("A-1").await;
    assert_eq!(p["list_price"], "100.00");
    assert_eq!(p["cost_price"], "60.00");
    assert_eq!(p["stock"]["on_hand"], 0);
    let id = p["id"].as_str().unwrap();

    // Duplicate SKU, validation, unknown fields.
    let body = json!({"sku": "A-1", "name": "Dup", "unit": "pcs", "list_price": "1.00", "cost_price": "1.00", "vat_rate_bp": 2200});
    app.post(&app.admin, "/api/v1/products", body)
        .await
        .problem(409, "sku_taken");
    let r = app
        .post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": "bad sku!", "name": "", "unit": "pcs", "list_price": "1.00", "cost_price": "1.00", "vat_rate_bp": 1234}),
        )
        .await;
    r.problem(422, "validation_failed");
    assert!(r.body["errors"].as_array().unwrap().len() >= 3, "{r:?}");

    // A buyer cannot create or edit products.
    let company = app.company(1).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    let body = json!({"sku": "B-1", "name": "B", "unit": "pcs", "list_price": "1.00", "cost_price": "1.00", "vat_rate_bp": 2200});
    app.post(&buyer, "/api/v1/products", body)
        .await
        .problem(403, "forbidden");
    app.patch(
        &buyer,
        &format!("/api/v1/products/{id}"),
        json!({"name": "Hacked"}),
    )
    .await
    .problem(403, "forbidden");

    let manager = app.staff("manager").await;
    let r = app
        .patch(
            &manager,
            &format!("/api/v1/products/{id}"),
            json!({"name": "Renamed", "list_price": "120.50"}),
        )
        .await;
    assert_eq!(r.ok(200)["name"], "Renamed");
    assert_eq!(r.body["list_price"], "120.50");
    app.patch(
        &manager,
        &format!("/api/v1/products/{id}"),
        json!({"sku": "NEW"}),
    )
    .await
    .problem(422, "validation_failed");
    app.get(&app.admin, "/api/v1/products/no-such-id")
        .await
        .problem(404, "not_found");

    // Deactivated products disappear for clients, not for staff.
    app.patch(
        &manager,
        &format!("/api/v1/products/{id}"),
        json!({"active": false}),
    )
    .await
    .ok(200);
    app.get(&buyer, &format!("/api/v1/products/{id}"))
        .await
        .problem(404, "not_found");
    let list = app.get(&buyer, "/api/v1/products").await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 0);
    app.get(&app.admin, &format!("/api/v1/products/{id}"))
        .await
        .ok(200);
}

async fn cost_price_is_staff_only(app: &TestApp) {
    let p = app.product("C-1").await;
    let id = p["id"].as_str().unwrap();
    let company = app.company(2).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    let one = app.get(&buyer, &format!("/api/v1/products/{id}")).await;
    let list = app.get(&buyer, "/api/v1/products").await;
    for body in [one.ok(200), list.ok(200)] {
        let text = body.to_string();
        assert!(!text.contains("cost_price"), "{text}");
        assert!(!text.contains("60.00"), "{text}");
        assert!(!text.contains("on_hand"), "{text}");
    }
    assert_eq!(one.body["list_price"], "100.00");
    assert!(one.body["stock"]["available"].is_number());
    // Staff see it.
    let staff = app.get(&app.admin, &format!("/api/v1/products/{id}")).await;
    assert_eq!(staff.ok(200)["cost_price"], "60.00");
    // Clients cannot read the movement history (it shows stock internals).
    app.get(&buyer, &format!("/api/v1/products/{id}/stock-movements"))
        .await
        .problem(403, "forbidden");
}

async fn stock_movements_respect_bounds(app: &TestApp) {
    let p = app.product("S-1").await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/api/v1/products/{id}/stock-movements");
    let logistician = app.staff("logistician").await;
    let r = app
        .post(
            &logistician,
            &path,
            json!({"kind": "receipt", "quantity": 10, "reason": "Supplier delivery"}),
        )
        .await;
    assert_eq!(r.ok(201)["on_hand_after"], 10);
    app.post(
        &logistician,
        &path,
        json!({"kind": "write_off", "quantity": 3, "reason": "Damaged"}),
    )
    .await
    .ok(201);
    // Never below zero: nothing changes.
    let r = app
        .post(
            &logistician,
            &path,
            json!({"kind": "write_off", "quantity": 8, "reason": "Too many"}),
        )
        .await;
    r.problem(409, "insufficient_stock");
    app.post(
        &logistician,
        &path,
        json!({"kind": "correction", "quantity": -8, "reason": "Count"}),
    )
    .await
    .problem(409, "insufficient_stock");
    app.post(
        &logistician,
        &path,
        json!({"kind": "correction", "quantity": -2, "reason": "Inventory count"}),
    )
    .await
    .ok(201);
    // Bad movements.
    for bad in [
        json!({"kind": "receipt", "quantity": 0, "reason": "x"}),
        json!({"kind": "receipt", "quantity": -5, "reason": "x"}),
        json!({"kind": "receipt", "quantity": 5, "reason": ""}),
        json!({"kind": "correction", "quantity": 0, "reason": "x"}),
    ] {
        app.post(&logistician, &path, bad)
            .await
            .problem(422, "validation_failed");
    }
    app.post(
        &logistician,
        &path,
        json!({"kind": "theft", "quantity": 1, "reason": "x"}),
    )
    .await
    .problem(422, "validation_failed");
    let product = app.get(&app.admin, &format!("/api/v1/products/{id}")).await;
    assert_eq!(product.ok(200)["stock"]["on_hand"], 5);
    assert_eq!(product.body["stock"]["reserved"], 0);

    // Reserved stock is untouchable: with 4 of 5 reserved (orders will book it; set directly
    // here), a write-off may take at most 1.
    app.sql(&format!(
        "UPDATE stock SET reserved = 4 WHERE product_id = '{id}'"
    ))
    .await;
    let r = app
        .post(
            &logistician,
            &path,
            json!({"kind": "write_off", "quantity": 2, "reason": "Broken"}),
        )
        .await;
    r.problem(409, "insufficient_stock");
    assert!(
        r.body["detail"].as_str().unwrap().contains("reserved 4"),
        "{r:?}"
    );
    app.post(
        &logistician,
        &path,
        json!({"kind": "write_off", "quantity": 1, "reason": "Broken"}),
    )
    .await
    .ok(201);
    let product = app.get(&app.admin, &format!("/api/v1/products/{id}")).await;
    assert_eq!(product.ok(200)["stock"]["available"], 0);
    app.sql(&format!(
        "UPDATE stock SET reserved = 0 WHERE product_id = '{id}'"
    ))
    .await;
    app.post(
        &logistician,
        &path,
        json!({"kind": "receipt", "quantity": 1, "reason": "Found"}),
    )
    .await
    .ok(201);
    let history = app.get(&logistician, &path).await;
    let kinds: Vec<&str> = history.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["receipt", "write_off", "correction", "write_off", "receipt"]
    );
    // A buyer cannot move stock.
    let company = app.company(3).await;
    let (_, buyer) = app.client_user(&company, "client_buyer").await;
    app.post(
        &buyer,
        &path,
        json!({"kind": "receipt", "quantity": 1, "reason": "x"}),
    )
    .await
    .problem(403, "forbidden");
    // Every movement is audited.
    let audit = app
        .get(&app.admin, "/api/v1/audit?action=stock.movement_recorded")
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 5);
}

async fn product_search_and_filters(app: &TestApp) {
    for (sku, name, cat) in [
        ("P-1", "Бумага офисная А4", "Бумага"),
        ("P-2", "Ручка синяя", "Канцелярия"),
        ("P-3", "БУМАГА крафт", "Бумага"),
    ] {
        app.post(
            &app.admin,
            "/api/v1/products",
            json!({"sku": sku, "name": name, "unit": "pcs", "list_price": "10.00", "cost_price": "5.00", "vat_rate_bp": 2200, "category": cat}),
        )
        .await
        .ok(201);
    }
    let r = app
        .get(
            &app.admin,
            "/api/v1/products?q=%D0%B1%D1%83%D0%BC%D0%B0%D0%B3%D0%B0",
        )
        .await; // "бумага"
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 2, "{r:?}");
    let r = app.get(&app.admin, "/api/v1/products?q=p-2").await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    let r = app.get(&app.admin, "/api/v1/products?q=%25").await; // "%" is literal, not a wildcard
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 0);
    let r = app
        .get(
            &app.admin,
            "/api/v1/products?category=%D0%91%D1%83%D0%BC%D0%B0%D0%B3%D0%B0&limit=1",
        )
        .await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = app.get(&app.admin, &format!("/api/v1/products?category=%D0%91%D1%83%D0%BC%D0%B0%D0%B3%D0%B0&limit=1&after={cursor}")).await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    assert!(r.body["next_cursor"].is_null());
}
