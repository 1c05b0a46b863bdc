//! The in-process scheduler: the job registry, run leases (one replica does a period's work),
//! run records, the cron wiring (tokio-cron-scheduler) and the jobs API. Each job is a plain
//! blocking function of the pool and a `JobContext` (with an injected `now`), so tests and the
//! CLI run it directly.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
