use crate::db::schema::price_tiers;
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = price_tiers)]
pub struct TierRow {
    pub id: String,
    pub name: String,
    pub min_turnover_minor: i64,
    pub discount_bp: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &TierRow) -> QueryResult<()> {
    diesel::insert_into(price_tiers::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    price_tiers::table.count().get_result(conn)
}
