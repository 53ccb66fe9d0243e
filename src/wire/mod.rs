//! The Postgres front end: accepting connections and speaking the protocol.
//!
//! pgwire does the framing, SSL negotiation (answered 'N' for now), and the
//! extended-query state machine; this module supplies the startup handler
//! ([`startup`]), the query handlers ([`query`]), per-session state
//! ([`session`]) and value encoding ([`encode`], [`array`]). Nothing here touches SQLite
//! or the object store directly: reads go through [`crate::exec`], volumes
//! through [`crate::replica`].

pub mod array;
pub mod cancel;
pub mod copy;
pub mod cursor;
pub mod encode;
pub mod query;
pub mod session;
pub mod startup;

use std::net::SocketAddr;
use std::sync::Arc;

use pgwire::api::PgWireServerHandlers;
use pgwire::error::{ErrorInfo, PgWireError};
use tokio::net::TcpListener;

use crate::error::PgError;
use crate::replica::Replica;
use cancel::{CancelRequests, Cancels};
use query::QueryHandler;
use startup::StartupHandler;

impl From<PgError> for PgWireError {
    fn from(err: PgError) -> Self {
        PgWireError::UserError(Box::new(error_info(&err)))
    }
}

/// The ErrorResponse fields for an error.
pub fn error_info(err: &PgError) -> ErrorInfo {
    ErrorInfo::new("ERROR".to_owned(), err.code.to_owned(), err.message.clone())
}

/// All handlers of one server; shared by every connection.
pub struct Handlers {
    startup: Arc<StartupHandler>,
    query: Arc<QueryHandler>,
    cancel: Arc<CancelRequests>,
}

impl Handlers {
    pub fn new(replica: Arc<Replica>) -> Self {
        let cancels = Arc::new(Cancels::default());
        Self {
            startup: Arc::new(StartupHandler::new(replica, cancels.clone())),
            query: Arc::new(QueryHandler::new()),
            cancel: Arc::new(CancelRequests(cancels)),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.query.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.query.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener, replica: Arc<Replica>) -> anyhow::Result<()> {
    let handlers = Arc::new(Handlers::new(replica));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let handlers = handlers.clone();
        tokio::spawn(async move {
            tracing::debug!(%peer, "connection");
            if let Err(err) = pgwire::tokio::process_socket(socket, None, handlers).await {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
        });
    }
}

/// Binds the listener (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))
}
