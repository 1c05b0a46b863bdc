//! The margin policy, offers and the margin arithmetic (no I/O).
//!
//! Margins are taken on the VAT-exclusive amount of a line (the line total less the VAT it
//! includes, as invoiced) against the cost price, which is a VAT-exclusive purchase cost:
//! margin = (net − cost × quantity) / net. A deal's margin is the same over the sum of its
//! lines, so it is weighted by line amounts. Floors are checked exactly in integers; the margin
//! figures shown to staff are rounded down to the basis point, so a shown figure never
//! overstates the margin.

use crate::error::ApiError;
use crate::money::Money;
use crate::pricing::model::vat_included_minor;
use crate::validate::Check;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most products or categories with floors of their own.
pub const MAX_FLOORS: usize = 1000;
/// Most lines of one offer.
pub const MAX_OFFER_LINES: usize = 100;
/// Most competitor references of one offer.
pub const MAX_EVIDENCE: usize = 20;

/// Accept an offer at once, with nobody involved, when it asks little and keeps the floors
/// with room to spare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAcceptRule {
    /// Every line's asked price is at most this far below the client's tier price, in basis
    /// points of the tier price (300 = 3 %).
    #[schema(example = 300)]
    pub max_discount_bp: i32,
    /// Every line's margin and the deal's margin keep at least this many basis points above
    /// their floors.
    #[schema(example = 200)]
    pub min_headroom_bp: i32,
}

/// Which orders are flagged into the responsible manager's queue (they go on automatically).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttentionRule {
    /// An order total above this amount is flagged; null: no absolute threshold.
    #[schema(example = "500000.00")]
    pub order_total_above: Option<Money>,
    /// An order total above this multiple of the client's average order is flagged, in basis
    /// points of the average (30000 = 3×); null: no relative threshold.
    #[schema(example = 30000)]
    pub average_multiple_bp: Option<i32>,
    /// The relative threshold applies once the client has placed this many orders.
    #[schema(example = 5)]
    pub min_orders_for_average: i32,
}

/// The commercial director's margin terms. Each change is a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarginPolicy {
    /// The least margin of a whole deal, and of a line without a floor of its own, in basis
    /// points (1500 = 15 %).
    #[schema(example = 1500)]
    pub deal_floor_bp: i32,
    /// Floors of a category's lines, by exact category name; they override `deal_floor_bp` for
    /// those lines (higher or lower).
    #[schema(example = json!({"Paper": 1200}))]
    pub category_floors: BTreeMap<String, i32>,
    /// Floors of single products, by product id; they override their category's.
    pub product_floors: BTreeMap<String, i32>,
    /// Null: every offer that keeps the floors waits for a person.
    pub auto_accept: Option<AutoAcceptRule>,
    /// How long an accepted offer prices orders, and a counter-offer may be accepted, days.
    #[schema(example = 14)]
    pub offer_validity_days: i32,
    /// Offers one company may make in 24 hours (more answer 429 `rate_limited`): each declined
    /// offer names the lines below their floors, so unlimited offers would let a client search
    /// out the floors, and with them the costs.
    #[serde(default = "default_max_offers_per_day")]
    #[schema(example = 20, minimum = 1, maximum = 1000)]
    pub max_offers_per_day: i32,
    pub attention: AttentionRule,
}

fn default_max_offers_per_day() -> i32 {
    20
}

impl Default for MarginPolicy {
    /// Before the director sets any: no sale below cost, nothing accepted without a person,
    /// offers valid two weeks, no order flagged.
    fn default() -> Self {
        MarginPolicy {
            deal_floor_bp: 0,
            category_floors: BTreeMap::new(),
            product_floors: BTreeMap::new(),
            auto_accept: None,
            offer_validity_days: 14,
            max_offers_per_day: default_max_offers_per_day(),
            attention: AttentionRule {
                order_total_above: None,
                average_multiple_bp: None,
                min_orders_for_average: 5,
            },
        }
    }
}

/// Floors may be negative (a loss leader), down to −100 %, and below 100 %.
const FLOOR_RANGE: (i64, i64) = (-10_000, 9_999);

impl MarginPolicy {
    /// Every bad field at once (product ids are checked against the catalogue by the service).
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut c = Check::new();
        c.range(
            "deal_floor_bp",
            self.deal_floor_bp as i64,
            FLOOR_RANGE.0,
            FLOOR_RANGE.1,
        );
        for (field, floors) in [
            ("category_floors", &self.category_floors),
            ("product_floors", &self.product_floors),
        ] {
            if floors.len() > MAX_FLOORS {
                c.add(field, "too_many", format!("at most {MAX_FLOORS} floors"));
            }
            for (key, bp) in floors {
                if key.trim().is_empty() || key.chars().count() > 100 {
                    c.add(&format!("{field}.{key}"), "invalid", "1 to 100 characters");
                }
                c.range(
                    &format!("{field}.{key}"),
                    *bp as i64,
                    FLOOR_RANGE.0,
                    FLOOR_RANGE.1,
                );
            }
        }
        if let Some(a) = &self.auto_accept {
            c.range(
                "auto_accept.max_discount_bp",
                a.max_discount_bp as i64,
                0,
                9_999,
            );
            c.range(
                "auto_accept.min_headroom_bp",
                a.min_headroom_bp as i64,
                0,
                10_000,
            );
        }
        c.range(
            "max_offers_per_day",
            self.max_offers_per_day as i64,
            1,
            1000,
        );
        c.range(
            "offer_validity_days",
            self.offer_validity_days as i64,
            1,
            365,
        );
        if let Some(m) = self.attention.average_multiple_bp {
            c.range("attention.average_multiple_bp", m as i64, 10_000, 1_000_000);
        }
        if self
            .attention
            .order_total_above
            .is_some_and(|m| m.minor() <= 0)
        {
            c.add(
                "attention.order_total_above",
                "out_of_range",
                "must be above 0 (null: no threshold)",
            );
        }
        c.range(
            "attention.min_orders_for_average",
            self.attention.min_orders_for_average as i64,
            1,
            1000,
        );
        c.finish()
    }

    /// The floor of a line: the product's, else its category's, else the deal floor.
    pub fn line_floor_bp(&self, product_id: &str, category: Option<&str>) -> i32 {
        self.product_floors
            .get(product_id)
            .or_else(|| category.and_then(|c| self.category_floors.get(c)))
            .copied()
            .unwrap_or(self.deal_floor_bp)
    }

    /// Whether an order of `total_minor` deserves a person: above the absolute threshold, or
    /// above the multiple of the client's average of `orders` orders.
    pub fn flags_order(&self, total_minor: i64, average: Option<(i64, i64)>) -> Option<String> {
        let a = &self.attention;
        if let Some(limit) = a.order_total_above {
            if total_minor > limit.minor() {
                return Some(format!("order total above {limit}"));
            }
        }
        if let (Some(multiple), Some((orders, avg_minor))) = (a.average_multiple_bp, average) {
            if orders >= a.min_orders_for_average as i64
                && avg_minor > 0
                && (total_minor as i128) * 10_000 > (avg_minor as i128) * multiple as i128
            {
                return Some(format!(
                    "order total above {}.{:02}× the client's average order of {}",
                    multiple / 10_000,
                    multiple % 10_000 / 100,
                    Money::from_minor(avg_minor)
                ));
            }
        }
        None
    }
}

/// A version of the margin policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarginPolicyView {
    /// 0: the defaults, never set by a director.
    pub version: i32,
    /// When it took force (null for the defaults).
    pub effective_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Who set it.
    pub set_by: Option<String>,
    pub policy: MarginPolicy,
}

// ---------------------------------------------------------------------------------------------
// Margin arithmetic
// ---------------------------------------------------------------------------------------------

/// What the margin of one line is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarginLine {
    pub quantity: i64,
    /// Unit price, VAT included.
    pub unit_price_minor: i64,
    pub vat_rate_bp: i32,
    /// Unit cost, VAT excluded.
    pub cost_minor: i64,
    pub floor_bp: i32,
}

impl MarginLine {
    /// The line total less its VAT, as invoiced.
    pub fn net_minor(&self) -> i128 {
        let total = self.unit_price_minor as i128 * self.quantity as i128;
        let total_i64 = i64::try_from(total).unwrap_or(i64::MAX);
        total - vat_included_minor(total_i64, self.vat_rate_bp) as i128
    }
    pub fn cost_total_minor(&self) -> i128 {
        self.cost_minor as i128 * self.quantity as i128
    }
    /// The margin in basis points, rounded down.
    pub fn margin_bp(&self) -> i64 {
        margin_bp(self.net_minor(), self.cost_total_minor())
    }
    /// Whether the margin is at least `floor_bp + headroom_bp`, exactly.
    pub fn keeps(&self, headroom_bp: i32) -> bool {
        keeps(
            self.net_minor(),
            self.cost_total_minor(),
            self.floor_bp + headroom_bp,
        )
    }
}

/// (net − cost) / net in basis points, rounded toward −∞; a nil net amount has no margin
/// (−10,000: all cost).
pub fn margin_bp(net: i128, cost: i128) -> i64 {
    if net <= 0 {
        return -10_000;
    }
    ((net - cost) * 10_000).div_euclid(net) as i64
}

/// (net − cost) / net ≥ floor / 10,000, in integers.
pub fn keeps(net: i128, cost: i128, floor_bp: i32) -> bool {
    net > 0 && (net - cost) * 10_000 >= floor_bp as i128 * net
}

/// The deal's net amount and cost.
pub fn deal_sums(lines: &[MarginLine]) -> (i128, i128) {
    lines.iter().fold((0, 0), |(n, c), l| {
        (n + l.net_minor(), c + l.cost_total_minor())
    })
}

/// How a set of prices stands against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Indexes of the lines below their floor.
    pub lines_below: Vec<usize>,
    /// The deal as a whole is below the deal floor.
    pub deal_below: bool,
    /// Deal margin in basis points, rounded down.
    pub deal_margin_bp: i64,
}

impl Verdict {
    pub fn keeps_floors(&self) -> bool {
        self.lines_below.is_empty() && !self.deal_below
    }
}

pub fn judge(lines: &[MarginLine], deal_floor_bp: i32) -> Verdict {
    let (net, cost) = deal_sums(lines);
    Verdict {
        lines_below: lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.keeps(0))
            .map(|(i, _)| i)
            .collect(),
        deal_below: !keeps(net, cost, deal_floor_bp),
        deal_margin_bp: margin_bp(net, cost),
    }
}

/// The auto-accept rule: every asked price within `max_discount_bp` of its tier price, every
/// line and the deal at least `min_headroom_bp` above their floors.
pub fn auto_acceptable(
    rule: &AutoAcceptRule,
    lines: &[MarginLine],
    tier_prices: &[i64],
    deal_floor_bp: i32,
) -> bool {
    let (net, cost) = deal_sums(lines);
    lines.iter().zip(tier_prices).all(|(l, tier)| {
        let off = (*tier as i128 - l.unit_price_minor as i128).max(0);
        off * 10_000 <= rule.max_discount_bp as i128 * *tier as i128
            && l.keeps(rule.min_headroom_bp)
    }) && keeps(net, cost, deal_floor_bp + rule.min_headroom_bp)
}

/// How far `price` is below `reference`, in basis points of it, rounded down (0 when not
/// below).
pub fn concession_bp(reference: i64, price: i64) -> i64 {
    if reference <= 0 || price >= reference {
        return 0;
    }
    ((reference as i128 - price as i128) * 10_000 / reference as i128) as i64
}

// ---------------------------------------------------------------------------------------------
// Offers
// ---------------------------------------------------------------------------------------------

/// Where an offer stands. `expired` is an accepted or countered offer past `valid_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Waits for the client's manager.
    Pending,
    /// Agreed: orders naming it get the agreed prices until `valid_until`.
    Accepted,
    Declined,
    /// Staff proposed other prices; the client may accept them until `valid_until`.
    Countered,
    Withdrawn,
    Expired,
    /// Staff took back an accepted offer or a counter: it prices no more orders.
    Revoked,
}

impl OfferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Pending => "pending",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Countered => "countered",
            OfferStatus::Withdrawn => "withdrawn",
            OfferStatus::Expired => "expired",
            OfferStatus::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<OfferStatus> {
        Some(match s {
            "pending" => OfferStatus::Pending,
            "accepted" => OfferStatus::Accepted,
            "declined" => OfferStatus::Declined,
            "countered" => OfferStatus::Countered,
            "withdrawn" => OfferStatus::Withdrawn,
            "expired" => OfferStatus::Expired,
            "revoked" => OfferStatus::Revoked,
            _ => return None,
        })
    }
}

/// A competitor's offer the client cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The competitor, e.g. a shop's name.
    #[schema(min_length = 1, max_length = 200, example = "OfficeMag")]
    pub competitor: String,
    /// Where their price can be seen.
    #[schema(max_length = 500, example = "https://example.com/paper-a4")]
    pub url: Option<String>,
    /// Free text: their terms, a quote number…
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// One line of an offer: a product, how many, the price the client asks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferLineRequest {
    /// Product id; give either this or `sku`.
    pub product_id: Option<String>,
    #[schema(example = "PAPER-A4-500")]
    pub sku: Option<String>,
    /// Units, at most what is in stock and free now.
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 100)]
    pub quantity: i64,
    /// The unit price asked, VAT included: above 0 and at most the list price.
    #[schema(example = "95.00")]
    pub asked_price: Money,
    /// The competitor's unit price, VAT included.
    #[schema(example = "94.50")]
    pub competitor_price: Option<Money>,
}

/// A price offer from a client company.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOffer {
    /// 1 to 100 lines, each product once.
    pub lines: Vec<OfferLineRequest>,
    /// Competitors' offers the client cites (at most 20).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[schema(min_length = 1, max_length = 2000)]
    pub comment: Option<String>,
    /// When the client wants an answer by.
    pub wanted_by: Option<chrono::NaiveDate>,
}

/// A staff decision to accept: at the asked prices (pending) — or a client accepting a
/// counter-offer (no fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptOffer {
    /// Staff: a note shown to the client with the decision (`decision_reason`).
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// Director only: accept below a floor, saying why (audited).
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineOffer {
    /// Why, shown to the client.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Another price for one line of the offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterLine {
    pub line_no: i32,
    /// Unit price, VAT included: at least the asked price and at most the list price.
    #[schema(example = "97.00")]
    pub price: Money,
}

/// Staff propose other prices; lines not named keep the asked price.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterOffer {
    pub lines: Vec<CounterLine>,
    /// Shown to the client.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// Director only: counter below a floor, saying why (audited).
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

/// Staff take back an accepted offer or a counter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeOffer {
    /// Why, shown to the client.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The client withdraws its offer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawOffer {
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Margins of a line (staff only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineMargins {
    /// Unit cost now, VAT excluded.
    pub cost: Money,
    /// The floor of this line now.
    pub floor_bp: i32,
    /// Margin at the asked price, basis points (rounded down).
    pub at_asked_bp: i64,
    /// Margin at the client's tier price.
    pub at_tier_bp: i64,
    /// Margin at the counter or agreed price, when there is one.
    pub at_agreed_bp: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferLineView {
    pub line_no: i32,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub list_price: Money,
    /// The client's price without the offer (its tier price) when the offer was made.
    pub tier_price: Money,
    pub asked_price: Money,
    pub competitor_price: Option<Money>,
    /// Staff's counter price (countered offers).
    pub counter_price: Option<Money>,
    /// The price orders get (accepted offers).
    pub agreed_price: Option<Money>,
    /// Units orders took at the agreed price.
    pub used_quantity: i64,
    /// The asked price is below the margin this line must keep (declined offers).
    pub below_margin_floor: bool,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margins: Option<LineMargins>,
}

/// A client's bargaining so far (staff only).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BargainingHistory {
    pub offers: i64,
    pub accepted: i64,
    pub declined: i64,
    /// Accepted of those decided, basis points.
    pub acceptance_rate_bp: i64,
    /// On accepted offers, how far the agreed prices were below the tier prices, weighted by
    /// amount, basis points.
    pub average_concession_bp: i64,
}

/// What staff see beyond the client's view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferStaffView {
    /// The queue it waits in.
    pub manager_id: Option<String>,
    pub deal_floor_bp: i32,
    /// Deal margin at the asked prices, basis points (rounded down).
    pub deal_margin_at_asked_bp: i64,
    pub deal_margin_at_tier_bp: i64,
    pub deal_margin_at_agreed_bp: Option<i64>,
    /// Why a director decided below a floor.
    pub override_reason: Option<String>,
    pub decided_by: Option<String>,
    pub policy_version: i32,
    pub history: BargainingHistory,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferView {
    pub id: String,
    pub client_id: String,
    pub status: OfferStatus,
    /// `below_margin_floor` (declined at once by the rules) or `staff`.
    pub decline_code: Option<String>,
    /// The deal as a whole is below the margin it must keep (declined offers).
    pub deal_below_margin_floor: bool,
    /// The reason given with the decision.
    pub decision_reason: Option<String>,
    pub comment: Option<String>,
    pub wanted_by: Option<chrono::NaiveDate>,
    pub evidence: Vec<Evidence>,
    pub lines: Vec<OfferLineView>,
    /// Σ quantity × asked price.
    pub asked_total: Money,
    /// Until when an accepted offer prices orders (or a counter may be accepted).
    pub valid_until: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<OfferStaffView>,
}

/// Offers list filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    pub status: Option<OfferStatus>,
    /// Staff: one company's offers.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    /// Staff: one manager's queue.
    #[param(max_length = 64)]
    pub manager_id: Option<String>,
    /// Made at or after (RFC 3339).
    pub created_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Made before (RFC 3339).
    pub created_to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Structural checks of a new offer made on `today`: every bad field at once.
pub fn check_offer(o: &CreateOffer, today: chrono::NaiveDate) -> Result<(), ApiError> {
    let mut c = Check::new();
    if o.lines.is_empty() {
        c.add("lines", "required", "at least one line is required");
    }
    if o.lines.len() > MAX_OFFER_LINES {
        c.add(
            "lines",
            "too_many_lines",
            format!("at most {MAX_OFFER_LINES} lines"),
        );
    }
    for (i, l) in o.lines.iter().enumerate() {
        crate::pricing::model::check_line(
            &mut c,
            i,
            l.product_id.is_some(),
            l.sku.is_some(),
            l.quantity,
        );
        if l.asked_price.minor() <= 0 {
            c.add(
                &format!("lines[{i}].asked_price"),
                "out_of_range",
                "must be above 0",
            );
        }
        if l.competitor_price.is_some_and(|p| p.minor() <= 0) {
            c.add(
                &format!("lines[{i}].competitor_price"),
                "out_of_range",
                "must be above 0",
            );
        }
    }
    if o.evidence.len() > MAX_EVIDENCE {
        c.add(
            "evidence",
            "too_many",
            format!("at most {MAX_EVIDENCE} references"),
        );
    }
    for (i, e) in o.evidence.iter().enumerate() {
        c.text(&format!("evidence[{i}].competitor"), &e.competitor, 1, 200);
        c.opt_text(&format!("evidence[{i}].url"), e.url.as_deref(), 1, 500);
        if let Some(u) = &e.url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                c.add(
                    &format!("evidence[{i}].url"),
                    "invalid_url",
                    "an http or https URL",
                );
            }
        }
        c.opt_text(&format!("evidence[{i}].note"), e.note.as_deref(), 1, 2000);
    }
    c.opt_text("comment", o.comment.as_deref(), 1, 2000);
    if o.wanted_by.is_some_and(|d| d < today) {
        c.add("wanted_by", "in_the_past", "must be today or later");
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// The integer floor test and the shown margin agree with exact decimal arithmetic:
        /// keeps ⇔ (net − cost) / net ≥ floor / 10,000; the shown margin is that ratio in basis
        /// points rounded toward −∞, so it never overstates.
        #[test]
        fn margins_match_decimal_reference(
            net in 1_i64..=10_000_000_000,
            cost in 0_i64..=20_000_000_000,
            floor in -10_000_i32..10_000,
        ) {
            let (n, c) = (Decimal::from(net), Decimal::from(cost));
            let ratio = (n - c) / n;
            let floor_d = Decimal::from(floor) / Decimal::from(10_000);
            prop_assert_eq!(keeps(net as i128, cost as i128, floor), ratio >= floor_d);
            let shown = margin_bp(net as i128, cost as i128);
            let exact = (n - c) * Decimal::from(10_000) / n;
            prop_assert_eq!(Decimal::from(shown), exact.floor());
            if let Ok(shown) = i32::try_from(shown) {
                prop_assert!(keeps(net as i128, cost as i128, shown));
                prop_assert!(!keeps(net as i128, cost as i128, shown + 1));
            }
        }

        /// A line keeps its floor exactly when the margin shown is at least the floor.
        #[test]
        fn a_line_keeps_its_floor_iff_its_shown_margin_does(
            price in 1_i64..=10_000_000,
            quantity in 1_i64..=1_000,
            cost in 0_i64..=10_000_000,
            vat in prop::sample::select(vec![0_i32, 1000, 2000, 2200]),
            floor in -5_000_i32..9_999,
        ) {
            let l = MarginLine { quantity, unit_price_minor: price, vat_rate_bp: vat, cost_minor: cost, floor_bp: floor };
            prop_assert_eq!(l.keeps(0), l.margin_bp() >= floor as i64);
        }
    }

    fn line(price: i64, cost: i64, floor: i32) -> MarginLine {
        MarginLine {
            quantity: 1,
            unit_price_minor: price,
            vat_rate_bp: 0,
            cost_minor: cost,
            floor_bp: floor,
        }
    }

    #[test]
    fn a_floor_is_kept_to_the_kopeck() {
        // 100.00 at cost 85.00 is exactly 15 %.
        assert!(line(10_000, 8_500, 1500).keeps(0));
        assert!(!line(9_999, 8_500, 1500).keeps(0));
        assert_eq!(line(10_000, 8_500, 1500).margin_bp(), 1500);
        // 14.9985 % is shown as 1499, never rounded up to the floor.
        assert_eq!(line(9_999, 8_500, 1500).margin_bp(), 1499);
    }

    #[test]
    fn margins_are_on_the_net_amount() {
        // 122.00 with 22 % VAT is 100.00 net; cost 80.00: 20 %.
        let l = MarginLine {
            quantity: 3,
            unit_price_minor: 12_200,
            vat_rate_bp: 2200,
            cost_minor: 8_000,
            floor_bp: 2000,
        };
        assert_eq!(l.net_minor(), 30_000);
        assert!(l.keeps(0));
        assert!(!l.keeps(1));
    }

    #[test]
    fn the_deal_is_weighted_by_amounts() {
        // 50 % on 100.00 and 0 % on 300.00: 12.5 % for the deal.
        let lines = [line(10_000, 5_000, 0), line(30_000, 30_000, 0)];
        let v = judge(&lines, 1250);
        assert!(v.keeps_floors());
        assert_eq!(v.deal_margin_bp, 1250);
        assert!(judge(&lines, 1251).deal_below);
    }

    #[test]
    fn auto_accept_needs_both_a_small_discount_and_headroom() {
        let rule = AutoAcceptRule {
            max_discount_bp: 300,
            min_headroom_bp: 200,
        };
        // 3 % off 100.00 = 97.00; cost 70.00: margin 27.8 %, floor 25 %: 2.8 % headroom.
        assert!(auto_acceptable(
            &rule,
            &[line(9_700, 7_000, 2500)],
            &[10_000],
            0
        ));
        assert!(!auto_acceptable(
            &rule,
            &[line(9_699, 7_000, 2500)],
            &[10_000],
            0
        ));
        // Headroom 1.99 %: 26.99 % at 95.89? use a higher cost instead.
        assert!(!auto_acceptable(
            &rule,
            &[line(9_700, 7_276, 2500)],
            &[10_000],
            0
        ));
        // The deal floor needs the headroom too.
        assert!(!auto_acceptable(
            &rule,
            &[line(9_700, 7_000, 0)],
            &[10_000],
            2600
        ));
    }

    #[test]
    fn floors_resolve_product_then_category_then_deal() {
        let mut p = MarginPolicy {
            deal_floor_bp: 1000,
            ..MarginPolicy::default()
        };
        p.category_floors.insert("Paper".into(), 500);
        p.product_floors.insert("p1".into(), 2000);
        assert_eq!(p.line_floor_bp("p1", Some("Paper")), 2000);
        assert_eq!(p.line_floor_bp("p2", Some("Paper")), 500);
        assert_eq!(p.line_floor_bp("p2", None), 1000);
    }

    #[test]
    fn large_orders_are_flagged() {
        let mut p = MarginPolicy::default();
        assert_eq!(p.flags_order(100_000_000, Some((10, 1))), None);
        p.attention.order_total_above = Some(Money::from_minor(10_000));
        assert!(p.flags_order(10_001, None).is_some());
        assert!(p.flags_order(10_000, None).is_none());
        p.attention.order_total_above = None;
        p.attention.average_multiple_bp = Some(30_000);
        assert!(p.flags_order(30_001, Some((5, 10_000))).is_some());
        assert!(p.flags_order(30_000, Some((5, 10_000))).is_none());
        assert!(p.flags_order(30_001, Some((4, 10_000))).is_none());
    }
}
