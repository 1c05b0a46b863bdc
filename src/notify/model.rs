use serde::Serialize;
use utoipa::ToSchema;

/// A domain event waiting in (or delivered from) the outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// e.g. `client.created`, `stock.movement_recorded`.
    pub event_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub client_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}
