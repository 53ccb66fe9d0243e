//! Snapshot packs: one object that lets a replica open a volume in one GET.
//!
//! Opening a volume from Graft's log alone costs three sequential rounds
//! before the first page can be read (the manifest, a LIST of the commits,
//! then the commits), and its B-tree interior pages lie scattered over the
//! segments' frames, so fetching them means fetching ~10% of the database's
//! bytes for ~1% of its pages. The importer, which has the whole file at
//! hand, therefore writes `graftgres/packs/{name}` after each push: the
//! snapshot at one LSN (where each page lives: the live frames and a frame
//! number per page, so its size follows the volume's, not the log's), and
//! the schema and interior pages of every B-tree as of that LSN,
//! zstd-compressed. It is also what keeps opening fast as the log grows:
//! a replica never reads the commits before the pack's LSN.
//!
//! A pack is only a hint. A replica that finds none (or one it cannot
//! decode, or one for another log) opens from the log as before; one that
//! is behind the log is caught up by the follower. Its pages are keyed by
//! where the snapshot says they live (segment, frame, page), which never
//! changes, so a page a later commit rewrote is simply never looked up.

use std::sync::Arc;

use bilrost::{Message, OwnedMessage};
use bytes::Bytes;
use graft::core::{LogId, SegmentId};
use object_store::path::Path;

use super::remote::{Remote, RemoteError};
use super::snapshot::{FrameRef, PAGE_SIZE, Parts, Snapshot};

/// Bumped when the encoding changes; a replica ignores other versions.
const VERSION: u32 = 1;

/// A volume's snapshot and interior pages as of one LSN.
#[derive(Debug, Clone)]
pub struct Pack {
    pub snapshot: Snapshot,
    /// Page numbers, ascending, and their contents back to back, as of
    /// the snapshot.
    pub pages: Vec<u32>,
    pub data: Bytes,
}

/// The encoded form (see [`Pack`]).
#[derive(Message)]
struct Encoded {
    #[bilrost(1)]
    version: u32,
    #[bilrost(2)]
    log: LogId,
    #[bilrost(3)]
    lsn: u64,
    #[bilrost(4)]
    page_count: u32,
    #[bilrost(5)]
    frames: Vec<EncodedFrame>,
    /// Per page: 0, or the index in `frames` + 1.
    #[bilrost(6)]
    slots: Vec<u32>,
    #[bilrost(7)]
    pages: Vec<u32>,
    #[bilrost(8)]
    data: Bytes,
}

#[derive(Message)]
struct EncodedFrame {
    #[bilrost(1)]
    sid: SegmentId,
    #[bilrost(2)]
    start: u64,
    #[bilrost(3)]
    end: u64,
    #[bilrost(4)]
    pages: Vec<u32>,
}

impl Pack {
    pub fn log(&self) -> &LogId {
        self.snapshot.log()
    }

    pub fn lsn(&self) -> u64 {
        self.snapshot.lsn()
    }

    /// Page `i` of [`Pack::pages`].
    pub fn page(&self, i: usize) -> Bytes {
        self.data.slice(i * PAGE_SIZE..(i + 1) * PAGE_SIZE)
    }

    pub fn encode(&self) -> Bytes {
        let parts = self.snapshot.parts();
        let frames = parts
            .frames
            .iter()
            .map(|f| EncodedFrame {
                sid: f.sid.clone(),
                start: f.bytes.start as u64,
                end: f.bytes.end as u64,
                pages: f.pages.clone(),
            })
            .collect();
        let encoded = Encoded {
            version: VERSION,
            log: self.log().clone(),
            lsn: parts.lsn,
            page_count: parts.page_count,
            frames,
            slots: parts.slots,
            pages: self.pages.clone(),
            data: self.data.clone(),
        };
        let raw = encoded.encode_to_vec();
        Bytes::from(zstd::bulk::compress(&raw, 3).expect("zstd compresses into a Vec"))
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let raw = zstd::stream::decode_all(bytes).map_err(|err| err.to_string())?;
        let encoded = Encoded::decode(Bytes::from(raw)).map_err(|err| err.to_string())?;
        if encoded.version != VERSION {
            return Err(format!("pack version {}", encoded.version));
        }
        let frames = encoded
            .frames
            .into_iter()
            .map(|f| {
                let (start, end) = (to_usize(f.start)?, to_usize(f.end)?);
                if start >= end || !f.pages.windows(2).all(|w| w[0] < w[1]) {
                    return Err(format!("frame {start}..{end} of {} is malformed", f.sid));
                }
                Ok(Arc::new(FrameRef {
                    sid: f.sid,
                    bytes: start..end,
                    pages: f.pages,
                }))
            })
            .collect::<Result<_, String>>()?;
        let parts = Parts {
            lsn: encoded.lsn,
            page_count: encoded.page_count,
            frames,
            slots: encoded.slots,
        };
        let pack = Pack {
            snapshot: Snapshot::from_parts(encoded.log, parts)?,
            pages: encoded.pages,
            data: encoded.data,
        };
        if pack.data.len() != pack.pages.len() * PAGE_SIZE {
            return Err(format!(
                "{} bytes for {} pages",
                pack.data.len(),
                pack.pages.len()
            ));
        }
        if !pack.pages.windows(2).all(|w| w[0] < w[1]) || pack.pages.first() == Some(&0) {
            return Err("page numbers are not ascending".into());
        }
        Ok(pack)
    }
}

fn to_usize(n: u64) -> Result<usize, String> {
    usize::try_from(n).map_err(|_| format!("offset {n} is out of range"))
}

fn pack_path(name: &str) -> Path {
    Path::from_iter(["graftgres", "packs", name])
}

/// Reads volume `name`'s pack, with its size in the bucket; `None` if there
/// is none or it is unusable (logged: a pack is only a hint).
pub async fn get(remote: &Remote, name: &str) -> Result<Option<(Pack, usize)>, RemoteError> {
    let Some(bytes) = remote.get_optional(&pack_path(name)).await? else {
        return Ok(None);
    };
    match Pack::decode(&bytes) {
        Ok(pack) => Ok(Some((pack, bytes.len()))),
        Err(reason) => {
            tracing::warn!(volume = name, %reason, "ignoring an unusable snapshot pack");
            Ok(None)
        }
    }
}

/// Writes volume `name`'s pack, replacing the previous one.
pub async fn put(remote: &Remote, name: &str, pack: &Pack) -> Result<(), RemoteError> {
    remote.put(&pack_path(name), pack.encode()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use graft::core::commit::{Commit, SegmentFrameIdx, SegmentIdx};
    use graft::core::lsn::LSN;
    use graft::core::pageset::PageSet;
    use graft::core::{PageCount, PageIdx};

    /// A snapshot of `lsn` commits, each rewriting pages 1..=3 in one frame.
    fn pack(lsn: u64, pages: &[u32]) -> Pack {
        let log = LogId::random();
        let commits: Vec<Commit> = (1..=lsn)
            .map(|l| {
                let mut set = PageSet::default();
                for p in 1..=3 {
                    set.insert(PageIdx::try_new(p).unwrap());
                }
                let frame = SegmentFrameIdx::new(100, PageIdx::try_new(3).unwrap());
                let idx = SegmentIdx::new(SegmentId::random(), set)
                    .with_frames([frame].into_iter().collect());
                Commit::new(log.clone(), LSN::new(l), PageCount::new(3)).with_segment_idx(Some(idx))
            })
            .collect();
        let mut data = Vec::new();
        for &p in pages {
            data.extend(std::iter::repeat_n(p as u8, PAGE_SIZE));
        }
        Pack {
            snapshot: Snapshot::empty(log).apply_all(&commits).unwrap(),
            pages: pages.to_vec(),
            data: Bytes::from(data),
        }
    }

    #[test]
    fn round_trips_with_only_the_live_frames() {
        let pack = pack(3, &[1, 2, 3]);
        let decoded = Pack::decode(&pack.encode()).unwrap();
        assert_eq!(decoded.snapshot.parts(), pack.snapshot.parts());
        assert_eq!((decoded.log(), decoded.lsn()), (pack.log(), 3));
        assert_eq!(decoded.page(2)[0], 3);
        assert_eq!((decoded.pages, decoded.data), (pack.pages, pack.data));
        // Commits 1 and 2 wrote frames that commit 3 replaced whole.
        assert_eq!(decoded.snapshot.parts().frames.len(), 1);
    }

    #[test]
    fn rejects_what_a_reader_could_not_trust() {
        assert!(Pack::decode(b"not zstd").is_err());
        let mut unsorted = pack(1, &[2, 1]);
        unsorted.pages = vec![2, 1];
        assert!(Pack::decode(&unsorted.encode()).is_err());
        let mut short = pack(1, &[1, 2]);
        short.data = short.data.slice(..PAGE_SIZE);
        assert!(Pack::decode(&short.encode()).is_err());
        let encoded = pack(2, &[1]).encode();
        let raw = zstd::stream::decode_all(&encoded[..]).unwrap();
        let truncated = zstd::bulk::compress(&raw[..raw.len() - 9], 3).unwrap();
        assert!(Pack::decode(&truncated).is_err());
    }
}
