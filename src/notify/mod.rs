//! Notifications. For now the transactional outbox: every state change appends an event that
//! webhooks and mail (later issues) deliver.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
