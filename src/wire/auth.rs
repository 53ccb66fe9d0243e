//! Client authentication (`[auth]`): trust, SCRAM-SHA-256 or a cleartext
//! password, checked against each user's SCRAM verifier.
//!
//! Every user is held as a Postgres-style verifier
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, what
//! `pg_authid.rolpassword` holds): one copied from Postgres or printed by
//! `graftgres passwd` is used as is, a plaintext password is turned into one
//! at start. The server so never needs a plaintext password, and one
//! representation serves both methods: SCRAM proofs are checked by pgwire's
//! own implementation, cleartext passwords by deriving the keys again.
//!
//! Over TLS the SCRAM mechanisms offered are SCRAM-SHA-256 and
//! SCRAM-SHA-256-PLUS (channel binding `tls-server-end-point`); over
//! plaintext only SCRAM-SHA-256, since libpq refuses a -PLUS offer on a
//! connection without TLS.
//!
//! An unknown user goes through the same exchange as a known one, against a
//! made-up verifier whose salt is derived from the name (so it is the same
//! every time), and fails with the same message: a client cannot tell which
//! users exist.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use anyhow::{Context, bail};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Buf, BytesMut};
use pgwire::api::ClientInfo;
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory, AuthState};
use pgwire::api::auth::sasl::scram::{ScramAuth, ScramSecret, gen_salted_password};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::{self, PasswordMessageFamily, SASLInitialResponse, SASLResponse};
use ring::hmac;

use super::tls::Tls;
use crate::config::{AuthConfig, AuthMethod, UserConfig};
use crate::error::sqlstate;

/// Iterations of a verifier made here, Postgres's default (`scram_iterations`).
pub const DEFAULT_ITERATIONS: usize = 4096;
/// Salt length of a verifier made here, as Postgres's.
const SALT_LEN: usize = 16;
/// SHA-256 output: the length of StoredKey and ServerKey.
const KEY_LEN: usize = 32;
const PREFIX: &str = "SCRAM-SHA-256$";

/// A SCRAM-SHA-256 verifier: enough to check a password or a SCRAM proof,
/// not enough to recover the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    iterations: usize,
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Verifier {
    /// Parses Postgres's text form.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let shape = "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>";
        let rest = text.strip_prefix(PREFIX).context(shape)?;
        let (params, keys) = rest.split_once('$').context(shape)?;
        let (iterations, salt) = params.split_once(':').context(shape)?;
        let (stored_key, server_key) = keys.split_once(':').context(shape)?;
        let iterations: usize = iterations
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .with_context(|| format!("bad iteration count {iterations:?}"))?;
        let decode = |what: &str, value: &str| {
            BASE64
                .decode(value)
                .with_context(|| format!("{what} is not base64"))
        };
        let verifier = Self {
            iterations,
            salt: decode("salt", salt)?,
            stored_key: decode("StoredKey", stored_key)?,
            server_key: decode("ServerKey", server_key)?,
        };
        if verifier.salt.is_empty() {
            bail!("empty salt");
        }
        if verifier.stored_key.len() != KEY_LEN || verifier.server_key.len() != KEY_LEN {
            bail!("StoredKey and ServerKey must be {KEY_LEN} bytes (SHA-256)");
        }
        Ok(verifier)
    }

    /// The verifier of `password` (SASLprep-normalized, as Postgres does).
    pub fn from_password(password: &str, salt: Vec<u8>, iterations: usize) -> Self {
        let salted = gen_salted_password(password, &salt, iterations);
        match ScramSecret::verifier_from_salted_password(salt, salted, iterations) {
            ScramSecret::Verifier {
                salt,
                iterations,
                stored_key,
                server_key,
            } => Self {
                iterations,
                salt,
                stored_key,
                server_key,
            },
            ScramSecret::SaltedPassword { .. } => unreachable!("asked for a verifier"),
        }
    }

    /// A new verifier of `password` with a random salt.
    pub fn generate(password: &str, iterations: usize) -> Self {
        Self::from_password(
            password,
            rand::random::<[u8; SALT_LEN]>().to_vec(),
            iterations,
        )
    }

    /// Whether `password` is the one this verifier was made from. Costs
    /// `iterations` HMACs: call it off the async threads.
    fn matches_password(&self, password: &str) -> bool {
        let candidate = Self::from_password(password, self.salt.clone(), self.iterations);
        constant_time_eq(&candidate.stored_key, &self.stored_key)
            & constant_time_eq(&candidate.server_key, &self.server_key)
    }

    fn secret(&self) -> ScramSecret {
        ScramSecret::Verifier {
            salt: self.salt.clone(),
            iterations: self.iterations,
            stored_key: self.stored_key.clone(),
            server_key: self.server_key.clone(),
        }
    }
}

/// Postgres's text form, ready to paste into the config.
impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(&self.stored_key),
            BASE64.encode(&self.server_key)
        )
    }
}

/// Never prints key material.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The configured users, as pgwire's [`AuthSource`].
struct Users {
    verifiers: HashMap<String, Verifier>,
    /// Per process: makes the made-up verifiers of unknown users.
    mock_key: hmac::Key,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("names", &self.verifiers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Users {
    /// The user's verifier, or for an unknown user one that no password
    /// matches and that is the same for every attempt with that name.
    fn verifier(&self, user: &str) -> Verifier {
        if let Some(verifier) = self.verifiers.get(user) {
            return verifier.clone();
        }
        let derive = |label: &str| {
            let tag = hmac::sign(&self.mock_key, format!("{label}\0{user}").as_bytes());
            tag.as_ref().to_vec()
        };
        let mut salt = derive("salt");
        salt.truncate(SALT_LEN);
        Verifier {
            iterations: DEFAULT_ITERATIONS,
            salt,
            stored_key: derive("stored key"),
            server_key: derive("server key"),
        }
    }
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        // Only reached through defaults this type overrides: it holds no
        // passwords to hand out.
        Err(PgWireError::InvalidPassword(
            login.user().unwrap_or_default().to_owned(),
        ))
    }

    async fn verify_password(
        &self,
        login: &LoginInfo,
        presented_password: &[u8],
    ) -> PgWireResult<Option<()>> {
        let user = login.user().unwrap_or_default().to_owned();
        let verifier = self.verifier(&user);
        let password = String::from_utf8_lossy(presented_password).into_owned();
        let matches = tokio::task::spawn_blocking(move || verifier.matches_password(&password))
            .await
            .unwrap_or(false);
        if matches {
            Ok(None)
        } else {
            Err(PgWireError::InvalidPassword(user))
        }
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        Ok((
            self.verifier(login.user().unwrap_or_default()).secret(),
            None,
        ))
    }
}

/// The configured method, ready to make a mechanism per connection.
pub struct Auth {
    method: AuthMethod,
    users: Arc<Users>,
    scram: ScramAuth,
    /// With channel binding; None without TLS, or when the certificate's
    /// signature algorithm has no `tls-server-end-point` hash.
    scram_tls: Option<ScramAuth>,
    password: CleartextPasswordAuth<Users>,
}

impl Auth {
    /// Resolves every user's verifier (reading environment variables); a
    /// missing variable or a malformed verifier stops the server at start.
    pub fn new(config: &AuthConfig, tls: Option<&Tls>) -> anyhow::Result<Self> {
        let mut verifiers = HashMap::new();
        for (name, user) in &config.users {
            let verifier = user_verifier(user).with_context(|| format!("auth.users.{name}"))?;
            verifiers.insert(name.clone(), verifier);
        }
        let users = Arc::new(Users {
            verifiers,
            mock_key: hmac::Key::new(hmac::HMAC_SHA256, &rand::random::<[u8; 32]>()),
        });
        let scram = ScramAuth::new(users.clone());
        let scram_tls = tls.and_then(|tls| {
            let mut scram = scram.clone();
            match scram.configure_certificate(&tls.cert_pem) {
                Ok(()) => Some(scram),
                Err(err) => {
                    tracing::warn!(%err, "no SCRAM channel binding for this certificate");
                    None
                }
            }
        });
        Ok(Self {
            method: config.method,
            scram,
            scram_tls,
            password: CleartextPasswordAuth::new(users.clone()),
            users,
        })
    }

    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// How many users are configured.
    pub fn users(&self) -> usize {
        self.users.verifiers.len()
    }

    /// The mechanism for a new connection; None for trust.
    pub fn mechanism(&self, secure: bool) -> Option<Box<dyn AuthMechanism>> {
        let (inner, expect) = match self.method {
            AuthMethod::Trust => return None,
            AuthMethod::Password => (self.password.create(), Expect::Password),
            AuthMethod::ScramSha256 => match (&self.scram_tls, secure) {
                (Some(scram_tls), true) => (scram_tls.create(), Expect::SaslInitial),
                _ => (self.scram.create(), Expect::SaslInitial),
            },
        };
        Some(Box::new(Checked { inner, expect }))
    }

    /// What the client is told when authentication fails; the cause goes to
    /// the log. A wrong password and an unknown user read the same.
    pub fn failure(&self, err: PgWireError, user: &str) -> PgWireError {
        let (code, message, detail) = match &err {
            PgWireError::InvalidPassword(_) => (
                sqlstate::INVALID_PASSWORD,
                format!("password authentication failed for user \"{user}\""),
                None,
            ),
            PgWireError::UnsupportedSASLAuthMethod(_) => (
                sqlstate::PROTOCOL_VIOLATION,
                "client selected an invalid SASL authentication mechanism".to_owned(),
                None,
            ),
            PgWireError::InvalidScramMessage(detail) => (
                sqlstate::PROTOCOL_VIOLATION,
                "malformed SCRAM message".to_owned(),
                Some(printable(detail)),
            ),
            PgWireError::IoError(_) => return err,
            other => (
                sqlstate::PROTOCOL_VIOLATION,
                "invalid authentication message".to_owned(),
                Some(printable(&other.to_string())),
            ),
        };
        // Postgres's log DETAIL: the client is not told which it was.
        let reason = match (&err, self.users.verifiers.contains_key(user)) {
            (PgWireError::InvalidPassword(_), true) => "password does not match".to_owned(),
            (_, false) => format!("no user \"{user}\" in auth.users"),
            (err, true) => err.to_string(),
        };
        tracing::info!(user, reason, "authentication failed");
        let mut info = ErrorInfo::new("FATAL".into(), code.into(), message);
        info.detail = detail;
        PgWireError::UserError(Box::new(info))
    }
}

/// Client text echoed in an error: pgwire's SCRAM errors may quote the
/// client's message, and a NUL or control byte would break the
/// ErrorResponse's framing.
fn printable(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Which password-family message a mechanism expects next.
#[derive(Clone, Copy)]
enum Expect {
    Password,
    SaslInitial,
    SaslResponse,
}

/// A pgwire mechanism behind our own decoding of the client's messages.
/// pgwire decodes a SASLInitialResponse trusting the lengths inside it (a
/// short or truncated one panics the connection's task); here a malformed
/// message is an ordinary authentication failure.
struct Checked {
    inner: Box<dyn AuthMechanism>,
    expect: Expect,
}

#[async_trait]
impl AuthMechanism for Checked {
    async fn begin(&mut self, client: &(dyn ClientInfo + Send + Sync)) -> PgWireResult<AuthState> {
        self.inner.begin(client).await
    }

    async fn next(
        &mut self,
        client: &(dyn ClientInfo + Send + Sync),
        message: PasswordMessageFamily,
    ) -> PgWireResult<AuthState> {
        let message = match message {
            PasswordMessageFamily::Raw(body) => decode(body, self.expect)?,
            typed => typed,
        };
        if let Expect::SaslInitial = self.expect {
            self.expect = Expect::SaslResponse;
        }
        self.inner.next(client, message).await
    }
}

/// A password-family message body ('p', after its length) as `expect`.
fn decode(mut body: BytesMut, expect: Expect) -> PgWireResult<PasswordMessageFamily> {
    let malformed = |what: &str| PgWireError::InvalidScramMessage(what.to_owned());
    let cstring = |body: &mut BytesMut| -> Option<String> {
        let end = body.iter().position(|&b| b == 0)?;
        let text = String::from_utf8_lossy(&body[..end]).into_owned();
        body.advance(end + 1);
        Some(text)
    };
    Ok(match expect {
        Expect::Password => {
            let password = cstring(&mut body).ok_or_else(|| malformed("password packet"))?;
            PasswordMessageFamily::Password(startup::Password::new(password))
        }
        Expect::SaslInitial => {
            let bad = || malformed("SASLInitialResponse");
            let mechanism = cstring(&mut body).ok_or_else(bad)?;
            if body.len() < 4 {
                return Err(bad());
            }
            let len = body.get_i32();
            let data = match usize::try_from(len) {
                Ok(len) if len == body.len() => Some(body.freeze()),
                _ if len == -1 && body.is_empty() => None,
                _ => return Err(bad()),
            };
            PasswordMessageFamily::SASLInitialResponse(SASLInitialResponse::new(mechanism, data))
        }
        Expect::SaslResponse => {
            PasswordMessageFamily::SASLResponse(SASLResponse::new(body.freeze()))
        }
    })
}

/// A user's verifier from the config: `password` or the variable
/// `password_env` holds a plaintext password or a verifier.
fn user_verifier(user: &UserConfig) -> anyhow::Result<Verifier> {
    let value = match (&user.password, &user.password_env) {
        (Some(password), _) => password.clone(),
        (None, Some(var)) => std::env::var(var)
            .with_context(|| format!("password_env: environment variable {var} is not set"))?,
        (None, None) => bail!("no password"),
    };
    if value.starts_with(PREFIX) {
        return Verifier::parse(&value).context("malformed SCRAM-SHA-256 verifier");
    }
    if value.len() == 35 && value.starts_with("md5") {
        bail!(
            "an md5 password hash cannot check SCRAM: give the password, or a SCRAM-SHA-256 \
             verifier (`graftgres passwd`, or Postgres with password_encryption = scram-sha-256)"
        );
    }
    if value.is_empty() {
        bail!("empty password");
    }
    Ok(Verifier::generate(&value, DEFAULT_ITERATIONS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CREATE ROLE u PASSWORD 'pencil'` on a Postgres 15, then
    /// `SELECT rolpassword FROM pg_authid WHERE rolname = 'u'`.
    const POSTGRES_VERIFIER: &str = "SCRAM-SHA-256$4096:WaMFFU0Ik5UnOJXL3dADHQ==$\
        p4koTKqzwejBN6AAD9g6JSf70OQnEgWXCDcRTrcq5mQ=:\
        KcXIcTW2V6DLlNgIKRsc5E6daHMqg0Q/p5jWaaiiVVY=";
    /// The same for `PASSWORD 'naïve ✓ pass'` (SASLprep applies).
    const POSTGRES_VERIFIER_UNICODE: &str = "SCRAM-SHA-256$4096:SQMGb9H4nzLbM+Gn8gGKWw==$\
        NoS+F+3anlajWGcRUKkeguSqkMlx6cNyJPyI8skww64=:\
        otCBkGFFErgufLAJgun1DB7OaqMrbG54mXDSxeAuKiQ=";

    #[test]
    fn verifier_round_trips_through_text() {
        let verifier = Verifier::generate("pencil", DEFAULT_ITERATIONS);
        let text = verifier.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
        assert_eq!(Verifier::parse(&text).unwrap(), verifier);
        assert!(verifier.matches_password("pencil"));
        assert!(!verifier.matches_password("pencil2"));
    }

    #[test]
    fn postgres_verifier_checks_its_password() {
        let verifier = Verifier::parse(POSTGRES_VERIFIER).unwrap();
        assert_eq!(verifier.to_string(), POSTGRES_VERIFIER);
        assert!(verifier.matches_password("pencil"));
        assert!(!verifier.matches_password("Pencil"));
        let unicode = Verifier::parse(POSTGRES_VERIFIER_UNICODE).unwrap();
        assert!(unicode.matches_password("naïve ✓ pass"));
    }

    #[test]
    fn malformed_verifiers_are_errors() {
        for bad in [
            "SCRAM-SHA-256$4096:c2FsdA==",
            "SCRAM-SHA-256$0:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$x:c2FsdA==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:!!$AAAA:AAAA",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
            let user = UserConfig {
                password: Some(bad.to_owned()),
                password_env: None,
            };
            assert!(user_verifier(&user).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_values_become_verifiers() {
        let from = |password: &str| {
            user_verifier(&UserConfig {
                password: Some(password.to_owned()),
                password_env: None,
            })
        };
        assert_eq!(
            from(POSTGRES_VERIFIER).unwrap(),
            Verifier::parse(POSTGRES_VERIFIER).unwrap()
        );
        assert!(from("secret").unwrap().matches_password("secret"));
        assert!(from("md5a3556571e93b0d20722ba62be61e8c2d").is_err());
        assert!(from("").is_err());
        let unset = user_verifier(&UserConfig {
            password: None,
            password_env: Some("GRAFTGRES_TEST_UNSET_VARIABLE".to_owned()),
        })
        .unwrap_err();
        assert!(format!("{unset:#}").contains("GRAFTGRES_TEST_UNSET_VARIABLE"));
    }

    #[test]
    fn unknown_users_get_a_stable_verifier_nothing_matches() {
        let users = Users {
            verifiers: HashMap::new(),
            mock_key: hmac::Key::new(hmac::HMAC_SHA256, b"key"),
        };
        let first = users.verifier("nobody");
        assert_eq!(first, users.verifier("nobody"));
        assert_ne!(first.salt, users.verifier("somebody").salt);
        assert_eq!(first.salt.len(), SALT_LEN);
        assert!(!first.matches_password(""));
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        let body = |bytes: &[u8]| BytesMut::from(bytes);
        for bad in [
            &b""[..],
            b"SCRAM-SHA-256",
            b"SCRAM-SHA-256\0",
            b"SCRAM-SHA-256\0\0\0",
            b"SCRAM-SHA-256\0\0\0\x03\xe8abc",
            b"SCRAM-SHA-256\0\xff\xff\xff\xfb",
            b"SCRAM-SHA-256\0\xff\xff\xff\xffextra",
        ] {
            assert!(decode(body(bad), Expect::SaslInitial).is_err(), "{bad:?}");
        }
        let ok = decode(body(b"SCRAM-SHA-256\0\0\0\0\x03abc"), Expect::SaslInitial).unwrap();
        let PasswordMessageFamily::SASLInitialResponse(ok) = ok else {
            panic!("not a SASLInitialResponse")
        };
        assert_eq!(ok.auth_method, "SCRAM-SHA-256");
        assert_eq!(ok.data.as_deref(), Some(&b"abc"[..]));
        assert!(decode(body(b"no nul"), Expect::Password).is_err());
        assert!(decode(body(b""), Expect::SaslResponse).is_ok());
    }

    fn auth(method: AuthMethod) -> Auth {
        let config = AuthConfig {
            method,
            users: [(
                "alice".to_owned(),
                UserConfig {
                    password: Some("secret".to_owned()),
                    password_env: None,
                },
            )]
            .into(),
        };
        Auth::new(&config, None).unwrap()
    }

    #[test]
    fn failures_read_like_postgres() {
        let err = auth(AuthMethod::ScramSha256)
            .failure(PgWireError::InvalidPassword("x".into()), "alice");
        let PgWireError::UserError(info) = err else {
            panic!("not a user error")
        };
        assert_eq!(info.severity, "FATAL");
        assert_eq!(info.code, "28P01");
        assert_eq!(
            info.message,
            "password authentication failed for user \"alice\""
        );
    }
}
