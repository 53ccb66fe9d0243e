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
    let roots = schema_roots(pages)?;
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

/// Root pages of every table and index, read from `sqlite_schema` (the table
/// B-tree rooted at page 1), which is fetched whole.
fn schema_roots<P: Pages>(pages: &P) -> Result<Vec<u32>, FetchError> {
    let mut roots = Vec::new();
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
            next.extend(page.children());
            for (_, record, _) in page.table_payloads() {
                // type, name, tbl_name, rootpage, sql
                if let Some(Key::Int(root)) = columns(record, 4).get(3)
                    && let Ok(root) = u32::try_from(*root)
                    && root > 1
                {
                    roots.push(root);
                }
            }
        }
        level = next;
    }
    roots.sort_unstable();
    roots.dedup();
    Ok(roots)
}
