//! CancelRequest: a client opens a second connection carrying the process id
//! and secret key it got in BackendKeyData; the session they name has every
//! statement it is running interrupted (57014, "canceling statement due to
//! user request").
//!
//! The registry maps (pid, secret key) to the session's
//! [`Interrupts`]; a session's [`Registered`] guard removes it when the
//! connection ends.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::Mutex;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;

use crate::exec::interrupt::Interrupts;

type Key = (i32, Bytes);

/// The live sessions a CancelRequest may name.
#[derive(Default)]
pub struct Cancels {
    sessions: Mutex<HashMap<Key, Weak<Interrupts>>>,
}

impl Cancels {
    /// Registers a session under its BackendKeyData; the registration ends
    /// when the returned guard is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        interrupts: &Arc<Interrupts>,
    ) -> Registered {
        let key = (pid, secret.to_bytes());
        self.sessions
            .lock()
            .insert(key.clone(), Arc::downgrade(interrupts));
        Registered {
            cancels: self.clone(),
            key,
        }
    }

    fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let interrupts = self
            .sessions
            .lock()
            .get(&(pid, secret.to_bytes()))
            .and_then(Weak::upgrade);
        match interrupts {
            Some(interrupts) => {
                interrupts.interrupt_all();
                true
            }
            None => false,
        }
    }
}

/// A session's place in [`Cancels`].
pub struct Registered {
    cancels: Arc<Cancels>,
    key: Key,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.cancels.sessions.lock().remove(&self.key);
    }
}

/// pgwire's hook for CancelRequest messages.
pub struct CancelRequests(pub Arc<Cancels>);

#[async_trait]
impl CancelHandler for CancelRequests {
    async fn on_cancel_request(&self, request: CancelRequest) {
        // Like Postgres, a request that names no session is ignored.
        let found = self.0.cancel(request.pid, &request.secret_key);
        tracing::debug!(pid = request.pid, found, "cancel request");
    }
}
