//! The Postgres front end: accepting connections and speaking the protocol.
//!
//! pgwire does the framing, SSL negotiation (with the acceptor of [`tls`] when
//! `[tls]` is set, else SSLRequest is answered 'N'), and the extended-query
//! state machine; this module supplies the startup handler ([`startup`], with
//! [`auth`] for passwords), the query handlers ([`query`]), per-session state
//! ([`session`]) and value encoding ([`encode`], [`array`]). Nothing here
//! touches SQLite or the object store directly: reads go through
//! [`crate::exec`], volumes through [`crate::replica`].

pub mod array;
pub mod auth;
pub mod cancel;
pub mod copy;
pub mod cursor;
pub mod encode;
pub mod query;
pub mod session;
pub mod startup;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use pgwire::api::PgWireServerHandlers;
use pgwire::error::{ErrorInfo, PgWireError};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::error::PgError;
use crate::replica::Replica;
use auth::Auth;
use cancel::{CancelRequests, Cancels};
use query::QueryHandler;
use startup::StartupHandler;
use tls::Tls;

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

/// How clients connect: TLS and authentication, from `[tls]` and `[auth]`.
pub struct Security {
    pub tls: Option<Tls>,
    pub auth: Auth,
}

impl Security {
    /// Loads the certificate and resolves every user's password; errors
    /// name the config key, and stop the server before it listens.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let tls = config.tls.as_ref().map(Tls::load).transpose()?;
        let auth = Auth::new(&config.auth, tls.as_ref())?;
        Ok(Self { tls, auth })
    }
}

impl Handlers {
    pub fn new(replica: Arc<Replica>, security: Security) -> Self {
        let cancels = Arc::new(Cancels::default());
        let require_tls = security.tls.as_ref().is_some_and(|tls| tls.require);
        Self {
            startup: Arc::new(StartupHandler::new(
                replica,
                cancels.clone(),
                security.auth,
                require_tls,
            )),
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
pub async fn serve(
    listener: TcpListener,
    replica: Arc<Replica>,
    security: Security,
) -> anyhow::Result<()> {
    tracing::info!(
        tls = security.tls.is_some(),
        require_tls = security.tls.as_ref().is_some_and(|tls| tls.require),
        auth = ?security.auth.method(),
        users = security.auth.users(),
        "client security"
    );
    let acceptor = security.tls.as_ref().map(|tls| tls.acceptor.clone());
    let handlers = Arc::new(Handlers::new(replica, security));
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
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            tracing::debug!(%peer, "connection");
            // A task of its own, so a panic in pgwire's decoder (it has one
            // for a message length under 4) ends this connection, logged.
            let session = tokio::spawn(pgwire::tokio::process_socket(socket, acceptor, handlers));
            match session.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(%peer, %err, "connection ended with an error"),
                Err(err) => tracing::warn!(%peer, %err, "connection dropped: its task failed"),
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
