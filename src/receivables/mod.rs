//! Receivables control on the commercial director's terms: the versioned policy, per-client
//! exceptions, and the jobs that act on unpaid orders and bills (reservation expiry, daily
//! penalties, credit holds, dunning, advance bonuses, tier changes).
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod tiers;
