//! The receivables policy and its jobs by time travel: daily penalties up to the cap, exactly
//! once per bill and day, stopped by payment; credit holds put on lateness and lifted by
//! payment, releasing the waiting order; per-client exceptions.
use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diaspar::scheduler::model::{JobName, JobRunView, RunStatus, Trigger};
use serde_json::{json, Value};

both_backends!(
    policy_versions_and_rules,
    penalties_accrue_daily_up_to_the_cap,
    holds_follow_lateness_and_payment,
    reminders_each_level_once,
    early_payment_earns_the_bonus_once,
    manager_commission_follows_overdue_share,
    a_month_of_time_travel,
);

async fn run(app: &TestApp, job: JobName, now: NaiveDateTime) -> JobRunView {
    let pool = app.app_state.pool.clone();
    actix_web::web::block(move || {
        diaspar::scheduler::service::run_job(&pool, job, now, Trigger::Test, None)
    })
    .await
    .unwrap()
    .unwrap()
}

fn policy(penalty: Value, hold: Value) -> Value {
    json!({
        "payment_terms_days": 10,
        "reservation_ttl_hours": 72,
        "reminders": [{"offset_days": -3, "template": "before_due"}, {"offset_days": 1, "template": "overdue"}],
        "penalty": penalty,
        "credit_hold": hold,
        "advance_bonus": {"bp": 0, "min_days_before_due": 0, "prepaid_orders": false},
        "tier_window_days": 365,
        "commission": {"base_bp": 300, "overdue_factor_bp": 20000}
    })
}

async fn set_policy(app: &TestApp, body: Value) -> Value {
    let director = app.staff("director").await;
    let r = app
        .send(
            app.http
                .put(app.url("/api/v1/policies/receivables"))
                .bearer_auth(&director)
                .json(&body),
        )
        .await;
    r.ok(200).clone()
}

const INN: &str = "7702089154";

/// A company (INN above, credit 1000.00, 10 days' terms) with a released order of 1000.00;
/// returns (client id, buyer token, product id, the order).
async fn company_with_debt(app: &TestApp) -> (String, String, String, Value) {
    let c = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({"name": "Late Payer", "inn": INN, "kpp": "770101001",
                   "legal_address": "Moscow", "email": "late@example.com",
                   "credit_limit": "1000.00", "payment_terms_days": 10}),
        )
        .await;
    let c = c.ok(201)["id"].as_str().unwrap().to_string();
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "LATE-1", "100.00", 100).await;
    let o = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 10}]}),
        )
        .await;
    let o = o.ok(201).clone();
    assert_eq!(o["status"], "released");
    (c, buyer, p, o)
}

fn due_of(order: &Value) -> NaiveDate {
    order["invoice"]["due_date"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn noon(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(12, 0, 0).unwrap()
}

async fn balance(app: &TestApp, c: &str) -> String {
    let r = app
        .get(&app.admin, &format!("/api/v1/clients/{c}/account"))
        .await;
    r.ok(200)["balance"].as_str().unwrap().to_string()
}

async fn penalty_entries(app: &TestApp, c: &str) -> Vec<Value> {
    let r = app
        .get(&app.admin, &format!("/api/v1/clients/{c}/ledger?limit=200"))
        .await;
    r.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "penalty")
        .cloned()
        .collect()
}

async fn status_of(app: &TestApp, c: &str) -> String {
    let r = app.get(&app.admin, &format!("/api/v1/clients/{c}")).await;
    r.ok(200)["status"].as_str().unwrap().to_string()
}

async fn policy_versions_and_rules(app: &TestApp) {
    let manager = app.staff("manager").await;
    let r = app.get(&manager, "/api/v1/policies/receivables").await;
    let v0 = r.ok(200).clone();
    assert_eq!(v0["version"], 0);
    assert_eq!(v0["policy"]["penalty"]["bp_per_day"], 0);
    assert!(v0["effective_from"].is_null());

    let good = policy(
        json!({"bp_per_day": 10, "grace_days": 3, "cap_bp": 100}),
        json!({"after_days_overdue": 5, "when_over_limit": true}),
    );
    // Only the director sets it; bad rules are listed by field.
    let r = app
        .send(
            app.http
                .put(app.url("/api/v1/policies/receivables"))
                .bearer_auth(&manager)
                .json(&good),
        )
        .await;
    r.problem(403, "forbidden");
    let mut bad = good.clone();
    bad["penalty"]["cap_bp"] = json!(20000);
    bad["reminders"][1]["template"] = json!("rude");
    let director = app.staff("director").await;
    let r = app
        .send(
            app.http
                .put(app.url("/api/v1/policies/receivables"))
                .bearer_auth(&director)
                .json(&bad),
        )
        .await;
    r.problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["reminders[1].template", "penalty.cap_bp"]);
    let mut unknown = good.clone();
    unknown["penalty"]["surprise"] = json!(1);
    app.send(
        app.http
            .put(app.url("/api/v1/policies/receivables"))
            .bearer_auth(&director)
            .json(&unknown),
    )
    .await
    .problem(422, "validation_failed");

    let v1 = set_policy(app, good.clone()).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["policy"], good);
    let v2 = set_policy(app, good.clone()).await;
    assert_eq!(v2["version"], 2);
    let now = app.get(&manager, "/api/v1/policies/receivables").await;
    assert_eq!(now.ok(200)["version"], 2);
    let audit = app
        .get(
            &app.admin,
            "/api/v1/audit?action=receivables_policy.updated",
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 2);

    // Clients see none of it.
    let c = app.company(3).await;
    let (_, client_admin) = app.client_user(&c, "client_admin").await;
    app.get(&client_admin, "/api/v1/policies/receivables")
        .await
        .problem(403, "forbidden");
    app.get(
        &client_admin,
        &format!("/api/v1/clients/{c}/receivables-overrides"),
    )
    .await
    .problem(404, "not_found");
    let r = app
        .get(
            &manager,
            &format!("/api/v1/clients/{c}/receivables-overrides"),
        )
        .await;
    assert_eq!(
        r.ok(200).clone(),
        json!({"client_id": c, "penalty_exempt": false, "auto_hold": true, "held_by_job": false})
    );

    // Orders and new clients follow the version in force: its reservation TTL and terms.
    let mut short = good.clone();
    short["reservation_ttl_hours"] = json!(5);
    short["payment_terms_days"] = json!(21);
    set_policy(app, short).await;
    let nc = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({"name": "No Terms", "inn": "7707083893", "kpp": "770701001", "legal_address": "Moscow",
                   "email": "noterms@example.com"}),
        )
        .await;
    let nc = nc.ok(201).clone();
    assert_eq!(nc["payment_terms_days"], 21);
    let (_, buyer) = app
        .client_user(nc["id"].as_str().unwrap(), "client_buyer")
        .await;
    let p = stocked(app, "TTL-1", "100.00", 5).await;
    let o = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 1}]}),
        )
        .await;
    let o = o.ok(201).clone();
    assert_eq!(o["status"], "awaiting_payment");
    let until =
        chrono::DateTime::parse_from_rfc3339(o["reserved_until"].as_str().unwrap()).unwrap();
    let minutes = (until.naive_utc() - diaspar::db::now()).num_minutes();
    assert!((290..=300).contains(&minutes), "{minutes}");
}

async fn penalties_accrue_daily_up_to_the_cap(app: &TestApp) {
    // 0.1 % a day of what is open after 3 days' grace, at most 1 % of the bill.
    set_policy(
        app,
        policy(
            json!({"bp_per_day": 10, "grace_days": 3, "cap_bp": 100}),
            json!({"after_days_overdue": null, "when_over_limit": false}),
        ),
    )
    .await;
    let (c, _, _, o) = company_with_debt(app).await;
    let due = due_of(&o);
    assert_eq!(balance(app, &c).await, "-1000.00");

    // Grace: nothing until day 4.
    for day in 1..=3 {
        let r = run(app, JobName::Penalties, noon(due + Duration::days(day))).await;
        assert_eq!((r.status, r.items), (RunStatus::Succeeded, 0), "day {day}");
    }
    let r = run(app, JobName::Penalties, noon(due + Duration::days(4))).await;
    assert_eq!(r.items, 1);
    assert_eq!(balance(app, &c).await, "-1001.00");
    // The same day again: the period is done; charged once.
    let again = run(app, JobName::Penalties, noon(due + Duration::days(4))).await;
    assert_eq!(again.status, RunStatus::Skipped);
    // Days 5 and 6 missed (no server ran): day 7 catches them up, one entry.
    let r = run(app, JobName::Penalties, noon(due + Duration::days(7))).await;
    assert_eq!(r.items, 3);
    assert_eq!(balance(app, &c).await, "-1004.00");
    // Day by day up to the cap of 10.00, then nothing.
    for day in 8..=20 {
        run(app, JobName::Penalties, noon(due + Duration::days(day))).await;
    }
    assert_eq!(balance(app, &c).await, "-1010.00");
    let entries = penalty_entries(app, &c).await;
    assert_eq!(entries.len(), 8, "{entries:?}"); // days 4, 7 (5-7), 8..13
    let total: i64 = entries
        .iter()
        .map(|e| {
            -(e["amount"]
                .as_str()
                .unwrap()
                .replace('.', "")
                .parse::<i64>()
                .unwrap())
        })
        .sum();
    assert_eq!(total, 1000);
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?action=penalty.accrued&entity_id={c}&limit=200"),
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 8);
}

async fn holds_follow_lateness_and_payment(app: &TestApp) {
    set_policy(
        app,
        policy(
            json!({"bp_per_day": 10, "grace_days": 0, "cap_bp": 1000}),
            json!({"after_days_overdue": 5, "when_over_limit": false}),
        ),
    )
    .await;
    let (c, buyer, p, o) = company_with_debt(app).await;
    let due = due_of(&o);
    // A staff hold on another client is never lifted by the job; an exempt one is never held.
    let other = app.company(11).await;
    let director = app.staff("director").await;
    let r = app
        .send(
            app.http
                .put(app.url(&format!("/api/v1/clients/{other}/receivables-overrides")))
                .bearer_auth(&director)
                .json(&json!({"penalty_exempt": true, "auto_hold": false})),
        )
        .await;
    assert_eq!(r.ok(200)["auto_hold"], false);

    let r = run(app, JobName::CreditHolds, noon(due + Duration::days(4))).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 0));
    assert_eq!(status_of(app, &c).await, "active");
    let r = run(app, JobName::CreditHolds, noon(due + Duration::days(5))).await;
    assert_eq!(r.items, 1, "{r:?}");
    assert_eq!(status_of(app, &c).await, "on_hold");
    let ov = app
        .get(
            &app.admin,
            &format!("/api/v1/clients/{c}/receivables-overrides"),
        )
        .await;
    assert_eq!(ov.ok(200)["held_by_job"], true);

    // On hold, a new order is not released on credit: it waits for money.
    app.sql(&format!(
        "UPDATE clients SET credit_limit_minor = 500000 WHERE id = '{c}'"
    ))
    .await;
    let o2 = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 2}]}),
        )
        .await;
    let o2 = o2.ok(201).clone();
    assert_eq!(o2["status"], "awaiting_payment");

    // The overdue bill is paid; the next run lifts the hold and releases the waiting order.
    let accountant = app.staff("accountant").await;
    let number = o["invoice"]["number"].as_str().unwrap();
    app.post(
        &accountant,
        "/api/v1/payments",
        json!({"amount": "1000.00", "value_date": "2026-12-03", "payer_inn": INN,
               "payer_name": "Late Payer", "purpose": format!("Оплата по счету № {number}"),
               "bank_reference": "late-1"}),
    )
    .await
    .ok(201);
    let bill = app
        .get(
            &app.admin,
            &format!("/api/v1/invoices/{}", o["invoice"]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(bill.ok(200)["status"], "paid");
    let r = run(app, JobName::CreditHolds, noon(due + Duration::days(6))).await;
    assert_eq!(r.items, 1, "{r:?}");
    assert_eq!(status_of(app, &c).await, "active");
    let o2 = app
        .get(
            &buyer,
            &format!("/api/v1/orders/{}", o2["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(o2.ok(200)["status"], "released");
    // Penalties stop with payment: the paid bill accrues nothing (the new one, released at
    // day 6 on 10 days' terms, is not due yet).
    let r = run(app, JobName::Penalties, noon(due + Duration::days(12))).await;
    assert_eq!(r.items, 0);

    // A hold put by staff stays, whatever the job finds.
    app.patch(
        &director,
        &format!("/api/v1/clients/{c}"),
        json!({"status": "on_hold"}),
    )
    .await
    .ok(200);
    run(app, JobName::CreditHolds, noon(due + Duration::days(31))).await;
    assert_eq!(status_of(app, &c).await, "on_hold");
    assert_eq!(status_of(app, &other).await, "active");
}

async fn reminders_each_level_once(app: &TestApp) {
    set_policy(
        app,
        policy(
            json!({"bp_per_day": 10, "grace_days": 0, "cap_bp": 1000}),
            json!({"after_days_overdue": 20, "when_over_limit": false}),
        ),
    )
    .await;
    let mut p = policy(
        json!({"bp_per_day": 10, "grace_days": 0, "cap_bp": 1000}),
        json!({"after_days_overdue": 20, "when_over_limit": false}),
    );
    p["reminders"] = json!([
        {"offset_days": 14, "template": "final_notice"},
        {"offset_days": -3, "template": "before_due"},
        {"offset_days": 1, "template": "overdue"}
    ]);
    set_policy(app, p).await;
    let (_, _, _, o) = company_with_debt(app).await;
    let due = due_of(&o);
    let number = o["invoice"]["number"].as_str().unwrap().to_string();
    let mut sent_on = Vec::new();
    for day in -5..=20 {
        let now = noon(due + Duration::days(day));
        run(app, JobName::Penalties, now).await;
        let r = run(app, JobName::Dunning, now).await;
        assert_eq!(r.status, RunStatus::Succeeded, "{r:?}");
        if r.items > 0 {
            assert_eq!(r.items, 1);
            sent_on.push(day);
        }
    }
    assert_eq!(sent_on, [-3, 1, 14]);
    let events = app
        .get(&app.admin, "/api/v1/audit?action=invoice.reminder&limit=50")
        .await;
    let items = events.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    let details: Vec<Value> = items
        .iter()
        .map(|e| match &e["details"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            v => v.clone(),
        })
        .collect();
    let templates: Vec<&str> = details
        .iter()
        .map(|d| d["template"].as_str().unwrap())
        .collect();
    assert_eq!(templates, ["before_due", "overdue", "final_notice"]);
    for d in &details {
        assert_eq!(d["invoice"], number.as_str());
        assert!(d["subject"].as_str().unwrap().contains(&number), "{d}");
        let body = d["body"].as_str().unwrap();
        assert!(body.contains("ИНН 7801000005"), "{body}");
        assert!(
            body.contains(&format!("Оплата по счёту № {number}")),
            "{body}"
        );
    }
    assert!(details[1]["subject"]
        .as_str()
        .unwrap()
        .contains("просрочен на 1 дн."));
    // The overdue letter names the penalty rate; the final one the penalty accrued (14 days).
    assert!(
        details[1]["body"].as_str().unwrap().contains("0,1 %"),
        "{}",
        details[1]["body"]
    );
    assert!(
        details[2]["body"].as_str().unwrap().contains("пени: 14.00"),
        "{}",
        details[2]["body"]
    );
    // A re-run of any day sends nothing again.
    let r = run(
        app,
        JobName::Dunning,
        noon(due + Duration::days(14)) + Duration::hours(1),
    )
    .await;
    assert_eq!(r.status, RunStatus::Skipped);
}

async fn early_payment_earns_the_bonus_once(app: &TestApp) {
    let mut p = policy(
        json!({"bp_per_day": 0, "grace_days": 0, "cap_bp": 0}),
        json!({"after_days_overdue": null, "when_over_limit": false}),
    );
    p["advance_bonus"] = json!({"bp": 100, "min_days_before_due": 5, "prepaid_orders": true});
    set_policy(app, p).await;
    let (c, _, _, o) = company_with_debt(app).await;
    let accountant = app.staff("accountant").await;
    let number = o["invoice"]["number"].as_str().unwrap();
    app.post(
        &accountant,
        "/api/v1/payments",
        json!({"amount": "1000.00", "value_date": "2026-12-03", "payer_inn": INN,
               "payer_name": "Early Payer", "purpose": format!("Оплата по счету № {number}"),
               "bank_reference": "early-1"}),
    )
    .await
    .ok(201);
    assert_eq!(balance(app, &c).await, "0.00");
    let now = diaspar::db::now();
    let r = run(app, JobName::AdvanceBonus, now).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 1), "{r:?}");
    assert_eq!(balance(app, &c).await, "10.00");
    let r = run(app, JobName::AdvanceBonus, now + Duration::hours(1)).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 0));
    assert_eq!(balance(app, &c).await, "10.00");
    let audit = app
        .get(
            &app.admin,
            &format!("/api/v1/audit?action=bonus.credited&entity_id={c}"),
        )
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
}

async fn manager_commission_follows_overdue_share(app: &TestApp) {
    // 3 % of the paid turnover, cut by twice the overdue share.
    set_policy(
        app,
        policy(
            json!({"bp_per_day": 0, "grace_days": 0, "cap_bp": 0}),
            json!({"after_days_overdue": null, "when_over_limit": false}),
        ),
    )
    .await;
    let email = format!("m-{}@staff.test", uuid::Uuid::new_v4().simple());
    let m = app
        .post(
            &app.admin,
            "/api/v1/users",
            json!({"email": email, "full_name": "Maria Manager", "role": "manager", "password": PASSWORD}),
        )
        .await;
    let m = m.ok(201)["id"].as_str().unwrap().to_string();
    let (c, buyer, p, a) = company_with_debt(app).await; // A: 1000.00 released
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{c}"),
        json!({"manager_id": m, "credit_limit": "5000.00"}),
    )
    .await
    .ok(200);
    let mut bills = Vec::new();
    for qty in [1, 9] {
        let o = app
            .post(
                &buyer,
                "/api/v1/orders",
                json!({"lines": [{"product_id": p, "quantity": qty}]}),
            )
            .await;
        let o = o.ok(201).clone();
        assert_eq!(o["status"], "released");
        bills.push(o["invoice"]["id"].as_str().unwrap().to_string());
    }
    // B (100.00) is long overdue, C (900.00) not due: 10 % overdue.
    app.sql(&format!(
        "UPDATE invoices SET due_date = '2020-01-01' WHERE id = '{}'",
        bills[0]
    ))
    .await;
    let accountant = app.staff("accountant").await;
    app.post(
        &accountant,
        "/api/v1/payments",
        json!({"amount": "1000.00", "value_date": "2026-12-03", "payer_inn": INN,
               "payer_name": "Late Payer",
               "purpose": format!("Оплата по счету № {}", a["invoice"]["number"].as_str().unwrap()),
               "bank_reference": "commission-1"}),
    )
    .await
    .ok(201);
    let today = diaspar::db::now().date();
    let r = app
        .get(
            &accountant,
            &format!(
                "/api/v1/reports/managers?from={}&to={today}",
                today - Duration::days(30)
            ),
        )
        .await;
    let body = r.ok(200).clone();
    assert_eq!(body["base_bp"], 300);
    let row = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["manager_id"] == m.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["manager_name"], "Maria Manager");
    assert_eq!(row["paid_turnover"], "1000.00");
    assert_eq!(row["open"], "1000.00");
    assert_eq!(row["overdue"], "100.00");
    assert_eq!(row["overdue_share"], "0.1000");
    assert_eq!(row["commission_rate_bp"], "240.00");
    assert_eq!(row["commission"], "24.00");
    let csv = app
        .send(
            app.http
                .get(app.url(&format!(
                    "/api/v1/reports/managers?from={today}&to={today}&format=csv"
                )))
                .bearer_auth(&accountant),
        )
        .await;
    let text = csv.body.as_str().unwrap().to_string();
    assert!(
        text.starts_with("manager_id,manager_name,clients,paid_turnover"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{m},Maria Manager,1,1000.00,1000.00,100.00,0.1000,240.00,24.00"
        )),
        "{text}"
    );
    app.get(
        &buyer,
        &format!("/api/v1/reports/managers?from={today}&to={today}"),
    )
    .await
    .problem(403, "forbidden");
}

/// Every job, every day for a month of time travel (each run twice, as two replicas would):
/// the late payer gets its letters, penalties up to the cap and a hold; the prepaid order that
/// never got its money expires; nothing happens twice.
async fn a_month_of_time_travel(app: &TestApp) {
    let mut p = policy(
        json!({"bp_per_day": 10, "grace_days": 3, "cap_bp": 100}),
        json!({"after_days_overdue": 10, "when_over_limit": false}),
    );
    p["reservation_ttl_hours"] = json!(48);
    set_policy(app, p).await;
    let (c, _, _, o) = company_with_debt(app).await; // 1000.00 released, 10 days' terms
    let waiting = app.company(21).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{waiting}"),
        json!({"credit_limit": "0.00"}),
    )
    .await
    .ok(200);
    let (_, buyer2) = app.client_user(&waiting, "client_buyer").await;
    let p2 = stocked(app, "MONTH-2", "50.00", 4).await;
    let w = app
        .post(
            &buyer2,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p2, "quantity": 4}]}),
        )
        .await;
    let w = w.ok(201).clone();
    assert_eq!(w["status"], "awaiting_payment");
    let start = diaspar::db::now().date();
    let due = due_of(&o);
    let mut held_on = None;
    for day in 0..=30 {
        let now = noon(start + Duration::days(day));
        for job in JobName::ALL {
            let first = run(app, job, now).await;
            assert!(
                matches!(first.status, RunStatus::Succeeded | RunStatus::Skipped),
                "{first:?}"
            );
            let second = run(app, job, now).await;
            assert_eq!(second.status, RunStatus::Skipped, "{second:?}");
        }
        if held_on.is_none() && status_of(app, &c).await == "on_hold" {
            held_on = Some(start + Duration::days(day));
        }
    }
    // Held the 10th day after due; penalties from day 4 after due up to the 1 % cap.
    assert_eq!(held_on, Some(due + Duration::days(10)));
    assert_eq!(balance(app, &c).await, "-1010.00");
    let letters = app
        .get(&app.admin, "/api/v1/audit?action=invoice.reminder&limit=50")
        .await;
    // The two levels of `policy`: before due (day 7) and overdue (day 11), each once.
    assert_eq!(letters.ok(200)["items"].as_array().unwrap().len(), 2);
    let w = app
        .get(
            &buyer2,
            &format!("/api/v1/orders/{}", w["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(w.ok(200)["status"], "expired");
    let stock = app.get(&app.admin, &format!("/api/v1/products/{p2}")).await;
    assert_eq!(stock.ok(200)["stock"]["reserved"], 0);
}
