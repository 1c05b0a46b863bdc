use crate::clients::model::ClientStatus;
use crate::money::{Money, SignedMoney};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Payment,
    /// Undoes a payment matched to the wrong client.
    PaymentReversal,
    Release,
    ReleaseReversal,
    Penalty,
    Bonus,
    Adjustment,
    Refund,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::PaymentReversal => "payment_reversal",
            EntryKind::Release => "release",
            EntryKind::ReleaseReversal => "release_reversal",
            EntryKind::Penalty => "penalty",
            EntryKind::Bonus => "bonus",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Refund => "refund",
        }
    }
    pub fn parse(s: &str) -> Option<EntryKind> {
        use EntryKind::*;
        [
            Payment,
            PaymentReversal,
            Release,
            ReleaseReversal,
            Penalty,
            Bonus,
            Adjustment,
            Refund,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How low a debit may take the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// Not below −credit_limit (a normal release).
    CreditLimit,
    /// Not below zero (a client on hold: only its advance counts).
    Zero,
    /// No floor (penalties, reversals, staff adjustments).
    None,
}

/// One ledger entry with the balance after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntryView {
    pub id: String,
    /// 1, 2, 3… per client.
    pub seq: i64,
    pub kind: EntryKind,
    /// Positive: in the client's favour; negative: the client's debt grows.
    pub amount: SignedMoney,
    pub balance_after: SignedMoney,
    pub order_id: Option<String>,
    pub invoice_id: Option<String>,
    pub payment_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A manual correction by staff; the reason is mandatory and recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdjustment {
    /// Positive credits the client, negative debits it.
    pub amount: SignedMoney,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The next price tier and how much more turnover reaches it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextTier {
    pub tier_id: String,
    pub name: String,
    pub min_turnover: Money,
    pub missing: Money,
}

/// A client's account at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub client_id: String,
    /// Positive: advance; negative: debt.
    pub balance: SignedMoney,
    pub credit_limit: Money,
    /// balance + credit limit: what a new order may take now.
    pub available_credit: SignedMoney,
    /// Σ totals of orders waiting for payment.
    pub awaiting_payment: Money,
    /// Σ unpaid parts of issued bills past their due date.
    pub overdue: Money,
    pub status: ClientStatus,
    pub tier_id: Option<String>,
    pub tier_name: Option<String>,
    pub discount_bp: i32,
    pub tier_pinned: bool,
    /// Goods released in the trailing window, net of reversals.
    pub turnover: Money,
    pub turnover_window_days: i64,
    pub next_tier: Option<NextTier>,
}
