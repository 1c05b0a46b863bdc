//! Job names, periods, run records (no I/O).

use chrono::{NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The jobs this server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobName {
    /// Orders awaiting payment past `reserved_until` expire: stock freed, bill voided.
    ReservationExpiry,
    /// Overdue bills accrue the daily late-payment penalty.
    Penalties,
    /// Clients go on credit hold, and come off the holds it put once the cause is paid.
    CreditHolds,
    /// Reminder letters for open bills, each level once per bill.
    Dunning,
    /// Bonuses for bills paid early or in advance, once per bill.
    AdvanceBonus,
    /// Each client's price tier is recomputed from its turnover in the trailing window.
    TierRecalc,
    /// Expired idempotency keys and old job runs are deleted.
    Housekeeping,
    /// Accepted and countered offers past their valid_until expire.
    OfferExpiry,
}

impl JobName {
    pub const ALL: [JobName; 8] = [
        JobName::ReservationExpiry,
        JobName::Dunning,
        JobName::Penalties,
        JobName::AdvanceBonus,
        JobName::CreditHolds,
        JobName::TierRecalc,
        JobName::Housekeeping,
        JobName::OfferExpiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobName::ReservationExpiry => "reservation_expiry",
            JobName::Penalties => "penalties",
            JobName::CreditHolds => "credit_holds",
            JobName::Dunning => "dunning",
            JobName::AdvanceBonus => "advance_bonus",
            JobName::TierRecalc => "tier_recalc",
            JobName::Housekeeping => "housekeeping",
            JobName::OfferExpiry => "offer_expiry",
        }
    }

    pub fn parse(s: &str) -> Option<JobName> {
        JobName::ALL.into_iter().find(|j| j.as_str() == s)
    }

    pub fn description(self) -> &'static str {
        match self {
            JobName::ReservationExpiry => {
                "Orders awaiting payment past their reserved_until expire: the stock returns, \
                 the bill is voided, the client is notified (order.expired event)."
            }
            JobName::Penalties => {
                "Daily: each overdue bill of a client not exempt accrues the policy's penalty for \
                 each day past due and grace not charged yet, capped per bill; one penalty \
                 ledger entry per client (penalty.accrued event)."
            }
            JobName::CreditHolds => {
                "Clients with automatic holds go on hold when a bill is the policy's days \
                 overdue or the balance is below -credit_limit; the holds it put are lifted \
                 once the cause is paid, releasing the orders that then fit."
            }
            JobName::Dunning => {
                "Daily: each reminder level of the policy (days from the due date) is sent once \
                 per open bill, as an invoice.reminder event with the rendered letter."
            }
            JobName::AdvanceBonus => {
                "Bills paid in full the policy's days before due (or by the day their goods were \
                 released) earn the bonus once: a bonus ledger entry per client."
            }
            JobName::TierRecalc => {
                "Each client's price tier is recomputed from its turnover (released goods net of \
                 reversals) in the policy's tier window: the tier with the highest minimum \
                 turnover it reaches, or none. Pinned tiers are kept. Every change is audited \
                 and notified (client.tier_changed event)."
            }
            JobName::Housekeeping => {
                "Idempotency keys older than 7 days and job runs older than 90 days are deleted."
            }
            JobName::OfferExpiry => {
                "Accepted offers and counter-offers past their valid_until expire: they price no \
                 more orders and can no longer be accepted (offer.expired event). Reads show them \
                 expired from valid_until on, whether or not the job has run."
            }
        }
    }

    /// The period a run at `now` works for: at most one run per job and period does the work.
    /// Frequent jobs work per minute, daily ones per day.
    pub fn period(self, now: NaiveDateTime) -> String {
        match self {
            JobName::ReservationExpiry | JobName::CreditHolds | JobName::OfferExpiry => {
                let minute = now
                    .with_second(0)
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(now);
                minute.format("%Y-%m-%dT%H:%M").to_string()
            }
            JobName::Penalties | JobName::Dunning | JobName::TierRecalc | JobName::Housekeeping => {
                now.date().to_string()
            }
            // Hourly: bonuses follow payments within the hour.
            JobName::AdvanceBonus => now.format("%Y-%m-%dT%H").to_string(),
        }
    }
}

/// How a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// By its cron schedule in a server process.
    Schedule,
    /// By an admin through `POST /jobs/{name}/run`.
    Manual,
    /// By `diaspar job run NAME`.
    Cli,
    /// By a test calling the job directly.
    Test,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Cli => "cli",
            Trigger::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        [
            Trigger::Schedule,
            Trigger::Manual,
            Trigger::Cli,
            Trigger::Test,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    /// Stopped by an error; the period's lease is released, so the next run completes it (every
    /// per-item effect is unique, so nothing done is repeated).
    Failed,
    /// The period was done already or is being done by another run (process or replica).
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Skipped,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// What a job function did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Items that took effect (orders expired, rows deleted, …).
    pub items: i64,
    /// Items that failed and were left for the next run.
    pub errors: i64,
}

/// A job run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobRunView {
    pub id: String,
    pub job: JobName,
    /// The period the run worked for (`2026-12-04T10:15` per minute, `2026-12-04` per day).
    pub period: String,
    pub trigger: Trigger,
    pub status: RunStatus,
    /// The process that ran it (host:pid:start).
    pub owner: String,
    /// The `now` the job ran at.
    pub now: chrono::DateTime<chrono::Utc>,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub items: i64,
    pub errors: i64,
    /// Why it failed or was skipped.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// Only this job's runs.
    pub job: Option<JobName>,
    pub status: Option<RunStatus>,
}

/// A job of this server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub name: JobName,
    pub description: String,
    /// Its cron schedule (seconds first, UTC) in this server; null: not scheduled here.
    pub schedule: Option<String>,
    /// Its latest run, in any process.
    pub last_run: Option<JobRunView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
            .unwrap()
            .and_hms_milli_opt(10, 15, 42, 7)
            .unwrap();
        assert_eq!(JobName::ReservationExpiry.period(t), "2026-12-04T10:15");
        assert_eq!(JobName::Housekeeping.period(t), "2026-12-04");
        assert_eq!(JobName::TierRecalc.period(t), "2026-12-04");
        for j in JobName::ALL {
            assert_eq!(JobName::parse(j.as_str()), Some(j));
        }
    }
}
