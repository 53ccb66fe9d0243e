//! Pushes a SQLite file as a new commit of a Graft volume.
//!
//! The user's file is never modified: it is first copied to a consistent
//! snapshot (SQLite's backup API, or `VACUUM INTO` when its page size is not
//! Graft's 4 KiB) in rollback-journal mode. Only pages that differ from the
//! volume's current version are written, so re-importing a changed file
//! makes a small commit.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
    manifest::validate_name(name)?;
    let scratch = tempfile::Builder::new()
        .prefix("graftgres-import")
        .tempdir()?;
    let copy = consistent_copy(file, &scratch.path().join("copy.sqlite"))?;
    let data = std::fs::read(&copy).with_context(|| format!("cannot read {}", copy.display()))?;
    if data.len() % PAGE_SIZE != 0 {
        bail!("{} is not a whole number of 4 KiB pages", file.display());
    }
    let pages = u32::try_from(data.len() / PAGE_SIZE).context("database too large")?;

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
    graft
        .volume_pull(vid.clone())
        .map_err(|err| anyhow::anyhow!("cannot pull volume {name}: {err}"))?;

    let reader = graft.volume_reader(vid.clone()).map_err(graft_err)?;
    let old_pages = reader.page_count().map_err(graft_err)?.to_u32();
    let mut writer = graft.volume_writer(vid.clone()).map_err(graft_err)?;
    let bar = progress_bar(progress, pages);
    let mut changed = 0;
    for (i, chunk) in data.chunks(PAGE_SIZE).enumerate() {
        let idx = PageIdx::try_new(i as u32 + 1).context("page index")?;
        let unchanged = idx.to_u32() <= old_pages
            && reader.read_page(idx).map_err(graft_err)?.as_ref() == chunk;
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
    let lsn = graft
        .volume_get(&vid)
        .map_err(graft_err)?
        .sync
        .map_or(0, |sync| sync.remote.into());
    // The volume at `lsn` is exactly `data` now. The pack only speeds up
    // opening, so failing to write it does not fail the import.
    let pack_pages = match async_rt.block_on(pack::write(&remote, name, &log, lsn, &data)) {
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
        "import finished"
    );
    Ok(ImportReport {
        pages,
        changed,
        committed,
        lsn,
        pack_pages,
    })
}

/// Imports `file` again whenever it changes, until interrupted.
pub fn sync(config: &Config, file: &Path, name: &str, every: Duration) -> anyhow::Result<()> {
    let mut last: Option<(SystemTime, u64)> = None;
    loop {
        let meta =
            std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
        let stamp = (meta.modified()?, meta.len());
        if last != Some(stamp) {
            let report = import(config, file, name, false)?;
            if report.committed {
                println!(
                    "synced {} pages ({} changed) to volume {name}",
                    report.pages, report.changed
                );
            }
            last = Some(stamp);
        }
        std::thread::sleep(every);
    }
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
    let page_size: u32 = source.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    if page_size as usize == PAGE_SIZE {
        let mut target = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&source, &mut target)?;
        backup.run_to_completion(1024, Duration::ZERO, None)?;
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
