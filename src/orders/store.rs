use crate::db::schema::{order_lines, orders, stock, stock_movements};
use crate::db::DbConn;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: String,
    pub client_id: String,
    pub status: String,
    pub fulfilment: String,
    pub delivery_address: Option<String>,
    pub client_reference: Option<String>,
    pub comment: Option<String>,
    pub total_minor: i64,
    pub vat_minor: i64,
    pub discount_bp: i32,
    pub tier_id: Option<String>,
    pub reserved_until: Option<chrono::NaiveDateTime>,
    pub pickup_code: Option<String>,
    pub placed_by_kind: String,
    pub placed_by_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub released_at: Option<chrono::NaiveDateTime>,
    pub closed_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_lines)]
pub struct LineRow {
    pub order_id: String,
    pub line_no: i32,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub discount_bp: i32,
    pub unit_price_minor: i64,
    pub vat_rate_bp: i32,
    pub total_minor: i64,
    pub vat_minor: i64,
}

pub fn insert_order(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::insert_into(orders::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn insert_line(conn: &mut DbConn, row: &LineRow) -> QueryResult<()> {
    diesel::insert_into(order_lines::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderRow>> {
    orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()
}

/// Lines of these orders, by order then line number.
pub fn lines_of(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<Vec<LineRow>> {
    order_lines::table
        .filter(order_lines::order_id.eq_any(order_ids))
        .select(LineRow::as_select())
        .order((order_lines::order_id.asc(), order_lines::line_no.asc()))
        .load(conn)
}

pub struct OrderFilter {
    pub client_id: Option<String>,
    pub status: Option<String>,
    pub client_reference: Option<String>,
    pub created_from: Option<chrono::NaiveDateTime>,
    pub created_to: Option<chrono::NaiveDateTime>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &OrderFilter) -> QueryResult<Vec<OrderRow>> {
    let mut q = orders::table.select(OrderRow::as_select()).into_boxed();
    if let Some(c) = &f.client_id {
        q = q.filter(orders::client_id.eq(c.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(orders::status.eq(s.clone()));
    }
    if let Some(r) = &f.client_reference {
        q = q.filter(orders::client_reference.eq(r.clone()));
    }
    if let Some(t) = f.created_from {
        q = q.filter(orders::created_at.ge(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(orders::created_at.lt(t));
    }
    if let Some(a) = &f.after {
        q = q.filter(orders::id.gt(a.clone()));
    }
    q.order(orders::id.asc()).limit(f.limit + 1).load(conn)
}

/// Moves an order from one of `from` to `to`; false when another request moved it first.
pub fn transition(
    conn: &mut DbConn,
    id: &str,
    from: &[&str],
    to: &str,
    at: chrono::NaiveDateTime,
    closes: bool,
) -> QueryResult<bool> {
    let target = orders::table.find(id).filter(orders::status.eq_any(from));
    let n = if closes {
        diesel::update(target)
            .set((
                orders::status.eq(to),
                orders::updated_at.eq(at),
                orders::closed_at.eq(Some(at)),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((orders::status.eq(to), orders::updated_at.eq(at)))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// Books `quantity` of free stock; false when not enough is free.
pub fn reserve(conn: &mut DbConn, product_id: &str, quantity: i64) -> QueryResult<bool> {
    let n = diesel::update(
        stock::table
            .filter(stock::product_id.eq(product_id))
            .filter((stock::on_hand - stock::reserved).ge(quantity)),
    )
    .set(stock::reserved.eq(stock::reserved + quantity))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn available(conn: &mut DbConn, product_id: &str) -> QueryResult<i64> {
    stock::table
        .find(product_id)
        .select(stock::on_hand - stock::reserved)
        .first(conn)
}

/// Frees a reservation.
pub fn unreserve(conn: &mut DbConn, product_id: &str, quantity: i64) -> QueryResult<bool> {
    let n = diesel::update(
        stock::table
            .filter(stock::product_id.eq(product_id))
            .filter(stock::reserved.ge(quantity)),
    )
    .set(stock::reserved.eq(stock::reserved - quantity))
    .execute(conn)?;
    Ok(n == 1)
}

/// Goods leave the warehouse: on hand and reserved both drop. Returns on hand after.
pub fn issue(conn: &mut DbConn, product_id: &str, quantity: i64) -> QueryResult<Option<i64>> {
    diesel::update(
        stock::table
            .filter(stock::product_id.eq(product_id))
            .filter(stock::reserved.ge(quantity))
            .filter(stock::on_hand.ge(quantity)),
    )
    .set((
        stock::on_hand.eq(stock::on_hand - quantity),
        stock::reserved.eq(stock::reserved - quantity),
    ))
    .returning(stock::on_hand)
    .get_result(conn)
    .optional()
}

#[allow(clippy::too_many_arguments)]
pub fn insert_issue_movement(
    conn: &mut DbConn,
    id: &str,
    product_id: &str,
    quantity: i64,
    on_hand_after: i64,
    order_id: &str,
    actor_kind: &str,
    actor_id: Option<&str>,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(stock_movements::table)
        .values((
            stock_movements::id.eq(id),
            stock_movements::product_id.eq(product_id),
            stock_movements::kind.eq("issue"),
            stock_movements::quantity.eq(quantity),
            stock_movements::on_hand_after.eq(on_hand_after),
            stock_movements::reason.eq(format!("order {order_id}")),
            stock_movements::actor_kind.eq(actor_kind),
            stock_movements::actor_id.eq(actor_id),
            stock_movements::created_at.eq(at),
            stock_movements::order_id.eq(Some(order_id)),
        ))
        .execute(conn)
        .map(|_| ())
}
