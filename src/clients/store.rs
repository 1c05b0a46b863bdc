use crate::db::schema::{clients, users};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub legal_address: String,
    pub delivery_address: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub credit_limit_minor: i64,
    pub payment_terms_days: i32,
    pub tier_id: Option<String>,
    pub tier_pinned: bool,
    pub status: String,
    pub manager_id: Option<String>,
    pub balance_minor: i64,
    pub search_key: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Number of ledger entries so far (the last entry's `seq`).
    pub ledger_seq: i64,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = clients)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub kpp: Option<Option<String>>,
    pub legal_address: Option<String>,
    pub delivery_address: Option<Option<String>>,
    pub email: Option<String>,
    pub phone: Option<Option<String>>,
    pub credit_limit_minor: Option<i64>,
    pub payment_terms_days: Option<i32>,
    pub status: Option<String>,
    pub manager_id: Option<Option<String>>,
    pub tier_id: Option<Option<String>>,
    pub tier_pinned: Option<bool>,
    pub search_key: Option<String>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ClientRow) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ClientRow>> {
    clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()
}

/// The clients of `ids` (those that exist), in id order.
pub fn find_many(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<ClientRow>> {
    let mut rows: Vec<ClientRow> = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            clients::table
                .filter(clients::id.eq_any(chunk))
                .select(ClientRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

pub fn exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(clients::table.find(id))).get_result(conn)
}

pub fn inn_taken(conn: &mut DbConn, inn: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        clients::table.filter(clients::inn.eq(inn)),
    ))
    .get_result(conn)
}

/// The responsible manager of a client; None when there is no such client.
pub fn manager_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<Option<String>>> {
    clients::table
        .find(client_id)
        .select(clients::manager_id)
        .first(conn)
        .optional()
}

pub fn is_staff_user(conn: &mut DbConn, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::client_id.is_null()),
    ))
    .get_result(conn)
}

pub struct ClientFilter {
    /// Restricts to one company (client principals).
    pub only_id: Option<String>,
    /// `LIKE` pattern over name and INN.
    pub pattern: Option<String>,
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &ClientFilter) -> QueryResult<Vec<ClientRow>> {
    let mut q = clients::table.select(ClientRow::as_select()).into_boxed();
    if let Some(id) = &f.only_id {
        q = q.filter(clients::id.eq(id.clone()));
    }
    if let Some(p) = &f.pattern {
        q = q.filter(clients::search_key.like(p.clone()).escape('\\'));
    }
    if let Some(s) = &f.status {
        q = q.filter(clients::status.eq(s.clone()));
    }
    if let Some(a) = &f.after {
        q = q.filter(clients::id.gt(a.clone()));
    }
    q.order(clients::id.asc()).limit(f.limit + 1).load(conn)
}

pub fn update(conn: &mut DbConn, id: &str, changes: &ClientChanges) -> QueryResult<ClientRow> {
    diesel::update(clients::table.find(id))
        .set(changes)
        .execute(conn)?;
    find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

/// A tier change the recalculation decided: the client, the tier it had when read, its new one.
pub struct TierMove<'a> {
    pub client_id: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// Sets each client's tier `from` → `to` (client ids unique), only where the tier is still
/// `from` and not pinned (a director's change since the read wins); returns the ids that moved. On PostgreSQL the rows are locked in id order first (the lock order of
/// ledger postings), then moved in one statement per 1,000; SQLite has one writer at a time
/// and moves them row by row.
pub fn move_tiers(
    conn: &mut DbConn,
    moves: &[TierMove<'_>],
    at: chrono::NaiveDateTime,
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamp};
    match conn {
        DbConn::Pg(pg) => {
            #[derive(QueryableByName)]
            struct Moved {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let mut done = Vec::new();
            for chunk in moves.chunks(1000) {
                let ids: Vec<&str> = chunk.iter().map(|m| m.client_id).collect();
                let from: Vec<Option<&str>> = chunk.iter().map(|m| m.from).collect();
                let to: Vec<Option<&str>> = chunk.iter().map(|m| m.to).collect();
                clients::table
                    .filter(clients::id.eq_any(&ids))
                    .order(clients::id.asc())
                    .select(clients::id)
                    .for_update()
                    .load::<String>(pg)?;
                // NULL is no tier: `IS NOT DISTINCT FROM` compares it as a value, and the
                // arrays are typed so that NULL elements bind.
                let rows: Vec<Moved> = diesel::sql_query(
                    "UPDATE clients SET tier_id = v.to_tier, updated_at = $4 \
                     FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, from_tier, to_tier) \
                     WHERE clients.id = v.id AND NOT clients.tier_pinned \
                       AND clients.tier_id IS NOT DISTINCT FROM v.from_tier \
                     RETURNING clients.id",
                )
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<Nullable<Text>>, _>(&from)
                .bind::<Array<Nullable<Text>>, _>(&to)
                .bind::<Timestamp, _>(at)
                .load(pg)?;
                done.extend(rows.into_iter().map(|r| r.id));
            }
            Ok(done)
        }
        DbConn::Sqlite(_) => {
            let mut done = Vec::new();
            for m in moves {
                let unpinned = clients::table
                    .find(m.client_id)
                    .filter(clients::tier_pinned.eq(false));
                let set = (clients::tier_id.eq(m.to), clients::updated_at.eq(at));
                let n = match m.from {
                    Some(f) => diesel::update(unpinned.filter(clients::tier_id.eq(f)))
                        .set(set)
                        .execute(conn)?,
                    None => diesel::update(unpinned.filter(clients::tier_id.is_null()))
                        .set(set)
                        .execute(conn)?,
                };
                if n == 1 {
                    done.push(m.client_id.to_string());
                }
            }
            Ok(done)
        }
    }
}

/// The next `limit` client ids after `after` ('' to start), in id order: the batches of the
/// per-client jobs.
pub fn ids_after(conn: &mut DbConn, after: &str, limit: i64) -> QueryResult<Vec<String>> {
    clients::table
        .filter(clients::id.gt(after))
        .order(clients::id.asc())
        .limit(limit)
        .select(clients::id)
        .load(conn)
}

/// The last id of each run of `size` clients in id order, and the last id of all: the ranges
/// (previous end, end] cover every client once (used by jobs that split the clients between
/// workers up front).
pub fn range_ends(conn: &mut DbConn, size: i64) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct End {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let ends: Vec<End> = diesel::sql_query(
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n, \
           COUNT(*) OVER () AS total FROM clients) t \
         WHERE n % $1 = 0 OR n = total ORDER BY id",
    )
    .bind::<diesel::sql_types::BigInt, _>(size.max(1))
    .load(conn)?;
    Ok(ends.into_iter().map(|e| e.id).collect())
}
