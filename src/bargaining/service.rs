use super::model::*;
use super::store::{self, PolicyRow};
use crate::audit::{model::Change, service::record_all};
use crate::auth::model::{Principal, Role};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// The margin policy.

/// The version in force, recently read: for order placement (attention thresholds) without a
/// query per order.
pub type MarginPolicyCache = crate::cache::Recent<(), MarginPolicyView>;

static POLICY_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn policy_cache(ttl: std::time::Duration) -> MarginPolicyCache {
    MarginPolicyCache::new(ttl, &POLICY_GENERATION)
}

/// Who sets the margin policy and overrides a floor.
pub const POLICY_EDITORS: &[Role] = &[Role::Director];
/// Who decides offers and reads margins.
pub const DECIDERS: &[Role] = &[Role::Manager, Role::Director];

fn version_view(row: Option<PolicyRow>) -> Result<MarginPolicyView, ApiError> {
    Ok(match row {
        None => MarginPolicyView {
            version: 0,
            effective_from: None,
            set_by: None,
            policy: MarginPolicy::default(),
        },
        Some(r) => MarginPolicyView {
            version: r.version,
            effective_from: Some(r.created_at.and_utc()),
            set_by: r.actor_id,
            policy: serde_json::from_str(&r.body).map_err(|e| {
                ApiError::internal(format!("margin policy version {}: {e}", r.version))
            })?,
        },
    })
}

/// The version in force at `at` (inside any transaction).
pub fn policy_in_force(
    conn: &mut DbConn,
    at: chrono::NaiveDateTime,
) -> Result<MarginPolicyView, ApiError> {
    version_view(store::policy_at(conn, at)?)
}

/// The version in force now, from `cache` or the database.
pub fn current_policy(
    conn: &mut DbConn,
    cache: &MarginPolicyCache,
) -> Result<MarginPolicyView, ApiError> {
    if let Some(p) = cache.get(&()) {
        return Ok(p);
    }
    let generation = cache.generation();
    let p = policy_in_force(conn, db::now())?;
    cache.put((), generation, p.clone());
    Ok(p)
}

pub async fn get_policy(pool: &Pool, actor: Principal) -> Result<MarginPolicyView, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::forbidden("the margin policy is for staff"));
    }
    db::run(pool, move |c| policy_in_force(c, db::now())).await
}

/// A new version from now on (director), audited with the whole policy.
pub async fn put_policy(
    pool: &Pool,
    actor: Principal,
    policy: MarginPolicy,
) -> Result<MarginPolicyView, ApiError> {
    if !actor.has_any(POLICY_EDITORS) {
        return Err(ApiError::forbidden(
            "the margin policy is set by the director",
        ));
    }
    policy.validate()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |c| {
            let ids: Vec<&str> = policy.product_floors.keys().map(String::as_str).collect();
            let known = store::known_products(c, &ids)?;
            let mut check = crate::validate::Check::new();
            for id in ids.iter().filter(|id| !known.iter().any(|k| k == *id)) {
                check.add(
                    &format!("product_floors.{id}"),
                    "unknown_product",
                    "no such product",
                );
            }
            check.finish()?;
            let row = PolicyRow {
                version: store::latest_version(c)? + 1,
                body: serde_json::to_string(&policy).map_err(ApiError::internal)?,
                actor_kind: actor.kind.as_str().to_string(),
                actor_id: actor.id.clone(),
                created_at: db::now(),
            };
            if !store::insert_policy(c, &row)? {
                return Err(ApiError::conflict(
                    "concurrent_update",
                    "another change of the policy came first; read it and retry",
                ));
            }
            let version = row.version.to_string();
            record_all(
                c,
                &actor,
                &[Change {
                    action: "margin_policy.updated",
                    entity_type: "margin_policy",
                    entity_id: &version,
                    client_id: None,
                    details: json!({ "version": row.version, "policy": policy }),
                }],
            )?;
            version_view(Some(row))
        })
    })
    .await
    .inspect(|_| crate::cache::bump(&POLICY_GENERATION))
}

// ---------------------------------------------------------------------------------------------
// Offers.

use super::store::{Decision, OfferFilter, OfferLineRow, OfferRow};
use crate::error::FieldError;
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::money::Money;
use crate::pricing::model::{vat_included_minor, LineRequest, PricedLine, PricedOrder};
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use std::collections::HashMap;

/// Who makes offers.
const BARGAINERS: &[Role] = &[Role::ClientAdmin, Role::ClientBuyer];

/// The offer if the principal may see it, else 404.
fn visible_offer(conn: &mut DbConn, actor: &Principal, id: &str) -> Result<OfferRow, ApiError> {
    store::find(conn, id)?
        .filter(|o| actor.can_see_client(&o.client_id))
        .ok_or_else(|| ApiError::not_found("offer"))
}

/// The status a client and staff see: accepted or countered past `valid_until` is expired.
fn shown_status(o: &OfferRow, now: chrono::NaiveDateTime) -> OfferStatus {
    let status = OfferStatus::parse(&o.status).unwrap_or(OfferStatus::Withdrawn);
    match (status, o.valid_until) {
        (OfferStatus::Accepted | OfferStatus::Countered, Some(until)) if until < now => {
            OfferStatus::Expired
        }
        _ => status,
    }
}

/// Current costs, categories and VAT rates of products.
struct Costs(HashMap<String, (i64, Option<String>, i32)>);

impl Costs {
    fn load(conn: &mut DbConn, ids: &[&str]) -> Result<Costs, ApiError> {
        Ok(Costs(
            store::costs(conn, ids)?
                .into_iter()
                .map(|(id, cost, category, vat)| (id, (cost, category, vat)))
                .collect(),
        ))
    }
    fn cost(&self, product_id: &str) -> i64 {
        self.0.get(product_id).map(|c| c.0).unwrap_or(0)
    }
    fn vat(&self, product_id: &str) -> i32 {
        self.0.get(product_id).map(|c| c.2).unwrap_or(0)
    }
    fn floor(&self, policy: &MarginPolicy, product_id: &str) -> i32 {
        policy.line_floor_bp(
            product_id,
            self.0.get(product_id).and_then(|c| c.1.as_deref()),
        )
    }
    /// The margin line of `l` at `price`, with today's cost and floor.
    fn line(&self, policy: &MarginPolicy, l: &OfferLineRow, price: i64) -> MarginLine {
        MarginLine {
            quantity: l.quantity,
            unit_price_minor: price,
            vat_rate_bp: self.vat(&l.product_id),
            cost_minor: self.cost(&l.product_id),
            floor_bp: self.floor(policy, &l.product_id),
        }
    }
}

/// Each client's bargaining so far. An offer counts as accepted once it got agreed prices
/// (whether it is still open, used, withdrawn or expired since), as declined when declined.
fn history_of(
    conn: &mut DbConn,
    client_ids: &[String],
) -> Result<HashMap<String, BargainingHistory>, ApiError> {
    #[derive(Default)]
    struct Acc {
        /// Offer id → (accepted, declined).
        offers: HashMap<String, (bool, bool)>,
        tier_amount: i128,
        agreed_amount: i128,
    }
    let mut acc: HashMap<String, Acc> = HashMap::new();
    for (client, offer, status, tier, quantity, agreed) in store::history_lines(conn, client_ids)? {
        let e = acc.entry(client).or_default();
        let o = e.offers.entry(offer).or_default();
        o.1 = status == "declined";
        if let Some(agreed) = agreed {
            o.0 = true;
            e.tier_amount += tier as i128 * quantity as i128;
            e.agreed_amount += agreed as i128 * quantity as i128;
        }
    }
    Ok(acc
        .into_iter()
        .map(|(client, a)| {
            let accepted = a.offers.values().filter(|o| o.0).count() as i64;
            let declined = a.offers.values().filter(|o| o.1).count() as i64;
            let decided = accepted + declined;
            (
                client,
                BargainingHistory {
                    offers: a.offers.len() as i64,
                    accepted,
                    declined,
                    acceptance_rate_bp: if decided > 0 {
                        accepted * 10_000 / decided
                    } else {
                        0
                    },
                    average_concession_bp: if a.tier_amount > 0 {
                        ((a.tier_amount - a.agreed_amount).max(0) * 10_000 / a.tier_amount) as i64
                    } else {
                        0
                    },
                },
            )
        })
        .collect())
}

/// What staff views are built from: the policy, costs and histories now.
struct StaffContext {
    policy: MarginPolicy,
    costs: Costs,
    history: HashMap<String, BargainingHistory>,
}

impl StaffContext {
    fn load(
        conn: &mut DbConn,
        offers: &[OfferRow],
        lines: &[OfferLineRow],
    ) -> Result<StaffContext, ApiError> {
        let mut ids: Vec<&str> = lines.iter().map(|l| l.product_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut clients: Vec<String> = offers.iter().map(|o| o.client_id.clone()).collect();
        clients.sort_unstable();
        clients.dedup();
        Ok(StaffContext {
            policy: policy_in_force(conn, db::now())?.policy,
            costs: Costs::load(conn, &ids)?,
            history: history_of(conn, &clients)?,
        })
    }
}

fn view(
    o: OfferRow,
    lines: &[OfferLineRow],
    staff: Option<&StaffContext>,
    now: chrono::NaiveDateTime,
) -> OfferView {
    let own: Vec<&OfferLineRow> = lines.iter().filter(|l| l.offer_id == o.id).collect();
    let margin_lines = |price: &dyn Fn(&OfferLineRow) -> Option<i64>| -> Option<Vec<MarginLine>> {
        let s = staff?;
        own.iter()
            .map(|l| price(l).map(|p| s.costs.line(&s.policy, l, p)))
            .collect()
    };
    let agreed_price = |l: &OfferLineRow| l.agreed_price_minor.or(l.counter_price_minor);
    let staff_view = staff.map(|s| {
        let deal = |ls: Option<Vec<MarginLine>>| {
            ls.filter(|ls| !ls.is_empty()).map(|ls| {
                let (n, c) = deal_sums(&ls);
                margin_bp(n, c)
            })
        };
        OfferStaffView {
            manager_id: o.manager_id.clone(),
            deal_floor_bp: s.policy.deal_floor_bp,
            deal_margin_at_asked_bp: deal(margin_lines(&|l| Some(l.asked_price_minor)))
                .unwrap_or(0),
            deal_margin_at_tier_bp: deal(margin_lines(&|l| Some(l.tier_price_minor))).unwrap_or(0),
            deal_margin_at_agreed_bp: deal(margin_lines(&agreed_price)),
            override_reason: o.override_reason.clone(),
            decided_by: o.decided_by_id.clone(),
            policy_version: o.policy_version,
            history: s.history.get(&o.client_id).cloned().unwrap_or_default(),
        }
    });
    let line_views = own
        .iter()
        .map(|l| OfferLineView {
            line_no: l.line_no,
            product_id: l.product_id.clone(),
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            list_price: Money::from_minor(l.list_price_minor),
            tier_price: Money::from_minor(l.tier_price_minor),
            asked_price: Money::from_minor(l.asked_price_minor),
            competitor_price: l.competitor_price_minor.map(Money::from_minor),
            counter_price: l.counter_price_minor.map(Money::from_minor),
            agreed_price: l.agreed_price_minor.map(Money::from_minor),
            used_quantity: l.used_quantity,
            below_margin_floor: l.below_floor,
            margins: staff.map(|s| LineMargins {
                cost: Money::from_minor(s.costs.cost(&l.product_id)),
                floor_bp: s.costs.floor(&s.policy, &l.product_id),
                at_asked_bp: s.costs.line(&s.policy, l, l.asked_price_minor).margin_bp(),
                at_tier_bp: s.costs.line(&s.policy, l, l.tier_price_minor).margin_bp(),
                at_agreed_bp: agreed_price(l).map(|p| s.costs.line(&s.policy, l, p).margin_bp()),
            }),
        })
        .collect();
    OfferView {
        status: shown_status(&o, now),
        asked_total: Money::from_minor(own.iter().map(|l| l.asked_price_minor * l.quantity).sum()),
        evidence: serde_json::from_str(&o.evidence).unwrap_or_default(),
        lines: line_views,
        valid_until: o.valid_until.map(|t| t.and_utc()),
        created_at: o.created_at.and_utc(),
        updated_at: o.updated_at.and_utc(),
        decided_at: o.decided_at.map(|t| t.and_utc()),
        staff: staff_view,
        id: o.id,
        client_id: o.client_id,
        decline_code: o.decline_code,
        deal_below_margin_floor: o.deal_below_floor,
        decision_reason: o.decision_reason,
        comment: o.comment,
        wanted_by: o.wanted_by,
    }
}

fn load_view(conn: &mut DbConn, actor: &Principal, o: OfferRow) -> Result<OfferView, ApiError> {
    let lines = store::lines_of(conn, std::slice::from_ref(&o.id))?;
    let staff = if actor.is_staff() {
        Some(StaffContext::load(conn, std::slice::from_ref(&o), &lines)?)
    } else {
        None
    };
    Ok(view(o, &lines, staff.as_ref(), db::now()))
}

fn change<'a>(action: &'a str, o: &'a OfferRow, details: serde_json::Value) -> Change<'a> {
    Change {
        action,
        entity_type: "offer",
        entity_id: &o.id,
        client_id: Some(&o.client_id),
        details,
    }
}

/// A client's offer, judged at once: below a floor → declined (`below_margin_floor`, naming
/// the lines, never the cost or the floor); within the auto-accept rule → accepted; else
/// pending in the client's manager's queue.
pub async fn create(
    state: &AppState,
    actor: Principal,
    input: CreateOffer,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    if !actor.has_any(BARGAINERS) {
        return Err(ApiError::forbidden(
            "offers are made by a client company's admins and buyers",
        ));
    }
    check_offer(&input, db::now().date())?;
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        submit(conn, &actor, &input)
    })
    .await
}

fn submit(
    conn: &mut DbConn,
    actor: &Principal,
    input: &CreateOffer,
) -> Result<OfferView, ApiError> {
    let client_id = actor
        .client_id
        .clone()
        .ok_or_else(|| ApiError::not_found("client"))?;
    let requests: Vec<LineRequest> = input
        .lines
        .iter()
        .map(|l| LineRequest {
            product_id: l.product_id.clone(),
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect();
    let (priced, available) =
        crate::pricing::service::price_with_stock(conn, &client_id, &requests)?;
    // Each request line's priced product.
    let of_request: Vec<&PricedLine> = requests
        .iter()
        .map(|r| {
            priced
                .lines
                .iter()
                .find(|p| match r.reference() {
                    crate::pricing::model::LineRef::Id(id) => p.product_id == id,
                    crate::pricing::model::LineRef::Sku(sku) => p.sku == sku,
                })
                .ok_or_else(|| ApiError::internal("a priced line is missing"))
        })
        .collect::<Result<_, _>>()?;
    let mut c = Check::new();
    let mut short = Vec::new();
    for (i, (req, p)) in input.lines.iter().zip(&of_request).enumerate() {
        if of_request[..i].iter().any(|q| q.product_id == p.product_id) {
            c.add(
                &format!("lines[{i}]"),
                "duplicate_product",
                format!("{} is on an earlier line", p.sku),
            );
            continue;
        }
        if req.asked_price.minor() > p.list_price_minor {
            c.add(
                &format!("lines[{i}].asked_price"),
                "above_list_price",
                format!(
                    "the list price of {} is {}",
                    p.sku,
                    Money::from_minor(p.list_price_minor)
                ),
            );
        }
        let free = available.get(&p.product_id).copied().unwrap_or(0);
        if req.quantity > free {
            short.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "insufficient_stock",
                format!("{}: asked {}, available {free}", p.sku, req.quantity),
            ));
        }
    }
    c.finish()?;
    if !short.is_empty() {
        return Err(ApiError::InsufficientStock(short));
    }
    let now = db::now();
    let terms = policy_in_force(conn, now)?;
    let policy = &terms.policy;
    let day = chrono::Duration::hours(24);
    let (made, first) = store::made_since(conn, &client_id, now - day)?;
    if made >= policy.max_offers_per_day as i64 {
        let wait = first.map_or(day, |t| t + day - now).num_seconds().max(1);
        return Err(ApiError::TooManyRequests(wait as u64));
    }
    let ids: Vec<&str> = of_request.iter().map(|p| p.product_id.as_str()).collect();
    let costs = Costs::load(conn, &ids)?;
    let offer_id = db::new_id();
    let mut lines: Vec<OfferLineRow> = input
        .lines
        .iter()
        .zip(&of_request)
        .enumerate()
        .map(|(i, (req, p))| OfferLineRow {
            offer_id: offer_id.clone(),
            line_no: i as i32 + 1,
            product_id: p.product_id.clone(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            quantity: req.quantity,
            list_price_minor: p.list_price_minor,
            tier_price_minor: p.unit_price_minor,
            asked_price_minor: req.asked_price.minor(),
            competitor_price_minor: req.competitor_price.map(|m| m.minor()),
            cost_minor: costs.cost(&p.product_id),
            floor_bp: costs.floor(policy, &p.product_id),
            below_floor: false,
            counter_price_minor: None,
            agreed_price_minor: None,
            decision_cost_minor: None,
            used_quantity: 0,
        })
        .collect();
    let margins: Vec<MarginLine> = lines
        .iter()
        .map(|l| costs.line(policy, l, l.asked_price_minor))
        .collect();
    let verdict = judge(&margins, policy.deal_floor_bp);
    let tier_prices: Vec<i64> = lines.iter().map(|l| l.tier_price_minor).collect();
    let status = if !verdict.keeps_floors() {
        for i in &verdict.lines_below {
            lines[*i].below_floor = true;
        }
        OfferStatus::Declined
    } else if policy
        .auto_accept
        .as_ref()
        .is_some_and(|rule| auto_acceptable(rule, &margins, &tier_prices, policy.deal_floor_bp))
    {
        for l in &mut lines {
            l.agreed_price_minor = Some(l.asked_price_minor);
            l.decision_cost_minor = Some(l.cost_minor);
        }
        OfferStatus::Accepted
    } else {
        OfferStatus::Pending
    };
    let decided = status != OfferStatus::Pending;
    let below: Vec<i32> = lines
        .iter()
        .filter(|l| l.below_floor)
        .map(|l| l.line_no)
        .collect();
    let row = OfferRow {
        id: offer_id.clone(),
        client_id: client_id.clone(),
        status: status.as_str().to_string(),
        decline_code: (status == OfferStatus::Declined).then(|| "below_margin_floor".to_string()),
        deal_below_floor: verdict.deal_below,
        decision_reason: match status {
            OfferStatus::Declined if verdict.deal_below && below.is_empty() => {
                Some("the prices asked leave the deal below the margin it must keep".into())
            }
            OfferStatus::Declined => Some(format!(
                "the prices asked on lines {} are below the margin they must keep",
                below
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            OfferStatus::Accepted => Some("accepted at once by the margin policy".into()),
            _ => None,
        },
        override_reason: None,
        comment: input.comment.as_ref().map(|s| s.trim().to_string()),
        wanted_by: input.wanted_by,
        evidence: serde_json::to_string(&input.evidence).map_err(ApiError::internal)?,
        manager_id: crate::clients::store::manager_of(conn, &client_id)?.flatten(),
        created_by_kind: actor.kind.as_str().to_string(),
        created_by_id: actor.id.clone(),
        decided_by_kind: decided.then(|| "system".to_string()),
        decided_by_id: None,
        policy_version: terms.version,
        valid_until: (status == OfferStatus::Accepted)
            .then(|| now + chrono::Duration::days(policy.offer_validity_days as i64)),
        created_at: now,
        updated_at: now,
        decided_at: decided.then_some(now),
    };
    store::insert_offer(conn, &row, &lines)?;
    // Audit details name lines and totals, never costs, margins or floors: a client's
    // activity shows them.
    let asked_total =
        Money::from_minor(lines.iter().map(|l| l.asked_price_minor * l.quantity).sum());
    let mut changes = vec![change(
        "offer.submitted",
        &row,
        json!({"status": row.status, "lines": lines.len(), "asked_total": asked_total}),
    )];
    match status {
        OfferStatus::Declined => changes.push(change(
            "offer.declined",
            &row,
            json!({"decline_code": "below_margin_floor", "lines_below": below,
                   "deal_below": verdict.deal_below, "by": "policy"}),
        )),
        OfferStatus::Accepted => changes.push(change(
            "offer.accepted",
            &row,
            json!({"by": "policy", "valid_until": row.valid_until.map(|t| t.and_utc())}),
        )),
        _ => {}
    }
    record_all(conn, actor, &changes)?;
    Ok(view(row, &lines, None, now))
}

pub async fn get(pool: &Pool, actor: Principal, id: String) -> Result<OfferView, ApiError> {
    db::run(pool, move |conn| {
        let o = visible_offer(conn, &actor, &id)?;
        load_view(conn, &actor, o)
    })
    .await
}

pub async fn list(
    pool: &Pool,
    actor: Principal,
    q: OfferQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<OfferView>, ApiError> {
    let client_id = if actor.is_staff() {
        q.client_id
    } else {
        match (&actor.client_id, q.client_id) {
            (Some(own), None) => Some(own.clone()),
            (Some(own), Some(given)) if *own == given => Some(given),
            _ => return Err(ApiError::not_found("client")),
        }
    };
    let now = db::now();
    let (statuses, lapsed): (Vec<&'static str>, Option<bool>) = match q.status {
        None => (Vec::new(), None),
        Some(OfferStatus::Expired) => (Vec::new(), Some(true)),
        Some(s @ (OfferStatus::Accepted | OfferStatus::Countered)) => {
            (vec![s.as_str()], Some(false))
        }
        Some(s) => (vec![s.as_str()], None),
    };
    let filter = OfferFilter {
        client_id,
        statuses,
        lapsed,
        now,
        manager_id: q.manager_id.filter(|_| actor.is_staff()),
        created_from: q.created_from.map(|t| t.naive_utc()),
        created_to: q.created_to.map(|t| t.naive_utc()),
        after,
        limit,
    };
    db::run(pool, move |conn| {
        let rows = store::list(conn, &filter)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let lines = store::lines_of(conn, &ids)?;
        let staff = if actor.is_staff() {
            Some(StaffContext::load(conn, &rows, &lines)?)
        } else {
            None
        };
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.clone(),
            |r| view(r, &lines, staff.as_ref(), now),
        ))
    })
    .await
}

/// `already`, on the offer as it is now: a decision that lost a race reads the winner's.
fn already_now(
    conn: &mut DbConn,
    o: &OfferRow,
    now: chrono::NaiveDateTime,
    action: &str,
) -> ApiError {
    match store::find(conn, &o.id) {
        Ok(Some(fresh)) => already(&fresh, now, action),
        _ => already(o, now, action),
    }
}

fn already(o: &OfferRow, now: chrono::NaiveDateTime, action: &str) -> ApiError {
    match shown_status(o, now) {
        OfferStatus::Expired => ApiError::conflict(
            "offer_expired",
            "this offer is past its valid_until; make a new one",
        ),
        OfferStatus::Accepted => {
            ApiError::conflict("offer_already_accepted", "this offer is accepted already")
        }
        s => ApiError::conflict(
            "invalid_transition",
            format!("cannot {action} an offer that is {}", s.as_str()),
        ),
    }
}

/// A decision below a floor needs a director's override reason; others are refused with the
/// lines and margins (staff see them).
fn floors_or_override(
    actor: &Principal,
    verdict: &Verdict,
    deal_floor_bp: i32,
    margins: &[MarginLine],
    override_reason: Option<&str>,
) -> Result<Option<String>, ApiError> {
    if verdict.keeps_floors() {
        return Ok(None);
    }
    match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if actor.has_any(POLICY_EDITORS) => Ok(Some(r.to_string())),
        Some(_) => Err(ApiError::Forbidden {
            code: "override_requires_director",
            detail: "only the director may decide below a margin floor".into(),
        }),
        None => {
            let mut errors: Vec<FieldError> = verdict
                .lines_below
                .iter()
                .map(|i| {
                    FieldError::new(
                        format!("lines[{i}]"),
                        "below_margin_floor",
                        format!(
                            "margin {} bp, floor {} bp",
                            margins[*i].margin_bp(),
                            margins[*i].floor_bp
                        ),
                    )
                })
                .collect();
            if verdict.deal_below {
                errors.push(FieldError::new(
                    "lines",
                    "below_margin_floor",
                    format!(
                        "deal margin {} bp, floor {deal_floor_bp} bp",
                        verdict.deal_margin_bp
                    ),
                ));
            }
            Err(ApiError::Rejected {
                code: "below_margin_floor",
                detail: "these prices break a margin floor; only the director may override it \
                         (override_reason)"
                    .into(),
                errors,
            })
        }
    }
}

fn check_reason(field: &str, reason: Option<&str>, c: &mut Check) {
    c.opt_text(field, reason, 1, 2000);
}

/// Accept: staff accept a pending offer at the asked prices (floors checked now); a client
/// accepts a counter-offer before its `valid_until`.
pub async fn accept(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: AcceptOffer,
) -> Result<OfferView, ApiError> {
    let mut c = Check::new();
    check_reason("reason", input.reason.as_deref(), &mut c);
    check_reason("override_reason", input.override_reason.as_deref(), &mut c);
    if !actor.is_staff() {
        for (field, given) in [
            ("reason", input.reason.is_some()),
            ("override_reason", input.override_reason.is_some()),
        ] {
            if given {
                c.add(field, "staff_only", "set by staff only");
            }
        }
    }
    c.finish()?;
    if !actor.is_staff() {
        return step(
            pool,
            actor,
            id,
            BARGAINERS,
            "offers are accepted by a client's admins and buyers",
            &[OfferStatus::Countered],
            ("accept", "offer.accepted"),
            json!({"by": "client", "counter": true}),
            |conn, actor, o, now| {
                let (kind, by) = (actor.kind.as_str(), actor.id.as_deref());
                Ok(store::accept_counter(conn, &o.id, now, kind, by)?)
            },
        )
        .await;
    }
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let o = visible_offer(conn, &actor, &id)?;
            decide_at_prices(
                conn,
                &actor,
                o,
                None,
                input.reason.as_deref(),
                input.override_reason.as_deref(),
                db::now(),
            )
        })
    })
    .await
}

/// Counter: staff propose other prices (lines not named keep the asked price).
pub async fn counter(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: CounterOffer,
) -> Result<OfferView, ApiError> {
    let mut c = Check::new();
    check_reason("reason", input.reason.as_deref(), &mut c);
    check_reason("override_reason", input.override_reason.as_deref(), &mut c);
    if input.lines.is_empty() {
        c.add("lines", "required", "name at least one line");
    }
    for (i, l) in input.lines.iter().enumerate() {
        if l.price.minor() <= 0 {
            c.add(
                &format!("lines[{i}].price"),
                "out_of_range",
                "must be above 0",
            );
        }
        if input.lines[..i].iter().any(|o| o.line_no == l.line_no) {
            c.add(
                &format!("lines[{i}].line_no"),
                "duplicate",
                "this line is named twice",
            );
        }
    }
    c.finish()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let o = visible_offer(conn, &actor, &id)?;
            let now = db::now();
            decide_at_prices(
                conn,
                &actor,
                o,
                Some(&input.lines),
                input.reason.as_deref(),
                input.override_reason.as_deref(),
                now,
            )
        })
    })
    .await
}

/// A staff decision at prices: the asked ones (accept) or a counter's. Floors are checked with
/// today's costs and policy.
fn decide_at_prices(
    conn: &mut DbConn,
    actor: &Principal,
    o: OfferRow,
    counter: Option<&[CounterLine]>,
    reason: Option<&str>,
    override_reason: Option<&str>,
    now: chrono::NaiveDateTime,
) -> Result<OfferView, ApiError> {
    if !actor.has_any(DECIDERS) {
        return Err(ApiError::forbidden(
            "offers are decided by managers and the director",
        ));
    }
    let action = if counter.is_some() {
        "counter"
    } else {
        "accept"
    };
    if o.status != "pending" {
        return Err(already_now(conn, &o, now, action));
    }
    let lines = store::lines_of(conn, std::slice::from_ref(&o.id))?;
    let mut prices: Vec<i64> = lines.iter().map(|l| l.asked_price_minor).collect();
    if let Some(counter) = counter {
        let mut c = Check::new();
        for (i, cl) in counter.iter().enumerate() {
            match lines.iter().position(|l| l.line_no == cl.line_no) {
                None => c.add(
                    &format!("lines[{i}].line_no"),
                    "unknown_line",
                    "the offer has no such line",
                ),
                Some(k) => {
                    let l = &lines[k];
                    if cl.price.minor() < l.asked_price_minor {
                        c.add(
                            &format!("lines[{i}].price"),
                            "below_asked_price",
                            "to agree to less than asked, accept the offer",
                        );
                    } else if cl.price.minor() > l.list_price_minor {
                        c.add(
                            &format!("lines[{i}].price"),
                            "above_list_price",
                            format!(
                                "the list price is {}",
                                Money::from_minor(l.list_price_minor)
                            ),
                        );
                    }
                    prices[k] = cl.price.minor();
                }
            }
        }
        c.finish()?;
    }
    let policy = policy_in_force(conn, now)?.policy;
    let ids: Vec<&str> = lines.iter().map(|l| l.product_id.as_str()).collect();
    let costs = Costs::load(conn, &ids)?;
    let margins: Vec<MarginLine> = lines
        .iter()
        .zip(&prices)
        .map(|(l, p)| costs.line(&policy, l, *p))
        .collect();
    let verdict = judge(&margins, policy.deal_floor_bp);
    let overridden = floors_or_override(
        actor,
        &verdict,
        policy.deal_floor_bp,
        &margins,
        override_reason,
    )?;
    let status = if counter.is_some() {
        OfferStatus::Countered
    } else {
        OfferStatus::Accepted
    };
    let decision = Decision {
        status: status.as_str(),
        decline_code: None,
        reason: reason.map(str::trim),
        override_reason: overridden.as_deref(),
        actor_kind: actor.kind.as_str(),
        actor_id: actor.id.as_deref(),
        valid_until: Some(now + chrono::Duration::days(policy.offer_validity_days as i64)),
        now,
    };
    if !store::decide(conn, &o.id, &["pending"], &decision)? {
        return Err(already_now(conn, &o, now, action));
    }
    for (l, p) in lines.iter().zip(&prices) {
        let (counter_price, agreed) = match status {
            OfferStatus::Countered => (Some(*p), None),
            _ => (None, Some(*p)),
        };
        store::set_line_price(
            conn,
            &o.id,
            l.line_no,
            counter_price,
            agreed,
            costs.cost(&l.product_id),
        )?;
    }
    let mut changes = vec![change(
        if status == OfferStatus::Countered {
            "offer.countered"
        } else {
            "offer.accepted"
        },
        &o,
        json!({"by": "staff", "reason": reason, "valid_until": decision.valid_until.map(|t| t.and_utc()),
               "prices": lines.iter().zip(&prices).map(|(l, p)| json!({"line_no": l.line_no, "price": Money::from_minor(*p)})).collect::<Vec<_>>()}),
    )];
    if let Some(r) = &overridden {
        changes.push(change(
            "offer.floor_overridden",
            &o,
            json!({"reason": r, "deal_margin_bp": verdict.deal_margin_bp, "deal_floor_bp": policy.deal_floor_bp,
                   "lines_below": verdict.lines_below.iter().map(|i| lines[*i].line_no).collect::<Vec<_>>()}),
        ));
    }
    record_all(conn, actor, &changes)?;
    let o = store::find(conn, &o.id)?.ok_or_else(|| ApiError::not_found("offer"))?;
    load_view(conn, actor, o)
}

/// One step on an offer by a person: 404 unless the actor sees it, 403 unless it has one of
/// `roles`, 409 unless it stands in one of `from` now (as shown: past `valid_until` is
/// expired); then `apply` (a guarded update: false when another step came first, answered from
/// the offer's state then), one audit row and event `action` with `details`, and the offer.
#[allow(clippy::too_many_arguments)]
async fn step<F>(
    pool: &Pool,
    actor: Principal,
    id: String,
    roles: &'static [Role],
    refusal: &'static str,
    from: &'static [OfferStatus],
    (verb, action): (&'static str, &'static str),
    details: serde_json::Value,
    apply: F,
) -> Result<OfferView, ApiError>
where
    F: FnOnce(&mut DbConn, &Principal, &OfferRow, chrono::NaiveDateTime) -> Result<bool, ApiError>
        + Send
        + 'static,
{
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let o = visible_offer(conn, &actor, &id)?;
            if !actor.has_any(roles) {
                return Err(ApiError::forbidden(refusal));
            }
            let now = db::now();
            if !from.contains(&shown_status(&o, now)) || !apply(conn, &actor, &o, now)? {
                return Err(already_now(conn, &o, now, verb));
            }
            let mut details = details;
            details["from"] = json!(o.status);
            record_all(conn, &actor, &[change(action, &o, details)])?;
            let o = visible_offer(conn, &actor, &id)?;
            load_view(conn, &actor, o)
        })
    })
    .await
}

/// Decline (staff), with a reason shown to the client.
pub async fn decline(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: DeclineOffer,
) -> Result<OfferView, ApiError> {
    let mut c = Check::new();
    c.text("reason", &input.reason, 1, 2000);
    c.finish()?;
    let reason = input.reason.trim().to_string();
    step(
        pool,
        actor,
        id,
        DECIDERS,
        "offers are decided by managers and the director",
        &[OfferStatus::Pending],
        ("decline", "offer.declined"),
        json!({"by": "staff", "reason": reason}),
        move |conn, actor, o, now| {
            let d = Decision {
                status: "declined",
                decline_code: Some("staff"),
                reason: Some(&reason),
                override_reason: None,
                actor_kind: actor.kind.as_str(),
                actor_id: actor.id.as_deref(),
                valid_until: None,
                now,
            };
            Ok(store::decide(conn, &o.id, &["pending"], &d)?)
        },
    )
    .await
}

/// Revoke (staff): take back an accepted offer or a counter, with a reason shown to the
/// client. Orders placed on it keep their prices; it prices no more.
pub async fn revoke(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: RevokeOffer,
) -> Result<OfferView, ApiError> {
    let mut c = Check::new();
    c.text("reason", &input.reason, 1, 2000);
    c.finish()?;
    let reason = input.reason.trim().to_string();
    step(
        pool,
        actor,
        id,
        DECIDERS,
        "offers are revoked by managers and the director",
        &[OfferStatus::Accepted, OfferStatus::Countered],
        ("revoke", "offer.revoked"),
        json!({"reason": reason}),
        move |conn, actor, o, now| {
            let (kind, by) = (actor.kind.as_str(), actor.id.as_deref());
            Ok(store::revoke(conn, &o.id, &reason, kind, by, now)?)
        },
    )
    .await
}

/// Withdraw (the client): a pending, countered or accepted offer. The decision before it (who,
/// when, why) stays on the offer; the withdrawal and its reason are in the audit trail.
pub async fn withdraw(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: WithdrawOffer,
) -> Result<OfferView, ApiError> {
    let mut c = Check::new();
    check_reason("reason", input.reason.as_deref(), &mut c);
    c.finish()?;
    step(
        pool,
        actor,
        id,
        BARGAINERS,
        "offers are withdrawn by the client's admins and buyers",
        &[
            OfferStatus::Pending,
            OfferStatus::Countered,
            OfferStatus::Accepted,
        ],
        ("withdraw", "offer.withdrawn"),
        json!({"reason": input.reason.as_deref().map(str::trim)}),
        |conn, _, o, now| Ok(store::withdraw(conn, &o.id, now)?),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Orders on an offer.

/// Inside order placement: the agreed prices of `offer_id` for up to what is left of its
/// quantities; the rest of a line at the tier price (a line of its own). Floors are checked
/// again with today's costs and policy — a director's override holds while costs have not
/// risen since. Takes the quantities (given back if the order is cancelled or expires).
pub fn apply_offer(
    conn: &mut DbConn,
    client_id: &str,
    offer_id: &str,
    priced: PricedOrder,
    now: chrono::NaiveDateTime,
) -> Result<PricedOrder, ApiError> {
    let mine = |o: Option<OfferRow>| {
        o.filter(|o| o.client_id == client_id)
            .ok_or_else(|| ApiError::not_found("offer"))
    };
    mine(store::find(conn, offer_id)?)?;
    // Orders on one offer queue here, so each reads what the one before it left, and a
    // withdrawal or expiry that came first (the first lock an order takes: offer lines, then
    // the client row, stock rows and the counter).
    store::lock_lines(conn, offer_id)?;
    let o = mine(store::find(conn, offer_id)?)?;
    match shown_status(&o, now) {
        OfferStatus::Accepted => {}
        OfferStatus::Expired => return Err(already(&o, now, "order on")),
        s => {
            return Err(ApiError::conflict(
                "offer_not_accepted",
                format!(
                    "the offer is {}; only an accepted offer prices orders",
                    s.as_str()
                ),
            ))
        }
    }
    let offer_lines = store::lines_of(conn, std::slice::from_ref(&o.id))?;
    let policy = policy_in_force(conn, now)?.policy;
    let ids: Vec<&str> = offer_lines.iter().map(|l| l.product_id.as_str()).collect();
    let costs = Costs::load(conn, &ids)?;
    let mut lines = Vec::with_capacity(priced.lines.len() + offer_lines.len());
    let mut taken: Vec<(&OfferLineRow, MarginLine, usize)> = Vec::new();
    let mut as_good_without = false;
    for p in priced.lines {
        let Some(ol) = offer_lines.iter().find(|l| l.product_id == p.product_id) else {
            lines.push(p);
            continue;
        };
        let left = ol.quantity - ol.used_quantity;
        let agreed = ol.agreed_price_minor.unwrap_or(ol.asked_price_minor);
        if p.unit_price_minor <= agreed {
            // The client's own price is as good now (a better tier since): the offer never
            // makes a price worse, and keeps its quantity.
            as_good_without = true;
            lines.push(p);
            continue;
        }
        if left <= 0 {
            lines.push(p);
            continue;
        }
        let q = left.min(p.quantity);
        let mut at_agreed = p.clone();
        at_agreed.quantity = q;
        at_agreed.unit_price_minor = agreed;
        at_agreed.discount_bp =
            crate::bargaining::model::concession_bp(p.list_price_minor, agreed) as i32;
        at_agreed.total_minor = agreed * q;
        at_agreed.vat_minor = vat_included_minor(at_agreed.total_minor, p.vat_rate_bp);
        at_agreed.offer_id = Some(o.id.clone());
        taken.push((ol, costs.line(&policy, ol, agreed), lines.len()));
        lines.push(at_agreed);
        if q < p.quantity {
            let mut rest = p;
            rest.quantity -= q;
            rest.total_minor = rest.unit_price_minor * rest.quantity;
            rest.vat_minor = vat_included_minor(rest.total_minor, rest.vat_rate_bp);
            lines.push(rest);
        }
    }
    if taken.is_empty() && as_good_without {
        return Ok(PricedOrder { lines, ..priced });
    }
    if taken.is_empty() {
        let any = lines
            .iter()
            .any(|l| offer_lines.iter().any(|ol| ol.product_id == l.product_id));
        return Err(if any {
            ApiError::conflict(
                "offer_used_up",
                "the agreed quantities of this offer are all ordered",
            )
        } else {
            ApiError::field(
                "offer_id",
                "no_offer_lines",
                "none of the ordered products is on this offer",
            )
        });
    }
    // The recheck with today's costs and policy: each ordered line's floor on its agreed part,
    // and the deal floor over the whole agreement (the deal that was agreed, whichever of its
    // lines this order takes). A director's override holds while no cost of the offer has
    // risen since the decision.
    let margins: Vec<MarginLine> = taken
        .iter()
        .map(|(_, m, k)| MarginLine {
            quantity: lines[*k].quantity,
            ..*m
        })
        .collect();
    let agreement: Vec<MarginLine> = offer_lines
        .iter()
        .map(|ol| {
            costs.line(
                &policy,
                ol,
                ol.agreed_price_minor.unwrap_or(ol.asked_price_minor),
            )
        })
        .collect();
    let overridden = o.override_reason.is_some()
        && offer_lines.iter().all(|ol| {
            costs.cost(&ol.product_id) <= ol.decision_cost_minor.unwrap_or(ol.cost_minor)
        });
    let (net, cost) = deal_sums(&agreement);
    let verdict = Verdict {
        lines_below: (0..margins.len())
            .filter(|i| !margins[*i].keeps(0))
            .collect(),
        deal_below: !keeps(net, cost, policy.deal_floor_bp),
        deal_margin_bp: margin_bp(net, cost),
    };
    if !verdict.keeps_floors() && !overridden {
        let errors = if verdict.lines_below.is_empty() {
            vec![FieldError::new(
                "offer_id",
                "below_margin_floor",
                "the agreed prices no longer hold; ask your manager for a new offer",
            )]
        } else {
            verdict
                .lines_below
                .iter()
                .map(|i| {
                    let sku = &lines[taken[*i].2].sku;
                    FieldError::new("offer_id", "below_margin_floor", format!("the agreed price of {sku} no longer holds; ask your manager for a new offer"))
                })
                .collect()
        };
        return Err(ApiError::ConflictWith {
            code: "below_margin_floor",
            detail: "the offer's prices no longer keep the margin they must; nothing was ordered"
                .into(),
            errors,
        });
    }
    for (ol, _, k) in &taken {
        if !store::consume(conn, &o.id, &ol.product_id, lines[*k].quantity)? {
            return Err(ApiError::conflict(
                "offer_used_up",
                "another order took the agreed quantities first; retry",
            ));
        }
    }
    lines.sort_by(|a, b| {
        a.product_id
            .cmp(&b.product_id)
            .then(b.offer_id.cmp(&a.offer_id))
    });
    let total_minor: i64 = lines.iter().map(|l| l.total_minor).sum();
    let vat_minor: i64 = lines.iter().map(|l| l.vat_minor).sum();
    Ok(PricedOrder {
        lines,
        total_minor,
        vat_minor,
        ..priced
    })
}

/// Offers expired per transaction.
const EXPIRY_BATCH: i64 = 500;

/// The `offer_expiry` job: accepted offers and counters past `valid_until` become `expired`,
/// each with an `offer.expired` event, in batches. Reads already show them expired (see
/// `shown_status`); the job makes it a recorded transition.
pub fn expire_offers(
    pool: &Pool,
    ctx: &crate::scheduler::service::JobContext<'_>,
) -> Result<crate::scheduler::model::Outcome, ApiError> {
    let mut conn = pool.get()?;
    let items = ctx.in_batches(&mut conn, EXPIRY_BATCH, 0, |c, after, limit| {
        let (seen, last, expired) = store::expire_due(c, ctx.now, after, limit)?;
        let changes: Vec<Change<'_>> = expired
            .iter()
            .map(|(id, client_id, from)| Change {
                action: "offer.expired",
                entity_type: "offer",
                entity_id: id,
                client_id: Some(client_id),
                details: json!({"from": from}),
            })
            .collect();
        record_all(c, &ctx.actor, &changes)?;
        Ok((seen, last, expired.len() as i64))
    })?;
    Ok(crate::scheduler::model::Outcome { items, errors: 0 })
}

/// Gives back the offer quantities of orders that were cancelled or expired.
pub fn give_back(conn: &mut DbConn, order_ids: &[String]) -> Result<(), ApiError> {
    store::give_back(conn, order_ids)?;
    Ok(())
}
