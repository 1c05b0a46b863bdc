use crate::db::schema::{api_keys, users};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: String,
    pub client_id: Option<String>,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub role: String,
    pub secret_hash: String,
    pub secret_prefix: String,
    pub created_by: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub last_used_at: Option<chrono::NaiveDateTime>,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

pub fn insert_user(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn count_users(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Staff users when `client_id` is `None`, else that company's users.
pub fn list_users(
    conn: &mut DbConn,
    client_id: Option<&str>,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).into_boxed();
    q = match client_id {
        Some(c) => q.filter(users::client_id.eq(c.to_string())),
        None => q.filter(users::client_id.is_null()),
    };
    if let Some(a) = after {
        q = q.filter(users::id.gt(a));
    }
    q.order(users::id.asc()).limit(limit + 1).load(conn)
}

pub fn update_user(conn: &mut DbConn, id: &str, changes: &UserChanges) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(users::all_columns)
        .get_result(conn)
}

pub fn insert_api_key(conn: &mut DbConn, row: &ApiKeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_api_key(conn: &mut DbConn, id: &str) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_api_keys(
    conn: &mut DbConn,
    client_id: &str,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut q = api_keys::table
        .select(ApiKeyRow::as_select())
        .filter(api_keys::client_id.eq(client_id.to_string()))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(api_keys::id.gt(a));
    }
    q.order(api_keys::id.asc()).limit(limit + 1).load(conn)
}

pub fn revoke_api_key(
    conn: &mut DbConn,
    id: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<ApiKeyRow> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::revoked_at.eq(Some(at)))
        .returning(api_keys::all_columns)
        .get_result(conn)
}

pub fn touch_api_key(conn: &mut DbConn, id: &str, at: chrono::NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}
