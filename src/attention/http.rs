use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{get, post, web, HttpRequest, HttpResponse};

/// Ask for a person (any client user): a topic, optionally an order of the company, a phone or
/// e-mail, and "call me back". It goes to the queue of the company's responsible manager.
/// Send an `Idempotency-Key` to make retries safe (required for API keys).
#[utoipa::path(
    tag = "attention",
    operation_id = "create_attention_request",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe; required for API keys. 1 to 255 visible ASCII characters")),
    request_body = CreateAttentionRequest,
    responses(
        (status = 201, description = "The request, open; `Idempotent-Replayed: true` on a replay", body = AttentionView),
        (status = 403, description = "Not a client user (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The order is not the company's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is in use (`idempotency_key_in_use`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad fields (`validation_failed`): a topic of 1 to 200 characters, a plausible phone (required for a call back) and e-mail", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/attention-requests")]
pub async fn create_attention_request(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<CreateAttentionRequest>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency::from_request(&req, &who, "create_attention_request", &body.0)?;
    Ok(service::create(&state, who, body.0, idem).await?.response())
}

/// List attention requests, oldest first. Staff see the whole queue (one manager's with
/// `manager_id`, open ones with `status=open`, flagged orders with `kind=large_order`) with the
/// resolution notes; a client sees its own company's requests, without the notes (flagged
/// orders are internal).
#[utoipa::path(
    tag = "attention",
    operation_id = "list_attention_requests",
    params(AttentionQuery, PageParams),
    responses(
        (status = 200, description = "A page of requests", body = Page<AttentionView>),
        (status = 404, description = "A client naming another company", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/attention-requests")]
pub async fn list_attention_requests(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<AttentionQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut c = crate::validate::Check::new();
    c.opt_text("client_id", q.client_id.as_deref(), 1, 64);
    c.opt_text("manager_id", q.manager_id.as_deref(), 1, 64);
    c.opt_text("assignee_id", q.assignee_id.as_deref(), 1, 64);
    c.finish()?;
    let page = service::list(&state.pool, who, q, page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Get an attention request (another company's answers 404).
#[utoipa::path(
    tag = "attention",
    operation_id = "get_attention_request",
    params(("request_id" = String, Path, description = "Attention request id")),
    responses(
        (status = 200, description = "The request", body = AttentionView),
        (status = 404, description = "No such request (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/attention-requests/{request_id}")]
pub async fn get_attention_request(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::get(&state.pool, who, path.into_inner()).await?))
}

/// Assign a request to yourself (`{}`) or to another active staff user (staff). Audited.
#[utoipa::path(
    tag = "attention",
    operation_id = "assign_attention_request",
    params(("request_id" = String, Path, description = "Attention request id")),
    request_body = AssignAttention,
    responses(
        (status = 200, description = "The assigned request", body = AttentionView),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already (`attention_resolved`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an active staff user (`unknown_staff_user`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/attention-requests/{request_id}/assign")]
pub async fn assign_attention_request(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<AssignAttention>,
) -> Result<HttpResponse, ApiError> {
    let v = service::assign(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Resolve a request with a note of what was done (staff). Audited.
#[utoipa::path(
    tag = "attention",
    operation_id = "resolve_attention_request",
    params(("request_id" = String, Path, description = "Attention request id")),
    request_body = ResolveAttention,
    responses(
        (status = 200, description = "The resolved request", body = AttentionView),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already (`attention_resolved`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/attention-requests/{request_id}/resolve")]
pub async fn resolve_attention_request(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<ResolveAttention>,
) -> Result<HttpResponse, ApiError> {
    let v = service::resolve(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(v))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_attention_request)
        .service(list_attention_requests)
        .service(get_attention_request)
        .service(assign_attention_request)
        .service(resolve_attention_request);
}
