//! Process endpoints: `/health`, `/ready`, `/metrics`, and the request metrics middleware.
pub mod http;
pub mod metrics;
