use super::model::*;
use super::store::{self, AttentionFilter, AttentionRow};
use crate::audit::{model::Change, service::record_all};
use crate::auth::model::Principal;
use crate::bargaining::model::MarginPolicy;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::idempotency::service::{self as idempotency, Created, IdemRequest};
use crate::money::Money;
use crate::state::AppState;
use crate::validate::Check;
use crate::web::Page;
use serde_json::json;

fn view(r: AttentionRow, staff: bool) -> AttentionView {
    AttentionView {
        kind: if r.kind == "large_order" {
            AttentionKind::LargeOrder
        } else {
            AttentionKind::ClientRequest
        },
        status: AttentionStatus::parse(&r.status),
        resolution_note: r.resolution_note.filter(|_| staff),
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
        resolved_at: r.resolved_at.map(|t| t.and_utc()),
        id: r.id,
        client_id: r.client_id,
        topic: r.topic,
        message: r.message,
        order_id: r.order_id,
        phone: r.phone,
        email: r.email,
        callback: r.callback,
        manager_id: r.manager_id,
        assignee_id: r.assignee_id,
    }
}

/// The audit entity of a request: `attention_request`, or `attention_flag` for a large-order
/// flag (the retailer's internal note: staff-only, see `audit::model::STAFF_ONLY_ENTITIES`).
fn change<'a>(action: &'a str, r: &'a AttentionRow, details: serde_json::Value) -> Change<'a> {
    Change {
        action,
        entity_type: if r.kind == AttentionKind::LargeOrder.as_str() {
            "attention_flag"
        } else {
            "attention_request"
        },
        entity_id: &r.id,
        client_id: Some(&r.client_id),
        details,
    }
}

/// The request if the principal may see it, else 404. Large-order flags are the retailer's
/// internal notes (they name its thresholds): staff only.
fn visible(conn: &mut DbConn, actor: &Principal, id: &str) -> Result<AttentionRow, ApiError> {
    store::find(conn, id)?
        .filter(|r| actor.can_see_client(&r.client_id))
        .filter(|r| actor.is_staff() || r.kind != AttentionKind::LargeOrder.as_str())
        .ok_or_else(|| ApiError::not_found("attention request"))
}

/// A client user asks for a person: into the queue of the company's manager.
pub async fn create(
    state: &AppState,
    actor: Principal,
    input: CreateAttentionRequest,
    idem: Option<IdemRequest>,
) -> Result<Created, ApiError> {
    let Some(client_id) = actor.client_id.clone() else {
        return Err(ApiError::forbidden(
            "attention requests are made by client users; staff work the queue",
        ));
    };
    check_request(&input)?;
    idempotency::run_once(&state.pool, &state.in_flight, idem, 201, move |conn| {
        let manager_id = crate::clients::store::manager_of(conn, &client_id)?
            .ok_or_else(|| ApiError::not_found("client"))?;
        let order_id = input.order_id.as_deref().map(str::trim);
        if let Some(order) = order_id {
            let of_client =
                crate::orders::store::find(conn, order)?.is_some_and(|o| o.client_id == client_id);
            if !of_client {
                return Err(ApiError::not_found("order"));
            }
        }
        let now = db::now();
        let row = AttentionRow {
            id: db::new_id(),
            client_id,
            kind: AttentionKind::ClientRequest.as_str().into(),
            topic: input.topic.trim().to_string(),
            message: input.message.as_deref().map(|s| s.trim().to_string()),
            order_id: order_id.map(str::to_string),
            phone: input.phone.as_deref().map(|s| s.trim().to_string()),
            email: input.email.as_deref().map(|s| s.trim().to_string()),
            callback: input.callback,
            status: AttentionStatus::Open.as_str().into(),
            manager_id,
            assignee_id: None,
            resolution_note: None,
            created_by_kind: actor.kind.as_str().into(),
            created_by_id: actor.id.clone(),
            created_at: now,
            updated_at: now,
            resolved_at: None,
        };
        store::insert(conn, &row)?;
        record_all(
            conn,
            &actor,
            &[change(
                "attention.requested",
                &row,
                json!({"topic": row.topic, "order_id": row.order_id, "callback": row.callback,
                       "manager_id": row.manager_id}),
            )],
        )?;
        Ok(view(row, false))
    })
    .await
}

/// Inside order placement, after the order row is written: flags an order above the margin
/// policy's attention thresholds into the responsible manager's queue. The order itself goes
/// on untouched. The average is taken over the client's earlier orders, and only when the
/// policy has a relative threshold (an absolute one needs no query).
pub fn flag_large_order(
    conn: &mut DbConn,
    actor: &Principal,
    policy: &MarginPolicy,
    client_id: &str,
    manager_id: Option<&str>,
    order_id: &str,
    total_minor: i64,
) -> Result<bool, ApiError> {
    let rule = &policy.attention;
    if rule.order_total_above.is_none() && rule.average_multiple_bp.is_none() {
        return Ok(false);
    }
    let average = match rule.average_multiple_bp {
        Some(_) => {
            let (count, avg) = store::order_average(conn, client_id, order_id)?;
            Some((count, avg))
        }
        None => None,
    };
    let Some(why) = policy.flags_order(total_minor, average) else {
        return Ok(false);
    };
    let now = db::now();
    let row = AttentionRow {
        id: db::new_id(),
        client_id: client_id.to_string(),
        kind: AttentionKind::LargeOrder.as_str().into(),
        topic: why,
        message: None,
        order_id: Some(order_id.to_string()),
        phone: None,
        email: None,
        callback: false,
        status: AttentionStatus::Open.as_str().into(),
        manager_id: manager_id.map(str::to_string),
        assignee_id: None,
        resolution_note: None,
        created_by_kind: "system".into(),
        created_by_id: None,
        created_at: now,
        updated_at: now,
        resolved_at: None,
    };
    store::insert(conn, &row)?;
    record_all(
        conn,
        &Principal {
            request_id: actor.request_id.clone(),
            ..Principal::system()
        },
        &[change(
            "attention.flagged",
            &row,
            json!({"order_id": order_id, "total": Money::from_minor(total_minor),
                   "topic": row.topic, "manager_id": row.manager_id,
                   "placed_by": actor.id}),
        )],
    )?;
    Ok(true)
}

pub async fn get(pool: &Pool, actor: Principal, id: String) -> Result<AttentionView, ApiError> {
    db::run(pool, move |conn| {
        let staff = actor.is_staff();
        Ok(view(visible(conn, &actor, &id)?, staff))
    })
    .await
}

pub async fn list(
    pool: &Pool,
    actor: Principal,
    q: AttentionQuery,
    after: Option<String>,
    limit: i64,
) -> Result<Page<AttentionView>, ApiError> {
    let staff = actor.is_staff();
    let client_id = if staff {
        q.client_id
    } else {
        match (&actor.client_id, q.client_id) {
            (Some(own), None) => Some(own.clone()),
            (Some(own), Some(given)) if *own == given => Some(given),
            _ => return Err(ApiError::not_found("client")),
        }
    };
    let filter = AttentionFilter {
        client_id,
        status: q.status.map(AttentionStatus::as_str),
        kind: if staff {
            q.kind.map(AttentionKind::as_str)
        } else if q.kind == Some(AttentionKind::LargeOrder) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        } else {
            Some(AttentionKind::ClientRequest.as_str())
        },
        manager_id: q.manager_id.filter(|_| staff),
        assignee_id: q.assignee_id.filter(|_| staff),
        created_from: q.created_from.map(|t| t.naive_utc()),
        created_to: q.created_to.map(|t| t.naive_utc()),
        after,
        limit,
    };
    db::run(pool, move |conn| {
        let rows = store::list(conn, &filter)?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.clone(),
            |r| view(r, staff),
        ))
    })
    .await
}

fn staff_only(actor: &Principal) -> Result<(), ApiError> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the attention queue is worked by staff",
        ))
    }
}

/// Assign to the caller or another active staff member (reassigning is allowed until it is
/// resolved).
pub async fn assign(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: AssignAttention,
) -> Result<AttentionView, ApiError> {
    let mut c = Check::new();
    c.opt_text("assignee_id", input.assignee_id.as_deref(), 1, 64);
    c.opt_text("reason", input.reason.as_deref(), 1, 2000);
    c.finish()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let r = visible(conn, &actor, &id)?;
            staff_only(&actor)?;
            let assignee = match input.assignee_id.as_deref().map(str::trim) {
                Some(a) => {
                    let staff = crate::users::store::find_user(conn, a)?
                        .is_some_and(|u| u.active && u.client_id.is_none());
                    if !staff {
                        return Err(ApiError::field(
                            "assignee_id",
                            "unknown_staff_user",
                            "no active staff user has this id",
                        ));
                    }
                    a.to_string()
                }
                None => actor.id.clone().ok_or_else(|| {
                    ApiError::field("assignee_id", "required", "name the staff user")
                })?,
            };
            let now = db::now();
            if !store::assign(conn, &id, &assignee, now)? {
                return Err(ApiError::conflict(
                    "attention_resolved",
                    "this request is resolved already",
                ));
            }
            let reason = input.reason.as_deref().map(str::trim);
            record_all(
                conn,
                &actor,
                &[change(
                    "attention.assigned",
                    &r,
                    json!({"assignee_id": assignee, "previous_assignee_id": r.assignee_id,
                           "reason": reason}),
                )],
            )?;
            let r = visible(conn, &actor, &id)?;
            Ok(view(r, true))
        })
    })
    .await
}

/// Resolve with a note (staff only); an open request counts as handled by the resolver.
pub async fn resolve(
    pool: &Pool,
    actor: Principal,
    id: String,
    input: ResolveAttention,
) -> Result<AttentionView, ApiError> {
    let mut c = Check::new();
    c.text("resolution_note", &input.resolution_note, 1, 4000);
    c.finish()?;
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            let r = visible(conn, &actor, &id)?;
            staff_only(&actor)?;
            let now = db::now();
            let note = input.resolution_note.trim();
            if !store::resolve(conn, &id, actor.id.as_deref(), note, now)? {
                return Err(ApiError::conflict(
                    "attention_resolved",
                    "this request is resolved already",
                ));
            }
            let resolved = visible(conn, &actor, &id)?;
            record_all(
                conn,
                &actor,
                &[change(
                    "attention.resolved",
                    &r,
                    json!({"resolution_note": note, "assignee_id": resolved.assignee_id}),
                )],
            )?;
            Ok(view(resolved, true))
        })
    })
    .await
}
