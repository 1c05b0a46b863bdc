use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::idempotency::service as idempotency;
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{get, post, web, HttpRequest, HttpResponse};

/// A client's account: balance, credit, amounts awaiting payment and overdue, tier and turnover.
#[utoipa::path(
    tag = "ledger",
    operation_id = "get_account",
    params(("client_id" = String, Path, description = "Client company id")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/account")]
pub async fn get_account(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let window = state.settings.business.turnover_window_days;
    Ok(HttpResponse::Ok()
        .json(service::account(&state.pool, who, path.into_inner(), window).await?))
}

/// A client's ledger entries with the running balance, oldest first.
#[utoipa::path(
    tag = "ledger",
    operation_id = "list_ledger_entries",
    params(("client_id" = String, Path, description = "Client company id"), PageParams),
    responses(
        (status = 200, description = "A page of entries", body = Page<LedgerEntryView>),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/ledger")]
pub async fn list_ledger_entries(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list(
        &state.pool,
        who,
        path.into_inner(),
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Post a manual adjustment (director or accountant) with a mandatory reason.
#[utoipa::path(
    tag = "ledger",
    operation_id = "create_adjustment",
    params(
        ("client_id" = String, Path, description = "Client company id"),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,255}$", max_length = 255, description = "Makes retries safe; required for API keys"),
    ),
    request_body = CreateAdjustment,
    responses(
        (status = 201, description = "The new entry", body = LedgerEntryView),
        (status = 403, description = "Not a director or accountant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{client_id}/ledger/adjustments")]
pub async fn create_adjustment(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<CreateAdjustment>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let idem = idempotency::from_request(
        &req,
        &who,
        &format!("create_adjustment:{client_id}"),
        &body.0,
    )?;
    Ok(service::adjust(&state, who, client_id, body.0, idem)
        .await?
        .response())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_account)
        .service(list_ledger_entries)
        .service(create_adjustment);
}
