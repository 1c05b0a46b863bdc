//! Attention requests: types and rules (no I/O).

use crate::error::ApiError;
use crate::validate::Check;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a request is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    /// A client asked for a person.
    ClientRequest,
    /// An order above the margin policy's attention thresholds (it went on automatically).
    LargeOrder,
}

impl AttentionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttentionKind::ClientRequest => "client_request",
            AttentionKind::LargeOrder => "large_order",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionStatus {
    /// Waits in the responsible manager's queue.
    Open,
    /// A staff member took it.
    Assigned,
    Resolved,
}

impl AttentionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttentionStatus::Open => "open",
            AttentionStatus::Assigned => "assigned",
            AttentionStatus::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> AttentionStatus {
        match s {
            "open" => AttentionStatus::Open,
            "assigned" => AttentionStatus::Assigned,
            _ => AttentionStatus::Resolved,
        }
    }
}

/// A client asks for a person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAttentionRequest {
    /// What it is about.
    #[schema(min_length = 1, max_length = 200, example = "Volume discount for 2027")]
    pub topic: String,
    #[schema(max_length = 4000)]
    pub message: Option<String>,
    /// An order of the company it concerns.
    #[schema(max_length = 64)]
    pub order_id: Option<String>,
    /// Where to call back: digits with an optional leading `+`, spaces, dashes and brackets.
    #[schema(max_length = 30, example = "+7 (495) 123-45-67")]
    pub phone: Option<String>,
    #[schema(max_length = 254, example = "buyer@example.ru")]
    pub email: Option<String>,
    /// "Call me back": needs `phone`.
    #[serde(default)]
    pub callback: bool,
}

/// Staff take a request: themselves, or another staff member.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignAttention {
    /// A staff user's id; null or absent: the caller.
    #[schema(max_length = 64)]
    pub assignee_id: Option<String>,
    /// A note for the record.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Staff close a request, saying what was done.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveAttention {
    /// What was done (staff only: the client sees the request resolved, not the note).
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "Called back, agreed on a counter-offer"
    )]
    pub resolution_note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttentionView {
    pub id: String,
    pub client_id: String,
    pub kind: AttentionKind,
    pub status: AttentionStatus,
    pub topic: String,
    pub message: Option<String>,
    pub order_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub callback: bool,
    /// The responsible manager whose queue it is in.
    pub manager_id: Option<String>,
    /// Who took it.
    pub assignee_id: Option<String>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Attention list filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttentionQuery {
    pub status: Option<AttentionStatus>,
    pub kind: Option<AttentionKind>,
    /// Staff: one company's.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    /// Staff: one manager's queue.
    #[param(max_length = 64)]
    pub manager_id: Option<String>,
    /// Staff: what one person took.
    #[param(max_length = 64)]
    pub assignee_id: Option<String>,
    /// Made at or after (RFC 3339).
    pub created_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Made before (RFC 3339).
    pub created_to: Option<chrono::DateTime<chrono::Utc>>,
}

/// A plausible phone number: 5 to 20 digits, an optional leading `+`, and spaces, dashes,
/// dots or brackets between them.
pub fn plausible_phone(p: &str) -> bool {
    let p = p.trim();
    let body = p.strip_prefix('+').unwrap_or(p);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && p.chars().count() <= 30
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// Every bad field of a new request at once.
pub fn check_request(r: &CreateAttentionRequest) -> Result<(), ApiError> {
    let mut c = Check::new();
    c.text("topic", &r.topic, 1, 200);
    c.opt_text("message", r.message.as_deref(), 1, 4000);
    c.opt_text("order_id", r.order_id.as_deref(), 1, 64);
    if let Some(p) = &r.phone {
        if !plausible_phone(p) {
            c.add(
                "phone",
                "invalid_phone",
                "5 to 20 digits, optionally with a leading + and spaces, dashes or brackets",
            );
        }
    }
    if let Some(e) = &r.email {
        c.email("email", e);
    }
    if r.callback && r.phone.is_none() {
        c.add("phone", "required", "a call back needs a phone number");
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "+7 (495) 123-45-67",
            "84951234567",
            "12345",
            "+1.202.555.0100",
        ] {
            assert!(plausible_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "1234",
            "+7 495 abc",
            "++74951234567",
            "1234567890123456789012",
            "call me",
        ] {
            assert!(!plausible_phone(bad), "{bad}");
        }
    }

    #[test]
    fn a_call_back_needs_a_phone() {
        let r = CreateAttentionRequest {
            topic: "Prices".into(),
            message: None,
            order_id: None,
            phone: None,
            email: None,
            callback: true,
        };
        assert!(check_request(&r).is_err());
        assert!(check_request(&CreateAttentionRequest {
            phone: Some("+7 495 123 45 67".into()),
            ..r
        })
        .is_ok());
    }
}
