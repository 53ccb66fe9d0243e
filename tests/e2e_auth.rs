//! TLS and SCRAM-SHA-256 against real clients: `psql` (sslmode, channel
//! binding, `\conninfo`), tokio-postgres over rustls (SCRAM-SHA-256-PLUS and
//! plain SCRAM), psycopg 3 and asyncpg (`tests/clients/tls_auth.py`), pgjdbc
//! (`tests/clients/TlsAuth.java`), PG 17-style direct TLS (ALPN
//! "postgresql"), and garbage on a raw socket, after which the server must
//! still serve a normal client.
//!
//! Every test makes its own self-signed certificate (rcgen) for `localhost`
//! and 127.0.0.1, and its own users: `alice` (a plaintext password in the
//! config), `bob` (a verifier copied from a real Postgres 15's
//! `pg_authid.rolpassword`), `carol` (a password from the environment) and
//! `dave` (a verifier printed by `graftgres passwd`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_postgres::config::{ChannelBinding, SslMode};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

/// `CREATE ROLE bob PASSWORD 'pencil'` on a Postgres 15, then
/// `SELECT rolpassword FROM pg_authid WHERE rolname = 'bob'`.
const BOB_VERIFIER: &str = "SCRAM-SHA-256$4096:WaMFFU0Ik5UnOJXL3dADHQ==$\
    p4koTKqzwejBN6AAD9g6JSf70OQnEgWXCDcRTrcq5mQ=:\
    KcXIcTW2V6DLlNgIKRsc5E6daHMqg0Q/p5jWaaiiVVY=";

/// The users every test server knows, with their passwords.
const USERS: [(&str, &str); 4] = [
    ("alice", "alice-secret"),
    ("bob", "pencil"),
    ("carol", "carol's env password"),
    ("dave", "dave-passwd"),
];

/// A test's certificate, config and server.
struct Fixture {
    dir: TestDir,
    cert: PathBuf,
    server: Server,
}

/// `graftgres passwd USER` with the password on standard input: the
/// printed config line.
fn passwd(user: &str, password: &str) -> String {
    let mut child = Command::new(BIN)
        .args(["passwd", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start graftgres passwd");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "graftgres passwd failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A self-signed certificate and key in `dir`.
fn certificate(dir: &TestDir) -> (PathBuf, PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

/// The `[tls]` and `[auth]` sections for the test users.
fn config(cert: &Path, key: &Path, require: bool, method: &str) -> String {
    let dave = passwd("dave", USERS[3].1);
    assert!(
        dave.starts_with("users.dave = { password = \"SCRAM-SHA-256$4096:"),
        "{dave}"
    );
    format!(
        "[tls]\ncert = {cert:?}\nkey = {key:?}\nrequire = {require}\n\n\
         [auth]\nmethod = \"{method}\"\n\
         users.alice = {{ password = \"{alice}\" }}\n\
         users.bob = {{ password = \"{BOB_VERIFIER}\" }}\n\
         users.carol = {{ password_env = \"GG_TEST_CAROL_PASSWORD\" }}\n\
         {dave}",
        alice = USERS[0].1,
    )
}

/// Imports the typed fixture as volume `app` and starts a server with TLS
/// (required or not) and SCRAM.
fn start(require: bool) -> Fixture {
    start_with(require, "scram-sha-256")
}

fn start_with(require: bool, method: &str) -> Fixture {
    let dir = TestDir::new();
    let file = dir.join("app.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    let (cert, key) = certificate(&dir);
    let config_path = dir.join("graftgres.toml");
    std::fs::write(&config_path, config(&cert, &key, require, method)).unwrap();
    let server = Server::start_with(ServeOptions {
        data_dir: Some(&dir.data()),
        config: Some(&config_path),
        env: vec![("GG_TEST_CAROL_PASSWORD", USERS[2].1.to_owned())],
        ..Default::default()
    });
    Fixture { dir, cert, server }
}

/// psql with a conninfo string and `PGPASSWORD`.
fn psql(server: &Server, conninfo: &str, password: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-A", "-t", "-d"])
        .arg(format!(
            "host=127.0.0.1 port={} dbname=app {conninfo}",
            server.port
        ))
        .args(args)
        .env("PGCONNECT_TIMEOUT", "30")
        .env("PGPASSWORD", password)
        .env_remove("PGSERVICE")
        .env_remove("PGOPTIONS")
        .env_remove("PGSSLMODE");
    run(cmd, COMMAND_TIMEOUT)
}

#[test]
fn psql_over_tls_with_scram() {
    let fixture = start(true);
    let server = &fixture.server;
    every_user_logs_in(server);

    // libpq chooses SCRAM-SHA-256-PLUS over TLS; with require it must.
    let cert = fixture.cert.display();
    let out = psql(
        server,
        &format!("user=alice sslmode=verify-full sslrootcert={cert} channel_binding=require"),
        USERS[0].1,
        &["-c", "SELECT 1"],
    );
    assert!(out.success() && out.stdout == "1\n", "{out}");

    // A wrong password and an unknown user read the same.
    refused_as_a_wrong_password(
        server,
        &[
            ("alice", "wrong"),
            ("bob", "alice-secret"),
            ("mallory", "x"),
        ],
    );

    // TLS is required: a plaintext client is refused before any password.
    let out = psql(server, "user=alice sslmode=disable", USERS[0].1, &[]);
    assert!(!out.success(), "{out}");
    assert!(
        out.stderr.contains(
            "FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"alice\", \
             database \"app\", no encryption"
        ),
        "{out}"
    );
    // Authentication comes before the database is looked up.
    let out = psql(
        server,
        "user=alice sslmode=require dbname=nope",
        "wrong",
        &[],
    );
    assert!(
        out.stderr.contains("password authentication failed"),
        "{out}"
    );
    let out = psql(
        server,
        "user=alice sslmode=require dbname=nope",
        USERS[0].1,
        &[],
    );
    assert!(
        out.stderr
            .contains("FATAL:  database \"nope\" does not exist"),
        "{out}"
    );
}

/// `method = "password"`: the password in clear text (over TLS here),
/// checked against the same verifiers.
#[test]
fn psql_with_a_cleartext_password() {
    let fixture = start_with(true, "password");
    every_user_logs_in(&fixture.server);
    refused_as_a_wrong_password(&fixture.server, &[("alice", "wrong"), ("mallory", "x")]);
}

/// Every test user logs in with psql over TLS, reads the table, and
/// `\conninfo` says the connection is TLS.
fn every_user_logs_in(server: &Server) {
    for (user, password) in USERS {
        let out = psql(
            server,
            &format!("user={user} sslmode=require"),
            password,
            &["-c", "SELECT count(*) FROM t", "-c", "\\conninfo"],
        );
        assert!(out.success(), "{user}: {out}\n{}", server.log());
        assert!(out.stdout.starts_with("4\n"), "{user}: {out}");
        assert!(
            out.stdout.contains("SSL connection (protocol: TLSv1.3"),
            "{user}: {out}"
        );
    }
}

/// Each (user, password) is refused with the wrong-password error.
fn refused_as_a_wrong_password(server: &Server, attempts: &[(&str, &str)]) {
    for (user, password) in attempts {
        let out = psql(
            server,
            &format!("user={user} sslmode=require"),
            password,
            &[],
        );
        assert!(!out.success(), "{user}: {out}");
        assert!(
            out.stderr.contains(&format!(
                "FATAL:  password authentication failed for user \"{user}\""
            )),
            "{user}: {out}"
        );
    }
}

/// A rustls client config that trusts the test certificate (and only it).
fn client_tls(cert: &Path, alpn: bool) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    if alpn {
        config.alpn_protocols = vec![b"postgresql".to_vec()];
    }
    config
}

fn pg_config(server: &Server, user: &str, password: &str) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(server.port)
        .user(user)
        .password(password)
        .dbname("app")
        .connect_timeout(Duration::from_secs(30));
    config
}

async fn connect_tls(
    fixture: &Fixture,
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_tls(&fixture.cert, false));
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn connect_plain(
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn count(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM t WHERE id > $1", &[&0i64])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_scram_with_and_without_tls() {
    // TLS offered, not required: plaintext SCRAM works too.
    let fixture = start(false);
    let server = &fixture.server;
    for (user, password) in USERS {
        let mut config = pg_config(server, user, password);
        config
            .ssl_mode(SslMode::Require)
            .channel_binding(ChannelBinding::Require);
        let client = connect_tls(&fixture, &config)
            .await
            .unwrap_or_else(|e| panic!("{user} over TLS: {e:?}\n{}", server.log()));
        assert_eq!(count(&client).await, 4);

        let mut config = pg_config(server, user, password);
        config.ssl_mode(SslMode::Disable);
        let client = connect_plain(&config)
            .await
            .unwrap_or_else(|e| panic!("{user} in plaintext: {e:?}\n{}", server.log()));
        assert_eq!(count(&client).await, 4);
    }

    // No SCRAM-SHA-256-PLUS is offered in plaintext (libpq would refuse it).
    let mut config = pg_config(server, "alice", USERS[0].1);
    config
        .ssl_mode(SslMode::Disable)
        .channel_binding(ChannelBinding::Require);
    assert!(connect_plain(&config).await.is_err());

    for (user, password, tls) in [
        ("alice", "wrong", true),
        ("alice", "wrong", false),
        ("nobody", "x", true),
    ] {
        let mut config = pg_config(server, user, password);
        let err = if tls {
            connect_tls(&fixture, config.ssl_mode(SslMode::Require)).await
        } else {
            connect_plain(config.ssl_mode(SslMode::Disable)).await
        }
        .err()
        .unwrap_or_else(|| panic!("{user} with password {password:?} got in"));
        let db = err.as_db_error().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(db.code().code(), "28P01", "{err:?}");
        assert_eq!(db.severity(), "FATAL");
        assert_eq!(
            db.message(),
            format!("password authentication failed for user \"{user}\"")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_required_refuses_plaintext() {
    let fixture = start(true);
    let mut config = pg_config(&fixture.server, "alice", USERS[0].1);
    config.ssl_mode(SslMode::Disable);
    let Err(err) = connect_plain(&config).await else {
        panic!("plaintext got in")
    };
    let db = err.as_db_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(db.code().code(), "28000");
    assert!(db.message().starts_with("no pg_hba.conf entry"), "{err:?}");
    assert!(db.hint().unwrap_or_default().contains("sslmode=require"));

    // sslmode=prefer (the default) takes TLS.
    let mut config = pg_config(&fixture.server, "alice", USERS[0].1);
    config.ssl_mode(SslMode::Prefer);
    let client = connect_tls(&fixture, &config).await.unwrap();
    assert_eq!(count(&client).await, 4);

    // A CancelRequest comes on a connection of its own, in plaintext from
    // libpq before 17: it is served, as Postgres serves it whatever pg_hba says.
    let endless = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) \
                   SELECT count(*) FROM r";
    for plaintext in [true, false] {
        let token = client.cancel_token();
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_tls(&fixture.cert, false));
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if plaintext {
                token.cancel_query(tokio_postgres::NoTls).await
            } else {
                token.cancel_query(tls).await
            }
        });
        let err = client.simple_query(endless).await.unwrap_err();
        canceller.await.unwrap().unwrap();
        assert_eq!(sqlstate(&err), "57014", "plaintext={plaintext}: {err:?}");
    }
    assert_eq!(count(&client).await, 4);
}

/// PG 17's `sslnegotiation=direct`: the connection opens with a TLS
/// ClientHello naming ALPN "postgresql", then the startup message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_with_alpn() {
    let fixture = start(true);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(&fixture.cert, true)));
    let name = ServerName::try_from("localhost").unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", fixture.server.port))
        .await
        .unwrap();
    let tls = connector.connect(name.clone(), tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"postgresql"[..]));
    // The session itself, spoken by tokio-postgres over the TLS stream.
    let mut config = pg_config(&fixture.server, "bob", USERS[1].1);
    config.ssl_mode(SslMode::Disable);
    let (client, connection) = config
        .connect_raw(tls, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", fixture.server.log()));
    tokio::spawn(connection);
    assert_eq!(count(&client).await, 4);

    // Without the ALPN protocol the server hangs up (as Postgres does).
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(&fixture.cert, false)));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", fixture.server.port))
        .await
        .unwrap();
    if let Ok(mut tls) = connector.connect(name, tcp).await {
        let _ = tls.write_all(&startup_message("bob", "app")).await;
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "direct TLS without ALPN got an answer: {read:?}"
        );
    }
}

/// A message with a type byte: type, length, body.
fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
const GSSENC_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30];

/// Sends `bytes` on a new connection and reads what comes back (until the
/// server closes, or a short timeout).
fn send_raw(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let _ = socket.write_all(bytes);
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    answer
}

#[test]
fn gssenc_and_ssl_requests_in_either_order() {
    let fixture = start(true);
    let port = fixture.server.port;
    // GSSENCRequest first: 'N', then the SSLRequest: 'S'.
    let mut socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = [0u8; 1];
    socket.write_all(&GSSENC_REQUEST).unwrap();
    socket.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"N");
    socket.write_all(&SSL_REQUEST).unwrap();
    socket.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"S");
    drop(socket);

    // Without [tls], as before: SSLRequest answered 'N', then plaintext trust.
    let dir = TestDir::new();
    let file = dir.join("app.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    let plain = Server::start(&dir.data());
    let mut socket = TcpStream::connect(("127.0.0.1", plain.port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for request in [SSL_REQUEST, GSSENC_REQUEST] {
        socket.write_all(&request).unwrap();
        socket.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"N");
    }
    socket.write_all(&startup_message("test", "app")).unwrap();
    let mut reply = [0u8; 9];
    socket.read_exact(&mut reply).unwrap();
    // AuthenticationOk: trust, no password asked.
    assert_eq!(reply, [b'R', 0, 0, 0, 8, 0, 0, 0, 0]);
    let out = plain.psql("app", &["-c", "SELECT count(*) FROM t"]);
    assert!(out.success() && out.stdout == "4\n", "{out}");
}

/// Checks that what the server sent before hanging up is well-framed
/// backend messages (when it is messages, not a TLS record or 'S'): nothing
/// after an ErrorResponse (no ReadyForQuery after a FATAL error), and every
/// ErrorResponse field a known one (a NUL echoed into a message would cut it).
fn check_framing(what: &str, answer: &[u8]) {
    if !matches!(answer.first(), Some(b'R' | b'E')) {
        return;
    }
    let mut rest = answer;
    let mut errors = 0;
    while !rest.is_empty() {
        assert!(errors == 0, "{what}: a message after the error: {answer:?}");
        assert!(rest.len() >= 5, "{what}: truncated message: {answer:?}");
        let len = i32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        assert!(
            len >= 4 && rest.len() > len,
            "{what}: bad length: {answer:?}"
        );
        let (kind, body) = (rest[0], &rest[5..1 + len]);
        if kind == b'E' {
            errors += 1;
            let mut fields = body;
            while fields != [0] {
                assert!(
                    b"SVCMDHPpqWFLRstcdn".contains(&fields[0]),
                    "{what}: unknown error field in {answer:?}"
                );
                let end = fields.iter().position(|&b| b == 0).unwrap();
                fields = &fields[end + 1..];
                assert!(!fields.is_empty(), "{what}: unterminated error: {answer:?}");
            }
        }
        rest = &rest[1 + len..];
    }
}

/// Garbage in place of startup and SASL messages: each connection fails,
/// the server keeps serving.
#[test]
fn garbage_does_not_hurt_the_server() {
    let fixture = start(false);
    let server = &fixture.server;
    let port = server.port;

    let sasl_initial = |mechanism: &str, data: Option<&[u8]>| {
        let mut body = mechanism.as_bytes().to_vec();
        body.push(0);
        match data {
            Some(data) => {
                body.extend_from_slice(&(data.len() as i32).to_be_bytes());
                body.extend_from_slice(data);
            }
            None => body.extend_from_slice(&(-1i32).to_be_bytes()),
        }
        message(b'p', &body)
    };
    let after_startup = |bytes: Vec<u8>| {
        let mut out = startup_message("alice", "app");
        out.extend(bytes);
        out
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("nothing but a length", vec![0, 0, 0, 4]),
        ("negative length", vec![0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0]),
        ("huge length", vec![0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0]),
        ("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("unknown protocol", vec![0, 0, 0, 8, 0, 9, 0, 0]),
        ("startup without terminator", {
            let mut m = startup_message("alice", "app");
            m.truncate(m.len() - 3);
            m
        }),
        ("startup, no parameters", vec![0, 0, 0, 9, 0, 3, 0, 0, 0]),
        ("SSLRequest, then not TLS", {
            let mut m = SSL_REQUEST.to_vec();
            m.extend_from_slice(b"definitely not a ClientHello");
            m
        }),
        (
            "a ClientHello's first bytes only",
            vec![0x16, 3, 1, 0, 200, 1, 0],
        ),
        ("empty password message", after_startup(message(b'p', b""))),
        // pgwire's own decoder panics on these (the connection's task ends,
        // tokio catches it): the server must go on all the same.
        ("password message shorter than its length field", {
            after_startup(vec![b'p', 0, 0, 0, 2, 0, 0, 0, 0])
        }),
        (
            "mechanism without terminator",
            after_startup(message(b'p', b"SCRAM-SHA-256")),
        ),
        (
            "SASL length past the end",
            after_startup(message(b'p', b"SCRAM-SHA-256\0\0\0\x03\xe8abc")),
        ),
        (
            "negative SASL length",
            after_startup(message(b'p', b"SCRAM-SHA-256\0\xff\xff\xff\xfb")),
        ),
        (
            "SASL without data",
            after_startup(sasl_initial("SCRAM-SHA-256", None)),
        ),
        (
            "unknown mechanism",
            after_startup(sasl_initial("PLAIN", Some(b"\0alice\0x"))),
        ),
        (
            "client-first not UTF-8",
            after_startup(sasl_initial("SCRAM-SHA-256", Some(b"\xff\xfe\0\x01"))),
        ),
        (
            "client-first cut short",
            after_startup(sasl_initial("SCRAM-SHA-256", Some(b"n,"))),
        ),
        (
            "channel binding nobody supports",
            after_startup(sasl_initial(
                "SCRAM-SHA-256",
                Some(b"p=tls-unique,,n=,r=abc"),
            )),
        ),
        (
            "PLUS in plaintext",
            after_startup(sasl_initial(
                "SCRAM-SHA-256-PLUS",
                Some(b"p=tls-server-end-point,,n=,r=abc"),
            )),
        ),
        (
            "a query instead of a password",
            after_startup(message(b'Q', b"SELECT 1\0")),
        ),
        ("truncated SASL message", {
            let mut m = after_startup(sasl_initial("SCRAM-SHA-256", Some(b"n,,n=,r=abcdef")));
            m.truncate(m.len() - 4);
            m
        }),
    ];
    // A valid client-first, then garbage client-finals.
    for final_message in [&b""[..], b"c=biws", b"c=biws,r=zzz,p=", b"\0\x01\x02"] {
        let mut m = after_startup(sasl_initial("SCRAM-SHA-256", Some(b"n,,n=,r=abcdefgh")));
        m.extend(message(b'p', final_message));
        cases.push(("bad client-final", m));
    }
    for (what, bytes) in &cases {
        let answer = send_raw(port, bytes);
        check_framing(what, &answer);
        assert!(server.is_running(), "{what} stopped the server");
    }

    // The server still serves a normal client.
    let out = psql(
        server,
        "user=alice sslmode=require",
        USERS[0].1,
        &["-c", "SELECT count(*) FROM t"],
    );
    assert!(
        out.success() && out.stdout == "4\n",
        "{out}\n{}",
        server.log()
    );
}

/// A bad `[tls]` or `[auth]` stops `serve` at start, naming the problem.
#[test]
fn bad_security_config_fails_at_start() {
    let dir = TestDir::new();
    let (cert, key) = certificate(&dir);
    let other = TestDir::new();
    let (_, other_key) = certificate(&other);
    let users = "[auth]\nmethod = \"scram-sha-256\"\nusers.a = { password = \"x\" }\n";
    let cases = [
        (
            format!("[tls]\ncert = \"/nonexistent/server.crt\"\nkey = {key:?}\n"),
            "cannot read tls.cert /nonexistent/server.crt",
        ),
        (
            format!("[tls]\ncert = {cert:?}\nkey = {cert:?}\n"),
            "no private key",
        ),
        (
            format!("[tls]\ncert = {key:?}\nkey = {key:?}\n"),
            "no CERTIFICATE",
        ),
        (
            format!("[tls]\ncert = {cert:?}\nkey = {other_key:?}\n"),
            "do not make a usable certificate",
        ),
        (
            "[auth]\nmethod = \"scram-sha-256\"\nusers.a = { password_env = \"GG_TEST_UNSET\" }\n"
                .to_owned(),
            "environment variable GG_TEST_UNSET is not set",
        ),
        (
            "[auth]\nmethod = \"scram-sha-256\"\nusers.a = { password = \"SCRAM-SHA-256$4096:x\" }\n"
                .to_owned(),
            "auth.users.a: malformed SCRAM-SHA-256 verifier",
        ),
        (
            format!("{users}[tls]\ncert = {cert:?}\nkey = {key:?}\nrequire = \"yes\"\n"),
            "invalid type",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(&format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args([
            "serve",
            "--no-demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.data())
        .arg("--config")
        .arg(&path);
        let out = run(cmd, COMMAND_TIMEOUT);
        assert!(!out.success(), "{text}: {out}");
        assert!(
            !out.stdout.contains("listening"),
            "{text}: listened anyway\n{out}"
        );
        assert!(out.stderr.contains(expected), "{text}: {out}");
    }
}

#[test]
fn python_drivers_over_tls() {
    if !available(
        "psycopg and asyncpg",
        "python3",
        &["-c", "import psycopg, asyncpg"],
    ) {
        return;
    }
    let fixture = start(true);
    let mut cmd = Command::new("python3");
    cmd.arg("tls_auth.py")
        .current_dir(clients_dir())
        .env("GG_HOST", "127.0.0.1")
        .env("GG_PORT", fixture.server.port.to_string())
        .env("GG_DB", "app")
        .env("GG_USER", "carol")
        .env("GG_PASSWORD", USERS[2].1)
        .env("GG_SSLROOTCERT", &fixture.cert)
        .env_remove("PGSSLMODE");
    let out = run(cmd, COMMAND_TIMEOUT);
    assert!(
        out.success() && out.stdout.contains("tls auth suite passed"),
        "{out}\n{}",
        fixture.server.log()
    );
}

#[test]
fn jdbc_over_tls() {
    if !java_available() {
        return;
    }
    let fixture = start(true);
    let classes = javac(&fixture.dir, "TlsAuth");
    let port = fixture.server.port;
    let url = |params: &str| format!("jdbc:postgresql://127.0.0.1:{port}/app?{params}");
    let non_validating = "ssl=true&sslfactory=org.postgresql.ssl.NonValidatingFactory";
    let cases = [
        (url(non_validating), "dave", USERS[3].1, "connected 4"),
        (url("sslmode=require"), "bob", USERS[1].1, "connected 4"),
        (
            url(non_validating),
            "dave",
            "wrong",
            "error 28P01 FATAL: password authentication failed for user \"dave\"",
        ),
        (
            url("sslmode=disable"),
            "dave",
            USERS[3].1,
            "error 28000 FATAL: no pg_hba.conf entry",
        ),
    ];
    for (url, user, password, expected) in cases {
        let out = java(&classes, "TlsAuth", &[&url, user, password]);
        assert!(
            out.success() && out.stdout.starts_with(expected),
            "{url} as {user}: {out}\n{}",
            fixture.server.log()
        );
    }
}
