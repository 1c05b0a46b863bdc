//! Individual attention: a client who wants a person, and orders large enough to deserve one.
//! Both land in the responsible manager's queue; staff assign and resolve them, all audited.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
