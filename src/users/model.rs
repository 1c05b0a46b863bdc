use crate::auth::model::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    /// The company of a client user; absent for staff.
    pub client_id: Option<String>,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login e-mail, unique across all users.
    #[schema(max_length = 254, example = "buyer@example.com")]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    /// Staff roles on `/users`, client roles on `/clients/{id}/users`.
    pub role: Role,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    pub role: Option<Role>,
    /// `false` disables the login at once (existing tokens stop working).
    pub active: Option<bool>,
    #[schema(min_length = 10, max_length = 128)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Public key id: the `client_id` of the client-credentials grant.
    pub id: String,
    pub client_id: String,
    pub name: String,
    /// Role the key's tokens carry.
    pub role: Role,
    /// First characters of the secret, to recognise it.
    pub secret_prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A label, e.g. "1C:ERP production".
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A client role; default `client_buyer`.
    pub role: Option<Role>,
}

/// Returned once at creation: the secret is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The secret for the client-credentials grant. Store it now: it cannot be retrieved later.
    pub client_secret: String,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
