//! The in-process jobs: reservation expiry by time travel, leases (one run per period, across
//! racing schedulers and crashed holders), interrupted runs completed without repeats,
//! housekeeping, and the jobs API.
use crate::both_backends;
use crate::helpers::run_job as run;
use crate::helpers::*;
use chrono::{Duration, NaiveDateTime};
use diaspar::scheduler::model::{JobName, JobRunView, RunStatus};
use serde_json::{json, Value};

both_backends!(
    unpaid_reservations_expire_and_stock_returns,
    interrupted_run_is_completed_without_repeats,
    racing_runs_do_a_period_once,
    a_crashed_holder_is_taken_over,
    housekeeping_purges_old_keys,
    jobs_api,
);

fn at(v: &Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .naive_utc()
}

/// A company with no credit, a product with 10 in stock at 100.00, and `n` orders of 2 units
/// awaiting payment; returns (buyer token, product id, orders).
async fn waiting_orders(app: &TestApp, seed: u32, n: usize) -> (String, String, Vec<Value>) {
    let c = app.company(seed).await;
    app.patch(
        &app.admin,
        &format!("/api/v1/clients/{c}"),
        json!({"credit_limit": "0.00"}),
    )
    .await
    .ok(200);
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, &format!("EXP-{seed}"), "100.00", 10).await;
    let mut orders = Vec::new();
    for _ in 0..n {
        let o = app
            .post(
                &buyer,
                "/api/v1/orders",
                json!({"lines": [{"product_id": p, "quantity": 2}]}),
            )
            .await;
        let o = o.ok(201).clone();
        assert_eq!(o["status"], "awaiting_payment");
        orders.push(o);
    }
    (buyer, p, orders)
}

async fn stock(app: &TestApp, id: &str) -> (i64, i64) {
    let p = app.get(&app.admin, &format!("/api/v1/products/{id}")).await;
    let s = &p.ok(200)["stock"];
    (
        s["on_hand"].as_i64().unwrap(),
        s["reserved"].as_i64().unwrap(),
    )
}

async fn expired_events(app: &TestApp) -> usize {
    let r = app
        .get(&app.admin, "/api/v1/audit?action=order.expired&limit=200")
        .await;
    r.ok(200)["items"].as_array().unwrap().len()
}

async fn unpaid_reservations_expire_and_stock_returns(app: &TestApp) {
    let (buyer, p, orders) = waiting_orders(app, 1, 2).await;
    assert_eq!(stock(app, &p).await, (10, 4));
    let until = at(&orders[0]["reserved_until"]);

    // Before the reservation runs out nothing happens.
    let r = run(
        app,
        JobName::ReservationExpiry,
        until - Duration::minutes(1),
        None,
    )
    .await;
    assert_eq!(r.status, RunStatus::Succeeded);
    assert_eq!(r.items, 0);
    assert_eq!(stock(app, &p).await, (10, 4));

    // After it, both expire: stock back, bills void, the client sees it.
    let later = until + Duration::minutes(5);
    let r = run(app, JobName::ReservationExpiry, later, None).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 2), "{r:?}");
    assert_eq!(r.period, later.format("%Y-%m-%dT%H:%M").to_string());
    assert_eq!(stock(app, &p).await, (10, 0));
    for o in &orders {
        let id = o["id"].as_str().unwrap();
        let got = app.get(&buyer, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(got.ok(200)["status"], "expired");
        let inv = o["invoice"]["id"].as_str().unwrap();
        let bill = app.get(&buyer, &format!("/api/v1/invoices/{inv}")).await;
        assert_eq!(bill.ok(200)["status"], "void");
        // The domain event the notifications will deliver.
        let ev = app
            .get(&app.admin, &format!("/api/v1/events?entity_id={id}"))
            .await;
        let kinds: Vec<String> = ev.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(kinds.iter().any(|k| k == "order.expired"), "{kinds:?}");
        // An expired order cannot be cancelled or picked up.
        app.post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
            .await
            .problem(409, "invalid_transition");
    }
    assert_eq!(expired_events(app).await, 2);

    // The same period again: skipped, nothing repeated; the next minute finds nothing.
    let again = run(app, JobName::ReservationExpiry, later, None).await;
    assert_eq!(again.status, RunStatus::Skipped);
    assert!(again.message.unwrap().contains("was done by run"));
    let next = run(
        app,
        JobName::ReservationExpiry,
        later + Duration::minutes(1),
        None,
    )
    .await;
    assert_eq!((next.status, next.items), (RunStatus::Succeeded, 0));
    assert_eq!(expired_events(app).await, 2);

    // A paid or released order is never expired: a new order released on an advance.
    let c2 = app.company(2).await; // credit 1000.00
    let (_, buyer2) = app.client_user(&c2, "client_buyer").await;
    let o = app
        .post(
            &buyer2,
            "/api/v1/orders",
            json!({"lines": [{"product_id": p, "quantity": 1}]}),
        )
        .await;
    assert_eq!(o.ok(201)["status"], "released");
    let r = run(
        app,
        JobName::ReservationExpiry,
        later + Duration::days(30),
        None,
    )
    .await;
    assert_eq!(r.items, 0);
    assert_eq!(stock(app, &p).await, (10, 1));
}

async fn interrupted_run_is_completed_without_repeats(app: &TestApp) {
    let (_, p, orders) = waiting_orders(app, 3, 3).await;
    let later = at(&orders[2]["reserved_until"]) + Duration::minutes(1);
    // The run dies after 2 orders: what it did stays done, the period is given back.
    let r = run(app, JobName::ReservationExpiry, later, Some(2)).await;
    assert_eq!(r.status, RunStatus::Failed, "{r:?}");
    assert_eq!(r.items, 2);
    assert_eq!(stock(app, &p).await, (10, 2));
    assert_eq!(expired_events(app).await, 2);
    // The next run of the same period completes it, with the third order only.
    let r = run(app, JobName::ReservationExpiry, later, None).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 1), "{r:?}");
    assert_eq!(stock(app, &p).await, (10, 0));
    assert_eq!(expired_events(app).await, 3);
}

async fn racing_runs_do_a_period_once(app: &TestApp) {
    let (_, p, orders) = waiting_orders(app, 4, 4).await;
    let later = at(&orders[3]["reserved_until"]) + Duration::minutes(1);
    // Eight schedulers (threads with their own connections) fire the same period at once.
    let runs = futures_util::future::join_all(
        (0..8).map(|_| run(app, JobName::ReservationExpiry, later, None)),
    )
    .await;
    let done: Vec<&JobRunView> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .collect();
    assert_eq!(done.len(), 1, "{runs:?}");
    assert_eq!(done[0].items, 4);
    assert!(runs
        .iter()
        .all(|r| matches!(r.status, RunStatus::Succeeded | RunStatus::Skipped)));
    assert_eq!(stock(app, &p).await, (10, 0));
    assert_eq!(expired_events(app).await, 4);
}

async fn a_crashed_holder_is_taken_over(app: &TestApp) {
    let (_, p, orders) = waiting_orders(app, 5, 1).await;
    let later = at(&orders[0]["reserved_until"]) + Duration::minutes(1);
    let period = JobName::ReservationExpiry.period(later);
    // Another process took the period and died: its lease is still live…
    app.sql(&format!(
        "INSERT INTO job_leases (job, period, owner, run_id, expires_at, done_at) VALUES \
         ('reservation_expiry', '{period}', 'dead-host:1:x', 'run-of-the-dead', '2999-01-01 00:00:00', NULL)"
    ))
    .await;
    let r = run(app, JobName::ReservationExpiry, later, None).await;
    assert_eq!(r.status, RunStatus::Skipped);
    assert!(r
        .message
        .unwrap()
        .contains("is being done by run run-of-the-dead"));
    assert_eq!(stock(app, &p).await, (10, 2));
    // …until it expires; then the next run takes the period over and does it.
    app.sql(&format!(
        "UPDATE job_leases SET expires_at = '2000-01-01 00:00:00' WHERE period = '{period}'"
    ))
    .await;
    let r = run(app, JobName::ReservationExpiry, later, None).await;
    assert_eq!((r.status, r.items), (RunStatus::Succeeded, 1), "{r:?}");
    assert_eq!(stock(app, &p).await, (10, 0));
}

async fn housekeeping_purges_old_keys(app: &TestApp) {
    let c = app.company(6).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "HK-1", "10.00", 10).await;
    for key in ["old-key", "new-key"] {
        app.send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", key)
                .json(&json!({"lines": [{"product_id": p, "quantity": 1}]})),
        )
        .await
        .ok(201);
    }
    let now = diaspar::db::now();
    app.sql(&format!(
        "UPDATE idempotency_keys SET created_at = '{}' WHERE idem_key = 'old-key'",
        (now - Duration::days(8)).format("%Y-%m-%d %H:%M:%S")
    ))
    .await;
    let r = run(app, JobName::Housekeeping, now, None).await;
    assert_eq!(r.status, RunStatus::Succeeded, "{r:?}");
    assert!(r.items >= 1);
    // The old key is gone (a retry makes a new order), the new one still replays.
    let replay = app
        .send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", "new-key")
                .json(&json!({"lines": [{"product_id": p, "quantity": 1}]})),
        )
        .await;
    assert_eq!(replay.ok(201).clone()["status"], "released");
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let fresh = app
        .send(
            app.http
                .post(app.url("/api/v1/orders"))
                .bearer_auth(&buyer)
                .header("Idempotency-Key", "old-key")
                .json(&json!({"lines": [{"product_id": p, "quantity": 1}]})),
        )
        .await;
    assert!(fresh.headers.get("idempotent-replayed").is_none());
    assert_eq!(stock(app, &p).await.1, 3);
}

async fn jobs_api(app: &TestApp) {
    let director = app.staff("director").await;
    let jobs = app.get(&director, "/api/v1/jobs").await;
    let jobs = jobs.ok(200).as_array().unwrap().clone();
    let names: Vec<&str> = jobs.iter().map(|j| j["name"].as_str().unwrap()).collect();
    let all: Vec<&str> = JobName::ALL.iter().map(|j| j.as_str()).collect();
    assert_eq!(names, all);
    assert!(names.contains(&"reservation_expiry") && names.contains(&"housekeeping"));
    assert!(jobs
        .iter()
        .all(|j| j["schedule"].is_null() && j["last_run"].is_null()));

    let r = app
        .post(&app.admin, "/api/v1/jobs/reservation_expiry/run", json!({}))
        .await;
    let body = r.ok(200).clone();
    assert_eq!(body["job"], "reservation_expiry");
    assert_eq!(body["trigger"], "manual");
    assert!(matches!(
        body["status"].as_str(),
        Some("succeeded" | "skipped")
    ));
    let jobs = app.get(&director, "/api/v1/jobs").await;
    assert_eq!(jobs.ok(200)[0]["last_run"]["id"], body["id"]);

    run(app, JobName::Housekeeping, diaspar::db::now(), None).await;
    let runs = app.get(&director, "/api/v1/jobs/runs?limit=1").await;
    let page = runs.ok(200).clone();
    assert_eq!(page["items"][0]["job"], "housekeeping", "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &director,
            &format!("/api/v1/jobs/runs?limit=1&after={cursor}"),
        )
        .await;
    assert_eq!(next.ok(200)["items"][0]["id"], body["id"]);
    let only = app
        .get(
            &director,
            "/api/v1/jobs/runs?job=reservation_expiry&status=succeeded",
        )
        .await;
    assert!(only.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["job"] == "reservation_expiry" && r["status"] == "succeeded"));

    app.post(&app.admin, "/api/v1/jobs/nonsense/run", json!({}))
        .await
        .problem(404, "not_found");
    app.get(&director, "/api/v1/jobs/runs?job=nonsense")
        .await
        .problem(400, "invalid_query");
    let c = app.company(9).await;
    let (_, client_admin) = app.client_user(&c, "client_admin").await;
    app.get(&client_admin, "/api/v1/jobs")
        .await
        .problem(403, "forbidden");
    let manager = app.staff("manager").await;
    app.post(&manager, "/api/v1/jobs/housekeeping/run", json!({}))
        .await
        .problem(403, "forbidden");
}
