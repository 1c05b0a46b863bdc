//! Catalog types and rules (no I/O).

use crate::error::ApiError;
use crate::money::Money;
use crate::validate::Check;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Allowed VAT rates in basis points: 0 %, 10 %, 20 % and 22 % (the standard rate from 2026).
pub const VAT_RATES_BP: [i32; 4] = [0, 1000, 2000, 2200];

/// Largest quantity of one stock movement (absolute value).
pub const MAX_QUANTITY: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/// A product as the caller may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    pub id: String,
    pub sku: String,
    pub name: String,
    /// Unit of measure, e.g. `pcs`, `kg`.
    pub unit: String,
    /// List price per unit, VAT included.
    pub list_price: Money,
    /// The calling client's price per unit: the list price less its tier discount, rounded
    /// half-up (client principals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub price: Option<Money>,
    /// Cost price per unit (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub cost_price: Option<Money>,
    /// VAT rate in basis points: 0, 1000, 2000 or 2200.
    #[schema(example = 2200)]
    pub vat_rate_bp: i32,
    pub category: Option<String>,
    /// Inactive products cannot be ordered and are hidden from client principals.
    pub active: bool,
    pub stock: StockView,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Stock of a product. Client principals see only `available`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockView {
    /// Units physically in stock (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub on_hand: Option<i64>,
    /// Units booked by open orders (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reserved: Option<i64>,
    /// Units that can be ordered now: on hand minus reserved.
    pub available: i64,
}

impl ProductView {
    /// Adds the client's price at its tier discount; `None` (staff) leaves it absent.
    pub fn with_client_price(mut self, discount_bp: Option<i32>) -> ProductView {
        self.price = discount_bp.map(|d| {
            Money::from_minor(crate::pricing::model::discounted_minor(
                self.list_price.minor(),
                d,
            ))
        });
        self
    }
}

impl StockView {
    pub fn new(on_hand: i64, reserved: i64, staff: bool) -> StockView {
        StockView {
            on_hand: staff.then_some(on_hand),
            reserved: staff.then_some(reserved),
            available: (on_hand - reserved).max(0),
        }
    }
}

/// One recorded stock movement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockMovementView {
    pub id: String,
    pub product_id: String,
    pub kind: StockMovementKind,
    /// Quantity as entered: positive for receipts and write-offs, signed for corrections.
    pub quantity: i64,
    /// Signed change of the on-hand quantity.
    pub delta: i64,
    /// On-hand quantity right after this movement.
    pub on_hand_after: i64,
    pub reason: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// A new product. Its stock starts at zero; use stock movements to change it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Unique stock-keeping unit: letters, digits, `.`, `_` and `-`.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[A-Za-z0-9._-]{1,64}$",
        example = "PAPER-A4-500"
    )]
    pub sku: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Office paper A4, 500 sheets"
    )]
    pub name: String,
    /// Unit of measure, e.g. `pcs`, `kg`.
    #[schema(min_length = 1, max_length = 16, example = "pcs")]
    pub unit: String,
    /// List price per unit, VAT included.
    pub list_price: Money,
    /// Cost price per unit; never shown to client principals.
    pub cost_price: Money,
    /// VAT rate in basis points: 0, 1000, 2000 or 2200.
    #[schema(example = 2200)]
    pub vat_rate_bp: i32,
    #[schema(min_length = 1, max_length = 100)]
    pub category: Option<String>,
    /// Defaults to `true`.
    #[serde(default = "default_true")]
    #[schema(default = true)]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

impl NewProduct {
    /// Trims the text fields and checks every rule, listing each bad field.
    pub fn normalize_and_validate(&mut self) -> Result<(), ApiError> {
        trim(&mut self.sku);
        trim(&mut self.name);
        trim(&mut self.unit);
        if let Some(c) = &mut self.category {
            trim(c);
        }
        let mut c = Check::new();
        check_sku(&mut c, &self.sku);
        c.text("name", &self.name, 1, 200);
        c.text("unit", &self.unit, 1, 16);
        check_vat_rate(&mut c, self.vat_rate_bp);
        c.opt_text("category", self.category.as_deref(), 1, 100);
        c.finish()
    }
}

/// Changes to a product; absent fields stay as they are. The SKU cannot be changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 16)]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<Money>,
    /// VAT rate in basis points: 0, 1000, 2000 or 2200.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate_bp: Option<i32>,
    /// New category; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub category: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// Distinguishes an explicit `null` (`Some(None)`) from an absent field (`None`, via `default`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl ProductUpdate {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.unit.is_none()
            && self.list_price.is_none()
            && self.cost_price.is_none()
            && self.vat_rate_bp.is_none()
            && self.category.is_none()
            && self.active.is_none()
    }

    pub fn normalize_and_validate(&mut self) -> Result<(), ApiError> {
        for s in [&mut self.name, &mut self.unit].into_iter().flatten() {
            trim(s);
        }
        if let Some(Some(c)) = &mut self.category {
            trim(c);
        }
        let mut c = Check::new();
        c.opt_text("name", self.name.as_deref(), 1, 200);
        c.opt_text("unit", self.unit.as_deref(), 1, 16);
        if let Some(v) = self.vat_rate_bp {
            check_vat_rate(&mut c, v);
        }
        c.opt_text(
            "category",
            self.category.as_ref().and_then(|c| c.as_deref()),
            1,
            100,
        );
        c.finish()
    }
}

/// What a stock movement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockMovementKind {
    /// Goods arrived: `quantity` > 0 is added to on hand.
    Receipt,
    /// Goods left (damage, loss): `quantity` > 0 is subtracted from on hand.
    WriteOff,
    /// Stock-taking result: `quantity` is a signed, non-zero change of on hand.
    Correction,
    /// Goods handed out for an order (pickup or shipment); recorded by the order, not by hand.
    Issue,
}

impl StockMovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StockMovementKind::Receipt => "receipt",
            StockMovementKind::WriteOff => "write_off",
            StockMovementKind::Correction => "correction",
            StockMovementKind::Issue => "issue",
        }
    }

    pub fn parse(s: &str) -> Option<StockMovementKind> {
        [
            StockMovementKind::Receipt,
            StockMovementKind::WriteOff,
            StockMovementKind::Correction,
            StockMovementKind::Issue,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The signed change of on hand that a movement of this kind and quantity makes.
    pub fn delta(self, quantity: i64) -> i64 {
        match self {
            StockMovementKind::WriteOff | StockMovementKind::Issue => -quantity,
            StockMovementKind::Receipt | StockMovementKind::Correction => quantity,
        }
    }
}

/// A stock movement to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStockMovement {
    pub kind: StockMovementKind,
    /// 1 to 1,000,000,000 for receipts and write-offs; for corrections a signed, non-zero
    /// change of at most 1,000,000,000 either way.
    #[schema(example = 100)]
    pub quantity: i64,
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Delivery note 1452 from the supplier"
    )]
    pub reason: String,
}

impl NewStockMovement {
    pub fn normalize_and_validate(&mut self) -> Result<(), ApiError> {
        trim(&mut self.reason);
        let mut c = Check::new();
        match self.kind {
            StockMovementKind::Receipt | StockMovementKind::WriteOff => {
                c.range("quantity", self.quantity, 1, MAX_QUANTITY)
            }
            StockMovementKind::Correction if self.quantity == 0 => {
                c.add("quantity", "zero", "a correction must change the stock")
            }
            StockMovementKind::Correction => {
                c.range("quantity", self.quantity, -MAX_QUANTITY, MAX_QUANTITY)
            }
            StockMovementKind::Issue => c.add(
                "kind",
                "not_allowed",
                "issues are recorded by order pickups and shipments",
            ),
        }
        c.text("reason", &self.reason, 1, 500);
        c.finish()
    }

    pub fn delta(&self) -> i64 {
        self.kind.delta(self.quantity)
    }
}

/// Filters of the product list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Case-insensitive search in SKU and name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Exact category.
    #[param(max_length = 100)]
    pub category: Option<String>,
    /// Only active (`true`) or inactive (`false`) products. Client principals only ever see
    /// active products.
    pub active: Option<bool>,
}

impl ProductQuery {
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut c = Check::new();
        for (field, value) in [("q", &self.q), ("category", &self.category)] {
            if value.as_deref().is_some_and(|v| v.chars().count() > 100) {
                c.add(field, "too_long", "must have at most 100 characters");
            }
        }
        c.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

fn trim(s: &mut String) {
    let t = s.trim();
    if t.len() != s.len() {
        *s = t.to_string();
    }
}

pub fn check_sku(c: &mut Check, sku: &str) {
    if sku.is_empty() {
        c.add("sku", "too_short", "must have at least 1 character");
    } else if sku.len() > 64 {
        c.add("sku", "too_long", "must have at most 64 characters");
    } else if !sku
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        c.add(
            "sku",
            "invalid_characters",
            "may contain only latin letters, digits, '.', '_' and '-'",
        );
    }
}

pub fn check_vat_rate(c: &mut Check, bp: i32) {
    if !VAT_RATES_BP.contains(&bp) {
        c.add(
            "vat_rate_bp",
            "invalid_vat_rate",
            "must be one of 0, 1000, 2000, 2200",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::parse_json;

    fn product(json: &str) -> Result<NewProduct, ApiError> {
        let mut p: NewProduct = parse_json(json.as_bytes())?;
        p.normalize_and_validate().map(|_| p)
    }

    fn bad_fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn new_product_is_normalized_and_defaults_to_active() {
        let p = product(
            r#"{"sku":" AB-1.x_2 ","name":" Paper ","unit":"pcs","list_price":"10.5",
                "cost_price":"7","vat_rate_bp":2200}"#,
        )
        .unwrap();
        assert_eq!(p.sku, "AB-1.x_2");
        assert_eq!(p.name, "Paper");
        assert!(p.active);
        assert_eq!(p.list_price.minor(), 1050);
    }

    #[test]
    fn new_product_lists_every_bad_field() {
        let e = product(
            r#"{"sku":"a b","name":"","unit":"very-long-unit-name","list_price":"1",
                "cost_price":"1","vat_rate_bp":1800,"category":""}"#,
        )
        .unwrap_err();
        assert_eq!(
            bad_fields(e),
            ["sku", "name", "unit", "vat_rate_bp", "category"]
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = product(
            r#"{"sku":"A","name":"n","unit":"u","list_price":"1","cost_price":"1",
                "vat_rate_bp":0,"stock":5}"#,
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::Validation(_)));
        let e = parse_json::<ProductUpdate>(br#"{"sku":"B"}"#).unwrap_err();
        assert!(matches!(e, ApiError::Validation(_)));
    }

    #[test]
    fn update_distinguishes_null_from_absent_category() {
        let u: ProductUpdate = parse_json(br#"{"category":null}"#).unwrap();
        assert_eq!(u.category, Some(None));
        assert!(!u.is_empty());
        let u: ProductUpdate = parse_json(br#"{}"#).unwrap();
        assert_eq!(u.category, None);
        assert!(u.is_empty());
        let mut u: ProductUpdate = parse_json(br#"{"category":"","vat_rate_bp":5}"#).unwrap();
        assert_eq!(
            bad_fields(u.normalize_and_validate().unwrap_err()),
            ["vat_rate_bp", "category"]
        );
    }

    #[test]
    fn movement_quantities() {
        let mv = |kind, quantity| {
            let mut m = NewStockMovement {
                kind,
                quantity,
                reason: "r".into(),
            };
            m.normalize_and_validate().map(|_| m.delta())
        };
        use StockMovementKind::*;
        assert_eq!(mv(Receipt, 5).unwrap(), 5);
        assert_eq!(mv(WriteOff, 5).unwrap(), -5);
        assert_eq!(mv(Correction, -3).unwrap(), -3);
        assert!(mv(Receipt, 0).is_err());
        assert!(mv(WriteOff, -1).is_err());
        assert!(mv(Correction, 0).is_err());
        assert!(mv(Correction, i64::MIN).is_err());
        assert!(mv(Receipt, MAX_QUANTITY + 1).is_err());
        assert!(mv(Receipt, MAX_QUANTITY).is_ok());
    }

    #[test]
    fn client_stock_view_hides_detail() {
        let s = serde_json::to_value(StockView::new(10, 3, false)).unwrap();
        assert_eq!(s, serde_json::json!({"available": 7}));
        let s = serde_json::to_value(StockView::new(10, 3, true)).unwrap();
        assert_eq!(
            s,
            serde_json::json!({"on_hand": 10, "reserved": 3, "available": 7})
        );
    }
}
