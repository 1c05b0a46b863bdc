use super::model::*;
use super::store::{self, LineRow, OrderFilter, OrderRow};
use crate::audit::model::Change;
use crate::audit::service::{record, record_all};
use crate::auth::model::{Principal, Role};
use crate::catalog::service::catalog_changed;
use crate::clients;
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::invoices;
use crate::ledger::model::{EntryKind, Floor};
use crate::ledger::service::{self as ledger, Posting};
use crate::money::Money;
use crate::pricing;
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;

/// Who may place and cancel orders.
const ORDERING: &[Role] = &[
    Role::ClientAdmin,
    Role::ClientBuyer,
    Role::Manager,
    Role::Director,
    Role::Admin,
];
/// Who hands goods out.
const WAREHOUSE: &[Role] = &[Role::Logistician, Role::Manager, Role::Admin];

fn line_view(l: &LineRow) -> OrderLineView {
    OrderLineView {
        line_no: l.line_no,
        product_id: l.product_id.clone(),
        sku: l.sku.clone(),
        name: l.name.clone(),
        unit: l.unit.clone(),
        quantity: l.quantity,
        list_price: Money::from_minor(l.list_price_minor),
        discount_bp: l.discount_bp,
        unit_price: Money::from_minor(l.unit_price_minor),
        vat_rate_bp: l.vat_rate_bp,
        total: Money::from_minor(l.total_minor),
        vat: Money::from_minor(l.vat_minor),
        offer_id: l.offer_id.clone(),
    }
}

fn view(
    o: OrderRow,
    lines: &[LineRow],
    invoice: Option<&invoices::store::InvoiceRow>,
) -> OrderView {
    let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled);
    OrderView {
        lines: lines
            .iter()
            .filter(|l| l.order_id == o.id)
            .map(line_view)
            .collect(),
        invoice: invoice.map(|i| OrderInvoice {
            id: i.id.clone(),
            number: i.number.clone(),
            status: invoices::model::InvoiceStatus::parse(&i.status)
                .unwrap_or(invoices::model::InvoiceStatus::Void),
            due_date: i.due_date,
        }),
        fulfilment: if o.fulfilment == "delivery" {
            Fulfilment::Delivery
        } else {
            Fulfilment::Pickup
        },
        total: Money::from_minor(o.total_minor),
        vat: Money::from_minor(o.vat_minor),
        reserved_until: o
            .reserved_until
            .filter(|_| status == OrderStatus::AwaitingPayment)
            .map(|t| t.and_utc()),
        pickup_code: o.pickup_code.filter(|_| status == OrderStatus::Released),
        created_at: o.created_at.and_utc(),
        updated_at: o.updated_at.and_utc(),
        released_at: o.released_at.map(|t| t.and_utc()),
        closed_at: o.closed_at.map(|t| t.and_utc()),
        status,
        id: o.id,
        client_id: o.client_id,
        delivery_address: o.delivery_address,
        client_reference: o.client_reference,
        comment: o.comment,
        discount_bp: o.discount_bp,
        tier_id: o.tier_id,
    }
}

fn load_view(conn: &mut DbConn, order: OrderRow) -> Result<OrderView, ApiError> {
    let lines = store::lines_of(conn, std::slice::from_ref(&order.id))?;
    let invoice = invoices::store::find_by_order(conn, &order.id)?;
    Ok(view(order, &lines, invoice.as_ref()))
}

/// The order if the principal may see it, else 404.
fn visible_order(conn: &mut DbConn, actor: &Principal, id: &str) -> Result<OrderRow, ApiError> {
    store::find(conn, id)?
        .filter(|o| actor.can_see_client(&o.client_id))
        .ok_or_else(|| ApiError::not_found("order"))
}

fn validate(input: &CreateOrder) -> Result<(), ApiError> {
    let mut c = Check::new();
    c.opt_text(
        "delivery_address",
        input.delivery_address.as_deref(),
        1,
        500,
    );
    c.opt_text(
        "client_reference",
        input.client_reference.as_deref(),
        1,
        100,
    );
    c.opt_text("comment", input.comment.as_deref(), 1, 1000);
    c.opt_text("offer_id", input.offer_id.as_deref(), 1, 64);
    c.finish()
}

/// Books the priced lines' stock, all or nothing: 409 `insufficient_stock` naming each short
/// line (by its index in the request) with what is free. Rows are locked in product-id order
/// (priced lines are sorted), so transactions cannot deadlock.
fn book_stock(
    conn: &mut DbConn,
    input: &CreateOrder,
    priced: &pricing::model::PricedOrder,
) -> Result<(), ApiError> {
    // Lines are sorted by product; an offer splits a product into two lines.
    let mut wants: Vec<(&str, i64)> = Vec::with_capacity(priced.lines.len());
    for l in &priced.lines {
        match wants.last_mut() {
            Some((id, q)) if *id == l.product_id => *q += l.quantity,
            _ => wants.push((l.product_id.as_str(), l.quantity)),
        }
    }
    let mut short = Vec::new();
    for (product_id, available) in store::reserve_all(conn, &wants)? {
        if let Some(line) = priced.lines.iter().find(|l| l.product_id == product_id) {
            let index = input
                .lines
                .iter()
                .position(|l| {
                    l.product_id.as_deref().map(str::trim) == Some(line.product_id.as_str())
                        || l.sku.as_deref().map(str::trim) == Some(line.sku.as_str())
                })
                .unwrap_or(0);
            short.push(FieldError::new(
                format!("lines[{index}]"),
                "insufficient_stock",
                format!(
                    "{}: requested {}, available {}",
                    line.sku,
                    wants
                        .iter()
                        .find(|w| w.0 == product_id)
                        .map_or(line.quantity, |w| w.1),
                    available
                ),
            ));
        }
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InsufficientStock(short))
    }
}

/// Places an order: validate, merge and price the lines, book stock in product-id order with
/// guarded updates, decide the release against balance and credit, issue the bill last.
pub async fn create(
    state: &AppState,
    actor: Principal,
    input: CreateOrder,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    if !actor.has_any(ORDERING) {
        return Err(ApiError::forbidden(
            "orders are placed by client admins, buyers and sales staff",
        ));
    }
    validate(&input)?;
    let policy = state.policy.clone();
    let margins = state.margins.clone();
    let settings = state.settings.clone();
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        let terms = crate::receivables::service::current_policy(conn, &policy, &settings.business)?;
        let ttl = chrono::Duration::hours(terms.policy.reservation_ttl_hours as i64);
        let margins = crate::bargaining::service::current_policy(conn, &margins)?;
        place(conn, &actor, &input, ttl, &margins.policy)
    })
    .await
    .inspect(|_| catalog_changed())
}

fn place(
    conn: &mut DbConn,
    actor: &Principal,
    input: &CreateOrder,
    ttl: chrono::Duration,
    margins: &crate::bargaining::model::MarginPolicy,
) -> Result<OrderView, ApiError> {
    let client_id = match (&actor.client_id, &input.client_id) {
        (Some(own), None) => own.clone(),
        (Some(own), Some(given)) if own == given => own.clone(),
        (Some(_), Some(_)) => return Err(ApiError::not_found("client")),
        (None, Some(given)) => given.clone(),
        (None, None) => {
            return Err(ApiError::field(
                "client_id",
                "required",
                "staff must name the client company",
            ))
        }
    };
    let (client, discount_bp) = pricing::store::client_with_discount(conn, &client_id)?
        .ok_or_else(|| ApiError::not_found("client"))?;
    let status = clients::model::ClientStatus::parse(&client.status);
    if status == Some(clients::model::ClientStatus::Blocked) {
        return Err(ApiError::Forbidden {
            code: "client_blocked",
            detail: "this company is blocked; contact your manager".into(),
        });
    }
    let delivery_address = match input.fulfilment {
        Fulfilment::Pickup => None,
        Fulfilment::Delivery => Some(
            input
                .delivery_address
                .clone()
                .or(client.delivery_address.clone())
                .ok_or_else(|| {
                    ApiError::field(
                        "delivery_address",
                        "required",
                        "is required for delivery (the company has none on file)",
                    )
                })?,
        ),
    };
    let tier = (client.tier_id.clone(), discount_bp.unwrap_or(0));
    let priced = pricing::service::price_lines_at(conn, &client_id, tier, &input.lines)?;
    let now = db::now();
    let priced = match &input.offer_id {
        Some(offer_id) => {
            crate::bargaining::service::apply_offer(conn, &client_id, offer_id.trim(), priced, now)?
        }
        None => priced,
    };

    let order_id = db::new_id();
    let invoice_id = db::new_id();
    let floor = if status == Some(clients::model::ClientStatus::Active) {
        Floor::CreditLimit
    } else {
        Floor::Zero
    };
    let released = priced.total_minor == 0
        || ledger::post(
            conn,
            actor,
            Posting {
                client_id: &client_id,
                kind: EntryKind::Release,
                amount: -priced.total_minor,
                floor,
                order_id: Some(&order_id),
                invoice_id: Some(&invoice_id),
                payment_id: None,
                reason: None,
            },
        )?
        .is_some();
    let order = OrderRow {
        id: order_id.clone(),
        client_id: client_id.clone(),
        status: if released {
            OrderStatus::Released
        } else {
            OrderStatus::AwaitingPayment
        }
        .as_str()
        .to_string(),
        fulfilment: input.fulfilment.as_str().to_string(),
        delivery_address,
        client_reference: input
            .client_reference
            .as_ref()
            .map(|s| s.trim().to_string()),
        comment: input.comment.as_ref().map(|s| s.trim().to_string()),
        total_minor: priced.total_minor,
        vat_minor: priced.vat_minor,
        discount_bp: priced.discount_bp,
        tier_id: priced.tier_id.clone(),
        reserved_until: (!released).then_some(now + ttl),
        pickup_code: (released && input.fulfilment == Fulfilment::Pickup).then(pickup_code),
        placed_by_kind: actor.kind.as_str().to_string(),
        placed_by_id: actor.id.clone(),
        created_at: now,
        updated_at: now,
        released_at: released.then_some(now),
        closed_at: None,
    };
    store::insert_order(conn, &order)?;
    let lines: Vec<LineRow> = priced
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineRow {
            order_id: order_id.clone(),
            line_no: i as i32 + 1,
            product_id: l.product_id.clone(),
            sku: l.sku.clone(),
            name: l.name.clone(),
            unit: l.unit.clone(),
            quantity: l.quantity,
            list_price_minor: l.list_price_minor,
            discount_bp: l.discount_bp,
            unit_price_minor: l.unit_price_minor,
            vat_rate_bp: l.vat_rate_bp,
            total_minor: l.total_minor,
            vat_minor: l.vat_minor,
            offer_id: l.offer_id.clone(),
        })
        .collect();
    store::insert_lines(conn, &lines)?;
    crate::attention::service::flag_large_order(
        conn,
        actor,
        margins,
        &client_id,
        client.manager_id.as_deref(),
        &order_id,
        order.total_minor,
    )?;
    let details = json!({
        "status": order.status, "total": Money::from_minor(order.total_minor), "lines": lines.len(),
        "client_reference": order.client_reference, "offer_id": input.offer_id,
    });
    let actions = if released {
        &["order.placed", "order.released"][..]
    } else {
        &["order.placed"][..]
    };
    let changes: Vec<Change<'_>> = actions
        .iter()
        .map(|action| Change {
            action,
            entity_type: "order",
            entity_id: &order_id,
            client_id: Some(&client_id),
            details: details.clone(),
        })
        .collect();
    record_all(conn, actor, &changes)?;
    let due_date = if released {
        now.date() + chrono::Duration::days(client.payment_terms_days as i64)
    } else {
        (now + ttl).date()
    };
    // Lock order: the client row (ledger) first, then stock rows, then the bill counter, each
    // as late as it can be taken, so the hot rows are held for the fewest statements.
    book_stock(conn, input, &priced)?;
    // Last: the bill number (the yearly counter row stays locked only until commit).
    let invoice = invoices::service::issue(
        conn,
        invoices::service::NewInvoice {
            id: invoice_id,
            client_id: &client_id,
            order_id: &order_id,
            total_minor: order.total_minor,
            vat_minor: order.vat_minor,
            issued_at: now,
            due_date,
            released,
        },
    )?;
    // A client with an advance has its new bill paid from it at once (after the bill exists;
    // only such clients pay these statements).
    let invoice = if released && client.balance_minor > 0 && order.total_minor > 0 {
        crate::payments::service::settle(conn, actor, &client_id)?;
        invoices::store::find(conn, &invoice.id)?.unwrap_or(invoice)
    } else {
        invoice
    };
    Ok(view(order, &lines, Some(&invoice)))
}

/// Inside the caller's transaction, after it credited the client (so it holds the client row
/// and the balance cannot move under it): releases the client's orders awaiting payment that
/// balance and credit now cover, oldest first; an order that does not fit waits, and a later,
/// smaller one may still go. A client on hold gets only what its advance covers, a blocked one
/// nothing. Returns the released order ids.
pub fn release_waiting(
    conn: &mut DbConn,
    actor: &Principal,
    client_id: &str,
) -> Result<Vec<String>, ApiError> {
    release_waiting_all(conn, actor, &[client_id], db::now())
}

/// `release_waiting` for many clients (ids sorted, their rows held by the caller's
/// transaction) in a fixed number of statements: the clients and their waiting orders read
/// at once, the fit decided on the held balances, then the orders, release entries, due dates
/// and audit rows written in bulk. `now` dates the release and the bills' due dates (a job
/// passes its injected time).
pub fn release_waiting_all(
    conn: &mut DbConn,
    actor: &Principal,
    client_ids: &[&str],
    now: chrono::NaiveDateTime,
) -> Result<Vec<String>, ApiError> {
    let waiting = store::waiting_of_all(conn, client_ids)?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let mut with_orders: Vec<&str> = waiting.iter().map(|o| o.client_id.as_str()).collect();
    with_orders.dedup();
    let clients: std::collections::HashMap<String, clients::store::ClientRow> =
        clients::store::find_many(conn, &with_orders)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    // The decision per client, on its held balance: oldest first, each that fits goes.
    let mut balances: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut chosen: Vec<(&OrderRow, Option<String>)> = Vec::new();
    for order in &waiting {
        let Some(client) = clients.get(&order.client_id) else {
            continue;
        };
        let lowest = match clients::model::ClientStatus::parse(&client.status) {
            Some(clients::model::ClientStatus::Active) => -client.credit_limit_minor,
            Some(clients::model::ClientStatus::OnHold) => 0,
            _ => continue,
        };
        let balance = balances
            .entry(client.id.as_str())
            .or_insert(client.balance_minor);
        if *balance - order.total_minor < lowest {
            continue;
        }
        *balance -= order.total_minor;
        let code = (order.fulfilment == Fulfilment::Pickup.as_str()).then(pickup_code);
        chosen.push((order, code));
    }
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(&str, Option<&str>)> = chosen
        .iter()
        .map(|(o, code)| (o.id.as_str(), code.as_deref()))
        .collect();
    // An order cancelled or expired meanwhile is skipped; that only leaves more balance.
    let released: std::collections::HashSet<String> =
        store::release_all(conn, &pairs, now)?.into_iter().collect();
    let chosen: Vec<&OrderRow> = chosen
        .into_iter()
        .map(|(o, _)| o)
        .filter(|o| released.contains(&o.id))
        .collect();
    let ids: Vec<String> = chosen.iter().map(|o| o.id.clone()).collect();
    let invoices: std::collections::HashMap<String, invoices::store::InvoiceRow> =
        invoices::store::find_by_orders(conn, &ids)?
            .into_iter()
            .map(|i| (i.order_id.clone(), i))
            .collect();
    // The floors were checked above on the held balances: the entries post unguarded.
    let postings: Vec<Posting<'_>> = chosen
        .iter()
        .filter(|o| o.total_minor > 0)
        .map(|o| Posting {
            client_id: &o.client_id,
            kind: EntryKind::Release,
            amount: -o.total_minor,
            floor: Floor::None,
            order_id: Some(&o.id),
            invoice_id: invoices.get(&o.id).map(|i| i.id.as_str()),
            payment_id: None,
            reason: None,
        })
        .collect();
    ledger::post_all(conn, actor, &postings)?;
    let dues: Vec<(&str, chrono::NaiveDate)> = chosen
        .iter()
        .filter_map(|o| {
            let inv = invoices.get(&o.id)?;
            let terms = clients.get(&o.client_id)?.payment_terms_days;
            Some((
                inv.id.as_str(),
                now.date() + chrono::Duration::days(terms as i64),
            ))
        })
        .collect();
    invoices::store::mark_released(conn, &dues)?;
    let changes: Vec<Change<'_>> = chosen
        .iter()
        .map(|o| Change {
            action: "order.released",
            entity_type: "order",
            entity_id: &o.id,
            client_id: Some(&o.client_id),
            details: json!({"from": o.status, "total": Money::from_minor(o.total_minor),
                "on": "payment"}),
        })
        .collect();
    record_all(conn, actor, &changes)?;
    Ok(ids)
}

/// Expires up to `limit` orders whose reservation ran out at `now`, in the caller's write
/// transaction: `awaiting_payment` → `expired`, their stock freed (rows locked in product-id
/// order), their bills voided, an `order.expired` audit row and event each (the client's
/// notice). An order a payment released or a client cancelled meanwhile is left alone. Returns
/// (orders looked at, orders expired).
pub fn expire_due(
    conn: &mut DbConn,
    actor: &Principal,
    now: chrono::NaiveDateTime,
    limit: i64,
) -> Result<(usize, Vec<String>), ApiError> {
    let due = store::due_for_expiry(conn, now, limit)?;
    if due.is_empty() {
        return Ok((0, Vec::new()));
    }
    let ids: Vec<String> = due.iter().map(|d| d.0.clone()).collect();
    let expired = store::expire_all(conn, &ids, now)?;
    if expired.is_empty() {
        return Ok((due.len(), expired));
    }
    // Offer lines before stock rows, as order placement takes them.
    crate::bargaining::service::give_back(conn, &expired)?;
    let lines = store::lines_of(conn, &expired)?;
    let mut per_product: std::collections::BTreeMap<&str, i64> = Default::default();
    for l in &lines {
        *per_product.entry(l.product_id.as_str()).or_default() += l.quantity;
    }
    let frees: Vec<(&str, i64)> = per_product.into_iter().collect();
    if store::unreserve_all(conn, &frees)? != frees.len() {
        return Err(ApiError::internal(
            "a reservation of an expiring order is missing",
        ));
    }
    invoices::store::void_by_orders(conn, &expired, now)?;
    let clients: std::collections::HashMap<&str, &str> = due
        .iter()
        .map(|(id, client)| (id.as_str(), client.as_str()))
        .collect();
    let changes: Vec<Change<'_>> = expired
        .iter()
        .map(|id| Change {
            action: "order.expired",
            entity_type: "order",
            entity_id: id,
            client_id: clients.get(id.as_str()).copied(),
            details: json!({"from": "awaiting_payment", "at": now.and_utc()}),
        })
        .collect();
    record_all(conn, actor, &changes)?;
    Ok((due.len(), expired))
}

pub async fn get(state: &AppState, actor: Principal, id: String) -> Result<OrderView, ApiError> {
    db::run(&state.pool, move |c| {
        let order = visible_order(c, &actor, &id)?;
        load_view(c, order)
    })
    .await
}

pub async fn list(
    state: &AppState,
    actor: Principal,
    q: OrderQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<OrderView>, ApiError> {
    let mut c = Check::new();
    c.opt_text("client_id", q.client_id.as_deref(), 0, 64);
    c.opt_text("client_reference", q.client_reference.as_deref(), 0, 100);
    c.finish()?;
    let filter = OrderFilter {
        client_id: if actor.is_staff() {
            q.client_id
        } else {
            Some(actor.client_id.clone().unwrap_or_default())
        },
        status: q.status.map(|s| s.as_str().to_string()),
        client_reference: q.client_reference,
        created_from: q.created_from.map(|t| t.naive_utc()),
        created_to: q.created_to.map(|t| t.naive_utc()),
        after,
        limit,
    };
    db::run(&state.pool, move |c| {
        let rows = store::list(c, &filter)?;
        let ids: Vec<String> = rows.iter().map(|o| o.id.clone()).collect();
        let lines = store::lines_of(c, &ids)?;
        let invoices = invoices::store::find_by_orders(c, &ids)?;
        Ok(Page::from_rows(
            rows,
            limit,
            |o| o.id.clone(),
            |o| {
                let inv = invoices.iter().find(|i| i.order_id == o.id);
                view(o, &lines, inv)
            },
        ))
    })
    .await
}

fn invalid_transition(order: &OrderRow, action: Action) -> ApiError {
    ApiError::conflict(
        "invalid_transition",
        format!("cannot {action:?} an order that is {}", order.status).to_lowercase(),
    )
}

/// Cancel (client or staff): frees the stock, reverses a release by a new ledger entry, voids
/// the bill.
pub async fn cancel(state: &AppState, actor: Principal, id: String) -> Result<OrderView, ApiError> {
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let order = visible_order(conn, &actor, &id)?;
            if !actor.has_any(ORDERING) {
                return Err(ApiError::forbidden(
                    "orders are cancelled by client admins, buyers and sales staff",
                ));
            }
            let now = db::now();
            if !store::transition(
                conn,
                &id,
                Action::Cancel.from_statuses(),
                "cancelled",
                now,
                true,
            )? {
                return Err(invalid_transition(&order, Action::Cancel));
            }
            // Lock order of placement: offer lines, the client row, stock rows, the counter.
            crate::bargaining::service::give_back(conn, std::slice::from_ref(&id))?;
            let invoice = invoices::store::find_by_order(conn, &id)?;
            if order.status == OrderStatus::Released.as_str() && order.total_minor > 0 {
                ledger::post(
                    conn,
                    &actor,
                    Posting {
                        client_id: &order.client_id,
                        kind: EntryKind::ReleaseReversal,
                        amount: order.total_minor,
                        floor: Floor::None,
                        order_id: Some(&id),
                        invoice_id: invoice.as_ref().map(|i| i.id.as_str()),
                        payment_id: None,
                        reason: Some("order cancelled"),
                    },
                )?;
            }
            // Client row before stock rows, the lock order of order placement.
            let lines = store::lines_of(conn, std::slice::from_ref(&id))?;
            let mut by_product: Vec<&LineRow> = lines.iter().collect();
            by_product.sort_by(|a, b| a.product_id.cmp(&b.product_id));
            for l in by_product {
                if !store::unreserve(conn, &l.product_id, l.quantity)? {
                    return Err(ApiError::internal(format!(
                        "reservation of {} on order {id} is missing",
                        l.product_id
                    )));
                }
            }
            if let Some(inv) = &invoice {
                // What payments had paid on it goes back to them, the bill is void, and the
                // money goes on to the client's other open bills.
                crate::payments::service::void_bill(conn, &actor, &order.client_id, &inv.id, now)?;
            }
            record(
                conn,
                &actor,
                Change {
                    action: "order.cancelled",
                    entity_type: "order",
                    entity_id: &id,
                    client_id: Some(&order.client_id),
                    details: json!({"from": order.status}),
                },
            )?;
            let order = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("order"))?;
            load_view(conn, order)
        })
    })
    .await
    .inspect(|_| catalog_changed())
}

/// Pickup by code, shipment, completion (warehouse staff).
pub async fn advance(
    state: &AppState,
    actor: Principal,
    id: String,
    action: Action,
    code: Option<String>,
) -> Result<OrderView, ApiError> {
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let order = visible_order(conn, &actor, &id)?;
            if !actor.has_any(WAREHOUSE) {
                return Err(ApiError::forbidden(
                    "goods are handed out by warehouse staff",
                ));
            }
            let wrong_mode = match action {
                Action::PickUp => order.fulfilment != "pickup",
                Action::Ship => order.fulfilment != "delivery",
                _ => false,
            };
            if wrong_mode {
                return Err(ApiError::conflict(
                    "invalid_transition",
                    format!("a {} order cannot be handed out this way", order.fulfilment),
                ));
            }
            if action == Action::PickUp
                && order.status == "released"
                && order.pickup_code.as_deref() != code.as_deref().map(str::trim)
            {
                return Err(ApiError::field(
                    "pickup_code",
                    "invalid_pickup_code",
                    "the pickup code does not match",
                ));
            }
            let (to, closes) = match action {
                Action::PickUp => ("picked_up", false),
                Action::Ship => ("shipped", false),
                Action::Complete => ("completed", true),
                Action::Cancel => unreachable!("cancel has its own path"),
            };
            let now = db::now();
            if !store::transition(conn, &id, action.from_statuses(), to, now, closes)? {
                return Err(invalid_transition(&order, action));
            }
            if matches!(action, Action::PickUp | Action::Ship) {
                let mut lines = store::lines_of(conn, std::slice::from_ref(&id))?;
                lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
                for l in &lines {
                    let on_hand =
                        store::issue(conn, &l.product_id, l.quantity)?.ok_or_else(|| {
                            ApiError::internal(format!(
                                "stock of {} cannot cover order {id}",
                                l.product_id
                            ))
                        })?;
                    store::insert_issue_movement(
                        conn,
                        &db::new_id(),
                        &l.product_id,
                        l.quantity,
                        on_hand,
                        &id,
                        actor.kind.as_str(),
                        actor.id.as_deref(),
                        now,
                    )?;
                }
            }
            record(
                conn,
                &actor,
                Change {
                    action: match action {
                        Action::PickUp => "order.picked_up",
                        Action::Ship => "order.shipped",
                        _ => "order.completed",
                    },
                    entity_type: "order",
                    entity_id: &id,
                    client_id: Some(&order.client_id),
                    details: json!({"from": order.status, "to": to}),
                },
            )?;
            let order = store::find(conn, &id)?.ok_or_else(|| ApiError::not_found("order"))?;
            load_view(conn, order)
        })
    })
    .await
    .inspect(|_| catalog_changed())
}
