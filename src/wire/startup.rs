//! Connection startup: refuse plaintext when TLS is required, authenticate
//! (trust, SCRAM or a password, see [`super::auth`]), then pick the volume by
//! database name, create the session, and report the server parameters a
//! Postgres 15 hot standby reports.
//!
//! The order is Postgres's: the transport check (pg_hba) comes before
//! authentication, and the database is looked up only once the client has
//! authenticated, so an unauthenticated client learns nothing of the volumes.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    AuthDriver, AuthOutcome, ServerParameterProvider, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, METADATA_APPLICATION_NAME, METADATA_DATABASE, METADATA_USER, PgWireConnectionState,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::{Authentication, SecretKey};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::auth::Auth;
use super::cancel::Cancels;
use super::session::{REPORTED, Session};
use super::tls;
use crate::error::sqlstate;
use crate::replica::Replica;

pub struct StartupHandler {
    replica: Arc<Replica>,
    cancels: Arc<Cancels>,
    auth: Auth,
    require_tls: bool,
    /// Runs the authentication mechanisms. It is never asked to complete the
    /// startup: [`StartupHandler::start_session`] does, with our own pid,
    /// cancel key and parameters, hence the empty parameter set.
    driver: AuthDriver<Parameters>,
}

impl StartupHandler {
    pub fn new(
        replica: Arc<Replica>,
        cancels: Arc<Cancels>,
        auth: Auth,
        require_tls: bool,
    ) -> Self {
        Self {
            replica,
            cancels,
            auth,
            require_tls,
            driver: AuthDriver::new(Parameters(HashMap::new())),
        }
    }
}

/// The ParameterStatus messages sent after authentication.
struct Parameters(HashMap<String, String>);

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, _client: &C) -> Option<HashMap<String, String>> {
        Some(self.0.clone())
    }
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

/// The startup user, as the session will know it.
fn user<C: ClientInfo>(client: &C) -> String {
    client
        .metadata()
        .get(METADATA_USER)
        .cloned()
        .unwrap_or_else(|| "postgres".into())
}

fn authenticating<C: ClientInfo>(client: &C) -> bool {
    matches!(
        client.state(),
        PgWireConnectionState::AuthenticationInProgress
    )
}

#[async_trait]
impl pgwire::api::auth::StartupHandler for StartupHandler {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self.step(client, message).await {
            Err(err) if err.is_fatal() && !matches!(err, PgWireError::IoError(_)) => {
                reject(client, err).await
            }
            result => result,
        }
    }
}

/// Sends a FATAL error and closes the connection, as Postgres does. Handing
/// the error back to pgwire would send ReadyForQuery after it too (its error
/// path is the one of queries), which asyncpg reports as a protocol
/// violation. The error returned ends the connection's task: pgwire's attempt
/// to report it finds the socket closed.
async fn reject<C>(client: &mut C, err: PgWireError) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let info = ErrorInfo::from(err);
    tracing::debug!(code = %info.code, message = %info.message, "connection refused");
    client
        .send(PgWireBackendMessage::ErrorResponse(info.into()))
        .await?;
    client.close().await?;
    Err(PgWireError::IoError(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "closed after a FATAL error",
    )))
}

impl StartupHandler {
    /// One startup message: the StartupMessage, then each password message.
    async fn step<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let outcome = match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if self.require_tls && !client.is_secure() {
                    let user = user(client);
                    let database = client.metadata().get(METADATA_DATABASE).unwrap_or(&user);
                    return Err(tls::refuse_plaintext(client, &user, database));
                }
                let Some(mechanism) = self.auth.mechanism(client.is_secure()) else {
                    return self.start_session(client, None).await;
                };
                self.driver.begin_authentication(client, mechanism).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) if authenticating(client) => {
                self.driver.advance_authentication(client, message).await
            }
            _ if authenticating(client) => {
                return Err(fatal(
                    sqlstate::PROTOCOL_VIOLATION,
                    "expected password response".into(),
                ));
            }
            _ => return Ok(()),
        };
        match outcome {
            Ok(AuthOutcome::InProgress) => Ok(()),
            Ok(AuthOutcome::Authenticated { final_message, .. }) => {
                self.start_session(client, final_message).await
            }
            Err(err) => Err(self.auth.failure(err, &user(client))),
        }
    }

    /// After authentication (`final_message` is SCRAM's server signature):
    /// opens the volume, creates the session and sends AuthenticationOk,
    /// the parameters, BackendKeyData and ReadyForQuery.
    async fn start_session<C>(
        &self,
        client: &mut C,
        final_message: Option<Authentication>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(message) = final_message {
            client
                .feed(PgWireBackendMessage::Authentication(message))
                .await?;
        }
        let user = user(client);
        let metadata = client.metadata();
        // Postgres's default database is the user's name.
        let database = metadata
            .get(METADATA_DATABASE)
            .cloned()
            .unwrap_or_else(|| user.clone());
        let application_name = metadata.get(METADATA_APPLICATION_NAME).cloned();

        let volume = match self.replica.open(&database).await {
            Ok(Some(volume)) => volume,
            Ok(None) => {
                return Err(fatal(
                    sqlstate::INVALID_CATALOG_NAME,
                    format!("database \"{database}\" does not exist"),
                ));
            }
            Err(err) => {
                tracing::error!(%database, %err, "cannot open volume");
                return Err(fatal(
                    sqlstate::CANNOT_CONNECT_NOW,
                    format!("cannot open database \"{database}\": {err}"),
                ));
            }
        };
        let session = Session::new(volume, user, application_name.as_deref());
        let parameters = REPORTED
            .iter()
            .filter_map(|(reported, name)| Some((reported.to_string(), session.setting(name)?)))
            .chain([("session_authorization".to_owned(), session.user.clone())])
            .collect();
        let pid = rand::random::<i32>() & i32::MAX;
        let secret = SecretKey::I32(rand::random());
        // Kept with the session: dropped (unregistered) when the connection ends.
        client.session_extensions().insert(self.cancels.register(
            pid,
            &secret,
            &session.interrupts,
        ));
        client.session_extensions().insert(session);
        client.set_pid_and_secret_key(pid, secret);
        finish_authentication(client, &Parameters(parameters)).await?;
        tracing::debug!(%database, pid, secure = client.is_secure(), "session started");
        Ok(())
    }
}
