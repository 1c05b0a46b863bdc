//! `Idempotency-Key` for creating POSTs (Stripe's semantics): the same key and body give one
//! effect and the stored response again (`Idempotent-Replayed: true`); another body → 422
//! `idempotency_key_reused`; while the first request is still running → 409
//! `idempotency_key_in_use`. Keys are scoped to the principal and stored in the same transaction
//! as the effect, so a failed request stores nothing and can be retried. Kept 7 days.
pub mod service;
pub mod store;
