use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One audit record (staff view).
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
    /// The company the change concerns.
    pub client_id: Option<String>,
    /// Why, as given with a manual action.
    pub reason: Option<String>,
    pub request_id: Option<String>,
    /// What changed (JSON).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// One record of a company's activity, as the company sees it: what happened, who did it
/// (the company's own users and keys by id, the retailer's people as `staff`, the scheduler as
/// `system`), and the details without the retailer's internals (costs, margins, floors,
/// internal notes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityEntry {
    pub id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// `user`, `api_key`, `staff` or `system`.
    pub actor_kind: String,
    /// The company's own user or API key; null for staff and the system.
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Audit filters; every one optional, all of them together.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The kind of entity, e.g. `client`, `order`, `offer`, `product`, `attention_request`.
    #[param(max_length = 64)]
    pub entity_type: Option<String>,
    #[param(max_length = 64)]
    pub entity_id: Option<String>,
    /// Dotted action, e.g. `offer.accepted`.
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// A user's or API key's id.
    #[param(max_length = 64)]
    pub actor_id: Option<String>,
    /// `user`, `api_key` or `system`.
    #[param(max_length = 16)]
    pub actor_kind: Option<String>,
    /// The company the records concern.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    /// Only manual actions that carry a reason.
    pub with_reason: Option<bool>,
    /// At or after (RFC 3339).
    pub occurred_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before (RFC 3339).
    pub occurred_to: Option<chrono::DateTime<chrono::Utc>>,
}

/// A company's activity filters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    #[param(max_length = 64)]
    pub entity_type: Option<String>,
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// At or after (RFC 3339).
    pub occurred_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before (RFC 3339).
    pub occurred_to: Option<chrono::DateTime<chrono::Utc>>,
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

/// Actions about a company that only staff see (internal decisions). A company's activity and
/// anything else shown to the company leaves them out.
pub const STAFF_ONLY_ACTIONS: &[&str] = &["offer.floor_overridden"];

/// Entities about a company that only staff see, with everything done to them: the large-order
/// flags (they name the retailer's thresholds, and staff notes go with them).
pub const STAFF_ONLY_ENTITIES: &[&str] = &["attention_flag"];

/// Detail keys only staff see, at any depth.
pub const STAFF_ONLY_KEYS: &[&str] = &[
    "cost",
    "cost_price",
    "cost_minor",
    "margins",
    "floor_bp",
    "deal_floor_bp",
    "deal_margin_bp",
    "override_reason",
    "resolution_note",
];

/// `details` without the staff-only keys.
pub fn for_client(details: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match details {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !STAFF_ONLY_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k, for_client(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(for_client).collect()),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn staff_only_keys_go_at_any_depth() {
        let d = json!({"after": {"cost_price": "1.00", "name": "x"},
                       "lines": [{"margins": {}, "qty": 1}], "reason": "r"});
        assert_eq!(
            for_client(d),
            json!({"after": {"name": "x"}, "lines": [{"qty": 1}], "reason": "r"})
        );
    }
}
