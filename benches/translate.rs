//! Translation time per query, cold and cached: every query of the
//! differential suite (`tests/differential/*.sql`) planned through
//! `sql::plan_uncached` (parse + classify + rewrite rules + print) and
//! through `sql::plan` with the translation cache warm.
//!
//! `cargo bench --bench translate` prints one line per query and a summary.

use std::path::Path;
use std::time::{Duration, Instant};

use graftgres::sql;

/// Rounds of each measurement; the mean is printed.
const ROUNDS: u32 = 200;

fn queries() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/differential")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut queries = Vec::new();
    for file in files {
        let mut current = String::new();
        for line in std::fs::read_to_string(file).unwrap().lines() {
            if current.is_empty() && (line.trim().is_empty() || line.trim().starts_with("--")) {
                continue;
            }
            current.push_str(line);
            current.push('\n');
            if line.trim_end().ends_with(';') {
                queries.push(current.trim().trim_end_matches(';').to_owned());
                current.clear();
            }
        }
    }
    queries
}

fn mean(f: impl Fn()) -> Duration {
    f(); // warm-up
    let start = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    start.elapsed() / ROUNDS
}

fn main() {
    let queries = queries();
    let (mut cold_total, mut cached_total) = (Duration::ZERO, Duration::ZERO);
    let mut worst = (Duration::ZERO, String::new());
    for query in &queries {
        let cold = mean(|| {
            let _ = std::hint::black_box(sql::plan_uncached(query));
        });
        sql::cache::clear();
        let _ = sql::plan(query);
        let cached = mean(|| {
            let _ = std::hint::black_box(sql::plan(query));
        });
        cold_total += cold;
        cached_total += cached;
        if cold > worst.0 {
            worst = (cold, query.clone());
        }
        let short: String = query.chars().take(70).collect();
        println!("{:>9.1?} cold {:>9.1?} cached  {short}", cold, cached);
    }
    let n = queries.len() as u32;
    println!(
        "translate: {} queries, mean {:.1?} cold, {:.1?} cached per query; slowest cold {:.1?}: {}",
        n,
        cold_total / n,
        cached_total / n,
        worst.0,
        worst.1.chars().take(80).collect::<String>()
    );
}
