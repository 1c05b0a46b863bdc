//! The receivables policy (the commercial director's terms) and the penalty arithmetic; no I/O.

use crate::error::ApiError;
use crate::money::{bp_of, Money};
use crate::validate::Check;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reminder level: sent once per open bill, `offset_days` from its due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderLevel {
    /// Days from the due date: negative before it (a courtesy notice), positive after.
    #[schema(example = 3)]
    pub offset_days: i32,
    /// The letter's template: `before_due`, `overdue` or `final_notice`.
    #[schema(example = "overdue")]
    pub template: String,
}

/// The templates a reminder level may use.
pub const REMINDER_TEMPLATES: &[&str] = &["before_due", "overdue", "final_notice"];

/// Late-payment penalty on the open amount of an overdue bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRule {
    /// Per day overdue, in basis points of the bill's open amount (10 = 0.1 % a day); 0: none.
    #[schema(example = 10)]
    pub bp_per_day: i32,
    /// Days after the due date without a penalty.
    #[schema(example = 3)]
    pub grace_days: i32,
    /// The most a bill accrues in total, in basis points of its total (1000 = 10 %).
    #[schema(example = 1000)]
    pub cap_bp: i32,
}

/// When a client goes on credit hold (no release on credit; it ships only on advance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditHoldRule {
    /// A bill this many days overdue puts its client on hold; null: never for lateness.
    #[schema(example = 15)]
    pub after_days_overdue: Option<i32>,
    /// A balance below −credit_limit (penalties can push it there) puts the client on hold.
    pub when_over_limit: bool,
}

/// Bonus for paying early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBonusRule {
    /// Credited to the client's account, in basis points of the bill paid early; 0: none.
    #[schema(example = 50)]
    pub bp: i32,
    /// A bill paid in full at least this many days before its due date earns it.
    #[schema(example = 5)]
    pub min_days_before_due: i32,
    /// An order paid in advance (released on the client's advance alone) earns it too.
    pub prepaid_orders: bool,
}

/// The seller's commission per manager (see `GET /reports/managers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionRule {
    /// Commission on the paid turnover of the manager's clients, in basis points.
    #[schema(example = 300)]
    pub base_bp: i32,
    /// How much each point of overdue share takes off: rate = base × (1 − factor × overdue share),
    /// never below 0. In basis points of 1 (10_000 = 1.0).
    #[schema(example = 20000)]
    pub overdue_factor_bp: i32,
}

/// The commercial director's terms for receivables. Each change is a new version; jobs use the
/// version in force at their `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivablesPolicy {
    /// Payment terms of clients created without their own, days after release.
    #[schema(example = 10)]
    pub payment_terms_days: i32,
    /// How long an unpaid order keeps its stock, hours.
    #[schema(example = 72)]
    pub reservation_ttl_hours: i32,
    /// Reminder levels, each at most once per bill (at most 10, distinct offsets).
    pub reminders: Vec<ReminderLevel>,
    pub penalty: PenaltyRule,
    pub credit_hold: CreditHoldRule,
    pub advance_bonus: AdvanceBonusRule,
    /// The trailing window of turnover for price tiers, days.
    #[schema(example = 365)]
    pub tier_window_days: i32,
    pub commission: CommissionRule,
}

impl ReceivablesPolicy {
    /// The terms before a director sets any: from the configuration, due on release for clients
    /// without terms of their own, no penalty, no bonus and no automatic hold.
    pub fn defaults(reservation_ttl_hours: i64, tier_window_days: i64) -> ReceivablesPolicy {
        ReceivablesPolicy {
            payment_terms_days: 10,
            reservation_ttl_hours: reservation_ttl_hours.clamp(1, 24 * 90) as i32,
            reminders: vec![
                ReminderLevel {
                    offset_days: -3,
                    template: "before_due".into(),
                },
                ReminderLevel {
                    offset_days: 1,
                    template: "overdue".into(),
                },
                ReminderLevel {
                    offset_days: 14,
                    template: "final_notice".into(),
                },
            ],
            penalty: PenaltyRule {
                bp_per_day: 0,
                grace_days: 0,
                cap_bp: 0,
            },
            credit_hold: CreditHoldRule {
                after_days_overdue: None,
                when_over_limit: false,
            },
            advance_bonus: AdvanceBonusRule {
                bp: 0,
                min_days_before_due: 0,
                prepaid_orders: false,
            },
            tier_window_days: tier_window_days.clamp(1, 3660) as i32,
            commission: CommissionRule {
                base_bp: 0,
                overdue_factor_bp: 0,
            },
        }
    }

    /// Every bad field at once.
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut c = Check::new();
        c.range("payment_terms_days", self.payment_terms_days as i64, 0, 365);
        c.range(
            "reservation_ttl_hours",
            self.reservation_ttl_hours as i64,
            1,
            24 * 90,
        );
        if self.reminders.len() > 10 {
            c.add("reminders", "too_many", "at most 10 reminder levels");
        }
        for (i, r) in self.reminders.iter().enumerate() {
            c.range(
                &format!("reminders[{i}].offset_days"),
                r.offset_days as i64,
                -90,
                365,
            );
            if !REMINDER_TEMPLATES.contains(&r.template.as_str()) {
                c.add(
                    &format!("reminders[{i}].template"),
                    "unknown_template",
                    format!("one of {}", REMINDER_TEMPLATES.join(", ")),
                );
            }
            if self.reminders[..i]
                .iter()
                .any(|o| o.offset_days == r.offset_days)
            {
                c.add(
                    &format!("reminders[{i}].offset_days"),
                    "duplicate",
                    "two levels on the same day",
                );
            }
        }
        c.range(
            "penalty.bp_per_day",
            self.penalty.bp_per_day as i64,
            0,
            1000,
        );
        c.range("penalty.grace_days", self.penalty.grace_days as i64, 0, 365);
        c.range("penalty.cap_bp", self.penalty.cap_bp as i64, 0, 10_000);
        if let Some(d) = self.credit_hold.after_days_overdue {
            c.range("credit_hold.after_days_overdue", d as i64, 1, 365);
        }
        c.range("advance_bonus.bp", self.advance_bonus.bp as i64, 0, 1000);
        c.range(
            "advance_bonus.min_days_before_due",
            self.advance_bonus.min_days_before_due as i64,
            0,
            365,
        );
        c.range("tier_window_days", self.tier_window_days as i64, 1, 3660);
        c.range(
            "commission.base_bp",
            self.commission.base_bp as i64,
            0,
            5000,
        );
        c.range(
            "commission.overdue_factor_bp",
            self.commission.overdue_factor_bp as i64,
            0,
            100_000,
        );
        c.finish()
    }
}

/// A version of the policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyVersionView {
    /// 0: the defaults, never set by a director.
    pub version: i32,
    /// When it took force (null for the defaults).
    pub effective_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Who set it.
    pub set_by: Option<String>,
    pub policy: ReceivablesPolicy,
}

/// The penalty of one bill for `day`: `bp_per_day` of what is open, half-up to the kopeck,
/// no more than what the cap leaves (`cap_bp` of the total less what it accrued already).
pub fn daily_penalty(rule: &PenaltyRule, total: i64, open: i64, accrued: i64) -> i64 {
    if rule.bp_per_day <= 0 || open <= 0 {
        return 0;
    }
    let cap = bp_of(total, rule.cap_bp as i64);
    bp_of(open, rule.bp_per_day as i64).min((cap - accrued).max(0))
}

/// The days a bill due on `due` accrues a penalty up to `today` (inclusive), after the ones it
/// accrued already (up to `last`): from the first day past the grace period.
pub fn penalty_days(
    rule: &PenaltyRule,
    due: NaiveDate,
    last: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<NaiveDate> {
    let first = due + chrono::Duration::days(rule.grace_days as i64 + 1);
    let from = match last {
        Some(l) if l >= first => l + chrono::Duration::days(1),
        _ => first,
    };
    // A server down for long catches up, but never more than a year at once.
    let from = from.max(today - chrono::Duration::days(365));
    from.iter_days().take_while(|d| *d <= today).collect()
}

/// Money for display in job details.
pub fn money(minor: i64) -> Money {
    Money::from_minor(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const RULE: PenaltyRule = PenaltyRule {
        bp_per_day: 10,
        grace_days: 3,
        cap_bp: 100,
    };

    #[test]
    fn penalty_is_capped_at_the_kopeck() {
        // 0.1 % of 1,234.56 = 1.23456 → 1.23; cap 1 % of the total = 12.35.
        assert_eq!(daily_penalty(&RULE, 123_456, 123_456, 0), 123);
        assert_eq!(daily_penalty(&RULE, 123_456, 123_456, 1_200), 35);
        assert_eq!(daily_penalty(&RULE, 123_456, 123_456, 1_235), 0);
        // Half-up: 0.1 % of 5.00 = 0.005 → 0.01.
        assert_eq!(daily_penalty(&RULE, 500, 500, 0), 1);
        assert_eq!(daily_penalty(&RULE, 500, 0, 0), 0);
    }

    #[test]
    fn penalty_days_start_after_grace_and_never_repeat() {
        let due = d("2026-12-01");
        assert!(penalty_days(&RULE, due, None, d("2026-12-04")).is_empty());
        assert_eq!(
            penalty_days(&RULE, due, None, d("2026-12-06")),
            vec![d("2026-12-05"), d("2026-12-06")]
        );
        assert_eq!(
            penalty_days(&RULE, due, Some(d("2026-12-06")), d("2026-12-07")),
            vec![d("2026-12-07")]
        );
        assert!(penalty_days(&RULE, due, Some(d("2026-12-07")), d("2026-12-07")).is_empty());
    }

    #[test]
    fn policy_rules() {
        let mut p = ReceivablesPolicy::defaults(72, 365);
        p.validate().unwrap();
        p.reminders.push(ReminderLevel {
            offset_days: 1,
            template: "rude".into(),
        });
        p.penalty.cap_bp = 20_000;
        match p.validate().unwrap_err() {
            ApiError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(
                    fields,
                    [
                        "reminders[3].template",
                        "reminders[3].offset_days",
                        "penalty.cap_bp"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
