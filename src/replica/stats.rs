//! Per-query accounting of object-store traffic: requests, sequential rounds,
//! frames, bytes, and how many of the fetched frames the query then read.
//!
//! A *round* is a set of requests issued together; rounds are counted by the
//! fetch path itself (an on-demand miss is one round, a batch is one round per
//! `FETCH_CONCURRENCY` requests), so the count is the same on any machine and
//! at any latency. *Precision* is the share of fetched frames that held at
//! least one page SQLite read afterwards.
//!
//! SQLite's page reads reach the VFS without any query context, so the
//! statement's blocking thread installs its [`QueryStats`] as the current one
//! for as long as SQLite runs ([`QueryStats::enter`]).

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::cache::FrameKey;

/// Object-store traffic of one query (or one warm-up).
#[derive(Debug, Default)]
pub struct QueryStats {
    requests: AtomicU64,
    rounds: AtomicU64,
    bytes: AtomicU64,
    /// Frames fetched for this query, and those SQLite then read a page of.
    frames: Mutex<FrameUse>,
}

#[derive(Debug, Default)]
struct FrameUse {
    fetched: HashSet<FrameKey>,
    used: HashSet<FrameKey>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub rounds: u64,
    pub frames: u64,
    pub bytes: u64,
    /// Fetched frames SQLite read at least one page of.
    pub frames_used: u64,
}

impl StatsSnapshot {
    /// Share of fetched frames that were read; 1 when nothing was fetched.
    pub fn precision(&self) -> f64 {
        if self.frames == 0 {
            1.0
        } else {
            self.frames_used as f64 / self.frames as f64
        }
    }
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "requests={} rounds={} frames={} bytes={} precision={:.2}",
            self.requests,
            self.rounds,
            self.frames,
            self.bytes,
            self.precision()
        )
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<QueryStats>>> = const { RefCell::new(None) };
}

/// Restores the previous current stats when dropped.
pub struct Entered {
    previous: Option<Arc<QueryStats>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|current| *current.borrow_mut() = self.previous.take());
    }
}

impl QueryStats {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Makes `self` the stats that page reads on this thread count into,
    /// until the returned guard drops.
    pub fn enter(self: &Arc<Self>) -> Entered {
        let previous = CURRENT.with(|current| current.borrow_mut().replace(self.clone()));
        Entered { previous }
    }

    /// The stats entered on this thread, if any.
    pub fn current() -> Option<Arc<QueryStats>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Counts one round of `requests` requests.
    pub fn record_round(&self, requests: u64) {
        if requests > 0 {
            self.rounds.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one request that brought `bytes` bytes holding `frames`.
    pub fn record_request(&self, bytes: usize, frames: impl IntoIterator<Item = FrameKey>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.frames.lock().fetched.extend(frames);
    }

    /// Notes that SQLite read a page of `frame`.
    pub fn record_use(&self, frame: &FrameKey) {
        let mut frames = self.frames.lock();
        if frames.fetched.contains(frame) && !frames.used.contains(frame) {
            frames.used.insert(frame.clone());
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let frames = self.frames.lock();
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            rounds: self.rounds.load(Ordering::Relaxed),
            frames: frames.fetched.len() as u64,
            bytes: self.bytes.load(Ordering::Relaxed),
            frames_used: frames.used.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graft::core::SegmentId;

    static SID: std::sync::LazyLock<SegmentId> = std::sync::LazyLock::new(SegmentId::random);

    fn key(start: usize) -> FrameKey {
        FrameKey {
            sid: SID.clone(),
            start,
            end: start + 10,
        }
    }

    #[test]
    fn precision_counts_fetched_frames_that_were_read() {
        let stats = QueryStats::new();
        stats.record_round(2);
        stats.record_request(20, [key(0), key(10)]);
        stats.record_request(10, [key(20)]);
        stats.record_use(&key(10));
        stats.record_use(&key(10));
        stats.record_use(&key(99)); // cached before the query: not counted
        let s = stats.snapshot();
        assert_eq!((s.requests, s.rounds, s.frames, s.bytes), (2, 1, 3, 30));
        assert_eq!(s.frames_used, 1);
        assert!((s.precision() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn entering_nests_and_restores() {
        let outer = QueryStats::new();
        let inner = QueryStats::new();
        assert!(QueryStats::current().is_none());
        let _a = outer.enter();
        {
            let _b = inner.enter();
            assert!(Arc::ptr_eq(&QueryStats::current().unwrap(), &inner));
        }
        assert!(Arc::ptr_eq(&QueryStats::current().unwrap(), &outer));
    }
}
