//! TLS for Postgres clients: the server certificate and key from `[tls]`,
//! loaded once at start into a rustls acceptor (ring provider).
//!
//! pgwire does the negotiation with it: an SSLRequest is answered 'S' and the
//! socket upgraded, a GSSENCRequest 'N' (before or after the SSLRequest), and
//! a connection that opens with a TLS ClientHello (PG 17's
//! `sslnegotiation=direct`) is accepted when it names the ALPN protocol
//! "postgresql". With `require = true` the startup handler refuses clients
//! that stayed in plaintext ([`refuse_plaintext`]).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use pgwire::api::ClientInfo;
use pgwire::error::{ErrorInfo, PgWireError};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};

use crate::config::TlsConfig;
use crate::error::sqlstate;

/// The ALPN protocol name of direct TLS connections (PG 17).
const ALPN_POSTGRESQL: &[u8] = b"postgresql";

/// What the listener needs to speak TLS.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// Refuse plaintext clients.
    pub require: bool,
    /// The certificate file as read, for SCRAM channel binding
    /// (`tls-server-end-point` hashes the server's certificate).
    pub cert_pem: Arc<[u8]>,
}

impl Tls {
    /// Loads the certificate chain and key; any problem is an error that
    /// names the file, so a bad `[tls]` stops the server at start.
    pub fn load(config: &TlsConfig) -> anyhow::Result<Self> {
        let cert_pem = read(&config.cert, "tls.cert")?;
        let certs = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("tls.cert {}: bad PEM", config.cert.display()))?;
        if certs.is_empty() {
            bail!(
                "tls.cert {}: no CERTIFICATE in the file",
                config.cert.display()
            );
        }
        let key_pem = read(&config.key, "tls.key")?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).with_context(|| {
            format!(
                "tls.key {}: no private key in the file (PKCS#8, PKCS#1 or SEC1 PEM)",
                config.key.display()
            )
        })?;

        let provider = Arc::new(crypto::ring::default_provider());
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .with_context(|| {
                format!(
                    "tls.cert {} and tls.key {} do not make a usable certificate",
                    config.cert.display(),
                    config.key.display()
                )
            })?;
        // Clients that send ALPN (libpq 17 always does) must find "postgresql";
        // pgwire also insists on it for direct TLS connections.
        server.alpn_protocols = vec![ALPN_POSTGRESQL.to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            require: config.require,
            cert_pem: cert_pem.into(),
        })
    }
}

fn read(path: &Path, key: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {key} {}", path.display()))
}

/// The error for a plaintext client when TLS is required: what Postgres says
/// when only `hostssl` lines of pg_hba.conf could match, with a hint.
pub fn refuse_plaintext<C: ClientInfo>(client: &C, user: &str, database: &str) -> PgWireError {
    let mut info = ErrorInfo::new(
        "FATAL".into(),
        sqlstate::INVALID_AUTHORIZATION_SPECIFICATION.into(),
        format!(
            "no pg_hba.conf entry for host \"{}\", user \"{user}\", database \"{database}\", \
             no encryption",
            client.socket_addr().ip()
        ),
    );
    info.hint =
        Some("This server accepts only SSL connections: connect with sslmode=require.".into());
    PgWireError::UserError(Box::new(info))
}
