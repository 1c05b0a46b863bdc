use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

both_backends!(
    statement_closes_the_loop,
    sample_statements_import_once,
    bad_statements_import_nothing,
    csv_statement_imports,
    partial_and_over_payments,
    payment_api_rules_and_visibility,
    staff_match_releases_and_allocates,
    cancel_gives_allocations_back,
    concurrent_payments_never_over_allocate,
    refunds_and_match_corrections,
    reconciliation_statement,
);

const OUR_INN: &str = "7801000005";

/// A company with the given INN, credit limit and 10 days' terms; returns its id.
async fn company_with_inn(app: &TestApp, inn: &str, credit: &str) -> String {
    app.post(
        &app.admin,
        "/api/v1/clients",
        json!({"name": format!("Payer {inn}"), "inn": inn, "kpp": "770101001",
               "legal_address": "Moscow", "email": format!("{inn}@example.com"),
               "credit_limit": credit, "payment_terms_days": 10}),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One incoming document of a 1C statement: (number, payer INN, amount, purpose).
fn document(number: &str, payer_inn: &str, amount: &str, purpose: &str) -> String {
    format!(
        "СекцияДокумент=Платежное поручение\r\nНомер={number}\r\nДата=03.12.2026\r\n\
         Сумма={amount}\r\nПлательщикСчет=40702810500000054321\r\nДатаСписано=03.12.2026\r\n\
         Плательщик=ИНН {payer_inn} ООО \"Плательщик\"\r\nПлательщикИНН={payer_inn}\r\n\
         Плательщик1=ООО \"Плательщик\"\r\nПлательщикБИК=044525225\r\n\
         ПолучательСчет=40702810900000012345\r\nДатаПоступило=03.12.2026\r\n\
         ПолучательИНН={OUR_INN}\r\nПолучатель1=ООО \"Диаспар\"\r\n\
         НазначениеПлатежа={purpose}\r\nКонецДокумента\r\n"
    )
}

fn statement(documents: &[String]) -> String {
    format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\n\
         ДатаНачала=03.12.2026\r\nДатаКонца=03.12.2026\r\nРасчСчет=40702810900000012345\r\n{}\
         КонецФайла\r\n",
        documents.concat()
    )
}

async fn import(app: &TestApp, token: &str, body: impl Into<reqwest::Body>) -> Resp {
    app.send(
        app.http
            .post(app.url("/api/v1/payments/imports"))
            .bearer_auth(token)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body),
    )
    .await
}

async fn order(app: &TestApp, token: &str, product: &str, qty: i64) -> Value {
    app.post(
        token,
        "/api/v1/orders",
        json!({"lines": [{"product_id": product, "quantity": qty}]}),
    )
    .await
    .ok(201)
    .clone()
}

async fn balance(app: &TestApp, client: &str) -> String {
    app.get(&app.admin, &format!("/api/v1/clients/{client}/account"))
        .await
        .ok(200)["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn invoice(app: &TestApp, id: &str) -> Value {
    app.get(&app.admin, &format!("/api/v1/invoices/{id}"))
        .await
        .ok(200)
        .clone()
}

fn payment_body(inn: &str, amount: &str, reference: &str, purpose: &str) -> Value {
    json!({"amount": amount, "value_date": "2026-12-03", "payer_inn": inn,
           "payer_name": "ООО Плательщик", "purpose": purpose, "bank_reference": reference})
}

async fn statement_closes_the_loop(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "0.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "PAY-1", "250.00", 10).await;
    let o = order(app, &buyer, &p, 2).await; // 500.00, no credit: waits for the money
    assert_eq!(o["status"], "awaiting_payment");
    let number = o["invoice"]["number"].as_str().unwrap().to_string();
    let file = statement(&[document(
        "512",
        inn,
        "500.00",
        &format!("Оплата по счету № {number} за товары"),
    )]);

    let r = import(app, &accountant, file.clone()).await;
    let report = r.ok(201);
    assert_eq!(report["documents"], 1);
    assert_eq!(report["imported"], 1);
    assert_eq!(report["matched"], 1);
    assert_eq!(report["unmatched"], 0);
    assert_eq!(report["total"], "500.00");
    assert_eq!(report["released_orders"], json!([o["id"]]));
    assert_eq!(report["lines"][0]["line"], 7);
    assert_eq!(report["lines"][0]["client_id"], c);

    // The goods are released the moment the money arrives, the bill is paid.
    let order_now = app
        .get(
            &buyer,
            &format!("/api/v1/orders/{}", o["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(order_now.ok(200)["status"], "released");
    assert_eq!(order_now.body["pickup_code"].as_str().unwrap().len(), 6);
    let bill = invoice(app, o["invoice"]["id"].as_str().unwrap()).await;
    assert_eq!(bill["status"], "paid");
    assert_eq!(bill["paid"], "500.00");
    assert_eq!(balance(app, &c).await, "0.00");
    let payment_id = report["lines"][0]["payment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pay = app
        .get(&buyer, &format!("/api/v1/payments/{payment_id}"))
        .await;
    assert_eq!(pay.ok(200)["status"], "matched");
    assert_eq!(pay.body["allocated"], "500.00");
    assert_eq!(pay.body["unallocated"], "0.00");
    assert_eq!(pay.body["allocations"][0]["invoice_number"], number);
    assert_eq!(pay.body["matched_by"], "inn");

    // The ledger shows the payment and the release.
    let ledger = app
        .get(&buyer, &format!("/api/v1/clients/{c}/ledger"))
        .await;
    let kinds: Vec<&str> = ledger.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["payment", "release"]);

    // The same file again changes nothing.
    let again = import(app, &accountant, file).await;
    assert_eq!(again.ok(201)["imported"], 0);
    assert_eq!(again.body["duplicates"], 1);
    assert_eq!(again.body["lines"][0]["outcome"], "duplicate");
    assert_eq!(balance(app, &c).await, "0.00");
    let all = app.get(&accountant, "/api/v1/payments").await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 1);
}

async fn sample_statements_import_once(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    // Вектор (first document) is our client; the other two payers are not.
    let c = company_with_inn(app, "7702089154", "0.00").await;
    let utf8 = include_bytes!("../fixtures/statement-1c-utf8.txt").to_vec();
    let cp1251 = include_bytes!("../fixtures/statement-1c-cp1251.txt").to_vec();

    let r = import(app, &accountant, utf8).await;
    let report = r.ok(201);
    assert_eq!(report["format"], "1c");
    assert_eq!(report["documents"], 4);
    assert_eq!(report["imported"], 3);
    assert_eq!(report["ignored"], 1, "the outgoing bank fee");
    assert_eq!(report["matched"], 1);
    assert_eq!(report["unmatched"], 2);
    assert_eq!(report["total"], "301400.00");
    // No bills: the whole payment is the client's advance.
    assert_eq!(balance(app, &c).await, "125400.00");

    // The same statement in windows-1251 is the same payments: all duplicates.
    let again = import(app, &accountant, cp1251).await;
    assert_eq!(again.ok(201)["imported"], 0);
    assert_eq!(again.body["duplicates"], 3);
    assert_eq!(again.body["ignored"], 1);

    let queue = app
        .get(&accountant, "/api/v1/payments?status=unmatched")
        .await;
    let items = queue.ok(200)["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["amount"], "96000.00");
    assert_eq!(items[0]["payer_name"], "ООО \"Стройснаб-М\"");
    assert_eq!(items[0]["document_number"], "87");
    assert!(items.iter().all(|p| p["client_id"].is_null()));
    let matched = app
        .get(&accountant, &format!("/api/v1/payments?client_id={c}"))
        .await;
    assert_eq!(matched.ok(200)["items"][0]["amount"], "125400.00");
}

async fn bad_statements_import_nothing(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let r = import(app, &accountant, "hello, world").await;
    r.problem(422, "invalid_statement");
    assert_eq!(r.body["errors"][0]["field"], "line 1");

    // A document addressed to someone else rejects the whole file, naming its line.
    let good = document("1", "7702089154", "10.00", "ok");
    let foreign = document("2", "7702089154", "20.00", "not ours").replace(
        &format!("ПолучательИНН={OUR_INN}"),
        "ПолучательИНН=7707083893",
    );
    let r = import(app, &accountant, statement(&[good.clone(), foreign])).await;
    r.problem(422, "invalid_statement");
    assert_eq!(r.body["errors"][0]["code"], "not_our_inn");
    assert_eq!(r.body["errors"][0]["field"], "line 23");

    // Truncated inside a document, a bad amount, a bad date.
    let full = statement(std::slice::from_ref(&good));
    let cut = &full[..full.find("КонецДокумента").unwrap()];
    import(app, &accountant, cut.to_string())
        .await
        .problem(422, "invalid_statement");
    for (from, to) in [
        ("Сумма=10.00", "Сумма=-10.00"),
        ("Дата=03.12.2026", "Дата=32.13.2026"),
    ] {
        let bad = statement(&[good.replace(from, to)]);
        let r = import(app, &accountant, bad).await;
        r.problem(422, "invalid_statement");
        assert!(r.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("line "));
    }
    // Binary junk.
    import(app, &accountant, vec![0u8, 159, 146, 150, 0, 1])
        .await
        .problem(422, "invalid_statement");
    // Clients may not import.
    let c = app.company(41).await;
    let (_, client_admin) = app.client_user(&c, "client_admin").await;
    import(app, &client_admin, full)
        .await
        .problem(403, "forbidden");

    let all = app.get(&accountant, "/api/v1/payments").await;
    assert!(
        all.ok(200)["items"].as_array().unwrap().is_empty(),
        "{all:?}"
    );
}

async fn csv_statement_imports(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let c = company_with_inn(app, "7702089154", "0.00").await;
    let csv = "date,amount,payer_inn,payer_kpp,payer_name,purpose,reference\n\
               2026-12-03,100.50,7702089154,770201001,\"ООО \"\"Вектор\"\"\",\"Оплата, аванс\",bank-1\n\
               2026-12-03,20.00,5027012348,,Стройснаб,Оплата,bank-2\n";
    let r = import(app, &accountant, csv).await;
    let report = r.ok(201);
    assert_eq!(report["format"], "csv");
    assert_eq!(report["imported"], 2);
    assert_eq!(report["matched"], 1);
    assert_eq!(balance(app, &c).await, "100.50");
    let again = import(app, &accountant, csv).await;
    assert_eq!(again.ok(201)["duplicates"], 2);
    let bad = "date,amount,payer_inn,payer_kpp,payer_name,purpose,reference\n2026-12-03,0,7702089154,,X,Y,bank-3\n";
    let r = import(app, &accountant, bad).await;
    r.problem(422, "invalid_statement");
    assert_eq!(r.body["errors"][0]["field"], "line 2");
}

async fn partial_and_over_payments(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "1000.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "PAY-2", "100.00", 50).await;
    let o = order(app, &buyer, &p, 3).await; // 300.00 on credit
    assert_eq!(o["status"], "released");
    let bill_id = o["invoice"]["id"].as_str().unwrap().to_string();
    let pay = |amount: &'static str, reference: &'static str| {
        payment_body(inn, amount, reference, "Оплата за товары")
    };

    // Underpayment: the bill is partly paid.
    let r = app
        .post(&accountant, "/api/v1/payments", pay("100.00", "ref-1"))
        .await;
    assert_eq!(r.ok(201)["allocated"], "100.00");
    let bill = invoice(app, &bill_id).await;
    assert_eq!(bill["status"], "issued");
    assert_eq!(bill["paid"], "100.00");

    // Overpayment: the bill is paid, the rest is an advance.
    let r = app
        .post(&accountant, "/api/v1/payments", pay("500.00", "ref-2"))
        .await;
    assert_eq!(r.ok(201)["allocated"], "200.00");
    assert_eq!(r.body["unallocated"], "300.00");
    assert_eq!(invoice(app, &bill_id).await["status"], "paid");
    assert_eq!(balance(app, &c).await, "300.00");

    // The advance pays the next order's bill at once.
    let o2 = order(app, &buyer, &p, 2).await; // 200.00
    assert_eq!(o2["status"], "released");
    let bill2 = invoice(app, o2["invoice"]["id"].as_str().unwrap()).await;
    assert_eq!(bill2["status"], "paid");
    assert_eq!(bill2["paid"], "200.00");
    let second = app
        .get(&accountant, &format!("/api/v1/payments?client_id={c}"))
        .await;
    assert_eq!(second.ok(200)["items"][1]["unallocated"], "100.00");
    assert_eq!(balance(app, &c).await, "100.00");
}

async fn payment_api_rules_and_visibility(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "0.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let r = app
        .post(
            &accountant,
            "/api/v1/payments",
            json!({"amount": "0", "value_date": "2026-12-03", "payer_inn": "7702089155",
                   "payer_name": "", "purpose": "x", "bank_reference": "r",
                   "recipient_inn": "7707083893"}),
        )
        .await;
    r.problem(422, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["amount", "payer_inn", "payer_name", "recipient_inn"]
    );
    app.post(&accountant, "/api/v1/payments", json!({"amount": "-1.00"}))
        .await
        .problem(422, "validation_failed");
    app.post(
        &buyer,
        "/api/v1/payments",
        payment_body(inn, "1.00", "r1", "x"),
    )
    .await
    .problem(403, "forbidden");

    let created = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body(inn, "10.00", "r1", "x"),
        )
        .await;
    let id = created.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &accountant,
        "/api/v1/payments",
        payment_body(inn, "10.00", "r1", "y"),
    )
    .await
    .problem(409, "payment_duplicate");

    // Idempotency-Key: a retry replays, another body with the key is refused.
    let keyed = |body: Value| {
        app.http
            .post(app.url("/api/v1/payments"))
            .bearer_auth(&accountant)
            .header("Idempotency-Key", "pay-1")
            .json(&body)
    };
    let first = app.send(keyed(payment_body(inn, "5.00", "r2", "x"))).await;
    let replay = app.send(keyed(payment_body(inn, "5.00", "r2", "x"))).await;
    assert_eq!(replay.ok(201)["id"], first.ok(201)["id"]);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    app.send(keyed(payment_body(inn, "6.00", "r3", "x")))
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(balance(app, &c).await, "15.00");

    // The client sees its own payments; another company's are 404, unmatched ones staff-only.
    assert_eq!(
        app.get(&buyer, "/api/v1/payments").await.ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let other = app.company(42).await;
    let (_, other_buyer) = app.client_user(&other, "client_buyer").await;
    app.get(&other_buyer, &format!("/api/v1/payments/{id}"))
        .await
        .problem(404, "not_found");
    assert!(
        app.get(&other_buyer, "/api/v1/payments").await.ok(200)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let stray = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body("5027012348", "7.00", "r4", "x"),
        )
        .await;
    assert_eq!(stray.ok(201)["status"], "unmatched");
    let stray_id = stray.body["id"].as_str().unwrap();
    app.get(&buyer, &format!("/api/v1/payments/{stray_id}"))
        .await
        .problem(404, "not_found");
    // Every payment change is recorded: 3 payments received, 2 of them matched.
    let audit = app
        .get(&app.admin, "/api/v1/audit?entity_type=payment&limit=200")
        .await;
    let actions: Vec<&str> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "payment.received").count(),
        3
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "payment.matched").count(),
        2
    );
}

async fn staff_match_releases_and_allocates(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let c = app.company(43).await; // credit 1000.00
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "PAY-3", "700.00", 10).await;
    let first = order(app, &buyer, &p, 1).await; // 700.00 released on credit
    let waiting = order(app, &buyer, &p, 1).await; // beyond credit: waits
    assert_eq!(first["status"], "released");
    assert_eq!(waiting["status"], "awaiting_payment");

    // Paid by a related company: no client by INN, so it waits for staff.
    let stray = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body("5027012348", "1000.00", "third-party-1", "за Company 43"),
        )
        .await;
    assert_eq!(stray.ok(201)["status"], "unmatched");
    let id = stray.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/payments/{id}/match");
    app.post(&accountant, &path, json!({"client_id": c, "reason": ""}))
        .await
        .problem(422, "validation_failed");
    app.post(&buyer, &path, json!({"client_id": c, "reason": "mine"}))
        .await
        .problem(403, "forbidden");
    app.post(
        &accountant,
        &path,
        json!({"client_id": "nope", "reason": "x"}),
    )
    .await
    .problem(422, "validation_failed");
    let r = app
        .post(
            &accountant,
            &path,
            json!({"client_id": c, "reason": "paid for Company 43 by its parent, letter of 03.12"}),
        )
        .await;
    let matched = r.ok(200);
    assert_eq!(matched["status"], "matched");
    assert_eq!(matched["matched_by"], "staff");
    // 1000 in: balance −700 + 1000 = 300; the waiting 700 fits the credit again and goes.
    let w = app
        .get(
            &buyer,
            &format!("/api/v1/orders/{}", waiting["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(w.ok(200)["status"], "released");
    assert_eq!(balance(app, &c).await, "-400.00");
    // The oldest bill is paid in full, the newer one with the rest.
    assert_eq!(
        invoice(app, first["invoice"]["id"].as_str().unwrap()).await["status"],
        "paid"
    );
    assert_eq!(
        invoice(app, waiting["invoice"]["id"].as_str().unwrap()).await["paid"],
        "300.00"
    );
    app.post(
        &accountant,
        &path,
        json!({"client_id": c, "reason": "again"}),
    )
    .await
    .problem(409, "payment_already_matched");
    let audit = app
        .get(&app.admin, "/api/v1/audit?action=payment.matched")
        .await;
    assert!(
        audit.ok(200).to_string().contains("letter of 03.12"),
        "{audit:?}"
    );
}

async fn cancel_gives_allocations_back(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "1000.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "PAY-4", "100.00", 10).await;
    let o = order(app, &buyer, &p, 4).await; // 400.00 released
    let number = o["invoice"]["number"].as_str().unwrap();
    let r = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body(inn, "400.00", "c-1", &format!("счет {number}")),
        )
        .await;
    let payment = r.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &buyer,
        &format!("/api/v1/orders/{}/cancel", o["id"].as_str().unwrap()),
        json!({}),
    )
    .await
    .ok(200);
    let bill = invoice(app, o["invoice"]["id"].as_str().unwrap()).await;
    assert_eq!(bill["status"], "void");
    assert_eq!(bill["paid"], "0.00");
    let pay = app
        .get(&accountant, &format!("/api/v1/payments/{payment}"))
        .await;
    assert_eq!(pay.ok(200)["unallocated"], "400.00");
    let amounts: Vec<&str> = pay.body["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["400.00", "-400.00"]);
    assert_eq!(balance(app, &c).await, "400.00");
}

async fn concurrent_payments_never_over_allocate(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "1000.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let p = stocked(app, "PAY-5", "1000.00", 5).await;
    let o = order(app, &buyer, &p, 1).await;
    let number = o["invoice"]["number"].as_str().unwrap().to_string();
    let results = futures_util::future::join_all((0..10).map(|i| {
        let body = payment_body(
            inn,
            "300.00",
            &format!("race-{i}"),
            &format!("счет {number}"),
        );
        let accountant = accountant.clone();
        async move { app.post(&accountant, "/api/v1/payments", body).await }
    }))
    .await;
    for r in &results {
        r.ok(201);
    }
    let bill = invoice(app, o["invoice"]["id"].as_str().unwrap()).await;
    assert_eq!(bill["status"], "paid");
    assert_eq!(bill["paid"], "1000.00");
    let allocated: i64 = results
        .iter()
        .map(|r| {
            r.body["allocated"]
                .as_str()
                .unwrap()
                .replace('.', "")
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    // What the responses said at their commit can only add up to the bill.
    assert!(allocated <= 100_000, "{allocated}");
    assert_eq!(balance(app, &c).await, "2000.00");
}

async fn refunds_and_match_corrections(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let a = company_with_inn(app, inn, "0.00").await;
    let (_, buyer) = app.client_user(&a, "client_buyer").await;
    let p = stocked(app, "PAY-6", "100.00", 10).await;
    let o = order(app, &buyer, &p, 3).await;
    let number = o["invoice"]["number"].as_str().unwrap();
    let paid = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body(inn, "500.00", "rf-1", &format!("сч {number}")),
        )
        .await;
    assert_eq!(paid.ok(201)["unallocated"], "200.00");
    let id = paid.body["id"].as_str().unwrap().to_string();
    let refund = format!("/api/v1/payments/{id}/refund");

    app.post(
        &accountant,
        &refund,
        json!({"amount": "250.00", "reason": "back"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &accountant,
        &refund,
        json!({"amount": "0", "reason": "back"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &app.admin,
        &refund,
        json!({"amount": "1.00", "reason": "back"}),
    )
    .await
    .problem(403, "forbidden");
    app.post(&buyer, &refund, json!({"amount": "1.00", "reason": "back"}))
        .await
        .problem(403, "forbidden");
    let r = app
        .post(
            &accountant,
            &refund,
            json!({"amount": "150.00", "reason": "client asked, letter 12"}),
        )
        .await;
    assert_eq!(r.ok(200)["refunded"], "150.00");
    assert_eq!(r.body["status"], "matched");
    assert_eq!(balance(app, &a).await, "50.00");
    let r = app
        .post(
            &accountant,
            &refund,
            json!({"amount": "50.00", "reason": "the rest"}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "refunded");
    assert_eq!(r.body["unallocated"], "0.00");
    assert_eq!(balance(app, &a).await, "0.00");
    app.post(
        &accountant,
        &format!("/api/v1/payments/{id}/unmatch"),
        json!({"reason": "x"}),
    )
    .await
    .problem(409, "payment_refunded");

    // A payment matched to the wrong company by hand is taken back and matched anew.
    let o2 = order(app, &buyer, &p, 1).await; // 100.00, waits
    assert_eq!(o2["status"], "awaiting_payment");
    let stray = app
        .post(
            &accountant,
            "/api/v1/payments",
            payment_body("6315033307", "100.00", "rf-2", "оплата"),
        )
        .await;
    let sid = stray.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &accountant,
        &format!("/api/v1/payments/{sid}/match"),
        json!({"client_id": a, "reason": "looked like theirs"}),
    )
    .await
    .ok(200);
    let bill2 = o2["invoice"]["id"].as_str().unwrap();
    assert_eq!(invoice(app, bill2).await["status"], "paid");
    let r = app
        .post(
            &accountant,
            &format!("/api/v1/payments/{sid}/unmatch"),
            json!({"reason": "it was Volga-Opt's, see their letter"}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "unmatched");
    assert!(r.body["client_id"].is_null());
    assert_eq!(r.body["allocated"], "0.00");
    let bill = invoice(app, bill2).await;
    assert_eq!(bill["status"], "issued");
    assert_eq!(bill["paid"], "0.00");
    // The goods stay released; the company now owes for them.
    assert_eq!(balance(app, &a).await, "-100.00");
    let kinds: Vec<String> = app
        .get(
            &accountant,
            &format!("/api/v1/clients/{a}/ledger?limit=200"),
        )
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "payment",
            "release",
            "refund",
            "refund",
            "payment",
            "release",
            "payment_reversal"
        ]
    );
    let right = company_with_inn(app, "6315033307", "0.00").await;
    app.post(
        &accountant,
        &format!("/api/v1/payments/{sid}/match"),
        json!({"client_id": right, "reason": "their letter"}),
    )
    .await
    .ok(200);
    assert_eq!(balance(app, &right).await, "100.00");
}

async fn reconciliation_statement(app: &TestApp) {
    let accountant = app.staff("accountant").await;
    let inn = "7702089154";
    let c = company_with_inn(app, inn, "1000.00").await;
    let (_, buyer) = app.client_user(&c, "client_buyer").await;
    let (_, client_accountant) = app.client_user(&c, "client_accountant").await;
    let p = stocked(app, "PAY-7", "100.00", 10).await;
    let o = order(app, &buyer, &p, 3).await; // 300.00 released
    let number = o["invoice"]["number"].as_str().unwrap().to_string();
    let mut body = payment_body(inn, "500.00", "st-1", "аванс");
    body["document_number"] = json!("77");
    body["document_date"] = json!("2026-12-03");
    let pay = app.post(&accountant, "/api/v1/payments", body).await;
    let pid = pay.ok(201)["id"].as_str().unwrap().to_string();
    app.post(
        &accountant,
        &format!("/api/v1/payments/{pid}/refund"),
        json!({"amount": "100.00", "reason": "по письму"}),
    )
    .await
    .ok(200);

    let today = chrono::Utc::now().date_naive();
    let day = |d: i64| {
        (today + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let path = format!(
        "/api/v1/clients/{c}/statements?from={}&to={}",
        day(-1),
        day(0)
    );
    let st = app.get(&buyer, &path).await;
    let v = st.ok(200);
    assert_eq!(v["opening_balance"], "0.00");
    let lines: Vec<(&str, &str, &str)> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["document"].as_str().unwrap(),
                l["debit"].as_str().unwrap(),
                l["credit"].as_str().unwrap(),
            )
        })
        .collect();
    let shipped = format!("Отгрузка товаров по счёту № {number}");
    assert_eq!(
        lines,
        [
            (shipped.as_str(), "300.00", "0.00"),
            ("Оплата, п/п № 77 от 03.12.2026", "0.00", "500.00"),
            ("Возврат аванса, п/п № 77 от 03.12.2026", "100.00", "0.00"),
        ]
    );
    assert_eq!(v["debit_total"], "400.00");
    assert_eq!(v["credit_total"], "500.00");
    assert_eq!(v["closing_balance"], "100.00");

    // Before the entries nothing happened; after them the opening balance carries over.
    let before = app
        .get(
            &buyer,
            &format!(
                "/api/v1/clients/{c}/statements?from=2026-01-01&to={}",
                day(-1)
            ),
        )
        .await;
    assert_eq!(before.ok(200)["lines"].as_array().unwrap().len(), 0);
    assert_eq!(before.body["closing_balance"], "0.00");
    let after = app
        .get(
            &buyer,
            &format!(
                "/api/v1/clients/{c}/statements?from={}&to={}",
                day(1),
                day(2)
            ),
        )
        .await;
    assert_eq!(after.ok(200)["opening_balance"], "100.00");
    assert_eq!(after.body["closing_balance"], "100.00");
    app.get(
        &buyer,
        &format!(
            "/api/v1/clients/{c}/statements?from={}&to={}",
            day(0),
            day(-1)
        ),
    )
    .await
    .problem(422, "validation_failed");
    let other = app.company(44).await;
    let (_, other_buyer) = app.client_user(&other, "client_buyer").await;
    app.get(&other_buyer, &path).await.problem(404, "not_found");

    // The printable statement.
    let doc_path = path.replace("/statements?", "/statements/document?");
    let doc = app.get(&buyer, &doc_path).await;
    assert_eq!(doc.status, 200);
    assert!(doc.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(doc.headers.contains_key("content-security-policy"));
    let html = doc.body.as_str().unwrap();
    for text in [
        "Акт сверки",
        "Payer 7702089154",
        "300,00",
        "№ 77 от 03.12.2026",
        "аванс",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    app.get(&other_buyer, &doc_path)
        .await
        .problem(404, "not_found");

    // The company answers: a buyer may not, staff may not; a dispute says why.
    let answer = json!({"from": day(-1), "to": day(0)});
    let confirm = format!("/api/v1/clients/{c}/statements/confirm");
    let dispute = format!("/api/v1/clients/{c}/statements/dispute");
    app.post(&buyer, &confirm, answer.clone())
        .await
        .problem(403, "forbidden");
    app.post(&accountant, &confirm, answer.clone())
        .await
        .problem(403, "forbidden");
    let r = app.post(&client_accountant, &confirm, answer.clone()).await;
    assert_eq!(r.ok(201)["status"], "confirmed");
    assert_eq!(r.body["closing_balance"], "100.00");
    app.post(&client_accountant, &dispute, answer.clone())
        .await
        .problem(422, "validation_failed");
    let mut disputed = answer.clone();
    disputed["comment"] = json!("нет нашей оплаты от 02.12 на 50,00");
    app.post(&client_accountant, &dispute, disputed.clone())
        .await
        .ok(201);
    app.post(&other_buyer, &dispute, disputed)
        .await
        .problem(404, "not_found");

    let queue = app
        .get(&accountant, "/api/v1/statement-responses?status=disputed")
        .await;
    let items = queue.ok(200)["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["client_id"], c);
    assert_eq!(items[0]["comment"], "нет нашей оплаты от 02.12 на 50,00");
    app.get(&client_accountant, "/api/v1/statement-responses")
        .await
        .problem(403, "forbidden");
    let st = app.get(&buyer, &path).await;
    let statuses: Vec<&str> = st.ok(200)["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["confirmed", "disputed"]);
    let html = app.get(&buyer, &doc_path).await;
    assert!(html.body.as_str().unwrap().contains("Оспорен клиентом"));
}
