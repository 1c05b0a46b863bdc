//! Receivables SQL: policy versions, the penalty and hold candidates (portable, set-based),
//! bulk writes (one statement per batch on PostgreSQL, a loop on in-process SQLite). `$N`
//! placeholders first appear in order 1, 2, 3…: SQLite numbers them by first appearance.

use crate::db::schema::{clients, penalty_accruals, receivables_policies};
use crate::db::DbConn;
use crate::invoices::store::OPEN_RECEIVABLE;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = receivables_policies)]
pub struct PolicyRow {
    pub version: i32,
    pub body: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = penalty_accruals)]
pub struct AccrualRow {
    pub invoice_id: String,
    pub day: NaiveDate,
    pub client_id: String,
    pub amount_minor: i64,
    pub base_minor: i64,
    pub policy_version: i32,
    pub created_at: NaiveDateTime,
}

/// The version in force at `at`: the latest set at or before it.
pub fn policy_at(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<Option<PolicyRow>> {
    receivables_policies::table
        .filter(receivables_policies::created_at.le(at))
        .order(receivables_policies::version.desc())
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()
}

pub fn latest_version(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(receivables_policies::table
        .select(diesel::dsl::max(receivables_policies::version))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// Adds a version; false when that version number was taken meanwhile.
pub fn insert_policy(conn: &mut DbConn, row: &PolicyRow) -> QueryResult<bool> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(receivables_policies::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(|n| n == 1))
}

pub fn set_overrides(
    conn: &mut DbConn,
    client_id: &str,
    penalty_exempt: bool,
    auto_hold: bool,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::penalty_exempt.eq(penalty_exempt),
            clients::auto_hold.eq(auto_hold),
        ))
        .execute(conn)
}

pub fn overrides_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<(bool, bool, bool)>> {
    clients::table
        .find(client_id)
        .select((
            clients::penalty_exempt,
            clients::auto_hold,
            clients::held_by_job,
        ))
        .first(conn)
        .optional()
}

/// An overdue receivable that may accrue a penalty.
#[derive(Debug, Clone, QueryableByName)]
pub struct PenaltyCandidate {
    #[diesel(sql_type = Text)]
    pub invoice_id: String,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = BigInt)]
    pub total_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub open_minor: i64,
    #[diesel(sql_type = Date)]
    pub due_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub penalty_minor: i64,
    #[diesel(sql_type = Nullable<Date>)]
    pub penalty_through: Option<NaiveDate>,
}

/// The open receivables (issued bills of released orders, not fully paid) of the clients with
/// ids in (`after_client`, `last_client`], not exempt, due before `due_before`, not yet charged
/// through `today`, by client and id.
pub fn penalty_candidates(
    conn: &mut DbConn,
    due_before: NaiveDate,
    today: NaiveDate,
    after_client: &str,
    last_client: &str,
) -> QueryResult<Vec<PenaltyCandidate>> {
    diesel::sql_query(format!(
        "SELECT i.id AS invoice_id, i.number, i.client_id, i.total_minor, \
           i.total_minor - i.paid_minor AS open_minor, i.due_date, \
           COALESCE(p.penalty_minor, 0) AS penalty_minor, p.penalty_through \
         FROM invoices i LEFT JOIN invoice_penalties p ON p.invoice_id = i.id \
         WHERE {OPEN_RECEIVABLE} AND i.due_date < $1 \
           AND (p.penalty_through IS NULL OR p.penalty_through < $2) \
           AND i.client_id > $3 AND i.client_id <= $4 \
           AND i.client_id NOT IN (SELECT c.id FROM clients c \
                                   WHERE c.id > $3 AND c.id <= $4 AND c.penalty_exempt) \
         ORDER BY i.client_id, i.id"
    ))
    .bind::<Date, _>(due_before)
    .bind::<Date, _>(today)
    .bind::<Text, _>(after_client)
    .bind::<Text, _>(last_client)
    .load(conn)
}

/// Inserts the day accruals: one unnest statement per 5,000 on PostgreSQL (a multi-row VALUES
/// of 7 columns is parsed anew each time and costs several times as much), multi-row inserts
/// on SQLite.
pub fn insert_accruals(conn: &mut DbConn, rows: &[AccrualRow]) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => {
            for chunk in rows.chunks(5000) {
                let col = |f: fn(&AccrualRow) -> &str| chunk.iter().map(f).collect::<Vec<_>>();
                diesel::sql_query(
                    "INSERT INTO penalty_accruals (invoice_id, day, client_id, amount_minor, \
                       base_minor, policy_version, created_at) \
                     SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[], \
                       $5::bigint[], $6::int[], $7::timestamp[])",
                )
                .bind::<Array<Text>, _>(col(|r| &r.invoice_id))
                .bind::<Array<Date>, _>(chunk.iter().map(|r| r.day).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(col(|r| &r.client_id))
                .bind::<Array<BigInt>, _>(chunk.iter().map(|r| r.amount_minor).collect::<Vec<_>>())
                .bind::<Array<BigInt>, _>(chunk.iter().map(|r| r.base_minor).collect::<Vec<_>>())
                .bind::<Array<Integer>, _>(
                    chunk.iter().map(|r| r.policy_version).collect::<Vec<_>>(),
                )
                .bind::<Array<Timestamp>, _>(chunk.iter().map(|r| r.created_at).collect::<Vec<_>>())
                .execute(pg)?;
            }
            Ok(())
        }
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(500) {
                diesel::insert_into(penalty_accruals::table)
                    .values(chunk)
                    .execute(c)?;
            }
            Ok(())
        }
    }
}

/// Adds `(invoice id, amount)` to the bills' accrued penalties and marks them charged through
/// `through`, each only if not charged through it yet; returns how many moved.
pub fn add_penalties(
    conn: &mut DbConn,
    adds: &[(&str, i64)],
    through: NaiveDate,
) -> QueryResult<usize> {
    const UPSERT: &str = "ON CONFLICT (invoice_id) DO UPDATE \
        SET penalty_minor = invoice_penalties.penalty_minor + excluded.penalty_minor, \
            penalty_through = excluded.penalty_through \
        WHERE invoice_penalties.penalty_through < excluded.penalty_through";
    match conn {
        DbConn::Pg(pg) => {
            let mut n = 0;
            for chunk in adds.chunks(5000) {
                let ids: Vec<&str> = chunk.iter().map(|a| a.0).collect();
                let amounts: Vec<i64> = chunk.iter().map(|a| a.1).collect();
                n += diesel::sql_query(format!(
                    "INSERT INTO invoice_penalties (invoice_id, penalty_minor, penalty_through) \
                     SELECT v.id, v.a, $3 FROM unnest($1::text[], $2::bigint[]) AS v(id, a) \
                     {UPSERT}"
                ))
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<BigInt>, _>(&amounts)
                .bind::<Date, _>(through)
                .execute(pg)?;
            }
            Ok(n)
        }
        DbConn::Sqlite(c) => {
            // Multi-row VALUES, 300 bills (900 parameters) per statement; the placeholders
            // appear in order, as SQLite numbers them.
            let mut n = 0;
            for chunk in adds.chunks(300) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|k| format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3))
                    .collect();
                let mut q = diesel::sql_query(format!(
                    "INSERT INTO invoice_penalties (invoice_id, penalty_minor, penalty_through) \
                     VALUES {} {UPSERT}",
                    values.join(", ")
                ))
                .into_boxed::<diesel::sqlite::Sqlite>();
                for &(id, amount) in chunk {
                    q = q
                        .bind::<Text, _>(id)
                        .bind::<BigInt, _>(amount)
                        .bind::<Date, _>(through);
                }
                n += q.execute(c)?;
            }
            Ok(n)
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct HoldCandidate {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = BigInt)]
    pub balance_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub credit_limit_minor: i64,
    /// Due date of its oldest open receivable, when it has one.
    #[diesel(sql_type = Nullable<Date>)]
    pub oldest_due: Option<NaiveDate>,
}

/// The due date of a client's oldest open receivable, the shared part of the hold queries: a
/// correlated subquery, so each batch of clients seeks the open-bills index per client instead
/// of aggregating every bill.
fn oldest_due() -> String {
    format!(
        "(SELECT MIN(i.due_date) FROM invoices i WHERE i.client_id = c.id AND {OPEN_RECEIVABLE})"
    )
}

/// Among the clients with ids in (`after`, `last`], the active ones with automatic holds whose
/// oldest receivable is due on or before `late_since` (when given), or whose balance is below
/// −credit_limit (when `over_limit`).
pub fn to_hold(
    conn: &mut DbConn,
    after: &str,
    last: &str,
    late_since: Option<NaiveDate>,
    over_limit: bool,
) -> QueryResult<Vec<HoldCandidate>> {
    diesel::sql_query(format!(
        "SELECT r.id, r.balance_minor, r.credit_limit_minor, r.oldest_due FROM ( \
           SELECT c.id, c.balance_minor, c.credit_limit_minor, {} AS oldest_due \
           FROM clients c WHERE c.id > $1 AND c.id <= $2 \
             AND c.status = 'active' AND c.auto_hold = TRUE) r \
         WHERE (r.oldest_due IS NOT NULL AND r.oldest_due <= $3) \
            OR ($4 AND r.balance_minor < -r.credit_limit_minor) \
         ORDER BY r.id",
        oldest_due()
    ))
    .bind::<Text, _>(after)
    .bind::<Text, _>(last)
    .bind::<Nullable<Date>, _>(late_since)
    .bind::<Bool, _>(over_limit)
    .load(conn)
}

/// Clients the job put on hold, with what decides whether the cause is gone.
pub fn held_by_job(conn: &mut DbConn, after: &str, limit: i64) -> QueryResult<Vec<HoldCandidate>> {
    diesel::sql_query(format!(
        "SELECT c.id, c.balance_minor, c.credit_limit_minor, {} AS oldest_due \
         FROM clients c \
         WHERE c.status = 'on_hold' AND c.held_by_job = TRUE AND c.id > $1 \
         ORDER BY c.id LIMIT $2",
        oldest_due()
    ))
    .bind::<Text, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Moves clients between `from` and `to` status (hold: `held_by_job` set; lift: cleared);
/// returns the ids that moved. The rows are locked in id order on PostgreSQL.
pub fn set_status(
    conn: &mut DbConn,
    ids: &[&str],
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let by_job = to == "on_hold";
    let mut moved = Vec::new();
    if let DbConn::Pg(pg) = conn {
        clients::table
            .filter(clients::id.eq_any(ids))
            .order(clients::id.asc())
            .select(clients::id)
            .for_update()
            .load::<String>(pg)?;
    }
    for chunk in ids.chunks(500) {
        let ids_now: Vec<String> = diesel::update(
            clients::table
                .filter(clients::id.eq_any(chunk))
                .filter(clients::status.eq(from)),
        )
        .set((
            clients::status.eq(to),
            clients::held_by_job.eq(by_job),
            clients::updated_at.eq(at),
        ))
        .returning(clients::id)
        .get_results(conn)?;
        moved.extend(ids_now);
    }
    Ok(moved)
}

/// An open receivable a reminder level is due for.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReminderCandidate {
    #[diesel(sql_type = Text)]
    pub invoice_id: String,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Text)]
    pub client_name: String,
    #[diesel(sql_type = BigInt)]
    pub total_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub open_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub penalty_minor: i64,
    #[diesel(sql_type = Date)]
    pub issue_date: NaiveDate,
    #[diesel(sql_type = Date)]
    pub due_date: NaiveDate,
}

/// Open receivables due on or before `due_to` and (when given) after `due_after`, with no
/// notice of the level `offset_days` yet, after the `after` id, in id order.
pub fn reminder_candidates(
    conn: &mut DbConn,
    due_to: NaiveDate,
    due_after: Option<NaiveDate>,
    offset_days: i32,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<ReminderCandidate>> {
    diesel::sql_query(format!(
        "SELECT i.id AS invoice_id, i.number, i.client_id, c.name AS client_name, i.total_minor, \
           i.total_minor - i.paid_minor AS open_minor, COALESCE(p.penalty_minor, 0) AS penalty_minor, \
           i.issue_date, i.due_date \
         FROM invoices i JOIN clients c ON c.id = i.client_id \
         LEFT JOIN invoice_penalties p ON p.invoice_id = i.id \
         WHERE {OPEN_RECEIVABLE} AND i.due_date <= $1 AND ($2 IS NULL OR i.due_date > $2) \
           AND NOT EXISTS (SELECT 1 FROM dunning_notices n \
                           WHERE n.invoice_id = i.id AND n.offset_days = $3) \
           AND i.id > $4 \
         ORDER BY i.id LIMIT $5"
    ))
    .bind::<Date, _>(due_to)
    .bind::<Nullable<Date>, _>(due_after)
    .bind::<diesel::sql_types::Integer, _>(offset_days)
    .bind::<Text, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::dunning_notices)]
pub struct NoticeRow {
    pub invoice_id: String,
    pub offset_days: i32,
    pub client_id: String,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub level_day: NaiveDate,
    pub policy_version: i32,
    pub created_at: NaiveDateTime,
}

pub fn insert_notices(conn: &mut DbConn, rows: &[NoticeRow]) -> QueryResult<()> {
    for chunk in rows.chunks(200) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(
            crate::db::schema::dunning_notices::table
        )
        .values(chunk)
        .execute(c)
        .map(|_| ()))?;
    }
    Ok(())
}

/// A paid bill without a bonus yet.
#[derive(Debug, Clone, QueryableByName)]
pub struct BonusCandidate {
    #[diesel(sql_type = Text)]
    pub invoice_id: String,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = BigInt)]
    pub total_minor: i64,
    #[diesel(sql_type = Date)]
    pub due_date: NaiveDate,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamp>)]
    pub released_at: Option<NaiveDateTime>,
    /// When its last allocation came: when it was paid in full.
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub paid_at: NaiveDateTime,
}

/// Bills paid in full since `paid_since` with no bonus yet, after the `after` id, in id order.
pub fn bonus_candidates(
    conn: &mut DbConn,
    paid_since: NaiveDateTime,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<BonusCandidate>> {
    diesel::sql_query(
        "SELECT i.id AS invoice_id, i.number, i.client_id, i.total_minor, i.due_date, \
           o.released_at, MAX(a.created_at) AS paid_at \
         FROM invoices i JOIN orders o ON o.id = i.order_id \
         JOIN payment_allocations a ON a.invoice_id = i.id \
         LEFT JOIN bonus_awards b ON b.invoice_id = i.id \
         WHERE i.status = 'paid' AND b.invoice_id IS NULL AND i.id > $1 \
         GROUP BY i.id, i.number, i.client_id, i.total_minor, i.due_date, o.released_at \
         HAVING MAX(a.created_at) >= $2 \
         ORDER BY i.id LIMIT $3",
    )
    .bind::<Text, _>(after)
    .bind::<diesel::sql_types::Timestamp, _>(paid_since)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::bonus_awards)]
pub struct BonusRow {
    pub invoice_id: String,
    pub client_id: String,
    pub amount_minor: i64,
    pub reason: String,
    pub policy_version: i32,
    pub created_at: NaiveDateTime,
}

pub fn insert_bonuses(conn: &mut DbConn, rows: &[BonusRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_each_backend!(conn, |c| diesel::insert_into(
            crate::db::schema::bonus_awards::table
        )
        .values(chunk)
        .execute(c)
        .map(|_| ()))?;
    }
    Ok(())
}
