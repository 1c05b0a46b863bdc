use crate::db::schema::{document_counters, invoices};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    pub id: String,
    pub number: String,
    pub series: String,
    pub seq: i32,
    pub client_id: String,
    pub order_id: String,
    pub status: String,
    pub total_minor: i64,
    pub vat_minor: i64,
    pub paid_minor: i64,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub issued_at: chrono::NaiveDateTime,
    pub voided_at: Option<chrono::NaiveDateTime>,
}

/// Creates the counter of a series if it does not exist yet (at start-up, outside hot paths).
pub fn ensure_counter(conn: &mut DbConn, series: &str) -> QueryResult<()> {
    let exists: bool = diesel::select(diesel::dsl::exists(document_counters::table.find(series)))
        .get_result(conn)?;
    if !exists {
        match diesel::insert_into(document_counters::table)
            .values((
                document_counters::series.eq(series),
                document_counters::last_value.eq(0),
            ))
            .execute(conn)
        {
            Ok(_)
            | Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Takes the next number of the series. The counter row stays locked until the transaction
/// ends, so call this as the last step of the transaction.
pub fn next_seq(conn: &mut DbConn, series: &str) -> QueryResult<i32> {
    let next = diesel::update(document_counters::table.find(series))
        .set(document_counters::last_value.eq(document_counters::last_value + 1))
        .returning(document_counters::last_value)
        .get_result::<i32>(conn)
        .optional()?;
    match next {
        Some(n) => Ok(n),
        None => {
            diesel::insert_into(document_counters::table)
                .values((
                    document_counters::series.eq(series),
                    document_counters::last_value.eq(1),
                ))
                .execute(conn)?;
            Ok(1)
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &InvoiceRow) -> QueryResult<()> {
    diesel::insert_into(invoices::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<InvoiceRow>> {
    invoices::table
        .find(id)
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_order(conn: &mut DbConn, order_id: &str) -> QueryResult<Option<InvoiceRow>> {
    invoices::table
        .filter(invoices::order_id.eq(order_id))
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_orders(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<Vec<InvoiceRow>> {
    invoices::table
        .filter(invoices::order_id.eq_any(order_ids))
        .select(InvoiceRow::as_select())
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    client_id: Option<String>,
    status: Option<String>,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<InvoiceRow>> {
    let mut q = invoices::table.select(InvoiceRow::as_select()).into_boxed();
    if let Some(c) = client_id {
        q = q.filter(invoices::client_id.eq(c));
    }
    if let Some(s) = status {
        q = q.filter(invoices::status.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(invoices::id.gt(a));
    }
    q.order(invoices::id.asc()).limit(limit + 1).load(conn)
}

pub fn void(conn: &mut DbConn, id: &str, at: chrono::NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        invoices::table
            .find(id)
            .filter(invoices::status.eq("issued")),
    )
    .set((
        invoices::status.eq("void"),
        invoices::voided_at.eq(Some(at)),
    ))
    .execute(conn)
}
