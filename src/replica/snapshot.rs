//! Snapshots: one consistent version of a volume and where each of its pages
//! lives in the object store.
//!
//! A [`Snapshot`] is immutable and cheap to share. It maps every page of the
//! volume at one LSN to the segment frame holding its newest version, so a
//! page lookup is one array index however long the log is (Graft 0.2.1's own
//! lookup walks every commit). Applying a commit makes a new snapshot; readers
//! that pinned the old one keep reading it undisturbed.

use std::ops::Range;
use std::sync::Arc;

use graft::core::commit::Commit;
use graft::core::{LogId, PageIdx, SegmentId};

use super::cache::FrameKey;

/// SQLite and Graft pages are always 4 KiB.
pub const PAGE_SIZE: usize = 4096;

/// One zstd frame of a segment: up to 64 consecutive pages of one commit.
#[derive(Debug, PartialEq, Eq)]
pub struct FrameRef {
    pub sid: SegmentId,
    /// Byte range of the compressed frame inside the segment object.
    pub bytes: Range<usize>,
    /// The pages the frame holds, ascending; page `pages[i]` is the i-th
    /// 4 KiB block of the decompressed frame.
    pub pages: Vec<u32>,
}

impl FrameRef {
    /// Position of `page` inside the decompressed frame.
    pub fn position(&self, page: u32) -> Option<usize> {
        self.pages.binary_search(&page).ok()
    }

    pub fn decoded_len(&self) -> usize {
        self.pages.len() * PAGE_SIZE
    }

    /// The key the frame is cached under.
    pub fn key(&self) -> FrameKey {
        FrameKey {
            sid: self.sid.clone(),
            start: self.bytes.start,
            end: self.bytes.end,
        }
    }
}

/// Where a page of a snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageSource {
    /// Never written (or truncated and regrown): all zeros.
    Empty,
    /// Held by this frame.
    Frame(Arc<FrameRef>),
}

/// A consistent, immutable version of a volume.
#[derive(Debug, Clone)]
pub struct Snapshot {
    log: LogId,
    /// LSN of the newest commit included; 0 for an empty volume.
    lsn: u64,
    page_count: u32,
    /// `slots[p - 1]` is 0 for an empty page, else `frames` index + 1.
    slots: Arc<Vec<u32>>,
    frames: Arc<Vec<Arc<FrameRef>>>,
}

impl Snapshot {
    pub fn empty(log: LogId) -> Self {
        Self {
            log,
            lsn: 0,
            page_count: 0,
            slots: Arc::default(),
            frames: Arc::default(),
        }
    }

    pub fn log(&self) -> &LogId {
        &self.log
    }

    pub fn lsn(&self) -> u64 {
        self.lsn
    }

    pub fn page_count(&self) -> u32 {
        self.page_count
    }

    /// Size of the database file this snapshot represents.
    pub fn file_size(&self) -> u64 {
        u64::from(self.page_count) * PAGE_SIZE as u64
    }

    /// Where page `page` (1-based) lives; `None` past the end of the volume.
    pub fn locate(&self, page: u32) -> Option<PageSource> {
        if page == 0 || page > self.page_count {
            return None;
        }
        let slot = self.slots.get(page as usize - 1).copied().unwrap_or(0);
        Some(match slot {
            0 => PageSource::Empty,
            n => PageSource::Frame(self.frames[n as usize - 1].clone()),
        })
    }

    /// The frame holding page `page`, if it is stored at all.
    pub fn frame_of(&self, page: u32) -> Option<Arc<FrameRef>> {
        match self.locate(page)? {
            PageSource::Frame(frame) => Some(frame),
            PageSource::Empty => None,
        }
    }

    /// Number of distinct frames the snapshot's pages live in.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The snapshot after `commit`, which must be the next commit of the log.
    pub fn apply(&self, commit: &Commit) -> Result<Snapshot, String> {
        self.apply_all(std::slice::from_ref(commit))
    }

    /// The snapshot after `commits`, the next commits of the log in order.
    /// The page map is copied once, however many commits there are.
    pub fn apply_all(&self, commits: &[Commit]) -> Result<Snapshot, String> {
        let mut lsn = self.lsn;
        let mut page_count = self.page_count;
        let mut slots = Vec::clone(&self.slots);
        let mut frames = Vec::clone(&self.frames);
        for commit in commits {
            let next: u64 = commit.lsn().into();
            if next != lsn + 1 {
                return Err(format!(
                    "commit {next} does not follow snapshot {lsn} of log {}",
                    self.log
                ));
            }
            lsn = next;
            page_count = commit.page_count().to_u32();
            slots.resize(page_count as usize, 0);
            let Some(index) = commit.segment_idx() else {
                continue;
            };
            for range in index.iter_frames(|_| true) {
                let pages: Vec<u32> = range.pageset.iter().map(PageIdx::to_u32).collect();
                frames.push(Arc::new(FrameRef {
                    sid: range.sid.clone(),
                    bytes: range.bytes.clone(),
                    pages: pages.clone(),
                }));
                let frame_no = u32::try_from(frames.len()).map_err(|_| "too many frames")?;
                for page in pages {
                    if let Some(slot) = slots.get_mut(page as usize - 1) {
                        *slot = frame_no;
                    }
                }
            }
        }
        Ok(Snapshot {
            log: self.log.clone(),
            lsn,
            page_count,
            slots: Arc::new(slots),
            frames: Arc::new(frames),
        })
    }

    /// What the snapshot is made of, with the frames no page maps to any
    /// more left out: its size follows the volume's, not the log's.
    pub fn parts(&self) -> Parts {
        let mut renumber = vec![0u32; self.frames.len() + 1];
        let mut frames = Vec::new();
        let slots = self
            .slots
            .iter()
            .map(|&slot| {
                if slot == 0 {
                    return 0;
                }
                if renumber[slot as usize] == 0 {
                    frames.push(self.frames[slot as usize - 1].clone());
                    renumber[slot as usize] = frames.len() as u32;
                }
                renumber[slot as usize]
            })
            .collect();
        Parts {
            lsn: self.lsn,
            page_count: self.page_count,
            frames,
            slots,
        }
    }

    /// The snapshot `parts` describe, checked.
    pub fn from_parts(log: LogId, parts: Parts) -> Result<Snapshot, String> {
        if parts.slots.len() != parts.page_count as usize {
            return Err(format!(
                "{} page slots for {} pages",
                parts.slots.len(),
                parts.page_count
            ));
        }
        for (i, &slot) in parts.slots.iter().enumerate() {
            let page = i as u32 + 1;
            let holds = match slot {
                0 => true,
                n => parts
                    .frames
                    .get(n as usize - 1)
                    .is_some_and(|f| f.position(page).is_some()),
            };
            if !holds {
                return Err(format!("page {page} maps to frame {slot}, which lacks it"));
            }
        }
        Ok(Snapshot {
            log,
            lsn: parts.lsn,
            page_count: parts.page_count,
            slots: Arc::new(parts.slots),
            frames: Arc::new(parts.frames),
        })
    }
}

/// A snapshot's contents (see [`Snapshot::parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub lsn: u64,
    pub page_count: u32,
    /// The frames pages map to.
    pub frames: Vec<Arc<FrameRef>>,
    /// Per page, 0 if never written, else its frame's index in `frames` + 1.
    pub slots: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use graft::core::commit::{SegmentFrameIdx, SegmentIdx};
    use graft::core::lsn::LSN;
    use graft::core::pageset::PageSet;
    use graft::core::{PageCount, SegmentId};

    /// Frame index entries from (compressed size, last page) pairs.
    fn frames(spec: &[(usize, u32)]) -> Vec<SegmentFrameIdx> {
        spec.iter()
            .map(|&(size, last)| SegmentFrameIdx::new(size, PageIdx::try_new(last).unwrap()))
            .collect()
    }

    fn commit(
        log: &LogId,
        lsn: u64,
        page_count: u32,
        pages: &[u32],
        spec: &[(usize, u32)],
    ) -> Commit {
        let mut set = PageSet::default();
        for &p in pages {
            set.insert(PageIdx::try_new(p).unwrap());
        }
        let frames: Vec<SegmentFrameIdx> = frames(spec);
        let idx =
            SegmentIdx::new(SegmentId::random(), set).with_frames(frames.into_iter().collect());
        Commit::new(log.clone(), LSN::new(lsn), PageCount::new(page_count))
            .with_segment_idx(Some(idx))
    }

    #[test]
    fn newest_commit_wins_and_truncation_hides_pages() {
        let log = LogId::random();
        let s0 = Snapshot::empty(log.clone());
        let s1 = s0
            .apply(&commit(&log, 1, 3, &[1, 2, 3], &[(100, 2), (50, 3)]))
            .unwrap();
        let Some(PageSource::Frame(f)) = s1.locate(3) else {
            panic!()
        };
        assert_eq!(f.bytes, 100..150);
        assert_eq!(f.pages, vec![3]);
        let Some(PageSource::Frame(f)) = s1.locate(2) else {
            panic!()
        };
        assert_eq!((f.bytes.clone(), f.position(2)), (0..100, Some(1)));

        // Commit 2 rewrites page 2 and grows to 5 pages, leaving 4 empty.
        let s2 = s1.apply(&commit(&log, 2, 5, &[2, 5], &[(70, 5)])).unwrap();
        let Some(PageSource::Frame(f)) = s2.locate(2) else {
            panic!()
        };
        assert_eq!(f.pages, vec![2, 5]);
        assert_eq!(s2.locate(4), Some(PageSource::Empty));
        assert_eq!(s2.locate(6), None);
        // The old snapshot is untouched.
        let Some(PageSource::Frame(f)) = s1.locate(2) else {
            panic!()
        };
        assert_eq!(f.bytes, 0..100);

        // Commit 3 truncates to 1 page.
        let s3 = s2
            .apply(&Commit::new(log.clone(), LSN::new(3), PageCount::new(1)))
            .unwrap();
        assert_eq!(s3.page_count(), 1);
        assert_eq!(s3.locate(2), None);
    }

    #[test]
    fn parts_keep_only_live_frames_and_rebuild_the_snapshot() {
        let log = LogId::random();
        let commits = [
            commit(&log, 1, 3, &[1, 2, 3], &[(100, 2), (50, 3)]),
            commit(&log, 2, 5, &[1, 2, 5], &[(70, 5)]),
        ];
        let one_by_one = Snapshot::empty(log.clone())
            .apply(&commits[0])
            .unwrap()
            .apply(&commits[1])
            .unwrap();
        let at_once = Snapshot::empty(log.clone()).apply_all(&commits).unwrap();
        let parts = at_once.parts();
        assert_eq!(parts, one_by_one.parts());
        // Frame 0..100 of commit 1 (pages 1, 2) is dead: both were rewritten.
        assert_eq!(parts.frames.len(), 2);
        assert_eq!(parts.slots, vec![1, 1, 2, 0, 1]);
        let rebuilt = Snapshot::from_parts(log.clone(), parts.clone()).unwrap();
        for page in 0..=6 {
            assert_eq!(rebuilt.locate(page), at_once.locate(page), "page {page}");
        }
        assert_eq!((rebuilt.lsn(), rebuilt.page_count()), (2, 5));
        // A slot pointing at a frame that lacks the page is refused.
        let mut wrong = parts;
        wrong.slots[2] = 1;
        assert!(Snapshot::from_parts(log, wrong).is_err());
    }

    #[test]
    fn out_of_order_commits_are_rejected() {
        let log = LogId::random();
        let s0 = Snapshot::empty(log.clone());
        assert!(s0.apply(&commit(&log, 2, 1, &[1], &[(10, 1)])).is_err());
    }
}
