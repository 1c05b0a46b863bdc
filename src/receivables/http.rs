use super::model::*;
use super::service::{self, ClientOverrides, ClientOverridesView};
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::Json;
use actix_web::{get, put, web, HttpResponse};

/// The receivables policy in force (staff): version 0 is the defaults, before the director set
/// any.
#[utoipa::path(
    tag = "receivables",
    operation_id = "get_receivables_policy",
    responses(
        (status = 200, description = "The version in force", body = PolicyVersionView),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/policies/receivables")]
pub async fn get_receivables_policy(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<HttpResponse, ApiError> {
    let v = service::get_policy(&state.pool, state.settings.business.clone(), who).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Set the receivables policy (director): the whole policy, a new version in force from now;
/// jobs use the version in force at their `now`. Audited with the policy.
#[utoipa::path(
    tag = "receivables",
    operation_id = "put_receivables_policy",
    request_body = ReceivablesPolicy,
    responses(
        (status = 200, description = "The new version", body = PolicyVersionView),
        (status = 403, description = "Not the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another change came first (`concurrent_update`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule out of range (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/policies/receivables")]
pub async fn put_receivables_policy(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<ReceivablesPolicy>,
) -> Result<HttpResponse, ApiError> {
    let v = service::put_policy(&state.pool, state.settings.business.clone(), who, body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A client's exceptions to the receivables policy (staff). Payment terms are the client's own
/// `payment_terms_days` (`PATCH /clients/{id}`).
#[utoipa::path(
    tag = "receivables",
    operation_id = "get_receivables_overrides",
    params(("client_id" = String, Path, description = "Client id")),
    responses(
        (status = 200, description = "The exceptions", body = ClientOverridesView),
        (status = 404, description = "No such client (or a client token)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/receivables-overrides")]
pub async fn get_receivables_overrides(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get_overrides(&state.pool, who, path.into_inner()).await?))
}

/// Set a client's exceptions (director): exempt from penalties, no automatic credit hold.
/// Audited.
#[utoipa::path(
    tag = "receivables",
    operation_id = "put_receivables_overrides",
    params(("client_id" = String, Path, description = "Client id")),
    request_body = ClientOverrides,
    responses(
        (status = 200, description = "The exceptions", body = ClientOverridesView),
        (status = 403, description = "Staff, not the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client (or a client token)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/clients/{client_id}/receivables-overrides")]
pub async fn put_receivables_overrides(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<ClientOverrides>,
) -> Result<HttpResponse, ApiError> {
    let v = service::put_overrides(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_receivables_policy)
        .service(put_receivables_policy)
        .service(get_receivables_overrides)
        .service(put_receivables_overrides);
}
