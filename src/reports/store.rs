//! The reports as portable SQL, one set-based statement per page: the same text runs on
//! PostgreSQL and SQLite. Dates are compared with bound dates (the aging boundaries are
//! computed in Rust), never with date functions; sums are cast to BIGINT (PostgreSQL sums a
//! BIGINT column as NUMERIC). Placeholders are numbered in the order they first appear, so
//! SQLite (where `$N` is a named parameter, numbered by first appearance) binds them like
//! PostgreSQL.

use super::model::AgingBounds;
use crate::db::DbConn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

/// Open receivables, one row per bill: the client, the open amount and the aging bucket
/// (0 not due, 1: 1–30 days, 2: 31–60, 3: 61–90, 4: more). Binds $1–$4: the bucket boundaries.
/// `{join}` / `{filter}` add the client join and the cursor condition of a grouping.
const RECEIVABLES: &str = concat!(
    "SELECT i.client_id AS client_id, {key} i.total_minor - i.paid_minor AS open_minor, \
       CASE WHEN i.due_date >= $1 THEN 0 WHEN i.due_date >= $2 THEN 1 \
            WHEN i.due_date >= $3 THEN 2 WHEN i.due_date >= $4 THEN 3 ELSE 4 END AS bucket \
     FROM invoices i {join}WHERE ",
    crate::open_receivable!(),
    " {filter}"
);

/// The aggregates of the receivables `r`.
const SUMS: &str = "\
CAST(COALESCE(SUM(CASE WHEN r.bucket = 0 THEN r.open_minor ELSE 0 END), 0) AS BIGINT) AS not_due_minor, \
CAST(COALESCE(SUM(CASE WHEN r.bucket = 1 THEN r.open_minor ELSE 0 END), 0) AS BIGINT) AS d1_30_minor, \
CAST(COALESCE(SUM(CASE WHEN r.bucket = 2 THEN r.open_minor ELSE 0 END), 0) AS BIGINT) AS d31_60_minor, \
CAST(COALESCE(SUM(CASE WHEN r.bucket = 3 THEN r.open_minor ELSE 0 END), 0) AS BIGINT) AS d61_90_minor, \
CAST(COALESCE(SUM(CASE WHEN r.bucket = 4 THEN r.open_minor ELSE 0 END), 0) AS BIGINT) AS d90_plus_minor, \
CAST(COALESCE(SUM(r.open_minor), 0) AS BIGINT) AS total_minor, \
COUNT(*) AS open_invoices, COUNT(DISTINCT r.client_id) AS clients";

fn receivables(key: &str, join: &str, filter: &str) -> String {
    RECEIVABLES
        .replace("{key}", key)
        .replace("{join}", join)
        .replace("{filter}", filter)
}

/// The aging total: one row (zeros without receivables).
pub fn aging_total_sql() -> String {
    format!("SELECT {SUMS} FROM ({}) r", receivables("", "", ""))
}

/// A page of clients: $5 the cursor (client id) or null, $6 the row limit.
pub fn aging_by_client_sql() -> String {
    format!(
        "SELECT a.client_id, c.name AS client_name, c.inn, c.manager_id, \
           u.full_name AS manager_name, a.not_due_minor, a.d1_30_minor, a.d31_60_minor, \
           a.d61_90_minor, a.d90_plus_minor, a.total_minor, a.open_invoices, a.clients \
         FROM (SELECT r.client_id, {SUMS} FROM ({}) r \
               GROUP BY r.client_id ORDER BY r.client_id LIMIT $6) a \
         JOIN clients c ON c.id = a.client_id \
         LEFT JOIN users u ON u.id = c.manager_id \
         ORDER BY a.client_id",
        receivables("", "", "AND ($5 IS NULL OR i.client_id > $5)")
    )
}

/// A page of managers: the key is the manager id, '' for clients without one (first in any
/// collation); $5 the cursor key or null, $6 the row limit.
pub fn aging_by_manager_sql() -> String {
    format!(
        "SELECT a.manager_key, u.full_name AS manager_name, a.not_due_minor, a.d1_30_minor, \
           a.d31_60_minor, a.d61_90_minor, a.d90_plus_minor, a.total_minor, a.open_invoices, \
           a.clients \
         FROM (SELECT r.manager_key, {SUMS} FROM ({}) r \
               GROUP BY r.manager_key ORDER BY r.manager_key LIMIT $6) a \
         LEFT JOIN users u ON u.id = a.manager_key \
         ORDER BY a.manager_key",
        receivables(
            "COALESCE(c.manager_id, '') AS manager_key,",
            "JOIN clients c ON c.id = i.client_id ",
            "AND ($5 IS NULL OR COALESCE(c.manager_id, '') > $5)"
        )
    )
}

/// Overdue receivables per client, largest first: $1 as_of (due before it), $2 the limit.
pub const DEBTORS_SQL: &str = concat!(
    "SELECT a.client_id, c.name AS client_name, c.inn, c.manager_id, u.full_name AS manager_name, \
  c.status, c.balance_minor, c.credit_limit_minor, a.overdue_minor, a.overdue_invoices, \
  a.oldest_due \
FROM (SELECT i.client_id, CAST(SUM(i.total_minor - i.paid_minor) AS BIGINT) AS overdue_minor, \
        COUNT(*) AS overdue_invoices, MIN(i.due_date) AS oldest_due \
      FROM invoices i WHERE ",
    crate::open_receivable!(),
    " AND i.due_date < $1 \
      GROUP BY i.client_id \
      ORDER BY overdue_minor DESC, i.client_id LIMIT $2) a \
JOIN clients c ON c.id = a.client_id \
LEFT JOIN users u ON u.id = c.manager_id \
ORDER BY a.overdue_minor DESC, a.client_id"
);

/// Turnover per client from the ledger: $1 start (inclusive), $2 end (exclusive), $3 one
/// client or null, $4 the cursor (client id) or null, $5 the row limit.
pub const TURNOVER_SQL: &str = "\
SELECT a.client_id, c.name AS client_name, c.inn, c.manager_id, u.full_name AS manager_name, \
  a.shipped_minor, a.payments_minor, a.released_orders, a.reversed_orders \
FROM (SELECT e.client_id, \
        CAST(-COALESCE(SUM(CASE WHEN e.kind IN ('release', 'release_reversal') \
          THEN e.amount_minor ELSE 0 END), 0) AS BIGINT) AS shipped_minor, \
        CAST(COALESCE(SUM(CASE WHEN e.kind IN ('payment', 'payment_reversal') \
          THEN e.amount_minor ELSE 0 END), 0) AS BIGINT) AS payments_minor, \
        CAST(COALESCE(SUM(CASE WHEN e.kind = 'release' THEN 1 ELSE 0 END), 0) AS BIGINT) \
          AS released_orders, \
        CAST(COALESCE(SUM(CASE WHEN e.kind = 'release_reversal' THEN 1 ELSE 0 END), 0) AS BIGINT) \
          AS reversed_orders \
      FROM ledger_entries e \
      WHERE e.kind IN ('payment', 'payment_reversal', 'release', 'release_reversal') \
        AND e.created_at >= $1 AND e.created_at < $2 \
        AND ($3 IS NULL OR e.client_id = $3) AND ($4 IS NULL OR e.client_id > $4) \
      GROUP BY e.client_id ORDER BY e.client_id LIMIT $5) a \
JOIN clients c ON c.id = a.client_id \
LEFT JOIN users u ON u.id = c.manager_id \
ORDER BY a.client_id";

/// Paid turnover per manager key ('' = no manager): $1 start (inclusive), $2 end (exclusive).
pub const MANAGERS_PAID_SQL: &str = "\
SELECT COALESCE(c.manager_id, '') AS manager_key, \
  CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) AS paid_minor, COUNT(DISTINCT c.id) AS clients \
FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id \
JOIN clients c ON c.id = i.client_id \
WHERE a.created_at >= $1 AND a.created_at < $2 \
GROUP BY COALESCE(c.manager_id, '')";

/// Open and overdue receivables per manager key: $1 overdue when due before it.
pub const MANAGERS_OPEN_SQL: &str = concat!(
    "SELECT COALESCE(c.manager_id, '') AS manager_key, \
  CAST(COALESCE(SUM(i.total_minor - i.paid_minor), 0) AS BIGINT) AS open_minor, \
  CAST(COALESCE(SUM(CASE WHEN i.due_date < $1 THEN i.total_minor - i.paid_minor ELSE 0 END), 0) \
    AS BIGINT) AS overdue_minor, COUNT(DISTINCT c.id) AS clients \
FROM invoices i JOIN clients c ON c.id = i.client_id WHERE ",
    crate::open_receivable!(),
    " GROUP BY COALESCE(c.manager_id, '')"
);

#[derive(Debug, Clone, QueryableByName)]
pub struct ManagerPaid {
    #[diesel(sql_type = Text)]
    pub manager_key: String,
    #[diesel(sql_type = BigInt)]
    pub paid_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub clients: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ManagerOpen {
    #[diesel(sql_type = Text)]
    pub manager_key: String,
    #[diesel(sql_type = BigInt)]
    pub open_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub clients: i64,
}

/// Paid turnover in `[start, end)` and receivables overdue before `overdue_before`, per manager
/// key, with the managers' names.
#[allow(clippy::type_complexity)]
pub fn managers(
    conn: &mut DbConn,
    start: chrono::NaiveDateTime,
    end: chrono::NaiveDateTime,
    overdue_before: chrono::NaiveDate,
) -> QueryResult<(Vec<ManagerPaid>, Vec<ManagerOpen>, Vec<(String, String)>)> {
    use crate::db::schema::users;
    let paid: Vec<ManagerPaid> = diesel::sql_query(MANAGERS_PAID_SQL)
        .bind::<Timestamp, _>(start)
        .bind::<Timestamp, _>(end)
        .load(conn)?;
    let open: Vec<ManagerOpen> = diesel::sql_query(MANAGERS_OPEN_SQL)
        .bind::<Date, _>(overdue_before)
        .load(conn)?;
    let mut ids: Vec<&str> = paid
        .iter()
        .map(|p| p.manager_key.as_str())
        .chain(open.iter().map(|o| o.manager_key.as_str()))
        .filter(|k| !k.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::full_name))
        .load(conn)?;
    Ok((paid, open, names))
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Sums {
    #[diesel(sql_type = BigInt)]
    pub not_due_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub d1_30_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub d31_60_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub d61_90_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub d90_plus_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub total_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub open_invoices: i64,
    #[diesel(sql_type = BigInt)]
    pub clients: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ClientAgingRow {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Text)]
    pub client_name: String,
    #[diesel(sql_type = Text)]
    pub inn: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_name: Option<String>,
    #[diesel(embed)]
    pub sums: Sums,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ManagerAgingRow {
    /// The manager id, '' for the clients without a manager.
    #[diesel(sql_type = Text)]
    pub manager_key: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_name: Option<String>,
    #[diesel(embed)]
    pub sums: Sums,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct DebtorSqlRow {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Text)]
    pub client_name: String,
    #[diesel(sql_type = Text)]
    pub inn: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub balance_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub credit_limit_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue_invoices: i64,
    #[diesel(sql_type = Date)]
    pub oldest_due: chrono::NaiveDate,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct TurnoverSqlRow {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Text)]
    pub client_name: String,
    #[diesel(sql_type = Text)]
    pub inn: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub shipped_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub payments_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub released_orders: i64,
    #[diesel(sql_type = BigInt)]
    pub reversed_orders: i64,
}

pub fn aging_total(conn: &mut DbConn, b: AgingBounds) -> QueryResult<Sums> {
    diesel::sql_query(aging_total_sql())
        .bind::<Date, _>(b.as_of)
        .bind::<Date, _>(b.d30)
        .bind::<Date, _>(b.d60)
        .bind::<Date, _>(b.d90)
        .get_result(conn)
}

/// Up to `limit + 1` client rows after the `after` client id.
pub fn aging_by_client(
    conn: &mut DbConn,
    b: AgingBounds,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ClientAgingRow>> {
    diesel::sql_query(aging_by_client_sql())
        .bind::<Date, _>(b.as_of)
        .bind::<Date, _>(b.d30)
        .bind::<Date, _>(b.d60)
        .bind::<Date, _>(b.d90)
        .bind::<Nullable<Text>, _>(after)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)
}

/// Up to `limit + 1` manager rows after the `after` key ('' = no manager).
pub fn aging_by_manager(
    conn: &mut DbConn,
    b: AgingBounds,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ManagerAgingRow>> {
    diesel::sql_query(aging_by_manager_sql())
        .bind::<Date, _>(b.as_of)
        .bind::<Date, _>(b.d30)
        .bind::<Date, _>(b.d60)
        .bind::<Date, _>(b.d90)
        .bind::<Nullable<Text>, _>(after)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)
}

pub fn debtors(
    conn: &mut DbConn,
    as_of: chrono::NaiveDate,
    limit: i64,
) -> QueryResult<Vec<DebtorSqlRow>> {
    diesel::sql_query(DEBTORS_SQL)
        .bind::<Date, _>(as_of)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Up to `limit + 1` client rows after `after`, entries in `[start, end)`.
pub fn turnover(
    conn: &mut DbConn,
    start: chrono::NaiveDateTime,
    end: chrono::NaiveDateTime,
    client_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<TurnoverSqlRow>> {
    diesel::sql_query(TURNOVER_SQL)
        .bind::<Timestamp, _>(start)
        .bind::<Timestamp, _>(end)
        .bind::<Nullable<Text>, _>(client_id)
        .bind::<Nullable<Text>, _>(after)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$N` placeholders must first appear in order 1, 2, 3…: SQLite numbers named parameters
    /// by first appearance, PostgreSQL by N.
    fn placeholders_in_order(sql: &str, count: usize) {
        let mut seen: Vec<usize> = Vec::new();
        let bytes = sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let digits: String = sql[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let n: usize = digits.parse().expect("a numbered placeholder");
                if !seen.contains(&n) {
                    assert_eq!(
                        n,
                        seen.len() + 1,
                        "${n} first appears out of order in {sql}"
                    );
                    seen.push(n);
                }
                i += digits.len();
            }
            i += 1;
        }
        assert_eq!(seen.len(), count, "{sql}");
    }

    #[test]
    fn placeholders_are_numbered_by_first_appearance() {
        placeholders_in_order(&aging_total_sql(), 4);
        placeholders_in_order(&aging_by_client_sql(), 6);
        placeholders_in_order(&aging_by_manager_sql(), 6);
        placeholders_in_order(DEBTORS_SQL, 2);
        placeholders_in_order(TURNOVER_SQL, 5);
        placeholders_in_order(MANAGERS_PAID_SQL, 2);
        placeholders_in_order(MANAGERS_OPEN_SQL, 1);
    }
}
