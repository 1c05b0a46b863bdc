use crate::clients::model::ClientStatus;
use crate::money::{Money, SignedMoney};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

// ---------------------------------------------------------------------------------------------
// Reconciliation statement ("акт сверки взаиморасчётов"): the period's opening balance, every
// ledger entry in it as debit (the client's debt grows) or credit (it shrinks), the turnovers
// and the closing balance; the client confirms it or disputes it.

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// First day of the period (inclusive, UTC).
    pub from: chrono::NaiveDate,
    /// Last day of the period (inclusive, UTC).
    pub to: chrono::NaiveDate,
}

/// Longest period one statement covers.
pub const STATEMENT_MAX_DAYS: i64 = 3 * 366;

impl StatementQuery {
    pub fn validate(&self) -> Result<(), crate::error::ApiError> {
        let mut c = crate::validate::Check::new();
        if self.to < self.from {
            c.add("to", "before_from", "must not be before `from`");
        } else if (self.to - self.from).num_days() > STATEMENT_MAX_DAYS {
            c.add(
                "to",
                "period_too_long",
                "a statement covers at most three years",
            );
        }
        c.finish()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    pub date: chrono::NaiveDate,
    pub seq: i64,
    pub kind: EntryKind,
    /// What the entry is, as printed on the statement.
    pub document: String,
    /// The client's debt grows (goods released, penalties, refunds).
    pub debit: Money,
    /// The client's debt shrinks (payments, bonuses, reversals).
    pub credit: Money,
    /// Positive: the client's advance; negative: its debt.
    pub balance_after: SignedMoney,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementAnswer {
    Confirmed,
    Disputed,
}

impl StatementAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementAnswer::Confirmed => "confirmed",
            StatementAnswer::Disputed => "disputed",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementResponseView {
    pub id: String,
    pub client_id: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub status: StatementAnswer,
    pub comment: Option<String>,
    /// The closing balance the client answered.
    pub closing_balance: SignedMoney,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub client_id: String,
    pub client_name: String,
    pub client_inn: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Positive: the client's advance; negative: its debt.
    pub opening_balance: SignedMoney,
    pub lines: Vec<StatementLine>,
    pub debit_total: Money,
    pub credit_total: Money,
    pub closing_balance: SignedMoney,
    /// The client's answers to a statement of exactly this period, oldest first.
    pub responses: Vec<StatementResponseView>,
}

/// The client's answer; a dispute needs a comment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerStatement {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Required for a dispute: what does not match.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementResponseQuery {
    pub status: Option<StatementAnswer>,
    #[param(max_length = 64)]
    pub client_id: Option<String>,
}

/// What a ledger entry is, in the words of a statement.
pub fn statement_document(
    kind: EntryKind,
    invoice_number: Option<&str>,
    payment: Option<(&str, chrono::NaiveDate)>,
    reason: Option<&str>,
) -> String {
    let bill = invoice_number
        .map(|n| format!(" по счёту № {n}"))
        .unwrap_or_default();
    let order = payment
        .map(|(n, d)| format!(", п/п № {n} от {}", d.format("%d.%m.%Y")))
        .unwrap_or_default();
    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
    match kind {
        EntryKind::Payment => format!("Оплата{order}"),
        EntryKind::PaymentReversal => format!("Сторно оплаты{order}{why}"),
        EntryKind::Release => format!("Отгрузка товаров{bill}"),
        EntryKind::ReleaseReversal => format!("Отмена отгрузки{bill}"),
        EntryKind::Penalty => format!("Пени{bill}{why}"),
        EntryKind::Bonus => format!("Бонус{why}"),
        EntryKind::Adjustment => format!("Корректировка{why}"),
        EntryKind::Refund => format!("Возврат аванса{order}"),
    }
}

/// The statement as the printed document shows it (amounts and dates formatted the Russian
/// way; opening and closing balances in the debit column when the client owes).
#[derive(Debug, Serialize)]
pub struct StatementDocument {
    pub title: String,
    pub from: String,
    pub to: String,
    pub seller: crate::invoices::model::BillSeller,
    pub buyer: StatementParty,
    pub opening_debit: String,
    pub opening_credit: String,
    pub lines: Vec<StatementDocumentLine>,
    pub debit_total: String,
    pub credit_total: String,
    pub closing_debit: String,
    pub closing_credit: String,
    pub conclusion: String,
    pub answers: Vec<StatementDocumentAnswer>,
}

#[derive(Debug, Serialize)]
pub struct StatementParty {
    pub name: String,
    pub inn: String,
}

#[derive(Debug, Serialize)]
pub struct StatementDocumentLine {
    pub no: usize,
    pub date: String,
    pub document: String,
    pub debit: String,
    pub credit: String,
}

#[derive(Debug, Serialize)]
pub struct StatementDocumentAnswer {
    pub disputed: bool,
    pub text: String,
}

impl StatementDocument {
    pub fn build(v: &StatementView, seller: crate::invoices::model::BillSeller) -> Self {
        use crate::invoices::model::{format_amount_ru, format_date_ru};
        let amount = |minor: i64| {
            if minor == 0 {
                String::new()
            } else {
                format_amount_ru(minor)
            }
        };
        // Debit side: the client owes (negative balance); credit side: its advance.
        let sides = |balance: i64| (amount((-balance).max(0)), amount(balance.max(0)));
        let (opening_debit, opening_credit) = sides(v.opening_balance.minor());
        let closing = v.closing_balance.minor();
        let (closing_debit, closing_credit) = sides(closing);
        let to = format_date_ru(v.to);
        let conclusion = match closing {
            0 => format!("На {to} задолженность отсутствует."),
            c if c < 0 => format!(
                "На {to} задолженность {} перед {} составляет {} руб.",
                v.client_name,
                seller.name,
                format_amount_ru(-c)
            ),
            c => format!(
                "На {to} задолженность {} перед {} (аванс) составляет {} руб.",
                seller.name,
                v.client_name,
                format_amount_ru(c)
            ),
        };
        StatementDocument {
            title: "Акт сверки".into(),
            from: format_date_ru(v.from),
            lines: v
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| StatementDocumentLine {
                    no: i + 1,
                    date: format_date_ru(l.date),
                    document: l.document.clone(),
                    debit: amount(l.debit.minor()),
                    credit: amount(l.credit.minor()),
                })
                .collect(),
            debit_total: format_amount_ru(v.debit_total.minor()),
            credit_total: format_amount_ru(v.credit_total.minor()),
            answers: v
                .responses
                .iter()
                .map(|r| StatementDocumentAnswer {
                    disputed: matches!(r.status, StatementAnswer::Disputed),
                    text: match r.status {
                        StatementAnswer::Confirmed => format!(
                            "Подтверждён клиентом {}",
                            format_date_ru(r.created_at.date_naive())
                        ),
                        StatementAnswer::Disputed => format!(
                            "Оспорен клиентом {}: {}",
                            format_date_ru(r.created_at.date_naive()),
                            r.comment.as_deref().unwrap_or_default()
                        ),
                    },
                })
                .collect(),
            buyer: StatementParty {
                name: v.client_name.clone(),
                inn: v.client_inn.clone(),
            },
            seller,
            to,
            opening_debit,
            opening_credit,
            closing_debit,
            closing_credit,
            conclusion,
        }
    }
}
