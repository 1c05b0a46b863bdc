//! Bargaining within a margin floor: the director's margin policy, client offers decided at
//! once by the rules or by staff, and orders at the agreed prices.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
