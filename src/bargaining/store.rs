//! Bargaining SQL: margin policy versions and offers.

use crate::db::schema::margin_policies;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = margin_policies)]
pub struct PolicyRow {
    pub version: i32,
    pub body: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The version in force at `at`: the latest set at or before it.
pub fn policy_at(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<Option<PolicyRow>> {
    margin_policies::table
        .filter(margin_policies::created_at.le(at))
        .order(margin_policies::version.desc())
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()
}

pub fn latest_version(conn: &mut DbConn) -> QueryResult<i32> {
    Ok(margin_policies::table
        .select(diesel::dsl::max(margin_policies::version))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// Adds a version; false when that version number was taken meanwhile.
pub fn insert_policy(conn: &mut DbConn, row: &PolicyRow) -> QueryResult<bool> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(margin_policies::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(|n| n == 1))
}

/// Which of `ids` are products.
pub fn known_products(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<String>> {
    use crate::db::schema::products;
    products::table
        .filter(products::id.eq_any(ids))
        .select(products::id)
        .load(conn)
}
