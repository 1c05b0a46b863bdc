use super::model::*;
use super::store::{self, InvoiceRow};
use crate::auth::model::Principal;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::state::AppState;
use crate::web::Page;
use crate::{clients, config::BusinessSettings, orders};

pub fn view(r: InvoiceRow) -> InvoiceView {
    InvoiceView {
        status: InvoiceStatus::parse(&r.status).unwrap_or(InvoiceStatus::Void),
        total: Money::from_minor(r.total_minor),
        vat: Money::from_minor(r.vat_minor),
        paid: Money::from_minor(r.paid_minor),
        issued_at: r.issued_at.and_utc(),
        voided_at: r.voided_at.map(|t| t.and_utc()),
        id: r.id,
        number: r.number,
        client_id: r.client_id,
        order_id: r.order_id,
        issue_date: r.issue_date,
        due_date: r.due_date,
    }
}

pub struct NewInvoice<'a> {
    pub id: String,
    pub client_id: &'a str,
    pub order_id: &'a str,
    pub total_minor: i64,
    pub vat_minor: i64,
    pub issued_at: chrono::NaiveDateTime,
    pub due_date: chrono::NaiveDate,
    /// Its goods are released with it (not waiting for payment).
    pub released: bool,
}

/// Numbers and stores a bill. Call as the LAST step of the transaction: the yearly counter row
/// is locked from here until commit.
pub fn issue(conn: &mut DbConn, new: NewInvoice<'_>) -> Result<InvoiceRow, ApiError> {
    let series = new.issued_at.format("%Y").to_string();
    let row = InvoiceRow {
        id: new.id,
        number: String::new(),
        series,
        seq: 0,
        client_id: new.client_id.to_string(),
        order_id: new.order_id.to_string(),
        status: InvoiceStatus::Issued.as_str().to_string(),
        total_minor: new.total_minor,
        vat_minor: new.vat_minor,
        paid_minor: 0,
        issue_date: new.issued_at.date(),
        due_date: new.due_date,
        issued_at: new.issued_at,
        voided_at: None,
        released: new.released,
    };
    Ok(store::insert_numbered(conn, row)?)
}

/// Counters for this year and the next, so the hot path never creates one.
pub fn prepare_counters(conn: &mut DbConn) -> Result<(), ApiError> {
    let year: i32 = db::now().format("%Y").to_string().parse().unwrap_or(2026);
    for y in [year, year + 1] {
        store::ensure_counter(conn, &y.to_string())?;
    }
    Ok(())
}

pub async fn list(
    pool: &Pool,
    actor: Principal,
    q: InvoiceQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<InvoiceView>, ApiError> {
    let client_filter = if actor.is_staff() {
        q.client_id
    } else {
        Some(actor.client_id.clone().unwrap_or_default())
    };
    let status = q.status.map(|s| s.as_str().to_string());
    let rows = db::run(pool, move |c| {
        Ok(store::list(c, client_filter, status, after, limit)?)
    })
    .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id.clone(), view))
}

pub async fn get(pool: &Pool, actor: Principal, id: String) -> Result<InvoiceView, ApiError> {
    let row = db::run(pool, move |c| Ok(store::find(c, &id)?)).await?;
    row.filter(|r| actor.can_see_client(&r.client_id))
        .map(view)
        .ok_or_else(|| ApiError::not_found("invoice"))
}

/// The payment bill as an HTML document, for the bill's company or staff (404 otherwise).
pub async fn document(state: &AppState, actor: Principal, id: String) -> Result<String, ApiError> {
    let seller = seller(&state.settings.business);
    let input = db::run(&state.pool, move |c| {
        let inv = store::find(c, &id)?
            .filter(|r| actor.can_see_client(&r.client_id))
            .ok_or_else(|| ApiError::not_found("invoice"))?;
        let client = clients::store::find(c, &inv.client_id)?
            .ok_or_else(|| ApiError::internal(format!("invoice {} without its client", inv.id)))?;
        let order = orders::store::find(c, &inv.order_id)?;
        let lines = orders::store::lines_of(c, std::slice::from_ref(&inv.order_id))?;
        Ok(BillInput {
            status: InvoiceStatus::parse(&inv.status).unwrap_or(InvoiceStatus::Void),
            number: inv.number,
            issue_date: inv.issue_date,
            due_date: inv.due_date,
            total_minor: inv.total_minor,
            vat_minor: inv.vat_minor,
            paid_minor: inv.paid_minor,
            order_id: inv.order_id,
            client_reference: order.and_then(|o| o.client_reference),
            seller,
            buyer: BillBuyer {
                name: client.name,
                inn: client.inn,
                kpp: client.kpp,
                address: client.legal_address,
            },
            lines: lines
                .into_iter()
                .map(|l| BillLineInput {
                    line_no: l.line_no,
                    sku: l.sku,
                    name: l.name,
                    unit: l.unit,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    vat_rate_bp: l.vat_rate_bp,
                    total_minor: l.total_minor,
                    vat_minor: l.vat_minor,
                })
                .collect(),
        })
    })
    .await?;
    render_document(&BillDocument::build(input))
}

pub fn seller(b: &BusinessSettings) -> BillSeller {
    BillSeller {
        name: b.seller_name.clone(),
        inn: b.seller_inn.clone(),
        kpp: b.seller_kpp.clone(),
        address: b.seller_address.clone(),
        bank: b.seller_bank.clone(),
        bik: b.seller_bik.clone(),
        account: b.seller_account.clone(),
        corr_account: b.seller_corr_account.clone(),
    }
}

/// Renders a bill to HTML.
pub fn render_document(doc: &BillDocument) -> Result<String, ApiError> {
    crate::documents::render(crate::documents::BILL, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(status: InvoiceStatus) -> BillInput {
        BillInput {
            number: "2026-000001".into(),
            status,
            issue_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 13).unwrap(),
            total_minor: 123_450,
            vat_minor: 21_034,
            paid_minor: 0,
            order_id: "order-1".into(),
            client_reference: Some("PO <7>".into()),
            seller: BillSeller {
                name: "ООО «Диаспар»".into(),
                inn: "7801000005".into(),
                kpp: "780101001".into(),
                address: "191186, г. Санкт-Петербург, Невский пр., д. 1".into(),
                bank: "ПАО Сбербанк".into(),
                bik: "044030653".into(),
                account: "40702810900000012345".into(),
                corr_account: "30101810500000000653".into(),
            },
            buyer: BillBuyer {
                name: "ООО \"Рога & Копыта\" <script>alert(1)</script>".into(),
                inn: "7707083893".into(),
                kpp: None,
                address: "Москва".into(),
            },
            lines: vec![
                BillLineInput {
                    line_no: 1,
                    sku: "A-1".into(),
                    name: "Бумага A4".into(),
                    unit: "шт".into(),
                    quantity: 1_000,
                    unit_price_minor: 100,
                    vat_rate_bp: 2200,
                    total_minor: 100_000,
                    vat_minor: 18_033,
                },
                BillLineInput {
                    line_no: 2,
                    sku: "B-2".into(),
                    name: "Книга".into(),
                    unit: "шт".into(),
                    quantity: 1,
                    unit_price_minor: 23_450,
                    vat_rate_bp: 1000,
                    total_minor: 23_450,
                    vat_minor: 3_001,
                },
            ],
        }
    }

    #[test]
    fn renders_a_complete_escaped_bill() {
        let html = render_document(&BillDocument::build(sample(InvoiceStatus::Issued))).unwrap();
        for needle in [
            "Счёт на оплату № 2026-000001 от 03.12.2026",
            "Оплатить до 13.12.2026",
            "044030653",
            "30101810500000000653",
            "40702810900000012345",
            "7801000005",
            "780101001",
            "7707083893",
            "A-1",
            "B-2",
            "1 000",
            "1 000,00",
            "1 234,50",
            "В том числе НДС 22%",
            "180,33",
            "В том числе НДС 10%",
            "30,01",
            "Всего к оплате",
            "Одна тысяча двести тридцать четыре рубля 50 копеек",
            "Всего наименований 2, на сумму 1 234,50 руб.",
            "&lt;script&gt;",
            "PO &lt;7&gt;",
        ] {
            assert!(html.contains(needle), "missing {needle:?} in\n{html}");
        }
        assert!(!html.contains("<script>"));
        assert!(!html.contains("АННУЛИРОВАН"));
        // Self-contained: nothing fetched from elsewhere.
        for external in ["http://", "https://", "<link", "<img", "@import", "url("] {
            assert!(!html.contains(external), "external resource {external:?}");
        }
    }

    #[test]
    fn void_and_paid_bills_are_marked() {
        let void = render_document(&BillDocument::build(sample(InvoiceStatus::Void))).unwrap();
        assert!(void.contains("АННУЛИРОВАН"));
        assert!(void.contains("VOID"));
        let mut input = sample(InvoiceStatus::Paid);
        input.paid_minor = 123_450;
        let paid = render_document(&BillDocument::build(input)).unwrap();
        assert!(paid.contains("ОПЛАЧЕН"));
        assert!(paid.contains("оплачено 1 234,50 руб."));
        assert!(!paid.contains("АННУЛИРОВАН"));
    }
}
