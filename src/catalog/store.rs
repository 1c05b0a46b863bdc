//! Diesel access to `products`, `stock` and `stock_movements`.

use crate::db::schema::{products, stock, stock_movements};
use crate::db::DbConn;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

// Row structs list their fields in the tables' column order: `RETURNING` goes through the
// MultiConnection only with column tuples (`all_columns`), which `Queryable` maps by position.

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub list_price_minor: i64,
    pub cost_price_minor: i64,
    pub vat_rate_bp: i32,
    pub category: Option<String>,
    pub active: bool,
    pub search_key: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

/// Columns a product update sets; `None` leaves a column unchanged, `category: Some(None)` sets
/// it to NULL.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub list_price_minor: Option<i64>,
    pub cost_price_minor: Option<i64>,
    pub vat_rate_bp: Option<i32>,
    pub category: Option<Option<String>>,
    pub active: Option<bool>,
    pub search_key: Option<String>,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stock)]
pub struct StockRow {
    pub product_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub updated_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stock_movements)]
pub struct MovementRow {
    pub id: String,
    pub product_id: String,
    pub kind: String,
    pub quantity: i64,
    pub on_hand_after: i64,
    pub reason: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// Also the key of the catalog page cache (`catalog::service::PageCache`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductFilter {
    /// A `LIKE` pattern from `validate::like_pattern`, matched against `search_key`.
    pub pattern: Option<String>,
    pub category: Option<String>,
    pub active: Option<bool>,
    /// Hide inactive products regardless of `active` (client principals).
    pub only_active: bool,
    pub after: Option<String>,
    pub limit: i64,
}

/// Inserts a product. `Ok(false)` means the SKU is taken; the caller must then abandon the
/// transaction (PostgreSQL refuses further statements in it).
pub fn insert_product(conn: &mut DbConn, row: &ProductRow) -> QueryResult<bool> {
    match diesel::insert_into(products::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn insert_stock(conn: &mut DbConn, row: &StockRow) -> QueryResult<()> {
    diesel::insert_into(stock::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_product(conn: &mut DbConn, id: &str) -> QueryResult<Option<(ProductRow, StockRow)>> {
    products::table
        .inner_join(stock::table)
        .filter(products::id.eq(id))
        .select((ProductRow::as_select(), StockRow::as_select()))
        .first(conn)
        .optional()
}

pub fn product_exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    products::table
        .find(id)
        .select(products::id)
        .first::<String>(conn)
        .optional()
        .map(|found| found.is_some())
}

/// Products with their stock, by id ascending; fetches `limit + 1` rows (see `Page::from_rows`).
pub fn list_products(
    conn: &mut DbConn,
    f: &ProductFilter,
) -> QueryResult<Vec<(ProductRow, StockRow)>> {
    let mut q = products::table
        .inner_join(stock::table)
        .select((ProductRow::as_select(), StockRow::as_select()))
        .into_boxed();
    if let Some(p) = &f.pattern {
        q = q.filter(products::search_key.like(p.clone()).escape('\\'));
    }
    if let Some(c) = &f.category {
        q = q.filter(products::category.eq(c.clone()));
    }
    if let Some(a) = f.active {
        q = q.filter(products::active.eq(a));
    }
    if f.only_active {
        q = q.filter(products::active.eq(true));
    }
    if let Some(after) = &f.after {
        q = q.filter(products::id.gt(after.clone()));
    }
    q.order(products::id.asc()).limit(f.limit + 1).load(conn)
}

pub fn update_product(
    conn: &mut DbConn,
    id: &str,
    changes: &ProductChanges,
) -> QueryResult<ProductRow> {
    diesel::update(products::table.find(id))
        .set(changes)
        .returning(products::all_columns)
        .get_result(conn)
}

pub fn find_stock(conn: &mut DbConn, product_id: &str) -> QueryResult<Option<StockRow>> {
    stock::table
        .find(product_id)
        .select(StockRow::as_select())
        .first(conn)
        .optional()
}

/// Adds `delta` to on hand unless that would take it below zero or below the reserved quantity.
/// `None` when the guard (or a missing row) stopped the update.
pub fn apply_stock_delta(
    conn: &mut DbConn,
    product_id: &str,
    delta: i64,
    now: chrono::NaiveDateTime,
) -> QueryResult<Option<StockRow>> {
    diesel::update(
        stock::table
            .filter(stock::product_id.eq(product_id))
            .filter((stock::on_hand + delta).ge(stock::reserved))
            .filter((stock::on_hand + delta).ge(0_i64)),
    )
    .set((
        stock::on_hand.eq(stock::on_hand + delta),
        stock::updated_at.eq(now),
    ))
    .returning(stock::all_columns)
    .get_result(conn)
    .optional()
}

pub fn insert_movement(conn: &mut DbConn, row: &MovementRow) -> QueryResult<()> {
    diesel::insert_into(stock_movements::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Movements of one product, by id ascending; fetches `limit + 1` rows.
pub fn list_movements(
    conn: &mut DbConn,
    product_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<MovementRow>> {
    let mut q = stock_movements::table
        .filter(stock_movements::product_id.eq(product_id.to_string()))
        .select(MovementRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(stock_movements::id.gt(after.to_string()));
    }
    q.order(stock_movements::id.asc())
        .limit(limit + 1)
        .load(conn)
}
