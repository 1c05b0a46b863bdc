//! Mutual settlements per client: an append-only ledger (payment +, goods released −, penalty −,
//! bonus +, adjustment ±, refund −). Balance = Σ entries, cached on the client row and moved by
//! the same guarded UPDATE that numbers the entry. Corrections are new entries, never edits.
pub mod http;
pub mod model;
pub mod service;
pub mod store;
