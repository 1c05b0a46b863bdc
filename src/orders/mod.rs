//! Orders: placed → `awaiting_payment` (stock reserved, bill issued, waits for money until
//! `reserved_until`) or straight to `released` (ledger debited within the credit limit) →
//! `picked_up` / `shipped` → `completed`; or `cancelled` / `expired`. One transaction books the
//! stock, issues the bill and decides the release.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
