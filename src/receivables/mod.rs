//! Receivables control: the jobs that act on unpaid orders and bills on the commercial
//! director's terms (reservation expiry first; dunning, penalties, bonuses, holds and tier
//! changes build on it).
pub mod service;
