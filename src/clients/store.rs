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
