//! The operator's backup and restore (`madang backup`, `madang restore`,
//! `madang backup verify`). A backup is a folder:
//! - `database.sqlite`: a consistent copy of a SQLite database taken while
//!   the server runs and writes (`VACUUM INTO`, one read snapshot), or
//!   `database.pgdump`: `pg_dump`'s custom format, through the operator's
//!   `pg_dump` (its major version at least the server's);
//! - `media/`: every media object (the local folder's, or an S3 bucket's
//!   with `--copy-media`), and `media.txt`, the list of keys and sizes
//!   (all an S3 backup holds without `--copy-media`);
//! - `madang.toml`: the configuration file the server was given, if any.
//!   The VAPID key and every other key live in the database;
//! - `manifest.json`: what it is (version, backend, migrations, when) and
//!   each file's size and SHA-256.
//!
//! The database is copied first: a media file a message names was written
//! before its message, so the copy of the media that follows has it.
//! Restore checks every checksum before it writes anything, refuses a data
//! folder or database that is not empty without `--force`, and then puts
//! the database and the media back.

use crate::config::Config;
use anyhow::{Context, bail, ensure};
use indicatif::{ProgressBar, ProgressStyle};
use madang_store::{Backend, BlobStore, SqlStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE: &str = "database.sqlite";
const PGDUMP: &str = "database.pgdump";
const MEDIA: &str = "media";
const MEDIA_LIST: &str = "media.txt";
const CONFIG: &str = "madang.toml";

/// One file of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the backup folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub madang_version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub migrations: i64,
    /// Unix milliseconds when the database copy began.
    pub started_at: i64,
    pub finished_at: i64,
    /// Media objects the store held, and how many were copied.
    pub media_objects: u64,
    pub media_copied: u64,
    pub files: Vec<Entry>,
}

/// How a backup is taken.
#[derive(Clone, Debug, Default)]
pub struct BackupOptions {
    /// The configuration file to keep with it.
    pub config_file: Option<PathBuf>,
    /// Copy an S3 bucket's objects too (a local media folder is always
    /// copied).
    pub copy_media: bool,
    /// Show progress bars (a terminal).
    pub progress: bool,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn bar(len: u64, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// The SHA-256 and size of a file, read in pieces.
fn digest(path: &Path, progress: &ProgressBar) -> anyhow::Result<(String, u64)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        total += n as u64;
        progress.inc(n as u64);
    }
    let hex = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, total))
}

/// Every file below `dir`, relative and `/`-separated, in order.
fn files_below(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A media key as a path below `root`, refusing one that would leave it.
fn below(root: &Path, key: &str) -> anyhow::Result<PathBuf> {
    let mut path = root.to_path_buf();
    for part in key.split('/') {
        ensure!(
            !part.is_empty() && part != "." && part != ".." && !part.contains('\\'),
            "a media key that is not a plain path: {key:?}"
        );
        path.push(part);
    }
    Ok(path)
}

fn blob_store(config: &Config) -> anyhow::Result<BlobStore> {
    BlobStore::open(&config.blob_store()).context("opening the media store")
}

fn is_s3(config: &Config) -> bool {
    matches!(config.blob_store(), madang_store::BlobStoreConfig::S3 { .. })
}

/// `pg_dump`'s (or `pg_restore`'s) major version.
fn tool_major(tool: &str) -> anyhow::Result<i64> {
    let out = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .with_context(|| format!("running {tool} (install PostgreSQL's client tools)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)"
    text.split_whitespace()
        .find_map(|w| w.split('.').next()?.parse::<i64>().ok())
        .with_context(|| format!("{tool} --version said {text:?}"))
}

/// Takes a backup into `to` (made; it must not hold anything yet) while
/// the server may be running.
pub async fn backup(config: &Config, to: &Path, options: &BackupOptions) -> anyhow::Result<Manifest> {
    if to.exists() {
        ensure!(
            std::fs::read_dir(to)?.next().is_none(),
            "{} is not empty; a backup goes into a new folder",
            to.display()
        );
    }
    std::fs::create_dir_all(to).with_context(|| format!("making {}", to.display()))?;
    let clock = Instant::now();
    let started_at = now_ms();
    let url = config.database_url();
    let store = SqlStore::connect_as_is(&url, 2)
        .await
        .context("opening the database")?;
    let migrations = store.migrations_applied().await?;
    let database = match store.backend() {
        Backend::Sqlite => {
            let spin = bar(0, "database", options.progress);
            store
                .snapshot_sqlite(&to.join(SQLITE))
                .await
                .context("copying the SQLite database (VACUUM INTO)")?;
            spin.finish_and_clear();
            "sqlite"
        }
        Backend::Postgres => {
            let server = store.postgres_major().await?;
            let dump = tool_major("pg_dump")?;
            ensure!(
                dump >= server,
                "pg_dump {dump} cannot dump a PostgreSQL {server} server; install pg_dump {server} or newer"
            );
            let out = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(to.join(PGDUMP))
                .arg("--dbname")
                .arg(&url)
                .output()
                .await
                .context("running pg_dump")?;
            ensure!(
                out.status.success(),
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            "postgres"
        }
    };
    store.close().await;
    metrics::histogram!("madang_backup_database_seconds").record(clock.elapsed().as_secs_f64());

    // The media, after the database: every object a copied row names exists.
    let blobs = blob_store(config)?;
    let objects = blobs.list().await.context("listing the media")?;
    let list: String = objects.iter().map(|(k, n)| format!("{n}\t{k}\n")).collect();
    std::fs::write(to.join(MEDIA_LIST), list)?;
    let copy = options.copy_media || !is_s3(config);
    let mut copied = 0u64;
    if copy {
        let total = objects.iter().map(|(_, n)| *n).sum();
        let progress = bar(total, "media", options.progress);
        for (key, size) in &objects {
            let path = below(&to.join(MEDIA), key)?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // None: deleted since it was listed (a Pung purged), and so
            // is its row.
            let got = blobs
                .get_if_exists(key)
                .await
                .with_context(|| format!("copying media {key}"))?;
            if let Some(bytes) = got {
                tokio::fs::write(&path, &bytes).await?;
                copied += 1;
            }
            progress.inc(*size);
        }
        progress.finish_and_clear();
    }
    if let Some(file) = &options.config_file {
        std::fs::copy(file, to.join(CONFIG)).with_context(|| format!("copying {}", file.display()))?;
    }

    let names = files_below(to)?;
    let total = names
        .iter()
        .map(|n| std::fs::metadata(to.join(n)).map(|m| m.len()).unwrap_or(0))
        .sum();
    let progress = bar(total, "checksums", options.progress);
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let (sha256, bytes) = digest(&to.join(&name), &progress)?;
        files.push(Entry {
            path: name,
            bytes,
            sha256,
        });
    }
    progress.finish_and_clear();
    let manifest = Manifest {
        format: FORMAT,
        madang_version: env!("CARGO_PKG_VERSION").into(),
        database: database.into(),
        migrations,
        started_at,
        finished_at: now_ms(),
        media_objects: objects.len() as u64,
        media_copied: copied,
        files,
    };
    std::fs::write(to.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    metrics::counter!("madang_backups_total", "result" => "done").increment(1);
    metrics::histogram!("madang_backup_seconds").record(clock.elapsed().as_secs_f64());
    Ok(manifest)
}

/// Checks a backup without restoring it: the manifest reads, and every
/// file it lists is there with its size and SHA-256; nothing else is.
pub fn verify(dir: &Path, progress: bool) -> anyhow::Result<Manifest> {
    let raw = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("{} has no {MANIFEST}: not a backup", dir.display()))?;
    let manifest: Manifest = serde_json::from_slice(&raw).context("the manifest does not read")?;
    ensure!(
        manifest.format == FORMAT,
        "backup format {} (this madang reads {FORMAT})",
        manifest.format
    );
    let db = match manifest.database.as_str() {
        "sqlite" => SQLITE,
        "postgres" => PGDUMP,
        other => bail!("the manifest names a database {other:?}"),
    };
    ensure!(
        manifest.files.iter().any(|f| f.path == db),
        "the manifest lists no {db}"
    );
    let total = manifest.files.iter().map(|f| f.bytes).sum();
    let shown = bar(total, "verify", progress);
    for f in &manifest.files {
        let path = below(dir, &f.path)?;
        ensure!(path.is_file(), "{} is missing", f.path);
        let (sha256, bytes) = digest(&path, &shown)?;
        ensure!(
            bytes == f.bytes && sha256 == f.sha256,
            "{} does not match the manifest (size {bytes}, expected {}; a changed or damaged file)",
            f.path,
            f.bytes
        );
    }
    shown.finish_and_clear();
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for name in files_below(dir)? {
        ensure!(
            name == MANIFEST || listed.contains(&name.as_str()),
            "{name} is not in the manifest"
        );
    }
    Ok(manifest)
}

/// Restores the backup in `from` into the configured database and media
/// store, after checking it. Refuses a database or media folder that holds
/// anything unless `force`, which replaces them.
pub async fn restore(config: &Config, from: &Path, force: bool, progress: bool) -> anyhow::Result<Manifest> {
    let manifest = verify(from, progress)?;
    let url = config.database_url();
    let postgres = !url.starts_with("sqlite:");
    ensure!(
        (manifest.database == "postgres") == postgres,
        "this backup is of {}; the configuration names {}",
        manifest.database,
        if postgres { "PostgreSQL" } else { "SQLite" }
    );
    let empty_db = madang_store::backup::database_is_empty(&url)
        .await
        .context("looking at the database to restore into")?;
    let media_root = config.data_dir.join(MEDIA);
    let media_has_files = !is_s3(config) && media_root.is_dir() && !files_below(&media_root)?.is_empty();
    if !force {
        ensure!(
            empty_db,
            "the database {} is not empty; restoring replaces it: pass --force",
            config.describe_database()
        );
        ensure!(
            !media_has_files,
            "{} holds media; restoring replaces it: pass --force",
            media_root.display()
        );
    }
    let clock = Instant::now();
    if postgres {
        let tool = tool_major("pg_restore")?;
        let mut cmd = tokio::process::Command::new("pg_restore");
        cmd.arg("--no-owner").arg("--dbname").arg(&url);
        if !empty_db {
            cmd.arg("--clean").arg("--if-exists");
        }
        let out = cmd
            .arg(from.join(PGDUMP))
            .output()
            .await
            .context("running pg_restore")?;
        ensure!(
            out.status.success(),
            "pg_restore {tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    } else {
        let file = madang_store::backup::sqlite_file(&url)
            .with_context(|| format!("the SQLite database URL {url:?} names no file"))?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let side = PathBuf::from(format!("{}{suffix}", file.display()));
            if side.exists() {
                std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
            }
        }
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(SQLITE), &file).with_context(|| format!("writing {}", file.display()))?;
    }
    if force && media_has_files {
        std::fs::remove_dir_all(&media_root)?;
    }
    let blobs = blob_store(config)?;
    let media = from.join(MEDIA);
    let keys = if media.is_dir() {
        files_below(&media)?
    } else {
        Vec::new()
    };
    let total = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("media/"))
        .map(|f| f.bytes)
        .sum();
    let shown = bar(total, "media", progress);
    for key in keys {
        let bytes = tokio::fs::read(below(&media, &key)?).await?;
        shown.inc(bytes.len() as u64);
        blobs
            .put(&key, bytes.into())
            .await
            .with_context(|| format!("restoring media {key}"))?;
    }
    shown.finish_and_clear();
    metrics::counter!("madang_restores_total").increment(1);
    metrics::histogram!("madang_restore_seconds").record(clock.elapsed().as_secs_f64());
    Ok(manifest)
}

/// The folder name of a scheduled backup taken at `ms`.
fn folder_name(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "madang-{:04}{:02}{:02}-{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The finished backups in `dir` (folders with a manifest that reads),
/// newest first.
fn finished(dir: &Path) -> Vec<(i64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(i64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let raw = std::fs::read(e.path().join(MANIFEST)).ok()?;
            let m: Manifest = serde_json::from_slice(&raw).ok()?;
            Some((m.finished_at, e.path()))
        })
        .collect();
    out.sort_by(|a, b| b.cmp(a));
    out
}

/// Takes a scheduled backup if one is due and this node wins the turn,
/// then keeps the newest `keep`. Returns the folder made, if any.
pub async fn scheduled_once(config: &Config, store: &SqlStore) -> anyhow::Result<Option<PathBuf>> {
    use madang_store::LimitRepo;
    let b = &config.backup;
    let dir = PathBuf::from(&b.dir);
    let every_ms = (b.every_minutes.max(1) * 60_000) as i64;
    let now = now_ms();
    if finished(&dir).first().is_some_and(|(at, _)| now - at < every_ms) {
        return Ok(None);
    }
    // One turn per period, whichever node of the cluster takes it.
    let turn = store
        .take_token("backup:schedule", 1.0, every_ms as f64, madang_types::Millis(now))
        .await?;
    if !turn.granted {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("making {}", dir.display()))?;
    let to = dir.join(folder_name(now));
    let options = BackupOptions {
        config_file: None,
        copy_media: b.copy_media,
        progress: false,
    };
    if let Err(e) = backup(config, &to, &options).await {
        metrics::counter!("madang_backups_total", "result" => "failed").increment(1);
        // A half-made folder is no backup.
        let _ = std::fs::remove_dir_all(&to);
        return Err(e);
    }
    for (_, old) in finished(&dir).into_iter().skip(b.keep.max(1)) {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("removing the old backup {}", old.display()))?;
        tracing::info!(folder = %old.display(), "removed an old backup");
    }
    Ok(Some(to))
}

/// Scheduled backups (`[backup] dir`), until stopped: looks every few
/// minutes whether one is due.
pub async fn run_schedule(config: Config, store: SqlStore, mut stop: tokio::sync::watch::Receiver<bool>) {
    let look = std::time::Duration::from_secs((config.backup.every_minutes.max(1) * 60).min(300));
    loop {
        match scheduled_once(&config, &store).await {
            Ok(Some(to)) => tracing::info!(folder = %to.display(), "scheduled backup taken"),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(look) => {}
            _ = stop.wait_for(|&s| s) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_folders_are_named_by_their_utc_time() {
        // 2026-11-23 13:00:05 UTC.
        assert_eq!(folder_name(1_795_438_805_000), "madang-20261123-130005");
    }

    #[test]
    fn a_media_key_stays_below_its_folder() {
        let root = Path::new("/b/media");
        assert_eq!(below(root, "ab/cd.jpg").unwrap(), Path::new("/b/media/ab/cd.jpg"));
        for bad in ["../etc/passwd", "a//b", "/abs", "a/./b", "a\\b", ""] {
            assert!(below(root, bad).is_err(), "{bad}");
        }
    }
}
