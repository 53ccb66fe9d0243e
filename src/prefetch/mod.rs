//! Index-aware prefetching: before a statement runs, fetch the pages it will
//! read, in as few sequential object-store rounds as possible.
//!
//! - [`warmup`]: when a volume opens, the schema and the interior levels of
//!   every B-tree come in, a level per round.
//! - [`plan`]: SQLite's `EXPLAIN QUERY PLAN` and the statement's own
//!   conjuncts (with the bound parameters) say which tree each loop reads
//!   and with which keys.
//! - [`walk`]: the keys descend the trees through the cached interior pages
//!   ([`btree`], [`record`] read the pages) to the leaves, then the table rows
//!   that index entries point at, then overflow chains; each step fetches all
//!   of its pages in one parallel round.
//! - Joins: once the outer loops' pages are in, SQLite computes the inner
//!   loop's keys from them (a derived query), and those are fetched next.
//!
//! Prefetching changes speed, never results: whatever it misses SQLite reads
//! on demand, and any failure here is logged and ignored.

pub mod btree;
pub mod plan;
pub mod record;
pub mod walk;
pub mod warmup;

use std::sync::{Arc, LazyLock};

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::replica::fetch::{FetchError, Page, PageStore};
use crate::replica::snapshot::Snapshot;
use crate::replica::stats::QueryStats;
use crate::replica::vfs;
use crate::replica::volume::Volume;
use plan::Plan;
use record::Key;
use walk::{KeyRange, Pages, Target};

/// Most keys a join's inner loop is prefetched for.
pub const MAX_DERIVED_KEYS: usize = 10_000;

/// One snapshot's pages, through the replica's page store, counted in a
/// query's stats.
pub struct StorePages<'a> {
    pub store: &'a PageStore,
    pub snapshot: &'a Snapshot,
    pub stats: &'a QueryStats,
}

impl Pages for StorePages<'_> {
    type Page = Page;

    fn fetch(&self, pages: &[u32]) -> Result<(), FetchError> {
        self.store
            .fetch_pages(self.snapshot, pages.iter().copied(), self.stats)
            .map(drop)
    }

    fn get(&self, page: u32) -> Option<Page> {
        self.store.cached_page(self.snapshot, page)
    }
}

/// Fetches the schema and interior pages of `volume`'s newest snapshot.
/// Blocks: call from a blocking thread.
pub fn warm_up(volume: &Volume, stats: &QueryStats) -> Result<warmup::Warmed, FetchError> {
    let snapshot = volume.latest();
    let pages = StorePages {
        store: volume.pages(),
        snapshot: &snapshot,
        stats,
    };
    warmup::warm_up(&pages, snapshot.page_count())
}

/// Prefetches what `sql` (SQLite text) will read on `conn` with `params`.
/// Runs on the statement's blocking thread, before the statement.
pub fn before_statement(conn: &Connection, sql: &str, params: &[Value], stats: &QueryStats) {
    let Some(volume) = conn.path().and_then(vfs::volume) else {
        return;
    };
    if let Err(err) = prefetch(conn, &volume, sql, params, stats) {
        tracing::debug!(%err, "prefetch skipped");
    }
}

fn prefetch(
    conn: &Connection,
    volume: &Arc<Volume>,
    sql: &str,
    params: &[Value],
    stats: &QueryStats,
) -> anyhow::Result<()> {
    let snapshot = volume.latest();
    let plan = cached_plan(conn, volume, &snapshot, sql)?;
    if plan.loops.is_empty() {
        return Ok(());
    }
    let pages = StorePages {
        store: volume.pages(),
        snapshot: &snapshot,
        stats,
    };
    let known: Vec<Target> = plan.loops.iter().filter_map(|l| l.known(params)).collect();
    if !known.is_empty() {
        walk::prefetch(&pages, &known)?;
    }
    for inner in &plan.loops {
        let Some(query) = &inner.derived else {
            continue;
        };
        let keys = derived_keys(conn, query, params)?;
        if let Some(target) = inner.target(keys) {
            walk::prefetch(&pages, &[target])?;
        }
    }
    Ok(())
}

/// Plans analysed lately, by log, schema version and statement text.
type PlanKey = (String, [u8; 4], String);
static PLANS: LazyLock<quick_cache::sync::Cache<PlanKey, Arc<Plan>>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(PLAN_CACHE_ENTRIES));

/// Plans kept (they hold no values, so one serves every execution).
const PLAN_CACHE_ENTRIES: usize = 4096;

/// The statement's plan, analysed once per schema version: the schema
/// cookie (page 1, bytes 40..44) changes with every schema change.
fn cached_plan(
    conn: &Connection,
    volume: &Volume,
    snapshot: &Snapshot,
    sql: &str,
) -> rusqlite::Result<Arc<Plan>> {
    let cookie = volume
        .pages()
        .cached_page(snapshot, 1)
        .and_then(|page| page.get(40..44).and_then(|c| c.try_into().ok()));
    let Some(cookie) = cookie else {
        return plan::analyse(conn, sql).map(Arc::new);
    };
    let key = (snapshot.log().serialize(), cookie, sql.to_owned());
    if let Some(plan) = PLANS.get(&key) {
        return Ok(plan);
    }
    let plan = Arc::new(plan::analyse(conn, sql)?);
    PLANS.insert(key, plan.clone());
    Ok(plan)
}

/// Runs a derived query (see [`plan`]) for an inner loop's keys.
fn derived_keys(conn: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Vec<KeyRange>> {
    let mut stmt = conn.prepare_cached(sql)?;
    for i in 1..=stmt.parameter_count() {
        if let Some(value) = params.get(i - 1) {
            stmt.raw_bind_parameter(i, value)?;
        }
    }
    let mut rows = stmt.raw_query();
    let mut keys = Vec::new();
    while let Some(row) = rows.next()? {
        let key = match row.get::<_, Value>(0)? {
            Value::Null => continue,
            Value::Integer(i) => Key::Int(i),
            Value::Real(f) => Key::Real(f),
            Value::Text(t) => Key::Text(t.into_bytes()),
            Value::Blob(b) => Key::Blob(b),
        };
        keys.push(KeyRange::point(key));
    }
    Ok(keys)
}
