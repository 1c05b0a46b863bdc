use crate::db::schema::{
    clients, invoices, ledger_entries, orders, payments, price_tiers, statement_responses,
};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct EntryRow {
    pub id: String,
    pub client_id: String,
    pub seq: i64,
    pub kind: String,
    pub amount_minor: i64,
    pub balance_after_minor: i64,
    pub order_id: Option<String>,
    pub invoice_id: Option<String>,
    pub reason: Option<String>,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub payment_id: Option<String>,
}

/// Moves the cached balance by `amount` and takes the next entry number in one guarded UPDATE.
/// `floor`: the lowest balance allowed after the move, relative to the credit limit
/// (`Some(true)`: ≥ −credit_limit; `Some(false)`: ≥ 0; `None`: unguarded). Returns
/// (balance after, seq), or `None` when the guard refused.
pub fn move_balance(
    conn: &mut DbConn,
    client_id: &str,
    amount: i64,
    floor: Option<bool>,
) -> QueryResult<Option<(i64, i64)>> {
    let target = clients::table.filter(clients::id.eq(client_id));
    let set = (
        clients::balance_minor.eq(clients::balance_minor + amount),
        clients::ledger_seq.eq(clients::ledger_seq + 1),
    );
    let returning = (clients::balance_minor, clients::ledger_seq);
    match floor {
        Some(true) => diesel::update(
            target
                .filter((clients::balance_minor + clients::credit_limit_minor + amount).ge(0_i64)),
        )
        .set(set)
        .returning(returning)
        .get_result(conn)
        .optional(),
        Some(false) => diesel::update(target.filter((clients::balance_minor + amount).ge(0_i64)))
            .set(set)
            .returning(returning)
            .get_result(conn)
            .optional(),
        None => diesel::update(target)
            .set(set)
            .returning(returning)
            .get_result(conn)
            .optional(),
    }
}

/// Posts `entry` (its `seq` and `balance_after_minor` are filled in here): moves the balance
/// under the `floor` guard of `move_balance` and inserts the entry. `None` when the guard
/// refused. On PostgreSQL both happen in one statement (one round trip on the order path).
pub fn post_entry(
    conn: &mut DbConn,
    mut entry: EntryRow,
    floor: Option<bool>,
) -> QueryResult<Option<EntryRow>> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Posted {
        #[diesel(sql_type = BigInt)]
        seq: i64,
        #[diesel(sql_type = BigInt)]
        balance_after_minor: i64,
    }
    let posted = match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "WITH moved AS ( \
               UPDATE clients SET balance_minor = balance_minor + $3, ledger_seq = ledger_seq + 1 \
               WHERE id = $2 AND ($11::boolean IS NULL \
                 OR balance_minor + $3 + CASE WHEN $11 THEN credit_limit_minor ELSE 0 END >= 0) \
               RETURNING balance_minor, ledger_seq) \
             INSERT INTO ledger_entries (id, client_id, seq, kind, amount_minor, \
               balance_after_minor, order_id, invoice_id, reason, actor_kind, actor_id, created_at, \
               payment_id) \
             SELECT $1, $2, moved.ledger_seq, $4, $3, moved.balance_minor, $5, $6, $7, $8, $9, $10, \
               $12 \
             FROM moved RETURNING seq, balance_after_minor",
        )
        .bind::<Text, _>(&entry.id)
        .bind::<Text, _>(&entry.client_id)
        .bind::<BigInt, _>(entry.amount_minor)
        .bind::<Text, _>(&entry.kind)
        .bind::<Nullable<Text>, _>(&entry.order_id)
        .bind::<Nullable<Text>, _>(&entry.invoice_id)
        .bind::<Nullable<Text>, _>(&entry.reason)
        .bind::<Text, _>(&entry.actor_kind)
        .bind::<Nullable<Text>, _>(&entry.actor_id)
        .bind::<Timestamp, _>(entry.created_at)
        .bind::<Nullable<Bool>, _>(floor)
        .bind::<Nullable<Text>, _>(&entry.payment_id)
        .get_result::<Posted>(pg)
        .optional()?
        .map(|p| (p.balance_after_minor, p.seq)),
        DbConn::Sqlite(_) => {
            let moved = move_balance(conn, &entry.client_id, entry.amount_minor, floor)?;
            if let Some((balance_after, seq)) = moved {
                entry.seq = seq;
                entry.balance_after_minor = balance_after;
                insert(conn, &entry)?;
            }
            moved
        }
    };
    Ok(posted.map(|(balance_after, seq)| {
        entry.seq = seq;
        entry.balance_after_minor = balance_after;
        entry
    }))
}

/// Posts many unguarded entries at once (their `seq` and `balance_after_minor` are filled in
/// here), in slice order per client. On PostgreSQL: the clients' rows locked in id order, every
/// balance moved in one statement, the entries inserted in multi-row statements. SQLite (one
/// writer) posts them one by one.
pub fn post_entries(conn: &mut DbConn, entries: &mut [EntryRow]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Text};
    let pg = match conn {
        DbConn::Pg(pg) if entries.len() > 1 => pg,
        _ => {
            for e in entries.iter_mut() {
                *e = post_entry(conn, e.clone(), None)?.ok_or(diesel::result::Error::NotFound)?;
            }
            return Ok(());
        }
    };
    let mut per_client: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for e in entries.iter() {
        let t = per_client.entry(e.client_id.as_str()).or_default();
        t.0 += e.amount_minor;
        t.1 += 1;
    }
    let ids: Vec<&str> = per_client.keys().copied().collect();
    let sums: Vec<i64> = per_client.values().map(|t| t.0).collect();
    let counts: Vec<i64> = per_client.values().map(|t| t.1).collect();
    diesel::sql_query("SELECT id FROM clients WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind::<Array<Text>, _>(&ids)
        .execute(pg)?;
    #[derive(QueryableByName)]
    struct Moved {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = BigInt)]
        balance_minor: i64,
        #[diesel(sql_type = BigInt)]
        ledger_seq: i64,
    }
    let moved: Vec<Moved> = diesel::sql_query(
        "UPDATE clients SET balance_minor = clients.balance_minor + v.s, \
           ledger_seq = clients.ledger_seq + v.n \
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, s, n) \
         WHERE clients.id = v.id RETURNING clients.id, clients.balance_minor, clients.ledger_seq",
    )
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<BigInt>, _>(&sums)
    .bind::<Array<BigInt>, _>(&counts)
    .load(pg)?;
    if moved.len() != ids.len() {
        return Err(diesel::result::Error::NotFound);
    }
    // Each client's balance and number before this batch, then forward through its entries.
    let mut running: std::collections::HashMap<String, (i64, i64)> = moved
        .into_iter()
        .map(|m| {
            let (sum, n) = per_client[m.id.as_str()];
            (m.id, (m.balance_minor - sum, m.ledger_seq - n))
        })
        .collect();
    for e in entries.iter_mut() {
        let r = running
            .get_mut(&e.client_id)
            .ok_or(diesel::result::Error::NotFound)?;
        r.0 += e.amount_minor;
        r.1 += 1;
        e.balance_after_minor = r.0;
        e.seq = r.1;
    }
    for chunk in entries.chunks(5000) {
        insert_unnest(pg, chunk)?;
    }
    Ok(())
}

/// Inserts numbered entries in one unnest of column arrays (see `audit::store::insert_all`).
fn insert_unnest(pg: &mut diesel::PgConnection, rows: &[EntryRow]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
    let text = |f: fn(&EntryRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let opt = |f: fn(&EntryRow) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
    let int = |f: fn(&EntryRow) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    diesel::sql_query(
        "INSERT INTO ledger_entries (id, client_id, seq, kind, amount_minor, balance_after_minor, \
           order_id, invoice_id, reason, actor_kind, actor_id, created_at, payment_id) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], \
           $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
           $12::timestamp[], $13::text[])",
    )
    .bind::<Array<Text>, _>(text(|r| &r.id))
    .bind::<Array<Text>, _>(text(|r| &r.client_id))
    .bind::<Array<BigInt>, _>(int(|r| r.seq))
    .bind::<Array<Text>, _>(text(|r| &r.kind))
    .bind::<Array<BigInt>, _>(int(|r| r.amount_minor))
    .bind::<Array<BigInt>, _>(int(|r| r.balance_after_minor))
    .bind::<Array<Nullable<Text>>, _>(opt(|r| r.order_id.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(opt(|r| r.invoice_id.as_deref()))
    .bind::<Array<Nullable<Text>>, _>(opt(|r| r.reason.as_deref()))
    .bind::<Array<Text>, _>(text(|r| &r.actor_kind))
    .bind::<Array<Nullable<Text>>, _>(opt(|r| r.actor_id.as_deref()))
    .bind::<Array<Timestamp>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(opt(|r| r.payment_id.as_deref()))
    .execute(pg)
    .map(|_| ())
}

pub fn insert(conn: &mut DbConn, row: &EntryRow) -> QueryResult<()> {
    diesel::insert_into(ledger_entries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn list(
    conn: &mut DbConn,
    client_id: &str,
    after_seq: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EntryRow>> {
    let mut q = ledger_entries::table
        .select(EntryRow::as_select())
        .filter(ledger_entries::client_id.eq(client_id.to_string()))
        .into_boxed();
    if let Some(a) = after_seq {
        q = q.filter(ledger_entries::seq.gt(a));
    }
    q.order(ledger_entries::seq.asc())
        .limit(limit + 1)
        .load(conn)
}

/// Net goods released since `since` (positive kopecks).
pub fn turnover_since(
    conn: &mut DbConn,
    client_id: &str,
    since: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    let rows: Vec<i64> = ledger_entries::table
        .filter(ledger_entries::client_id.eq(client_id))
        .filter(ledger_entries::kind.eq_any(["release", "release_reversal"]))
        .filter(ledger_entries::created_at.ge(since))
        .select(ledger_entries::amount_minor)
        .load(conn)?;
    Ok(-rows.iter().sum::<i64>())
}

/// A client's tier state and its turnover (see `turnovers_since`).
#[derive(Debug, Clone, QueryableByName)]
pub struct ClientTurnoverRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub client_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub tier_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub tier_pinned: bool,
    /// Net goods released (positive kopecks; negative when reversals of older releases
    /// outweigh the window's releases).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub turnover_minor: i64,
}

pub const TURNOVERS_SQL: &str = "\
SELECT c.id AS client_id, c.tier_id, c.tier_pinned, \
  CAST(COALESCE(-t.net_minor, 0) AS BIGINT) AS turnover_minor \
FROM clients c LEFT JOIN ( \
  SELECT client_id, CAST(SUM(amount_minor) AS BIGINT) AS net_minor FROM ledger_entries \
  WHERE kind IN ('release', 'release_reversal') AND created_at >= $1 \
  GROUP BY client_id) t ON t.client_id = c.id \
ORDER BY c.id";

/// Every client's tier state and turnover since `since`: the rule of `turnover_since` (net
/// goods released, released minus reversed, entries at or after `since`) for all clients at
/// once, in one grouped statement (portable SQL; PostgreSQL sums BIGINT as NUMERIC, hence the
/// casts). Clients without such entries have 0. By client id.
pub fn turnovers_since(
    conn: &mut DbConn,
    since: chrono::NaiveDateTime,
) -> QueryResult<Vec<ClientTurnoverRow>> {
    diesel::sql_query(TURNOVERS_SQL)
        .bind::<diesel::sql_types::Timestamp, _>(since)
        .load(conn)
}

pub fn awaiting_payment(conn: &mut DbConn, client_id: &str) -> QueryResult<i64> {
    let totals: Vec<i64> = orders::table
        .filter(orders::client_id.eq(client_id))
        .filter(orders::status.eq("awaiting_payment"))
        .select(orders::total_minor)
        .load(conn)?;
    Ok(totals.iter().sum())
}

pub fn overdue(conn: &mut DbConn, client_id: &str, today: chrono::NaiveDate) -> QueryResult<i64> {
    let rows: Vec<(i64, i64)> = invoices::table
        .inner_join(orders::table)
        .filter(invoices::client_id.eq(client_id))
        .filter(invoices::status.eq("issued"))
        .filter(invoices::due_date.lt(today))
        .filter(orders::status.ne_all(["awaiting_payment", "cancelled", "expired"]))
        .select((invoices::total_minor, invoices::paid_minor))
        .load(conn)?;
    Ok(rows.iter().map(|(t, p)| t - p).sum())
}

/// (id, name, min turnover, discount) of every tier, lowest first.
pub fn tiers(conn: &mut DbConn) -> QueryResult<Vec<(String, String, i64, i32)>> {
    price_tiers::table
        .select((
            price_tiers::id,
            price_tiers::name,
            price_tiers::min_turnover_minor,
            price_tiers::discount_bp,
        ))
        .order(price_tiers::min_turnover_minor.asc())
        .load(conn)
}

/// A payment order's number and date, as a statement names it.
pub type PaymentOrder = (Option<String>, Option<chrono::NaiveDate>);

/// A ledger entry as a statement line needs it: with its bill's number and its payment order.
pub struct StatementEntry {
    pub entry: EntryRow,
    pub invoice_number: Option<String>,
    pub payment_order: Option<PaymentOrder>,
}

/// The balance after the client's last entry before `before` (0 without one).
pub fn balance_before(
    conn: &mut DbConn,
    client_id: &str,
    before: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    Ok(ledger_entries::table
        .filter(ledger_entries::client_id.eq(client_id))
        .filter(ledger_entries::created_at.lt(before))
        .order(ledger_entries::seq.desc())
        .select(ledger_entries::balance_after_minor)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// The client's entries in [from, to), in order, with bill numbers and payment orders.
pub fn entries_between(
    conn: &mut DbConn,
    client_id: &str,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> QueryResult<Vec<StatementEntry>> {
    let rows: Vec<(EntryRow, Option<String>, Option<PaymentOrder>)> = ledger_entries::table
        .left_join(invoices::table.on(invoices::id.nullable().eq(ledger_entries::invoice_id)))
        .left_join(payments::table.on(payments::id.nullable().eq(ledger_entries::payment_id)))
        .filter(ledger_entries::client_id.eq(client_id))
        .filter(ledger_entries::created_at.ge(from))
        .filter(ledger_entries::created_at.lt(to))
        .order(ledger_entries::seq.asc())
        .select((
            EntryRow::as_select(),
            invoices::number.nullable(),
            (payments::document_number, payments::document_date).nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(entry, invoice_number, payment_order)| StatementEntry {
            entry,
            invoice_number,
            payment_order,
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statement_responses)]
pub struct ResponseRow {
    pub id: String,
    pub client_id: String,
    pub period_from: chrono::NaiveDate,
    pub period_to: chrono::NaiveDate,
    pub status: String,
    pub comment: Option<String>,
    pub closing_balance_minor: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_response(conn: &mut DbConn, row: &ResponseRow) -> QueryResult<()> {
    diesel::insert_into(statement_responses::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn responses_for(
    conn: &mut DbConn,
    client_id: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> QueryResult<Vec<ResponseRow>> {
    statement_responses::table
        .filter(statement_responses::client_id.eq(client_id))
        .filter(statement_responses::period_from.eq(from))
        .filter(statement_responses::period_to.eq(to))
        .order(statement_responses::id.asc())
        .select(ResponseRow::as_select())
        .load(conn)
}

pub fn list_responses(
    conn: &mut DbConn,
    status: Option<&str>,
    client_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ResponseRow>> {
    let mut q = statement_responses::table
        .select(ResponseRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(statement_responses::status.eq(s.to_string()));
    }
    if let Some(c) = client_id {
        q = q.filter(statement_responses::client_id.eq(c.to_string()));
    }
    if let Some(a) = after {
        q = q.filter(statement_responses::id.gt(a.to_string()));
    }
    q.order(statement_responses::id.asc())
        .limit(limit + 1)
        .load(conn)
}
