use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Search in name and INN (case-insensitive substring).
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub status: Option<ClientStatus>,
}

/// List client companies. Staff see all; a client principal sees only its own company.
#[utoipa::path(
    tag = "clients",
    operation_id = "list_clients",
    params(ClientQuery, PageParams),
    responses((status = 200, description = "A page of companies", body = Page<ClientView>)),
    security(("bearer" = []))
)]
#[get("/clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    who: Principal,
    q: web::Query<ClientQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = service::list(
        &state.pool,
        who,
        q.q,
        q.status,
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a client company (admin, director, manager).
#[utoipa::path(
    tag = "clients",
    operation_id = "create_client",
    request_body = CreateClient,
    responses(
        (status = 201, description = "The new company", body = ClientView),
        (status = 403, description = "Role may not create companies", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A company with this INN exists (`inn_taken`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let client = service::create(&state.pool, who, body.0).await?;
    Ok(HttpResponse::Created().json(client))
}

/// Get a client company.
#[utoipa::path(
    tag = "clients",
    operation_id = "get_client",
    params(("client_id" = String, Path, description = "Client company id")),
    responses(
        (status = 200, description = "The company", body = ClientView),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client = service::get(&state.pool, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(client))
}

/// Update a client company. Credit limit, payment terms, status and manager are staff-only.
#[utoipa::path(
    tag = "clients",
    operation_id = "update_client",
    params(("client_id" = String, Path, description = "Client company id")),
    request_body = UpdateClient,
    responses(
        (status = 200, description = "The updated company", body = ClientView),
        (status = 403, description = "Role may not edit companies", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/clients/{client_id}")]
pub async fn update_client(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<UpdateClient>,
) -> Result<HttpResponse, ApiError> {
    let client = service::update(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(client))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client);
}
