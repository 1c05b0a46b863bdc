//! A short-lived cache of token subjects (user or API key: active, role, company), so a request
//! does not read them again from the database when the same subject called a moment ago.
//!
//! Freshness: every change to a user or an API key made through this process bumps a global
//! generation and so empties the cache at once (a disabled user or a revoked key loses access
//! on its next request). A change made by another replica is seen within `ttl`
//! (`auth.principal_cache_ms`, 0 turns the cache off).

use super::model::PrincipalKind;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bumped after every committed change to users or API keys in this process.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Call after a change to a user or an API key has committed.
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
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

/// Entries beyond this many are dropped wholesale (a cache, not a store).
const MAX_ENTRIES: usize = 100_000;

/// (kind, subject id) → (read at, generation read in, subject).
type Entries = HashMap<(PrincipalKind, String), (Instant, u64, Subject)>;

pub struct SubjectCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl SubjectCache {
    pub fn new(ttl: Duration) -> SubjectCache {
        SubjectCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to `put` for a value read from the database after this call.
    pub fn generation(&self) -> u64 {
        GENERATION.load(Ordering::SeqCst)
    }

    pub fn get(&self, kind: PrincipalKind, sub: &str) -> Option<Subject> {
        if self.ttl.is_zero() {
            return None;
        }
        let now = GENERATION.load(Ordering::SeqCst);
        let entries = self.entries.lock();
        let (at, generation, subject) = entries.get(&(kind, sub.to_string()))?;
        (*generation == now && at.elapsed() < self.ttl).then(|| subject.clone())
    }

    /// Stores a value read from the database; `generation` is what `generation()` returned
    /// before the read, so a value read across a change is never kept.
    pub fn put(&self, kind: PrincipalKind, sub: String, generation: u64, subject: Subject) {
        if self.ttl.is_zero() || generation != GENERATION.load(Ordering::SeqCst) {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((kind, sub), (Instant::now(), generation, subject));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject {
        Subject {
            active: true,
            role: "client_buyer".into(),
            client_id: Some("c1".into()),
            inactive_code: "account_disabled",
        }
    }

    #[test]
    fn a_change_empties_the_cache() {
        let cache = SubjectCache::new(Duration::from_secs(60));
        let g = cache.generation();
        cache.put(PrincipalKind::User, "u1".into(), g, subject());
        assert!(cache.get(PrincipalKind::User, "u1").is_some());
        invalidate();
        assert!(cache.get(PrincipalKind::User, "u1").is_none());
        // A value read before the change is not stored after it.
        cache.put(PrincipalKind::User, "u1".into(), g, subject());
        assert!(cache.get(PrincipalKind::User, "u1").is_none());
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let cache = SubjectCache::new(Duration::ZERO);
        cache.put(
            PrincipalKind::User,
            "u1".into(),
            cache.generation(),
            subject(),
        );
        assert!(cache.get(PrincipalKind::User, "u1").is_none());
    }
}
