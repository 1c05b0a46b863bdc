//! Money in. A payment (from the API or a statement file) is stored once per bank reference,
//! matched to its client by the payer's INN, credited to the client's account, releases the
//! client's waiting orders that now fit, and is allocated to open bills: the ones its purpose
//! names first, then the oldest due. What is left is the client's advance. All of it in the
//! transaction that stores the payment.
//!
//! Lock order (as in order placement): the client row first (the ledger credit), then order
//! rows (releases), then bills (allocations).

use super::model::*;
use super::statement::{self, Direction};
use super::store::{self, AllocationRow, ImportRow, PaymentFilter, PaymentRow};
use crate::audit::model::Change;
use crate::audit::service::{record, record_all};
use crate::auth::model::{Principal, Role};
use crate::clients::model::{inn_error, kpp_valid};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::ledger::model::{EntryKind, Floor};
use crate::ledger::service::{self as ledger, Posting};
use crate::money::{Money, SignedMoney};
use crate::orders;
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Who records payments, imports statements and matches payments by hand.
pub const PAYMENT_STAFF: &[Role] = &[Role::Accountant, Role::Director, Role::Admin];

fn require_staff(actor: &Principal) -> Result<(), ApiError> {
    if actor.has_any(PAYMENT_STAFF) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "payments are recorded by accountants, the director and admins",
        ))
    }
}

fn view(p: PaymentRow, allocations: &[(AllocationRow, String)]) -> PaymentView {
    let unallocated = p.amount_minor - p.allocated_minor - p.refunded_minor;
    PaymentView {
        status: PaymentStatus::parse(&p.status).unwrap_or(PaymentStatus::Unmatched),
        amount: Money::from_minor(p.amount_minor),
        allocated: Money::from_minor(p.allocated_minor),
        refunded: Money::from_minor(p.refunded_minor),
        unallocated: Money::from_minor(unallocated),
        allocations: allocations
            .iter()
            .filter(|(a, _)| a.payment_id == p.id)
            .map(|(a, number)| AllocationView {
                invoice_id: a.invoice_id.clone(),
                invoice_number: number.clone(),
                amount: SignedMoney::from_minor(a.amount_minor),
                created_at: a.created_at.and_utc(),
            })
            .collect(),
        created_at: p.created_at.and_utc(),
        matched_at: p.matched_at.map(|t| t.and_utc()),
        id: p.id,
        value_date: p.value_date,
        client_id: p.client_id,
        matched_by: p.matched_by,
        payer_inn: p.payer_inn,
        payer_kpp: p.payer_kpp,
        payer_name: p.payer_name,
        purpose: p.purpose,
        bank_reference: p.bank_reference,
        source: p.source,
        import_id: p.import_id,
        document_number: p.document_number,
        document_date: p.document_date,
    }
}

fn load_view(conn: &mut DbConn, p: PaymentRow) -> Result<PaymentView, ApiError> {
    let allocations = store::allocations_of(conn, std::slice::from_ref(&p.id))?;
    Ok(view(p, &allocations))
}

/// The payment if the principal may see it (a client: its own matched payments), else 404.
fn visible(conn: &mut DbConn, actor: &Principal, id: &str) -> Result<PaymentRow, ApiError> {
    store::find(conn, id)?
        .filter(|p| {
            actor.is_staff()
                || p.client_id
                    .as_deref()
                    .is_some_and(|c| actor.can_see_client(c))
        })
        .ok_or_else(|| ApiError::not_found("payment"))
}

fn validate(input: &CreatePayment, our_inn: &str) -> Result<(), ApiError> {
    let mut c = Check::new();
    if input.amount.minor() <= 0 {
        c.add("amount", "must_be_positive", "must be more than zero");
    }
    if let Some((code, message)) = inn_error(input.payer_inn.trim()) {
        c.add("payer_inn", code, message);
    }
    if let Some(kpp) = &input.payer_kpp {
        if !kpp_valid(kpp.trim()) {
            c.add(
                "payer_kpp",
                "invalid_format",
                "must be 9 characters NNNNPPNNN",
            );
        }
    }
    c.text("payer_name", &input.payer_name, 1, 300);
    c.text("purpose", &input.purpose, 0, 1000);
    c.text("bank_reference", &input.bank_reference, 1, 255);
    c.opt_text("document_number", input.document_number.as_deref(), 1, 50);
    if let Some(inn) = &input.recipient_inn {
        if inn.trim() != our_inn {
            c.add(
                "recipient_inn",
                "not_our_inn",
                format!(
                    "the payment is addressed to INN {}, not to ours",
                    inn.trim()
                ),
            );
        }
    }
    c.finish()
}

/// A payment that arrived, before it is stored.
struct Arrival {
    bank_reference: String,
    source: &'static str,
    import_id: Option<String>,
    amount_minor: i64,
    value_date: chrono::NaiveDate,
    payer_inn: String,
    payer_kpp: Option<String>,
    payer_name: String,
    purpose: String,
    document_number: Option<String>,
    document_date: Option<chrono::NaiveDate>,
}

/// A new payment's row: matched by INN to `client` when there is one.
fn payment_row(a: Arrival, client: Option<&str>, now: chrono::NaiveDateTime) -> PaymentRow {
    PaymentRow {
        id: db::new_id(),
        bank_reference: a.bank_reference,
        source: a.source.to_string(),
        import_id: a.import_id,
        amount_minor: a.amount_minor,
        value_date: a.value_date,
        payer_inn: a.payer_inn,
        payer_kpp: a.payer_kpp,
        payer_name: a.payer_name,
        purpose: a.purpose,
        document_number: a.document_number,
        document_date: a.document_date,
        status: match client {
            Some(_) => PaymentStatus::Matched,
            None => PaymentStatus::Unmatched,
        }
        .as_str()
        .to_string(),
        client_id: client.map(str::to_string),
        allocated_minor: 0,
        refunded_minor: 0,
        matched_by: client.map(|_| "inn".to_string()),
        created_at: now,
        matched_at: client.map(|_| now),
    }
}

/// `receive` for the new payments of a statement (rows from `payment_row`, references known to
/// be new): stored in multi-row inserts, credited in client-id order (concurrent imports lock
/// client rows in one order), then each client's waiting orders released and its bills paid
/// once for all its payments. Returns the released order ids.
fn receive_all(
    conn: &mut DbConn,
    actor: &Principal,
    rows: &[PaymentRow],
) -> Result<Vec<String>, ApiError> {
    store::insert_all(conn, rows)?;
    let mut matched: Vec<&PaymentRow> = rows.iter().filter(|p| p.client_id.is_some()).collect();
    matched.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let postings: Vec<Posting<'_>> = matched
        .iter()
        .map(|p| Posting {
            client_id: p.client_id.as_deref().unwrap_or_default(),
            kind: EntryKind::Payment,
            amount: p.amount_minor,
            floor: Floor::None,
            order_id: None,
            invoice_id: None,
            payment_id: Some(&p.id),
            reason: None,
        })
        .collect();
    ledger::post_all(conn, actor, &postings)?;
    let mut changes: Vec<Change<'_>> = matched
        .iter()
        .map(|p| Change {
            action: "payment.matched",
            entity_type: "payment",
            entity_id: &p.id,
            client_id: p.client_id.as_deref(),
            details: json!({"by": "inn", "reason": null}),
        })
        .collect();
    let mut clients: Vec<&str> = matched
        .iter()
        .filter_map(|p| p.client_id.as_deref())
        .collect();
    clients.dedup();
    let released = orders::service::release_waiting_all(conn, actor, &clients, db::now())?;
    settle_all(conn, actor, &clients)?;
    changes.extend(rows.iter().map(|p| Change {
        action: "payment.received",
        entity_type: "payment",
        entity_id: &p.id,
        client_id: p.client_id.as_deref(),
        details: received_details(p),
    }));
    record_all(conn, actor, &changes)?;
    Ok(released)
}

fn received_details(p: &PaymentRow) -> serde_json::Value {
    json!({
        "amount": Money::from_minor(p.amount_minor),
        "payer_inn": p.payer_inn,
        "bank_reference": p.bank_reference,
        "source": p.source,
    })
}

/// Stores a payment and, when a client has the payer's INN, credits it (see `credit`).
/// `None` when a payment with this bank reference exists already (nothing written).
fn receive(
    conn: &mut DbConn,
    actor: &Principal,
    a: Arrival,
    client_id: Option<String>,
) -> Result<Option<PaymentRow>, ApiError> {
    let mut payment = payment_row(a, None, db::now());
    if !store::insert_new(conn, &payment)? {
        return Ok(None);
    }
    record(
        conn,
        actor,
        Change {
            action: "payment.received",
            entity_type: "payment",
            entity_id: &payment.id,
            client_id: client_id.as_deref(),
            details: received_details(&payment),
        },
    )?;
    if let Some(client) = client_id {
        credit(conn, actor, &mut payment, &client, "inn", None)?;
    }
    Ok(Some(payment))
}

/// Matches an unmatched payment to `client_id` and puts the money to work: the ledger credit,
/// the release of waiting orders that now fit, the allocation to open bills; `payment` is
/// updated in place.
fn credit(
    conn: &mut DbConn,
    actor: &Principal,
    payment: &mut PaymentRow,
    client_id: &str,
    by: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let now = db::now();
    if !store::set_matched(conn, &payment.id, client_id, by, now)? {
        return Err(ApiError::conflict(
            "payment_already_matched",
            "this payment has been matched to a client already",
        ));
    }
    ledger::post(
        conn,
        actor,
        Posting {
            client_id,
            kind: EntryKind::Payment,
            amount: payment.amount_minor,
            floor: Floor::None,
            order_id: None,
            invoice_id: None,
            payment_id: Some(&payment.id),
            reason,
        },
    )?
    .ok_or_else(|| ApiError::internal("an unguarded ledger credit was refused"))?;
    record(
        conn,
        actor,
        Change {
            action: "payment.matched",
            entity_type: "payment",
            entity_id: &payment.id,
            client_id: Some(client_id),
            details: json!({"by": by, "reason": reason}),
        },
    )?;
    orders::service::release_waiting(conn, actor, client_id)?;
    settle(conn, actor, client_id)?;
    *payment = store::find(conn, &payment.id)?.ok_or_else(|| ApiError::not_found("payment"))?;
    Ok(())
}

/// Allocates what the client's matched payments still hold to its open bills: each payment,
/// oldest value date first, pays the bills its purpose names, then the oldest due. Call inside
/// a transaction that holds the client row (after a ledger entry of this client).
pub fn settle(conn: &mut DbConn, actor: &Principal, client_id: &str) -> Result<(), ApiError> {
    settle_all(conn, actor, &[client_id])
}

/// One allocation of a settle plan: payment index, bill index, amount.
type Planned = (usize, usize, i64);

/// The allocations of one client's payments (oldest value date first) to its open bills
/// (oldest due first): each payment pays the bills its purpose names, in the order named, then
/// the oldest due; `bills` are moved to what they will have paid.
fn plan(payments: &[PaymentRow], bills: &mut [store::OpenBill], out: &mut Vec<Planned>) {
    for (pi, p) in payments.iter().enumerate() {
        let mut left = p.amount_minor - p.allocated_minor - p.refunded_minor;
        let named = invoice_numbers_in(&p.purpose);
        let mut order: Vec<usize> = (0..bills.len()).collect();
        order.sort_by_key(|&i| {
            named
                .iter()
                .position(|n| *n == bills[i].number)
                .unwrap_or(usize::MAX)
        });
        for i in order {
            if left == 0 {
                break;
            }
            let bill = &mut bills[i];
            let amount = allocation(left, bill.total_minor - bill.paid_minor);
            if amount == 0 {
                continue;
            }
            bill.paid_minor += amount;
            left -= amount;
            out.push((pi, i, amount));
        }
        if bills.iter().all(|b| b.paid_minor == b.total_minor) {
            break;
        }
    }
}

/// `settle` for many clients (their rows held by the caller's transaction) in a fixed number
/// of statements: payments with money left and open bills read at once, the plan made per
/// client, then bills, payments, allocation rows and audit rows written in bulk.
pub fn settle_all(
    conn: &mut DbConn,
    actor: &Principal,
    client_ids: &[&str],
) -> Result<(), ApiError> {
    let payments = store::with_remainder_of(conn, client_ids)?;
    if payments.is_empty() {
        return Ok(());
    }
    let mut with_money: Vec<&str> = payments
        .iter()
        .filter_map(|p| p.client_id.as_deref())
        .collect();
    with_money.dedup();
    let mut bills = store::open_bills_of(conn, &with_money)?;
    if bills.is_empty() {
        return Ok(());
    }
    let before: Vec<i64> = bills.iter().map(|b| b.paid_minor).collect();
    // Both lists are sorted by client: plan each client's slice of payments against its bills.
    let mut planned: Vec<Planned> = Vec::new();
    let (mut pi, mut bi) = (0, 0);
    while pi < payments.len() && bi < bills.len() {
        let (pc, bc) = (
            payments[pi].client_id.as_deref().unwrap_or_default(),
            bills[bi].client_id.as_str(),
        );
        if pc < bc {
            pi += 1;
            continue;
        }
        if bc < pc {
            bi += 1;
            continue;
        }
        let pe = pi
            + payments[pi..]
                .iter()
                .take_while(|p| p.client_id.as_deref() == Some(pc))
                .count();
        let be = bi + bills[bi..].iter().take_while(|b| b.client_id == bc).count();
        let start = planned.len();
        plan(&payments[pi..pe], &mut bills[bi..be], &mut planned);
        for a in &mut planned[start..] {
            a.0 += pi;
            a.1 += bi;
        }
        pi = pe;
        bi = be;
    }
    if planned.is_empty() {
        return Ok(());
    }
    let moves: Vec<(&str, i64, i64, i64)> = bills
        .iter()
        .zip(&before)
        .filter(|(b, was)| b.paid_minor != **was)
        .map(|(b, was)| (b.id.as_str(), *was, b.paid_minor, b.total_minor))
        .collect();
    if store::pay_bills(conn, &moves)? != moves.len() {
        return Err(ApiError::conflict(
            "concurrent_update",
            "a bill of this client changed meanwhile; retry",
        ));
    }
    let now = db::now();
    let mut per_payment: Vec<(usize, i64, Vec<serde_json::Value>)> = Vec::new();
    let mut rows: Vec<AllocationRow> = Vec::with_capacity(planned.len());
    for &(p, b, amount) in &planned {
        rows.push(AllocationRow {
            id: db::new_id(),
            payment_id: payments[p].id.clone(),
            invoice_id: bills[b].id.clone(),
            amount_minor: amount,
            created_at: now,
        });
        let entry = json!({"invoice": bills[b].number, "amount": Money::from_minor(amount)});
        match per_payment.last_mut() {
            Some((last, total, paid)) if *last == p => {
                *total += amount;
                paid.push(entry);
            }
            _ => per_payment.push((p, amount, vec![entry])),
        }
    }
    let allocated: Vec<(&str, i64)> = per_payment
        .iter()
        .map(|(p, total, _)| (payments[*p].id.as_str(), *total))
        .collect();
    if store::add_allocated_all(conn, &allocated)? != allocated.len() {
        return Err(ApiError::internal("allocation exceeds the payment"));
    }
    store::insert_allocations(conn, &rows)?;
    let changes: Vec<Change<'_>> = per_payment
        .into_iter()
        .map(|(p, _, paid)| Change {
            action: "payment.allocated",
            entity_type: "payment",
            entity_id: &payments[p].id,
            client_id: payments[p].client_id.as_deref(),
            details: json!({ "allocations": paid }),
        })
        .collect();
    record_all(conn, actor, &changes)
}

/// Voids a bill: its money goes back to the payments that paid it (negative allocations), the
/// bill is void, then the client's other open bills may take that money. Inside the caller's
/// transaction, after a ledger entry of the client or with no payment involved.
pub fn void_bill(
    conn: &mut DbConn,
    actor: &Principal,
    client_id: &str,
    invoice_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let net = store::net_allocations_on(conn, invoice_id)?;
    if net.is_empty() {
        crate::invoices::store::void(conn, invoice_id, at)?;
        return Ok(());
    }
    undo_allocations(
        conn,
        net.iter()
            .map(|(payment_id, amount)| (payment_id.as_str(), invoice_id, *amount)),
    )?;
    record(
        conn,
        actor,
        Change {
            action: "payment.deallocated",
            entity_type: "invoice",
            entity_id: invoice_id,
            client_id: Some(client_id),
            details: json!({ "payments": net.iter().map(|(p, a)| json!({"payment": p, "amount": Money::from_minor(*a)})).collect::<Vec<_>>() }),
        },
    )?;
    // Void before settling, so the money does not go straight back to this bill.
    crate::invoices::store::void(conn, invoice_id, at)?;
    settle(conn, actor, client_id)
}

/// Undoes allocations (payment id, bill id, amount): the bills are unpaid by that much, the
/// payments hold it again, and negative allocation rows record it.
fn undo_allocations<'a>(
    conn: &mut DbConn,
    allocations: impl Iterator<Item = (&'a str, &'a str, i64)>,
) -> Result<(), ApiError> {
    let now = db::now();
    let mut rows = Vec::new();
    for (payment_id, invoice_id, amount) in allocations {
        if !store::unpay_bill(conn, invoice_id, amount)?
            || !store::add_allocated(conn, payment_id, -amount)?
        {
            return Err(ApiError::internal("allocations do not add up"));
        }
        rows.push(AllocationRow {
            id: db::new_id(),
            payment_id: payment_id.to_string(),
            invoice_id: invoice_id.to_string(),
            amount_minor: -amount,
            created_at: now,
        });
    }
    Ok(store::insert_allocations(conn, &rows)?)
}

/// Who may refund payments and correct matches.
pub const CORRECTORS: &[Role] = &[Role::Accountant, Role::Director];

fn require_corrector(actor: &Principal) -> Result<(), ApiError> {
    if actor.has_any(CORRECTORS) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "refunds and match corrections are made by accountants and the director",
        ))
    }
}

/// Pays back (part of) what a payment left unallocated: a `refund` ledger entry that may not
/// take the client's balance below zero (only an advance is refunded).
pub async fn refund(
    state: &AppState,
    actor: Principal,
    id: String,
    input: RefundPayment,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    require_corrector(&actor)?;
    let mut c = Check::new();
    if input.amount.minor() <= 0 {
        c.add("amount", "must_be_positive", "must be more than zero");
    }
    c.text("reason", &input.reason, 1, 500);
    c.finish()?;
    idempotency::run_once(&state.pool, &state.in_flight, idem, 200, move |conn| {
        let payment = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("payment"))?;
        let Some(client_id) = payment.client_id.clone() else {
            return Err(ApiError::conflict(
                "payment_unmatched",
                "an unmatched payment is matched to its client before it is refunded",
            ));
        };
        let amount = input.amount.minor();
        let unallocated = payment.amount_minor - payment.allocated_minor - payment.refunded_minor;
        if amount > unallocated {
            return Err(ApiError::field(
                "amount",
                "exceeds_unallocated",
                format!(
                    "at most {} of this payment is unallocated",
                    Money::from_minor(unallocated)
                ),
            ));
        }
        let reason = input.reason.trim();
        ledger::post(
            conn,
            &actor,
            Posting {
                client_id: &client_id,
                kind: EntryKind::Refund,
                amount: -amount,
                floor: Floor::Zero,
                order_id: None,
                invoice_id: None,
                payment_id: Some(&payment.id),
                reason: Some(reason),
            },
        )?
        .ok_or_else(|| {
            ApiError::conflict(
                "insufficient_advance",
                "the client's balance does not hold this much advance to refund",
            )
        })?;
        if !store::add_refunded(conn, &payment, amount)? {
            return Err(ApiError::conflict(
                "concurrent_update",
                "the payment changed meanwhile; retry",
            ));
        }
        record(
            conn,
            &actor,
            Change {
                action: "payment.refunded",
                entity_type: "payment",
                entity_id: &payment.id,
                client_id: Some(&client_id),
                details: json!({"amount": Money::from_minor(amount), "reason": reason}),
            },
        )?;
        let payment = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("payment"))?;
        load_view(conn, payment)
    })
    .await
}

/// Undoes a match to the wrong client: a `payment_reversal` entry takes the credit back, the
/// bills it paid are unpaid again, and the payment waits for staff to match it anew. Orders it
/// released stay released (the goods may be gone); the client's balance shows the debt.
pub async fn unmatch(
    state: &AppState,
    actor: Principal,
    id: String,
    input: UnmatchPayment,
) -> Result<PaymentView, ApiError> {
    require_corrector(&actor)?;
    let mut c = Check::new();
    c.text("reason", &input.reason, 1, 500);
    c.finish()?;
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let payment = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("payment"))?;
            let Some(client_id) = payment.client_id.clone() else {
                return Err(ApiError::conflict(
                    "payment_unmatched",
                    "this payment is not matched to a client",
                ));
            };
            if payment.refunded_minor > 0 {
                return Err(ApiError::conflict(
                    "payment_refunded",
                    "part of this payment has been refunded; correct it with a ledger adjustment",
                ));
            }
            let reason = input.reason.trim();
            // The client row first (the reversal), then the bills.
            ledger::post(
                conn,
                &actor,
                Posting {
                    client_id: &client_id,
                    kind: EntryKind::PaymentReversal,
                    amount: -payment.amount_minor,
                    floor: Floor::None,
                    order_id: None,
                    invoice_id: None,
                    payment_id: Some(&payment.id),
                    reason: Some(reason),
                },
            )?
            .ok_or_else(|| ApiError::internal("an unguarded ledger debit was refused"))?;
            let net = store::net_allocations_of(conn, &payment.id)?;
            undo_allocations(
                conn,
                net.iter()
                    .map(|(invoice_id, amount)| (payment.id.as_str(), invoice_id.as_str(), *amount)),
            )?;
            if !store::set_unmatched(conn, &payment.id)? {
                return Err(ApiError::conflict(
                    "concurrent_update",
                    "the payment changed meanwhile; retry",
                ));
            }
            record(
                conn,
                &actor,
                Change {
                    action: "payment.unmatched",
                    entity_type: "payment",
                    entity_id: &payment.id,
                    client_id: Some(&client_id),
                    details: json!({"client": client_id, "reason": reason,
                        "bills": net.iter().map(|(i, a)| json!({"invoice": i, "amount": Money::from_minor(*a)})).collect::<Vec<_>>()}),
                },
            )?;
            let payment = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("payment"))?;
            load_view(conn, payment)
        })
    })
    .await
}

fn client_by_inn(conn: &mut DbConn, inn: &str) -> Result<Option<String>, ApiError> {
    Ok(store::clients_by_inn(conn, &[inn])?
        .into_iter()
        .next()
        .map(|(_, id)| id))
}

/// `POST /payments`: stores, matches, credits and allocates in one transaction.
pub async fn create(
    state: &AppState,
    actor: Principal,
    input: CreatePayment,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    require_staff(&actor)?;
    validate(&input, &state.settings.business.seller_inn)?;
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        let arrival = Arrival {
            bank_reference: input.bank_reference.trim().to_string(),
            source: "api",
            import_id: None,
            amount_minor: input.amount.minor(),
            value_date: input.value_date,
            payer_inn: input.payer_inn.trim().to_string(),
            payer_kpp: input.payer_kpp.map(|k| k.trim().to_string()),
            payer_name: input.payer_name.trim().to_string(),
            purpose: input.purpose.trim().to_string(),
            document_number: input.document_number.map(|n| n.trim().to_string()),
            document_date: input.document_date,
        };
        let client = client_by_inn(conn, &arrival.payer_inn)?;
        let reference = arrival.bank_reference.clone();
        match receive(conn, &actor, arrival, client)? {
            Some(payment) => load_view(conn, payment),
            None => {
                let known = store::find_by_reference(conn, &reference)?;
                Err(ApiError::conflict(
                    "payment_duplicate",
                    format!(
                        "a payment with this bank reference exists already: {}",
                        known.map(|p| p.id).unwrap_or_default()
                    ),
                ))
            }
        }
    })
    .await
}

/// Staff match an unmatched payment to a client, with a reason (audited).
pub async fn match_payment(
    state: &AppState,
    actor: Principal,
    id: String,
    input: MatchPayment,
) -> Result<PaymentView, ApiError> {
    require_staff(&actor)?;
    let mut c = Check::new();
    c.text("client_id", &input.client_id, 1, 64);
    c.text("reason", &input.reason, 1, 500);
    c.finish()?;
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let mut payment =
                store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("payment"))?;
            if payment.status != PaymentStatus::Unmatched.as_str() {
                return Err(ApiError::conflict(
                    "payment_already_matched",
                    "this payment has been matched to a client already",
                ));
            }
            let client_id = input.client_id.trim();
            if crate::clients::store::find(conn, client_id)?.is_none() {
                return Err(ApiError::field(
                    "client_id",
                    "unknown_client",
                    "must be the id of a client company",
                ));
            }
            credit(
                conn,
                &actor,
                &mut payment,
                client_id,
                "staff",
                Some(input.reason.trim()),
            )?;
            load_view(conn, payment)
        })
    })
    .await
}

pub async fn get(state: &AppState, actor: Principal, id: String) -> Result<PaymentView, ApiError> {
    db::run(&state.pool, move |c| {
        let p = visible(c, &actor, &id)?;
        load_view(c, p)
    })
    .await
}

pub async fn list(
    state: &AppState,
    actor: Principal,
    q: PaymentQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<PaymentView>, ApiError> {
    let mut c = Check::new();
    c.opt_text("client_id", q.client_id.as_deref(), 0, 64);
    c.finish()?;
    let filter = PaymentFilter {
        status: q.status.map(|s| s.as_str().to_string()),
        client_id: if actor.is_staff() {
            q.client_id
        } else {
            Some(actor.client_id.clone().unwrap_or_default())
        },
        value_from: q.value_from,
        value_to: q.value_to,
        after,
        limit,
    };
    db::run(&state.pool, move |c| {
        let rows = store::list(c, &filter)?;
        let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
        let allocations = store::allocations_of(c, &ids)?;
        Ok(Page::from_rows(
            rows,
            limit,
            |p| p.id.clone(),
            |p| view(p, &allocations),
        ))
    })
    .await
}

/// Problems of a statement file, each with its line: 422 `invalid_statement`.
fn invalid_statement(errors: Vec<FieldError>) -> ApiError {
    ApiError::Rejected {
        code: "invalid_statement",
        detail: format!(
            "the file is not an acceptable bank statement: {}; nothing was imported",
            errors
                .first()
                .map(|e| format!("{}: {}", e.field, e.message))
                .unwrap_or_default()
        ),
        errors,
    }
}

/// `POST /payments/imports`: a bank statement (1CClientBankExchange or the CSV format), all
/// or nothing. Payments already known by their bank reference are skipped, outgoing documents
/// ignored; a document addressed to another recipient, or with a malformed payer INN, rejects
/// the file.
pub async fn import(
    state: &AppState,
    actor: Principal,
    file: actix_web::web::Bytes,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    require_staff(&actor)?;
    let our_inn = state.settings.business.seller_inn.clone();
    let parsed = actix_web::web::block(move || {
        let sha = hex::encode(Sha256::digest(&file));
        statement::parse(&file).map(|s| (s, sha))
    })
    .await
    .map_err(ApiError::internal)?;
    let (parsed, sha) = parsed.map_err(|e| {
        invalid_statement(vec![FieldError::new(
            format!("line {}", e.line),
            "invalid_statement",
            e.message,
        )])
    })?;
    let mut errors = Vec::new();
    let mut incoming = Vec::new();
    let mut ignored = Vec::new();
    for doc in parsed.documents {
        match statement::classify(&doc, &our_inn) {
            Direction::Outgoing => ignored.push(doc.line),
            Direction::Foreign => errors.push(FieldError::new(
                format!("line {}", doc.line),
                "not_our_inn",
                format!(
                    "document {} is addressed to INN {}, not to ours ({our_inn})",
                    doc.number, doc.recipient_inn
                ),
            )),
            Direction::Incoming => {
                if let Some((_, message)) = inn_error(&doc.payer_inn) {
                    errors.push(FieldError::new(
                        format!("line {}", doc.line),
                        "invalid_payer_inn",
                        format!("document {}: payer INN {}", doc.number, message),
                    ));
                } else {
                    incoming.push(doc);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(invalid_statement(errors));
    }
    let format = match parsed.format {
        statement::Format::OneC => "1c",
        statement::Format::Csv => "csv",
    };
    let documents = (incoming.len() + ignored.len()) as i32;
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        let import_id = db::new_id();
        let refs: Vec<&str> = incoming.iter().map(|d| d.bank_reference.as_str()).collect();
        let known: std::collections::HashSet<String> =
            store::known_references(conn, &refs)?.into_iter().collect();
        let mut inns: Vec<&str> = incoming.iter().map(|d| d.payer_inn.as_str()).collect();
        inns.sort_unstable();
        inns.dedup();
        let clients: std::collections::HashMap<String, String> =
            store::clients_by_inn(conn, &inns)?.into_iter().collect();
        // The import row first: the payments reference it.
        let mut row = ImportRow {
            id: import_id.clone(),
            format: format.to_string(),
            file_sha256: sha,
            documents,
            imported: 0,
            duplicates: 0,
            ignored: ignored.len() as i32,
            matched: 0,
            unmatched: 0,
            total_minor: 0,
            actor_kind: actor.kind.as_str().to_string(),
            actor_id: actor.id.clone(),
            created_at: db::now(),
        };
        store::insert_import(conn, &row)?;
        let mut lines: Vec<ImportLine> = ignored
            .iter()
            .map(|&line| ImportLine {
                line,
                outcome: "ignored".into(),
                payment_id: None,
                status: None,
                client_id: None,
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let now = db::now();
        let mut fresh = Vec::new();
        for doc in incoming {
            if known.contains(&doc.bank_reference) || !seen.insert(doc.bank_reference.clone()) {
                row.duplicates += 1;
                lines.push(ImportLine {
                    line: doc.line,
                    outcome: "duplicate".into(),
                    payment_id: None,
                    status: None,
                    client_id: None,
                });
                continue;
            }
            let client = clients.get(&doc.payer_inn).map(String::as_str);
            let payment = payment_row(
                Arrival {
                    bank_reference: doc.bank_reference,
                    source: "import",
                    import_id: Some(import_id.clone()),
                    amount_minor: to_minor(doc.amount)?,
                    value_date: doc.value_date,
                    payer_inn: doc.payer_inn,
                    payer_kpp: doc.payer_kpp,
                    payer_name: doc.payer_name,
                    purpose: doc.purpose,
                    document_number: Some(doc.number),
                    document_date: Some(doc.date),
                },
                client,
                now,
            );
            row.imported += 1;
            row.total_minor += payment.amount_minor;
            if client.is_some() {
                row.matched += 1;
            } else {
                row.unmatched += 1;
            }
            lines.push(ImportLine {
                line: doc.line,
                outcome: "imported".into(),
                status: PaymentStatus::parse(&payment.status),
                payment_id: Some(payment.id.clone()),
                client_id: payment.client_id.clone(),
            });
            fresh.push(payment);
        }
        let released_orders = receive_all(conn, &actor, &fresh)?;
        lines.sort_by_key(|l| l.line);
        store::update_import_counts(conn, &row)?;
        let report = ImportReport {
            import_id: import_id.clone(),
            format: row.format.clone(),
            documents: row.documents,
            imported: row.imported,
            duplicates: row.duplicates,
            ignored: row.ignored,
            matched: row.matched,
            unmatched: row.unmatched,
            total: Money::from_minor(row.total_minor),
            released_orders,
            lines,
        };
        record(
            conn,
            &actor,
            Change {
                action: "payment_import.created",
                entity_type: "payment_import",
                entity_id: &import_id,
                client_id: None,
                details: json!({
                    "format": report.format, "sha256": row.file_sha256,
                    "documents": report.documents, "imported": report.imported,
                    "duplicates": report.duplicates, "ignored": report.ignored,
                    "matched": report.matched, "unmatched": report.unmatched,
                    "total": report.total,
                }),
            },
        )?;
        Ok(report)
    })
    .await
}

/// A parsed statement amount (positive, two decimals) in kopecks.
fn to_minor(amount: rust_decimal::Decimal) -> Result<i64, ApiError> {
    Money::parse(&amount.to_string())
        .map(|m| m.minor())
        .map_err(|e| ApiError::internal(format!("statement amount {amount} {e}")))
}
