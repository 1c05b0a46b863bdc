use super::model::*;
use super::store::{self, InvoiceRow};
use crate::auth::model::Principal;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::web::Page;

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
}

/// Numbers and stores a bill. Call as the LAST step of the transaction: the yearly counter row
/// is locked from here until commit.
pub fn issue(conn: &mut DbConn, new: NewInvoice<'_>) -> Result<InvoiceRow, ApiError> {
    let series = new.issued_at.format("%Y").to_string();
    let seq = store::next_seq(conn, &series)?;
    let row = InvoiceRow {
        id: new.id,
        number: format_number(&series, seq),
        series,
        seq,
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
    };
    store::insert(conn, &row)?;
    Ok(row)
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
