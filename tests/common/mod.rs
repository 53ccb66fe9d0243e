//! Test harness for the end-to-end suites: fixture SQLite files, the real
//! `graftgres` binary (`import` and `serve`), a real Postgres client
//! (tokio-postgres) and the real `psql` binary.
//!
//! Every test makes its own [`TestDir`] (temp folder: fixtures, data dir,
//! configs) and its own server on port 0, so tests run in parallel.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio_postgres::SimpleQueryMessage;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_graftgres");

/// How long `serve` may take to print its listening line. Building and
/// importing the demo volume happens before that, hence the margin.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// How long one `import` or `psql` run may take before the test gives up.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
/// A server still running after this long is killed, so that a hung query
/// fails its test instead of hanging the whole suite.
pub const SERVER_WATCHDOG: Duration = Duration::from_secs(900);

// ---------------------------------------------------------------------------
// Temp folders
// ---------------------------------------------------------------------------

/// A test's own temp folder (removed on drop).
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("graftgres-test")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `name` inside the temp folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The default `--data-dir` of this test.
    pub fn data(&self) -> PathBuf {
        self.join("data")
    }
}

impl Default for TestDir {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// The schema of the typed fixture: one column per mapped type.
pub const TYPED_SCHEMA: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL, \
     data BLOB, active BOOLEAN, born DATE, at TIMESTAMP, amount NUMERIC, code VARCHAR(10))";

/// The typed fixture's rows: (id, name, price, data, active, born, at, amount, code).
/// Row 3 is all NULLs (but its key).
pub const TYPED_ROWS: &str = "
    INSERT INTO t VALUES (1, 'one', 1.5, x'0102', 1, '2024-01-02', '2024-01-02 03:04:05', 12.5, 'A1');
    INSERT INTO t VALUES (2, 'two', -2.25, x'ff00', 0, '1999-12-31', '1999-12-31 23:59:59', 7, 'B2');
    INSERT INTO t VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    INSERT INTO t VALUES (4, 'naïve ✓', 0.0, x'', 1, '2000-01-01', '2000-01-01 00:00:00.25', 19.99, 'Z');
";

/// Writes the small typed fixture (table `t`, 4 rows, see [`TYPED_ROWS`]).
pub fn typed_fixture(path: &Path) {
    let conn = Connection::open(path).expect("open fixture");
    conn.execute_batch(&format!("{TYPED_SCHEMA};\n{TYPED_ROWS}"))
        .expect("write typed fixture");
}

/// Rows in the large fixture.
pub const LARGE_ROWS: i64 = 200_000;

/// The secondary key of row `id` in the large fixture (a permutation of
/// 0..LARGE_ROWS, unique, so an index lookup returns exactly one row).
pub fn large_k(id: i64) -> i64 {
    (id * 7919) % LARGE_ROWS
}

/// The payload of row `id` in the large fixture: 200 pseudo-random
/// characters from a 64-letter alphabet, so the volume stays large even
/// after compression.
pub fn large_payload(id: i64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..200)
        .map(|_| {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            ALPHABET[(r >> 58) as usize] as char
        })
        .collect()
}

/// Writes the large fixture (~50 MB): `big(id INTEGER PRIMARY KEY,
/// k INTEGER NOT NULL, payload TEXT NOT NULL)` with 200k rows and a
/// secondary index `big_k` on `k`.
pub fn large_fixture(path: &Path) {
    let mut conn = Connection::open(path).expect("open fixture");
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE big(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT NOT NULL);",
    )
    .expect("create big");
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx.prepare("INSERT INTO big VALUES (?1, ?2, ?3)").unwrap();
        for id in 1..=LARGE_ROWS {
            insert
                .execute(rusqlite::params![id, large_k(id), large_payload(id)])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("CREATE INDEX big_k ON big(k); PRAGMA journal_mode = DELETE;")
        .expect("index big");
}

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// Output of a finished child process, as text.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` to completion (stdin closed), killing it after `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Run {
    let what = format!("{cmd:?}");
    let mut child = spawn_piped(&mut cmd, &what);
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                out.join().unwrap(),
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Starts `cmd` with stdin closed and stdout/stderr piped.
fn spawn_piped(cmd: &mut Command, what: &str) -> std::process::Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"))
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Environment variables for a child process.
pub type Env = [(&'static str, String)];

/// `graftgres ARGS...` run to completion (see [`run`]).
pub fn graftgres<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    run(cmd, COMMAND_TIMEOUT)
}

/// `graftgres import FILE --volume VOLUME --data-dir DATA [--config CONFIG]`.
pub fn import_cmd(
    data_dir: &Path,
    config: Option<&Path>,
    file: &Path,
    volume: &str,
    env: &Env,
) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.arg("import")
        .arg(file)
        .args(["--volume", volume])
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    run(cmd, COMMAND_TIMEOUT)
}

/// Imports and asserts that the import succeeded.
pub fn import(data_dir: &Path, file: &Path, volume: &str) -> Run {
    let out = import_cmd(data_dir, None, file, volume, &[]);
    assert!(
        out.success(),
        "graftgres import {} --volume {volume} failed\n{out}",
        file.display()
    );
    out
}

/// `graftgres sync FILE --volume VOLUME --data-dir DATA --interval-ms MS`,
/// running until dropped.
pub fn start_sync(data_dir: &Path, file: &Path, volume: &str, interval_ms: u64) -> Background {
    let mut cmd = Command::new(BIN);
    cmd.arg("sync")
        .arg(file)
        .args(["--volume", volume])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--interval-ms")
        .arg(interval_ms.to_string());
    Background::spawn(cmd)
}

/// How to start `graftgres serve`.
#[derive(Default)]
pub struct ServeOptions<'a> {
    pub data_dir: Option<&'a Path>,
    pub config: Option<&'a Path>,
    /// Build and serve the demo volume (drops `--no-demo`).
    pub demo: bool,
    pub env: Vec<(&'static str, String)>,
    /// Working directory of the server (relative paths in a config).
    pub cwd: Option<&'a Path>,
}

/// A long-running child process, killed on drop. Its stdout/stderr are
/// drained by threads; the last lines are kept (printed if the test fails),
/// and stdout lines are also handed to [`Background::wait_for_line`].
pub struct Background {
    child: Arc<Mutex<Child>>,
    what: String,
    log: Arc<Mutex<VecDeque<String>>>,
    stdout: Mutex<mpsc::Receiver<String>>,
}

const KEPT_LOG_LINES: usize = 400;

fn keep(log: &Mutex<VecDeque<String>>, line: String) {
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    if log.len() == KEPT_LOG_LINES {
        log.pop_front();
    }
    log.push_back(line);
}

impl Background {
    /// Starts `cmd` (stdin closed); it is killed after [`SERVER_WATCHDOG`]
    /// if still running, so that a hang fails its test instead of the suite.
    pub fn spawn(mut cmd: Command) -> Background {
        let what = format!("{cmd:?}");
        let mut child = spawn_piped(&mut cmd, &what);
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let stderr = child.stderr.take().unwrap();
        let stderr_log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep(&stderr_log, format!("[stderr] {line}"));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let stdout_log = log.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                keep(&stdout_log, format!("[stdout] {line}"));
            }
        });
        let child = Arc::new(Mutex::new(child));
        let watchdog = Arc::downgrade(&child);
        std::thread::spawn(move || {
            std::thread::sleep(SERVER_WATCHDOG);
            if let Some(child) = watchdog.upgrade() {
                eprintln!(
                    "watchdog: killing a graftgres process still running after {SERVER_WATCHDOG:?}"
                );
                let _ = child.lock().unwrap_or_else(|e| e.into_inner()).kill();
            }
        });
        Background {
            child,
            what,
            log,
            stdout: Mutex::new(rx),
        }
    }

    /// The rest of the first stdout line (not seen by an earlier call) that
    /// starts with `prefix`; panics, with the log, if the process exits or
    /// `timeout` passes first.
    pub fn wait_for_line(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let lines = self.stdout.lock().unwrap();
        loop {
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                }
                Err(_) if Instant::now() > deadline => {
                    let _ = self.child.lock().unwrap().kill();
                    panic!(
                        "{} printed no `{prefix}` line within {timeout:?}\n{}",
                        self.what,
                        self.log()
                    );
                }
                Err(_) => {
                    if let Some(status) = self.exit_status() {
                        std::thread::sleep(Duration::from_millis(200)); // let the log drain
                        panic!(
                            "{} exited with {status} before printing `{prefix}`\n{}",
                            self.what,
                            self.log()
                        );
                    }
                }
            }
        }
    }

    /// Its exit status, if it has exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.lock().unwrap().try_wait().unwrap()
    }

    /// Waits up to `timeout` for it to exit; `None` if it is still running.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exit_status() {
                std::thread::sleep(Duration::from_millis(200)); // let the log drain
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether it is still running.
    pub fn is_running(&self) -> bool {
        self.exit_status().is_none()
    }

    /// The last lines it printed.
    pub fn log(&self) -> String {
        dump(&self.what, &self.log)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
        drop(child);
        if std::thread::panicking() {
            eprintln!("{}", self.log());
        }
    }
}

fn dump(what: &str, log: &Mutex<VecDeque<String>>) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = format!("--- output of {what} (last lines) ---\n");
    for line in log.iter() {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// A running `graftgres serve`, killed on drop.
pub struct Server {
    process: Background,
    pub port: u16,
}

impl Server {
    /// `serve --no-demo --listen 127.0.0.1:0 --data-dir DATA`.
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(ServeOptions {
            data_dir: Some(data_dir),
            ..Default::default()
        })
    }

    pub fn start_with(options: ServeOptions<'_>) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").args(["--listen", "127.0.0.1:0"]);
        if let Some(data_dir) = options.data_dir {
            cmd.arg("--data-dir").arg(data_dir);
        }
        if let Some(config) = options.config {
            cmd.arg("--config").arg(config);
        }
        if !options.demo {
            cmd.arg("--no-demo");
        }
        cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
        if let Some(cwd) = options.cwd {
            cmd.current_dir(cwd);
        }
        let process = Background::spawn(cmd);
        let addr = process.wait_for_line("graftgres listening on ", STARTUP_TIMEOUT);
        let addr = addr.trim();
        assert!(
            addr.starts_with("127.0.0.1:"),
            "listening line names {addr:?}, expected 127.0.0.1:PORT"
        );
        let port: u16 = addr["127.0.0.1:".len()..]
            .parse()
            .unwrap_or_else(|e| panic!("bad port in listening line {addr:?}: {e}"));
        assert_ne!(port, 0, "the listening line must give the real port");
        Server { process, port }
    }

    /// The last lines the server printed.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// A tokio-postgres connection (user `test`, no password) to `db`.
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        match self.try_client(db).await {
            Ok(client) => client,
            Err(err) => panic!(
                "cannot connect to database {db:?} on port {}: {err:?}\n{}",
                self.port,
                self.log()
            ),
        }
    }

    pub async fn try_client(
        &self,
        db: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user("test")
            .dbname(db)
            .application_name("graftgres-tests")
            .connect_timeout(Duration::from_secs(30));
        let connect = config.connect(tokio_postgres::NoTls);
        let (client, connection) = tokio::time::timeout(Duration::from_secs(120), connect)
            .await
            .expect("connect did not finish within 120 s")?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Runs the real psql:
    /// `psql -X -A -t -h 127.0.0.1 -p PORT -U test -d DB ARGS...`.
    pub fn psql(&self, db: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-A", "-t", "-h", "127.0.0.1", "-U", "test", "-d", db])
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .env("PGCONNECT_TIMEOUT", "30")
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .env_remove("PGOPTIONS");
        run(cmd, COMMAND_TIMEOUT)
    }

    /// Whether the server process is still running.
    pub fn is_running(&self) -> bool {
        self.process.is_running()
    }
}

// ---------------------------------------------------------------------------
// Query helpers
// ---------------------------------------------------------------------------

/// A raw StartupMessage (protocol 3.0) for `user` and `database`.
pub fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    for (key, value) in [("user", user), ("database", database)] {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend(body);
    message
}

/// SQLSTATE of a tokio-postgres error, or a description if it has none.
pub fn sqlstate(err: &tokio_postgres::Error) -> String {
    match err.code() {
        Some(code) => code.code().to_owned(),
        None => format!("<no SQLSTATE: {err:?}>"),
    }
}

/// The rows of a simple-query answer, every value as text (NULL = None).
pub fn simple_rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// `SHOW name` for a setting that holds a decimal integer.
/// Waits until the replica has fetched the volume's interior pages
/// (`SHOW graftgres.warmup` stops saying `running`); returns what it cost.
pub async fn wait_for_warm_up(client: &tokio_postgres::Client) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let state: String = client
            .query_one("SHOW graftgres.warmup", &[])
            .await
            .unwrap()
            .get(0);
        if state != "running" {
            return state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "warm-up never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub async fn show_u64(client: &tokio_postgres::Client, name: &str) -> u64 {
    let messages = client
        .simple_query(&format!("SHOW {name}"))
        .await
        .unwrap_or_else(|e| panic!("SHOW {name}: {e:?}"));
    let rows = simple_rows(&messages);
    assert_eq!(rows.len(), 1, "SHOW {name} must return one row: {rows:?}");
    assert_eq!(
        rows[0].len(),
        1,
        "SHOW {name} must return one column: {rows:?}"
    );
    let text = rows[0][0]
        .as_deref()
        .unwrap_or_else(|| panic!("SHOW {name} returned NULL"));
    text.parse()
        .unwrap_or_else(|e| panic!("SHOW {name} returned {text:?}, not an integer: {e}"))
}

/// `SELECT count(*) FROM table` as i64.
pub async fn count(client: &tokio_postgres::Client, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    client
        .query_one(sql.as_str(), &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

// ---------------------------------------------------------------------------
// Client programs (tests/clients/)
// ---------------------------------------------------------------------------

/// The folder of the client scripts and programs.
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Whether `program args` runs; if not, fails under CI and skips otherwise.
pub fn available(what: &str, program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .current_dir(clients_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {what} is missing: run scripts/deps test"
        );
        eprintln!("skipped: {what} is not installed (scripts/deps test installs it)");
    }
    ok
}

/// pgjdbc (Debian `libpostgresql-jdbc-java`).
pub const PGJDBC_JAR: &str = "/usr/share/java/postgresql.jar";

/// Whether java, javac and pgjdbc are there; if not, fails under CI and
/// skips otherwise.
pub fn java_available() -> bool {
    available("java", "java", &["-version"])
        && available("javac", "javac", &["-version"])
        && available("pgjdbc", "test", &["-f", PGJDBC_JAR])
}

/// Compiles `tests/clients/{name}.java` against pgjdbc into DIR/classes.
pub fn javac(dir: &TestDir, name: &str) -> PathBuf {
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let mut cmd = Command::new("javac");
    cmd.args(["-cp", PGJDBC_JAR, "-d"])
        .arg(&classes)
        .arg(clients_dir().join(format!("{name}.java")));
    let out = run(cmd, COMMAND_TIMEOUT);
    assert!(out.success(), "javac {name}.java failed\n{out}");
    classes
}

/// `java -cp PGJDBC:CLASSES MAIN ARGS...`, run to completion.
pub fn java(classes: &Path, main: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("java");
    cmd.arg("-cp")
        .arg(format!("{PGJDBC_JAR}:{}", classes.display()))
        .arg(main)
        .args(args);
    run(cmd, COMMAND_TIMEOUT)
}

/// Whether `python3 -c 'import moto.server, boto3'` works.
pub fn moto_available() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server, boto3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
