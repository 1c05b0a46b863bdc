//! Roles, principals and token claims (no I/O).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ClientAdmin,
    ClientBuyer,
    ClientAccountant,
    Manager,
    Director,
    Accountant,
    Logistician,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::ClientAdmin,
        Role::ClientBuyer,
        Role::ClientAccountant,
        Role::Manager,
        Role::Director,
        Role::Accountant,
        Role::Logistician,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ClientAdmin => "client_admin",
            Role::ClientBuyer => "client_buyer",
            Role::ClientAccountant => "client_accountant",
            Role::Manager => "manager",
            Role::Director => "director",
            Role::Accountant => "accountant",
            Role::Logistician => "logistician",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_client(self) -> bool {
        matches!(
            self,
            Role::ClientAdmin | Role::ClientBuyer | Role::ClientAccountant
        )
    }

    pub fn is_staff(self) -> bool {
        !self.is_client()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ApiKey,
    System,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::ApiKey => "api_key",
            PrincipalKind::System => "system",
        }
    }
}

/// Who is acting: an authenticated user or API key, or the system itself (jobs, seeding).
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: Option<String>,
    pub role: Role,
    /// The company a client principal belongs to; `None` for staff.
    pub client_id: Option<String>,
    pub request_id: Option<String>,
}

impl Principal {
    pub fn system() -> Principal {
        Principal {
            kind: PrincipalKind::System,
            id: None,
            role: Role::Admin,
            client_id: None,
            request_id: None,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// True when this principal may see data of `client_id`: staff always, a client principal
    /// only its own company's.
    pub fn can_see_client(&self, client_id: &str) -> bool {
        self.is_staff() || self.client_id.as_deref() == Some(client_id)
    }
}

/// JWT claims. `sub` is a user id or an API key id, as `knd` says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub knd: PrincipalKind,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
}
