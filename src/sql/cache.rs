//! The translation cache: planned reads by message text, so a statement a
//! client sends again is neither parsed nor rewritten again.
//!
//! Only messages that are one read are cached (session commands have
//! effects and are cheap to plan). Entries are immutable `Arc`s.

use std::sync::{Arc, LazyLock};

use quick_cache::sync::Cache;

use super::ReadQuery;

/// Distinct statements kept. A prepared statement's text is one entry.
const CAPACITY: usize = 4096;

static READS: LazyLock<Cache<String, Arc<ReadQuery>>> = LazyLock::new(|| Cache::new(CAPACITY));

pub fn get(sql: &str) -> Option<Arc<ReadQuery>> {
    READS.get(sql)
}

pub fn insert(sql: &str, read: Arc<ReadQuery>) {
    READS.insert(sql.to_owned(), read);
}

/// Empties the cache (benchmarks measure cold translation with it).
pub fn clear() {
    READS.clear();
}
