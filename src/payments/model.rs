//! Payments: what arrives from the bank (the API or a statement file), its match to a client and
//! its allocation to bills. Types and rules only, no I/O.

use crate::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// No client found yet: waits for staff (`POST /payments/{id}/match`).
    Unmatched,
    /// Credited to the client's account and allocated to its bills as far as it goes.
    Matched,
    /// What was not allocated has been paid back in full.
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unmatched => "unmatched",
            PaymentStatus::Matched => "matched",
            PaymentStatus::Refunded => "refunded",
        }
    }
    pub fn parse(s: &str) -> Option<PaymentStatus> {
        [
            PaymentStatus::Unmatched,
            PaymentStatus::Matched,
            PaymentStatus::Refunded,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A payment reported by a bank integration or an accountant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    /// Roubles, more than zero.
    pub amount: Money,
    /// The day the money reached our account.
    pub value_date: chrono::NaiveDate,
    /// 10 or 12 digits with a valid checksum.
    #[schema(min_length = 10, max_length = 12, pattern = r"^[0-9]{10}([0-9]{2})?$")]
    pub payer_inn: String,
    #[schema(min_length = 9, max_length = 9)]
    pub payer_kpp: Option<String>,
    #[schema(min_length = 1, max_length = 300)]
    pub payer_name: String,
    /// The payment purpose (назначение платежа); bill numbers named here are paid first.
    #[schema(max_length = 1000)]
    pub purpose: String,
    /// The bank's unique identity of the payment; a second payment with it is refused.
    #[schema(min_length = 1, max_length = 255)]
    pub bank_reference: String,
    /// When given, must be our own INN.
    #[schema(min_length = 10, max_length = 12)]
    pub recipient_inn: Option<String>,
    #[schema(max_length = 50)]
    pub document_number: Option<String>,
    pub document_date: Option<chrono::NaiveDate>,
}

/// Staff matching a payment whose client was not found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchPayment {
    #[schema(max_length = 64)]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Paying back (part of) what a payment left unallocated, the client's advance from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPayment {
    /// Roubles, more than zero, at most the payment's `unallocated`.
    pub amount: Money,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Undoing a match to the wrong client.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmatchPayment {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationView {
    pub invoice_id: String,
    pub invoice_number: String,
    /// Negative for an allocation undone (a corrected match, a voided bill).
    pub amount: crate::money::SignedMoney,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub status: PaymentStatus,
    pub amount: Money,
    /// Paid towards bills.
    pub allocated: Money,
    pub refunded: Money,
    /// Neither allocated nor refunded: the client's advance from this payment.
    pub unallocated: Money,
    pub value_date: chrono::NaiveDate,
    pub client_id: Option<String>,
    /// `inn` (found by the payer's INN) or `staff`.
    pub matched_by: Option<String>,
    pub payer_inn: String,
    pub payer_kpp: Option<String>,
    pub payer_name: String,
    pub purpose: String,
    pub bank_reference: String,
    /// `api` or `import`.
    pub source: String,
    pub import_id: Option<String>,
    pub document_number: Option<String>,
    pub document_date: Option<chrono::NaiveDate>,
    pub allocations: Vec<AllocationView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub matched_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    pub status: Option<PaymentStatus>,
    /// Staff: one company's payments.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    /// Value date from (inclusive).
    pub value_from: Option<chrono::NaiveDate>,
    /// Value date to (inclusive).
    pub value_to: Option<chrono::NaiveDate>,
}

/// What one statement import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub import_id: String,
    /// `1c` or `csv`.
    pub format: String,
    /// Documents in the file.
    pub documents: i32,
    /// New incoming payments stored.
    pub imported: i32,
    /// Incoming payments already known (same bank reference): nothing done.
    pub duplicates: i32,
    /// Outgoing documents (our own payments), not imported.
    pub ignored: i32,
    /// New payments matched to a client.
    pub matched: i32,
    /// New payments waiting for staff.
    pub unmatched: i32,
    /// Sum of the new payments.
    pub total: Money,
    /// Orders released by the money of this file.
    pub released_orders: Vec<String>,
    pub lines: Vec<ImportLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportLine {
    /// Line of the document in the file.
    pub line: usize,
    /// `imported`, `duplicate` or `ignored`.
    pub outcome: String,
    pub payment_id: Option<String>,
    pub status: Option<PaymentStatus>,
    pub client_id: Option<String>,
}

/// Our bill numbers (`2026-000123`) named in a payment purpose, in order of appearance, each
/// once: four digits, a hyphen, six or more digits, not inside a longer run of digits.
pub fn invoice_numbers_in(purpose: &str) -> Vec<String> {
    let bytes = purpose.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while i + 11 <= bytes.len() {
        let starts_run = i == 0 || !bytes[i - 1].is_ascii_digit();
        if starts_run && bytes[i..i + 4].iter().all(u8::is_ascii_digit) && bytes[i + 4] == b'-' {
            let mut end = i + 5;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end - (i + 5) >= 6 {
                // ASCII digits and '-' only: a valid str slice.
                let n = purpose[i..end].to_string();
                if !found.contains(&n) {
                    found.push(n);
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// How much of `left` goes to a bill that still needs `open` (both kopecks, ≥ 0).
pub fn allocation(left: i64, open: i64) -> i64 {
    left.min(open).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bill_numbers_in_purposes() {
        assert_eq!(
            invoice_numbers_in("Оплата по счету № 2026-000123 от 28.11.2026 за товары"),
            vec!["2026-000123"]
        );
        assert_eq!(
            invoice_numbers_in("Предоплата по сч. 2026-000131, 2026-000140. 2026-000131"),
            vec!["2026-000131", "2026-000140"]
        );
        assert!(invoice_numbers_in("договор 15/2026, сумма 96000-00").is_empty());
        assert!(invoice_numbers_in("12026-000123 2026-00012").is_empty());
        assert_eq!(invoice_numbers_in("сч.2026-1234567"), vec!["2026-1234567"]);
        assert!(invoice_numbers_in("").is_empty());
    }

    #[test]
    fn allocation_never_exceeds_either_side() {
        assert_eq!(allocation(100, 40), 40);
        assert_eq!(allocation(30, 40), 30);
        assert_eq!(allocation(0, 40), 0);
        assert_eq!(allocation(10, 0), 0);
    }
}
