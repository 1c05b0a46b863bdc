//! Report types, query rules, aging buckets and the CSV rendering (no I/O).

use crate::clients::model::ClientStatus;
use crate::error::ApiError;
use crate::money::{Money, SignedMoney};
use crate::validate::Check;
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt::{Display, Write as _};
use utoipa::{IntoParams, ToSchema};

/// Response format of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `text/csv; charset=utf-8`, a header line and one line per row (RFC 4180), as an
    /// attachment.
    Csv,
}

/// How the aging report groups the open bills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgingGroupBy {
    /// One row for all clients.
    Total,
    /// One row per client with open bills, ordered by client id (the default).
    #[default]
    Client,
    /// One row per responsible manager, ordered by manager id; the row with a null
    /// `manager_id` holds the clients without a manager and comes first.
    Manager,
}

impl AgingGroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            AgingGroupBy::Total => "total",
            AgingGroupBy::Client => "client",
            AgingGroupBy::Manager => "manager",
        }
    }
}

/// Dates accepted by the reports.
pub const MIN_DATE: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
pub const MAX_DATE: NaiveDate = NaiveDate::from_ymd_opt(9998, 12, 31).unwrap();

/// Longest turnover period, in months (`to` must be before `from` + 3 years).
pub const TURNOVER_MAX_MONTHS: u32 = 36;

/// Default and largest number of rows of the debtors report.
pub const DEBTORS_DEFAULT: u32 = 20;
pub const DEBTORS_MAX: u32 = 200;

/// The `next_cursor` of the manager row without a manager (its `manager_id` is null).
pub const NO_MANAGER_CURSOR: &str = "none";

fn check_date(c: &mut Check, field: &str, d: NaiveDate) -> bool {
    if (MIN_DATE..=MAX_DATE).contains(&d) {
        true
    } else {
        c.add(
            field,
            "out_of_range",
            format!("must be between {MIN_DATE} and {MAX_DATE}"),
        );
        false
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// The day the bills are aged at (default: today, UTC). Days overdue = `as_of` − due date.
    #[param(example = "2026-12-04")]
    pub as_of: Option<NaiveDate>,
    /// `total`, `client` (default) or `manager`.
    pub group_by: Option<AgingGroupBy>,
    /// `json` (default) or `csv`.
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TurnoverQuery {
    /// First day of the period (inclusive, UTC).
    #[param(required = true, nullable = false, example = "2026-11-01")]
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive, UTC); at most three years after `from`.
    #[param(required = true, nullable = false, example = "2026-11-30")]
    pub to: Option<NaiveDate>,
    /// Only this client.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<ReportFormat>,
}

/// A valid turnover period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl TurnoverQuery {
    /// Both dates present, in range, `from` ≤ `to`, less than three years apart; every bad
    /// field reported at once.
    pub fn period(&self) -> Result<Period, ApiError> {
        let mut c = Check::new();
        let date = |c: &mut Check, field: &str, d: Option<NaiveDate>| match d {
            None => {
                c.add(field, "required", "is required (a date, YYYY-MM-DD)");
                None
            }
            Some(d) => check_date(c, field, d).then_some(d),
        };
        let from = date(&mut c, "from", self.from);
        let to = date(&mut c, "to", self.to);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                c.add("to", "before_from", "must not be before `from`");
            } else if from
                .checked_add_months(Months::new(TURNOVER_MAX_MONTHS))
                .is_none_or(|limit| to >= limit)
            {
                c.add("to", "period_too_long", "the period is at most three years");
            }
        }
        if let Some(id) = &self.client_id {
            if id.chars().count() > 64 {
                c.add("client_id", "too_long", "must have at most 64 characters");
            }
        }
        c.finish()?;
        match (from, to) {
            (Some(from), Some(to)) => Ok(Period { from, to }),
            _ => Err(ApiError::internal("turnover period checked without dates")),
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DebtorsQuery {
    /// The day overdue is counted at (default: today, UTC): bills due before it.
    #[param(example = "2026-12-04")]
    pub as_of: Option<NaiveDate>,
    /// Number of clients, 1–200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `json` (default) or `csv`.
    pub format: Option<ReportFormat>,
}

impl DebtorsQuery {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEBTORS_DEFAULT as i64),
            Some(n) if (1..=DEBTORS_MAX).contains(&n) => Ok(n as i64),
            Some(_) => Err(ApiError::field(
                "limit",
                "out_of_range",
                format!("must be between 1 and {DEBTORS_MAX}"),
            )),
        }
    }
}

/// `as_of` or today, checked.
pub fn as_of(given: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let d = given.unwrap_or(today);
    let mut c = Check::new();
    check_date(&mut c, "as_of", d);
    c.finish()?;
    Ok(d)
}

/// The aging buckets of a bill by days overdue (`as_of` − due date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// ≤ 0 days: not due yet, or due today.
    NotDue,
    D1To30,
    D31To60,
    D61To90,
    /// More than 90 days.
    D90Plus,
}

/// The bucket boundaries as dates, so SQL compares DATE columns to bound dates instead of
/// computing day differences (which no function does portably).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgingBounds {
    /// Due on or after it: not due.
    pub as_of: NaiveDate,
    /// Due on or after it (and before `as_of`): 1–30 days.
    pub d30: NaiveDate,
    /// … 31–60 days.
    pub d60: NaiveDate,
    /// … 61–90 days; before it: more than 90.
    pub d90: NaiveDate,
}

impl AgingBounds {
    pub fn new(as_of: NaiveDate) -> AgingBounds {
        let back = |n| {
            as_of
                .checked_sub_days(Days::new(n))
                .unwrap_or(NaiveDate::MIN)
        };
        AgingBounds {
            as_of,
            d30: back(30),
            d60: back(60),
            d90: back(90),
        }
    }

    /// The bucket of a bill due on `due`: exactly the comparisons of the report's SQL.
    pub fn bucket(&self, due: NaiveDate) -> Bucket {
        if due >= self.as_of {
            Bucket::NotDue
        } else if due >= self.d30 {
            Bucket::D1To30
        } else if due >= self.d60 {
            Bucket::D31To60
        } else if due >= self.d90 {
            Bucket::D61To90
        } else {
            Bucket::D90Plus
        }
    }
}

/// Open amounts of receivables by days overdue. A receivable is an issued bill, not fully
/// paid, whose order has been released (not waiting for payment, cancelled or expired).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingRow {
    /// Client rows: the client; null otherwise.
    pub client_id: Option<String>,
    /// Client rows: the client's name.
    pub client_name: Option<String>,
    /// Client rows: the client's INN.
    pub inn: Option<String>,
    /// Client rows: the client's manager; manager rows: the manager (null: clients without
    /// one); null on the total row.
    pub manager_id: Option<String>,
    /// The manager's full name, when there is a manager.
    pub manager_name: Option<String>,
    /// Clients with open bills in this row.
    pub clients: i64,
    /// Open bills in this row.
    pub open_invoices: i64,
    /// Not due yet (due on `as_of` or later).
    pub not_due: Money,
    /// 1–30 days overdue.
    pub d1_30: Money,
    /// 31–60 days overdue.
    pub d31_60: Money,
    /// 61–90 days overdue.
    pub d61_90: Money,
    /// More than 90 days overdue.
    pub d90_plus: Money,
    /// Σ of the buckets: the open amount of the row's receivables.
    pub total: Money,
}

/// The aging report: open receivables aged at `as_of`. The amounts are what is open now (bills
/// paid since `as_of` are not reopened); `as_of` only moves the day they are aged at.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    pub group_by: AgingGroupBy,
    /// `total`: exactly one row; `client`, `manager`: a page of rows.
    pub items: Vec<AgingRow>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A client's turnover of the period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnoverRow {
    pub client_id: String,
    pub client_name: String,
    pub inn: String,
    pub manager_id: Option<String>,
    pub manager_name: Option<String>,
    /// Goods released in the period net of reversals (cancelled released orders):
    /// −Σ `release` and `release_reversal` entries. Negative when the period reverses more than
    /// it releases.
    pub shipped: SignedMoney,
    /// Money received in the period: Σ `payment` entries, net of `payment_reversal` entries
    /// (payments matched to the wrong client and taken back).
    pub payments: SignedMoney,
    /// Orders released in the period (`release` entries).
    pub released_orders: i64,
    /// Released orders cancelled in the period (`release_reversal` entries).
    pub reversed_orders: i64,
}

/// Turnover per client over `[from, to]` (UTC days), clients with ledger activity of these
/// kinds in the period, ordered by client id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnoverReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<TurnoverRow>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A client with overdue receivables.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DebtorRow {
    pub client_id: String,
    pub client_name: String,
    pub inn: String,
    pub manager_id: Option<String>,
    pub manager_name: Option<String>,
    pub status: ClientStatus,
    /// Open amount of the receivables due before `as_of`.
    pub overdue: Money,
    /// Bills in `overdue`.
    pub overdue_invoices: i64,
    /// Due date of the oldest overdue bill.
    pub oldest_due_date: NaiveDate,
    /// `as_of` − `oldest_due_date`.
    pub days_overdue: i64,
    /// What the client owes now: −balance when the balance is negative, else 0.
    pub debt: Money,
    pub credit_limit: Money,
    /// Positive: advance; negative: debt.
    pub balance: SignedMoney,
}

/// Clients by overdue amount, largest first (ties by client id).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DebtorsReport {
    pub as_of: NaiveDate,
    pub items: Vec<DebtorRow>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ManagersQuery {
    /// First day of the period (inclusive, UTC).
    #[param(required = true, nullable = false, example = "2026-11-01")]
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive, UTC); at most three years after `from`.
    #[param(required = true, nullable = false, example = "2026-11-30")]
    pub to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    pub format: Option<ReportFormat>,
}

impl ManagersQuery {
    pub fn period(&self) -> Result<Period, ApiError> {
        TurnoverQuery {
            from: self.from,
            to: self.to,
            client_id: None,
            format: None,
        }
        .period()
    }
}

/// A manager's motivation for a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerRow {
    /// Null: the clients without a responsible manager.
    pub manager_id: Option<String>,
    pub manager_name: Option<String>,
    /// Clients of the manager with payments in the period or open receivables.
    pub clients: i64,
    /// Money of the manager's clients that paid bills in the period (Σ allocations, net of
    /// corrections).
    pub paid_turnover: SignedMoney,
    /// Open receivables of the manager's clients now.
    pub open: Money,
    /// The part of `open` overdue at the end of the period (due before `to` + 1 day).
    pub overdue: Money,
    /// `overdue` / `open` (0 without receivables), a decimal fraction with 4 places.
    pub overdue_share: rust_decimal::Decimal,
    /// The commission rate after the overdue reduction, in basis points (2 decimals).
    pub commission_rate_bp: rust_decimal::Decimal,
    /// `paid_turnover` × `commission_rate_bp` / 10,000, half-up to the kopeck (0 when the
    /// turnover is negative).
    pub commission: Money,
}

/// Seller motivation per responsible manager over `[from, to]`. The rate is
/// `base_bp × max(0, 1 − overdue_factor × overdue_share)`, with `base_bp` and
/// `overdue_factor_bp` (10,000 = a factor of 1) from the receivables policy in force at the end
/// of the period: with 3 % and a factor of 2, a manager with 10 % of the receivables overdue
/// earns 3 % × (1 − 0.2) = 2.4 % of the paid turnover.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagersReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub policy_version: i32,
    pub base_bp: i32,
    pub overdue_factor_bp: i32,
    /// The row without a manager first, then by manager id.
    pub items: Vec<ManagerRow>,
}

/// The effective rate and the commission of a manager (see `ManagersReport`).
pub fn commission(
    paid_minor: i64,
    open_minor: i64,
    overdue_minor: i64,
    base_bp: i32,
    factor_bp: i32,
) -> (rust_decimal::Decimal, rust_decimal::Decimal, i64) {
    use rust_decimal::prelude::*;
    let mut share = if open_minor > 0 {
        (Decimal::from(overdue_minor) / Decimal::from(open_minor))
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    } else {
        Decimal::ZERO
    };
    share.rescale(4);
    let factor = Decimal::from(factor_bp) / Decimal::from(10_000);
    let keep = (Decimal::ONE - factor * share).max(Decimal::ZERO);
    let mut rate = (Decimal::from(base_bp) * keep)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rate.rescale(2);
    let amount = (Decimal::from(paid_minor.max(0)) * rate / Decimal::from(10_000))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(0);
    (share, rate, amount)
}

impl ManagersReport {
    pub fn csv_filename(&self) -> String {
        format!("managers-{}-{}.csv", self.from, self.to)
    }

    pub fn to_csv(&self) -> String {
        let mut w = CsvWriter::new();
        w.header(&[
            "manager_id",
            "manager_name",
            "clients",
            "paid_turnover",
            "open",
            "overdue",
            "overdue_share",
            "commission_rate_bp",
            "commission",
        ]);
        for r in &self.items {
            w.opt_value(r.manager_id.as_deref())
                .opt_text(r.manager_name.as_deref())
                .value(r.clients)
                .value(r.paid_turnover)
                .value(r.open)
                .value(r.overdue)
                .value(r.overdue_share)
                .value(r.commission_rate_bp)
                .value(r.commission)
                .end_row();
        }
        w.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180): CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF, with
// quotes doubled. Text that a spreadsheet would run as a formula (starting with = + - @, tab or
// CR) gets a leading apostrophe: company names are typed by clients, the files are opened by
// staff.

/// Builds a CSV document row by row.
#[derive(Debug, Default)]
pub struct CsvWriter {
    out: String,
    fields_in_row: usize,
}

impl CsvWriter {
    pub fn new() -> CsvWriter {
        CsvWriter::default()
    }

    fn raw_field(&mut self, s: &str) {
        if self.fields_in_row > 0 {
            self.out.push(',');
        }
        self.fields_in_row += 1;
        if s.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    self.out.push('"');
                }
                self.out.push(ch);
            }
            self.out.push('"');
        } else {
            self.out.push_str(s);
        }
    }

    /// A free-text field (names): quoted as needed and defused as a formula.
    pub fn text(&mut self, s: &str) -> &mut Self {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            let guarded = format!("'{s}");
            self.raw_field(&guarded);
        } else {
            self.raw_field(s);
        }
        self
    }

    pub fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        self.text(s.unwrap_or(""))
    }

    /// A value of our own making (ids, numbers, money, dates), written as displayed.
    pub fn value(&mut self, v: impl Display) -> &mut Self {
        let mut s = String::new();
        let _ = write!(s, "{v}");
        self.raw_field(&s);
        self
    }

    pub fn opt_value(&mut self, v: Option<impl Display>) -> &mut Self {
        match v {
            Some(v) => self.value(v),
            None => self.value(""),
        }
    }

    pub fn header(&mut self, names: &[&str]) -> &mut Self {
        for n in names {
            self.raw_field(n);
        }
        self.end_row()
    }

    pub fn end_row(&mut self) -> &mut Self {
        self.out.push_str("\r\n");
        self.fields_in_row = 0;
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

const BUCKET_COLUMNS: [&str; 6] = ["not_due", "d1_30", "d31_60", "d61_90", "d90_plus", "total"];

fn buckets(w: &mut CsvWriter, r: &AgingRow) {
    w.value(r.not_due)
        .value(r.d1_30)
        .value(r.d31_60)
        .value(r.d61_90)
        .value(r.d90_plus)
        .value(r.total);
}

impl AgingReport {
    pub fn csv_filename(&self) -> String {
        format!("aging-{}.csv", self.as_of)
    }

    pub fn to_csv(&self) -> String {
        let mut w = CsvWriter::new();
        let lead: &[&str] = match self.group_by {
            AgingGroupBy::Total => &["as_of", "clients", "open_invoices"],
            AgingGroupBy::Client => &[
                "client_id",
                "client_name",
                "inn",
                "manager_id",
                "manager_name",
                "open_invoices",
            ],
            AgingGroupBy::Manager => &["manager_id", "manager_name", "clients", "open_invoices"],
        };
        let header: Vec<&str> = lead.iter().chain(BUCKET_COLUMNS.iter()).copied().collect();
        w.header(&header);
        for r in &self.items {
            match self.group_by {
                AgingGroupBy::Total => {
                    w.value(self.as_of).value(r.clients).value(r.open_invoices);
                }
                AgingGroupBy::Client => {
                    w.opt_value(r.client_id.as_deref())
                        .opt_text(r.client_name.as_deref())
                        .opt_value(r.inn.as_deref())
                        .opt_value(r.manager_id.as_deref())
                        .opt_text(r.manager_name.as_deref())
                        .value(r.open_invoices);
                }
                AgingGroupBy::Manager => {
                    w.opt_value(r.manager_id.as_deref())
                        .opt_text(r.manager_name.as_deref())
                        .value(r.clients)
                        .value(r.open_invoices);
                }
            }
            buckets(&mut w, r);
            w.end_row();
        }
        w.finish()
    }
}

impl TurnoverReport {
    pub fn csv_filename(&self) -> String {
        format!("turnover-{}-{}.csv", self.from, self.to)
    }

    pub fn to_csv(&self) -> String {
        let mut w = CsvWriter::new();
        w.header(&[
            "client_id",
            "client_name",
            "inn",
            "manager_id",
            "manager_name",
            "shipped",
            "payments",
            "released_orders",
            "reversed_orders",
        ]);
        for r in &self.items {
            w.value(&r.client_id)
                .text(&r.client_name)
                .value(&r.inn)
                .opt_value(r.manager_id.as_deref())
                .opt_text(r.manager_name.as_deref())
                .value(r.shipped)
                .value(r.payments)
                .value(r.released_orders)
                .value(r.reversed_orders)
                .end_row();
        }
        w.finish()
    }
}

impl DebtorsReport {
    pub fn csv_filename(&self) -> String {
        format!("debtors-{}.csv", self.as_of)
    }

    pub fn to_csv(&self) -> String {
        let mut w = CsvWriter::new();
        w.header(&[
            "client_id",
            "client_name",
            "inn",
            "manager_id",
            "manager_name",
            "status",
            "overdue",
            "overdue_invoices",
            "oldest_due_date",
            "days_overdue",
            "debt",
            "credit_limit",
            "balance",
        ]);
        for r in &self.items {
            w.value(&r.client_id)
                .text(&r.client_name)
                .value(&r.inn)
                .opt_value(r.manager_id.as_deref())
                .opt_text(r.manager_name.as_deref())
                .value(r.status.as_str())
                .value(r.overdue)
                .value(r.overdue_invoices)
                .value(r.oldest_due_date)
                .value(r.days_overdue)
                .value(r.debt)
                .value(r.credit_limit)
                .value(r.balance)
                .end_row();
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn bounds_match_days_overdue() {
        let as_of = d("2026-03-01"); // across February and a month boundary
        let b = AgingBounds::new(as_of);
        for back in -5_i64..200 {
            let due = as_of - chrono::Duration::days(back);
            let expected = match back {
                i64::MIN..=0 => Bucket::NotDue,
                1..=30 => Bucket::D1To30,
                31..=60 => Bucket::D31To60,
                61..=90 => Bucket::D61To90,
                _ => Bucket::D90Plus,
            };
            assert_eq!(b.bucket(due), expected, "{back} days overdue");
        }
        assert_eq!(b.d30, d("2026-01-30"));
        assert_eq!(b.d90, d("2025-12-01"));
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let mut w = CsvWriter::new();
        w.header(&["a", "b", "c", "d", "e"]);
        w.text("ООО \"Рога, и копыта\"")
            .text("=HYPERLINK(\"x\")")
            .text("line\nbreak")
            .value(SignedMoney::from_minor(-1250))
            .opt_value(None::<&str>)
            .end_row();
        assert_eq!(
            w.finish(),
            "a,b,c,d,e\r\n\"ООО \"\"Рога, и копыта\"\"\",\"'=HYPERLINK(\"\"x\"\")\",\"line\nbreak\",-12.50,\r\n"
        );
    }

    fn query(from: Option<&str>, to: Option<&str>) -> TurnoverQuery {
        TurnoverQuery {
            from: from.map(d),
            to: to.map(d),
            client_id: None,
            format: None,
        }
    }

    fn codes(e: ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::Validation(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commission_is_cut_by_the_overdue_share() {
        // 3 %, factor 2, 10 % overdue: 2.4 % of 10,000.00 = 240.00.
        let (share, rate, amount) = commission(1_000_000, 100_000, 10_000, 300, 20_000);
        assert_eq!(share.to_string(), "0.1000");
        assert_eq!(rate.to_string(), "240.00");
        assert_eq!(amount, 24_000);
        // More than half overdue with factor 2: nothing.
        assert_eq!(commission(1_000_000, 100, 60, 300, 20_000).2, 0);
        // No receivables: the base rate; a negative turnover earns nothing.
        assert_eq!(commission(333, 0, 0, 300, 20_000).2, 10);
        assert_eq!(commission(-500, 0, 0, 300, 20_000).2, 0);
    }

    #[test]
    fn turnover_period_rules() {
        let ok = query(Some("2024-01-01"), Some("2026-12-31"))
            .period()
            .unwrap();
        assert_eq!(ok.to, d("2026-12-31"));
        assert_eq!(
            codes(
                query(Some("2024-01-01"), Some("2027-01-01"))
                    .period()
                    .unwrap_err()
            ),
            [("to".to_string(), "period_too_long".to_string())]
        );
        assert_eq!(
            codes(
                query(Some("2026-12-02"), Some("2026-12-01"))
                    .period()
                    .unwrap_err()
            ),
            [("to".to_string(), "before_from".to_string())]
        );
        assert_eq!(
            codes(query(None, None).period().unwrap_err()),
            [
                ("from".to_string(), "required".to_string()),
                ("to".to_string(), "required".to_string())
            ]
        );
        assert_eq!(
            codes(
                query(Some("1969-12-31"), Some("2026-01-01"))
                    .period()
                    .unwrap_err()
            ),
            [("from".to_string(), "out_of_range".to_string())]
        );
        query(Some("2026-12-01"), Some("2026-12-01"))
            .period()
            .unwrap();
    }
}
