//! Page reads: from the memory tier, else the disk tier, else ranged GETs of
//! the frames that hold the pages.
//!
//! Two ways in:
//! - [`PageStore::read_page`], SQLite's on-demand path: one page, one frame,
//!   one round on a miss. It blocks, and runs the object-store future through
//!   `Handle::block_on`, so it must never run on an async task.
//! - [`PageStore::fetch_pages`], the prefetcher's path: a set of pages becomes
//!   the set of frames not yet cached, adjacent frames of one segment merge
//!   into one GET, and all GETs are in flight together (at most
//!   [`FETCH_CONCURRENCY`] at once). Frames someone else is already loading
//!   are left to them, so concurrent misses never fetch a frame twice.
//!
//! Every request is counted in the current query's [`QueryStats`].
//!
//! Pages of a snapshot pack ([`PageStore::pin`]) sit beside the frame tiers:
//! they are a volume's interior pages, read by every lookup, so they stay in
//! memory for the life of the process (up to [`PINNED_SHARE`] of the memory
//! tier) instead of competing with leaves for the cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use graft::core::SegmentId;
use parking_lot::RwLock;

use super::cache::{Claim, DecodedFrame, DiskCache, FrameKey, LoadGuard, MemoryCache};
use super::pack::Pack;
use super::remote::{Remote, RemoteError};
use super::snapshot::{FrameRef, PAGE_SIZE, PageSource, Snapshot};
use super::stats::QueryStats;

/// GETs in flight at once for one batch.
pub const FETCH_CONCURRENCY: usize = 128;

/// Adjacent frames merge into one GET up to this many bytes.
const MAX_MERGED_BYTES: usize = 2 << 20;

/// Pinned pages may take up to 1/`PINNED_SHARE` of the memory tier's bytes.
pub const PINNED_SHARE: u64 = 4;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("frame {key:?} does not decode: {reason}")]
    Decode { key: FrameKey, reason: String },
    #[error("page {page} is past the end of the volume ({page_count} pages)")]
    PastEnd { page: u32, page_count: u32 },
}

/// One 4 KiB page held in a cached frame.
#[derive(Clone)]
pub struct Page {
    frame: DecodedFrame,
    at: usize,
}

impl std::ops::Deref for Page {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.frame[self.at..self.at + PAGE_SIZE]
    }
}

/// Reads pages of any snapshot of any volume of one bucket.
pub struct PageStore {
    remote: Remote,
    memory: MemoryCache,
    disk: Option<DiskCache>,
    /// Pinned pages by the segment that holds them: a segment holds a page
    /// at most once and never changes, so an entry is never stale.
    pinned: RwLock<Pinned>,
    runtime: tokio::runtime::Handle,
}

#[derive(Default)]
struct Pinned {
    pages: HashMap<(SegmentId, u32), DecodedFrame>,
    bytes: u64,
}

/// Frames fetched with one GET: consecutive byte ranges of one segment.
struct Run<'a> {
    frames: Vec<(Arc<FrameRef>, LoadGuard<'a>)>,
}

impl Run<'_> {
    fn bytes(&self) -> std::ops::Range<usize> {
        let first = &self.frames[0].0;
        let last = &self.frames[self.frames.len() - 1].0;
        first.bytes.start..last.bytes.end
    }
}

impl PageStore {
    pub fn new(
        remote: Remote,
        memory: MemoryCache,
        disk: Option<DiskCache>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Self {
            remote,
            memory,
            disk,
            pinned: Default::default(),
            runtime,
        }
    }

    /// Pins the pages of `pack`, under where its snapshot says they live.
    /// Returns how many were pinned: pages past the pinned budget, or never
    /// written, are skipped.
    pub fn pin(&self, pack: &Pack) -> usize {
        let snapshot = &pack.snapshot;
        let budget = self.memory.capacity() / PINNED_SHARE;
        let mut pinned = self.pinned.write();
        let mut count = 0;
        for (i, &page) in pack.pages.iter().enumerate() {
            if pinned.bytes + PAGE_SIZE as u64 > budget {
                tracing::info!(page, "pinned-page budget reached");
                break;
            }
            let Some(frame) = snapshot.frame_of(page) else {
                continue;
            };
            let key = (frame.sid.clone(), page);
            if pinned.pages.contains_key(&key) {
                continue;
            }
            pinned.pages.insert(key, Arc::new(pack.page(i).to_vec()));
            pinned.bytes += PAGE_SIZE as u64;
            count += 1;
        }
        count
    }

    /// The pinned copy of `page`, which `frame` holds.
    fn pinned(&self, frame: &FrameRef, page: u32) -> Option<DecodedFrame> {
        let pinned = self.pinned.read();
        if pinned.pages.is_empty() {
            return None;
        }
        pinned.pages.get(&(frame.sid.clone(), page)).cloned()
    }

    pub fn pinned_bytes(&self) -> u64 {
        self.pinned.read().bytes
    }

    /// Copies page `page` (1-based) of `snapshot` into `out`, which is
    /// `PAGE_SIZE` bytes long. Blocks on a miss.
    pub fn read_page(
        &self,
        snapshot: &Snapshot,
        page: u32,
        out: &mut [u8],
    ) -> Result<(), FetchError> {
        debug_assert_eq!(out.len(), PAGE_SIZE);
        let source = snapshot.locate(page).ok_or(FetchError::PastEnd {
            page,
            page_count: snapshot.page_count(),
        })?;
        let frame = match source {
            PageSource::Empty => {
                out.fill(0);
                return Ok(());
            }
            PageSource::Frame(frame) => frame,
        };
        if let Some(pinned) = self.pinned(&frame, page) {
            out.copy_from_slice(&pinned);
            return Ok(());
        }
        let key = frame.key();
        let decoded = self.memory.get_or_load(&key, || {
            let compressed = self.compressed(&key)?;
            decode(&key, &frame, &compressed)
        })?;
        if let Some(stats) = QueryStats::current() {
            stats.record_use(&key);
        }
        let pos = frame
            .position(page)
            .expect("snapshot maps the page to a frame holding it");
        out.copy_from_slice(&decoded[pos * PAGE_SIZE..(pos + 1) * PAGE_SIZE]);
        Ok(())
    }

    /// Page `page` of `snapshot` if its frame is in memory; never fetches.
    /// A never-written page is `None` too.
    pub fn cached_page(&self, snapshot: &Snapshot, page: u32) -> Option<Page> {
        let frame = snapshot.frame_of(page)?;
        if let Some(pinned) = self.pinned(&frame, page) {
            return Some(Page {
                frame: pinned,
                at: 0,
            });
        }
        let decoded = self.memory.get(&frame.key())?;
        let at = frame.position(page)? * PAGE_SIZE;
        Some(Page { frame: decoded, at })
    }

    /// Brings every page of `pages` into the memory tier: one round of GETs
    /// for all missing frames (see the module doc). Returns the number of
    /// GETs. Blocks; call from a blocking thread.
    pub fn fetch_pages(
        &self,
        snapshot: &Snapshot,
        pages: impl IntoIterator<Item = u32>,
        stats: &QueryStats,
    ) -> Result<usize, FetchError> {
        let mut frames: BTreeMap<FrameKey, Arc<FrameRef>> = BTreeMap::new();
        for page in pages {
            if let Some(frame) = snapshot.frame_of(page)
                && self.pinned(&frame, page).is_none()
            {
                frames.entry(frame.key()).or_insert(frame);
            }
        }
        let mut runs: Vec<Run<'_>> = Vec::new();
        let mut elsewhere = Vec::new();
        for (key, frame) in frames {
            let guard = match self.memory.claim(&key) {
                Claim::Cached(_) => continue,
                Claim::Loading => {
                    elsewhere.push((key, frame));
                    continue;
                }
                Claim::Load(guard) => guard,
            };
            if let Some(compressed) = self.disk.as_ref().and_then(|disk| disk.get(&key)) {
                let _ = guard.insert(decode(&key, &frame, &compressed)?);
                continue;
            }
            // Keys sort by segment, then offset: a frame that starts where
            // the previous run ends extends it.
            match runs.last_mut() {
                Some(run)
                    if run.frames[0].0.sid == frame.sid
                        && run.bytes().end == frame.bytes.start
                        && frame.bytes.end - run.bytes().start <= MAX_MERGED_BYTES =>
                {
                    run.frames.push((frame, guard));
                }
                _ => runs.push(Run {
                    frames: vec![(frame, guard)],
                }),
            }
        }
        let requests = runs.len();
        if requests == 0 && elsewhere.is_empty() {
            return Ok(0);
        }
        for _ in 0..requests.div_ceil(FETCH_CONCURRENCY) {
            stats.record_round(1);
        }
        let fetched: Vec<(Run<'_>, Bytes)> = self.runtime.block_on(
            stream::iter(runs)
                .map(|run| self.get_run(run, stats))
                .buffer_unordered(FETCH_CONCURRENCY)
                .try_collect(),
        )?;
        // A round's frames arrive together: decompress them on every core.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = fetched.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let mut fetched = fetched;
            let mut workers = Vec::new();
            while fetched.len() > chunk {
                let rest = fetched.split_off(chunk);
                let mine = std::mem::replace(&mut fetched, rest);
                workers.push(scope.spawn(move || self.store_runs(mine)));
            }
            let last = self.store_runs(fetched);
            workers
                .into_iter()
                .map(|w| w.join().expect("decoding a frame does not panic"))
                .chain([last])
                .collect::<Result<(), FetchError>>()
        })?;
        // Frames another thread was loading: wait for them (or load them
        // if that load failed), so they are in memory when this returns.
        for (key, frame) in elsewhere {
            self.memory.get_or_load(&key, || {
                let compressed = self.compressed(&key)?;
                decode(&key, &frame, &compressed)
            })?;
        }
        Ok(requests)
    }

    /// Fetches one run with one GET.
    async fn get_run<'a>(
        &self,
        run: Run<'a>,
        stats: &QueryStats,
    ) -> Result<(Run<'a>, Bytes), FetchError> {
        let sid = run.frames[0].0.sid.clone();
        let bytes = self.remote.get_segment_range(&sid, run.bytes()).await?;
        stats.record_request(bytes.len(), run.frames.iter().map(|(f, _)| f.key()));
        Ok((run, bytes))
    }

    /// Decodes and caches each frame of fetched runs.
    fn store_runs(&self, runs: Vec<(Run<'_>, Bytes)>) -> Result<(), FetchError> {
        for (run, bytes) in runs {
            let start = run.bytes().start;
            for (frame, guard) in run.frames {
                let key = frame.key();
                let compressed = bytes.slice(frame.bytes.start - start..frame.bytes.end - start);
                if let Some(disk) = &self.disk {
                    disk.put(&key, &compressed);
                }
                let _ = guard.insert(decode(&key, &frame, &compressed)?);
            }
        }
        Ok(())
    }

    fn compressed(&self, key: &FrameKey) -> Result<Bytes, FetchError> {
        if let Some(bytes) = self.disk.as_ref().and_then(|disk| disk.get(key)) {
            return Ok(bytes);
        }
        let bytes = self
            .runtime
            .block_on(self.remote.get_segment_range(&key.sid, key.start..key.end))?;
        tracing::debug!(sid = %key.sid.short(), bytes = bytes.len(), "fetched frame");
        if let Some(stats) = QueryStats::current() {
            stats.record_round(1);
            stats.record_request(bytes.len(), [key.clone()]);
        }
        if let Some(disk) = &self.disk {
            disk.put(key, &bytes);
        }
        Ok(bytes)
    }

    pub fn memory_bytes(&self) -> u64 {
        self.memory.weight()
    }

    /// How many bytes of decoded frames the local tiers can hold: a bound
    /// for read-ahead, beyond which prefetched pages would evict each other.
    pub fn cache_budget(&self) -> u64 {
        let disk = self.disk.as_ref().map_or(0, DiskCache::max_bytes);
        self.memory.capacity().max(disk)
    }
}

/// Decompresses one zstd frame and checks it holds exactly its pages.
fn decode(key: &FrameKey, frame: &FrameRef, compressed: &[u8]) -> Result<DecodedFrame, FetchError> {
    let decoded = zstd::stream::decode_all(compressed).map_err(|err| FetchError::Decode {
        key: key.clone(),
        reason: err.to_string(),
    })?;
    if decoded.len() != frame.decoded_len() {
        return Err(FetchError::Decode {
            key: key.clone(),
            reason: format!("{} bytes, expected {}", decoded.len(), frame.decoded_len()),
        });
    }
    Ok(Arc::new(decoded))
}
