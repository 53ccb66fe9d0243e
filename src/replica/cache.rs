//! The replica's bounded local cache of segment frames.
//!
//! Two tiers, both keyed by (segment, byte range), which never changes once
//! written, so no entry is ever stale and nothing needs invalidating when a
//! new commit arrives:
//! - memory: decoded frames, bounded by bytes, evicted by quick_cache's
//!   CLOCK-Pro policy; concurrent misses of one frame wait for one loader;
//! - disk: compressed frames as fetched, one file each, bounded by bytes,
//!   oldest files removed first. It survives restarts, but it is only a
//!   cache: deleting the folder is always safe.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use graft::core::SegmentId;
use quick_cache::sync::{Cache, DefaultLifecycle, GuardResult, PlaceholderGuard};
use quick_cache::{DefaultHashBuilder, Weighter};

/// Identifies one compressed frame (or run of frames) of a segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameKey {
    pub sid: SegmentId,
    pub start: usize,
    pub end: usize,
}

impl FrameKey {
    fn file_name(&self) -> String {
        format!("{}-{}-{}.zst", self.sid.serialize(), self.start, self.end)
    }
}

/// A decompressed frame: its pages back to back.
pub type DecodedFrame = Arc<Vec<u8>>;

/// Weighs a decoded frame by its size in bytes.
#[derive(Clone)]
pub struct ByteWeighter;

impl Weighter<FrameKey, DecodedFrame> for ByteWeighter {
    fn weight(&self, _key: &FrameKey, frame: &DecodedFrame) -> u64 {
        frame.len() as u64
    }
}

/// The right to load a frame that no one else is loading; dropping it
/// without inserting lets a waiter load it instead.
pub type LoadGuard<'a> = PlaceholderGuard<
    'a,
    FrameKey,
    DecodedFrame,
    ByteWeighter,
    DefaultHashBuilder,
    DefaultLifecycle<FrameKey, DecodedFrame>,
>;

/// What a batch loader finds for a frame it wants.
pub enum Claim<'a> {
    Cached(DecodedFrame),
    /// Absent: the caller loads it and inserts through the guard.
    Load(LoadGuard<'a>),
    /// Another thread is loading it right now.
    Loading,
}

/// Memory tier: decoded frames.
pub struct MemoryCache {
    frames: Cache<FrameKey, DecodedFrame, ByteWeighter>,
}

impl MemoryCache {
    pub fn new(max_bytes: u64) -> Self {
        // ~64 pages of 4 KiB per frame.
        let estimated = (max_bytes / (64 * 4096)).max(16) as usize;
        Self {
            frames: Cache::with_weighter(estimated, max_bytes, ByteWeighter),
        }
    }

    /// Returns the cached frame, or loads it once however many threads ask.
    pub fn get_or_load<E>(
        &self,
        key: &FrameKey,
        load: impl FnOnce() -> Result<DecodedFrame, E>,
    ) -> Result<DecodedFrame, E> {
        self.frames.get_or_insert_with(key, load)
    }

    /// The cached frame, without loading it.
    pub fn get(&self, key: &FrameKey) -> Option<DecodedFrame> {
        self.frames.get(key)
    }

    /// Looks a frame up for a batch load, never waiting on another loader.
    pub fn claim(&self, key: &FrameKey) -> Claim<'_> {
        match self
            .frames
            .get_value_or_guard(key, Some(std::time::Duration::ZERO))
        {
            GuardResult::Value(frame) => Claim::Cached(frame),
            GuardResult::Guard(guard) => Claim::Load(guard),
            GuardResult::Timeout => Claim::Loading,
        }
    }

    pub fn weight(&self) -> u64 {
        self.frames.weight()
    }

    pub fn capacity(&self) -> u64 {
        self.frames.capacity()
    }
}

/// Disk tier: compressed frames, one file each.
pub struct DiskCache {
    dir: PathBuf,
    max_bytes: u64,
    used: AtomicU64,
}

impl DiskCache {
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Self> {
        let dir = dir.join("frames");
        fs::create_dir_all(&dir)?;
        let mut used = 0;
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            } else {
                used += entry.metadata()?.len();
            }
        }
        Ok(Self {
            dir,
            max_bytes,
            used: AtomicU64::new(used),
        })
    }

    pub fn get(&self, key: &FrameKey) -> Option<Bytes> {
        let bytes = fs::read(self.dir.join(key.file_name())).ok()?;
        (bytes.len() == key.end - key.start).then(|| Bytes::from(bytes))
    }

    /// Stores a frame; failures only cost a later refetch, so they are logged.
    pub fn put(&self, key: &FrameKey, bytes: &[u8]) {
        let path = self.dir.join(key.file_name());
        let tmp = path.with_extension("tmp");
        let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, &path));
        if let Err(err) = written {
            tracing::warn!(%err, path = %path.display(), "cannot write cache file");
            let _ = fs::remove_file(&tmp);
            return;
        }
        let used = self.used.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
        if used > self.max_bytes {
            self.evict();
        }
    }

    /// Removes the oldest files until the tier is at 90% of its limit.
    fn evict(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .filter(|(_, _, path)| path.extension().is_some_and(|ext| ext == "zst"))
            .collect();
        files.sort();
        let mut used: u64 = files.iter().map(|(_, len, _)| len).sum();
        let target = self.max_bytes / 10 * 9;
        for (_, len, path) in files {
            if used <= target {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                used -= len;
            }
        }
        self.used.store(used, Ordering::Relaxed);
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_tier_stays_under_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 10_000).unwrap();
        let sid = SegmentId::random();
        for i in 0..30 {
            let key = FrameKey {
                sid: sid.clone(),
                start: i * 1000,
                end: (i + 1) * 1000,
            };
            cache.put(&key, &[i as u8; 1000]);
            assert_eq!(cache.get(&key).unwrap()[0], i as u8);
        }
        assert!(cache.used() <= 10_000, "used {}", cache.used());
        // Reopening counts what is there.
        let reopened = DiskCache::open(dir.path(), 10_000).unwrap();
        assert_eq!(reopened.used(), cache.used());
    }

    #[test]
    fn memory_tier_loads_once() {
        let cache = MemoryCache::new(1 << 20);
        let key = FrameKey {
            sid: SegmentId::random(),
            start: 0,
            end: 10,
        };
        let mut loads = 0;
        for _ in 0..3 {
            let frame = cache
                .get_or_load(&key, || {
                    loads += 1;
                    Ok::<_, ()>(Arc::new(vec![7u8; 4096]))
                })
                .unwrap();
            assert_eq!(frame.len(), 4096);
        }
        assert_eq!(loads, 1);
    }
}
