//! Catalog: products (SKU, name, unit, list and cost price, VAT rate, category) and their stock
//! (on hand, reserved). Staff maintain products and record stock movements (receipts,
//! write-offs, corrections); every change writes its audit row and outbox event in the same
//! transaction. Client principals see active products only, and never the cost price.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
