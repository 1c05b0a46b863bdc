use super::model::*;
use super::service;
use crate::auth::model::Principal;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::{Json, Page, PageParams};
use actix_web::{delete, get, patch, post, web, HttpResponse};

/// List staff users (admin).
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(PageParams),
    responses(
        (status = 200, description = "A page of staff users", body = Page<UserView>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    who: Principal,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_staff_users(&state.pool, &who, page.after()?, page.limit()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a staff user (admin).
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The new staff user", body = UserView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail taken (`email_taken`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = service::create_staff_user(&state.pool, who, body.0).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Get a staff user (admin).
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The staff user", body = UserView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users/{user_id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = service::get_staff_user(&state.pool, &who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Update a staff user: name, role, active flag, password (admin).
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    params(("user_id" = String, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The updated staff user", body = UserView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{user_id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = service::update_staff_user(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// List a company's users (staff or the company's client_admin).
#[utoipa::path(
    tag = "users",
    operation_id = "list_client_users",
    params(("client_id" = String, Path, description = "Client company id"), PageParams),
    responses(
        (status = 200, description = "A page of the company's users", body = Page<UserView>),
        (status = 403, description = "Role may not manage users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/users")]
pub async fn list_client_users(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_client_users(
        &state.pool,
        who,
        path.into_inner(),
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a user of a company (staff or the company's client_admin).
#[utoipa::path(
    tag = "users",
    operation_id = "create_client_user",
    params(("client_id" = String, Path, description = "Client company id")),
    request_body = CreateUser,
    responses(
        (status = 201, description = "The new user", body = UserView),
        (status = 403, description = "Role may not manage users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail taken (`email_taken`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{client_id}/users")]
pub async fn create_client_user(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = service::create_client_user(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Update a company's user (staff or the company's client_admin).
#[utoipa::path(
    tag = "users",
    operation_id = "update_client_user",
    params(
        ("client_id" = String, Path, description = "Client company id"),
        ("user_id" = String, Path, description = "User id"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The updated user", body = UserView),
        (status = 403, description = "Role may not manage users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/clients/{client_id}/users/{user_id}")]
pub async fn update_client_user(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, user_id) = path.into_inner();
    let user = service::update_client_user(&state.pool, who, client_id, user_id, body.0).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// List a company's API keys (staff or the company's client_admin). Secrets are never listed.
#[utoipa::path(
    tag = "users",
    operation_id = "list_api_keys",
    params(("client_id" = String, Path, description = "Client company id"), PageParams),
    responses(
        (status = 200, description = "A page of API keys", body = Page<ApiKeyView>),
        (status = 403, description = "Role may not manage keys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/clients/{client_id}/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service::list_api_keys(
        &state.pool,
        who,
        path.into_inner(),
        page.after()?,
        page.limit()?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create an API key for an ERP system; the secret is shown only in this response.
#[utoipa::path(
    tag = "users",
    operation_id = "create_api_key",
    params(("client_id" = String, Path, description = "Client company id")),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "The key with its secret (shown once)", body = CreatedApiKey),
        (status = 403, description = "Role may not manage keys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or not yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/clients/{client_id}/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let key = service::create_api_key(&state.pool, who, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(key))
}

/// Revoke an API key: its tokens stop working at once. Revoking twice is harmless.
#[utoipa::path(
    tag = "users",
    operation_id = "revoke_api_key",
    params(
        ("client_id" = String, Path, description = "Client company id"),
        ("key_id" = String, Path, description = "API key id"),
    ),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyView),
        (status = 403, description = "Role may not manage keys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/clients/{client_id}/api-keys/{key_id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, key_id) = path.into_inner();
    let key = service::revoke_api_key(&state.pool, who, client_id, key_id).await?;
    Ok(HttpResponse::Ok().json(key))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(list_client_users)
        .service(create_client_user)
        .service(update_client_user)
        .service(list_api_keys)
        .service(create_api_key)
        .service(revoke_api_key);
}
