use crate::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    Active,
    OnHold,
    Blocked,
}

impl ClientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Active => "active",
            ClientStatus::OnHold => "on_hold",
            ClientStatus::Blocked => "blocked",
        }
    }
    pub fn parse(s: &str) -> Option<ClientStatus> {
        [
            ClientStatus::Active,
            ClientStatus::OnHold,
            ClientStatus::Blocked,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A client company.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    /// Taxpayer number: 10 digits (legal entity) or 12 (sole proprietor).
    pub inn: String,
    pub kpp: Option<String>,
    pub legal_address: String,
    pub delivery_address: Option<String>,
    /// Where bills and closing documents are sent.
    pub email: String,
    pub phone: Option<String>,
    pub credit_limit: Money,
    pub payment_terms_days: i32,
    pub tier_id: Option<String>,
    pub tier_pinned: bool,
    pub status: ClientStatus,
    pub manager_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    #[schema(min_length = 1, max_length = 300, example = "ООО «Ромашка»")]
    pub name: String,
    #[schema(pattern = r"^([0-9]{10}|[0-9]{12})$", example = "7707083893")]
    pub inn: String,
    /// Required for a legal entity (10-digit INN), absent for a sole proprietor.
    #[schema(pattern = r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$", example = "773601001")]
    pub kpp: Option<String>,
    #[schema(min_length = 1, max_length = 500)]
    pub legal_address: String,
    #[schema(min_length = 1, max_length = 500)]
    pub delivery_address: Option<String>,
    #[schema(max_length = 254, example = "accounts@example.com")]
    pub email: String,
    #[schema(min_length = 1, max_length = 50)]
    pub phone: Option<String>,
    /// Default 0 (prepayment only).
    pub credit_limit: Option<Money>,
    /// Days to pay a released order's bill, 0–365; default 0.
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// Default `active`.
    pub status: Option<ClientStatus>,
    /// A staff user responsible for the company.
    #[schema(max_length = 64)]
    pub manager_id: Option<String>,
}

/// Fields a client's own `client_admin` may change; staff may also change the staff-only ones
/// (`credit_limit`, `payment_terms_days`, `status`, `manager_id`). `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    #[schema(pattern = r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$")]
    pub kpp: Option<String>,
    #[schema(min_length = 1, max_length = 500)]
    pub legal_address: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub delivery_address: Option<Option<String>>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50)]
    pub phone: Option<Option<String>>,
    /// Staff only.
    pub credit_limit: Option<Money>,
    /// Staff only.
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// Staff only.
    pub status: Option<ClientStatus>,
    /// Staff only; `null` removes the manager.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub manager_id: Option<Option<String>>,
    /// Director or admin only: the price tier; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub tier_id: Option<Option<String>>,
    /// Director or admin only: a pinned tier is never changed by the automatic recalculation.
    pub tier_pinned: Option<bool>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl UpdateClient {
    /// Names of the staff-only fields present in the request.
    pub fn staff_fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.credit_limit.is_some() {
            v.push("credit_limit");
        }
        if self.payment_terms_days.is_some() {
            v.push("payment_terms_days");
        }
        if self.status.is_some() {
            v.push("status");
        }
        if self.manager_id.is_some() {
            v.push("manager_id");
        }
        if self.tier_id.is_some() {
            v.push("tier_id");
        }
        if self.tier_pinned.is_some() {
            v.push("tier_pinned");
        }
        v
    }
}

/// Checks an INN: 10 digits with one check digit (legal entity) or 12 digits with two (sole
/// proprietor), per the Federal Tax Service algorithm.
pub fn inn_error(inn: &str) -> Option<(&'static str, &'static str)> {
    if !inn.bytes().all(|b| b.is_ascii_digit()) || !(inn.len() == 10 || inn.len() == 12) {
        return Some(("invalid_format", "must be 10 or 12 digits"));
    }
    let d: Vec<u32> = inn.bytes().map(|b| (b - b'0') as u32).collect();
    let check = |weights: &[u32]| -> u32 {
        weights.iter().zip(&d).map(|(w, x)| w * x).sum::<u32>() % 11 % 10
    };
    let ok = if d.len() == 10 {
        check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    } else {
        check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
            && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
    };
    (!ok).then_some(("invalid_checksum", "the INN check digits do not match"))
}

/// KPP: 9 characters, `NNNNPPNNN` where `PP` are digits or capital Latin letters.
pub fn kpp_valid(kpp: &str) -> bool {
    let b = kpp.as_bytes();
    b.len() == 9
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..6]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[6..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inn_checksums() {
        assert_eq!(inn_error("7707083893"), None); // Sberbank
        assert_eq!(inn_error("7801000005"), None);
        assert_eq!(inn_error("500100732259"), None);
        assert_eq!(inn_error("7707083894").unwrap().0, "invalid_checksum");
        assert_eq!(inn_error("500100732258").unwrap().0, "invalid_checksum");
        assert_eq!(inn_error("12345").unwrap().0, "invalid_format");
        assert_eq!(inn_error("77070838９3").unwrap().0, "invalid_format");
    }

    #[test]
    fn kpp_format() {
        assert!(kpp_valid("773601001"));
        assert!(kpp_valid("7736AB001"));
        assert!(!kpp_valid("77360100"));
        assert!(!kpp_valid("7736ab001"));
    }
}
