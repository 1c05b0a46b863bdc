use crate::invoices::model::InvoiceStatus;
use crate::money::Money;
use crate::pricing::model::LineRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Released,
    PickedUp,
    Shipped,
    Completed,
    Cancelled,
    Expired,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::AwaitingPayment,
        OrderStatus::Released,
        OrderStatus::PickedUp,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Released => "released",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Statuses whose lines hold a stock reservation.
    pub fn holds_stock(self) -> bool {
        matches!(self, OrderStatus::AwaitingPayment | OrderStatus::Released)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    #[default]
    Pickup,
    Delivery,
}

impl Fulfilment {
    pub fn as_str(self) -> &'static str {
        match self {
            Fulfilment::Pickup => "pickup",
            Fulfilment::Delivery => "delivery",
        }
    }
}

/// A new order. Prices, totals and status are computed by the server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// Staff placing an order for a company; clients leave it out (or give their own).
    #[schema(max_length = 64)]
    pub client_id: Option<String>,
    /// 1 to 500 lines; the same product twice is merged.
    pub lines: Vec<LineRequest>,
    /// Default `pickup`.
    #[serde(default)]
    pub fulfilment: Fulfilment,
    /// Required for `delivery` (else the company's delivery address is used).
    #[schema(min_length = 1, max_length = 500)]
    pub delivery_address: Option<String>,
    /// The client's own reference, e.g. its PO number.
    #[schema(min_length = 1, max_length = 100)]
    pub client_reference: Option<String>,
    #[schema(min_length = 1, max_length = 1000)]
    pub comment: Option<String>,
    /// An accepted offer of the company: its products get the agreed prices for up to the
    /// agreed quantities (the rest of a line at the tier price, as a line of its own).
    #[schema(max_length = 64)]
    pub offer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLineView {
    pub line_no: i32,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub list_price: Money,
    pub discount_bp: i32,
    pub unit_price: Money,
    pub vat_rate_bp: i32,
    pub total: Money,
    pub vat: Money,
    /// The offer whose agreed price this line carries.
    pub offer_id: Option<String>,
}

/// The order's bill in brief.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderInvoice {
    pub id: String,
    pub number: String,
    pub status: InvoiceStatus,
    pub due_date: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    pub client_id: String,
    pub status: OrderStatus,
    pub fulfilment: Fulfilment,
    pub delivery_address: Option<String>,
    pub client_reference: Option<String>,
    pub comment: Option<String>,
    pub total: Money,
    pub vat: Money,
    pub discount_bp: i32,
    pub tier_id: Option<String>,
    /// Until when unpaid goods stay reserved (`awaiting_payment` only).
    pub reserved_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Shown at the pickup desk (released pickup orders).
    pub pickup_code: Option<String>,
    pub invoice: Option<OrderInvoice>,
    pub lines: Vec<OrderLineView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub released_at: Option<chrono::DateTime<chrono::Utc>>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickupRequest {
    /// The code the client shows at the desk.
    #[schema(max_length = 16)]
    pub pickup_code: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub status: Option<OrderStatus>,
    /// Staff: one company's orders.
    #[param(max_length = 64)]
    pub client_id: Option<String>,
    #[param(max_length = 100)]
    pub client_reference: Option<String>,
    /// Placed at or after (RFC 3339).
    pub created_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Placed before (RFC 3339).
    pub created_to: Option<chrono::DateTime<chrono::Utc>>,
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
    PickUp,
    Ship,
    Complete,
}

impl Action {
    /// The statuses the action may start from.
    pub fn from_statuses(self) -> &'static [&'static str] {
        match self {
            Action::Cancel => &["awaiting_payment", "released"],
            Action::PickUp | Action::Ship => &["released"],
            Action::Complete => &["picked_up", "shipped"],
        }
    }
}

/// A six-digit pickup code.
pub fn pickup_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}
