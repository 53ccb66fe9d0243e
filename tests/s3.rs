//! Import and serve through a real S3 API: moto in server mode
//! (`python3 -m moto.server`, PyPI `moto[server]`), with the config file
//! derived from the example `config/s3.toml`.
//!
//! Without moto the test fails when CI is set and is skipped otherwise.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

const BUCKET: &str = "graftgres-test";
const PREFIX: &str = "ci";

/// A moto server, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a Python snippet with boto3 against `endpoint`; `s3` is a client.
fn boto3(endpoint: &str, body: &str) -> Run {
    let script = format!(
        "import boto3, time\n\
         s3 = boto3.client('s3', endpoint_url='{endpoint}', region_name='us-east-1', \
         aws_access_key_id='test', aws_secret_access_key='test')\n\
         {body}\n"
    );
    let mut cmd = Command::new("python3");
    cmd.args(["-c", &script]);
    run(cmd, Duration::from_secs(120))
}

fn start_moto(log: &Path) -> Moto {
    // Bind port 0 to find a free port, release it, and hand it to moto.
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let log_file = std::fs::File::create(log).unwrap();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("start python3 -m moto.server");
    let moto = Moto { child, endpoint };

    // Wait for it, then create the bucket.
    let out = boto3(
        &moto.endpoint,
        &format!(
            "for attempt in range(300):\n\
             \x20   try:\n\
             \x20       s3.create_bucket(Bucket='{BUCKET}')\n\
             \x20       break\n\
             \x20   except Exception as e:\n\
             \x20       last = e\n\
             \x20       time.sleep(0.2)\n\
             else:\n\
             \x20   raise SystemExit(f'moto did not start: {{last}}')"
        ),
    );
    assert!(
        out.success(),
        "cannot create bucket {BUCKET} on moto at {}\n{out}\n--- moto log ---\n{}",
        moto.endpoint,
        std::fs::read_to_string(log).unwrap_or_default()
    );
    moto
}

/// Object keys in the bucket.
fn keys(endpoint: &str) -> Vec<String> {
    let out = boto3(
        endpoint,
        &format!(
            "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='{BUCKET}'):\n\
             \x20   for o in page.get('Contents', []):\n\
             \x20       print(o['Key'])"
        ),
    );
    assert!(out.success(), "cannot list bucket\n{out}");
    out.stdout.lines().map(str::to_owned).collect()
}

/// config/s3.toml with the store pointed at moto.
fn s3_config(endpoint: &str) -> String {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/s3.toml");
    let text = std::fs::read_to_string(example).unwrap();
    let mut config: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{example} is not valid TOML: {e}"));
    let store = config
        .get_mut("store")
        .and_then(|s| s.as_table_mut())
        .unwrap_or_else(|| panic!("{example} has no [store] table"));
    assert_eq!(
        store.get("type").and_then(|t| t.as_str()),
        Some("s3"),
        "{example}: store.type"
    );
    store.insert("bucket".into(), BUCKET.into());
    store.insert("prefix".into(), PREFIX.into());
    store.insert("endpoint".into(), endpoint.into());
    store.insert("region".into(), "us-east-1".into());
    toml::to_string(&config).unwrap()
}

fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn import_and_serve_through_an_s3_api() {
    if !moto_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `python3 -c 'import moto.server, boto3'` fails: install moto[server] and boto3 (scripts/test does)"
        );
        println!(
            "SKIPPED import_and_serve_through_an_s3_api: moto[server] is not installed (run scripts/test)"
        );
        return;
    }
    let dir = TestDir::new();
    let moto = start_moto(&dir.join("moto.log"));
    let config = dir.join("s3.toml");
    std::fs::write(&config, s3_config(&moto.endpoint)).unwrap();
    let env = aws_env();

    // Import through S3.
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    let writer_data = dir.join("writer-data");
    let out = import_cmd(&writer_data, Some(&config), &file, "app", &env);
    assert!(out.success(), "import through S3 failed\n{out}");
    assert!(
        !writer_data.join("store").exists(),
        "the import wrote to the local store instead of S3"
    );
    let stored = keys(&moto.endpoint);
    assert!(!stored.is_empty(), "the import put nothing in the bucket");
    assert!(
        stored.iter().all(|k| k.starts_with(&format!("{PREFIX}/"))),
        "every key must be under the prefix {PREFIX:?}: {stored:?}"
    );

    // A replica with its own (empty) data dir reads it back.
    let replica_data = dir.join("replica-1");
    let server = Server::start_with(ServeOptions {
        data_dir: Some(&replica_data),
        config: Some(&config),
        env: env.clone(),
        ..Default::default()
    });
    let client = server.client("app").await;
    let row = client
        .query_one(
            "SELECT name, price, data, code FROM t WHERE id = $1",
            &[&2i64],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "two");
    assert_eq!(row.get::<_, f64>(1), -2.25);
    assert_eq!(row.get::<_, Vec<u8>>(2), [0xff, 0]);
    assert_eq!(row.get::<_, &str>(3), "B2");
    assert_eq!(count(&client, "t").await, 4);
    assert!(
        show_u64(&client, "graftgres.object_store_requests").await > 0,
        "the replica made no object-store request"
    );
    assert!(
        !replica_data.join("store").exists(),
        "the replica used a local store"
    );
    let Err(err) = server.try_client("nope").await else {
        panic!("connecting to an unknown database must fail");
    };
    assert_eq!(sqlstate(&err), "3D000", "{err:?}");

    // A second import (new commit) through S3, seen by a second replica.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "UPDATE t SET name = 'deux' WHERE id = 2; INSERT INTO t (id, name) VALUES (5, 'five');",
        )
        .unwrap();
    let out = import_cmd(&writer_data, Some(&config), &file, "app", &env);
    assert!(out.success(), "second import through S3 failed\n{out}");
    let server2 = Server::start_with(ServeOptions {
        data_dir: Some(&dir.join("replica-2")),
        config: Some(&config),
        env,
        ..Default::default()
    });
    let client2 = server2.client("app").await;
    // It opened from the pack the second import wrote to the bucket.
    let opened: String = client2
        .query_one("SHOW graftgres.open", &[])
        .await
        .unwrap()
        .get(0);
    assert!(opened.contains(" pack_lsn=2 "), "{opened}");
    let rows: Vec<(i64, Option<String>)> = client2
        .query("SELECT id, name FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [
            (1, Some("one".to_owned())),
            (2, Some("deux".to_owned())),
            (3, None),
            (4, Some("naïve ✓".to_owned())),
            (5, Some("five".to_owned())),
        ],
        "the second replica should see the second commit"
    );
    drop(client);
    drop(server);
    drop(client2);
    drop(server2);
    drop(moto);
}
