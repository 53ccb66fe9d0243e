//! Pushes a SQLite file as a new commit of a Graft volume.
//!
//! The user's file is never modified: it is first copied to a consistent
//! snapshot (SQLite's backup API, or `VACUUM INTO` when its page size is not
//! Graft's 4 KiB) in rollback-journal mode. Only pages that differ from the
//! volume's current version are written, so re-importing a changed file
//! makes a small commit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use graft::core::page::Page;
use graft::core::{PageCount, PageIdx};
use graft::rt::runtime::Runtime;
use graft::setup::{GraftConfig, setup_graft};
use graft::volume_reader::VolumeRead;
use graft::volume_writer::VolumeWrite;
use indicatif::{ProgressBar, ProgressStyle};
use rusqlite::{Connection, OpenFlags};

use super::pack;
use super::watch::Watch;
use crate::config::Config;
use crate::replica::manifest;
use crate::replica::remote::Remote;
use crate::replica::snapshot::PAGE_SIZE;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub pages: u32,
    pub changed: u32,
    pub committed: bool,
    /// LSN of the volume's newest commit: the file as imported.
    pub lsn: u64,
    /// Pages in the snapshot pack written for `lsn` (`None`: the bucket
    /// already had it, or it could not be written, which was logged).
    pub pack_pages: Option<usize>,
}

/// Imports `file` as volume `name`. Blocking: call outside any async task.
pub fn import(
    config: &Config,
    file: &Path,
    name: &str,
    progress: bool,
) -> anyhow::Result<ImportReport> {
    // The file is read first: one that is missing or not SQLite must not
    // leave an empty volume behind.
    let copy = FileCopy::take(file)?;
    Importer::open(config, name)?.push_copy(copy, progress)
}

/// A consistent copy of a SQLite file in 4 KiB pages, read into memory.
pub struct FileCopy {
    data: Vec<u8>,
    pages: u32,
    started: Instant,
}

impl FileCopy {
    /// Copies `file` (see [`consistent_copy`]) and reads the copy.
    pub fn take(file: &Path) -> anyhow::Result<Self> {
        let started = Instant::now();
        let scratch = tempfile::Builder::new()
            .prefix("graftgres-import")
            .tempdir()?;
        let copy = consistent_copy(file, &scratch.path().join("copy.sqlite"))?;
        let data =
            std::fs::read(&copy).with_context(|| format!("cannot read {}", copy.display()))?;
        if data.len() % PAGE_SIZE != 0 {
            bail!("{} is not a whole number of 4 KiB pages", file.display());
        }
        let pages = u32::try_from(data.len() / PAGE_SIZE).context("database too large")?;
        Ok(Self {
            data,
            pages,
            started,
        })
    }
}

/// The writer of one volume: the object store, the Graft runtime and the
/// volume, set up once. `sync` keeps one for its whole run, because Graft's
/// `setup_graft` starts a runtime thread that never ends: set up per change,
/// a file written every 100 ms would leak ten threads a second.
pub struct Importer {
    name: String,
    remote: Remote,
    async_rt: tokio::runtime::Runtime,
    graft: Runtime,
    vid: graft::core::VolumeId,
    log: graft::core::LogId,
    last: Option<Pushed>,
}

impl Importer {
    /// Resolves (or creates) volume `name` and opens its local writer.
    pub fn open(config: &Config, name: &str) -> anyhow::Result<Self> {
        manifest::validate_name(name)?;
        let store = config.store();
        let remote = Remote::open(&store)?;
        let async_rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let log = async_rt.block_on(manifest::resolve_or_create(&remote, name))?;
        let writer_dir = config.writer_dir();
        std::fs::create_dir_all(&writer_dir)?;
        let graft = setup_graft(GraftConfig {
            remote: Remote::graft_config(&store),
            data_dir: writer_dir.join("graft"),
            autosync: None,
        })
        .map_err(|err| anyhow::anyhow!("cannot start Graft: {err}"))?;
        let vid = open_volume(&graft, name, &log)?;
        Ok(Self {
            name: name.to_owned(),
            remote,
            async_rt,
            graft,
            vid,
            log,
            last: None,
        })
    }

    /// Pushes a copy of a file as the volume's next commit (none if nothing
    /// changed).
    pub fn push_copy(&mut self, copy: FileCopy, progress: bool) -> anyhow::Result<ImportReport> {
        let name = self.name.as_str();
        let FileCopy {
            data,
            pages,
            started,
        } = copy;
        let copied = started.elapsed();

        // What was pushed last is the volume still, unless another writer
        // pushed since: then the pages are compared with the volume's.
        let last = self.last.take();
        let (graft, vid) = (&self.graft, &self.vid);
        graft
            .volume_pull(vid.clone())
            .map_err(|err| anyhow::anyhow!("cannot pull volume {name}: {err}"))?;
        let last = last.filter(|last| remote_lsn(graft, vid).ok() == Some(last.lsn));
        let reader = graft.volume_reader(vid.clone()).map_err(graft_err)?;
        let old_pages = match &last {
            Some(last) => (last.data.len() / PAGE_SIZE) as u32,
            None => reader.page_count().map_err(graft_err)?.to_u32(),
        };
        let mut writer = graft.volume_writer(vid.clone()).map_err(graft_err)?;
        let bar = progress_bar(progress, pages);
        let mut changed = 0;
        for (i, chunk) in data.chunks(PAGE_SIZE).enumerate() {
            let idx = PageIdx::try_new(i as u32 + 1).context("page index")?;
            let unchanged = idx.to_u32() <= old_pages
                && match &last {
                    Some(last) => &last.data[i * PAGE_SIZE..(i + 1) * PAGE_SIZE] == chunk,
                    None => reader.read_page(idx).map_err(graft_err)?.as_ref() == chunk,
                };
            if !unchanged {
                let page = Page::try_from(Bytes::copy_from_slice(chunk))
                    .map_err(|_| anyhow::anyhow!("bad page size"))?;
                writer.write_page(idx, page).map_err(graft_err)?;
                changed += 1;
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        if pages < old_pages {
            writer.truncate(PageCount::new(pages)).map_err(graft_err)?;
        }
        let committed = changed > 0 || pages != old_pages;
        if committed {
            writer.commit().map_err(graft_err)?;
        }
        // Pushed even with nothing new: this finishes a push that an earlier
        // import committed locally but could not complete.
        graft
            .volume_push(vid.clone())
            .map_err(|err| anyhow::anyhow!("cannot push volume {name}: {err}"))?;
        let lsn = remote_lsn(graft, vid)?;
        let pushed = started.elapsed();
        // The volume at `lsn` is exactly `data` now. The pack only speeds up
        // opening, so failing to write it does not fail the import.
        let pack_pages =
            match self
                .async_rt
                .block_on(pack::write(&self.remote, name, &self.log, lsn, &data))
            {
                Ok(pack::Written::Pages(n)) => Some(n),
                Ok(pack::Written::UpToDate) => None,
                Err(err) => {
                    tracing::warn!(volume = name, %err, "cannot write the snapshot pack");
                    None
                }
            };
        tracing::info!(
            volume = name,
            pages,
            changed,
            committed,
            lsn,
            ?pack_pages,
            copy_ms = copied.as_millis() as u64,
            push_ms = (pushed - copied).as_millis() as u64,
            pack_ms = (started.elapsed() - pushed).as_millis() as u64,
            "import finished"
        );
        self.last = Some(Pushed { lsn, data });
        Ok(ImportReport {
            pages,
            changed,
            committed,
            lsn,
            pack_pages,
        })
    }
}

/// The file as the volume has it at `lsn`, kept after a push: comparing a
/// new copy with it costs a memcmp, where reading the volume's pages back
/// costs Graft a lookup per page that grows with its commits (a 45 MB file
/// at ~20 commits: 200-380 ms, growing; see `sync`).
struct Pushed {
    lsn: u64,
    data: Vec<u8>,
}

/// The newest LSN of the volume's remote log known locally.
fn remote_lsn(graft: &Runtime, vid: &graft::core::VolumeId) -> anyhow::Result<u64> {
    Ok(graft
        .volume_get(vid)
        .map_err(graft_err)?
        .sync
        .map_or(0, |sync| sync.remote.into()))
}

/// Imports `file` again whenever it has a new commit, until interrupted or
/// until the file is gone or no longer a database (an error). A file that
/// its writer has locked is tried again at the next look.
pub fn sync(config: &Config, file: &Path, name: &str, every: Duration) -> anyhow::Result<()> {
    // Opened at the first good copy, so a file that is not SQLite creates
    // no volume.
    let mut importer: Option<Importer> = None;
    let mut watch = Watch::new(file);
    loop {
        let mut push = || -> anyhow::Result<ImportReport> {
            let copy = FileCopy::take(file)?;
            let importer = match &mut importer {
                Some(importer) => importer,
                None => importer.insert(Importer::open(config, name)?),
            };
            importer.push_copy(copy, false)
        };
        let pushed = watch
            .changed()
            .and_then(|changed| changed.then(&mut push).transpose());
        match pushed {
            Ok(None) => {}
            Ok(Some(report)) => {
                if report.committed {
                    println!(
                        "synced {} pages ({} changed) to volume {name} at LSN {}",
                        report.pages, report.changed, report.lsn
                    );
                }
                watch.seen();
            }
            Err(err) if is_busy(&err) => {
                tracing::info!(file = %file.display(), "locked by its writer; trying again");
            }
            Err(err) => return Err(err),
        }
        std::thread::sleep(every);
    }
}

/// Whether `err` is SQLite's "the file is locked": a writer mid-commit,
/// worth another try rather than the end of `sync`.
fn is_busy(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|code| {
                matches!(
                    code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            })
    })
}

fn graft_err(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("graft: {err}")
}

/// The writer's local volume following `log`, remembered under tag `name`.
fn open_volume(
    graft: &Runtime,
    name: &str,
    log: &graft::core::LogId,
) -> anyhow::Result<graft::core::VolumeId> {
    if let Some(vid) = graft.tag_get(name).map_err(graft_err)? {
        let volume = graft.volume_get(&vid).map_err(graft_err)?;
        if &volume.remote == log {
            return Ok(vid);
        }
    }
    let volume = graft
        .volume_open(None, None, Some(log.clone()))
        .map_err(graft_err)?;
    graft
        .tag_replace(name, volume.vid.clone())
        .map_err(graft_err)?;
    Ok(volume.vid)
}

fn progress_bar(show: bool, pages: u32) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::from(pages));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} pages ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("importing");
    bar
}

/// Copies a SQLite database to `dest` as a consistent 4 KiB-page,
/// rollback-journal file, leaving the original untouched.
fn consistent_copy(file: &Path, dest: &Path) -> anyhow::Result<PathBuf> {
    if !file.exists() {
        bail!("{} does not exist", file.display());
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        if f.read(&mut header)? < 16 || &header != b"SQLite format 3\0" {
            bail!("{} is not a SQLite database", file.display());
        }
    }
    let source = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", file.display()))?;
    // A writer mid-commit holds the file briefly; wait for it a while.
    source.busy_timeout(LOCK_WAIT)?;
    let page_size: u32 = source
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .with_context(|| format!("cannot read {}", file.display()))?;
    if page_size as usize == PAGE_SIZE {
        let mut target = Connection::open(dest)?;
        backup_whole(&source, &mut target)
            .with_context(|| format!("cannot copy {}", file.display()))?;
    } else {
        source.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))?;
        source
            .execute("VACUUM INTO ?1", [dest.to_string_lossy()])
            .context("cannot convert the database to 4 KiB pages")?;
    }
    let copy = Connection::open(dest)?;
    copy.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    let actual: u32 = copy.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    if actual as usize != PAGE_SIZE {
        bail!(
            "could not convert {} to 4 KiB pages (got {actual})",
            file.display()
        );
    }
    drop(copy);
    Ok(dest.to_path_buf())
}

/// How long a copy (or a look at the file) waits for a writer's lock
/// before giving up (`sync` tries again at its next look).
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Copies every page of `source` in one backup step: one read transaction,
/// so the copy is one committed state. (Steps of a few pages each restart
/// whenever the source commits in between, and a file that commits every
/// few milliseconds would never finish copying.)
fn backup_whole(source: &Connection, target: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(source, target)?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if Instant::now() > deadline => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database is locked by its writer".into()),
                ));
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}
