//! Receivables reports: `GET /api/v1/reports/aging`, `/reports/turnover`, `/reports/debtors`.
use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

both_backends!(
    aging_buckets_at_the_kopeck,
    aging_pages_and_csv,
    debtors_by_overdue_amount,
    turnover_of_a_period_with_a_cancelled_order,
    reports_are_for_staff,
    bad_report_queries,
);

/// A staff manager; returns the user id.
async fn manager(app: &TestApp, full_name: &str) -> String {
    let email = format!("m-{}@staff.test", uuid::Uuid::new_v4().simple());
    app.post(
        &app.admin,
        "/api/v1/users",
        json!({"email": email, "full_name": full_name, "role": "manager", "password": PASSWORD}),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A company with this name and manager, 10 days' terms; returns (id, INN).
async fn company(
    app: &TestApp,
    seed: u32,
    name: &str,
    credit: &str,
    manager_id: Option<&str>,
) -> (String, String) {
    let inn = diaspar::demo::inn10(&format!("{:09}", 771_000_000 + seed));
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({"name": name, "inn": inn, "kpp": "770101001", "legal_address": "Moscow",
                   "email": format!("r{seed}@example.com"), "credit_limit": credit,
                   "payment_terms_days": 10, "manager_id": manager_id}),
        )
        .await;
    (r.ok(201)["id"].as_str().unwrap().to_string(), inn)
}

/// Places an order of `qty` × `sku`; returns it.
async fn order(app: &TestApp, buyer: &str, sku: &str, qty: i64) -> Value {
    app.post(
        buyer,
        "/api/v1/orders",
        json!({"lines": [{"sku": sku, "quantity": qty}]}),
    )
    .await
    .ok(201)
    .clone()
}

/// Moves the order's bill to be due `days` before `as_of` (negative: after).
async fn due_days_ago(app: &TestApp, o: &Value, as_of: NaiveDate, days: i64) {
    let due = as_of - Duration::days(days);
    let id = o["invoice"]["id"].as_str().unwrap();
    app.sql(&format!(
        "UPDATE invoices SET due_date = '{due}' WHERE id = '{id}'"
    ))
    .await;
}

/// A payment from `inn` naming the bill of `o`.
async fn pay(app: &TestApp, accountant: &str, inn: &str, amount: &str, o: &Value, reference: &str) {
    let number = o["invoice"]["number"].as_str().unwrap();
    app.post(
        accountant,
        "/api/v1/payments",
        json!({"amount": amount, "value_date": "2026-12-03", "payer_inn": inn,
               "payer_name": "ООО Плательщик", "purpose": format!("Оплата по счёту {number}"),
               "bank_reference": reference}),
    )
    .await
    .ok(201);
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The fixture of the aging and debtors scenarios, aged at `as_of`:
/// - A (manager M1, "Alpha"): 1234.56 due at as_of (not due), 199.98 due 1 day ago and
///   1234.56 due 30 days ago (1–30), 99.99 due 31 days ago with 50.00 paid (31–60: 49.99),
///   3703.68 due 91 days ago (90+); a released order cancelled later (its bill is void).
/// - B (no manager, `Beta, "Best" LLC`): 99.99 due 60 days ago (31–60), 1234.56 due 61 and
///   1234.56 due 90 days ago (61–90).
/// - C (manager M2): 99.99 fully paid, 99.99 not due.
/// - D (no credit): an order waiting for payment, its bill "due" long ago: not a receivable.
struct Fixture {
    as_of: NaiveDate,
    a: String,
    b: String,
    c: String,
    b_inn: String,
    m1: String,
    m2: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let as_of = today();
    let accountant = app.staff("accountant").await;
    let m1 = manager(app, "Maria Manager").await;
    let m2 = manager(app, "Ivan Manager").await;
    let (a, a_inn) = company(app, 1, "Alpha", "100000.00", Some(&m1)).await;
    let (b, b_inn) = company(app, 2, "Beta, \"Best\" LLC", "100000.00", None).await;
    let (c, c_inn) = company(app, 3, "Gamma", "100000.00", Some(&m2)).await;
    let (d, _) = company(app, 4, "Delta", "0.00", None).await;
    stocked(app, "AG-1", "1234.56", 1000).await;
    stocked(app, "AG-2", "99.99", 1000).await;

    let (_, buyer) = app.client_user(&a, "client_buyer").await;
    let o = order(app, &buyer, "AG-1", 1).await;
    assert_eq!(o["status"], "released");
    due_days_ago(app, &o, as_of, 0).await;
    let o = order(app, &buyer, "AG-2", 2).await;
    assert_eq!(o["total"], "199.98");
    due_days_ago(app, &o, as_of, 1).await;
    let o = order(app, &buyer, "AG-1", 1).await;
    due_days_ago(app, &o, as_of, 30).await;
    let o = order(app, &buyer, "AG-2", 1).await;
    due_days_ago(app, &o, as_of, 31).await;
    pay(app, &accountant, &a_inn, "50.00", &o, "ref-a-1").await;
    let o = order(app, &buyer, "AG-1", 3).await;
    assert_eq!(o["total"], "3703.68");
    due_days_ago(app, &o, as_of, 91).await;
    let o = order(app, &buyer, "AG-1", 2).await;
    due_days_ago(app, &o, as_of, 45).await;
    let id = o["id"].as_str().unwrap();
    let r = app
        .post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
        .await;
    assert_eq!(r.ok(200)["invoice"]["status"], "void");

    let (_, buyer) = app.client_user(&b, "client_buyer").await;
    for (sku, days) in [("AG-2", 60), ("AG-1", 61), ("AG-1", 90)] {
        let o = order(app, &buyer, sku, 1).await;
        due_days_ago(app, &o, as_of, days).await;
    }

    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let o = order(app, &buyer, "AG-2", 1).await;
    due_days_ago(app, &o, as_of, 100).await;
    pay(app, &accountant, &c_inn, "99.99", &o, "ref-c-1").await;
    let o = order(app, &buyer, "AG-2", 1).await;
    due_days_ago(app, &o, as_of, -5).await;

    let (_, buyer) = app.client_user(&d, "client_buyer").await;
    let o = order(app, &buyer, "AG-2", 1).await;
    assert_eq!(o["status"], "awaiting_payment");
    due_days_ago(app, &o, as_of, 200).await;

    Fixture {
        as_of,
        a,
        b,
        c,
        b_inn,
        m1,
        m2,
    }
}

/// The buckets of a row: [not_due, d1_30, d31_60, d61_90, d90_plus, total].
fn buckets(row: &Value) -> [&str; 6] {
    ["not_due", "d1_30", "d31_60", "d61_90", "d90_plus", "total"]
        .map(|k| row[k].as_str().unwrap_or_else(|| panic!("{k} in {row}")))
}

async fn aging_buckets_at_the_kopeck(app: &TestApp) {
    let f = fixture(app).await;
    let director = app.staff("director").await;
    let as_of = f.as_of;

    // Total: one row.
    let r = app
        .get(
            &director,
            &format!("/api/v1/reports/aging?as_of={as_of}&group_by=total"),
        )
        .await;
    let body = r.ok(200);
    assert_eq!(body["as_of"], as_of.to_string());
    assert_eq!(body["group_by"], "total");
    assert_eq!(body["next_cursor"], Value::Null);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        buckets(&items[0]),
        ["1334.55", "1434.54", "149.98", "2469.12", "3703.68", "9091.87"]
    );
    assert_eq!(items[0]["clients"], 3);
    assert_eq!(items[0]["open_invoices"], 9);
    assert_eq!(items[0]["client_id"], Value::Null);

    // Per client (the default grouping), ordered by client id.
    let r = app
        .get(&director, &format!("/api/v1/reports/aging?as_of={as_of}"))
        .await;
    let body = r.ok(200);
    assert_eq!(body["group_by"], "client");
    let items = body["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|r| r["client_id"].as_str().unwrap())
        .collect();
    let mut sorted = vec![f.a.as_str(), f.b.as_str(), f.c.as_str()];
    sorted.sort();
    assert_eq!(ids, sorted, "D's waiting bill is not a receivable");
    let row = |id: &str| items.iter().find(|r| r["client_id"] == id).unwrap().clone();
    let a = row(&f.a);
    assert_eq!(
        buckets(&a),
        ["1234.56", "1434.54", "49.99", "0.00", "3703.68", "6422.77"]
    );
    assert_eq!(a["client_name"], "Alpha");
    assert_eq!(a["manager_id"], f.m1.as_str());
    assert_eq!(a["manager_name"], "Maria Manager");
    assert_eq!(a["open_invoices"], 5);
    let b = row(&f.b);
    assert_eq!(
        buckets(&b),
        ["0.00", "0.00", "99.99", "2469.12", "0.00", "2569.11"]
    );
    assert_eq!(b["inn"], f.b_inn.as_str());
    assert_eq!(b["manager_id"], Value::Null);
    let c = row(&f.c);
    assert_eq!(
        buckets(&c),
        ["99.99", "0.00", "0.00", "0.00", "0.00", "99.99"]
    );

    // Per manager: clients without a manager first, then by manager id.
    let r = app
        .get(
            &director,
            &format!("/api/v1/reports/aging?as_of={as_of}&group_by=manager"),
        )
        .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0]["manager_id"], Value::Null);
    assert_eq!(items[0]["manager_name"], Value::Null);
    assert_eq!(buckets(&items[0]), buckets(&b));
    let mut managers = [f.m1.as_str(), f.m2.as_str()];
    managers.sort();
    assert_eq!(items[1]["manager_id"], managers[0]);
    assert_eq!(items[2]["manager_id"], managers[1]);
    let m1 = items
        .iter()
        .find(|r| r["manager_id"] == f.m1.as_str())
        .unwrap();
    assert_eq!(buckets(m1), buckets(&a));
    assert_eq!(m1["manager_name"], "Maria Manager");
    assert_eq!(m1["clients"], 1);
    let m2 = items
        .iter()
        .find(|r| r["manager_id"] == f.m2.as_str())
        .unwrap();
    assert_eq!(buckets(m2), buckets(&c));

    // Aged 31 days later, A's bill due at as_of moves to 31–60 and the 90-day one of B to 90+.
    let later = as_of + Duration::days(31);
    let r = app
        .get(
            &director,
            &format!("/api/v1/reports/aging?as_of={later}&group_by=total"),
        )
        .await;
    // 1–30: C's 99.99 (26 days). 31–60: A's 1234.56 (31) + 199.98 (32). 61–90: A's 1234.56
    // (61) + 49.99 (62). 90+: A's 3703.68 (122) + B's 99.99 (91), 1234.56 (92), 1234.56 (121).
    assert_eq!(
        buckets(&r.ok(200)["items"][0]),
        ["0.00", "99.99", "1434.54", "1284.55", "6272.79", "9091.87"]
    );
}

async fn aging_pages_and_csv(app: &TestApp) {
    let f = fixture(app).await;
    let accountant = app.staff("accountant").await;
    let as_of = f.as_of;
    let mut sorted = [f.a.clone(), f.b.clone(), f.c.clone()];
    sorted.sort();

    // Clients two at a time.
    let base = format!("/api/v1/reports/aging?as_of={as_of}&group_by=client&limit=2");
    let first = app.get(&accountant, &base).await;
    let first = first.ok(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, sorted[1]);
    let second = app
        .get(&accountant, &format!("{base}&after={cursor}"))
        .await;
    let second = second.ok(200);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["client_id"], sorted[2].as_str());
    assert_eq!(second["next_cursor"], Value::Null);

    // Managers one at a time: the row without a manager has the cursor "none".
    let base = format!("/api/v1/reports/aging?as_of={as_of}&group_by=manager&limit=1");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("{base}&after={a}"),
            None => base.clone(),
        };
        let r = app.get(&accountant, &path).await;
        let body = r.ok(200).clone();
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
        seen.push(body["items"][0]["manager_id"].clone());
        match body["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
        if seen.len() == 1 {
            assert_eq!(after.as_deref(), Some("none"));
        }
        assert!(seen.len() < 5, "paging does not end: {seen:?}");
    }
    let mut managers = [f.m1.clone(), f.m2.clone()];
    managers.sort();
    assert_eq!(
        seen,
        vec![
            Value::Null,
            Value::String(managers[0].clone()),
            Value::String(managers[1].clone())
        ]
    );

    // CSV: header, rows, RFC 4180 quoting, an attachment named by the date.
    let r = app
        .get(
            &accountant,
            &format!("/api/v1/reports/aging?as_of={as_of}&format=csv"),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        r.headers["content-disposition"],
        format!("attachment; filename=\"aging-{as_of}.csv\"").as_str()
    );
    let csv = r.body.as_str().unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 5, "header, 3 rows and the final CRLF: {csv:?}");
    assert_eq!(
        lines[0],
        "client_id,client_name,inn,manager_id,manager_name,open_invoices,not_due,d1_30,d31_60,d61_90,d90_plus,total"
    );
    assert_eq!(lines[4], "");
    let line = |id: &str| *lines.iter().find(|l| l.starts_with(id)).unwrap();
    assert_eq!(
        line(&f.b),
        format!(
            "{},\"Beta, \"\"Best\"\" LLC\",{},,,3,0.00,0.00,99.99,2469.12,0.00,2569.11",
            f.b, f.b_inn
        )
    );
    assert!(line(&f.a).ends_with(&format!(
        ",Alpha,{},{},Maria Manager,5,1234.56,1434.54,49.99,0.00,3703.68,6422.77",
        line(&f.a).split(',').nth(2).unwrap(),
        f.m1
    )));
    assert_eq!(
        lines
            .iter()
            .skip(1)
            .take(3)
            .map(|l| &l[..36])
            .collect::<Vec<_>>(),
        sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );

    // A CSV page tells the next cursor in a header.
    let r = app
        .get(
            &accountant,
            &format!("/api/v1/reports/aging?as_of={as_of}&format=csv&limit=1"),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.headers["x-next-cursor"], sorted[0].as_str());
    assert_eq!(r.body.as_str().unwrap().split("\r\n").count(), 3);

    // The total as CSV.
    let r = app
        .get(
            &accountant,
            &format!("/api/v1/reports/aging?as_of={as_of}&group_by=total&format=csv"),
        )
        .await;
    assert_eq!(
        r.body.as_str().unwrap(),
        format!(
            "as_of,clients,open_invoices,not_due,d1_30,d31_60,d61_90,d90_plus,total\r\n\
             {as_of},3,9,1334.55,1434.54,149.98,2469.12,3703.68,9091.87\r\n"
        )
    );
}

async fn debtors_by_overdue_amount(app: &TestApp) {
    let f = fixture(app).await;
    let manager = app.staff("manager").await;
    let as_of = f.as_of;
    let r = app
        .get(&manager, &format!("/api/v1/reports/debtors?as_of={as_of}"))
        .await;
    let body = r.ok(200);
    assert_eq!(body["as_of"], as_of.to_string());
    let items = body["items"].as_array().unwrap();
    // C's only open bill is not due yet; D has no receivable.
    assert_eq!(items.len(), 2, "{items:?}");
    let a = &items[0];
    assert_eq!(a["client_id"], f.a.as_str());
    assert_eq!(a["overdue"], "5188.21"); // 1434.54 + 49.99 + 3703.68
    assert_eq!(a["overdue_invoices"], 4);
    assert_eq!(
        a["oldest_due_date"],
        (as_of - Duration::days(91)).to_string()
    );
    assert_eq!(a["days_overdue"], 91);
    assert_eq!(a["debt"], "6422.77");
    assert_eq!(a["balance"], "-6422.77");
    assert_eq!(a["credit_limit"], "100000.00");
    assert_eq!(a["manager_name"], "Maria Manager");
    assert_eq!(a["status"], "active");
    let b = &items[1];
    assert_eq!(b["client_id"], f.b.as_str());
    assert_eq!(b["overdue"], "2569.11");
    assert_eq!(b["days_overdue"], 90);
    assert_eq!(b["debt"], "2569.11");

    // limit=1: only the largest.
    let r = app
        .get(
            &manager,
            &format!("/api/v1/reports/debtors?as_of={as_of}&limit=1"),
        )
        .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["client_id"], f.a.as_str());

    // A pays 5000.00 without naming a bill: now B has more overdue than A.
    let accountant = app.staff("accountant").await;
    let inn = app
        .get(&app.admin, &format!("/api/v1/clients/{}", f.a))
        .await
        .ok(200)["inn"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &accountant,
        "/api/v1/payments",
        json!({"amount": "5000.00", "value_date": "2026-12-03", "payer_inn": inn,
               "payer_name": "ООО Плательщик", "purpose": "Оплата", "bank_reference": "ref-a-2"}),
    )
    .await
    .ok(201);
    let r = app
        .get(
            &manager,
            &format!("/api/v1/reports/debtors?as_of={as_of}&format=csv"),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        r.headers["content-disposition"],
        format!("attachment; filename=\"debtors-{as_of}.csv\"").as_str()
    );
    let csv = r.body.as_str().unwrap().to_string();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "client_id,client_name,inn,manager_id,manager_name,status,overdue,overdue_invoices,oldest_due_date,days_overdue,debt,credit_limit,balance"
    );
    assert_eq!(
        lines[1],
        format!(
            "{},\"Beta, \"\"Best\"\" LLC\",{},,,active,2569.11,3,{},90,2569.11,100000.00,-2569.11",
            f.b,
            f.b_inn,
            as_of - Duration::days(90)
        )
    );
    assert!(lines[2].starts_with(&f.a), "{csv}");
    // A still owes 1422.77 in all; its overdue part is below B's.
    assert!(lines[2].contains(",1422.77,100000.00,-1422.77"), "{csv}");
    assert_eq!(lines.len(), 4, "{csv}");
}

async fn turnover_of_a_period_with_a_cancelled_order(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let m = manager(app, "Olga Manager").await;
    let (t, t_inn) = company(app, 11, "Turnover, Ltd", "10000.00", Some(&m)).await;
    let (u, _) = company(app, 12, "Other", "10000.00", None).await;
    stocked(app, "TO-1", "100.00", 100).await;
    stocked(app, "TO-2", "0.55", 100).await;
    let (_, buyer) = app.client_user(&t, "client_buyer").await;
    let kept = order(app, &buyer, "TO-1", 3).await; // 300.00
    let cancelled = order(app, &buyer, "TO-2", 7).await; // 3.85
    assert_eq!(cancelled["status"], "released");
    let id = cancelled["id"].as_str().unwrap();
    app.post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
        .await
        .ok(200);
    pay(app, &accountant, &t_inn, "120.50", &kept, "ref-t-1").await;
    let (_, buyer_u) = app.client_user(&u, "client_buyer").await;
    order(app, &buyer_u, "TO-2", 1).await; // 0.55

    let (from, to) = (today() - Duration::days(1), today() + Duration::days(1));
    let logistician = app.staff("logistician").await;
    let path = format!("/api/v1/reports/turnover?from={from}&to={to}");
    let r = app.get(&logistician, &path).await;
    let body = r.ok(200);
    assert_eq!(body["from"], from.to_string());
    assert_eq!(body["to"], to.to_string());
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    let row = items.iter().find(|r| r["client_id"] == t.as_str()).unwrap();
    assert_eq!(row["shipped"], "300.00"); // 300.00 + 3.85 − 3.85
    assert_eq!(row["payments"], "120.50");
    assert_eq!(row["released_orders"], 2);
    assert_eq!(row["reversed_orders"], 1);
    assert_eq!(row["client_name"], "Turnover, Ltd");
    assert_eq!(row["manager_id"], m.as_str());
    assert_eq!(row["manager_name"], "Olga Manager");
    let other = items.iter().find(|r| r["client_id"] == u.as_str()).unwrap();
    assert_eq!(other["shipped"], "0.55");
    assert_eq!(other["payments"], "0.00");
    assert_eq!(other["released_orders"], 1);

    // One client; pages of one.
    let r = app
        .get(&logistician, &format!("{path}&client_id={u}"))
        .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["client_id"], u.as_str());
    let mut sorted = [t.clone(), u.clone()];
    sorted.sort();
    let r = app.get(&logistician, &format!("{path}&limit=1")).await;
    assert_eq!(r.ok(200)["items"][0]["client_id"], sorted[0].as_str());
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = app
        .get(&logistician, &format!("{path}&limit=1&after={cursor}"))
        .await;
    assert_eq!(r.ok(200)["items"][0]["client_id"], sorted[1].as_str());
    assert_eq!(r.body["next_cursor"], Value::Null);

    // A period before any of it is empty.
    let r = app
        .get(
            &logistician,
            "/api/v1/reports/turnover?from=2020-01-01&to=2020-12-31",
        )
        .await;
    assert_eq!(r.ok(200)["items"], json!([]));

    // CSV.
    let r = app
        .get(&logistician, &format!("{path}&client_id={t}&format=csv"))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    assert_eq!(
        r.headers["content-disposition"],
        format!("attachment; filename=\"turnover-{from}-{to}.csv\"").as_str()
    );
    assert_eq!(
        r.body.as_str().unwrap(),
        format!(
            "client_id,client_name,inn,manager_id,manager_name,shipped,payments,released_orders,reversed_orders\r\n\
             {t},\"Turnover, Ltd\",{t_inn},{m},Olga Manager,300.00,120.50,2,1\r\n"
        )
    );
}

async fn reports_are_for_staff(app: &TestApp) {
    let (c, _) = company(app, 21, "Client Co", "100.00", None).await;
    for role in ["client_admin", "client_buyer", "client_accountant"] {
        let (_, token) = app.client_user(&c, role).await;
        for path in [
            "/api/v1/reports/aging",
            "/api/v1/reports/aging?group_by=total&format=csv",
            "/api/v1/reports/turnover?from=2026-01-01&to=2026-01-31",
            "/api/v1/reports/debtors",
        ] {
            app.get(&token, path).await.problem(403, "forbidden");
        }
    }
    for role in ["manager", "director", "accountant", "logistician", "admin"] {
        let token = app.staff(role).await;
        for path in [
            "/api/v1/reports/aging",
            "/api/v1/reports/turnover?from=2026-01-01&to=2026-01-31",
            "/api/v1/reports/debtors",
        ] {
            let r = app.get(&token, path).await;
            assert_eq!(r.status.as_u16(), 200, "{role} {path}: {r:?}");
        }
    }
    // Empty database: the total is one row of zeros, the lists are empty.
    let r = app
        .get(&app.admin, "/api/v1/reports/aging?group_by=total")
        .await;
    let body = r.ok(200);
    assert_eq!(body["as_of"], today().to_string());
    assert_eq!(
        buckets(&body["items"][0]),
        ["0.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    );
    assert_eq!(body["items"][0]["clients"], 0);
    let r = app.get(&app.admin, "/api/v1/reports/debtors").await;
    assert_eq!(r.ok(200)["items"], json!([]));
    app.get("not-a-token", "/api/v1/reports/aging")
        .await
        .problem(401, "invalid_token");
}

fn fields(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(f: &str, c: &str) -> (String, String) {
    (f.to_string(), c.to_string())
}

async fn bad_report_queries(app: &TestApp) {
    let t = app.staff("director").await;
    let get = |path: &'static str| app.get(&t, path);

    let r = get("/api/v1/reports/turnover").await;
    r.problem(422, "validation_failed");
    assert_eq!(
        fields(&r),
        [pair("from", "required"), pair("to", "required")]
    );
    let r = get("/api/v1/reports/turnover?from=2026-12-02&to=2026-12-01").await;
    r.problem(422, "validation_failed");
    assert_eq!(fields(&r), [pair("to", "before_from")]);
    let r = get("/api/v1/reports/turnover?from=2023-01-01&to=2026-01-01").await;
    r.problem(422, "validation_failed");
    assert_eq!(fields(&r), [pair("to", "period_too_long")]);
    get("/api/v1/reports/turnover?from=2023-01-01&to=2025-12-31")
        .await
        .ok(200);
    let r = get("/api/v1/reports/turnover?from=1900-01-01").await;
    r.problem(422, "validation_failed");
    assert_eq!(
        fields(&r),
        [pair("from", "out_of_range"), pair("to", "required")]
    );
    get("/api/v1/reports/turnover?from=2026-01-01&to=2026-01-31&limit=0")
        .await
        .problem(422, "validation_failed");
    // Not a date at all, or an unknown value: a malformed query.
    get("/api/v1/reports/turnover?from=2026-02-30&to=2026-03-01")
        .await
        .problem(400, "invalid_query");

    let r = get("/api/v1/reports/aging?as_of=1969-12-31").await;
    r.problem(422, "validation_failed");
    assert_eq!(fields(&r), [pair("as_of", "out_of_range")]);
    let r = get("/api/v1/reports/aging?limit=201").await;
    r.problem(422, "validation_failed");
    assert_eq!(fields(&r), [pair("limit", "out_of_range")]);
    get("/api/v1/reports/aging?as_of=yesterday")
        .await
        .problem(400, "invalid_query");
    get("/api/v1/reports/aging?group_by=week")
        .await
        .problem(400, "invalid_query");
    get("/api/v1/reports/aging?format=xml")
        .await
        .problem(400, "invalid_query");

    let r = get("/api/v1/reports/debtors?limit=0").await;
    r.problem(422, "validation_failed");
    assert_eq!(fields(&r), [pair("limit", "out_of_range")]);
    get("/api/v1/reports/debtors?limit=201")
        .await
        .problem(422, "validation_failed");
    get("/api/v1/reports/debtors?limit=200").await.ok(200);
    get("/api/v1/reports/debtors?as_of=9999-12-31")
        .await
        .problem(422, "validation_failed");
}
