//! The `graftgres` command line: `serve`, `import`, `sync` and `passwd`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use graftgres::config::Config;
use graftgres::replica::remote::{Remote, export_s3_environment};
use graftgres::replica::{Replica, manifest};
use graftgres::wire::auth::{DEFAULT_ITERATIONS, Verifier};
use graftgres::{demo, wire, writer};

/// A Postgres-wire-compatible read replica for SQLite databases in object storage.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// TOML configuration file (see config/ for commented examples).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Folder for the default object store, the cache and importer state.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Postgres clients; the database name selects the volume.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Do not create the demo volume.
        #[arg(long)]
        no_demo: bool,
    },
    /// Push a SQLite file as a (new commit of a) volume.
    Import {
        file: PathBuf,
        #[arg(long)]
        volume: String,
        #[command(flatten)]
        common: Common,
    },
    /// Push a live SQLite file's changes as they happen.
    Sync {
        file: PathBuf,
        #[arg(long)]
        volume: String,
        #[command(flatten)]
        common: Common,
        /// How often to look for changes, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
    },
    /// Print the SCRAM-SHA-256 verifier of a password, for `[auth.users]`.
    /// The password is read from the terminal (twice, not echoed) or from
    /// the first line of standard input.
    Passwd {
        /// The user name (only shown in the printed config line).
        user: String,
        /// PBKDF2 iterations; more makes a guess costlier (and a login).
        #[arg(long, default_value_t = DEFAULT_ITERATIONS)]
        iterations: usize,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "graftgres=info,warn".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("graftgres: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(common: &Common) -> anyhow::Result<Config> {
    let config = match &common.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    Ok(config.with_overrides(None, common.data_dir.clone()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            common,
            listen,
            no_demo,
        } => {
            let config = load(&common)?.with_overrides(listen, None);
            export_s3_environment(&config.store());
            if !no_demo && common.config.is_none() {
                ensure_demo(&config)?;
            }
            serve(config)
        }
        Command::Import {
            file,
            volume,
            common,
        } => {
            let config = load(&common)?;
            export_s3_environment(&config.store());
            let report = writer::import(&config, &file, &volume, true)?;
            if report.committed {
                println!(
                    "imported {} pages ({} changed) into volume {volume}",
                    report.pages, report.changed
                );
            } else {
                println!(
                    "volume {volume} is already up to date ({} pages)",
                    report.pages
                );
            }
            Ok(())
        }
        Command::Sync {
            file,
            volume,
            common,
            interval_ms,
        } => {
            let config = load(&common)?;
            export_s3_environment(&config.store());
            writer::sync(
                &config,
                &file,
                &volume,
                Duration::from_millis(interval_ms.max(1)),
            )
        }
        Command::Passwd { user, iterations } => {
            anyhow::ensure!(iterations > 0, "--iterations must be at least 1");
            let password = read_password(&user)?;
            let verifier = Verifier::generate(&password, iterations);
            println!(
                "users.{} = {{ password = \"{verifier}\" }}",
                toml_key(&user)
            );
            Ok(())
        }
    }
}

/// The password for `passwd`: prompted for twice on a terminal, else the
/// first line of standard input.
fn read_password(user: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {user}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    anyhow::ensure!(!password.is_empty(), "empty password");
    Ok(password)
}

/// `user` as a TOML key: bare when it can be, else quoted.
fn toml_key(user: &str) -> String {
    let bare = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        user.to_owned()
    } else {
        toml::Value::String(user.to_owned()).to_string()
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if let Some(listen) = config.metrics_listen {
            graftgres::telemetry::install(listen)?;
        }
        let security = wire::Security::from_config(&config)?;
        let replica = Arc::new(Replica::new(&config)?);
        let listener = wire::bind(config.listen()).await?;
        let addr = listener.local_addr()?;
        println!("graftgres listening on {addr}");
        std::io::stdout().flush()?;
        tracing::info!(%addr, "ready");
        wire::serve(listener, replica, security).await
    })
}

/// Builds and imports the demo volume unless the store has it already.
fn ensure_demo(config: &Config) -> anyhow::Result<()> {
    let remote = Remote::open(&config.store())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if runtime
        .block_on(manifest::resolve(&remote, "demo"))?
        .is_some()
    {
        return Ok(());
    }
    let data_dir = config.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let file: &Path = &data_dir.join("demo.sqlite");
    eprintln!("building the demo database in {}", file.display());
    demo::build(file)?;
    writer::import(config, file, "demo", true)?;
    Ok(())
}
