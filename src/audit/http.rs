use super::model::{ActivityEntry, ActivityQuery, AuditEntry, AuditQuery};
use super::service;
use super::store::AuditFilter;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Page, PageParams};
use actix_web::{get, web, HttpResponse};

fn filter(q: AuditQuery, page: &PageParams) -> Result<AuditFilter, ApiError> {
    let mut c = crate::validate::Check::new();
    for (field, value) in [
        ("entity_type", &q.entity_type),
        ("entity_id", &q.entity_id),
        ("action", &q.action),
        ("actor_id", &q.actor_id),
        ("client_id", &q.client_id),
    ] {
        c.opt_text(field, value.as_deref(), 0, 64);
    }
    if let Some(k) = q.actor_kind.as_deref() {
        if !["user", "api_key", "system"].contains(&k) {
            c.add("actor_kind", "invalid", "one of user, api_key, system");
        }
    }
    if let (Some(from), Some(to)) = (q.occurred_from, q.occurred_to) {
        if to < from {
            c.add(
                "occurred_to",
                "out_of_range",
                "must not be before occurred_from",
            );
        }
    }
    c.finish()?;
    Ok(AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        action: q.action,
        actor_id: q.actor_id,
        actor_kind: q.actor_kind,
        client_id: q.client_id,
        with_reason: q.with_reason.unwrap_or(false),
        occurred_from: q.occurred_from.map(|t| t.naive_utc()),
        occurred_to: q.occurred_to.map(|t| t.naive_utc()),
        except_actions: &[],
        except_entities: &[],
        after: page.after()?,
        limit: page.limit()?,
    })
}

/// The audit trail (staff: admin, director, accountant, manager), oldest first: every state
/// change with who made it, the company it concerns, the reason given for a manual action and
/// the details. Filters combine.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_entries",
    params(AuditQuery, PageParams),
    responses(
        (status = 200, description = "A page of audit records", body = Page<AuditEntry>),
        (status = 403, description = "Not an admin, director, accountant or manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit_entries(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<AuditQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let f = filter(q.into_inner(), &page)?;
    Ok(HttpResponse::Ok().json(service::list(&state.pool, &who, f).await?))
}

/// A company's activity, oldest first: everything done on its account (orders, offers,
/// payments, holds, its users' actions…) by whom and why. Its own users see it, any role; staff
/// too. The retailer's internals (costs, margins, floors, overrides, internal notes) are left
/// out. Another company's id answers 404.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_client_activity",
    params(("client_id" = String, Path, description = "Client company id"), ActivityQuery, PageParams),
    responses(
        (status = 200, description = "A page of the company's activity", body = Page<ActivityEntry>),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/activity")]
pub async fn list_client_activity(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<ActivityQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let f = filter(
        AuditQuery {
            entity_type: q.entity_type,
            entity_id: None,
            action: q.action,
            actor_id: None,
            actor_kind: None,
            client_id: None,
            with_reason: None,
            occurred_from: q.occurred_from,
            occurred_to: q.occurred_to,
        },
        &page,
    )?;
    let page = service::activity(&state.pool, who, path.into_inner(), f).await?;
    Ok(HttpResponse::Ok().json(page))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit_entries)
        .service(list_client_activity);
}
