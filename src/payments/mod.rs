//! Money in: payments from the API or a bank statement file, matched to clients by INN,
//! credited to their accounts, releasing waiting orders and paying bills in the same
//! transaction. Unmatched payments wait for staff.
pub mod http;
pub mod model;
pub mod service;
pub mod statement;
pub mod store;
