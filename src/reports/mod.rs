//! Receivables reports for staff: aging of open bills by days overdue (in total, per client,
//! per manager), turnover of a period per client, and the top debtors. JSON or CSV. Each page
//! is one set-based, portable SQL query (`store.rs`).
pub mod http;
pub mod model;
pub mod service;
pub mod store;
