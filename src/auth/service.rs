use super::cache::Subject;
use super::model::{Principal, PrincipalKind, Role};
use super::password;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::model::normalize_email;
use crate::users::store as users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Token request: `grant_type` `password` (people) or `client_credentials` (ERP API keys).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenRequest {
    /// E-mail and password of a person.
    Password {
        #[schema(max_length = 254, example = "admin@diaspar.local")]
        username: String,
        #[schema(max_length = 128)]
        password: String,
    },
    /// API key id and secret of an ERP system.
    ClientCredentials {
        #[schema(max_length = 64)]
        client_id: String,
        #[schema(max_length = 128)]
        client_secret: String,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    pub role: Role,
    pub client_id: Option<String>,
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "the credentials are not valid")
}

pub async fn issue_token(state: &AppState, req: TokenRequest) -> Result<TokenResponse, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let (kind, subject, role, client_id) = match req {
        TokenRequest::Password { username, password } => {
            if username.len() > 254 || password.len() > 128 {
                return Err(bad_credentials());
            }
            let email = normalize_email(&username);
            let user = db::run(&state.pool, move |c| {
                Ok(users::find_user_by_email(c, &email)?)
            })
            .await?;
            let hash = user.as_ref().map(|u| u.password_hash.clone());
            let ok =
                password::off_thread(move || password::verify_password(&password, hash.as_deref()))
                    .await?;
            let user = user.filter(|_| ok).ok_or_else(bad_credentials)?;
            if !user.active {
                return Err(ApiError::unauthorized(
                    "account_disabled",
                    "this account is disabled",
                ));
            }
            let role = Role::parse(&user.role)
                .ok_or_else(|| ApiError::internal("unknown role in database"))?;
            (PrincipalKind::User, user.id, role, user.client_id)
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            if client_id.len() > 64 || client_secret.len() > 128 {
                return Err(bad_credentials());
            }
            let hash = password::hash_api_secret(&client_secret);
            let key = db::run(&state.pool, move |c| {
                let key = users::find_api_key(c, &client_id)?;
                match key {
                    Some(k) if k.secret_hash == hash && k.revoked_at.is_none() => {
                        users::touch_api_key(c, &k.id, db::now())?;
                        Ok(Some(k))
                    }
                    Some(k) if k.secret_hash == hash => Err(ApiError::unauthorized(
                        "api_key_revoked",
                        "this API key has been revoked",
                    )),
                    _ => Ok(None),
                }
            })
            .await?
            .ok_or_else(bad_credentials)?;
            let role = Role::parse(&key.role)
                .ok_or_else(|| ApiError::internal("unknown role in database"))?;
            (PrincipalKind::ApiKey, key.id, role, Some(key.client_id))
        }
    };
    let token = state
        .tokens
        .issue(kind, &subject, role, client_id.clone(), now)?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl_secs,
        role,
        client_id,
    })
}

/// Verifies the token and that its subject still may act: a disabled user or a revoked key
/// loses access at once, and the role and company come from the database, not the token.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    request_id: Option<String>,
) -> Result<Principal, ApiError> {
    let claims = state.tokens.verify(token)?;
    let kind = claims.knd;
    let subject = match state.subjects.get(&(kind, claims.sub.clone())) {
        Some(cached) => cached,
        None => {
            let generation = state.subjects.generation();
            let sub = claims.sub.clone();
            let found = db::run(&state.pool, move |c| {
                Ok(match kind {
                    PrincipalKind::User => users::find_user(c, &sub)?.map(|u| Subject {
                        active: u.active,
                        role: u.role,
                        client_id: u.client_id,
                        inactive_code: "account_disabled",
                    }),
                    PrincipalKind::ApiKey => users::find_api_key(c, &sub)?.map(|k| Subject {
                        active: k.revoked_at.is_none(),
                        role: k.role,
                        client_id: Some(k.client_id),
                        inactive_code: "api_key_revoked",
                    }),
                    PrincipalKind::System => None,
                })
            })
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("invalid_token", "the token subject no longer exists")
            })?;
            state
                .subjects
                .put((kind, claims.sub.clone()), generation, found.clone());
            found
        }
    };
    if !subject.active {
        return Err(ApiError::unauthorized(
            subject.inactive_code,
            "access has been revoked",
        ));
    }
    let mut principal = claims.principal(request_id);
    principal.role =
        Role::parse(&subject.role).ok_or_else(|| ApiError::internal("unknown role in database"))?;
    principal.client_id = subject.client_id;
    Ok(principal)
}

/// What `GET /auth/me` returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub kind: PrincipalKind,
    /// User id or API key id.
    pub id: String,
    pub role: Role,
    pub client_id: Option<String>,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

pub async fn me(state: &AppState, who: Principal) -> Result<Me, ApiError> {
    let id = who.id.clone().unwrap_or_default();
    let user = if who.kind == PrincipalKind::User {
        let id = id.clone();
        db::run(&state.pool, move |c| Ok(users::find_user(c, &id)?)).await?
    } else {
        None
    };
    Ok(Me {
        kind: who.kind,
        id,
        role: who.role,
        client_id: who.client_id,
        email: user.as_ref().map(|u| u.email.clone()),
        full_name: user.map(|u| u.full_name),
    })
}
