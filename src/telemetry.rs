//! Metrics: object-store traffic of reads and warm-ups as Prometheus
//! counters (`metrics` facade; the exporter listens where the config says).
//!
//! Counters: `graftgres_reads_total`, `graftgres_object_store_requests_total`,
//! `graftgres_object_store_rounds_total`, `graftgres_object_store_bytes_total`,
//! `graftgres_frames_fetched_total`, `graftgres_frames_used_total` (fetched
//! frames SQLite then read: their ratio to frames fetched is precision), each
//! labelled `phase` = `read` or `warmup`.

use std::net::SocketAddr;

use metrics::counter;
use metrics_exporter_prometheus::PrometheusBuilder;

use crate::replica::stats::StatsSnapshot;

/// Serves `/metrics` on `listen`. Call once, inside the Tokio runtime.
pub fn install(listen: SocketAddr) -> anyhow::Result<()> {
    PrometheusBuilder::new()
        .with_http_listener(listen)
        .install()?;
    tracing::info!(%listen, "serving Prometheus metrics");
    Ok(())
}

/// Counts one read's traffic.
pub fn record_read(stats: &StatsSnapshot) {
    counter!("graftgres_reads_total").increment(1);
    record("read", stats);
}

/// Counts a volume's warm-up traffic.
pub fn record_warmup(stats: &StatsSnapshot) {
    record("warmup", stats);
}

fn record(phase: &'static str, stats: &StatsSnapshot) {
    counter!("graftgres_object_store_requests_total", "phase" => phase).increment(stats.requests);
    counter!("graftgres_object_store_rounds_total", "phase" => phase).increment(stats.rounds);
    counter!("graftgres_object_store_bytes_total", "phase" => phase).increment(stats.bytes);
    counter!("graftgres_frames_fetched_total", "phase" => phase).increment(stats.frames);
    counter!("graftgres_frames_used_total", "phase" => phase).increment(stats.frames_used);
}
