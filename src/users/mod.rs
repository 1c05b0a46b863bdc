//! People and machines that log in: staff users (managed by admins), client users and ERP API
//! keys (managed by staff or by the company's own `client_admin`).
pub mod http;
pub mod model;
pub mod service;
pub mod store;
