use crate::db::schema::{clients, invoices, ledger_entries, orders, price_tiers};
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
