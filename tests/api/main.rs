//! One integration test binary: every scenario through HTTP against a fresh database, on SQLite
//! and (with DIASPAR_TEST_POSTGRES_URL) PostgreSQL, ending with the invariants check.
mod helpers;

mod attention;
mod auth;
mod catalog;
mod clients;
mod invoices;
mod jobs;
mod ledger;
mod offers;
mod orders;
mod payments;
mod pricing;
mod receivables;
mod reports;
mod system;
mod tiers_job;
