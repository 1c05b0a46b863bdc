use crate::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        [
            InvoiceStatus::Issued,
            InvoiceStatus::Paid,
            InvoiceStatus::Void,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: String,
    /// Gapless per year: `2026-000001`.
    pub number: String,
    pub client_id: String,
    pub order_id: String,
    pub status: InvoiceStatus,
    /// VAT included.
    pub total: Money,
    pub vat: Money,
    pub paid: Money,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub voided_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Staff: one company's bills.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    pub status: Option<InvoiceStatus>,
}

/// `2026-000123`.
pub fn format_number(series: &str, seq: i32) -> String {
    format!("{series}-{seq:06}")
}
