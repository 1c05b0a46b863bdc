//! Price tiers and price arithmetic (no I/O). Prices include VAT. A client's unit price is the
//! list price less its tier discount, rounded half-up to the kopeck; a line's VAT is the VAT
//! included in the line total, rounded half-up; totals are sums of lines, so they always add up
//! to the kopeck.

use crate::error::ApiError;
use crate::money::Money;
use crate::validate::Check;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most lines one order or quote may have.
pub const MAX_LINES: usize = 500;
/// Largest quantity of one line (after merging duplicates, too).
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// Largest line or order total: the largest amount `Money` accepts (9,999,999,999,999.99).
pub const MAX_TOTAL_MINOR: i64 = 999_999_999_999_999;
/// Discounts are below 100 %.
pub const MAX_DISCOUNT_BP: i32 = 9_999;

use crate::money::mul_div_half_up;

/// Unit price after a discount in basis points (0..10_000).
pub fn discounted_minor(list_minor: i64, discount_bp: i32) -> i64 {
    mul_div_half_up(list_minor, 10_000 - discount_bp as i64, 10_000)
}

/// The VAT included in a gross amount at `vat_bp` (e.g. 2200 = 22 %).
pub fn vat_included_minor(gross_minor: i64, vat_bp: i32) -> i64 {
    mul_div_half_up(gross_minor, vat_bp as i64, 10_000 + vat_bp as i64)
}

// ---------------------------------------------------------------------------------------------
// Price tiers
// ---------------------------------------------------------------------------------------------

/// A price tier: clients whose trailing turnover reaches `min_turnover` get `discount_bp` off
/// the list price.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierView {
    pub id: String,
    pub name: String,
    /// Minimum turnover over the trailing window (the `turnover_window_days` setting).
    pub min_turnover: Money,
    /// Discount off the list price in basis points (300 = 3 %).
    #[schema(example = 300)]
    pub discount_bp: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A new price tier.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTier {
    /// Unique name.
    #[schema(min_length = 1, max_length = 100, example = "Silver")]
    pub name: String,
    /// Minimum turnover over the trailing window.
    pub min_turnover: Money,
    /// Discount off the list price in basis points, 0 to 9999.
    #[schema(minimum = 0, maximum = 9999, example = 300)]
    pub discount_bp: i32,
}

impl NewTier {
    pub fn normalize_and_validate(&mut self) -> Result<(), ApiError> {
        self.name = self.name.trim().to_string();
        let mut c = Check::new();
        c.text("name", &self.name, 1, 100);
        check_discount(&mut c, self.discount_bp);
        c.finish()
    }
}

/// Changes to a price tier; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_turnover: Option<Money>,
    /// Discount off the list price in basis points, 0 to 9999.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 9999)]
    pub discount_bp: Option<i32>,
}

impl TierUpdate {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.min_turnover.is_none() && self.discount_bp.is_none()
    }

    pub fn normalize_and_validate(&mut self) -> Result<(), ApiError> {
        if let Some(n) = &mut self.name {
            *n = n.trim().to_string();
        }
        let mut c = Check::new();
        c.opt_text("name", self.name.as_deref(), 1, 100);
        if let Some(d) = self.discount_bp {
            check_discount(&mut c, d);
        }
        c.finish()
    }
}

fn check_discount(c: &mut Check, bp: i32) {
    c.range("discount_bp", bp as i64, 0, MAX_DISCOUNT_BP as i64);
}

// ---------------------------------------------------------------------------------------------
// Order pricing (shared by quotes and orders)
// ---------------------------------------------------------------------------------------------

/// One requested line: a product by id or by SKU (exactly one of them) and a quantity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// Product id; give either this or `sku`.
    pub product_id: Option<String>,
    /// Product SKU; give either this or `product_id`.
    #[schema(example = "PAPER-A4-500")]
    pub sku: Option<String>,
    /// Units, 1 to 1,000,000,000. Lines of the same product are merged.
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 3)]
    pub quantity: i64,
}

/// A priced line: one product, duplicates merged.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub list_price_minor: i64,
    pub discount_bp: i32,
    pub unit_price_minor: i64,
    pub vat_rate_bp: i32,
    pub total_minor: i64,
    pub vat_minor: i64,
    /// The accepted offer that set `unit_price_minor` (see `bargaining`).
    pub offer_id: Option<String>,
}

/// Lines priced for one client.
#[derive(Debug, Clone)]
pub struct PricedOrder {
    pub client_id: String,
    pub tier_id: Option<String>,
    pub discount_bp: i32,
    /// Merged, sorted by product id ascending (the order in which stock rows are touched).
    pub lines: Vec<PricedLine>,
    pub total_minor: i64,
    pub vat_minor: i64,
}

/// How a line names its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRef<'a> {
    Id(&'a str),
    Sku(&'a str),
}

impl LineRequest {
    /// The product reference (trimmed), once `check_lines` has passed.
    pub fn reference(&self) -> LineRef<'_> {
        match (&self.product_id, &self.sku) {
            (Some(id), _) => LineRef::Id(id.trim()),
            (None, Some(sku)) => LineRef::Sku(sku.trim()),
            (None, None) => LineRef::Id(""),
        }
    }

    /// Path of the field that names the product, for errors about it.
    pub fn reference_field(&self, index: usize) -> String {
        match self.reference() {
            LineRef::Id(_) => format!("lines[{index}].product_id"),
            LineRef::Sku(_) => format!("lines[{index}].sku"),
        }
    }
}

/// Structural checks of requested lines: 1 to `MAX_LINES` lines, each naming exactly one of
/// `product_id` / `sku`, with a quantity of 1 to `MAX_QUANTITY`. Lists every bad field.
pub fn check_lines(lines: &[LineRequest]) -> Result<(), ApiError> {
    if lines.is_empty() {
        return Err(ApiError::field(
            "lines",
            "required",
            "at least one line is required",
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(ApiError::field(
            "lines",
            "too_many_lines",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut c = Check::new();
    for (i, l) in lines.iter().enumerate() {
        check_line(
            &mut c,
            i,
            l.product_id.is_some(),
            l.sku.is_some(),
            l.quantity,
        );
    }
    c.finish()
}

/// Line `i` names its product once (by `product_id` or `sku`) and a quantity in range.
pub fn check_line(c: &mut Check, i: usize, by_id: bool, by_sku: bool, quantity: i64) {
    match (by_id, by_sku) {
        (false, false) => c.add(
            &format!("lines[{i}].product_id"),
            "required",
            "give product_id or sku",
        ),
        (true, true) => c.add(
            &format!("lines[{i}]"),
            "ambiguous",
            "give either product_id or sku, not both",
        ),
        _ => {}
    }
    c.range(&format!("lines[{i}].quantity"), quantity, 1, MAX_QUANTITY);
}

/// What pricing needs to know of a product.
#[derive(Debug, Clone)]
pub struct ProductPrice {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub list_price_minor: i64,
    pub vat_rate_bp: i32,
}

/// Prices resolved lines (`(index in the request, product, quantity)`) at `discount_bp`:
/// merges lines of the same product (errors name the first of them), sorts by product id and
/// sums the totals. Amounts beyond `MAX_TOTAL_MINOR` are refused as `out_of_range`.
pub fn price_order(
    client_id: String,
    tier_id: Option<String>,
    discount_bp: i32,
    lines: Vec<(usize, ProductPrice, i64)>,
) -> Result<PricedOrder, ApiError> {
    let mut merged: BTreeMap<String, (usize, ProductPrice, i64)> = BTreeMap::new();
    for (index, product, quantity) in lines {
        merged
            .entry(product.product_id.clone())
            .and_modify(|e| e.2 = e.2.saturating_add(quantity))
            .or_insert((index, product, quantity));
    }
    let mut c = Check::new();
    let mut priced = Vec::with_capacity(merged.len());
    for (_, (index, p, quantity)) in merged {
        let field = format!("lines[{index}].quantity");
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            c.add(
                &field,
                "out_of_range",
                format!(
                    "the quantity of {} must be between 1 and {MAX_QUANTITY}",
                    p.sku
                ),
            );
            continue;
        }
        let unit_price_minor = discounted_minor(p.list_price_minor, discount_bp);
        let Some(total_minor) = unit_price_minor
            .checked_mul(quantity)
            .filter(|t| *t <= MAX_TOTAL_MINOR)
        else {
            c.add(
                &field,
                "out_of_range",
                format!("the total of {} is too large", p.sku),
            );
            continue;
        };
        priced.push(PricedLine {
            vat_minor: vat_included_minor(total_minor, p.vat_rate_bp),
            product_id: p.product_id,
            sku: p.sku,
            name: p.name,
            unit: p.unit,
            quantity,
            list_price_minor: p.list_price_minor,
            discount_bp,
            unit_price_minor,
            vat_rate_bp: p.vat_rate_bp,
            total_minor,
            offer_id: None,
        });
    }
    c.finish()?;
    // Each total ≤ MAX_TOTAL_MINOR ≈ 10^15 and at most MAX_LINES lines: the i64 sums cannot
    // overflow, but the order total must still be an amount `Money` accepts.
    let total_minor: i64 = priced.iter().map(|l| l.total_minor).sum();
    let vat_minor: i64 = priced.iter().map(|l| l.vat_minor).sum();
    if total_minor > MAX_TOTAL_MINOR {
        return Err(ApiError::field(
            "lines",
            "out_of_range",
            "the order total is too large",
        ));
    }
    Ok(PricedOrder {
        client_id,
        tier_id,
        discount_bp,
        lines: priced,
        total_minor,
        vat_minor,
    })
}

// ---------------------------------------------------------------------------------------------
// Quotes
// ---------------------------------------------------------------------------------------------

/// Lines to price for a client without booking anything.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The client company: required for staff; client principals may omit it (their own
    /// company) and cannot name another.
    pub client_id: Option<String>,
    /// 1 to 500 lines; lines of the same product are merged.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<LineRequest>,
}

/// A priced line of a quote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteLineView {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// Units, duplicates merged.
    pub quantity: i64,
    /// List price per unit, VAT included.
    pub list_price: Money,
    /// The client's tier discount in basis points.
    pub discount_bp: i32,
    /// The client's price per unit: list price less the discount, rounded half-up.
    pub unit_price: Money,
    pub vat_rate_bp: i32,
    /// Unit price × quantity, VAT included.
    pub total: Money,
    /// VAT included in `total`.
    pub vat: Money,
    /// Units that can be ordered now (on hand minus reserved); informational, nothing is booked.
    pub available: i64,
}

/// Prices of the requested lines for one client. Nothing is booked or stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteView {
    pub client_id: String,
    /// The client's price tier, if any.
    pub tier_id: Option<String>,
    /// The tier's discount in basis points (0 without a tier).
    pub discount_bp: i32,
    /// Merged lines, by product id.
    pub lines: Vec<QuoteLineView>,
    /// Σ line totals, VAT included.
    pub total: Money,
    /// Σ line VAT.
    pub vat: Money,
}

impl QuoteView {
    /// The view of a priced order; `available` gives the unbooked stock of a product.
    pub fn new(order: PricedOrder, available: impl Fn(&str) -> i64) -> QuoteView {
        QuoteView {
            lines: order
                .lines
                .into_iter()
                .map(|l| QuoteLineView {
                    available: available(&l.product_id),
                    product_id: l.product_id,
                    sku: l.sku,
                    name: l.name,
                    unit: l.unit,
                    quantity: l.quantity,
                    list_price: Money::from_minor(l.list_price_minor),
                    discount_bp: l.discount_bp,
                    unit_price: Money::from_minor(l.unit_price_minor),
                    vat_rate_bp: l.vat_rate_bp,
                    total: Money::from_minor(l.total_minor),
                    vat: Money::from_minor(l.vat_minor),
                })
                .collect(),
            client_id: order.client_id,
            tier_id: order.tier_id,
            discount_bp: order.discount_bp,
            total: Money::from_minor(order.total_minor),
            vat: Money::from_minor(order.vat_minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::parse_json;
    use proptest::prelude::*;
    use rust_decimal::{Decimal, RoundingStrategy};

    #[test]
    fn rounding_is_half_up_to_the_kopeck() {
        assert_eq!(discounted_minor(10_000, 300), 9_700);
        assert_eq!(discounted_minor(333, 500), 316); // 316.35 -> 316
        assert_eq!(discounted_minor(1, 5_000), 1); // 0.5 -> 1
        assert_eq!(vat_included_minor(12_200, 2_200), 2_200);
        assert_eq!(vat_included_minor(100, 2_000), 17); // 16.67 -> 17
        assert_eq!(vat_included_minor(100, 0), 0);
    }

    fn fields(e: ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn line(id: Option<&str>, sku: Option<&str>, quantity: i64) -> LineRequest {
        LineRequest {
            product_id: id.map(String::from),
            sku: sku.map(String::from),
            quantity,
        }
    }

    fn product(id: &str, list_price_minor: i64, vat_rate_bp: i32) -> ProductPrice {
        ProductPrice {
            product_id: id.into(),
            sku: format!("SKU-{id}"),
            name: format!("Product {id}"),
            unit: "pcs".into(),
            list_price_minor,
            vat_rate_bp,
        }
    }

    #[test]
    fn line_checks_name_each_field() {
        let e = check_lines(&[
            line(Some("a"), None, 1),
            line(None, None, 0),
            line(Some("b"), Some("B"), MAX_QUANTITY + 1),
        ])
        .unwrap_err();
        assert_eq!(
            fields(e),
            [
                ("lines[1].product_id".into(), "required".into()),
                ("lines[1].quantity".into(), "out_of_range".into()),
                ("lines[2]".into(), "ambiguous".into()),
                ("lines[2].quantity".into(), "out_of_range".into()),
            ]
        );
        assert_eq!(fields(check_lines(&[]).unwrap_err())[0].1, "required");
        let many = vec![line(Some("a"), None, 1); MAX_LINES + 1];
        assert_eq!(
            fields(check_lines(&many).unwrap_err())[0].1,
            "too_many_lines"
        );
        assert!(check_lines(&vec![line(None, Some("A"), MAX_QUANTITY); MAX_LINES]).is_ok());
        let e = parse_json::<QuoteRequest>(br#"{"lines":[{"sku":"A","quantity":1,"price":"1"}]}"#)
            .unwrap_err();
        assert!(matches!(e, ApiError::Validation(_)));
    }

    #[test]
    fn duplicates_merge_and_lines_sort_by_product_id() {
        let o = price_order(
            "c".into(),
            Some("t".into()),
            300,
            vec![
                (0, product("b", 10_000, 2200), 3),
                (1, product("a", 333, 0), 1),
                (2, product("b", 10_000, 2200), 2),
            ],
        )
        .unwrap();
        let ids: Vec<_> = o.lines.iter().map(|l| l.product_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let b = &o.lines[1];
        assert_eq!(
            (b.quantity, b.unit_price_minor, b.total_minor),
            (5, 9_700, 48_500)
        );
        assert_eq!(b.vat_minor, 8_746); // 48500 × 22/122 = 8745.9
        assert_eq!(o.total_minor, 48_500 + 323);
        assert_eq!(o.vat_minor, 8_746);
    }

    #[test]
    fn overflowing_totals_are_out_of_range() {
        let e = price_order(
            "c".into(),
            None,
            0,
            vec![
                (0, product("a", 1, 0), 1),
                (4, product("b", i64::MAX / 2, 0), 3),
            ],
        )
        .unwrap_err();
        assert_eq!(
            fields(e),
            [("lines[4].quantity".into(), "out_of_range".into())]
        );
        let e = price_order(
            "c".into(),
            None,
            0,
            vec![
                (0, product("a", 1, 0), MAX_QUANTITY),
                (1, product("a", 1, 0), 1),
            ],
        )
        .unwrap_err();
        assert_eq!(
            fields(e),
            [("lines[0].quantity".into(), "out_of_range".into())]
        );
        let big = MAX_TOTAL_MINOR / 2 + 1;
        let e = price_order(
            "c".into(),
            None,
            0,
            vec![(0, product("a", big, 0), 1), (1, product("b", big, 0), 1)],
        )
        .unwrap_err();
        assert_eq!(fields(e), [("lines".into(), "out_of_range".into())]);
    }

    /// Half-up (midpoint away from zero) reference in decimal arithmetic.
    fn reference(value: i64, num: i64, den: i64) -> i64 {
        let d = Decimal::from(value) * Decimal::from(num) / Decimal::from(den);
        let r = d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(r.mantissa() / 10_i128.pow(r.scale())).unwrap()
    }

    fn vat_rate() -> impl Strategy<Value = i32> {
        prop::sample::select(vec![0, 1000, 2000, 2200])
    }

    proptest! {
        #[test]
        fn line_arithmetic_matches_decimal_reference(
            list in 0_i64..=1_000_000_000,
            quantity in 1_i64..=10_000,
            discount in 0_i32..=MAX_DISCOUNT_BP,
            vat in vat_rate(),
        ) {
            let unit = discounted_minor(list, discount);
            prop_assert!(unit <= list);
            prop_assert_eq!(unit, reference(list, 10_000 - discount as i64, 10_000));
            let total = unit * quantity;
            let v = vat_included_minor(total, vat);
            prop_assert!(v <= total);
            prop_assert_eq!(v, reference(total, vat as i64, 10_000 + vat as i64));
            let o = price_order("c".into(), None, discount, vec![(0, product("p", list, vat), quantity)])
                .unwrap();
            prop_assert_eq!(o.lines[0].unit_price_minor, unit);
            prop_assert_eq!(o.lines[0].total_minor, total);
            prop_assert_eq!(o.lines[0].vat_minor, v);
        }

        #[test]
        fn order_totals_are_sums_of_lines(
            discount in 0_i32..=MAX_DISCOUNT_BP,
            lines in prop::collection::vec(
                (0_u8..8, 0_i64..=1_000_000_000, vat_rate(), 1_i64..=10_000),
                1..40,
            ),
        ) {
            // Product `k` has one price and rate; repeated `k`s are merged.
            let mut catalog = BTreeMap::new();
            let resolved: Vec<_> = lines
                .iter()
                .enumerate()
                .map(|(i, &(k, list, vat, q))| {
                    let p = catalog
                        .entry(k)
                        .or_insert_with(|| product(&format!("p{k}"), list, vat))
                        .clone();
                    (i, p, q)
                })
                .collect();
            let o = price_order("c".into(), None, discount, resolved.clone()).unwrap();
            prop_assert_eq!(o.lines.len(), catalog.len());
            prop_assert!(o.lines.windows(2).all(|w| w[0].product_id < w[1].product_id));
            prop_assert_eq!(o.lines.iter().map(|l| l.total_minor).sum::<i64>(), o.total_minor);
            prop_assert_eq!(o.lines.iter().map(|l| l.vat_minor).sum::<i64>(), o.vat_minor);
            prop_assert!(o.vat_minor <= o.total_minor);
            prop_assert_eq!(
                o.lines.iter().map(|l| l.quantity).sum::<i64>(),
                resolved.iter().map(|r| r.2).sum::<i64>()
            );
            for l in &o.lines {
                prop_assert_eq!(l.total_minor, l.unit_price_minor * l.quantity);
                prop_assert_eq!(l.vat_minor, vat_included_minor(l.total_minor, l.vat_rate_bp));
                prop_assert!(l.unit_price_minor <= l.list_price_minor);
            }
        }
    }
}
