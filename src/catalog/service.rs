//! Catalog use cases. Every write runs in one transaction together with its audit row and
//! outbox event.

use super::model::{
    NewProduct, NewStockMovement, ProductQuery, ProductUpdate, ProductView, StockMovementKind,
    StockMovementView, StockView,
};
use super::store::{self, MovementRow, ProductChanges, ProductFilter, ProductRow, StockRow};
use crate::audit::{self, model::Change};
use crate::auth::model::{Principal, Role};
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::pricing::{self, service::DiscountCache};
use crate::state::AppState;
use crate::validate;
use crate::web::{Page, PageParams};
use serde_json::json;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Who may create and change products.
pub const PRODUCT_EDITORS: &[Role] = &[Role::Admin, Role::Director, Role::Manager];
/// Who may record stock movements.
pub const STOCK_KEEPERS: &[Role] = &[Role::Admin, Role::Logistician, Role::Manager];

fn require(actor: &Principal, roles: &[Role], detail: &str) -> Result<(), ApiError> {
    if actor.has_any(roles) {
        Ok(())
    } else {
        Err(ApiError::forbidden(detail))
    }
}

/// The product as `staff` or a client principal may see it: clients get neither the cost
/// price nor the on-hand / reserved detail (their own price is added by
/// `ProductView::with_client_price`).
pub fn product_view(p: ProductRow, s: StockRow, staff: bool) -> ProductView {
    ProductView {
        id: p.id,
        sku: p.sku,
        name: p.name,
        unit: p.unit,
        list_price: Money::from_minor(p.list_price_minor),
        price: None,
        cost_price: staff.then(|| Money::from_minor(p.cost_price_minor)),
        vat_rate_bp: p.vat_rate_bp,
        category: p.category,
        active: p.active,
        stock: StockView::new(s.on_hand, s.reserved, staff),
        created_at: p.created_at.and_utc(),
        updated_at: p.updated_at.and_utc(),
    }
}

fn movement_view(r: MovementRow) -> StockMovementView {
    // The table's CHECK constraint admits only the three kinds.
    let kind = StockMovementKind::parse(&r.kind).unwrap_or(StockMovementKind::Correction);
    StockMovementView {
        delta: kind.delta(r.quantity),
        kind,
        id: r.id,
        product_id: r.product_id,
        quantity: r.quantity,
        on_hand_after: r.on_hand_after,
        reason: r.reason,
        actor_kind: r.actor_kind,
        actor_id: r.actor_id,
        created_at: r.created_at.and_utc(),
    }
}

/// Catalog pages recently read (the rows before pricing), by filter: the hottest read of the
/// web shop and of ERPs polling the price list. See `crate::cache` for freshness.
pub type PageCache = crate::cache::Recent<ProductFilter, Arc<Vec<(ProductRow, StockRow)>>>;

static CATALOG_GENERATION: AtomicU64 = AtomicU64::new(0);

pub fn page_cache(ttl: std::time::Duration) -> PageCache {
    PageCache::new(ttl, &CATALOG_GENERATION)
}

/// Call after a change to products or stock has committed: product writes, stock movements,
/// and the orders that book, free or issue stock.
pub fn catalog_changed() {
    crate::cache::bump(&CATALOG_GENERATION);
}

/// The company whose prices a client principal sees; `None` for staff.
fn client_of(actor: &Principal) -> Option<String> {
    if actor.is_staff() {
        None
    } else {
        actor.client_id.clone()
    }
}

/// What the request knows of the client's discount before it reads the database.
enum Discount {
    /// Staff: no client price.
    NoClient,
    Cached(i32),
    /// Read it (and cache it under the generation seen before the read).
    Read(String, u64),
}

fn known_discount(discounts: &DiscountCache, actor: &Principal) -> Discount {
    match client_of(actor) {
        None => Discount::NoClient,
        Some(id) => match discounts.get(&id) {
            Some(d) => Discount::Cached(d),
            None => Discount::Read(id, discounts.generation()),
        },
    }
}

impl Discount {
    /// The tier discount (`None` without a client), read only when not cached.
    fn resolve(&self, c: &mut db::DbConn) -> Result<Option<i32>, ApiError> {
        Ok(match self {
            Discount::NoClient => None,
            Discount::Cached(d) => Some(*d),
            Discount::Read(id, _) => Some(pricing::service::client_discount(c, id)?.1),
        })
    }

    /// The discount when no database read is needed for it.
    fn known(&self) -> Option<Option<i32>> {
        match self {
            Discount::NoClient => Some(None),
            Discount::Cached(d) => Some(Some(*d)),
            Discount::Read(..) => None,
        }
    }

    fn remember(self, discounts: &DiscountCache, value: Option<i32>) {
        if let (Discount::Read(id, generation), Some(d)) = (self, value) {
            discounts.put(id, generation, d);
        }
    }
}

pub async fn create_product(
    pool: &Pool,
    actor: &Principal,
    mut input: NewProduct,
) -> Result<ProductView, ApiError> {
    require(
        actor,
        PRODUCT_EDITORS,
        "products are managed by admin, director and manager",
    )?;
    input.normalize_and_validate()?;
    let actor = actor.clone();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| -> Result<ProductView, ApiError> {
            let now = db::now();
            let row = ProductRow {
                id: db::new_id(),
                search_key: validate::search_key(&[input.sku.as_str(), input.name.as_str()]),
                sku: input.sku.clone(),
                name: input.name.clone(),
                unit: input.unit.clone(),
                list_price_minor: input.list_price.minor(),
                cost_price_minor: input.cost_price.minor(),
                vat_rate_bp: input.vat_rate_bp,
                category: input.category.clone(),
                active: input.active,
                created_at: now,
                updated_at: now,
            };
            if !store::insert_product(conn, &row)? {
                return Err(ApiError::conflict(
                    "sku_taken",
                    format!("a product with SKU {} already exists", row.sku),
                ));
            }
            let stock = StockRow {
                product_id: row.id.clone(),
                on_hand: 0,
                reserved: 0,
                updated_at: now,
            };
            store::insert_stock(conn, &stock)?;
            audit::service::record(
                conn,
                &actor,
                Change {
                    action: "product.created",
                    entity_type: "product",
                    entity_id: &row.id,
                    client_id: None,
                    details: json!(input),
                },
            )?;
            Ok(product_view(row, stock, true))
        })
    })
    .await
    .inspect(|_| catalog_changed())
}

pub async fn list_products(
    state: &AppState,
    actor: &Principal,
    query: ProductQuery,
    page: PageParams,
) -> Result<Page<ProductView>, ApiError> {
    let limit = page.limit()?;
    let after = page.after()?;
    query.validate()?;
    let staff = actor.is_staff();
    let filter = ProductFilter {
        pattern: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(validate::like_pattern),
        category: query.category,
        active: query.active,
        only_active: !staff,
        after,
        limit,
    };
    let known = known_discount(&state.discounts, actor);
    let cached = state.catalog.get(&filter);
    let (rows, discount) = match (cached, known.known()) {
        (Some(rows), Some(discount)) => (rows, discount),
        (cached, _) => {
            let generation = state.catalog.generation();
            let key = filter.clone();
            let (known, discount, rows, read) = db::run(&state.pool, move |c| {
                let discount = known.resolve(c)?;
                Ok(match cached {
                    Some(rows) => (known, discount, rows, false),
                    None => (
                        known,
                        discount,
                        Arc::new(store::list_products(c, &filter)?),
                        true,
                    ),
                })
            })
            .await?;
            known.remember(&state.discounts, discount);
            if read {
                state.catalog.put(key, generation, rows.clone());
            }
            (rows, discount)
        }
    };
    Ok(Page::from_rows(
        rows.as_ref().clone(),
        limit,
        |r| r.0.id.clone(),
        |(p, s)| product_view(p, s, staff).with_client_price(discount),
    ))
}

pub async fn get_product(
    state: &AppState,
    actor: &Principal,
    product_id: String,
) -> Result<ProductView, ApiError> {
    let staff = actor.is_staff();
    let known = known_discount(&state.discounts, actor);
    let (known, discount, found) = db::run(&state.pool, move |c| {
        let discount = known.resolve(c)?;
        Ok((known, discount, store::find_product(c, &product_id)?))
    })
    .await?;
    known.remember(&state.discounts, discount);
    match found {
        Some((p, s)) if staff || p.active => {
            Ok(product_view(p, s, staff).with_client_price(discount))
        }
        _ => Err(ApiError::not_found("product")),
    }
}

pub async fn update_product(
    pool: &Pool,
    actor: &Principal,
    product_id: String,
    mut patch: ProductUpdate,
) -> Result<ProductView, ApiError> {
    require(
        actor,
        PRODUCT_EDITORS,
        "products are managed by admin, director and manager",
    )?;
    patch.normalize_and_validate()?;
    let actor = actor.clone();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| -> Result<ProductView, ApiError> {
            let (current, stock) = store::find_product(conn, &product_id)?
                .ok_or_else(|| ApiError::not_found("product"))?;
            if patch.is_empty() {
                return Ok(product_view(current, stock, true));
            }
            let changes = ProductChanges {
                search_key: patch
                    .name
                    .as_deref()
                    .map(|name| validate::search_key(&[current.sku.as_str(), name])),
                name: patch.name.clone(),
                unit: patch.unit.clone(),
                list_price_minor: patch.list_price.map(|m| m.minor()),
                cost_price_minor: patch.cost_price.map(|m| m.minor()),
                vat_rate_bp: patch.vat_rate_bp,
                category: patch.category.clone(),
                active: patch.active,
                updated_at: db::now(),
            };
            let row = store::update_product(conn, &current.id, &changes)?;
            audit::service::record(
                conn,
                &actor,
                Change {
                    action: "product.updated",
                    entity_type: "product",
                    entity_id: &row.id,
                    client_id: None,
                    details: json!({ "sku": row.sku, "changes": patch }),
                },
            )?;
            Ok(product_view(row, stock, true))
        })
    })
    .await
    .inspect(|_| catalog_changed())
}

pub async fn create_stock_movement(
    pool: &Pool,
    actor: &Principal,
    product_id: String,
    mut input: NewStockMovement,
) -> Result<StockMovementView, ApiError> {
    require(
        actor,
        STOCK_KEEPERS,
        "stock movements are recorded by admin, logistician and manager",
    )?;
    input.normalize_and_validate()?;
    let delta = input.delta();
    let actor = actor.clone();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| -> Result<StockMovementView, ApiError> {
            let now = db::now();
            let Some(stock) = store::apply_stock_delta(conn, &product_id, delta, now)? else {
                return Err(match store::find_stock(conn, &product_id)? {
                    None => ApiError::not_found("product"),
                    Some(s) => ApiError::conflict(
                        "insufficient_stock",
                        format!(
                            "cannot remove {} units: only {} available (on hand {}, reserved {})",
                            delta.unsigned_abs(),
                            (s.on_hand - s.reserved).max(0),
                            s.on_hand,
                            s.reserved
                        ),
                    ),
                });
            };
            let row = MovementRow {
                id: db::new_id(),
                product_id: stock.product_id,
                kind: input.kind.as_str().to_string(),
                quantity: input.quantity,
                on_hand_after: stock.on_hand,
                reason: input.reason.clone(),
                actor_kind: actor.kind.as_str().to_string(),
                actor_id: actor.id.clone(),
                created_at: now,
            };
            store::insert_movement(conn, &row)?;
            audit::service::record(
                conn,
                &actor,
                Change {
                    action: "stock.movement_recorded",
                    entity_type: "product",
                    entity_id: &row.product_id,
                    client_id: None,
                    details: json!({
                        "movement_id": row.id,
                        "kind": row.kind,
                        "quantity": row.quantity,
                        "delta": delta,
                        "on_hand_after": row.on_hand_after,
                        "reserved": stock.reserved,
                        "reason": row.reason,
                    }),
                },
            )?;
            Ok(movement_view(row))
        })
    })
    .await
    .inspect(|_| catalog_changed())
}

pub async fn list_stock_movements(
    pool: &Pool,
    actor: &Principal,
    product_id: String,
    page: PageParams,
) -> Result<Page<StockMovementView>, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::forbidden("stock movements are open to staff"));
    }
    let limit = page.limit()?;
    let after = page.after()?;
    let rows = db::run(pool, move |c| {
        if !store::product_exists(c, &product_id)? {
            return Err(ApiError::not_found("product"));
        }
        Ok(store::list_movements(
            c,
            &product_id,
            after.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        movement_view,
    ))
}
