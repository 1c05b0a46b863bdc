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

/// Appends many entries that no floor guards (payments received, or debits the caller checked
/// against balances its transaction holds), in order per client, inside the caller's
/// transaction: one round trip for all balances on PostgreSQL.
pub fn post_all(
    conn: &mut DbConn,
    actor: &Principal,
    postings: &[Posting<'_>],
) -> Result<Vec<EntryRow>, ApiError> {
    let now = db::now();
    let mut rows: Vec<EntryRow> = postings
        .iter()
        .map(|p| EntryRow {
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
            created_at: now,
            payment_id: p.payment_id.map(str::to_string),
        })
        .collect();
    if postings.iter().any(|p| p.floor != Floor::None) {
        return Err(ApiError::internal("post_all takes unguarded postings only"));
    }
    store::post_entries(conn, &mut rows)?;
    Ok(rows)
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

/// The account; the turnover window is the receivables policy's tier window in force (the one
/// the tier_recalc job uses).
pub async fn account(
    state: &crate::state::AppState,
    actor: Principal,
    client_id: String,
) -> Result<AccountView, ApiError> {
    let policy = state.policy.clone();
    let settings = state.settings.clone();
    db::run(&state.pool, move |c| {
        clients::service::ensure_visible(c, &actor, &client_id)?;
        let window_days =
            crate::receivables::service::current_policy(c, &policy, &settings.business)?
                .policy
                .tier_window_days as i64;
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

/// Client-side roles that confirm or dispute statements.
const ANSWERING: &[Role] = &[Role::ClientAdmin, Role::ClientAccountant];

fn response_view(r: store::ResponseRow) -> StatementResponseView {
    StatementResponseView {
        status: if r.status == StatementAnswer::Disputed.as_str() {
            StatementAnswer::Disputed
        } else {
            StatementAnswer::Confirmed
        },
        closing_balance: SignedMoney::from_minor(r.closing_balance_minor),
        created_at: r.created_at.and_utc(),
        id: r.id,
        client_id: r.client_id,
        from: r.period_from,
        to: r.period_to,
        comment: r.comment,
    }
}

/// The statement of a period from the ledger (dates are UTC days).
fn build_statement(
    conn: &mut DbConn,
    client: &clients::store::ClientRow,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<StatementView, ApiError> {
    let start = from.and_time(chrono::NaiveTime::MIN);
    let end = (to + chrono::Duration::days(1)).and_time(chrono::NaiveTime::MIN);
    let opening = store::balance_before(conn, &client.id, start)?;
    let entries = store::entries_between(conn, &client.id, start, end)?;
    let (mut debit, mut credit) = (0_i64, 0_i64);
    let lines: Vec<StatementLine> = entries
        .into_iter()
        .map(|s| {
            let e = s.entry;
            let kind = EntryKind::parse(&e.kind).unwrap_or(EntryKind::Adjustment);
            let order = s.payment_order.and_then(|(n, d)| n.zip(d));
            let document = statement_document(
                kind,
                s.invoice_number.as_deref(),
                order.as_ref().map(|(n, d)| (n.as_str(), *d)),
                e.reason.as_deref(),
            );
            let (d, c) = if e.amount_minor < 0 {
                (-e.amount_minor, 0)
            } else {
                (0, e.amount_minor)
            };
            debit += d;
            credit += c;
            StatementLine {
                date: e.created_at.date(),
                seq: e.seq,
                kind,
                document,
                debit: Money::from_minor(d),
                credit: Money::from_minor(c),
                balance_after: SignedMoney::from_minor(e.balance_after_minor),
            }
        })
        .collect();
    let responses = store::responses_for(conn, &client.id, from, to)?
        .into_iter()
        .map(response_view)
        .collect();
    Ok(StatementView {
        client_id: client.id.clone(),
        client_name: client.name.clone(),
        client_inn: client.inn.clone(),
        from,
        to,
        opening_balance: SignedMoney::from_minor(opening),
        closing_balance: SignedMoney::from_minor(opening + credit - debit),
        debit_total: Money::from_minor(debit),
        credit_total: Money::from_minor(credit),
        lines,
        responses,
    })
}

fn visible_client(
    conn: &mut DbConn,
    actor: &Principal,
    client_id: &str,
) -> Result<clients::store::ClientRow, ApiError> {
    clients::service::ensure_visible(conn, actor, client_id)?;
    clients::store::find(conn, client_id)?.ok_or_else(|| ApiError::not_found("client"))
}

/// The reconciliation statement of a period (the client sees its own).
pub async fn statement(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    q: StatementQuery,
) -> Result<StatementView, ApiError> {
    q.validate()?;
    db::run(pool, move |c| {
        let client = visible_client(c, &actor, &client_id)?;
        build_statement(c, &client, q.from, q.to)
    })
    .await
}

/// The statement as a printable HTML document.
pub async fn statement_document_html(
    state: &AppState,
    actor: Principal,
    client_id: String,
    q: StatementQuery,
) -> Result<String, ApiError> {
    let view = statement(&state.pool, actor, client_id, q).await?;
    let seller = crate::invoices::service::seller(&state.settings.business);
    crate::documents::render(
        crate::documents::STATEMENT,
        &StatementDocument::build(&view, seller),
    )
}

/// The client confirms or disputes the statement of a period (its admin or accountant); the
/// closing balance it answered is kept with the answer.
pub async fn answer(
    pool: &Pool,
    actor: Principal,
    client_id: String,
    status: StatementAnswer,
    input: AnswerStatement,
) -> Result<StatementResponseView, ApiError> {
    StatementQuery {
        from: input.from,
        to: input.to,
    }
    .validate()?;
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let mut c = Check::new();
    c.opt_text("comment", comment.as_deref(), 1, 2000);
    if matches!(status, StatementAnswer::Disputed) && comment.is_none() {
        c.add("comment", "required", "say what does not match");
    }
    c.finish()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let client = visible_client(conn, &actor, &client_id)?;
            if !actor.has_any(ANSWERING) {
                return Err(ApiError::forbidden(
                    "statements are answered by the company's admin or accountant",
                ));
            }
            let view = build_statement(conn, &client, input.from, input.to)?;
            let row = store::ResponseRow {
                id: db::new_id(),
                client_id: client.id.clone(),
                period_from: input.from,
                period_to: input.to,
                status: status.as_str().to_string(),
                comment,
                closing_balance_minor: view.closing_balance.minor(),
                actor_kind: actor.kind.as_str().to_string(),
                actor_id: actor.id.clone(),
                created_at: db::now(),
            };
            store::insert_response(conn, &row)?;
            record(
                conn,
                &actor,
                Change {
                    action: match status {
                        StatementAnswer::Confirmed => "statement.confirmed",
                        StatementAnswer::Disputed => "statement.disputed",
                    },
                    entity_type: "statement_response",
                    entity_id: &row.id,
                    client_id: Some(&client.id),
                    details: json!({"from": row.period_from, "to": row.period_to,
                        "closing_balance": view.closing_balance, "comment": row.comment}),
                },
            )?;
            Ok(response_view(row))
        })
    })
    .await
}

/// Staff: the clients' answers to statements (`status=disputed` for the disputes to look at).
pub async fn list_responses(
    pool: &Pool,
    actor: Principal,
    q: StatementResponseQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<StatementResponseView>, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::forbidden(
            "statement answers are listed for staff",
        ));
    }
    let mut c = Check::new();
    c.opt_text("client_id", q.client_id.as_deref(), 0, 64);
    c.finish()?;
    let rows = db::run(pool, move |c| {
        Ok(store::list_responses(
            c,
            q.status.map(|s| s.as_str()),
            q.client_id.as_deref(),
            after.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        response_view,
    ))
}
