//! `graftgres sync` end to end: an application keeps writing a SQLite file
//! (rollback journal, then WAL), `sync` pushes its commits, and a client of
//! `serve` on the same data dir sees each of them within a bounded wait,
//! always as a committed state of the file: the application only makes
//! transfers between accounts, each logged in `moves`, so every balance must
//! equal what the log says and the total never changes. A transaction keeps
//! its snapshot while sync pushes; the writer holding the file locked does
//! not stop sync; a file that disappears or stops being SQLite does, with a
//! clear error.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use rusqlite::{Connection, TransactionBehavior};

const ACCOUNTS: i64 = 20;
const OPENING_BALANCE: i64 = 100;
const TOTAL: i64 = ACCOUNTS * OPENING_BALANCE;
/// Generous: the machine is shared; the waits end as soon as the answer is there.
const DEADLINE: Duration = Duration::from_secs(120);

fn create_bank(path: &Path, journal_mode: &str) {
    let conn = Connection::open(path).unwrap();
    let mode: String = conn
        .query_row(&format!("PRAGMA journal_mode = {journal_mode}"), [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(mode.to_uppercase(), journal_mode);
    conn.execute_batch(&format!(
        "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
         CREATE TABLE moves(id INTEGER PRIMARY KEY, src INTEGER NOT NULL,
                            dst INTEGER NOT NULL, amount INTEGER NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ACCOUNTS})
         INSERT INTO accounts SELECT i, {OPENING_BALANCE} FROM n;"
    ))
    .unwrap();
}

/// The application writing the file on its own thread until stopped.
struct App {
    stop: Arc<AtomicBool>,
    /// Held by the application around each transaction; the test takes it
    /// to pause the application with its connection still open.
    gate: Arc<Mutex<()>>,
    commits: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

/// The commit during which the application holds its lock for a while.
const LONG_COMMIT: u64 = 15;
/// Longer than sync's wait for a lock (2 s) and than rusqlite's default
/// busy timeout (5 s), so that sync meets SQLITE_BUSY in rollback-journal
/// mode.
const LONG_COMMIT_HOLDS: Duration = Duration::from_secs(6);

impl App {
    fn start(path: &Path) -> App {
        let stop = Arc::new(AtomicBool::new(false));
        let commits = Arc::new(AtomicU64::new(0));
        let gate = Arc::new(Mutex::new(()));
        let path = path.to_path_buf();
        let thread = {
            let (stop, commits, gate) = (stop.clone(), commits.clone(), gate.clone());
            std::thread::spawn(move || {
                let mut conn = Connection::open(&path).unwrap();
                conn.busy_timeout(Duration::from_secs(30)).unwrap();
                let mut state = 0x9E37_79B9_7F4A_7C15u64;
                let mut next = move |n: u64| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % n
                };
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let _turn = gate.lock().unwrap();
                    let long = i == LONG_COMMIT;
                    let behavior = if long {
                        TransactionBehavior::Exclusive
                    } else {
                        TransactionBehavior::Immediate
                    };
                    let tx = conn.transaction_with_behavior(behavior).unwrap();
                    let src = next(ACCOUNTS as u64) as i64 + 1;
                    let dst = next(ACCOUNTS as u64) as i64 + 1;
                    let amount = next(30) as i64 + 1;
                    tx.execute(
                        "UPDATE accounts SET balance = balance - ?2 WHERE id = ?1",
                        [src, amount],
                    )
                    .unwrap();
                    tx.execute(
                        "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1",
                        [dst, amount],
                    )
                    .unwrap();
                    tx.execute(
                        "INSERT INTO moves(src, dst, amount) VALUES (?1, ?2, ?3)",
                        [src, dst, amount],
                    )
                    .unwrap();
                    if long {
                        std::thread::sleep(LONG_COMMIT_HOLDS);
                    }
                    tx.commit().unwrap();
                    commits.fetch_add(1, Ordering::Relaxed);
                    drop(_turn);
                    std::thread::sleep(Duration::from_millis(15));
                }
            })
        };
        App {
            stop,
            gate,
            commits,
            thread: Some(thread),
        }
    }

    fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Pauses the application between two transactions (its connection
    /// stays open, so a WAL file is not checkpointed) while the guard lives.
    fn pause(&self) -> std::sync::MutexGuard<'_, ()> {
        self.gate.lock().unwrap()
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the application thread panicked");
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Every account as (id, balance, the balance its moves add up to), and the
/// number of moves; one statement, so one snapshot.
const BOOKS: &str = "SELECT a.id, a.balance,
        100 + coalesce((SELECT sum(amount) FROM moves m WHERE m.dst = a.id), 0)
            - coalesce((SELECT sum(amount) FROM moves m WHERE m.src = a.id), 0),
        (SELECT count(*) FROM moves)
    FROM accounts a ORDER BY a.id";

/// The books as of one snapshot: (id, balance) per account, and the moves.
#[derive(Debug, Clone, PartialEq)]
struct Books {
    balances: Vec<(i64, i64)>,
    moves: i64,
}

/// Reads the books through graftgres and checks that they are a committed
/// state: each balance is what the moves say, the total is unchanged.
async fn read_books(client: &tokio_postgres::Client) -> Books {
    let rows = simple_rows(&client.simple_query(BOOKS).await.unwrap());
    let int = |v: &Option<String>| -> i64 { v.as_deref().unwrap().parse().unwrap() };
    assert_eq!(rows.len() as i64, ACCOUNTS, "{rows:?}");
    for row in &rows {
        assert_eq!(int(&row[1]), int(&row[2]), "a torn state: {rows:?}");
    }
    let balances: Vec<_> = rows.iter().map(|r| (int(&r[0]), int(&r[1]))).collect();
    let total: i64 = balances.iter().map(|b| b.1).sum();
    assert_eq!(total, TOTAL, "a torn state: {rows:?}");
    Books {
        balances,
        moves: int(&rows[0][3]),
    }
}

/// The books as SQLite reads them from the file.
fn file_books(path: &Path) -> Books {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, balance FROM accounts ORDER BY id")
        .unwrap();
    let balances = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let moves = conn
        .query_row("SELECT count(*) FROM moves", [], |r| r.get(0))
        .unwrap();
    Books { balances, moves }
}

/// Reads the books (checking each read) until `done` says they are what
/// was wanted; panics at the deadline. Moves never go backwards.
async fn read_until(
    client: &tokio_postgres::Client,
    what: &str,
    mut done: impl FnMut(&Books) -> bool,
) -> Books {
    let deadline = Instant::now() + DEADLINE;
    let mut last = 0;
    loop {
        let books = read_books(client).await;
        assert!(
            books.moves >= last,
            "{what}: moves went backwards: {books:?}"
        );
        last = books.moves;
        if done(&books) {
            return books;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {DEADLINE:?}: {books:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// The pause guard is a std mutex held across awaits on purpose: it stops
// the application's (std) thread, and no task ever waits on it.
#[allow(clippy::await_holding_lock)]
async fn sync_follows_a_live_file(journal_mode: &str) {
    let dir = TestDir::new();
    let file = dir.join("bank.sqlite");
    create_bank(&file, journal_mode);
    let sync = start_sync(&dir.data(), &file, "v", 100);
    sync.wait_for_line("synced ", DEADLINE);
    let server = Server::start(&dir.data());
    let client = server.client("v").await;
    let first_lsn = show_u64(&client, "graftgres.snapshot_lsn").await;

    let mut app = App::start(&file);

    // Each change arrives (the snapshot LSN grows); every read is a
    // committed state, and moves never go backwards.
    let mut lsns = std::collections::BTreeSet::from([first_lsn]);
    let deadline = Instant::now() + DEADLINE;
    let mut last = read_books(&client).await;
    while lsns.len() < 10 {
        lsns.insert(show_u64(&client, "graftgres.snapshot_lsn").await);
        let books = read_books(&client).await;
        assert!(books.moves >= last.moves, "moves went backwards: {books:?}");
        last = books;
        assert!(
            Instant::now() < deadline,
            "snapshot_lsn did not grow: {lsns:?}\n{}",
            sync.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(last.moves > 0);

    // A transaction keeps its snapshot while sync pushes.
    let tx = server.client("v").await;
    tx.simple_query("BEGIN").await.unwrap();
    let pinned = read_books(&tx).await;
    read_until(&client, "a move after the transaction began", |b| {
        b.moves > pinned.moves
    })
    .await;
    assert_eq!(
        read_books(&tx).await,
        pinned,
        "the transaction's snapshot moved"
    );
    tx.simple_query("COMMIT").await.unwrap();
    assert!(read_books(&tx).await.moves > pinned.moves);

    // Past the commit that held the lock, and then some.
    read_until(&client, "moves past the long commit", |b| {
        b.moves > LONG_COMMIT as i64 + 5
    })
    .await;
    if journal_mode == "DELETE" {
        // It could not read the file meanwhile, and said so.
        assert!(
            sync.log().contains("locked by its writer"),
            "{}",
            sync.log()
        );
    }
    // While the application pauses (its connection open: no checkpoint in
    // WAL mode), graftgres converges on the file exactly.
    {
        let _paused = app.pause();
        let want = file_books(&file);
        read_until(&client, "the file's last commit", |b| b == &want).await;
    }
    app.stop();
    let commits = app.commits() as i64;
    let want = file_books(&file);
    assert_eq!(want.moves, commits);
    read_until(&client, "the file's last commit", |b| b == &want).await;
    assert!(sync.is_running(), "sync stopped\n{}", sync.log());
    assert!(server.is_running());
    eprintln!(
        "{journal_mode}: {commits} commits, {} snapshots seen, sync log:\n{}",
        lsns.len(),
        sync.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_follows_a_live_rollback_journal_file() {
    sync_follows_a_live_file("DELETE").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_follows_a_live_wal_file() {
    sync_follows_a_live_file("WAL").await;
}

/// `sync` ends with an error naming the problem, and a non-zero status,
/// when its file disappears or is no longer a SQLite database.
#[test]
fn sync_stops_when_the_file_is_gone_or_not_sqlite() {
    type Spoil = fn(&Path);
    let cases: [(&str, Spoil, &str); 2] = [
        ("deleted", |f| std::fs::remove_file(f).unwrap(), "is gone"),
        (
            "overwritten",
            |f| std::fs::write(f, b"not a database, just text\n".repeat(200)).unwrap(),
            "is not a SQLite database",
        ),
    ];
    for (what, spoil, message) in cases {
        let dir = TestDir::new();
        let file = dir.join("app.sqlite");
        create_bank(&file, "DELETE");
        let sync = start_sync(&dir.data(), &file, "v", 100);
        sync.wait_for_line("synced ", DEADLINE);
        spoil(&file);
        let status = sync
            .wait_exit(DEADLINE)
            .unwrap_or_else(|| panic!("{what}: sync still running\n{}", sync.log()));
        assert!(!status.success(), "{what}: {status}\n{}", sync.log());
        assert!(
            sync.log().contains(message),
            "{what}: no {message:?} in\n{}",
            sync.log()
        );
    }
}
