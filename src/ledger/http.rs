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
    Ok(HttpResponse::Ok().json(service::account(&state, who, path.into_inner()).await?))
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

/// The reconciliation statement (акт сверки) of a period: opening balance, every ledger entry
/// as debit (the client's debt grows) or credit, the period's turnovers and the closing
/// balance, with the client's answers to this period's statement.
#[utoipa::path(
    tag = "ledger",
    operation_id = "get_statement",
    params(("client_id" = String, Path, description = "Client company id"), StatementQuery),
    responses(
        (status = 200, description = "The statement", body = StatementView),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/statements")]
pub async fn get_statement(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    let view = service::statement(&state.pool, who, path.into_inner(), q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The reconciliation statement of a period as a printable HTML document ("Акт сверки
/// взаимных расчётов"), self-contained, ready to print or save as PDF.
#[utoipa::path(
    tag = "ledger",
    operation_id = "get_statement_document",
    params(("client_id" = String, Path, description = "Client company id"), StatementQuery),
    responses(
        (status = 200, description = "The statement as an HTML page (UTF-8)", body = String, content_type = "text/html"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/statements/document")]
pub async fn get_statement_document(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    let html =
        service::statement_document_html(&state, who, path.into_inner(), q.into_inner()).await?;
    Ok(crate::documents::html_response(html))
}

/// The company confirms the statement of a period (its admin or accountant).
#[utoipa::path(
    tag = "ledger",
    operation_id = "confirm_statement",
    params(("client_id" = String, Path, description = "Client company id")),
    request_body = AnswerStatement,
    responses(
        (status = 201, description = "The answer, with the closing balance confirmed", body = StatementResponseView),
        (status = 403, description = "Not the company's admin or accountant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{client_id}/statements/confirm")]
pub async fn confirm_statement(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<AnswerStatement>,
) -> Result<HttpResponse, ApiError> {
    let r = service::answer(
        &state.pool,
        who,
        path.into_inner(),
        StatementAnswer::Confirmed,
        body.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(r))
}

/// The company disputes the statement of a period, saying what does not match (its admin or
/// accountant); staff see disputes at `GET /statement-responses?status=disputed`.
#[utoipa::path(
    tag = "ledger",
    operation_id = "dispute_statement",
    params(("client_id" = String, Path, description = "Client company id")),
    request_body = AnswerStatement,
    responses(
        (status = 201, description = "The dispute", body = StatementResponseView),
        (status = 403, description = "Not the company's admin or accountant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{client_id}/statements/dispute")]
pub async fn dispute_statement(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<AnswerStatement>,
) -> Result<HttpResponse, ApiError> {
    let r = service::answer(
        &state.pool,
        who,
        path.into_inner(),
        StatementAnswer::Disputed,
        body.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(r))
}

/// Staff: clients' answers to statements, oldest first (`status=disputed`: the disputes).
#[utoipa::path(
    tag = "ledger",
    operation_id = "list_statement_responses",
    params(StatementResponseQuery, PageParams),
    responses(
        (status = 200, description = "A page of answers", body = Page<StatementResponseView>),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/statement-responses")]
pub async fn list_statement_responses(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<StatementResponseQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_responses(
        &state.pool,
        who,
        q.into_inner(),
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_account)
        .service(list_ledger_entries)
        .service(create_adjustment)
        .service(get_statement)
        .service(get_statement_document)
        .service(confirm_statement)
        .service(dispute_statement)
        .service(list_statement_responses);
}
