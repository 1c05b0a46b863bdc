//! Short-lived read caches for values that hot read paths would otherwise fetch on every
//! request (token subjects, client discounts).
//!
//! Freshness: each cache kind has a process-wide generation. A committed change to what it
//! caches bumps the generation and so empties that cache at once in this process; a change
//! made by another replica is seen within `ttl`. A value read from the database across a bump
//! is never stored (the caller passes the generation it saw before reading).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Entries beyond this many are dropped wholesale (a cache, not a store).
const MAX_ENTRIES: usize = 100_000;

/// A cache whose entries live for `ttl` and die with any bump of `generation`.
pub struct Recent<K, V> {
    ttl: Duration,
    generation: &'static AtomicU64,
    entries: Mutex<HashMap<K, (Instant, u64, V)>>,
}

/// Empties every cache built on `generation`; call after the change has committed.
pub fn bump(generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::SeqCst);
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// `ttl` zero caches nothing.
    pub fn new(ttl: Duration, generation: &'static AtomicU64) -> Self {
        Recent {
            ttl,
            generation,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to `put` for a value read from the database after this call.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let now = self.generation();
        let entries = self.entries.lock();
        let (at, generation, value) = entries.get(key)?;
        (*generation == now && at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Stores a value read from the database; `generation` is what `generation()` returned
    /// before the read, so a value read across a change is never kept.
    pub fn put(&self, key: K, generation: u64, value: V) {
        if self.ttl.is_zero() || generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), generation, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST_GENERATION: AtomicU64 = AtomicU64::new(0);
    static OTHER_GENERATION: AtomicU64 = AtomicU64::new(0);

    #[test]
    fn a_change_empties_the_cache() {
        let cache = Recent::new(Duration::from_secs(60), &TEST_GENERATION);
        let g = cache.generation();
        cache.put("u1", g, 7);
        assert_eq!(cache.get(&"u1"), Some(7));
        bump(&TEST_GENERATION);
        assert_eq!(cache.get(&"u1"), None);
        // A value read before the change is not stored after it.
        cache.put("u1", g, 7);
        assert_eq!(cache.get(&"u1"), None);
    }

    #[test]
    fn zero_ttl_caches_nothing() {
        let cache = Recent::new(Duration::ZERO, &OTHER_GENERATION);
        cache.put("u1", cache.generation(), 7);
        assert_eq!(cache.get(&"u1"), None);
    }
}
