//! Page reads: from the memory tier, else the disk tier, else one ranged GET
//! of the frame that holds the page.
//!
//! These calls block. SQLite calls them from its VFS on a blocking thread;
//! the object-store future runs on the Tokio runtime through
//! `Handle::block_on`, which must never happen on an async task.

use std::sync::Arc;

use bytes::Bytes;

use super::cache::{DecodedFrame, DiskCache, FrameKey, MemoryCache};
use super::remote::{Remote, RemoteError};
use super::snapshot::{FrameRef, PAGE_SIZE, PageSource, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("frame {key:?} does not decode: {reason}")]
    Decode { key: FrameKey, reason: String },
    #[error("page {page} is past the end of the volume ({page_count} pages)")]
    PastEnd { page: u32, page_count: u32 },
}

/// Reads pages of any snapshot of any volume of one bucket.
pub struct PageStore {
    remote: Remote,
    memory: MemoryCache,
    disk: Option<DiskCache>,
    runtime: tokio::runtime::Handle,
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
            runtime,
        }
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
        let decoded = self.frame(&frame)?;
        let pos = frame
            .position(page)
            .expect("snapshot maps the page to a frame holding it");
        out.copy_from_slice(&decoded[pos * PAGE_SIZE..(pos + 1) * PAGE_SIZE]);
        Ok(())
    }

    fn frame(&self, frame: &Arc<FrameRef>) -> Result<DecodedFrame, FetchError> {
        let key = FrameKey {
            sid: frame.sid.clone(),
            start: frame.bytes.start,
            end: frame.bytes.end,
        };
        self.memory.get_or_load(&key, || {
            let compressed = self.compressed(&key)?;
            decode(&key, frame, &compressed)
        })
    }

    fn compressed(&self, key: &FrameKey) -> Result<Bytes, FetchError> {
        if let Some(bytes) = self.disk.as_ref().and_then(|disk| disk.get(key)) {
            return Ok(bytes);
        }
        let bytes = self
            .runtime
            .block_on(self.remote.get_segment_range(&key.sid, key.start..key.end))?;
        tracing::debug!(sid = %key.sid.short(), bytes = bytes.len(), "fetched frame");
        if let Some(disk) = &self.disk {
            disk.put(key, &bytes);
        }
        Ok(bytes)
    }

    pub fn memory_bytes(&self) -> u64 {
        self.memory.weight()
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
