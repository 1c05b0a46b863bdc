//! Client companies: requisites (INN/KPP), credit terms, status, responsible manager.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
