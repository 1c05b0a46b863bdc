//! Audit trail: who did what to which entity, when, under which request id. Every state change
//! writes its audit row and its outbox event in the transaction of the change (`record`).
pub mod http;
pub mod model;
pub mod service;
pub mod store;
