//! The payment bill as an HTML document: `GET /api/v1/invoices/{id}/document`.
use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    document_of_a_placed_order,
    document_of_a_voided_bill_is_marked,
    document_of_another_company_is_not_found,
    document_escapes_company_data,
);

async fn order(app: &TestApp, token: &str, lines: Value) -> Value {
    app.post(token, "/api/v1/orders", json!({"lines": lines}))
        .await
        .ok(201)
        .clone()
}

/// GET the document; asserts 200 and an HTML body, returns it.
async fn document(app: &TestApp, token: &str, invoice_id: &str) -> String {
    let r = app
        .get(token, &format!("/api/v1/invoices/{invoice_id}/document"))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.content_type(), "text/html; charset=utf-8");
    r.body.as_str().expect("an HTML body").to_string()
}

/// `2026-12-03` → `03.12.2026`.
fn ru_date(iso: &Value) -> String {
    let d = chrono::NaiveDate::parse_from_str(iso.as_str().unwrap(), "%Y-%m-%d").unwrap();
    d.format("%d.%m.%Y").to_string()
}

async fn document_of_a_placed_order(app: &TestApp) {
    let c = app.company(31).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let (_, accountant) = app.client_user(&c, "client_accountant").await;
    stocked(app, "DOC-1", "1000.00", 10).await;
    stocked(app, "DOC-2", "117.25", 10).await;
    let o = order(
        app,
        &buyer,
        json!([{"sku": "DOC-1", "quantity": 1}, {"sku": "DOC-2", "quantity": 2}]),
    )
    .await;
    assert_eq!(o["total"], "1234.50");
    let invoice_id = o["invoice"]["id"].as_str().unwrap();
    let inv = app
        .get(&buyer, &format!("/api/v1/invoices/{invoice_id}"))
        .await
        .ok(200)
        .clone();
    let number = inv["number"].as_str().unwrap();
    let client = app
        .get(&app.admin, &format!("/api/v1/clients/{c}"))
        .await
        .ok(200)
        .clone();
    let buyer_inn = client["inn"].as_str().unwrap();

    let html = document(app, &buyer, invoice_id).await;
    for needle in [
        format!(
            "Счёт на оплату № {number} от {}",
            ru_date(&inv["issue_date"])
        ),
        format!("Оплатить до {}", ru_date(&inv["due_date"])),
        format!("ИНН {buyer_inn}"),
        "КПП 770101001".to_string(),
        "ИНН 7801000005".to_string(),
        "КПП 780101001".to_string(),
        "044030653".to_string(),
        "30101810500000000653".to_string(),
        "40702810900000012345".to_string(),
        "Поставщик".to_string(),
        "Покупатель".to_string(),
        "Company 31".to_string(),
        "DOC-1".to_string(),
        "DOC-2".to_string(),
        "P DOC-1".to_string(),
        "117,25".to_string(),
        "234,50".to_string(),
        "1 000,00".to_string(),
        "1 234,50".to_string(),
        "Итого".to_string(),
        "В том числе НДС 22%".to_string(),
        "222,62".to_string(), // 1234.50 × 22 / 122 = 222.62, summed per line: 180.33 + 42.29
        "Всего к оплате".to_string(),
        "Одна тысяча двести тридцать четыре рубля 50 копеек".to_string(),
    ] {
        assert!(html.contains(&needle), "missing {needle:?} in\n{html}");
    }
    assert!(!html.contains("АННУЛИРОВАН"));
    assert!(!html.contains("http://") && !html.contains("https://"));

    // The company's accountant and staff read it too.
    assert_eq!(document(app, &accountant, invoice_id).await, html);
    let staff = app.staff("accountant").await;
    assert_eq!(document(app, &staff, invoice_id).await, html);
}

async fn document_of_a_voided_bill_is_marked(app: &TestApp) {
    let c = app.company(32).await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    stocked(app, "VOID-1", "10.00", 5).await;
    let o = order(app, &buyer, json!([{"sku": "VOID-1", "quantity": 2}])).await;
    let invoice_id = o["invoice"]["id"].as_str().unwrap();
    let before = document(app, &buyer, invoice_id).await;
    assert!(!before.contains("АННУЛИРОВАН"));
    assert!(!before.contains("VOID</"));
    let id = o["id"].as_str().unwrap();
    let r = app
        .post(&buyer, &format!("/api/v1/orders/{id}/cancel"), json!({}))
        .await;
    assert_eq!(r.ok(200)["invoice"]["status"], "void");
    let html = document(app, &buyer, invoice_id).await;
    assert!(html.contains("АННУЛИРОВАН"), "{html}");
    assert!(html.contains("VOID"));
    assert!(html.contains("Статус счёта: Аннулирован"));
    // Still the same bill.
    assert!(html.contains(o["invoice"]["number"].as_str().unwrap()));
    assert!(html.contains("VOID-1"));
    assert!(html.contains("Двадцать рублей 00 копеек"));
}

async fn document_of_another_company_is_not_found(app: &TestApp) {
    let a = app.company(33).await;
    let b = app.company(34).await;
    let (_, buyer_a) = app.client_user(&a, "client_buyer").await;
    let (_, buyer_b) = app.client_user(&b, "client_admin").await;
    stocked(app, "SEC-1", "10.00", 5).await;
    let o = order(app, &buyer_a, json!([{"sku": "SEC-1", "quantity": 1}])).await;
    let invoice_id = o["invoice"]["id"].as_str().unwrap();
    let path = format!("/api/v1/invoices/{invoice_id}/document");
    let r = app.get(&buyer_b, &path).await;
    r.problem(404, "not_found");
    let body = r.body.to_string();
    assert!(!body.contains("SEC-1") && !body.contains("Company 33"));
    app.get(&buyer_a, "/api/v1/invoices/no-such-invoice/document")
        .await
        .problem(404, "not_found");
    let anonymous = app.send(app.http.get(app.url(&path))).await;
    assert_eq!(anonymous.status.as_u16(), 401, "{anonymous:?}");
    document(app, &buyer_a, invoice_id).await;
}

/// A valid 12-digit INN (a sole trader: no KPP) from ten digits.
fn inn12(base: &str) -> String {
    let digit = |s: &str, w: &[u32]| {
        let sum: u32 = s.bytes().zip(w).map(|(b, w)| (b - b'0') as u32 * w).sum();
        char::from(b'0' + (sum % 11 % 10) as u8)
    };
    let mut inn = base.to_string();
    inn.push(digit(&inn, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]));
    inn.push(digit(&inn, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]));
    inn
}

async fn document_escapes_company_data(app: &TestApp) {
    let inn = inn12("7700000035");
    let r = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({
                "name": "ИП \"Рога & Копыта\" <script>alert(1)</script>",
                "inn": inn,
                "legal_address": "Москва, ул. <b>Тверская</b>, д. 1",
                "email": "docs35@example.com",
                "credit_limit": "1000.00",
                "payment_terms_days": 10
            }),
        )
        .await;
    let c = r.ok(201)["id"].as_str().unwrap().to_string();
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    stocked(app, "ESC-1", "1.00", 5).await;
    let o = app
        .post(
            &buyer,
            "/api/v1/orders",
            json!({"lines": [{"sku": "ESC-1", "quantity": 1}], "client_reference": "PO <7> & co"}),
        )
        .await
        .ok(201)
        .clone();
    let html = document(app, &buyer, o["invoice"]["id"].as_str().unwrap()).await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>Тверская"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("Рога &amp; Копыта"));
    assert!(html.contains("PO &lt;7&gt; &amp; co"));
    // No KPP given: none printed for the buyer.
    assert!(html.contains(&format!("ИНН {inn}, Москва")), "{html}");
}
