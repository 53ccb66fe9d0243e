//! Interior pages first: when a replica opens a volume, it fetches the schema
//! and the upper levels of every table and index B-tree, level by level, one
//! parallel round per level.
//!
//! A level's page type is only known once it is fetched, and fetching the
//! children of the lowest interior level would fetch every leaf. The rule:
//! a tree's next level is fetched while it is small next to the database
//! ([`LEVEL_SHARE`]); the leaf level of any table worth prefetching is far
//! larger than the interior level above it (B-tree fanout is in the
//! hundreds), so the walk stops above the leaves of big trees. Small trees
//! may come in whole, which costs little.
//!
//! [`interior_pages`] is the exact version for a database file at hand (the
//! importer's, for its snapshot pack): every page's kind is known for free, so
//! it takes the schema, every root and every interior page, upper levels
//! first, up to a budget.

use std::collections::{BTreeMap, HashSet};

use super::btree::BtreePage;
use super::record::{Key, columns};
use super::walk::Pages;
use crate::replica::fetch::FetchError;

/// A tree's next level is fetched if it has at most this share of the
/// database's pages (or at most [`SMALL_LEVEL`] pages).
const LEVEL_SHARE: u32 = 200;
const SMALL_LEVEL: usize = 16;
const MAX_LEVELS: usize = 12;

/// What the warm-up fetched.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Warmed {
    /// B-trees found in the schema.
    pub trees: usize,
    /// Pages walked: the schema, and interior (and small trees') pages.
    pub pages: usize,
}

/// Walks the schema and the upper levels of every B-tree of a database of
/// `page_count` pages.
pub fn warm_up<P: Pages>(pages: &P, page_count: u32) -> Result<Warmed, FetchError> {
    let roots = schema(pages)?.roots;
    let limit = SMALL_LEVEL.max((page_count / LEVEL_SHARE) as usize);
    let mut warmed = Warmed {
        trees: roots.len(),
        pages: 0,
    };
    let mut seen: HashSet<u32> = HashSet::new();
    // Each tree's current level.
    let mut levels: BTreeMap<u32, Vec<u32>> = roots.into_iter().map(|r| (r, vec![r])).collect();
    for _ in 0..MAX_LEVELS {
        levels.retain(|_, level| !level.is_empty() && level.len() <= limit);
        if levels.is_empty() {
            break;
        }
        let wanted: Vec<u32> = levels
            .values()
            .flatten()
            .copied()
            .filter(|p| seen.insert(*p))
            .collect();
        pages.fetch(&wanted)?;
        warmed.pages += wanted.len();
        for level in levels.values_mut() {
            let mut next = Vec::new();
            for &p in level.iter() {
                if let Some(data) = pages.get(p)
                    && let Some(page) = BtreePage::parse(p, &data)
                    && !page.kind().is_leaf()
                {
                    next.extend(page.children());
                }
            }
            *level = next;
        }
    }
    Ok(warmed)
}

/// The pages of a database that a lookup in any of its B-trees reads before
/// its leaf: the whole schema tree, every root, every interior page. Upper
/// levels come first; the walk stops once `max_pages` are chosen, so a cut
/// drops the lowest interior levels of the biggest trees. Ascending.
pub fn interior_pages<P: Pages>(pages: &P, max_pages: usize) -> Result<Vec<u32>, FetchError> {
    let schema = schema(pages)?;
    let mut chosen: HashSet<u32> = schema.pages.into_iter().collect();
    let mut level = schema.roots;
    for _ in 0..MAX_LEVELS {
        level.retain(|p| !chosen.contains(p));
        if level.is_empty() || chosen.len() >= max_pages {
            break;
        }
        pages.fetch(&level)?;
        let mut next = Vec::new();
        for p in level {
            if chosen.len() >= max_pages {
                break;
            }
            chosen.insert(p);
            let Some(data) = pages.get(p) else { continue };
            let Some(page) = BtreePage::parse(p, &data) else {
                continue;
            };
            // A child is worth a place only if it is interior too.
            for child in page.children() {
                if let Some(data) = pages.get(child)
                    && BtreePage::parse(child, &data).is_some_and(|c| !c.kind().is_leaf())
                {
                    next.push(child);
                }
            }
        }
        level = next;
    }
    let mut chosen: Vec<u32> = chosen.into_iter().collect();
    chosen.sort_unstable();
    Ok(chosen)
}

/// What `sqlite_schema` (the table B-tree rooted at page 1) says.
struct Schema {
    /// Root pages of every table and index, ascending.
    roots: Vec<u32>,
    /// The schema tree's own pages.
    pages: Vec<u32>,
}

/// Reads `sqlite_schema` whole, a level per round.
fn schema<P: Pages>(pages: &P) -> Result<Schema, FetchError> {
    let mut schema = Schema {
        roots: Vec::new(),
        pages: Vec::new(),
    };
    let mut level = vec![1u32];
    for _ in 0..MAX_LEVELS {
        if level.is_empty() {
            break;
        }
        pages.fetch(&level)?;
        let mut next = Vec::new();
        for p in level {
            let Some(data) = pages.get(p) else { continue };
            let Some(page) = BtreePage::parse(p, &data) else {
                continue;
            };
            schema.pages.push(p);
            next.extend(page.children());
            for (_, record, _) in page.table_payloads() {
                // type, name, tbl_name, rootpage, sql
                if let Some(Key::Int(root)) = columns(record, 4).get(3)
                    && let Ok(root) = u32::try_from(*root)
                    && root > 1
                {
                    schema.roots.push(root);
                }
            }
        }
        level = next;
    }
    schema.roots.sort_unstable();
    schema.roots.dedup();
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefetch::walk::FilePages;

    fn database() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 4096;
             CREATE TABLE big(id INTEGER PRIMARY KEY, k INTEGER, pad TEXT);
             CREATE INDEX big_k ON big(k);
             CREATE TABLE small(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO big SELECT i, (i * 7919) % 20000, printf('%.100c', 'x') FROM n;",
        )
        .unwrap();
        drop(conn);
        std::fs::read(&path).unwrap()
    }

    fn kind(file: &FilePages, page: u32) -> Option<super::super::btree::Kind> {
        BtreePage::parse(page, file.page(page)?).map(|p| p.kind())
    }

    #[test]
    fn interior_pages_are_every_page_above_the_leaves() {
        let bytes = database();
        let file = FilePages(&bytes);
        let chosen = interior_pages(&file, usize::MAX).unwrap();
        let page_count = (file.0.len() / 4096) as u32;
        let interior: Vec<u32> = (1..=page_count)
            .filter(|&p| kind(&file, p).is_some_and(|k| !k.is_leaf()))
            .collect();
        // Every interior page, plus page 1 and the roots that are leaves.
        for p in &interior {
            assert!(chosen.contains(p), "interior page {p} missing");
        }
        assert!(chosen.contains(&1));
        let leaves = chosen
            .iter()
            .filter(|&&p| kind(&file, p).is_some_and(|k| k.is_leaf()));
        assert!(
            leaves.count() <= 3,
            "only the schema and small roots are leaves"
        );
        assert!(
            chosen.len() * 50 < page_count as usize,
            "{} of {page_count}",
            chosen.len()
        );
    }

    #[test]
    fn a_budget_keeps_the_upper_levels() {
        let bytes = database();
        let file = FilePages(&bytes);
        let all = interior_pages(&file, usize::MAX).unwrap();
        let cut = interior_pages(&file, 4).unwrap();
        assert_eq!(cut.len(), 4);
        assert!(cut.iter().all(|p| all.contains(p)));
        let roots = schema(&file).unwrap().roots;
        assert!(
            cut.contains(&1) && roots.iter().take(3).all(|r| cut.contains(r)),
            "{cut:?}"
        );
    }
}
