use crate::db::schema::idempotency_keys;
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct KeyRow {
    pub principal: String,
    pub idem_key: String,
    pub request_hash: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn find(conn: &mut DbConn, principal: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    idempotency_keys::table
        .find((principal, key))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// Stores the key; false when it exists already (on PostgreSQL this waits for a transaction
/// that is inserting the same key to end).
pub fn insert_new(conn: &mut DbConn, row: &KeyRow) -> QueryResult<bool> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(|n| n == 1))
}

pub fn purge_before(conn: &mut DbConn, before: chrono::NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn)
}
