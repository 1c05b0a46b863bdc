use super::model::AuditEntry;
use super::service;
use super::store::AuditFilter;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Page, PageParams};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `client`, `product`, `user`, `api_key`.
    #[param(max_length = 64)]
    pub entity_type: Option<String>,
    #[param(max_length = 64)]
    pub entity_id: Option<String>,
    /// e.g. `client.created`.
    #[param(max_length = 64)]
    pub action: Option<String>,
}

/// List audit records, oldest first.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_entries",
    params(AuditQuery, PageParams),
    responses(
        (status = 200, description = "A page of audit records", body = Page<AuditEntry>),
        (status = 403, description = "Not an admin, director or accountant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit-log")]
pub async fn list_audit_entries(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<AuditQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut c = crate::validate::Check::new();
    c.opt_text("entity_type", q.entity_type.as_deref(), 0, 64);
    c.opt_text("entity_id", q.entity_id.as_deref(), 0, 64);
    c.opt_text("action", q.action.as_deref(), 0, 64);
    c.finish()?;
    let filter = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        action: q.action,
        after: page.after()?,
        limit: page.limit()?,
    };
    Ok(HttpResponse::Ok().json(service::list(&state.pool, &who, filter).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit_entries);
}
