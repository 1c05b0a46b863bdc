//! A short-lived cache of token subjects (user or API key: active, role, company), so a request
//! does not read them again from the database when the same subject called a moment ago.
//!
//! Freshness: every change to a user or an API key made through this process empties the cache
//! at once (a disabled user or a revoked key loses access on its next request). A change made
//! by another replica is seen within `auth.principal_cache_ms` (0 turns the cache off).

use super::model::PrincipalKind;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Call after a change to a user or an API key has committed.
pub fn invalidate() {
    crate::cache::bump(&GENERATION);
}

/// What the database says about a token subject.
#[derive(Debug, Clone)]
pub struct Subject {
    pub active: bool,
    pub role: String,
    pub client_id: Option<String>,
    /// The error code when the subject is not active.
    pub inactive_code: &'static str,
}

pub type SubjectCache = crate::cache::Recent<(PrincipalKind, String), Subject>;

pub fn subject_cache(ttl: Duration) -> SubjectCache {
    SubjectCache::new(ttl, &GENERATION)
}
