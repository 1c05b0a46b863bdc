use crate::db::schema::{clients, invoices, payment_allocations, payment_imports, payments};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub bank_reference: String,
    pub source: String,
    pub import_id: Option<String>,
    pub amount_minor: i64,
    pub value_date: chrono::NaiveDate,
    pub payer_inn: String,
    pub payer_kpp: Option<String>,
    pub payer_name: String,
    pub purpose: String,
    pub document_number: Option<String>,
    pub document_date: Option<chrono::NaiveDate>,
    pub status: String,
    pub client_id: Option<String>,
    pub allocated_minor: i64,
    pub refunded_minor: i64,
    pub matched_by: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub matched_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_allocations)]
pub struct AllocationRow {
    pub id: String,
    pub payment_id: String,
    pub invoice_id: String,
    pub amount_minor: i64,
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_imports)]
pub struct ImportRow {
    pub id: String,
    pub format: String,
    pub file_sha256: String,
    pub documents: i32,
    pub imported: i32,
    pub duplicates: i32,
    pub ignored: i32,
    pub matched: i32,
    pub unmatched: i32,
    pub total_minor: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// A bill that can still take money: issued, not fully paid, its goods released (a waiting
/// order's bill is paid only once the order is released).
#[derive(Debug, Clone)]
pub struct OpenBill {
    pub id: String,
    pub client_id: String,
    pub number: String,
    pub due_date: chrono::NaiveDate,
    pub total_minor: i64,
    pub paid_minor: i64,
}

/// Stores a new payment; false when its bank reference is known already (nothing written).
pub fn insert_new(conn: &mut DbConn, row: &PaymentRow) -> QueryResult<bool> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(payments::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(|n| n == 1))
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<PaymentRow>> {
    payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Option<PaymentRow>> {
    payments::table
        .filter(payments::bank_reference.eq(reference))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()
}

/// Which of `references` are known already.
pub fn known_references(conn: &mut DbConn, references: &[&str]) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Text};
    let mut known = Vec::new();
    match conn {
        // A join on the unnested list probes the unique index whatever the planner believes of
        // a table that has just grown (`= ANY($1)` on a stale generic plan scans it per chunk).
        DbConn::Pg(pg) => {
            #[derive(QueryableByName)]
            struct Known {
                #[diesel(sql_type = Text)]
                bank_reference: String,
            }
            for chunk in references.chunks(10_000) {
                let rows: Vec<Known> = diesel::sql_query(
                    "SELECT p.bank_reference FROM unnest($1::text[]) AS r(reference) \
                     JOIN payments p ON p.bank_reference = r.reference",
                )
                .bind::<Array<Text>, _>(chunk)
                .load(pg)?;
                known.extend(rows.into_iter().map(|r| r.bank_reference));
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in references.chunks(500) {
                known.extend(
                    payments::table
                        .filter(payments::bank_reference.eq_any(chunk))
                        .select(payments::bank_reference)
                        .load::<String>(c)?,
                );
            }
        }
    }
    Ok(known)
}

/// Client ids by INN for the given INNs (INNs are unique per client).
pub fn clients_by_inn(conn: &mut DbConn, inns: &[&str]) -> QueryResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for chunk in inns.chunks(500) {
        found.extend(
            clients::table
                .filter(clients::inn.eq_any(chunk))
                .select((clients::inn, clients::id))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(found)
}

pub struct PaymentFilter {
    pub status: Option<String>,
    pub client_id: Option<String>,
    pub value_from: Option<chrono::NaiveDate>,
    pub value_to: Option<chrono::NaiveDate>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &PaymentFilter) -> QueryResult<Vec<PaymentRow>> {
    let mut q = payments::table.select(PaymentRow::as_select()).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(payments::status.eq(s.clone()));
    }
    if let Some(c) = &f.client_id {
        q = q.filter(payments::client_id.eq(c.clone()));
    }
    if let Some(d) = f.value_from {
        q = q.filter(payments::value_date.ge(d));
    }
    if let Some(d) = f.value_to {
        q = q.filter(payments::value_date.le(d));
    }
    if let Some(a) = &f.after {
        q = q.filter(payments::id.gt(a.clone()));
    }
    q.order(payments::id.asc()).limit(f.limit + 1).load(conn)
}

/// Allocations of the payments, with their bills' numbers.
pub fn allocations_of(
    conn: &mut DbConn,
    payment_ids: &[String],
) -> QueryResult<Vec<(AllocationRow, String)>> {
    payment_allocations::table
        .inner_join(invoices::table)
        .filter(payment_allocations::payment_id.eq_any(payment_ids))
        .order(payment_allocations::id.asc())
        .select((AllocationRow::as_select(), invoices::number))
        .load(conn)
}

/// Sets the client of an unmatched payment; false when it is matched already.
pub fn set_matched(
    conn: &mut DbConn,
    id: &str,
    client_id: &str,
    by: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq("unmatched")),
    )
    .set((
        payments::status.eq("matched"),
        payments::client_id.eq(Some(client_id)),
        payments::matched_by.eq(Some(by)),
        payments::matched_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The matched payments of `client_ids` that still hold money, per client oldest value date
/// first (sorted by client id, value date, id).
pub fn with_remainder_of(conn: &mut DbConn, client_ids: &[&str]) -> QueryResult<Vec<PaymentRow>> {
    let mut rows: Vec<PaymentRow> = Vec::new();
    for chunk in client_ids.chunks(500) {
        rows.extend(
            payments::table
                .filter(payments::client_id.eq_any(chunk))
                .filter(payments::status.eq("matched"))
                .filter(
                    (payments::allocated_minor + payments::refunded_minor)
                        .lt(payments::amount_minor),
                )
                .select(PaymentRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| {
        (&a.client_id, a.value_date, &a.id).cmp(&(&b.client_id, b.value_date, &b.id))
    });
    Ok(rows)
}

/// The bills of `client_ids` that can take money, per client oldest due first (sorted by
/// client id, due date, id).
pub fn open_bills_of(conn: &mut DbConn, client_ids: &[&str]) -> QueryResult<Vec<OpenBill>> {
    let mut bills: Vec<OpenBill> = Vec::new();
    for chunk in client_ids.chunks(500) {
        // The open receivables (invoices::store::OPEN_RECEIVABLE).
        let rows = invoices::table
            .filter(invoices::client_id.eq_any(chunk))
            .filter(invoices::status.eq("issued"))
            .filter(invoices::released.eq(true))
            .filter(invoices::paid_minor.lt(invoices::total_minor))
            .select((
                invoices::id,
                invoices::client_id,
                invoices::number,
                invoices::due_date,
                invoices::total_minor,
                invoices::paid_minor,
            ))
            .load::<(String, String, String, chrono::NaiveDate, i64, i64)>(conn)?;
        bills.extend(rows.into_iter().map(
            |(id, client_id, number, due_date, total_minor, paid_minor)| OpenBill {
                id,
                client_id,
                number,
                due_date,
                total_minor,
                paid_minor,
            },
        ));
    }
    bills.sort_by(|a, b| (&a.client_id, a.due_date, &a.id).cmp(&(&b.client_id, b.due_date, &b.id)));
    Ok(bills)
}

/// Moves bills `(id, was, paid, total)` from the paid amount read (`was`) to `paid` (a bill paid
/// in full, `paid` = `total`, becomes `paid`), each only if it is still issued with that amount
/// paid; returns how many moved. One
/// statement on PostgreSQL.
pub fn pay_bills(conn: &mut DbConn, moves: &[(&str, i64, i64, i64)]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Text};
    match conn {
        DbConn::Pg(pg) => {
            let mut n = 0;
            for chunk in moves.chunks(1000) {
                let ids: Vec<&str> = chunk.iter().map(|m| m.0).collect();
                let was: Vec<i64> = chunk.iter().map(|m| m.1).collect();
                let paid: Vec<i64> = chunk.iter().map(|m| m.2).collect();
                n += diesel::sql_query(
                    "UPDATE invoices SET paid_minor = v.paid, \
                       status = CASE WHEN v.paid = invoices.total_minor THEN 'paid' ELSE 'issued' END \
                     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, was, paid) \
                     WHERE invoices.id = v.id AND invoices.status = 'issued' \
                       AND invoices.paid_minor = v.was AND invoices.total_minor >= v.paid",
                )
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<BigInt>, _>(&was)
                .bind::<Array<BigInt>, _>(&paid)
                .execute(pg)?;
            }
            Ok(n)
        }
        DbConn::Sqlite(c) => {
            let mut n = 0;
            for &(id, was, paid, total) in moves {
                n += diesel::update(
                    invoices::table
                        .find(id)
                        .filter(invoices::status.eq("issued"))
                        .filter(invoices::paid_minor.eq(was))
                        .filter(invoices::total_minor.eq(total))
                        .filter(invoices::total_minor.ge(paid)),
                )
                .set((
                    invoices::paid_minor.eq(paid),
                    invoices::status.eq(if paid == total { "paid" } else { "issued" }),
                ))
                .execute(c)?;
            }
            Ok(n)
        }
    }
}

/// Takes back `amount` paid on a bill (a voided bill, a corrected match): a paid bill is
/// issued again, a void one stays void. False when less than `amount` is paid.
pub fn unpay_bill(conn: &mut DbConn, invoice_id: &str, amount: i64) -> QueryResult<bool> {
    let n = diesel::update(
        invoices::table
            .find(invoice_id)
            .filter(invoices::paid_minor.ge(amount)),
    )
    .set(invoices::paid_minor.eq(invoices::paid_minor - amount))
    .execute(conn)?;
    diesel::update(
        invoices::table
            .find(invoice_id)
            .filter(invoices::status.eq("paid")),
    )
    .set(invoices::status.eq("issued"))
    .execute(conn)?;
    Ok(n == 1)
}

/// `add_allocated` for many `(payment id, amount)`; returns how many moved. One statement on
/// PostgreSQL.
pub fn add_allocated_all(conn: &mut DbConn, moves: &[(&str, i64)]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Text};
    match conn {
        DbConn::Pg(pg) => {
            let mut n = 0;
            for chunk in moves.chunks(1000) {
                let ids: Vec<&str> = chunk.iter().map(|m| m.0).collect();
                let amounts: Vec<i64> = chunk.iter().map(|m| m.1).collect();
                n += diesel::sql_query(
                    "UPDATE payments SET allocated_minor = payments.allocated_minor + v.a \
                     FROM unnest($1::text[], $2::bigint[]) AS v(id, a) \
                     WHERE payments.id = v.id \
                       AND payments.allocated_minor + payments.refunded_minor + v.a \
                         <= payments.amount_minor \
                       AND payments.allocated_minor + v.a >= 0",
                )
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<BigInt>, _>(&amounts)
                .execute(pg)?;
            }
            Ok(n)
        }
        DbConn::Sqlite(_) => {
            let mut n = 0;
            for &(id, amount) in moves {
                n += add_allocated(conn, id, amount)? as usize;
            }
            Ok(n)
        }
    }
}

/// Moves a payment's allocated amount; false when it would exceed the payment.
pub fn add_allocated(conn: &mut DbConn, payment_id: &str, amount: i64) -> QueryResult<bool> {
    let n = diesel::update(
        payments::table.find(payment_id).filter(
            (payments::allocated_minor + payments::refunded_minor + amount)
                .le(payments::amount_minor)
                .and((payments::allocated_minor + amount).ge(0_i64)),
        ),
    )
    .set(payments::allocated_minor.eq(payments::allocated_minor + amount))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_allocations(conn: &mut DbConn, rows: &[AllocationRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(payment_allocations::table)
            .values(chunk)
            .execute(c)
            .map(|_| ()))?;
    }
    Ok(())
}

/// Net allocations per payment on a bill (payment id, amount), those still above zero.
pub fn net_allocations_on(conn: &mut DbConn, invoice_id: &str) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = payment_allocations::table
        .filter(payment_allocations::invoice_id.eq(invoice_id))
        .order(payment_allocations::id.asc())
        .select((
            payment_allocations::payment_id,
            payment_allocations::amount_minor,
        ))
        .load(conn)?;
    Ok(net_by_key(rows))
}

pub fn insert_import(conn: &mut DbConn, row: &ImportRow) -> QueryResult<()> {
    diesel::insert_into(payment_imports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The counts of an import, once its payments are stored.
pub fn update_import_counts(conn: &mut DbConn, row: &ImportRow) -> QueryResult<usize> {
    diesel::update(payment_imports::table.find(&row.id))
        .set((
            payment_imports::imported.eq(row.imported),
            payment_imports::duplicates.eq(row.duplicates),
            payment_imports::matched.eq(row.matched),
            payment_imports::unmatched.eq(row.unmatched),
            payment_imports::total_minor.eq(row.total_minor),
        ))
        .execute(conn)
}

/// Records `amount` more refunded (the status becomes `refunded` once nothing is unallocated);
/// false when it exceeds what is unallocated or the payment is not matched.
pub fn add_refunded(conn: &mut DbConn, payment: &PaymentRow, amount: i64) -> QueryResult<bool> {
    let refunded = payment.refunded_minor + amount;
    let status = if payment.allocated_minor + refunded == payment.amount_minor {
        "refunded"
    } else {
        "matched"
    };
    let n = diesel::update(
        payments::table
            .find(&payment.id)
            .filter(payments::status.eq("matched"))
            .filter(payments::refunded_minor.eq(payment.refunded_minor))
            .filter((payments::allocated_minor + refunded).le(payments::amount_minor)),
    )
    .set((
        payments::refunded_minor.eq(refunded),
        payments::status.eq(status),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A matched payment with nothing refunded back to `unmatched`, its allocations already
/// undone; false when it moved meanwhile.
pub fn set_unmatched(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    let n = diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq("matched"))
            .filter(payments::refunded_minor.eq(0_i64))
            .filter(payments::allocated_minor.eq(0_i64)),
    )
    .set((
        payments::status.eq("unmatched"),
        payments::client_id.eq(None::<String>),
        payments::matched_by.eq(None::<String>),
        payments::matched_at.eq(None::<chrono::NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Net allocations of a payment per bill (bill id, amount), those still above zero.
pub fn net_allocations_of(conn: &mut DbConn, payment_id: &str) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = payment_allocations::table
        .filter(payment_allocations::payment_id.eq(payment_id))
        .order(payment_allocations::id.asc())
        .select((
            payment_allocations::invoice_id,
            payment_allocations::amount_minor,
        ))
        .load(conn)?;
    Ok(net_by_key(rows))
}

/// Sums (key, amount) pairs per key in first-seen order, keeping the sums above zero.
fn net_by_key(rows: Vec<(String, i64)>) -> Vec<(String, i64)> {
    let mut net: Vec<(String, i64)> = Vec::new();
    for (k, a) in rows {
        match net.iter_mut().find(|(q, _)| *q == k) {
            Some((_, sum)) => *sum += a,
            None => net.push((k, a)),
        }
    }
    net.retain(|(_, a)| *a > 0);
    net
}

/// Stores new payments (their bank references checked unknown in this transaction) in
/// multi-row inserts.
pub fn insert_all(conn: &mut DbConn, rows: &[PaymentRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(payments::table)
            .values(chunk)
            .execute(c)
            .map(|_| ()))?;
    }
    Ok(())
}
