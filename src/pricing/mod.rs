//! Price tiers by trailing turnover and the prices they give: tier management (director,
//! admin), the order pricing shared by quotes and orders (merge duplicate lines, tier discount,
//! VAT per line, half-up to the kopeck) and quotes, which price lines without booking anything.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
