use serde::Serialize;
use utoipa::ToSchema;

/// One audit record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    /// Dotted action name, e.g. `client.created`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub request_id: Option<String>,
    /// What changed (JSON).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// What a state change records: an audit row and an outbox event of the same name.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    /// The company the change concerns, for routing webhooks later.
    pub client_id: Option<&'a str>,
    pub details: serde_json::Value,
}
