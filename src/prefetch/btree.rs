//! Reading SQLite B-tree pages: their kind, children and cells.
//!
//! Only what prefetching needs: which child pages an interior page points
//! at and with which keys, which rowids a table leaf holds and where their
//! overflow chains start, and the key records of index pages (the part of
//! each record stored on the page). Malformed pages yield nothing rather
//! than an error: a prefetch hint may be wrong, never harmful.

use super::record::varint;

/// Bytes of a page SQLite uses (the file format's usable size, with no
/// reserved bytes: what every Graft volume imported here has).
pub const USABLE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TableInterior,
    TableLeaf,
    IndexInterior,
    IndexLeaf,
}

impl Kind {
    pub fn is_leaf(self) -> bool {
        matches!(self, Kind::TableLeaf | Kind::IndexLeaf)
    }
}

/// A B-tree page, borrowed.
pub struct BtreePage<'a> {
    data: &'a [u8],
    /// Where the B-tree header starts: 100 on page 1, else 0.
    header: usize,
    kind: Kind,
    cells: usize,
}

/// A cell of an interior index page: a child, and the key that bounds it
/// above (itself an index entry).
pub struct IndexDivider<'a> {
    pub child: u32,
    pub record: &'a [u8],
}

impl<'a> BtreePage<'a> {
    /// Parses page `page_no` (1-based); `None` if it is not a B-tree page.
    pub fn parse(page_no: u32, data: &'a [u8]) -> Option<Self> {
        let header = if page_no == 1 { 100 } else { 0 };
        let kind = match *data.get(header)? {
            2 => Kind::IndexInterior,
            5 => Kind::TableInterior,
            10 => Kind::IndexLeaf,
            13 => Kind::TableLeaf,
            _ => return None,
        };
        let cells = u16::from_be_bytes([*data.get(header + 3)?, *data.get(header + 4)?]) as usize;
        Some(Self {
            data,
            header,
            kind,
            cells,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn header_len(&self) -> usize {
        if self.kind.is_leaf() { 8 } else { 12 }
    }

    fn right_child(&self) -> Option<u32> {
        (!self.kind.is_leaf()).then(|| be32(self.data, self.header + 8))?
    }

    /// Offsets of the cells, in key order.
    fn cell_offsets(&self) -> impl Iterator<Item = usize> + '_ {
        let array = self.header + self.header_len();
        (0..self.cells).filter_map(move |i| {
            let at = array + 2 * i;
            let offset = u16::from_be_bytes([*self.data.get(at)?, *self.data.get(at + 1)?]);
            Some(offset as usize).filter(|&o| o < self.data.len())
        })
    }

    /// Every child page, in key order (the right child last).
    pub fn children(&self) -> Vec<u32> {
        if self.kind.is_leaf() {
            return Vec::new();
        }
        let mut out: Vec<u32> = self
            .cell_offsets()
            .filter_map(|at| be32(self.data, at))
            .collect();
        out.extend(self.right_child());
        out
    }

    /// An interior table page's cells as (child, largest rowid in it), then
    /// the right child with `None`.
    pub fn table_dividers(&self) -> Vec<(u32, Option<i64>)> {
        if self.kind != Kind::TableInterior {
            return Vec::new();
        }
        let mut out: Vec<(u32, Option<i64>)> = self
            .cell_offsets()
            .filter_map(|at| {
                let child = be32(self.data, at)?;
                let (rowid, _) = varint(self.data.get(at + 4..)?)?;
                Some((child, Some(rowid as i64)))
            })
            .collect();
        out.extend(self.right_child().map(|child| (child, None)));
        out
    }

    /// An interior index page's cells, then its right child (with an empty
    /// record: it is bounded by nothing above).
    pub fn index_dividers(&self) -> Vec<IndexDivider<'a>> {
        if self.kind != Kind::IndexInterior {
            return Vec::new();
        }
        let data = self.data;
        let mut out: Vec<IndexDivider<'a>> = self
            .cell_offsets()
            .filter_map(|at| {
                let child = be32(data, at)?;
                let (record, _) = payload(data, at + 4, Kind::IndexInterior)?;
                Some(IndexDivider { child, record })
            })
            .collect();
        out.extend(
            self.right_child()
                .map(|child| IndexDivider { child, record: &[] }),
        );
        out
    }

    /// A table leaf's rows as (rowid, first overflow page).
    pub fn table_rows(&self) -> Vec<(i64, Option<u32>)> {
        self.table_payloads()
            .into_iter()
            .map(|(rowid, _, overflow)| (rowid, overflow))
            .collect()
    }

    /// A table leaf's rows as (rowid, local part of the record, first
    /// overflow page).
    pub fn table_payloads(&self) -> Vec<(i64, &'a [u8], Option<u32>)> {
        if self.kind != Kind::TableLeaf {
            return Vec::new();
        }
        let data = self.data;
        self.cell_offsets()
            .filter_map(|at| {
                let (size, n) = varint(data.get(at..)?)?;
                let (rowid, m) = varint(data.get(at + n..)?)?;
                let (local, overflow) = payload_with_size(data, at + n + m, size, Kind::TableLeaf)?;
                Some((rowid as i64, local, overflow))
            })
            .collect()
    }

    /// An index leaf's key records (their local part).
    pub fn index_records(&self) -> Vec<&'a [u8]> {
        if self.kind != Kind::IndexLeaf {
            return Vec::new();
        }
        let data = self.data;
        self.cell_offsets()
            .filter_map(|at| payload(data, at, Kind::IndexLeaf).map(|(record, _)| record))
            .collect()
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?)).filter(|&p| p != 0)
}

/// The payload starting at `at` with its size varint first.
fn payload(data: &[u8], at: usize, kind: Kind) -> Option<(&[u8], Option<u32>)> {
    let (size, n) = varint(data.get(at..)?)?;
    payload_with_size(data, at + n, size, kind)
}

/// The local part of a payload of `size` bytes at `at`, and the first
/// overflow page if it spills (the file format's section 1.6).
fn payload_with_size(
    data: &[u8],
    at: usize,
    size: u64,
    kind: Kind,
) -> Option<(&[u8], Option<u32>)> {
    let u = USABLE;
    let max_local = match kind {
        Kind::TableLeaf => u - 35,
        _ => (u - 12) * 64 / 255 - 23,
    };
    let min_local = (u - 12) * 32 / 255 - 23;
    let size = usize::try_from(size).ok()?;
    if size <= max_local {
        return Some((data.get(at..at + size)?, None));
    }
    let k = min_local + (size - min_local) % (u - 4);
    let local = if k <= max_local { k } else { min_local };
    Some((data.get(at..at + local)?, be32(data, at + local)))
}

/// The next page of an overflow chain.
pub fn overflow_next(page: &[u8]) -> Option<u32> {
    be32(page, 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::prefetch::record::{Key, columns, last_int};
    use rusqlite::Connection;

    /// A real database file, written by SQLite: pages of 4 KiB.
    pub fn database(setup: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE;")
            .unwrap();
        conn.execute_batch(setup).unwrap();
        drop(conn);
        std::fs::read(&path).unwrap()
    }

    pub fn page(file: &[u8], n: u32) -> &[u8] {
        &file[(n as usize - 1) * USABLE..n as usize * USABLE]
    }

    pub fn root(setup: &str, name: &str) -> (Vec<u8>, u32) {
        let file = database(setup);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        std::fs::write(&path, &file).unwrap();
        let conn = Connection::open(&path).unwrap();
        let root: u32 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap();
        (file, root)
    }

    /// Walks a whole tree, returning its leaves.
    fn leaves(file: &[u8], root: u32) -> Vec<u32> {
        let mut frontier = vec![root];
        let mut out = Vec::new();
        while let Some(p) = frontier.pop() {
            let page = BtreePage::parse(p, page(file, p)).unwrap();
            if page.kind().is_leaf() {
                out.push(p);
            } else {
                frontier.extend(page.children());
            }
        }
        out
    }

    const ROWS: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT, body TEXT);
        CREATE INDEX t_k ON t(k);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
        INSERT INTO t SELECT i, (i * 7919) % 20000, printf('%0*d', 40 + i % 50, i) FROM n;
        INSERT INTO t VALUES (30000, -1, printf('%0*d', 10000, 1));";

    #[test]
    fn table_leaves_hold_every_row_once_and_find_overflow() {
        let (file, root) = root(ROWS, "t");
        let mut rowids = Vec::new();
        let mut overflow = None;
        for leaf in leaves(&file, root) {
            for (rowid, first) in BtreePage::parse(leaf, page(&file, leaf))
                .unwrap()
                .table_rows()
            {
                rowids.push(rowid);
                if rowid == 30000 {
                    overflow = first;
                } else {
                    assert_eq!(first, None, "row {rowid} fits its page");
                }
            }
        }
        rowids.sort();
        assert_eq!(rowids.len(), 20001);
        assert_eq!(rowids[19999], 20000);
        // The 10 KB row spills into a chain of two more pages.
        let first = overflow.expect("the long row overflows");
        let second = overflow_next(page(&file, first)).expect("a second overflow page");
        assert_eq!(overflow_next(page(&file, second)), None);
    }

    #[test]
    fn table_dividers_bound_their_children() {
        let (file, root) = root(ROWS, "t");
        let top = BtreePage::parse(root, page(&file, root)).unwrap();
        assert_eq!(top.kind(), Kind::TableInterior);
        let dividers = top.table_dividers();
        assert!(dividers.len() > 2);
        let mut low = i64::MIN;
        for (child, high) in dividers {
            let mut stack = vec![child];
            while let Some(p) = stack.pop() {
                let page = BtreePage::parse(p, page(&file, p)).unwrap();
                stack.extend(page.children());
                for (rowid, _) in page.table_rows() {
                    assert!(rowid > low && high.is_none_or(|h| rowid <= h));
                }
            }
            low = high.unwrap_or(i64::MAX);
        }
    }

    #[test]
    fn index_records_carry_key_and_rowid() {
        let (file, root) = root(ROWS, "t_k");
        let mut entries = Vec::new();
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            let page = BtreePage::parse(p, page(&file, p)).unwrap();
            let records: Vec<&[u8]> = match page.kind() {
                Kind::IndexLeaf => page.index_records(),
                _ => {
                    let dividers = page.index_dividers();
                    stack.extend(dividers.iter().map(|d| d.child));
                    dividers
                        .iter()
                        .map(|d| d.record)
                        .filter(|r| !r.is_empty())
                        .collect()
                }
            };
            for record in records {
                let Key::Int(k) = columns(record, 1)[0] else {
                    panic!("k is an integer")
                };
                entries.push((k, last_int(record).unwrap()));
            }
        }
        assert_eq!(entries.len(), 20001, "every entry once, interior ones too");
        assert!(entries.contains(&(-1, 30000)));
        assert!(entries.contains(&((7919 * 3) % 20000, 3)));
    }
}
