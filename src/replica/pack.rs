//! Snapshot packs: one object that lets a replica open a volume in one GET.
//!
//! Opening a volume from Graft's log alone costs three sequential rounds
//! before the first page can be read (the manifest, a LIST of the commits,
//! then the commits), and its B-tree interior pages lie scattered over the
//! segments' frames, so fetching them means fetching ~10% of the database's
//! bytes for ~1% of its pages. The importer, which has the whole file at
//! hand, therefore writes `graftgres/packs/{name}` after each push: the
//! log's commits up to one LSN, and the schema and interior pages of every
//! B-tree as of that LSN, zstd-compressed.
//!
//! A pack is only a hint. A replica that finds none (or one it cannot
//! decode, or one for another log) opens from the log as before; one that
//! is behind the log is caught up by the follower. Its pages are keyed by
//! where the snapshot says they live (segment, frame, page), which never
//! changes, so a page a later commit rewrote is simply never looked up.

use bilrost::{Message, OwnedMessage};
use bytes::Bytes;
use graft::core::LogId;
use graft::core::commit::Commit;
use object_store::path::Path;

use super::remote::{Remote, RemoteError};
use super::snapshot::PAGE_SIZE;

/// Bumped when the encoding changes; a replica ignores other versions.
const VERSION: u32 = 1;

/// A volume's commits and interior pages as of one LSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    pub log: LogId,
    /// LSN of the last commit; the pages are as of this LSN.
    pub lsn: u64,
    /// Every commit of the log from LSN 1 to `lsn`, in order.
    pub commits: Vec<Commit>,
    /// Page numbers, ascending, and their contents back to back.
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
    commits: Vec<Commit>,
    #[bilrost(5)]
    pages: Vec<u32>,
    #[bilrost(6)]
    data: Bytes,
}

impl Pack {
    /// Page `i` of [`Pack::pages`].
    pub fn page(&self, i: usize) -> Bytes {
        self.data.slice(i * PAGE_SIZE..(i + 1) * PAGE_SIZE)
    }

    pub fn encode(&self) -> Bytes {
        let encoded = Encoded {
            version: VERSION,
            log: self.log.clone(),
            lsn: self.lsn,
            commits: self.commits.clone(),
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
        let pack = Pack {
            log: encoded.log,
            lsn: encoded.lsn,
            commits: encoded.commits,
            pages: encoded.pages,
            data: encoded.data,
        };
        pack.check()?;
        Ok(pack)
    }

    /// The invariants a reader relies on.
    fn check(&self) -> Result<(), String> {
        if self.data.len() != self.pages.len() * PAGE_SIZE {
            return Err(format!(
                "{} bytes for {} pages",
                self.data.len(),
                self.pages.len()
            ));
        }
        if !self.pages.windows(2).all(|w| w[0] < w[1]) || self.pages.first() == Some(&0) {
            return Err("page numbers are not ascending".into());
        }
        let lsns: Vec<u64> = self.commits.iter().map(|c| c.lsn().into()).collect();
        if lsns != (1..=self.lsn).collect::<Vec<_>>() {
            return Err(format!("commits {lsns:?} are not 1..={}", self.lsn));
        }
        if self.commits.iter().any(|c| c.log() != &self.log) {
            return Err("a commit of another log".into());
        }
        Ok(())
    }
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
    use graft::core::PageCount;
    use graft::core::lsn::LSN;

    fn pack(lsn: u64, pages: &[u32]) -> Pack {
        let log = LogId::random();
        let commits = (1..=lsn)
            .map(|l| Commit::new(log.clone(), LSN::new(l), PageCount::new(3)))
            .collect();
        let mut data = Vec::new();
        for &p in pages {
            data.extend(std::iter::repeat_n(p as u8, PAGE_SIZE));
        }
        Pack {
            log,
            lsn,
            commits,
            pages: pages.to_vec(),
            data: Bytes::from(data),
        }
    }

    #[test]
    fn round_trips() {
        let pack = pack(3, &[1, 2, 7]);
        let decoded = Pack::decode(&pack.encode()).unwrap();
        assert_eq!(decoded, pack);
        assert_eq!(decoded.page(2)[0], 7);
    }

    #[test]
    fn rejects_what_a_reader_could_not_trust() {
        assert!(Pack::decode(b"not zstd").is_err());
        let mut gap = pack(3, &[1]);
        gap.commits.remove(1);
        assert!(Pack::decode(&gap.encode()).is_err());
        let mut unsorted = pack(1, &[2, 1]);
        unsorted.pages = vec![2, 1];
        assert!(Pack::decode(&unsorted.encode()).is_err());
        let mut short = pack(1, &[1, 2]);
        short.data = short.data.slice(..PAGE_SIZE);
        assert!(Pack::decode(&short.encode()).is_err());
    }
}
