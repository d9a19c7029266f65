//! The purge job: deletes every expired Pung and everything about it
//! (rows, photo files and thumbnails), photos uploaded but never posted,
//! and files left in the blob trash by an earlier crash.
//!
//! It runs on every node, every `pung_purge_interval_ms`, and at start-up
//! first of all, so what expired while the server was down goes at once.
//! The store claims each expired Pung exclusively, so two nodes never
//! purge the same one. Time comes from the injected clock.

use crate::{Core, Result};
use madang_bus::{Live, Topic};
use madang_store::PurgedPung;
use madang_types::Millis;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Pungs deleted per transaction.
const BATCH: i64 = 100;

/// What one purge pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub pungs: usize,
    pub unposted_uploads: usize,
    pub files: usize,
}

impl Core {
    /// One pass: every Pung expired by now, unposted photos past their
    /// time, then the files of both.
    pub async fn purge_pungs(&self) -> Result<PurgeReport> {
        let now = self.now();
        let mut report = PurgeReport::default();
        loop {
            let batch = self.repos.purge_expired(now, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            report.pungs += batch.len();
            self.tell_purged(&batch).await?;
        }
        let before = Millis(now.0 - self.limits.unposted_pung_upload_secs * 1000);
        loop {
            let n = self.repos.purge_unposted_uploads(before, now, BATCH).await?;
            if n == 0 {
                break;
            }
            report.unposted_uploads += n;
        }
        report.files = self.empty_blob_trash().await?;
        if report.pungs + report.unposted_uploads > 0 {
            self.repos.flush_deleted().await?;
        }
        metrics::counter!("madang_pungs_purged_total").increment(report.pungs as u64);
        Ok(report)
    }

    /// After Pungs were deleted outside the job (by their authors): their
    /// files go now, and everyone who could see them is told.
    pub(crate) async fn after_purge(&self, purged: &[PurgedPung]) -> Result<()> {
        self.tell_purged(purged).await?;
        self.empty_blob_trash().await?;
        self.repos.flush_deleted().await?;
        metrics::counter!("madang_pungs_purged_total").increment(purged.len() as u64);
        Ok(())
    }

    /// Tells the author, and those of the audience who could still see
    /// it (friends both ways now), that the Pung is gone. Someone who lost
    /// access earlier hears nothing more about it.
    async fn tell_purged(&self, purged: &[PurgedPung]) -> Result<()> {
        for p in purged {
            let friends = self.repos.mutual_friends(p.author).await?;
            let told = p.audience.iter().filter(|u| friends.contains(u));
            for &user in told.chain([&p.author]) {
                self.publish(Topic::User(user), Live::PungRemoved { pung_id: p.id })
                    .await;
            }
        }
        Ok(())
    }

    /// Deletes the files whose rows are gone; returns how many.
    async fn empty_blob_trash(&self) -> Result<usize> {
        let mut done = 0;
        loop {
            let keys = self.repos.trashed_blobs(200).await?;
            if keys.is_empty() {
                return Ok(done);
            }
            for key in keys {
                self.blobs.delete(&key).await?;
                self.repos.forget_trashed_blob(&key).await?;
                done += 1;
            }
        }
    }
}

/// The job's loop: a pass at start, then one per interval, until stopped.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(core.limits.pung_purge_interval_ms.max(10));
    crate::jobs::repeat("pung_purge", every, stop, || async {
        let r = core.purge_pungs().await?;
        if r != PurgeReport::default() {
            tracing::info!(
                pungs = r.pungs,
                unposted = r.unposted_uploads,
                files = r.files,
                "purged"
            );
        }
        Ok(())
    })
    .await;
}
