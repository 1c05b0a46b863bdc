use super::model::*;
use super::store::{self, EntryRow};
use crate::audit::model::Change;
use crate::audit::service::record;
use crate::auth::model::{Principal, Role};
use crate::clients;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::money::{Money, SignedMoney};
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;

/// Who may post manual adjustments.
pub const ADJUSTERS: &[Role] = &[Role::Director, Role::Accountant];

pub struct Posting<'a> {
    pub client_id: &'a str,
    pub kind: EntryKind,
    /// Signed kopecks: positive in the client's favour.
    pub amount: i64,
    pub floor: Floor,
    pub order_id: Option<&'a str>,
    pub invoice_id: Option<&'a str>,
    pub payment_id: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// Appends an entry inside the caller's transaction. `Ok(None)` when the floor refused it
/// (nothing was written).
pub fn post(
    conn: &mut DbConn,
    actor: &Principal,
    p: Posting<'_>,
) -> Result<Option<EntryRow>, ApiError> {
    let floor = match p.floor {
        Floor::CreditLimit => Some(true),
        Floor::Zero => Some(false),
        Floor::None => None,
    };
    let draft = EntryRow {
        id: db::new_id(),
        client_id: p.client_id.to_string(),
        seq: 0,
        kind: p.kind.as_str().to_string(),
        amount_minor: p.amount,
        balance_after_minor: 0,
        order_id: p.order_id.map(str::to_string),
        invoice_id: p.invoice_id.map(str::to_string),
        reason: p.reason.map(str::to_string),
        actor_kind: actor.kind.as_str().to_string(),
        actor_id: actor.id.clone(),
        created_at: db::now(),
        payment_id: p.payment_id.map(str::to_string),
    };
    Ok(store::post_entry(conn, draft, floor)?)
}

pub fn entry_view(r: EntryRow) -> LedgerEntryView {
    LedgerEntryView {
        kind: EntryKind::parse(&r.kind).unwrap_or(EntryKind::Adjustment),
        amount: SignedMoney::from_minor(r.amount_minor),
        balance_after: SignedMoney::from_minor(r.balance_after_minor),
        id: r.id,
        seq: r.seq,
        order_id: r.order_id,
        invoice_id: r.invoice_id,
        payment_id: r.payment_id,
        reason: r.reason,
        created_at: r.created_at.and_utc(),
    }
}

pub async fn list(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    after: Option<String>,
    limit: i64,
) -> Result<Page<LedgerEntryView>, ApiError> {
    let after_seq = match after {
        None => None,
        Some(a) => Some(
            a.parse::<i64>()
                .map_err(|_| ApiError::field("after", "invalid_cursor", "the cursor is invalid"))?,
        ),
    };
    let rows = db::run(pool, move |c| {
        clients::service::ensure_visible(c, &actor, &client_id)?;
        Ok(store::list(c, &client_id, after_seq, limit)?)
    })
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.seq.to_string(),
        entry_view,
    ))
}

pub async fn account(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    window_days: i64,
) -> Result<AccountView, ApiError> {
    db::run(pool, move |c| {
        clients::service::ensure_visible(c, &actor, &client_id)?;
        let client =
            clients::store::find(c, &client_id)?.ok_or_else(|| ApiError::not_found("client"))?;
        let now = db::now();
        let turnover =
            store::turnover_since(c, &client_id, now - chrono::Duration::days(window_days))?.max(0);
        let tiers = store::tiers(c)?;
        let current = client
            .tier_id
            .as_ref()
            .and_then(|id| tiers.iter().find(|t| &t.0 == id));
        let next_tier = tiers
            .iter()
            .find(|t| t.2 > turnover && current.is_none_or(|c| t.2 > c.2))
            .map(|t| NextTier {
                tier_id: t.0.clone(),
                name: t.1.clone(),
                min_turnover: Money::from_minor(t.2),
                missing: Money::from_minor(t.2 - turnover),
            });
        Ok(AccountView {
            balance: SignedMoney::from_minor(client.balance_minor),
            credit_limit: Money::from_minor(client.credit_limit_minor),
            available_credit: SignedMoney::from_minor(
                client.balance_minor + client.credit_limit_minor,
            ),
            awaiting_payment: Money::from_minor(store::awaiting_payment(c, &client_id)?),
            overdue: Money::from_minor(store::overdue(c, &client_id, now.date())?),
            status: clients::model::ClientStatus::parse(&client.status)
                .unwrap_or(clients::model::ClientStatus::Blocked),
            tier_name: current.map(|t| t.1.clone()),
            discount_bp: current.map(|t| t.3).unwrap_or(0),
            tier_id: client.tier_id,
            tier_pinned: client.tier_pinned,
            turnover: Money::from_minor(turnover),
            turnover_window_days: window_days,
            next_tier,
            client_id,
        })
    })
    .await
}

/// Posts a manual adjustment; with an `Idempotency-Key` a retry posts it only once.
pub async fn adjust(
    state: &AppState,
    actor: Principal,
    client_id: String,
    input: CreateAdjustment,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    let mut c = Check::new();
    c.text("reason", &input.reason, 1, 500);
    if input.amount.minor() == 0 {
        c.add("amount", "out_of_range", "must not be zero");
    }
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        clients::service::ensure_visible(conn, &actor, &client_id)?;
        if !actor.has_any(ADJUSTERS) {
            return Err(ApiError::forbidden(
                "adjustments are posted by the director or an accountant",
            ));
        }
        c.finish()?;
        let reason = input.reason.trim();
        let row = post(
            conn,
            &actor,
            Posting {
                client_id: &client_id,
                kind: EntryKind::Adjustment,
                amount: input.amount.minor(),
                floor: Floor::None,
                order_id: None,
                payment_id: None,
                invoice_id: None,
                reason: Some(reason),
            },
        )?
        .ok_or_else(|| ApiError::not_found("client"))?;
        record(
            conn,
            &actor,
            Change {
                action: "ledger.adjusted",
                entity_type: "client",
                entity_id: &client_id,
                client_id: Some(&client_id),
                details: json!({
                    "entry_id": row.id,
                    "amount": input.amount,
                    "reason": reason,
                    "balance_after": SignedMoney::from_minor(row.balance_after_minor),
                }),
            },
        )?;
        Ok(entry_view(row))
    })
    .await
}
