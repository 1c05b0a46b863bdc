use super::model::Principal;
use super::service::{self, Me, TokenRequest, TokenResponse};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::web::Json;
use actix_web::{get, post, web, HttpResponse};

/// Exchange credentials for an access token: `password` grant for people (e-mail + password),
/// `client_credentials` grant for ERP systems (API key id + secret).
#[utoipa::path(
    tag = "auth",
    operation_id = "create_token",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 401, description = "Wrong credentials, disabled account or revoked key", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = service::issue_token(&state, body.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}

/// Who the bearer of this token is.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses((status = 200, description = "The authenticated principal", body = Me)),
    security(("bearer" = []))
)]
#[get("/auth/me")]
pub async fn get_me(state: web::Data<AppState>, who: Principal) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(service::me(&state, who).await?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_token).service(get_me);
}
