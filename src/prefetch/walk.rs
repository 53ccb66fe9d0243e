//! Walking B-trees to the pages a set of keys lives on, one level per round.
//!
//! A [`Target`] is a tree and the keys a query will read from it. All
//! targets of a stage descend together: each round fetches, in parallel, the
//! pages of the next level that the keys lead to (interior pages already in
//! memory cost nothing), until the leaves are in. Index targets that look
//! rows up in their table then yield rowids, which descend the table the same
//! way; rows that spill into overflow pages have their chains fetched last.

use std::collections::{BTreeSet, HashMap};
use std::ops::Deref;

use super::btree::{BtreePage, Kind, overflow_next};
use super::record::{Key, columns, last_int};
use crate::replica::fetch::FetchError;
use crate::replica::snapshot::PAGE_SIZE;

/// Longest overflow chain followed ahead of SQLite (one round per page).
const MAX_OVERFLOW_ROUNDS: usize = 4;

/// Deepest tree walked (SQLite's own limit is 20 levels).
const MAX_DEPTH: usize = 20;

/// Where pages come from: fetched a round at a time, then read from memory.
pub trait Pages {
    type Page: Deref<Target = [u8]>;
    /// Brings these pages into memory in one round.
    fn fetch(&self, pages: &[u32]) -> Result<(), FetchError>;
    /// A page in memory; `None` if it is not (never fetches).
    fn get(&self, page: u32) -> Option<Self::Page>;
}

/// A database file in memory: every page is at hand, nothing to fetch (the
/// importer's view, and the tests').
pub struct FilePages<'a>(pub &'a [u8]);

impl<'a> FilePages<'a> {
    pub fn page(&self, page: u32) -> Option<&'a [u8]> {
        let at = (page as usize).checked_sub(1)? * PAGE_SIZE;
        self.0.get(at..at + PAGE_SIZE)
    }
}

impl<'a> Pages for FilePages<'a> {
    type Page = &'a [u8];

    fn fetch(&self, _: &[u32]) -> Result<(), FetchError> {
        Ok(())
    }

    fn get(&self, page: u32) -> Option<&'a [u8]> {
        self.page(page)
    }
}

/// An inclusive range of keys; `None` is unbounded.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRange {
    pub lo: Option<Key>,
    pub hi: Option<Key>,
}

impl KeyRange {
    pub fn point(key: Key) -> Self {
        Self {
            lo: Some(key.clone()),
            hi: Some(key),
        }
    }

    pub fn all() -> Self {
        Self { lo: None, hi: None }
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.lo.as_ref().is_none_or(|lo| lo.order(key).is_le())
            && self.hi.as_ref().is_none_or(|hi| key.order(hi).is_le())
    }

    /// Whether any key in `[lo, hi]` (`None` unbounded) is in the range.
    fn meets(&self, lo: Option<&Key>, hi: Option<&Key>) -> bool {
        let below = matches!((lo, &self.hi), (Some(lo), Some(hi)) if lo.order(hi).is_gt());
        let above = matches!((hi, &self.lo), (Some(hi), Some(lo)) if hi.order(lo).is_lt());
        !below && !above
    }
}

/// The keys a query reads from one tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Keys {
    /// Rowids of a table tree.
    Rowids(Vec<KeyRange>),
    /// Values of the first column of an index tree (or of a WITHOUT ROWID
    /// table's primary key), which sorts descending if `desc`.
    Index { ranges: Vec<KeyRange>, desc: bool },
}

/// A tree to prefetch from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub root: u32,
    pub keys: Keys,
    /// For an index read that looks rows up: the table's root.
    pub table: Option<u32>,
    /// Leaves fetched at most; a scan reads ahead this far only.
    pub max_leaves: usize,
}

/// What a stage found: the leaves it fetched, and rowids per table.
#[derive(Debug, Default)]
pub struct Found {
    pub leaves: usize,
    /// Rowids read through indexes, by table root.
    pub rowids: HashMap<u32, BTreeSet<i64>>,
}

/// Descends every target to its leaves, then the rows its index entries
/// point at, then their overflow pages.
pub fn prefetch<P: Pages>(pages: &P, targets: &[Target]) -> Result<Found, FetchError> {
    let mut found = Found::default();
    let leaves = descend(pages, targets, &mut found)?;
    // Rows the index entries point at.
    let lookups: Vec<Target> = found
        .rowids
        .iter()
        .map(|(&root, rowids)| Target {
            root,
            keys: Keys::Rowids(
                rowids
                    .iter()
                    .map(|&r| KeyRange::point(Key::Int(r)))
                    .collect(),
            ),
            table: None,
            max_leaves: usize::MAX,
        })
        .collect();
    let mut table_leaves: Vec<(u32, usize)> = leaves
        .into_iter()
        .filter(|&(_, t)| matches!(targets[t].keys, Keys::Rowids(_)))
        .collect();
    let mut rows_wanted: Vec<&Keys> = targets.iter().map(|t| &t.keys).collect();
    if !lookups.is_empty() {
        let offset = rows_wanted.len();
        let mut scratch = Found::default();
        let more = descend(pages, &lookups, &mut scratch)?;
        found.leaves += scratch.leaves;
        rows_wanted.extend(lookups.iter().map(|t| &t.keys));
        table_leaves.extend(more.into_iter().map(|(page, t)| (page, t + offset)));
    }
    // Overflow chains of the rows wanted.
    let mut chains: Vec<u32> = Vec::new();
    for (leaf, t) in table_leaves {
        let (Some(page), Keys::Rowids(ranges)) = (pages.get(leaf), rows_wanted[t]) else {
            continue;
        };
        let Some(page) = BtreePage::parse(leaf, &page) else {
            continue;
        };
        for (rowid, overflow) in page.table_rows() {
            if let Some(first) = overflow
                && ranges.iter().any(|r| r.contains(&Key::Int(rowid)))
            {
                chains.push(first);
            }
        }
    }
    for _ in 0..MAX_OVERFLOW_ROUNDS {
        if chains.is_empty() {
            break;
        }
        pages.fetch(&chains)?;
        chains = chains
            .iter()
            .filter_map(|&p| pages.get(p).and_then(|page| overflow_next(&page)))
            .collect();
    }
    Ok(found)
}

/// Descends all targets together, a level per round; returns the leaves
/// reached, each with the index of its target. Rowids of index entries in
/// range are gathered into `found` along the way.
fn descend<P: Pages>(
    pages: &P,
    targets: &[Target],
    found: &mut Found,
) -> Result<Vec<(u32, usize)>, FetchError> {
    let mut frontier: Vec<(u32, usize)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.root, i))
        .collect();
    let mut leaves = Vec::new();
    for _ in 0..MAX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        frontier.sort_unstable();
        frontier.dedup();
        let missing: Vec<u32> = frontier
            .iter()
            .map(|&(p, _)| p)
            .filter(|&p| pages.get(p).is_none())
            .collect();
        if !missing.is_empty() {
            pages.fetch(&missing)?;
        }
        let mut next = Vec::new();
        let mut per_target_children: HashMap<usize, Vec<u32>> = HashMap::new();
        for (page_no, t) in frontier {
            let Some(data) = pages.get(page_no) else {
                continue; // evicted already, or never written: SQLite will ask
            };
            let Some(page) = BtreePage::parse(page_no, &data) else {
                continue;
            };
            let target = &targets[t];
            if page.kind().is_leaf() {
                collect_rowids(target, &page, found);
                leaves.push((page_no, t));
                continue;
            }
            per_target_children
                .entry(t)
                .or_default()
                .extend(children(target, &page, found));
        }
        for (t, children) in per_target_children {
            let limit = targets[t].max_leaves;
            next.extend(children.into_iter().take(limit).map(|c| (c, t)));
        }
        frontier = next;
    }
    found.leaves += leaves.len();
    Ok(leaves)
}

/// The children of an interior page that may hold the target's keys.
fn children(target: &Target, page: &BtreePage<'_>, found: &mut Found) -> Vec<u32> {
    match (&target.keys, page.kind()) {
        (Keys::Rowids(ranges), Kind::TableInterior) => {
            let mut low: Option<Key> = None;
            let mut out = Vec::new();
            for (child, high) in page.table_dividers() {
                let high = high.map(Key::Int);
                // The child holds rowids in (low, high].
                if ranges.iter().any(|r| r.meets(low.as_ref(), high.as_ref())) {
                    out.push(child);
                }
                low = high;
            }
            out
        }
        (Keys::Index { ranges, desc }, Kind::IndexInterior) => {
            let dividers = page.index_dividers();
            // The cells, then the right child (bounded by nothing above).
            let cells = dividers.iter().take_while(|d| !d.record.is_empty()).count();
            let key = |i: usize| first_key(dividers[i].record);
            // Key order in the tree: descending indexes sort backwards.
            let before = |k: &Key, bound: &Key| {
                if *desc {
                    bound.order(k)
                } else {
                    k.order(bound)
                }
            };
            let mut picked = BTreeSet::new();
            for range in ranges {
                let (first, last) = if *desc {
                    (range.hi.as_ref(), range.lo.as_ref())
                } else {
                    (range.lo.as_ref(), range.hi.as_ref())
                };
                // Binary searches decode a few keys, not the whole page.
                let start = first.map_or(0, |first| {
                    partition(cells, |i| key(i).is_some_and(|k| before(&k, first).is_lt()))
                });
                let end = last.map_or(cells, |last| {
                    partition(cells, |i| key(i).is_some_and(|k| before(&k, last).is_le()))
                });
                // Cells start..end are index entries in range themselves;
                // children start..=end hold the keys around them.
                for divider in dividers.iter().take(end).skip(start) {
                    add_rowid(target, divider.record, found);
                }
                picked.extend(start..=end);
            }
            picked
                .into_iter()
                .filter_map(|c| dividers.get(c).map(|d| d.child))
                .collect()
        }
        // A tree of another kind than the keys expect: read it all.
        _ => page.children(),
    }
}

/// The first of `0..n` for which `pred` is false (`pred` holds for a prefix).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Records index entries in range as rows to look up.
fn collect_rowids(target: &Target, page: &BtreePage<'_>, found: &mut Found) {
    let Keys::Index { ranges, .. } = &target.keys else {
        return;
    };
    for record in page.index_records() {
        if first_key(record).is_some_and(|k| ranges.iter().any(|r| r.contains(&k))) {
            add_rowid(target, record, found);
        }
    }
}

fn add_rowid(target: &Target, record: &[u8], found: &mut Found) {
    if let (Some(table), Some(rowid)) = (target.table, last_int(record)) {
        found.rowids.entry(table).or_default().insert(rowid);
    }
}

fn first_key(record: &[u8]) -> Option<Key> {
    columns(record, 1).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefetch::btree::tests::{page, root};
    use std::cell::RefCell;
    use std::collections::HashSet;

    /// A database file as a page source that counts rounds and pages.
    struct File {
        bytes: Vec<u8>,
        fetched: RefCell<HashSet<u32>>,
        rounds: RefCell<usize>,
    }

    impl File {
        fn new(bytes: Vec<u8>) -> Self {
            Self {
                bytes,
                fetched: Default::default(),
                rounds: Default::default(),
            }
        }
    }

    impl Pages for File {
        type Page = Vec<u8>;
        fn fetch(&self, pages: &[u32]) -> Result<(), FetchError> {
            let mut fetched = self.fetched.borrow_mut();
            let before = fetched.len();
            fetched.extend(pages);
            if fetched.len() > before {
                *self.rounds.borrow_mut() += 1;
            }
            Ok(())
        }
        fn get(&self, n: u32) -> Option<Vec<u8>> {
            self.fetched
                .borrow()
                .contains(&n)
                .then(|| page(&self.bytes, n).to_vec())
        }
    }

    const SETUP: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT, body TEXT);
        CREATE INDEX t_k ON t(k);
        CREATE INDEX t_k_desc ON t(k DESC);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
        INSERT INTO t SELECT i, (i * 7919) % 30000, printf('%0*d', 60 + i % 50, i) FROM n;
        UPDATE t SET body = printf('%0*d', 9000, 5) WHERE id = 777;";

    fn rowid_target(root: u32, ranges: Vec<KeyRange>) -> Target {
        Target {
            root,
            keys: Keys::Rowids(ranges),
            table: None,
            max_leaves: usize::MAX,
        }
    }

    #[test]
    fn a_rowid_point_costs_one_round_per_level_and_one_leaf() {
        let (bytes, root) = root(SETUP, "t");
        let file = File::new(bytes);
        let found = prefetch(
            &file,
            &[rowid_target(root, vec![KeyRange::point(Key::Int(12345))])],
        )
        .unwrap();
        assert_eq!(found.leaves, 1);
        let depth = *file.rounds.borrow();
        assert!((2..=3).contains(&depth), "depth {depth}");
        assert_eq!(file.fetched.borrow().len(), depth, "one page per level");
        // Warm interior pages: the same walk to another key costs one round.
        *file.rounds.borrow_mut() = 0;
        prefetch(
            &file,
            &[rowid_target(root, vec![KeyRange::point(Key::Int(29000))])],
        )
        .unwrap();
        assert_eq!(*file.rounds.borrow(), 1);
    }

    #[test]
    fn overflow_chains_follow_the_row() {
        let (bytes, root) = root(SETUP, "t");
        let file = File::new(bytes);
        prefetch(
            &file,
            &[rowid_target(root, vec![KeyRange::point(Key::Int(777))])],
        )
        .unwrap();
        // Levels, then the chain: 9000 bytes spill over two pages.
        let fetched = file.fetched.borrow().len();
        assert!(fetched >= 5, "{fetched} pages");
    }

    /// What SQLite itself reads for `k BETWEEN lo AND hi` through `index`:
    /// the table rows; the prefetch must have brought every one of them.
    fn index_range_covers_rows(index: &str, desc: bool) {
        let (bytes, table) = root(SETUP, "t");
        let (_, idx) = root(SETUP, index);
        let file = File::new(bytes);
        let range = KeyRange {
            lo: Some(Key::Int(1000)),
            hi: Some(Key::Int(1999)),
        };
        let found = prefetch(
            &file,
            &[Target {
                root: idx,
                keys: Keys::Index {
                    ranges: vec![range],
                    desc,
                },
                table: Some(table),
                max_leaves: usize::MAX,
            }],
        )
        .unwrap();
        let rowids = &found.rowids[&table];
        let expected: BTreeSet<i64> = (1..=30000)
            .filter(|i| (1000..=1999).contains(&((i * 7919) % 30000)))
            .collect();
        assert_eq!(rowids, &expected);
        // Every row's leaf is in memory now.
        let mut stack = vec![table];
        let mut seen = 0;
        while let Some(p) = stack.pop() {
            let Some(data) = file.get(p) else { continue };
            let page = BtreePage::parse(p, &data).unwrap();
            stack.extend(page.children());
            seen += page
                .table_rows()
                .iter()
                .filter(|(r, _)| expected.contains(r))
                .count();
        }
        assert_eq!(seen, expected.len());
        let rounds = *file.rounds.borrow();
        assert!(rounds <= 6, "{rounds} rounds");
    }

    #[test]
    fn an_index_range_brings_its_rows() {
        index_range_covers_rows("t_k", false);
    }

    #[test]
    fn a_descending_index_range_brings_its_rows() {
        index_range_covers_rows("t_k_desc", true);
    }

    #[test]
    fn a_scan_reads_ahead_only_so_far() {
        let (bytes, root) = root(SETUP, "t");
        let file = File::new(bytes);
        let mut target = rowid_target(root, vec![KeyRange::all()]);
        target.max_leaves = 10;
        let found = prefetch(&file, &[target]).unwrap();
        assert_eq!(found.leaves, 10);
    }

    #[test]
    fn ranges_meet_intervals() {
        let r = KeyRange {
            lo: Some(Key::Int(10)),
            hi: Some(Key::Int(20)),
        };
        assert!(r.meets(None, Some(&Key::Int(10))));
        assert!(!r.meets(None, Some(&Key::Int(9))));
        assert!(r.meets(Some(&Key::Int(20)), None));
        assert!(!r.meets(Some(&Key::Int(21)), None));
        assert!(r.meets(None, None));
    }
}
