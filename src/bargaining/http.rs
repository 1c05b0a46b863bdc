use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::Json;
use actix_web::{get, put, web, HttpResponse};

/// The margin policy in force (staff): floors, the auto-accept rule and the attention
/// thresholds. Version 0 is the defaults, before the director set any.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "get_margin_policy",
    responses(
        (status = 200, description = "The version in force", body = MarginPolicyView),
        (status = 403, description = "Not staff (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/policies/margins")]
pub async fn get_margin_policy(
    state: web::Data<AppState>,
    who: Principal,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get_policy(&state.pool, who).await?))
}

/// Set the margin policy (director): the whole policy, a new version in force from now. Offers
/// are judged by the version in force when they arrive and are decided; orders on an offer by
/// the one in force when they are placed. Audited with the policy.
#[utoipa::path(
    tag = "bargaining",
    operation_id = "put_margin_policy",
    request_body = MarginPolicy,
    responses(
        (status = 200, description = "The new version", body = MarginPolicyView),
        (status = 403, description = "Not the director (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another change came first (`concurrent_update`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule out of range or an unknown product (`validation_failed`), listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/policies/margins")]
pub async fn put_margin_policy(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<MarginPolicy>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::put_policy(&state.pool, who, body.0).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_margin_policy).service(put_margin_policy);
}
