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

// ---------------------------------------------------------------------------------------------
// Offers

use crate::db::schema::{offer_lines, offers, order_lines, products};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offers)]
pub struct OfferRow {
    pub id: String,
    pub client_id: String,
    pub status: String,
    pub decline_code: Option<String>,
    pub deal_below_floor: bool,
    pub decision_reason: Option<String>,
    pub override_reason: Option<String>,
    pub comment: Option<String>,
    pub wanted_by: Option<chrono::NaiveDate>,
    pub evidence: String,
    pub manager_id: Option<String>,
    pub created_by_kind: String,
    pub created_by_id: Option<String>,
    pub decided_by_kind: Option<String>,
    pub decided_by_id: Option<String>,
    pub policy_version: i32,
    pub valid_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offer_lines)]
pub struct OfferLineRow {
    pub offer_id: String,
    pub line_no: i32,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub tier_price_minor: i64,
    pub asked_price_minor: i64,
    pub competitor_price_minor: Option<i64>,
    pub cost_minor: i64,
    pub floor_bp: i32,
    pub below_floor: bool,
    pub counter_price_minor: Option<i64>,
    pub agreed_price_minor: Option<i64>,
    pub decision_cost_minor: Option<i64>,
    pub used_quantity: i64,
}

pub fn insert_offer(conn: &mut DbConn, row: &OfferRow, lines: &[OfferLineRow]) -> QueryResult<()> {
    diesel::insert_into(offers::table)
        .values(row)
        .execute(conn)?;
    crate::on_each_backend!(conn, |c| diesel::insert_into(offer_lines::table)
        .values(lines)
        .execute(c)
        .map(|_| ()))
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OfferRow>> {
    offers::table
        .find(id)
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

pub fn lines_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<OfferLineRow>> {
    offer_lines::table
        .filter(offer_lines::offer_id.eq_any(ids))
        .order((offer_lines::offer_id.asc(), offer_lines::line_no.asc()))
        .select(OfferLineRow::as_select())
        .load(conn)
}

pub struct OfferFilter {
    pub client_id: Option<String>,
    /// Stored statuses to match.
    pub statuses: Vec<&'static str>,
    /// Some(true): expired — stored so, or accepted or countered and past `valid_until` at
    /// `now` (the job has not run yet); Some(false): only not past `valid_until`.
    pub lapsed: Option<bool>,
    pub now: NaiveDateTime,
    pub manager_id: Option<String>,
    pub created_from: Option<NaiveDateTime>,
    pub created_to: Option<NaiveDateTime>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &OfferFilter) -> QueryResult<Vec<OfferRow>> {
    let mut q = offers::table.select(OfferRow::as_select()).into_boxed();
    if let Some(c) = &f.client_id {
        q = q.filter(offers::client_id.eq(c.clone()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(offers::status.eq_any(f.statuses.clone()));
    }
    match f.lapsed {
        Some(true) => {
            q = q.filter(
                offers::status.eq("expired").or(offers::status
                    .eq_any(["accepted", "countered"])
                    .and(offers::valid_until.lt(f.now))),
            )
        }
        Some(false) => {
            q = q.filter(
                offers::valid_until
                    .is_null()
                    .or(offers::valid_until.ge(f.now)),
            )
        }
        None => {}
    }
    if let Some(m) = &f.manager_id {
        q = q.filter(offers::manager_id.eq(m.clone()));
    }
    if let Some(t) = f.created_from {
        q = q.filter(offers::created_at.ge(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(offers::created_at.lt(t));
    }
    if let Some(a) = &f.after {
        q = q.filter(offers::id.gt(a.clone()));
    }
    q.order(offers::id.asc()).limit(f.limit + 1).load(conn)
}

/// What a decision changes on the offer row.
pub struct Decision<'a> {
    pub status: &'a str,
    pub decline_code: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub override_reason: Option<&'a str>,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub valid_until: Option<NaiveDateTime>,
    pub now: NaiveDateTime,
}

/// Moves the offer from one of `from` to the decision's status; false when it is in none of
/// them any more (another decision came first).
pub fn decide(conn: &mut DbConn, id: &str, from: &[&str], d: &Decision<'_>) -> QueryResult<bool> {
    diesel::update(
        offers::table
            .filter(offers::id.eq(id))
            .filter(offers::status.eq_any(from)),
    )
    .set((
        offers::status.eq(d.status),
        offers::decline_code.eq(d.decline_code),
        offers::decision_reason.eq(d.reason),
        offers::override_reason.eq(d.override_reason),
        offers::decided_by_kind.eq(d.actor_kind),
        offers::decided_by_id.eq(d.actor_id),
        offers::valid_until.eq(d.valid_until),
        offers::decided_at.eq(d.now),
        offers::updated_at.eq(d.now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// An expired offer: (id, client id, former status).
pub type ExpiredOffer = (String, String, String);

/// Accepted and countered offers past `valid_until` at `now`, after `after` in id order: at
/// most `limit` of them, set to `expired`. Returns how many were due, the last id seen, and
/// the (id, client id, former status) of those expired.
pub fn expire_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    after: &str,
    limit: i64,
) -> QueryResult<(i64, String, Vec<ExpiredOffer>)> {
    let due: Vec<String> = offers::table
        .filter(offers::status.eq_any(["accepted", "countered"]))
        .filter(offers::valid_until.lt(now))
        .filter(offers::id.gt(after))
        .order(offers::id.asc())
        .limit(limit)
        .select(offers::id)
        .load(conn)?;
    let seen = due.len() as i64;
    let last = due.last().cloned().unwrap_or_default();
    // One guarded update per former status (a decision that came in meanwhile keeps its
    // offer), returning what it expired.
    let mut expired = Vec::with_capacity(due.len());
    for from in ["accepted", "countered"] {
        let rows: Vec<(String, String)> = diesel::update(
            offers::table
                .filter(offers::id.eq_any(&due))
                .filter(offers::status.eq(from))
                .filter(offers::valid_until.lt(now)),
        )
        .set((offers::status.eq("expired"), offers::updated_at.eq(now)))
        .returning((offers::id, offers::client_id))
        .get_results(conn)?;
        expired.extend(
            rows.into_iter()
                .map(|(id, client)| (id, client, from.to_string())),
        );
    }
    expired.sort_unstable();
    Ok((seen, last, expired))
}

/// The client withdraws a pending, countered or accepted offer; false when it is in none of
/// those states any more.
pub fn withdraw(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        offers::table
            .filter(offers::id.eq(id))
            .filter(offers::status.eq_any(["pending", "countered", "accepted"])),
    )
    .set((offers::status.eq("withdrawn"), offers::updated_at.eq(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Staff take back an accepted offer or a counter not past `valid_until` at `now`; false
/// when it is no longer one.
pub fn revoke(
    conn: &mut DbConn,
    id: &str,
    reason: &str,
    actor_kind: &str,
    actor_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        offers::table
            .filter(offers::id.eq(id))
            .filter(offers::status.eq_any(["accepted", "countered"]))
            .filter(offers::valid_until.ge(now)),
    )
    .set((
        offers::status.eq("revoked"),
        offers::decision_reason.eq(reason),
        offers::decided_by_kind.eq(actor_kind),
        offers::decided_by_id.eq(actor_id),
        offers::decided_at.eq(now),
        offers::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// A client accepting a counter: the counter prices become the agreed ones.
pub fn accept_counter(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    actor_kind: &str,
    actor_id: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        offers::table
            .filter(offers::id.eq(id))
            .filter(offers::status.eq("countered"))
            .filter(offers::valid_until.ge(now)),
    )
    .set((
        offers::status.eq("accepted"),
        offers::updated_at.eq(now),
        offers::decided_by_kind.eq(actor_kind),
        offers::decided_by_id.eq(actor_id),
    ))
    .execute(conn)?;
    if n == 1 {
        diesel::update(offer_lines::table.filter(offer_lines::offer_id.eq(id)))
            .set(offer_lines::agreed_price_minor.eq(offer_lines::counter_price_minor))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// Sets a line's counter or agreed price and the cost it was decided at.
pub fn set_line_price(
    conn: &mut DbConn,
    offer_id: &str,
    line_no: i32,
    counter: Option<i64>,
    agreed: Option<i64>,
    cost: i64,
) -> QueryResult<()> {
    diesel::update(offer_lines::table.find((offer_id, line_no)))
        .set((
            offer_lines::counter_price_minor.eq(counter),
            offer_lines::agreed_price_minor.eq(agreed),
            offer_lines::decision_cost_minor.eq(cost),
        ))
        .execute(conn)
        .map(|_| ())
}

/// What margins are computed from, per product: (id, cost, category, VAT rate).
pub type CostRow = (String, i64, Option<String>, i32);

pub fn costs(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<CostRow>> {
    products::table
        .filter(products::id.eq_any(ids))
        .select((
            products::id,
            products::cost_price_minor,
            products::category,
            products::vat_rate_bp,
        ))
        .load(conn)
}

/// Locks an offer's lines for the rest of the transaction (a no-op update, portable: the next
/// statement on PostgreSQL reads what a concurrent order committed before it).
pub fn lock_lines(conn: &mut DbConn, offer_id: &str) -> QueryResult<()> {
    diesel::update(offer_lines::table.filter(offer_lines::offer_id.eq(offer_id)))
        .set(offer_lines::used_quantity.eq(offer_lines::used_quantity))
        .execute(conn)
        .map(|_| ())
}

/// Takes `quantity` of a line's agreed quantity for an order; false when not that much is
/// left.
pub fn consume(
    conn: &mut DbConn,
    offer_id: &str,
    product_id: &str,
    quantity: i64,
) -> QueryResult<bool> {
    diesel::update(
        offer_lines::table
            .filter(offer_lines::offer_id.eq(offer_id))
            .filter(offer_lines::product_id.eq(product_id))
            .filter((offer_lines::quantity - offer_lines::used_quantity).ge(quantity)),
    )
    .set(offer_lines::used_quantity.eq(offer_lines::used_quantity + quantity))
    .execute(conn)
    .map(|n| n == 1)
}

/// Gives back what orders `order_ids` (cancelled or expired) took of offers: one read of their
/// offer-priced lines, then one guarded update per such line (few orders carry offers).
pub fn give_back(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<usize> {
    let taken: Vec<(Option<String>, String, i64)> = order_lines::table
        .filter(order_lines::order_id.eq_any(order_ids))
        .filter(order_lines::offer_id.is_not_null())
        .select((
            order_lines::offer_id,
            order_lines::product_id,
            order_lines::quantity,
        ))
        .load(conn)?;
    // Lock the offers' lines first, offer by offer in id order, the way order placement locks
    // them (`lock_lines`), so a give-back and an order on the same offer cannot deadlock.
    let mut offers: Vec<&str> = taken.iter().filter_map(|t| t.0.as_deref()).collect();
    offers.sort_unstable();
    offers.dedup();
    for offer_id in offers {
        lock_lines(conn, offer_id)?;
    }
    let mut n = 0;
    for (offer_id, product_id, quantity) in taken {
        let Some(offer_id) = offer_id else { continue };
        n += diesel::update(
            offer_lines::table
                .filter(offer_lines::offer_id.eq(&offer_id))
                .filter(offer_lines::product_id.eq(&product_id))
                .filter(offer_lines::used_quantity.ge(quantity)),
        )
        .set(offer_lines::used_quantity.eq(offer_lines::used_quantity - quantity))
        .execute(conn)?;
    }
    Ok(n)
}

/// The offers of `client_ids` line by line, for their bargaining history: (client id, offer
/// id, status, tier price, quantity, agreed price). Clients bargain seldom: few rows.
#[allow(clippy::type_complexity)]
pub fn history_lines(
    conn: &mut DbConn,
    client_ids: &[String],
) -> QueryResult<Vec<(String, String, String, i64, i64, Option<i64>)>> {
    offers::table
        .inner_join(offer_lines::table)
        .filter(offers::client_id.eq_any(client_ids))
        .select((
            offers::client_id,
            offers::id,
            offers::status,
            offer_lines::tier_price_minor,
            offer_lines::quantity,
            offer_lines::agreed_price_minor,
        ))
        .load(conn)
}

/// How many offers a client made since `since`, and when the first of them was made.
pub fn made_since(
    conn: &mut DbConn,
    client_id: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    offers::table
        .filter(offers::client_id.eq(client_id))
        .filter(offers::created_at.ge(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(offers::created_at),
        ))
        .first(conn)
}
