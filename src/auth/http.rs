use super::model::Principal;
use super::service::{self, Me, TokenRequest, TokenResponse};

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::validate::Check;
use crate::web::{parse_json, RawBody};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    Password,
    ClientCredentials,
}

/// The same request as an OAuth 2.0 form (RFC 6749 §4.3, §4.4). For `client_credentials` the
/// key id and secret may instead come as HTTP Basic credentials (`client_secret_basic`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenForm {
    pub grant_type: GrantType,
    #[schema(max_length = 254)]
    pub username: Option<String>,
    #[schema(max_length = 128)]
    pub password: Option<String>,
    #[schema(max_length = 64)]
    pub client_id: Option<String>,
    #[schema(max_length = 128)]
    pub client_secret: Option<String>,
    /// Accepted and ignored: a token carries the principal's role.
    #[schema(max_length = 200)]
    pub scope: Option<String>,
}

impl TokenForm {
    fn into_request(self, basic: Option<(String, String)>) -> Result<TokenRequest, ApiError> {
        let mut c = Check::new();
        let mut need = |field: &str, v: Option<String>| {
            if v.is_none() {
                c.add(field, "required", "is required for this grant type");
            }
            v.unwrap_or_default()
        };
        let request = match self.grant_type {
            GrantType::Password => TokenRequest::Password {
                username: need("username", self.username),
                password: need("password", self.password),
            },
            GrantType::ClientCredentials => {
                let (id, secret) = match (self.client_id, self.client_secret, basic) {
                    (None, None, Some((id, secret))) => (Some(id), Some(secret)),
                    (id, secret, _) => (id, secret),
                };
                TokenRequest::ClientCredentials {
                    client_id: need("client_id", id),
                    client_secret: need("client_secret", secret),
                }
            }
        };
        c.finish()?;
        Ok(request)
    }
}

/// `Authorization: Basic base64(id:secret)`, if present and well-formed.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (id, secret) = String::from_utf8(decoded)
        .ok()?
        .split_once(':')
        .map(|(a, b)| (a.to_string(), b.to_string()))?;
    Some((id, secret))
}

/// Exchange credentials for an access token: `password` grant for people (e-mail + password),
/// `client_credentials` grant for ERP systems (API key id + secret). JSON, or an OAuth 2.0 form
/// (`application/x-www-form-urlencoded`, key credentials optionally as HTTP Basic).
#[utoipa::path(
    tag = "auth",
    operation_id = "create_token",
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 401, description = "Wrong credentials, disabled account or revoked key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many token requests from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let request = if body.media_type == "application/x-www-form-urlencoded" {
        let form: TokenForm = serde_urlencoded::from_bytes(&body.bytes)
            .map_err(|e| ApiError::field("body", "invalid_value", e.to_string()))?;
        form.into_request(basic_credentials(&req))?
    } else if body.is_json() {
        parse_json::<TokenRequest>(&body.bytes)?
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "the request body must be application/json or application/x-www-form-urlencoded".into(),
        ));
    };
    let token = service::issue_token(&state, request).await?;
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

pub fn routes(
    cfg: &mut utoipa_actix_web::service_config::ServiceConfig,
    limiter: super::limit::LoginLimiter,
) {
    cfg.service(
        utoipa_actix_web::scope("/auth/token")
            .wrap(actix_governor::Governor::new(&limiter))
            .service(create_token),
    )
    .service(get_me);
}
