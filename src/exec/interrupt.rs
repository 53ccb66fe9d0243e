//! Stopping running statements: a client's CancelRequest and
//! `statement_timeout` both end in `sqlite3_interrupt` on the connection
//! that runs the statement, which then fails with SQLITE_INTERRUPT (57014).
//!
//! Each session owns an [`Interrupts`]; every statement registers the
//! interrupt handle of its connection for as long as it runs (until its last
//! row is sent or it is dropped) through a [`Registration`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::InterruptHandle;

use crate::error::{PgError, sqlstate};

/// The statements one session is running, by registration id.
#[derive(Default)]
pub struct Interrupts {
    running: Mutex<HashMap<u64, Arc<InterruptHandle>>>,
    next: AtomicU64,
}

impl Interrupts {
    /// Registers a statement running on the connection of `handle`; with a
    /// timeout, the statement is interrupted when it runs longer.
    pub fn register(
        self: &Arc<Self>,
        handle: Arc<InterruptHandle>,
        timeout: Option<Duration>,
    ) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running.lock().insert(id, handle.clone());
        let timed_out = Arc::new(AtomicBool::new(false));
        let timer = timeout.and_then(|after| {
            let timed_out = timed_out.clone();
            let runtime = tokio::runtime::Handle::try_current().ok()?;
            Some(runtime.spawn(async move {
                tokio::time::sleep(after).await;
                timed_out.store(true, Ordering::Relaxed);
                handle.interrupt();
            }))
        });
        Registration {
            interrupts: self.clone(),
            id,
            timer,
            timed_out,
        }
    }

    /// Interrupts every statement the session is running (a CancelRequest).
    pub fn interrupt_all(&self) {
        for handle in self.running.lock().values() {
            handle.interrupt();
        }
    }
}

/// A running statement's entry in its session's [`Interrupts`]; dropping it
/// ends the registration and its timer.
pub struct Registration {
    interrupts: Arc<Interrupts>,
    id: u64,
    timer: Option<tokio::task::JoinHandle<()>>,
    timed_out: Arc<AtomicBool>,
}

impl Registration {
    /// Postgres's wording for an interrupted statement: a timeout says so.
    pub fn explain(&self, err: PgError) -> PgError {
        if err.code == sqlstate::QUERY_CANCELED && self.timed_out.load(Ordering::Relaxed) {
            PgError::new(
                sqlstate::QUERY_CANCELED,
                "canceling statement due to statement timeout",
            )
        } else {
            err
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
        self.interrupts.running.lock().remove(&self.id);
    }
}
