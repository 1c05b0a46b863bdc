//! Pricing use cases: price tier management (audited, one transaction per change), the order
//! pricing shared by quotes and orders, and quotes.

use super::model::{
    check_lines, price_order, LineRef, LineRequest, NewTier, PricedOrder, ProductPrice,
    QuoteRequest, QuoteView, TierUpdate, TierView,
};
use super::store::{self, TierChanges, TierRow};
use crate::audit::{self, model::Change};
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::money::Money;
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;
use std::collections::HashMap;

/// Client id → tier discount in basis points, recently read: for price displays only (quotes
/// and orders read the tier inside their own transaction).
pub type DiscountCache = crate::cache::Recent<String, i32>;

static DISCOUNT_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn discount_cache(ttl: std::time::Duration) -> DiscountCache {
    DiscountCache::new(ttl, &DISCOUNT_GENERATION)
}

/// Call after a change of a tier's discount or a client's tier has committed.
pub fn discounts_changed() {
    crate::cache::bump(&DISCOUNT_GENERATION);
}

/// Who may create, change and delete price tiers.
pub const TIER_EDITORS: &[Role] = &[Role::Admin, Role::Director];

fn require_editor(actor: &Principal) -> Result<(), ApiError> {
    if actor.has_any(TIER_EDITORS) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "price tiers are managed by director and admin",
        ))
    }
}

fn tier_view(r: TierRow) -> TierView {
    TierView {
        id: r.id,
        name: r.name,
        min_turnover: Money::from_minor(r.min_turnover_minor),
        discount_bp: r.discount_bp,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(
        "tier_name_taken",
        format!("a price tier named {name:?} already exists"),
    )
}

/// All tiers by minimum turnover ascending (there are few: one page, no cursor).
pub async fn list_tiers(pool: &Pool) -> Result<Page<TierView>, ApiError> {
    let rows = db::run(pool, |c| Ok(store::list(c)?)).await?;
    Ok(Page {
        items: rows.into_iter().map(tier_view).collect(),
        next_cursor: None,
    })
}

pub async fn get_tier(pool: &Pool, tier_id: String) -> Result<TierView, ApiError> {
    db::run(pool, move |c| {
        store::find(c, &tier_id)?.ok_or_else(|| ApiError::not_found("price tier"))
    })
    .await
    .map(tier_view)
}

/// Creates a tier; with an `Idempotency-Key` a retry creates it only once.
pub async fn create_tier(
    state: &AppState,
    actor: &Principal,
    mut input: NewTier,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    require_editor(actor)?;
    input.normalize_and_validate()?;
    let actor = actor.clone();
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        let now = db::now();
        let row = TierRow {
            id: db::new_id(),
            name: input.name.clone(),
            min_turnover_minor: input.min_turnover.minor(),
            discount_bp: input.discount_bp,
            created_at: now,
            updated_at: now,
        };
        if !store::insert(conn, &row)? {
            return Err(name_taken(&row.name));
        }
        audit::service::record(
            conn,
            &actor,
            Change {
                action: "price_tier.created",
                entity_type: "price_tier",
                entity_id: &row.id,
                client_id: None,
                details: json!(input),
            },
        )?;
        Ok(tier_view(row))
    })
    .await
}

pub async fn update_tier(
    pool: &Pool,
    actor: &Principal,
    tier_id: String,
    mut patch: TierUpdate,
) -> Result<TierView, ApiError> {
    require_editor(actor)?;
    patch.normalize_and_validate()?;
    let actor = actor.clone();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| -> Result<TierView, ApiError> {
            let current =
                store::find(conn, &tier_id)?.ok_or_else(|| ApiError::not_found("price tier"))?;
            if patch.is_empty() {
                return Ok(tier_view(current));
            }
            let changes = TierChanges {
                name: patch.name.clone(),
                min_turnover_minor: patch.min_turnover.map(|m| m.minor()),
                discount_bp: patch.discount_bp,
                updated_at: db::now(),
            };
            let Some(row) = store::update(conn, &current.id, &changes)? else {
                return Err(name_taken(patch.name.as_deref().unwrap_or_default()));
            };
            audit::service::record(
                conn,
                &actor,
                Change {
                    action: "price_tier.updated",
                    entity_type: "price_tier",
                    entity_id: &row.id,
                    client_id: None,
                    details: json!({ "name": current.name, "changes": patch }),
                },
            )?;
            Ok(tier_view(row))
        })
    })
    .await
    .inspect(|_| discounts_changed())
}

pub async fn delete_tier(pool: &Pool, actor: &Principal, tier_id: String) -> Result<(), ApiError> {
    require_editor(actor)?;
    let actor = actor.clone();
    let in_use = || ApiError::conflict("tier_in_use", "clients are assigned to this price tier");
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| -> Result<(), ApiError> {
            let row =
                store::find(conn, &tier_id)?.ok_or_else(|| ApiError::not_found("price tier"))?;
            if store::in_use(conn, &row.id)? || store::delete(conn, &row.id)?.is_none() {
                return Err(in_use());
            }
            audit::service::record(
                conn,
                &actor,
                Change {
                    action: "price_tier.deleted",
                    entity_type: "price_tier",
                    entity_id: &row.id,
                    client_id: None,
                    details: json!({
                        "name": row.name,
                        "min_turnover": Money::from_minor(row.min_turnover_minor),
                        "discount_bp": row.discount_bp,
                    }),
                },
            )?;
            Ok(())
        })
    })
    .await
}

/// The client's tier and discount in basis points (0 without a tier); 404 for an unknown client.
pub fn client_discount(
    conn: &mut DbConn,
    client_id: &str,
) -> Result<(Option<String>, i32), ApiError> {
    match store::client_tier(conn, client_id)? {
        Some((tier_id, discount)) => Ok((tier_id, discount.unwrap_or(0))),
        None => Err(ApiError::not_found("client")),
    }
}

/// Inside the caller's transaction/connection. Validates (1..=500 lines, quantity
/// 1..=1_000_000_000, exactly one of product_id/sku), resolves products, refuses
/// inactive/unknown ones, merges duplicate products (summing quantities), prices with the
/// client's tier discount (clients.tier_id -> price_tiers.discount_bp; 0 without a tier).
pub fn price_lines(
    conn: &mut DbConn,
    client_id: &str,
    lines: &[LineRequest],
) -> Result<PricedOrder, ApiError> {
    price_with_stock(conn, client_id, lines).map(|(order, _)| order)
}

/// `price_lines` when the caller already read the client's tier and discount.
pub fn price_lines_at(
    conn: &mut DbConn,
    client_id: &str,
    tier: (Option<String>, i32),
    lines: &[LineRequest],
) -> Result<PricedOrder, ApiError> {
    check_lines(lines)?;
    price_resolved(conn, client_id, tier, lines).map(|(order, _)| order)
}

/// `price_lines`, also giving each product's unbooked stock (on hand − reserved).
pub fn price_with_stock(
    conn: &mut DbConn,
    client_id: &str,
    lines: &[LineRequest],
) -> Result<(PricedOrder, HashMap<String, i64>), ApiError> {
    check_lines(lines)?;
    let tier = client_discount(conn, client_id)?;
    price_resolved(conn, client_id, tier, lines)
}

fn price_resolved(
    conn: &mut DbConn,
    client_id: &str,
    (tier_id, discount_bp): (Option<String>, i32),
    lines: &[LineRequest],
) -> Result<(PricedOrder, HashMap<String, i64>), ApiError> {
    let (mut ids, mut skus) = (Vec::new(), Vec::new());
    for l in lines {
        match l.reference() {
            LineRef::Id(id) => ids.push(id),
            LineRef::Sku(sku) => skus.push(sku),
        }
    }
    for v in [&mut ids, &mut skus] {
        v.sort_unstable();
        v.dedup();
    }
    let rows = store::products_for_pricing(conn, &ids, &skus)?;
    let by_id: HashMap<&str, _> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let by_sku: HashMap<&str, _> = rows.iter().map(|r| (r.sku.as_str(), r)).collect();
    let mut c = Check::new();
    let mut resolved = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let found = match l.reference() {
            LineRef::Id(id) => by_id.get(id),
            LineRef::Sku(sku) => by_sku.get(sku),
        };
        match found {
            None => c.add(&l.reference_field(i), "unknown_product", "no such product"),
            Some(p) if !p.active => c.add(
                &l.reference_field(i),
                "product_inactive",
                format!("product {} cannot be ordered", p.sku),
            ),
            Some(p) => resolved.push((
                i,
                ProductPrice {
                    product_id: p.id.clone(),
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    unit: p.unit.clone(),
                    list_price_minor: p.list_price_minor,
                    vat_rate_bp: p.vat_rate_bp,
                },
                l.quantity,
            )),
        }
    }
    c.finish()?;
    let order = price_order(client_id.to_string(), tier_id, discount_bp, resolved)?;
    let available = rows
        .iter()
        .map(|r| (r.id.clone(), (r.on_hand - r.reserved).max(0)))
        .collect();
    Ok((order, available))
}

/// The company a quote is for: a client principal's own (naming another answers 404); staff
/// must name one.
fn quote_client(actor: &Principal, requested: Option<String>) -> Result<String, ApiError> {
    if actor.is_staff() {
        return requested.ok_or_else(|| {
            ApiError::field(
                "client_id",
                "required",
                "staff must name the client company",
            )
        });
    }
    match (&actor.client_id, requested) {
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(id)) if *own == id => Ok(id),
        _ => Err(ApiError::not_found("client")),
    }
}

/// Prices lines for a client with its tier discount. Books nothing and writes nothing.
pub async fn create_quote(
    pool: &Pool,
    actor: &Principal,
    input: QuoteRequest,
) -> Result<QuoteView, ApiError> {
    let client_id = quote_client(actor, input.client_id)?;
    check_lines(&input.lines)?;
    let lines = input.lines;
    db::run(pool, move |conn| {
        let (order, available) = price_with_stock(conn, &client_id, &lines)?;
        Ok(QuoteView::new(order, |id| {
            available.get(id).copied().unwrap_or(0)
        }))
    })
    .await
}
