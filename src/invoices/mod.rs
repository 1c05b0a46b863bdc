//! Payment bills: a gapless number per year (`2026-000001`), VAT per line, due date from the
//! client's terms, paid amount from payment allocations (later), voided with their order.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
