use super::model::*;
use super::store::{self, AccrualRow, PolicyRow};
use crate::audit::{model::Change, service::record_all};
use crate::auth::model::{Principal, Role};
use crate::config::BusinessSettings;
use crate::db::DbConn;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::ledger::model::{EntryKind, Floor};
use crate::ledger::service::{self as ledger, Posting};
use crate::scheduler::model::Outcome;
use crate::scheduler::service::JobContext;
use serde_json::json;

/// Orders expired per transaction.
pub const EXPIRY_BATCH: i64 = 500;

/// The `reservation_expiry` job: every order awaiting payment whose `reserved_until` is at or
/// before `ctx.now` expires (see `orders::service::expire_due`), in transactions of
/// `EXPIRY_BATCH`. An interrupted run leaves whole batches done; the next run goes on with the
/// rest (an expired order is no longer due).
pub fn expire_reservations(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let mut outcome = Outcome::default();
    loop {
        let batch = ctx.batch(EXPIRY_BATCH, outcome.items);
        let (seen, expired) = db::write_tx(&mut conn, |c| {
            crate::orders::service::expire_due(c, &ctx.actor, ctx.now, batch)
        })?;
        if !expired.is_empty() {
            crate::catalog::service::catalog_changed();
        }
        outcome.items += expired.len() as i64;
        if seen == 0 {
            break;
        }
        ctx.progress(outcome.items)?;
        if (seen as i64) < batch {
            break;
        }
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// The policy.

/// The version in force, recently read: for order placement (the reservation TTL) without a
/// query per order.
pub type PolicyCache = crate::cache::Recent<(), PolicyVersionView>;

static POLICY_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn policy_cache(ttl: std::time::Duration) -> PolicyCache {
    PolicyCache::new(ttl, &POLICY_GENERATION)
}

/// The version in force now, from `cache` or the database.
pub fn current_policy(
    conn: &mut DbConn,
    cache: &PolicyCache,
    business: &BusinessSettings,
) -> Result<PolicyVersionView, ApiError> {
    if let Some(p) = cache.get(&()) {
        return Ok(p);
    }
    let generation = cache.generation();
    let p = policy_in_force(conn, business, db::now())?;
    cache.put((), generation, p.clone());
    Ok(p)
}

/// Who sets the policy and the per-client exceptions.
pub const POLICY_EDITORS: &[Role] = &[Role::Director];

fn version_view(
    row: Option<PolicyRow>,
    (ttl_hours, window_days): (i64, i64),
) -> Result<PolicyVersionView, ApiError> {
    Ok(match row {
        None => PolicyVersionView {
            version: 0,
            effective_from: None,
            set_by: None,
            policy: ReceivablesPolicy::defaults(ttl_hours, window_days),
        },
        Some(r) => PolicyVersionView {
            version: r.version,
            effective_from: Some(r.created_at.and_utc()),
            set_by: r.actor_id,
            policy: serde_json::from_str(&r.body)
                .map_err(|e| ApiError::internal(format!("policy version {}: {e}", r.version)))?,
        },
    })
}

/// The version in force at `at` (inside any transaction).
pub fn policy_in_force(
    conn: &mut DbConn,
    business: &BusinessSettings,
    at: chrono::NaiveDateTime,
) -> Result<PolicyVersionView, ApiError> {
    version_view(store::policy_at(conn, at)?, configured(business))
}

fn configured(business: &BusinessSettings) -> (i64, i64) {
    (
        business.reservation_ttl_hours,
        business.turnover_window_days,
    )
}

/// The version in force at `at` for a job (defaults from the configuration this process
/// started with, see `scheduler::service::configure`).
pub fn job_policy(
    conn: &mut DbConn,
    at: chrono::NaiveDateTime,
) -> Result<PolicyVersionView, ApiError> {
    let defaults = crate::scheduler::service::business()
        .map(configured)
        .unwrap_or((72, 365));
    version_view(store::policy_at(conn, at)?, defaults)
}

pub async fn get_policy(
    pool: &Pool,
    business: BusinessSettings,
    actor: Principal,
) -> Result<PolicyVersionView, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::forbidden("the receivables policy is for staff"));
    }
    db::run(pool, move |c| policy_in_force(c, &business, db::now())).await
}

/// A new version from now on (director), audited with the whole policy.
pub async fn put_policy(
    pool: &Pool,
    business: BusinessSettings,
    actor: Principal,
    policy: ReceivablesPolicy,
) -> Result<PolicyVersionView, ApiError> {
    if !actor.has_any(POLICY_EDITORS) {
        return Err(ApiError::forbidden(
            "the receivables policy is set by the director",
        ));
    }
    policy.validate()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |c| {
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
                    action: "receivables_policy.updated",
                    entity_type: "receivables_policy",
                    entity_id: &version,
                    client_id: None,
                    details: json!({ "version": row.version, "policy": policy }),
                }],
            )?;
            version_view(Some(row), configured(&business))
        })
    })
    .await
    .inspect(|_| crate::cache::bump(&POLICY_GENERATION))
}

/// A client's exceptions to the policy.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientOverrides {
    /// No late-payment penalties for this client.
    pub penalty_exempt: bool,
    /// False: the credit_holds job never puts this client on hold.
    pub auto_hold: bool,
}

/// The overrides view: what was set, and whether the client's current hold is the job's.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClientOverridesView {
    pub client_id: String,
    pub penalty_exempt: bool,
    pub auto_hold: bool,
    /// The client is on a hold the credit_holds job put (and will lift when its cause is paid).
    pub held_by_job: bool,
}

pub async fn get_overrides(
    pool: &Pool,
    actor: Principal,
    client_id: String,
) -> Result<ClientOverridesView, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::not_found("client"));
    }
    db::run(pool, move |c| {
        let (penalty_exempt, auto_hold, held_by_job) =
            store::overrides_of(c, &client_id)?.ok_or_else(|| ApiError::not_found("client"))?;
        Ok(ClientOverridesView {
            client_id,
            penalty_exempt,
            auto_hold,
            held_by_job,
        })
    })
    .await
}

pub async fn put_overrides(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    input: ClientOverrides,
) -> Result<ClientOverridesView, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::not_found("client"));
    }
    if !actor.has_any(POLICY_EDITORS) {
        return Err(ApiError::forbidden(
            "exceptions to the policy are set by the director",
        ));
    }
    db::run(pool, move |conn| {
        db::write_tx(conn, |c| {
            if store::set_overrides(c, &client_id, input.penalty_exempt, input.auto_hold)? == 0 {
                return Err(ApiError::not_found("client"));
            }
            record_all(
                c,
                &actor,
                &[Change {
                    action: "client.receivables_overrides_set",
                    entity_type: "client",
                    entity_id: &client_id,
                    client_id: Some(&client_id),
                    details: json!(input),
                }],
            )?;
            let (penalty_exempt, auto_hold, held_by_job) =
                store::overrides_of(c, &client_id)?.ok_or_else(|| ApiError::not_found("client"))?;
            Ok(ClientOverridesView {
                client_id: client_id.clone(),
                penalty_exempt,
                auto_hold,
                held_by_job,
            })
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Penalties.

/// Clients whose bills are charged per transaction.
pub const PENALTY_BATCH: i64 = 1000;

/// The `penalties` job, daily: every open receivable of a client not exempt, past its due date
/// and grace days, accrues for each day up to `now`'s date not charged yet (a day missed while
/// no server ran is caught up) `bp_per_day` of its open amount, capped at `cap_bp` of its total.
/// Each bill and day is one `penalty_accruals` row (unique, so never twice); each client's
/// accruals of a run are one `penalty` ledger entry (a debit) with an audit row and event
/// (batches are of whole clients).
pub fn accrue_penalties(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let policy = job_policy(&mut conn, ctx.now)?;
    let rule = policy.policy.penalty.clone();
    let mut outcome = Outcome::default();
    if rule.bp_per_day == 0 || rule.cap_bp == 0 {
        return Ok(outcome);
    }
    let today = ctx.now.date();
    let due_before = today - chrono::Duration::days(rule.grace_days as i64);
    let charged =
        ctx.in_client_ranges(&mut conn, PENALTY_BATCH, outcome.items, |c, after, last| {
            let bills = store::penalty_candidates(c, due_before, today, after, last)?;
            let now = db::now();
            let mut accruals: Vec<AccrualRow> = Vec::new();
            let mut adds: Vec<(&str, i64)> = Vec::new();
            // Per client: total and the bills it came from.
            let mut per_client: std::collections::BTreeMap<&str, (i64, Vec<serde_json::Value>)> =
                Default::default();
            for b in &bills {
                let mut accrued = b.penalty_minor;
                let mut added = 0;
                let days = penalty_days(&rule, b.due_date, b.penalty_through, today);
                for day in &days {
                    let amount = daily_penalty(&rule, b.total_minor, b.open_minor, accrued);
                    if amount > 0 {
                        accruals.push(AccrualRow {
                            invoice_id: b.invoice_id.clone(),
                            day: *day,
                            client_id: b.client_id.clone(),
                            amount_minor: amount,
                            base_minor: b.open_minor,
                            policy_version: policy.version,
                            created_at: now,
                        });
                        accrued += amount;
                        added += amount;
                    }
                }
                adds.push((b.invoice_id.as_str(), added));
                if added > 0 {
                    let e = per_client.entry(b.client_id.as_str()).or_default();
                    e.0 += added;
                    e.1.push(
                        json!({"invoice": b.number, "days": days.len(), "amount": money(added)}),
                    );
                }
            }
            store::insert_accruals(c, &accruals)?;
            if store::add_penalties(c, &adds, today)? != adds.len() {
                return Err(ApiError::conflict(
                    "concurrent_update",
                    "a bill was charged meanwhile; the next run goes on",
                ));
            }
            let reason = format!("late-payment penalty through {today}");
            let postings: Vec<Posting<'_>> = per_client
                .iter()
                .map(|(client, (total, _))| Posting {
                    client_id: client,
                    kind: EntryKind::Penalty,
                    amount: -*total,
                    floor: Floor::None,
                    order_id: None,
                    invoice_id: None,
                    payment_id: None,
                    reason: Some(&reason),
                })
                .collect();
            ledger::post_all(c, &ctx.actor, &postings)?;
            let changes: Vec<Change<'_>> = per_client
                .iter()
                .map(|(client, (total, bills))| Change {
                    action: "penalty.accrued",
                    entity_type: "client",
                    entity_id: client,
                    client_id: Some(client),
                    details: json!({"through": today, "total": money(*total), "bills": bills,
                        "policy_version": policy.version}),
                })
                .collect();
            record_all(c, &ctx.actor, &changes)?;
            Ok(accruals.len() as i64)
        })?;
    outcome.items += charged;
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// Credit holds.

/// Clients looked at per transaction.
pub const HOLD_BATCH: i64 = 1000;

/// The `credit_holds` job: active clients with automatic holds go on hold when a receivable is
/// `after_days_overdue` days late or (`when_over_limit`) their balance is below −credit_limit;
/// the clients it put on hold go back to active once no such cause is left, and their orders
/// awaiting payment that now fit are released at once. Holds put by staff are never lifted
/// here.
pub fn control_holds(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let policy = job_policy(&mut conn, ctx.now)?.policy.credit_hold;
    let today = ctx.now.date();
    let late_since = policy
        .after_days_overdue
        .map(|d| today - chrono::Duration::days(d as i64));
    let caused = |c: &store::HoldCandidate| {
        late_since.is_some_and(|l| c.oldest_due.is_some_and(|d| d <= l))
            || (policy.when_over_limit && c.balance_minor < -c.credit_limit_minor)
    };
    let mut outcome = Outcome::default();
    let mut changed = false;
    // Lift first, so a client whose cause is paid is not held again in the same run.
    let lifted = ctx.in_batches(&mut conn, HOLD_BATCH, outcome.items, |c, after, batch| {
        let held = store::held_by_job(c, after, batch)?;
        let last = held.last().map(|h| h.id.clone()).unwrap_or_default();
        let free: Vec<&str> = held
            .iter()
            .filter(|h| !caused(h))
            .map(|h| h.id.as_str())
            .collect();
        let moved = store::set_status(c, &free, "on_hold", "active", db::now())?;
        let refs: Vec<&str> = moved.iter().map(String::as_str).collect();
        let released = crate::orders::service::release_waiting_all(c, &ctx.actor, &refs, ctx.now)?;
        let changes: Vec<Change<'_>> = moved
            .iter()
            .map(|id| Change {
                action: "client.hold_lifted",
                entity_type: "client",
                entity_id: id,
                client_id: Some(id),
                details: json!({"by": "credit_holds", "released_orders": released.len()}),
            })
            .collect();
        record_all(c, &ctx.actor, &changes)?;
        Ok((held.len() as i64, last, moved.len() as i64))
    })?;
    outcome.items += lifted;
    changed |= lifted > 0;
    if late_since.is_some() || policy.when_over_limit {
        let held =
            ctx.in_client_ranges(&mut conn, HOLD_BATCH, outcome.items, |c, after, last| {
                let found = store::to_hold(c, after, last, late_since, policy.when_over_limit)?;
                let ids: Vec<&str> = found.iter().map(|h| h.id.as_str()).collect();
                let moved = store::set_status(c, &ids, "active", "on_hold", db::now())?;
                let changes: Vec<Change<'_>> = found
                    .iter()
                    .filter(|h| moved.contains(&h.id))
                    .map(|h| {
                        let late = late_since.is_some_and(|l| h.oldest_due.is_some_and(|d| d <= l));
                        Change {
                            action: "client.held",
                            entity_type: "client",
                            entity_id: &h.id,
                            client_id: Some(&h.id),
                            details: json!({"by": "credit_holds",
                                "cause": if late { "overdue" } else { "over_credit_limit" },
                                "oldest_due": h.oldest_due,
                                "balance": crate::money::SignedMoney::from_minor(h.balance_minor)}),
                        }
                    })
                    .collect();
                record_all(c, &ctx.actor, &changes)?;
                Ok(moved.len() as i64)
            })?;
        outcome.items += held;
        changed |= held > 0;
    }
    if changed {
        // The client status is part of what a token's subject check and prices read.
        crate::auth::cache::invalidate();
        crate::pricing::service::discounts_changed();
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// Dunning.

/// Bills looked at per transaction.
pub const DUNNING_BATCH: i64 = 500;

/// The letter's data (the template is `documents::REMINDER`).
#[derive(serde::Serialize)]
struct Letter<'a> {
    template: &'a str,
    number: &'a str,
    client_name: &'a str,
    issue_date: String,
    due_date: String,
    days_to_due: i64,
    days_overdue: i64,
    total: String,
    open: String,
    penalty: String,
    has_penalty: bool,
    penalty_bp_per_day: i32,
    penalty_percent: String,
    grace_days: i32,
    hold_days: i32,
    bonus_bp: i32,
    bonus_percent: String,
    bonus_days: i32,
    seller: crate::invoices::model::BillSeller,
}

fn percent(bp: i32) -> String {
    let s = format!("{:.2}", bp as f64 / 100.0);
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
}

fn date_ru(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// The `dunning` job, daily: for each reminder level of the policy (by its day offset from the
/// due date), the open receivables whose level day has come — and whose next level's day has
/// not (a level passed while the server was down is not sent late when a later one is due) —
/// get the letter once: a `dunning_notices` row unique per bill and level, and an
/// `invoice.reminder` event carrying the rendered letter for the mailer.
pub fn send_reminders(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let version = job_policy(&mut conn, ctx.now)?;
    let policy = &version.policy;
    let seller = crate::invoices::service::seller(crate::scheduler::service::business()?);
    let today = ctx.now.date();
    let mut levels = policy.reminders.clone();
    levels.sort_by_key(|l| l.offset_days);
    let mut outcome = Outcome::default();
    for (i, level) in levels.iter().enumerate() {
        let due_to = today - chrono::Duration::days(level.offset_days as i64);
        let due_after = levels
            .get(i + 1)
            .map(|next| today - chrono::Duration::days(next.offset_days as i64));
        let sent = ctx.in_batches(
            &mut conn,
            DUNNING_BATCH,
            outcome.items,
            |c, after, batch| {
                let bills = store::reminder_candidates(
                    c,
                    due_to,
                    due_after,
                    level.offset_days,
                    after,
                    batch,
                )?;
                let last = bills
                    .last()
                    .map(|b| b.invoice_id.clone())
                    .unwrap_or_default();
                let now = db::now();
                let mut rows = Vec::with_capacity(bills.len());
                for b in &bills {
                    let days = (today - b.due_date).num_days();
                    let letter = Letter {
                        template: &level.template,
                        number: &b.number,
                        client_name: &b.client_name,
                        issue_date: date_ru(b.issue_date),
                        due_date: date_ru(b.due_date),
                        days_to_due: (-days).max(0),
                        days_overdue: days.max(0),
                        total: money(b.total_minor).to_string(),
                        open: money(b.open_minor).to_string(),
                        penalty: money(b.penalty_minor).to_string(),
                        has_penalty: b.penalty_minor > 0,
                        penalty_bp_per_day: policy.penalty.bp_per_day,
                        penalty_percent: percent(policy.penalty.bp_per_day),
                        grace_days: policy.penalty.grace_days,
                        hold_days: policy.credit_hold.after_days_overdue.unwrap_or(0),
                        bonus_bp: policy.advance_bonus.bp,
                        bonus_percent: percent(policy.advance_bonus.bp),
                        bonus_days: policy.advance_bonus.min_days_before_due,
                        seller: seller.clone(),
                    };
                    let text = crate::documents::render(crate::documents::REMINDER, &letter)?;
                    let (subject, body) = match text.split_once("\n\n") {
                        Some((s, b)) => (s.trim_start_matches("Тема: ").to_string(), b.to_string()),
                        None => (format!("Счёт № {}", b.number), text.clone()),
                    };
                    rows.push(store::NoticeRow {
                        invoice_id: b.invoice_id.clone(),
                        offset_days: level.offset_days,
                        client_id: b.client_id.clone(),
                        template: level.template.clone(),
                        subject,
                        body,
                        level_day: b.due_date + chrono::Duration::days(level.offset_days as i64),
                        policy_version: version.version,
                        created_at: now,
                    });
                }
                store::insert_notices(c, &rows)?;
                let changes: Vec<Change<'_>> = rows
                    .iter()
                    .zip(&bills)
                    .map(|(n, b)| Change {
                        action: "invoice.reminder",
                        entity_type: "invoice",
                        entity_id: &n.invoice_id,
                        client_id: Some(&n.client_id),
                        details: json!({"invoice": b.number, "offset_days": n.offset_days,
                            "template": n.template, "subject": n.subject, "body": n.body,
                            "open": money(b.open_minor)}),
                    })
                    .collect();
                record_all(c, &ctx.actor, &changes)?;
                Ok((bills.len() as i64, last, rows.len() as i64))
            },
        )?;
        outcome.items += sent;
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// Advance bonus.

/// Bills looked at per transaction.
pub const BONUS_BATCH: i64 = 1000;

/// How far back the bonus job looks for bills paid in full.
pub const BONUS_LOOKBACK_DAYS: i64 = 30;

/// The `advance_bonus` job: a bill paid in full (its last allocation) at least
/// `min_days_before_due` days before its due date earns `bp` of its total, and with
/// `prepaid_orders` so does a bill paid by the day its goods were released; credited once per
/// bill (`bonus_awards`, unique) as a `bonus` ledger entry per client, with an audit row and a
/// `bonus.credited` event. Bills paid in the last 30 days are looked at.
pub fn award_bonuses(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let version = job_policy(&mut conn, ctx.now)?;
    let rule = version.policy.advance_bonus.clone();
    let mut outcome = Outcome::default();
    if rule.bp == 0 {
        return Ok(outcome);
    }
    let since = ctx.now - chrono::Duration::days(BONUS_LOOKBACK_DAYS);
    let awarded = ctx.in_batches(&mut conn, BONUS_BATCH, outcome.items, |c, after, batch| {
        let bills = store::bonus_candidates(c, since, after, batch)?;
        let last = bills
            .last()
            .map(|b| b.invoice_id.clone())
            .unwrap_or_default();
        let now = db::now();
        let mut rows = Vec::new();
        let mut per_client: std::collections::BTreeMap<&str, (i64, Vec<serde_json::Value>)> =
            Default::default();
        for b in &bills {
            let early = b.paid_at.date()
                <= b.due_date - chrono::Duration::days(rule.min_days_before_due as i64);
            let prepaid =
                rule.prepaid_orders && b.released_at.is_some_and(|r| b.paid_at.date() <= r.date());
            if !(early || prepaid) {
                continue;
            }
            let amount = crate::money::bp_of(b.total_minor, rule.bp as i64);
            if amount == 0 {
                continue;
            }
            let reason = if prepaid { "prepaid" } else { "early" };
            rows.push(store::BonusRow {
                invoice_id: b.invoice_id.clone(),
                client_id: b.client_id.clone(),
                amount_minor: amount,
                reason: reason.to_string(),
                policy_version: version.version,
                created_at: now,
            });
            let e = per_client.entry(b.client_id.as_str()).or_default();
            e.0 += amount;
            e.1.push(json!({"invoice": b.number, "amount": money(amount), "reason": reason}));
        }
        store::insert_bonuses(c, &rows)?;
        let postings: Vec<Posting<'_>> = per_client
            .iter()
            .map(|(client, (total, _))| Posting {
                client_id: client,
                kind: EntryKind::Bonus,
                amount: *total,
                floor: Floor::None,
                order_id: None,
                invoice_id: None,
                payment_id: None,
                reason: Some("bonus for early payment"),
            })
            .collect();
        ledger::post_all(c, &ctx.actor, &postings)?;
        let changes: Vec<Change<'_>> = per_client
            .iter()
            .map(|(client, (total, bills))| Change {
                action: "bonus.credited",
                entity_type: "client",
                entity_id: client,
                client_id: Some(client),
                details: json!({"total": money(*total), "bills": bills,
                        "policy_version": version.version}),
            })
            .collect();
        record_all(c, &ctx.actor, &changes)?;
        // The balance grew: orders waiting for money may fit now.
        let clients: Vec<&str> = per_client.keys().copied().collect();
        crate::orders::service::release_waiting_all(c, &ctx.actor, &clients, ctx.now)?;
        Ok((bills.len() as i64, last, rows.len() as i64))
    })?;
    outcome.items += awarded;
    Ok(outcome)
}
