use crate::both_backends;
use crate::helpers::*;
use serde_json::json;
use std::collections::HashSet;

both_backends!(
    create_and_validate_inn_kpp,
    client_sees_only_its_company,
    cross_company_ids_answer_404,
    staff_only_fields,
    role_checks_for_company_management,
    pagination_is_stable,
    audit_and_events_are_written,
);

async fn create_and_validate_inn_kpp(app: &TestApp) {
    let base = json!({"name": "ООО Тест", "legal_address": "Москва", "email": "a@b.ru"});
    let with = |extra: serde_json::Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    // Valid legal entity and sole proprietor.
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            with(json!({"inn": "7707083893", "kpp": "773601001"})),
        )
        .await;
    let c = r.ok(201);
    assert_eq!(c["status"], "active");
    assert_eq!(c["credit_limit"], "0.00");
    app.post(
        &app.admin,
        "/api/v1/clients",
        with(json!({"inn": "500100732259"})),
    )
    .await
    .ok(201);

    // Duplicate INN.
    app.post(
        &app.admin,
        "/api/v1/clients",
        with(json!({"inn": "7707083893", "kpp": "773601001"})),
    )
    .await
    .problem(409, "inn_taken");

    // Checksum, format, KPP rules: every bad field listed.
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            with(json!({"inn": "7707083894", "kpp": "77360100", "email": "nope"})),
        )
        .await;
    r.problem(422, "validation_failed");
    let fields: HashSet<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, HashSet::from(["inn", "kpp", "email"]), "{r:?}");
    assert_eq!(r.body["errors"][0]["code"], "invalid_checksum");

    for (inn, kpp, field, code) in [
        ("12345", Some("773601001"), "inn", "invalid_format"),
        ("500100732258", None, "inn", "invalid_checksum"),
        ("7707083893x", Some("773601001"), "inn", "invalid_format"),
        ("7710140679", None, "kpp", "required"),
        ("500100732259", Some("773601001"), "kpp", "not_allowed"),
    ] {
        let mut b = with(json!({"inn": inn}));
        if let Some(k) = kpp {
            b["kpp"] = json!(k);
        }
        let r = app.post(&app.admin, "/api/v1/clients", b).await;
        r.problem(422, "validation_failed");
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{inn}: {r:?}"
        );
    }
    // Over-long strings, wrong types, unknown fields, negative money.
    app.post(
        &app.admin,
        "/api/v1/clients",
        with(json!({"inn": "7710140679", "kpp": "771001001", "name": "x".repeat(301)})),
    )
    .await
    .problem(422, "validation_failed");
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            with(json!({"inn": 7710140679i64, "kpp": "771001001"})),
        )
        .await;
    r.problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "inn");
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            with(json!({"inn": "7710140679", "kpp": "771001001", "balance": "5.00"})),
        )
        .await;
    r.problem(422, "validation_failed");
    app.post(
        &app.admin,
        "/api/v1/clients",
        with(json!({"inn": "7710140679", "kpp": "771001001", "credit_limit": "-5.00"})),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &app.admin,
        "/api/v1/clients",
        with(json!({"inn": "7710140679", "kpp": "771001001", "credit_limit": "5.001"})),
    )
    .await
    .problem(422, "validation_failed");
}

async fn client_sees_only_its_company(app: &TestApp) {
    let a = app.company(10).await;
    let _b = app.company(11).await;
    let (_, buyer) = app.client_user(&a, "client_buyer").await;
    let list = app.get(&buyer, "/api/v1/clients").await;
    let items = list.ok(200)["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], a.as_str());
    app.get(&buyer, &format!("/api/v1/clients/{a}"))
        .await
        .ok(200);
    let staff_list = app.get(&app.admin, "/api/v1/clients").await;
    assert_eq!(staff_list.ok(200)["items"].as_array().unwrap().len(), 2);
}

async fn cross_company_ids_answer_404(app: &TestApp) {
    let a = app.company(20).await;
    let b = app.company(21).await;
    let (_, admin_a) = app.client_user(&a, "client_admin").await;
    let (user_b, _) = app.client_user(&b, "client_buyer").await;
    let key_b = app
        .post(
            &app.admin,
            &format!("/api/v1/clients/{b}/api-keys"),
            json!({"name": "ERP B"}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user_body = json!({"email": "intruder@x.test", "full_name": "I", "role": "client_buyer", "password": PASSWORD});
    for r in [
        app.get(&admin_a, &format!("/api/v1/clients/{b}")).await,
        app.patch(
            &admin_a,
            &format!("/api/v1/clients/{b}"),
            json!({"name": "Hacked"}),
        )
        .await,
        app.get(&admin_a, &format!("/api/v1/clients/{b}/users"))
            .await,
        app.post(
            &admin_a,
            &format!("/api/v1/clients/{b}/users"),
            user_body.clone(),
        )
        .await,
        app.patch(
            &admin_a,
            &format!("/api/v1/clients/{b}/users/{user_b}"),
            json!({"active": false}),
        )
        .await,
        app.get(&admin_a, &format!("/api/v1/clients/{b}/api-keys"))
            .await,
        app.post(
            &admin_a,
            &format!("/api/v1/clients/{b}/api-keys"),
            json!({"name": "x"}),
        )
        .await,
        app.delete(&admin_a, &format!("/api/v1/clients/{b}/api-keys/{key_b}"))
            .await,
        // Another company's user addressed through one's own company is not found either.
        app.patch(
            &admin_a,
            &format!("/api/v1/clients/{a}/users/{user_b}"),
            json!({"active": false}),
        )
        .await,
        app.delete(&admin_a, &format!("/api/v1/clients/{a}/api-keys/{key_b}"))
            .await,
    ] {
        r.problem(404, "not_found");
        assert!(!r.body.to_string().contains("Company 21"), "{r:?}");
    }
    // Nothing was changed.
    let b_view = app.get(&app.admin, &format!("/api/v1/clients/{b}")).await;
    assert_eq!(b_view.ok(200)["name"], "Company 21");
    let keys = app
        .get(&app.admin, &format!("/api/v1/clients/{b}/api-keys"))
        .await;
    assert!(keys.ok(200)["items"][0]["revoked_at"].is_null());
}

async fn staff_only_fields(app: &TestApp) {
    let a = app.company(30).await;
    let (_, client_admin) = app.client_user(&a, "client_admin").await;
    let r = app
        .patch(
            &client_admin,
            &format!("/api/v1/clients/{a}"),
            json!({"credit_limit": "999999.00", "status": "active"}),
        )
        .await;
    r.problem(422, "validation_failed");
    let fields: HashSet<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, HashSet::from(["credit_limit", "status"]));
    assert_eq!(r.body["errors"][0]["code"], "staff_only");
    // The client admin may change its own contact details.
    let r = app
        .patch(
            &client_admin,
            &format!("/api/v1/clients/{a}"),
            json!({"phone": "+7 900 000-00-00", "delivery_address": "Склад 2"}),
        )
        .await;
    assert_eq!(r.ok(200)["phone"], "+7 900 000-00-00");
    assert_eq!(r.body["credit_limit"], "1000.00");
    // Staff change the terms; null clears an optional field.
    let manager = app.staff("manager").await;
    let r = app
        .patch(
            &manager,
            &format!("/api/v1/clients/{a}"),
            json!({"credit_limit": "50000.50", "status": "on_hold", "phone": null}),
        )
        .await;
    let body = r.ok(200);
    assert_eq!(body["credit_limit"], "50000.50");
    assert_eq!(body["status"], "on_hold");
    assert!(body["phone"].is_null());
    app.patch(
        &manager,
        &format!("/api/v1/clients/{a}"),
        json!({"manager_id": "no-such-user"}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn role_checks_for_company_management(app: &TestApp) {
    let a = app.company(40).await;
    let (_, buyer) = app.client_user(&a, "client_buyer").await;
    let (_, client_admin) = app.client_user(&a, "client_admin").await;
    // Buyers manage nothing, not even in their own company.
    app.get(&buyer, &format!("/api/v1/clients/{a}/users"))
        .await
        .problem(403, "forbidden");
    app.post(
        &buyer,
        &format!("/api/v1/clients/{a}/api-keys"),
        json!({"name": "x"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &buyer,
        &format!("/api/v1/clients/{a}"),
        json!({"name": "x"}),
    )
    .await
    .problem(403, "forbidden");
    // Clients cannot create companies; logisticians neither.
    let body = json!({"name": "X", "inn": "7710140679", "kpp": "771001001", "legal_address": "M", "email": "x@y.ru"});
    app.post(&client_admin, "/api/v1/clients", body.clone())
        .await
        .problem(403, "forbidden");
    let logistician = app.staff("logistician").await;
    app.post(&logistician, "/api/v1/clients", body.clone())
        .await
        .problem(403, "forbidden");
    // A client admin creates only client roles in its company.
    app.post(
        &client_admin,
        &format!("/api/v1/clients/{a}/users"),
        json!({"email": "boss@x.test", "full_name": "B", "role": "admin", "password": PASSWORD}),
    )
    .await
    .problem(422, "validation_failed");
    let r = app
        .post(
            &client_admin,
            &format!("/api/v1/clients/{a}/users"),
            json!({"email": "acc@x.test", "full_name": "Acc", "role": "client_accountant", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.ok(201)["client_id"], a.as_str());
    app.post(
        &client_admin,
        &format!("/api/v1/clients/{a}/api-keys"),
        json!({"name": "k", "role": "manager"}),
    )
    .await
    .problem(422, "validation_failed");
}

async fn pagination_is_stable(app: &TestApp) {
    for i in 0..7 {
        app.company(100 + i).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/clients?limit=3&after={a}"),
            None => "/api/v1/clients?limit=3".to_string(),
        };
        let r = app.get(&app.admin, &path).await;
        let body = r.ok(200).clone();
        for item in body["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        pages += 1;
        if pages == 1 {
            // A row added while paging lands at the end, not in a page already read.
            app.company(200).await;
        }
        match body["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 8);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    // Search by name and INN, status filter, bad limits.
    let r = app.get(&app.admin, "/api/v1/clients?q=company%20104").await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    let r = app.get(&app.admin, "/api/v1/clients?status=blocked").await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 0);
    app.get(&app.admin, "/api/v1/clients?limit=0")
        .await
        .problem(422, "validation_failed");
    app.get(&app.admin, "/api/v1/clients?limit=abc")
        .await
        .problem(400, "invalid_query");
    app.get(&app.admin, "/api/v1/clients?status=weird")
        .await
        .problem(400, "invalid_query");
}

async fn audit_and_events_are_written(app: &TestApp) {
    let a = app.company(50).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{a}"),
        json!({"credit_limit": "2000.00"}),
    )
    .await
    .ok(200);
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?entity_type=client&entity_id={a}"),
        )
        .await;
    let items = audit.ok(200)["items"].as_array().unwrap().clone();
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["client.created", "client.updated"]);
    let me = app.get(&app.admin, "/api/v1/auth/me").await;
    assert_eq!(items[1]["actor_id"], me.body["id"]);
    assert_eq!(items[1]["actor_kind"], "user");
    assert!(items[1]["request_id"].is_string());
    assert_eq!(items[1]["details"]["after"]["credit_limit"], "2000.00");
    let events = app
        .get(&app.admin, &format!("/api/v1/events?entity_id={a}"))
        .await;
    let types: Vec<&str> = events.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["client.created", "client.updated"]);
    // A failed change writes nothing.
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{a}"),
        json!({"email": "broken"}),
    )
    .await
    .problem(422, "validation_failed");
    let audit = app
        .get(&app.admin, &format!("/api/v1/audit?entity_id={a}"))
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);
    // Clients cannot read the audit log or the outbox.
    let (_, client_admin) = app.client_user(&a, "client_admin").await;
    app.get(&client_admin, "/api/v1/audit")
        .await
        .problem(403, "forbidden");
    app.get(&client_admin, "/api/v1/events")
        .await
        .problem(403, "forbidden");
}
