//! The `tier_recalc` job: each client's price tier follows its turnover in the trailing window
//! (the receivables policy's `tier_window_days`, the window the account view shows the turnover of).
//!
//! The rule: a client's turnover is its goods released net of reversals in the window (the
//! rule of `ledger::store::turnover_since`, negative counted as 0); its tier is the tier with
//! the highest minimum turnover that turnover reaches, or none when no tier is reached (orders
//! of a client without a tier are priced at the list price). A pinned tier is never changed.
//! Blocked and on-hold clients are recalculated like active ones: the tier is a matter of
//! turnover, not of standing; a blocked client cannot order, so its tier prices nothing while
//! it is blocked, and it comes back at the tier its turnover earns instead of a stale one that
//! would jump (unaudited at the time) the day after it is unblocked.
//!
//! Set-based: one grouped statement reads every client's turnover, the tiers are read once,
//! the new tiers are decided here, and only the clients that change are written, in
//! transactions of `TIER_BATCH` clients, each with its audit rows and `client.tier_changed`
//! events. A change is applied only if the client's tier is still the one read and not pinned
//! (a director's change in between wins). An interrupted run leaves whole batches done; the
//! next run reads again and finds those clients at their tier already, so nothing is repeated;
//! a second run changes nothing.

use crate::audit::{model::Change, service::record_all};
use crate::clients::store::TierMove;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::money::Money;
use crate::pricing::store::TierRow;
use crate::scheduler::model::Outcome;
use crate::scheduler::service::JobContext;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// Clients changed per transaction.
pub const TIER_BATCH: i64 = 1000;

/// The tier `turnover_minor` earns: the one with the highest minimum turnover at or below it
/// (of equal minimums the higher discount, then the lower id, so the choice is stable), or
/// none.
pub fn tier_for(tiers: &[TierRow], turnover_minor: i64) -> Option<&TierRow> {
    tiers
        .iter()
        .filter(|t| t.min_turnover_minor <= turnover_minor)
        .max_by(|a, b| {
            (a.min_turnover_minor, a.discount_bp)
                .cmp(&(b.min_turnover_minor, b.discount_bp))
                .then_with(|| b.id.cmp(&a.id))
        })
}

/// A client whose tier changes, and the turnover that moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub client_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub turnover_minor: i64,
}

/// The changes of every client not pinned whose tier differs from the one its turnover earns,
/// in the order of `clients` (by id). `clients`: (id, tier id, pinned, net turnover).
pub fn decide<'a>(
    tiers: &[TierRow],
    clients: impl IntoIterator<Item = (&'a str, Option<&'a str>, bool, i64)>,
) -> Vec<TierChange> {
    clients
        .into_iter()
        .filter(|c| !c.2)
        .filter_map(|(id, current, _, net)| {
            let turnover = net.max(0);
            let to = tier_for(tiers, turnover).map(|t| t.id.as_str());
            (to != current).then(|| TierChange {
                client_id: id.to_string(),
                from: current.map(str::to_string),
                to: to.map(str::to_string),
                turnover_minor: turnover,
            })
        })
        .collect()
}

fn tier_ref(names: &HashMap<&str, &str>, id: Option<&str>) -> Value {
    match id {
        Some(id) => json!({"id": id, "name": names.get(id).copied()}),
        None => Value::Null,
    }
}

/// The `tier_recalc` job (see the module documentation). Items: the clients whose tier
/// changed.
pub fn recalc_tiers(pool: &Pool, ctx: &JobContext<'_>) -> Result<Outcome, ApiError> {
    let mut conn = pool.get()?;
    let window_days = super::service::job_policy(&mut conn, ctx.now)?
        .policy
        .tier_window_days as i64;
    let since = ctx.now - chrono::Duration::days(window_days);
    let tiers = crate::pricing::store::list(&mut conn)?;
    let clients = crate::ledger::store::turnovers_since(&mut conn, since)?;
    let changes = decide(
        &tiers,
        clients.iter().map(|c| {
            (
                c.client_id.as_str(),
                c.tier_id.as_deref(),
                c.tier_pinned,
                c.turnover_minor,
            )
        }),
    );
    let names: HashMap<&str, &str> = tiers
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    tracing::info!(
        clients = clients.len(),
        pinned = clients.iter().filter(|c| c.tier_pinned).count(),
        changes = changes.len(),
        window_days,
        "tier recalculation decided"
    );
    let mut outcome = Outcome::default();
    let mut rest = changes.as_slice();
    while !rest.is_empty() {
        let n = (ctx.batch(TIER_BATCH, outcome.items) as usize).min(rest.len());
        let (batch, tail) = rest.split_at(n);
        rest = tail;
        let moved = db::write_tx(&mut conn, |c| -> Result<usize, ApiError> {
            let moves: Vec<TierMove<'_>> = batch
                .iter()
                .map(|m| TierMove {
                    client_id: &m.client_id,
                    from: m.from.as_deref(),
                    to: m.to.as_deref(),
                })
                .collect();
            let moved: HashSet<String> = crate::clients::store::move_tiers(c, &moves, ctx.now)?
                .into_iter()
                .collect();
            let audited: Vec<Change<'_>> = batch
                .iter()
                .filter(|m| moved.contains(&m.client_id))
                .map(|m| Change {
                    action: "client.tier_changed",
                    entity_type: "client",
                    entity_id: &m.client_id,
                    client_id: Some(&m.client_id),
                    details: json!({
                        "from": tier_ref(&names, m.from.as_deref()),
                        "to": tier_ref(&names, m.to.as_deref()),
                        "turnover": Money::from_minor(m.turnover_minor),
                        "window_days": window_days,
                    }),
                })
                .collect();
            record_all(c, &ctx.actor, &audited)?;
            Ok(audited.len())
        })?;
        if moved > 0 {
            crate::pricing::service::discounts_changed();
        }
        outcome.items += moved as i64;
        ctx.progress(outcome.items)?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(id: &str, min: i64, bp: i32) -> TierRow {
        let t = chrono::NaiveDateTime::default();
        TierRow {
            id: id.into(),
            name: id.to_uppercase(),
            min_turnover_minor: min,
            discount_bp: bp,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn the_highest_tier_reached() {
        let tiers = [tier("g", 500_000, 700), tier("s", 100_000, 300)];
        let of = |t: i64| tier_for(&tiers, t).map(|t| t.id.as_str());
        assert_eq!(of(0), None);
        assert_eq!(of(99_999), None);
        assert_eq!(of(100_000), Some("s"));
        assert_eq!(of(499_999), Some("s"));
        assert_eq!(of(500_000), Some("g"));
        assert_eq!(of(i64::MAX), Some("g"));
        // A tier from zero takes every client; equal minimums: the better discount.
        let tiers = [tier("a", 0, 100), tier("c", 0, 200), tier("b", 0, 200)];
        assert_eq!(tier_for(&tiers, 0).map(|t| t.id.as_str()), Some("b"));
        assert!(tier_for(&[], 1_000).is_none());
    }

    #[test]
    fn only_unpinned_clients_that_differ_change() {
        let tiers = [tier("g", 500_000, 700), tier("s", 100_000, 300)];
        let got = decide(
            &tiers,
            [
                ("1", None, false, 600_000),      // up to Gold
                ("2", Some("g"), false, 600_000), // stays
                ("3", Some("g"), true, 0),        // pinned
                ("4", Some("s"), false, -5_000),  // reversals: turnover 0, no tier
                ("5", None, false, 0),            // stays without a tier
            ],
        );
        let ids: Vec<(&str, Option<&str>, Option<&str>, i64)> = got
            .iter()
            .map(|c| {
                (
                    c.client_id.as_str(),
                    c.from.as_deref(),
                    c.to.as_deref(),
                    c.turnover_minor,
                )
            })
            .collect();
        assert_eq!(
            ids,
            [("1", None, Some("g"), 600_000), ("4", Some("s"), None, 0)]
        );
    }
}
