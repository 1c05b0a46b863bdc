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
    /// The accepted offer whose agreed price this line carries.
    pub offer_id: Option<String>,
}

pub fn insert_order(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::insert_into(orders::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Inserts an order's lines in one statement.
pub fn insert_lines(conn: &mut DbConn, rows: &[LineRow]) -> QueryResult<()> {
    crate::on_each_backend!(conn, |c| diesel::insert_into(order_lines::table)
        .values(rows)
        .execute(c)
        .map(|_| ()))
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

/// The client's orders awaiting payment, oldest first.
pub fn waiting_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<OrderRow>> {
    orders::table
        .filter(orders::client_id.eq(client_id))
        .filter(orders::status.eq("awaiting_payment"))
        .order((orders::created_at.asc(), orders::id.asc()))
        .select(OrderRow::as_select())
        .load(conn)
}

/// The orders awaiting payment of `client_ids`, per client oldest first (sorted by client id,
/// created at, id).
pub fn waiting_of_all(conn: &mut DbConn, client_ids: &[&str]) -> QueryResult<Vec<OrderRow>> {
    let mut rows: Vec<OrderRow> = Vec::new();
    for chunk in client_ids.chunks(500) {
        rows.extend(
            orders::table
                .filter(orders::client_id.eq_any(chunk))
                .filter(orders::status.eq("awaiting_payment"))
                .select(OrderRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| {
        (&a.client_id, a.created_at, &a.id).cmp(&(&b.client_id, b.created_at, &b.id))
    });
    Ok(rows)
}

/// `release` for many `(order id, pickup code)` at once; returns the ids actually released
/// (the others were moved by another request first). One statement on PostgreSQL.
pub fn release_all(
    conn: &mut DbConn,
    releases: &[(&str, Option<&str>)],
    at: chrono::NaiveDateTime,
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamp};
    match conn {
        DbConn::Pg(pg) => {
            #[derive(QueryableByName)]
            struct Released {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let mut done = Vec::new();
            for chunk in releases.chunks(1000) {
                let ids: Vec<&str> = chunk.iter().map(|r| r.0).collect();
                let codes: Vec<Option<&str>> = chunk.iter().map(|r| r.1).collect();
                let rows: Vec<Released> = diesel::sql_query(
                    "UPDATE orders SET status = 'released', updated_at = $3, released_at = $3, \
                       pickup_code = v.code \
                     FROM unnest($1::text[], $2::text[]) AS v(id, code) \
                     WHERE orders.id = v.id AND orders.status = 'awaiting_payment' \
                     RETURNING orders.id",
                )
                .bind::<Array<Text>, _>(&ids)
                .bind::<Array<Nullable<Text>>, _>(&codes)
                .bind::<Timestamp, _>(at)
                .load(pg)?;
                done.extend(rows.into_iter().map(|r| r.id));
            }
            Ok(done)
        }
        DbConn::Sqlite(_) => {
            let mut done = Vec::new();
            for &(id, code) in releases {
                if release(conn, id, at, code.map(str::to_string))? {
                    done.push(id.to_string());
                }
            }
            Ok(done)
        }
    }
}

/// `awaiting_payment` → `released` with its pickup code; false when another request moved it
/// first.
pub fn release(
    conn: &mut DbConn,
    id: &str,
    at: chrono::NaiveDateTime,
    pickup_code: Option<String>,
) -> QueryResult<bool> {
    let n = diesel::update(
        orders::table
            .find(id)
            .filter(orders::status.eq("awaiting_payment")),
    )
    .set((
        orders::status.eq("released"),
        orders::updated_at.eq(at),
        orders::released_at.eq(Some(at)),
        orders::pickup_code.eq(pickup_code),
    ))
    .execute(conn)?;
    Ok(n == 1)
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

/// Books free stock for every `(product id, quantity)` (ids unique and sorted), all or nothing:
/// returns the products short of free stock with what is free, and books nothing then (the
/// caller's transaction rolls back). On PostgreSQL one statement locks the rows in product-id
/// order, so concurrent orders cannot deadlock, and one more books them all; SQLite has one
/// writer at a time and books row by row.
pub fn reserve_all(conn: &mut DbConn, wants: &[(&str, i64)]) -> QueryResult<Vec<(String, i64)>> {
    match conn {
        DbConn::Pg(pg) => {
            let ids: Vec<&str> = wants.iter().map(|w| w.0).collect();
            let rows: Vec<(String, i64, i64)> = stock::table
                .filter(stock::product_id.eq_any(&ids))
                .order(stock::product_id.asc())
                .select((stock::product_id, stock::on_hand, stock::reserved))
                .for_update()
                .load(pg)?;
            let free: std::collections::HashMap<&str, i64> = rows
                .iter()
                .map(|(id, on_hand, reserved)| (id.as_str(), on_hand - reserved))
                .collect();
            let short: Vec<(String, i64)> = wants
                .iter()
                .filter_map(|&(id, q)| {
                    let f = free.get(id).copied().unwrap_or(0);
                    (f < q).then(|| (id.to_string(), f.max(0)))
                })
                .collect();
            if !short.is_empty() {
                return Ok(short);
            }
            let quantities: Vec<i64> = wants.iter().map(|w| w.1).collect();
            let n = diesel::sql_query(
                "UPDATE stock SET reserved = stock.reserved + v.q \
                 FROM unnest($1::text[], $2::bigint[]) AS v(pid, q) \
                 WHERE stock.product_id = v.pid",
            )
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
            .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&quantities)
            .execute(pg)?;
            if n != wants.len() {
                return Err(diesel::result::Error::RollbackTransaction);
            }
            Ok(Vec::new())
        }
        DbConn::Sqlite(_) => {
            let mut short = Vec::new();
            for &(id, q) in wants {
                if !reserve(conn, id, q)? {
                    short.push((id.to_string(), available(conn, id)?.max(0)));
                }
            }
            Ok(short)
        }
    }
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

/// Orders awaiting payment whose reservation ran out at `now`, oldest first: (id, client id).
pub fn due_for_expiry(
    conn: &mut DbConn,
    now: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    orders::table
        .filter(orders::status.eq("awaiting_payment"))
        .filter(orders::reserved_until.le(now))
        .order((orders::reserved_until.asc(), orders::id.asc()))
        .limit(limit)
        .select((orders::id, orders::client_id))
        .load(conn)
}

/// `awaiting_payment` → `expired` for `ids`; returns the ids that moved (a payment or a cancel
/// may have moved the others first). One statement on PostgreSQL.
pub fn expire_all(
    conn: &mut DbConn,
    ids: &[String],
    at: chrono::NaiveDateTime,
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Text, Timestamp};
    match conn {
        DbConn::Pg(pg) => {
            #[derive(QueryableByName)]
            struct Moved {
                #[diesel(sql_type = Text)]
                id: String,
            }
            let rows: Vec<Moved> = diesel::sql_query(
                "UPDATE orders SET status = 'expired', updated_at = $2, closed_at = $2 \
                 WHERE id = ANY($1) AND status = 'awaiting_payment' RETURNING id",
            )
            .bind::<Array<Text>, _>(ids)
            .bind::<Timestamp, _>(at)
            .load(pg)?;
            Ok(rows.into_iter().map(|r| r.id).collect())
        }
        DbConn::Sqlite(_) => {
            let mut moved = Vec::new();
            for id in ids {
                if transition(conn, id, &["awaiting_payment"], "expired", at, true)? {
                    moved.push(id.clone());
                }
            }
            Ok(moved)
        }
    }
}

/// Frees reservations `(product id, quantity)` (ids unique and sorted), each only if that much
/// is reserved; returns how many products it freed. On PostgreSQL the rows are locked in
/// product-id order first (the lock order of order placement), then freed in one statement.
pub fn unreserve_all(conn: &mut DbConn, frees: &[(&str, i64)]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Text};
    match conn {
        DbConn::Pg(pg) => {
            let ids: Vec<&str> = frees.iter().map(|f| f.0).collect();
            let quantities: Vec<i64> = frees.iter().map(|f| f.1).collect();
            stock::table
                .filter(stock::product_id.eq_any(&ids))
                .order(stock::product_id.asc())
                .select(stock::product_id)
                .for_update()
                .load::<String>(pg)?;
            diesel::sql_query(
                "UPDATE stock SET reserved = stock.reserved - v.q \
                 FROM unnest($1::text[], $2::bigint[]) AS v(pid, q) \
                 WHERE stock.product_id = v.pid AND stock.reserved >= v.q",
            )
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<BigInt>, _>(&quantities)
            .execute(pg)
        }
        DbConn::Sqlite(_) => {
            let mut n = 0;
            for &(id, q) in frees {
                n += unreserve(conn, id, q)? as usize;
            }
            Ok(n)
        }
    }
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
