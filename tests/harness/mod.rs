//! Test harness: fixture SQLite files, the real `graftgres` binary (import
//! and serve), a real Postgres client (tokio-postgres) and the real psql.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

pub const BIN: &str = env!("CARGO_BIN_EXE_graftgres");

/// A small table with every column type the foundation maps.
pub fn typed_fixture(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB, active BOOLEAN,
                         born DATE, at TIMESTAMP, amount NUMERIC, code VARCHAR(10));
         INSERT INTO t VALUES (1, 'one', 1.5, x'0102', 1, '2024-01-02', '2024-01-02 03:04:05', '12.50', 'A1');
         INSERT INTO t VALUES (2, 'two', 2.25, x'ff', 0, '2023-12-31', '2023-12-31 23:59:59', 7, 'B2');
         INSERT INTO t VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
    )
    .unwrap();
}

/// ~50 MB: 200k rows of 200-byte payloads with a secondary index.
pub fn large_fixture(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT NOT NULL);",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx.prepare("INSERT INTO big VALUES (?1, ?2, ?3)").unwrap();
        for id in 1..=200_000i64 {
            let k = (id * 7919) % 200_000;
            // Incompressible-ish payload so the volume stays large in the store.
            let payload: String = (0..25)
                .map(|j| format!("{:08x}", (id * 2654435761 + j * 40503) & 0xffff_ffff))
                .collect();
            insert.execute(rusqlite::params![id, k, payload]).unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("CREATE INDEX big_k ON big(k);").unwrap();
}

pub fn import(
    data_dir: &Path,
    config: Option<&Path>,
    file: &Path,
    volume: &str,
) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("import")
        .arg(file)
        .args(["--volume", volume])
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running `graftgres serve`, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(data_dir: &Path, config: Option<&Path>, demo: bool) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"]);
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        if !demo {
            cmd.arg("--no-demo");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("graftgres listening on ") {
                    let _ = tx.send(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap());
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(300))
            .expect("server did not start");
        Server { child, port }
    }

    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        self.try_client(db).await.unwrap()
    }

    pub async fn try_client(
        &self,
        db: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user("tester")
            .dbname(db)
            .connect(tokio_postgres::NoTls)
            .await?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Runs the real psql with `args`; returns (stdout, stderr, success).
    pub fn psql(&self, db: &str, args: &[&str]) -> (String, String, bool) {
        let out = Command::new("psql")
            .args(["-X", "-h", "127.0.0.1", "-U", "tester", "-d", db])
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .env("PGCONNECT_TIMEOUT", "30")
            .output()
            .expect("psql is installed");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.success(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// SQLSTATE of a tokio-postgres error.
pub fn code(err: &tokio_postgres::Error) -> String {
    err.code()
        .map(|c| c.code().to_owned())
        .unwrap_or_else(|| format!("no code: {err}"))
}
