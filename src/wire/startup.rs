//! Connection startup: pick the volume by database name, create the session,
//! and report the server parameters a Postgres 15 hot standby reports.
//!
//! No password is asked (trust authentication).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::{
    ServerParameterProvider, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, METADATA_APPLICATION_NAME, METADATA_DATABASE, METADATA_USER};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::SecretKey;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::cancel::Cancels;
use super::session::{REPORTED, Session};
use crate::error::sqlstate;
use crate::replica::Replica;

pub struct StartupHandler {
    replica: Arc<Replica>,
    cancels: Arc<Cancels>,
}

impl StartupHandler {
    pub fn new(replica: Arc<Replica>, cancels: Arc<Cancels>) -> Self {
        Self { replica, cancels }
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
        let PgWireFrontendMessage::Startup(startup) = message else {
            return Ok(());
        };
        protocol_negotiation(client, &startup).await?;
        save_startup_parameters_to_metadata(client, &startup);
        let metadata = client.metadata();
        let user = metadata
            .get(METADATA_USER)
            .cloned()
            .unwrap_or_else(|| "postgres".into());
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
        tracing::debug!(%database, pid, "session started");
        Ok(())
    }
}
