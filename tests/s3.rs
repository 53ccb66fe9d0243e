//! The same import and serve against a real S3 API (moto in server mode).

mod harness;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::*;

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn import_and_serve_through_s3() {
    let available = Command::new("python3")
        .args(["-c", "import moto.server, boto3"])
        .status()
        .map(|s| s.success());
    if !available.unwrap_or(false) {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto[server] must be installed in CI"
        );
        eprintln!("skipping: moto[server] is not installed");
        return;
    }
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let moto = Moto(
        Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let create = format!(
        "import boto3,time\nfor i in range(100):\n  try:\n    boto3.client('s3', endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket='graftgres-test'); break\n  except Exception:\n    time.sleep(0.2)\nelse:\n  raise SystemExit('moto did not start')"
    );
    assert!(
        Command::new("python3")
            .args(["-c", &create])
            .status()
            .unwrap()
            .success()
    );

    let dir = temp();
    let config = path(&dir, "s3.toml");
    std::fs::write(
        &config,
        format!("[store]\ntype = \"s3\"\nbucket = \"graftgres-test\"\nprefix = \"ci\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\n"),
    )
    .unwrap();
    // SAFETY: set before any child starts; tests in this binary do not race on it.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    }
    typed_fixture(&path(&dir, "t.sqlite"));
    import(
        &path(&dir, "data"),
        Some(&config),
        &path(&dir, "t.sqlite"),
        "app",
    );
    assert!(
        !path(&dir, "data").join("store").exists(),
        "the local store must not be used"
    );
    let server = Server::start(&path(&dir, "data"), Some(&config), false);
    let client = server.client("app").await;
    let row = client
        .query_one("SELECT name, price FROM t WHERE id = $1", &[&2i64])
        .await
        .unwrap();
    assert_eq!((row.get::<_, &str>(0), row.get::<_, f64>(1)), ("two", 2.25));
    drop(moto);
    let _ = Duration::ZERO;
}
