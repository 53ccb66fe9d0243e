//! Cold-query benchmark: prefetch off vs on, on a fresh replica of a >200 MB
//! volume, with a simulated object-store latency (default 20 ms per request,
//! added in graftgres's own fetch path; see README).
//!
//!     cargo bench --bench prefetch                 # 20 ms per request
//!     GRAFTGRES_BENCH_LATENCY_MS=5 cargo bench --bench prefetch
//!
//! Each workload runs on a new replica with an empty cache, once with
//! prefetching off and once on; the table gives object-store requests,
//! sequential rounds, bytes, frame precision and wall time, and the on/off
//! ratio of rounds and time. The volume is built once and kept under
//! `$CARGO_TARGET_DIR/graftgres-bench/` (or `target/`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use graftgres::config::{CacheConfig, Config, LatencyConfig, ReplicaConfig, StoreConfig};
use graftgres::exec::{self, Conn, Limits, RunOptions};
use graftgres::replica::Replica;
use graftgres::replica::stats::{QueryStats, StatsSnapshot};
use graftgres::sql::{self, Command};
use rusqlite::Connection;
use rusqlite::types::Value;

/// Rows of the big table: ~230 MB of SQLite with its index.
const ROWS: i64 = 1_600_000;
const CUSTOMERS: i64 = 100_000;
/// Rows adjacent in `k` are this many rows apart in the table, so a range
/// of 1000 keys touches 1000 rows over ~200 frames.
const STRIDE: i64 = 360;

fn k_of(id: i64) -> i64 {
    (id % STRIDE) * (ROWS / STRIDE + 1) + id / STRIDE
}

fn payload(id: i64) -> String {
    // Pseudo-random hex: compresses about as well as real text columns.
    let mut x = id as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = String::with_capacity(112);
    while out.len() < 112 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("{:016x}", x % 0xFFFF_FFFF));
    }
    out
}

fn build(path: &Path) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut conn = Connection::open(&tmp)?;
    conn.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
         CREATE TABLE big(id INTEGER PRIMARY KEY, k INTEGER NOT NULL,
                          customer_id INTEGER NOT NULL REFERENCES customers(id), payload TEXT NOT NULL);",
    )?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO customers VALUES (?1, ?2, ?3)")?;
        for id in 1..=CUSTOMERS {
            insert.execute(rusqlite::params![
                id,
                format!("Customer {id}"),
                format!("City {}", id % 500)
            ])?;
        }
        let mut insert = tx.prepare("INSERT INTO big VALUES (?1, ?2, ?3, ?4)")?;
        for id in 1..=ROWS {
            let customer = (id * 7919) % CUSTOMERS + 1;
            insert.execute(rusqlite::params![id, k_of(id), customer, payload(id)])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("CREATE INDEX big_k ON big(k); PRAGMA journal_mode = DELETE;")?;
    drop(conn);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

struct Workload {
    name: &'static str,
    sql: &'static str,
    params: Vec<Value>,
}

fn workloads() -> Vec<Workload> {
    let lo = k_of(800_000 - 800_000 % STRIDE + 7);
    vec![
        Workload {
            name: "rowid point lookup",
            sql: "SELECT payload FROM big WHERE id = $1",
            params: vec![Value::Integer(1_234_567)],
        },
        Workload {
            name: "secondary-index point lookup",
            sql: "SELECT id, payload FROM big WHERE k = $1",
            params: vec![Value::Integer(k_of(777_777))],
        },
        Workload {
            name: "scattered index range (1000 rows)",
            sql: "SELECT count(*), max(length(payload)) FROM big WHERE k BETWEEN $1 AND $2",
            params: vec![Value::Integer(lo), Value::Integer(lo + 999)],
        },
        Workload {
            name: "point lookup + join",
            sql: "SELECT b.payload, c.name, c.city FROM big b JOIN customers c ON c.id = b.customer_id WHERE b.id = $1",
            params: vec![Value::Integer(424_242)],
        },
        Workload {
            name: "count(*) full scan",
            sql: "SELECT count(*) FROM big",
            params: vec![],
        },
    ]
}

struct Measured {
    stats: StatsSnapshot,
    wall: Duration,
    rows: usize,
}

fn config(root: &Path, cache: &Path, latency_ms: u64, prefetch: bool) -> Config {
    Config {
        data_dir: Some(root.to_owned()),
        store: Some(StoreConfig::Local {
            path: root.join("store"),
        }),
        cache: CacheConfig {
            dir: Some(cache.to_owned()),
            memory_mib: 1024,
            disk_mib: 0,
        },
        replica: ReplicaConfig {
            prefetch,
            ..Default::default()
        },
        simulated_latency: Some(LatencyConfig {
            per_request_ms: latency_ms,
            mib_per_second: 0,
        }),
        ..Default::default()
    }
}

/// Opens the volume on a fresh replica; returns it with the open's cost.
async fn open(config: &Config) -> anyhow::Result<(Arc<graftgres::replica::OpenVolume>, Measured)> {
    let replica = Replica::new(config)?;
    let start = Instant::now();
    let open = replica
        .open("bench")
        .await?
        .expect("the bench volume exists");
    let wall = start.elapsed();
    // The follower's first poll and the warm-up go on in the background.
    let stats = open.opened.cost;
    Ok((
        open,
        Measured {
            stats,
            wall,
            rows: 0,
        },
    ))
}

/// Waits for the background warm-up; returns its cost and duration.
async fn warmed(open: &graftgres::replica::OpenVolume, since: Instant) -> anyhow::Result<Measured> {
    let mut rx = open.warmup.clone();
    let cost = rx.wait_for(Option::is_some).await?.unwrap_or_default();
    Ok(Measured {
        stats: cost,
        wall: since.elapsed(),
        rows: 0,
    })
}

async fn query(
    open: &graftgres::replica::OpenVolume,
    w: &Workload,
    prefetch: bool,
) -> anyhow::Result<Measured> {
    let Some(Command::Read(read)) = sql::plan_one(w.sql).map_err(|e| anyhow::anyhow!("{e:?}"))?
    else {
        anyhow::bail!("{} is not a read", w.sql);
    };
    let conn = open.pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let stats = QueryStats::new();
    let options = RunOptions {
        prefetch,
        stats: stats.clone(),
    };
    let start = Instant::now();
    let limits = Limits {
        interrupts: Default::default(),
        timeout: None,
    };
    let mut rows = exec::run(
        Conn::Pooled(conn),
        read,
        w.params.clone(),
        None,
        options,
        &limits,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut count = 0;
    while let Some(batch) = rows.batches.recv().await {
        count += batch.map_err(|e| anyhow::anyhow!("{e:?}"))?.len();
    }
    Ok(Measured {
        stats: stats.snapshot(),
        wall: start.elapsed(),
        rows: count,
    })
}

fn row(name: &str, mode: &str, m: &Measured) {
    println!(
        "| {name:<34} | {mode:<4} | {:>8} | {:>6} | {:>11} | {:>9.2} | {:>9.1} |",
        m.stats.requests,
        m.stats.rounds,
        m.stats.bytes,
        m.stats.precision(),
        m.wall.as_secs_f64() * 1000.0,
    );
}

fn ratio(name: &str, off: &Measured, on: &Measured) {
    println!(
        "| {name:<34} | off/on: rounds {:.1}x, time {:.1}x |",
        off.stats.rounds as f64 / on.stats.rounds.max(1) as f64,
        off.wall.as_secs_f64() / on.wall.as_secs_f64().max(1e-9),
    );
}

/// The bench volume's pack: (pages, bytes in the bucket).
fn pack_size(root: &Path) -> anyhow::Result<(usize, usize)> {
    let bytes = std::fs::read(root.join("store/graftgres/packs/bench"))?;
    let pack = graftgres::replica::pack::Pack::decode(&bytes).map_err(anyhow::Error::msg)?;
    Ok((pack.pages.len(), bytes.len()))
}

fn bench_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("graftgres-bench")
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(()); // `cargo test --benches` lists targets; nothing to run.
    }
    let latency_ms: u64 = std::env::var("GRAFTGRES_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let root = bench_dir();
    std::fs::create_dir_all(&root)?;
    let file = root.join("bench.sqlite");
    if !file.exists() {
        eprintln!("building {} ...", file.display());
        build(&file)?;
    }
    let store_config = config(&root, &root.join("cache-unused"), 0, true);
    // Pushes nothing once the volume is there; writes its pack if missing.
    eprintln!("importing ...");
    let report = graftgres::writer::import(&store_config, &file, "bench", false)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "volume: {:.0} MB SQLite file ({} rows + {} customers, index on k); {latency_ms} ms per request",
        size as f64 / 1e6,
        ROWS,
        CUSTOMERS
    );
    let pack = pack_size(&root)?;
    println!(
        "snapshot pack: {} of {} pages ({:.2}%), {} bytes in the bucket ({:.2}% of the file)",
        pack.0,
        report.pages,
        100.0 * pack.0 as f64 / f64::from(report.pages),
        pack.1,
        100.0 * pack.1 as f64 / size as f64,
    );
    println!(
        "| workload                           | mode | requests | rounds |       bytes | precision |   wall ms |"
    );
    println!(
        "|------------------------------------|------|----------|--------|-------------|-----------|-----------|"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for w in workloads() {
            let mut results = Vec::new();
            for prefetch in [false, true] {
                let cache = tempfile::tempdir()?;
                let config = config(&root, cache.path(), latency_ms, prefetch);
                let (open, _) = open(&config).await?;
                if prefetch {
                    warmed(&open, Instant::now()).await?;
                }
                let m = query(&open, &w, prefetch).await?;
                row(w.name, if prefetch { "on" } else { "off" }, &m);
                results.push(m);
            }
            assert_eq!(results[0].rows, results[1].rows, "same result either way");
            ratio(w.name, &results[0], &results[1]);
        }
        // Time to first query: open (with its warm-up) plus a rowid lookup.
        let first = &workloads()[0];
        let mut results = Vec::new();
        for prefetch in [false, true] {
            let cache = tempfile::tempdir()?;
            let config = config(&root, cache.path(), latency_ms, prefetch);
            let start = Instant::now();
            let (open, opened) = open(&config).await?;
            let q = query(&open, first, prefetch).await?;
            let total = Measured {
                stats: StatsSnapshot {
                    requests: opened.stats.requests + q.stats.requests,
                    rounds: opened.stats.rounds + q.stats.rounds,
                    frames: opened.stats.frames + q.stats.frames,
                    bytes: opened.stats.bytes + q.stats.bytes,
                    frames_used: opened.stats.frames_used + q.stats.frames_used,
                },
                wall: opened.wall + q.wall,
                rows: q.rows,
            };
            let mode = if prefetch { "on" } else { "off" };
            row("open", mode, &opened);
            row("open + first rowid lookup", mode, &total);
            if prefetch {
                row(
                    "background warm-up (interior pages)",
                    mode,
                    &warmed(&open, start).await?,
                );
            }
            results.push(total);
        }
        ratio("open + first rowid lookup", &results[0], &results[1]);
        warm_overhead(&root).await
    })?;
    warm_reads(&root)?;
    Ok(())
}

/// What the plan analysis costs a warm query (every page cached): the
/// same point lookup repeated with prefetch off and on.
async fn warm_overhead(root: &Path) -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let config = config(root, cache.path(), 0, true);
    let (open, _) = open(&config).await?;
    warmed(&open, Instant::now()).await?;
    let w = &workloads()[1];
    query(&open, w, true).await?;
    for prefetch in [false, true, false, true] {
        let n = 2000;
        let start = Instant::now();
        for _ in 0..n {
            query(&open, w, prefetch).await?;
        }
        let per = start.elapsed() / n;
        println!(
            "warm index point lookup, prefetch {}: {:.1} us per query",
            if prefetch { "on " } else { "off" },
            per.as_secs_f64() * 1e6
        );
    }
    Ok(())
}

/// Warm page reads at 1 and at 1000 commits: the page index makes a lookup
/// one array access however long the log is.
fn warm_reads(root: &Path) -> anyhow::Result<()> {
    use graftgres::replica::snapshot::{PAGE_SIZE, Snapshot};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cache = tempfile::tempdir()?;
    let config = config(root, cache.path(), 0, true);
    runtime.block_on(async {
        let replica = Replica::new(&config)?;
        let open = replica.open("bench").await?.expect("volume");
        let volume = open.volume.clone();
        let one = volume.latest();
        // The same commit applied 999 more times: 1000 commits, same pages.
        let commit = replica
            .remote()
            .get_commit(one.log(), graft::core::lsn::LSN::new(one.lsn()))
            .await?
            .expect("the volume's commit");
        let mut many: Snapshot = (*one).clone();
        for lsn in one.lsn() + 1..one.lsn() + 1000 {
            let next = graft::core::commit::Commit::new(
                one.log().clone(),
                graft::core::lsn::LSN::new(lsn),
                commit.page_count(),
            )
            .with_segment_idx(commit.segment_idx().cloned());
            many = many.apply(&next).map_err(anyhow::Error::msg)?;
        }
        tokio::task::spawn_blocking(move || {
            let pages: Vec<u32> = (1..=200).map(|i| i * 97).collect();
            let mut buf = vec![0u8; PAGE_SIZE];
            for (label, snapshot) in [("1 commit", &*one), ("1000 commits", &many)] {
                for &p in &pages {
                    volume.pages().read_page(snapshot, p, &mut buf)?; // warm the cache
                }
                let rounds = 200;
                let start = Instant::now();
                for _ in 0..rounds {
                    for &p in &pages {
                        volume.pages().read_page(snapshot, p, &mut buf)?;
                    }
                }
                let per = start.elapsed() / (rounds * pages.len() as u32);
                println!(
                    "warm page read at {label}: {:.2} us",
                    per.as_secs_f64() * 1e6
                );
            }
            anyhow::Ok(())
        })
        .await??;
        anyhow::Ok(())
    })
}
