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
    /// Its order's goods were released: an issued bill is then a receivable.
    pub released: bool,
}

/// The condition on a bill `i` that makes it an open receivable: issued (not paid in full,
/// not void), its goods released, something left to pay. Implies the predicate of the partial
/// index `invoices_receivable_idx`, so the per-client lookups seek it. A macro so that the
/// SQL constants of other stores can `concat!` it; `OPEN_RECEIVABLE` for `format!`.
#[macro_export]
macro_rules! open_receivable {
    () => {
        "i.status = 'issued' AND i.released AND i.paid_minor < i.total_minor"
    };
}

pub const OPEN_RECEIVABLE: &str = crate::open_receivable!();

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

/// Numbers and inserts `row` (its `seq` and `number` are filled in here). On PostgreSQL the
/// counter is taken and the bill inserted in one statement, so the counter row, which every
/// bill of the year queues on, is held for one round trip less before the commit.
pub fn insert_numbered(conn: &mut DbConn, mut row: InvoiceRow) -> QueryResult<InvoiceRow> {
    use diesel::sql_types::{BigInt, Bool, Date, Integer, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Numbered {
        #[diesel(sql_type = Integer)]
        seq: i32,
    }
    let numbered = match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "WITH n AS (UPDATE document_counters SET last_value = last_value + 1 \
               WHERE series = $1 RETURNING last_value) \
             INSERT INTO invoices (id, number, series, seq, client_id, order_id, status, \
               total_minor, vat_minor, paid_minor, issue_date, due_date, issued_at, released) \
             SELECT $2, $1 || '-' || CASE WHEN n.last_value < 1000000 \
                 THEN lpad(n.last_value::text, 6, '0') ELSE n.last_value::text END, \
               $1, n.last_value, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM n RETURNING seq",
        )
        .bind::<Text, _>(&row.series)
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(&row.client_id)
        .bind::<Text, _>(&row.order_id)
        .bind::<Text, _>(&row.status)
        .bind::<BigInt, _>(row.total_minor)
        .bind::<BigInt, _>(row.vat_minor)
        .bind::<BigInt, _>(row.paid_minor)
        .bind::<Date, _>(row.issue_date)
        .bind::<Date, _>(row.due_date)
        .bind::<Timestamp, _>(row.issued_at)
        .bind::<Bool, _>(row.released)
        .get_result::<Numbered>(pg)
        .optional()?
        .map(|n| n.seq),
        DbConn::Sqlite(_) => None,
    };
    // SQLite (one writer at a time), or a series whose counter row does not exist yet: two
    // statements.
    let inserted = numbered.is_some();
    row.seq = match numbered {
        Some(seq) => seq,
        None => next_seq(conn, &row.series)?,
    };
    row.number = super::model::format_number(&row.series, row.seq);
    if !inserted {
        insert(conn, &row)?;
    }
    Ok(row)
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
    let mut rows = Vec::new();
    for chunk in order_ids.chunks(500) {
        rows.extend(
            invoices::table
                .filter(invoices::order_id.eq_any(chunk))
                .select(InvoiceRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
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

/// Marks the bills of orders just released with their `(invoice id, due date)`: a waiting
/// order's bill becomes a receivable, due after the payment terms from the release. One
/// statement per 1,000 on PostgreSQL.
pub fn mark_released(conn: &mut DbConn, dues: &[(&str, chrono::NaiveDate)]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Date, Text};
    match conn {
        DbConn::Pg(pg) => {
            for chunk in dues.chunks(1000) {
                let ids: Vec<&str> = chunk.iter().map(|d| d.0).collect();
                let dates: Vec<chrono::NaiveDate> = chunk.iter().map(|d| d.1).collect();
                diesel::sql_query(
                    "UPDATE invoices SET due_date = v.due, released = TRUE \
                     FROM unnest($1::text[], $2::date[]) AS v(id, due) WHERE invoices.id = v.id",
                )
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<Date>, _>(&dates)
                .execute(pg)?;
            }
            Ok(())
        }
        DbConn::Sqlite(c) => {
            for &(id, due) in dues {
                diesel::update(invoices::table.find(id))
                    .set((invoices::due_date.eq(due), invoices::released.eq(true)))
                    .execute(c)?;
            }
            Ok(())
        }
    }
}

/// Voids the issued bills of `order_ids`; returns how many.
pub fn void_by_orders(
    conn: &mut DbConn,
    order_ids: &[String],
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in order_ids.chunks(500) {
        n += diesel::update(
            invoices::table
                .filter(invoices::order_id.eq_any(chunk))
                .filter(invoices::status.eq("issued")),
        )
        .set((
            invoices::status.eq("void"),
            invoices::voided_at.eq(Some(at)),
        ))
        .execute(conn)?;
    }
    Ok(n)
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
