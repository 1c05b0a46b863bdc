//! Diesel access to `price_tiers`, and the reads pricing needs from `clients`, `products` and
//! `stock`.

use crate::db::schema::{clients, price_tiers, products, stock};
use crate::db::DbConn;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

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

/// Columns a tier update sets; `None` leaves a column unchanged.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = price_tiers)]
pub struct TierChanges {
    pub name: Option<String>,
    pub min_turnover_minor: Option<i64>,
    pub discount_bp: Option<i32>,
    pub updated_at: chrono::NaiveDateTime,
}

/// A product as pricing reads it, with its stock.
#[derive(Debug, Clone, Queryable)]
pub struct PricingProductRow {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub list_price_minor: i64,
    pub vat_rate_bp: i32,
    pub active: bool,
    pub on_hand: i64,
    pub reserved: i64,
}

/// `Ok(None)` instead of a unique violation; the caller must then abandon the transaction
/// (PostgreSQL refuses further statements in it).
fn unless_unique_violation<T>(r: QueryResult<T>) -> QueryResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Inserts a tier. `Ok(false)` means the name is taken (abandon the transaction then).
pub fn insert(conn: &mut DbConn, row: &TierRow) -> QueryResult<bool> {
    unless_unique_violation(
        diesel::insert_into(price_tiers::table)
            .values(row)
            .execute(conn),
    )
    .map(|r| r.is_some())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    price_tiers::table.count().get_result(conn)
}

/// All tiers by minimum turnover, then name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<TierRow>> {
    price_tiers::table
        .select(TierRow::as_select())
        .order((
            price_tiers::min_turnover_minor.asc(),
            price_tiers::name.asc(),
        ))
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<TierRow>> {
    price_tiers::table
        .find(id)
        .select(TierRow::as_select())
        .first(conn)
        .optional()
}

/// Updates a tier. `Ok(None)` means the new name is taken (abandon the transaction then).
pub fn update(conn: &mut DbConn, id: &str, changes: &TierChanges) -> QueryResult<Option<TierRow>> {
    unless_unique_violation(
        diesel::update(price_tiers::table.find(id))
            .set(changes)
            .returning(price_tiers::all_columns)
            .get_result(conn),
    )
}

pub fn in_use(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    clients::table
        .filter(clients::tier_id.eq(id))
        .select(clients::id)
        .first::<String>(conn)
        .optional()
        .map(|c| c.is_some())
}

/// Deletes a tier: `Ok(None)` when a client references it (a foreign key violation; abandon
/// the transaction then), else the number of deleted rows.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<Option<usize>> {
    match diesel::delete(price_tiers::table.find(id)).execute(conn) {
        Ok(n) => Ok(Some(n)),
        Err(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The client's tier and its discount: `None` when there is no such client; the discount is
/// `None` when the client has no tier.
pub fn client_tier(
    conn: &mut DbConn,
    client_id: &str,
) -> QueryResult<Option<(Option<String>, Option<i32>)>> {
    clients::table
        .left_join(price_tiers::table)
        .filter(clients::id.eq(client_id))
        .select((clients::tier_id, price_tiers::discount_bp.nullable()))
        .first(conn)
        .optional()
}

/// The client row with its tier's discount (`None` without a tier), in one query.
pub fn client_with_discount(
    conn: &mut DbConn,
    client_id: &str,
) -> QueryResult<Option<(crate::clients::store::ClientRow, Option<i32>)>> {
    clients::table
        .left_join(price_tiers::table)
        .filter(clients::id.eq(client_id))
        .select((
            crate::clients::store::ClientRow::as_select(),
            price_tiers::discount_bp.nullable(),
        ))
        .first(conn)
        .optional()
}

/// Products named by id or by SKU, with their stock, in one query.
pub fn products_for_pricing(
    conn: &mut DbConn,
    ids: &[&str],
    skus: &[&str],
) -> QueryResult<Vec<PricingProductRow>> {
    products::table
        .inner_join(stock::table)
        .filter(products::id.eq_any(ids).or(products::sku.eq_any(skus)))
        .select((
            products::id,
            products::sku,
            products::name,
            products::unit,
            products::list_price_minor,
            products::vat_rate_bp,
            products::active,
            stock::on_hand,
            stock::reserved,
        ))
        .load(conn)
}
