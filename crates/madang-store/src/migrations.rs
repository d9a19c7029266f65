//! The schema's migrations, compiled into the binary: one folder per
//! backend (`migrations/sqlite`, `migrations/postgres`), a file per step
//! named `NNNN_what.sql`. Listed here rather than embedded by
//! `sqlx::migrate!`, whose macro crate would compile both database drivers
//! (SQLite's C included) a second time for the build machine. Versions,
//! descriptions and checksums are the ones the macro made, so a database
//! migrated by an older build carries on; a test keeps the lists equal to
//! the folders.

use sqlx::AssertSqlSafe;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

type Files = [(&'static str, &'static str)];

const SQLITE: &Files = &[
    (
        "0001_core.sql",
        include_str!("../migrations/sqlite/0001_core.sql"),
    ),
    (
        "0002_pung.sql",
        include_str!("../migrations/sqlite/0002_pung.sql"),
    ),
    (
        "0003_room_identity.sql",
        include_str!("../migrations/sqlite/0003_room_identity.sql"),
    ),
    (
        "0004_openchat.sql",
        include_str!("../migrations/sqlite/0004_openchat.sql"),
    ),
    (
        "0005_discovery.sql",
        include_str!("../migrations/sqlite/0005_discovery.sql"),
    ),
    (
        "0006_earnings.sql",
        include_str!("../migrations/sqlite/0006_earnings.sql"),
    ),
    (
        "0007_local.sql",
        include_str!("../migrations/sqlite/0007_local.sql"),
    ),
    (
        "0008_campaigns.sql",
        include_str!("../migrations/sqlite/0008_campaigns.sql"),
    ),
    (
        "0009_shared_limits.sql",
        include_str!("../migrations/sqlite/0009_shared_limits.sql"),
    ),
    (
        "0010_assistant.sql",
        include_str!("../migrations/sqlite/0010_assistant.sql"),
    ),
    (
        "0011_campaign_copy.sql",
        include_str!("../migrations/sqlite/0011_campaign_copy.sql"),
    ),
    (
        "0012_screening.sql",
        include_str!("../migrations/sqlite/0012_screening.sql"),
    ),
    (
        "0013_campaign_messages.sql",
        include_str!("../migrations/sqlite/0013_campaign_messages.sql"),
    ),
    (
        "0014_campaign_reads.sql",
        include_str!("../migrations/sqlite/0014_campaign_reads.sql"),
    ),
    (
        "0015_push.sql",
        include_str!("../migrations/sqlite/0015_push.sql"),
    ),
    (
        "0016_message_search.sql",
        include_str!("../migrations/sqlite/0016_message_search.sql"),
    ),
    (
        "0017_folders.sql",
        include_str!("../migrations/sqlite/0017_folders.sql"),
    ),
    (
        "0018_scheduled.sql",
        include_str!("../migrations/sqlite/0018_scheduled.sql"),
    ),
    (
        "0019_polls.sql",
        include_str!("../migrations/sqlite/0019_polls.sql"),
    ),
    (
        "0020_threads.sql",
        include_str!("../migrations/sqlite/0020_threads.sql"),
    ),
    (
        "0021_channel_assistant.sql",
        include_str!("../migrations/sqlite/0021_channel_assistant.sql"),
    ),
    (
        "0022_imports.sql",
        include_str!("../migrations/sqlite/0022_imports.sql"),
    ),
    (
        "0023_bots.sql",
        include_str!("../migrations/sqlite/0023_bots.sql"),
    ),
    (
        "0024_webhooks.sql",
        include_str!("../migrations/sqlite/0024_webhooks.sql"),
    ),
    (
        "0025_integrations.sql",
        include_str!("../migrations/sqlite/0025_integrations.sql"),
    ),
    (
        "0026_events_target.sql",
        include_str!("../migrations/sqlite/0026_events_target.sql"),
    ),
];

const POSTGRES: &Files = &[
    (
        "0001_core.sql",
        include_str!("../migrations/postgres/0001_core.sql"),
    ),
    (
        "0002_pung.sql",
        include_str!("../migrations/postgres/0002_pung.sql"),
    ),
    (
        "0003_room_identity.sql",
        include_str!("../migrations/postgres/0003_room_identity.sql"),
    ),
    (
        "0004_openchat.sql",
        include_str!("../migrations/postgres/0004_openchat.sql"),
    ),
    (
        "0005_discovery.sql",
        include_str!("../migrations/postgres/0005_discovery.sql"),
    ),
    (
        "0006_earnings.sql",
        include_str!("../migrations/postgres/0006_earnings.sql"),
    ),
    (
        "0007_local.sql",
        include_str!("../migrations/postgres/0007_local.sql"),
    ),
    (
        "0008_campaigns.sql",
        include_str!("../migrations/postgres/0008_campaigns.sql"),
    ),
    (
        "0009_shared_limits.sql",
        include_str!("../migrations/postgres/0009_shared_limits.sql"),
    ),
    (
        "0010_assistant.sql",
        include_str!("../migrations/postgres/0010_assistant.sql"),
    ),
    (
        "0011_campaign_copy.sql",
        include_str!("../migrations/postgres/0011_campaign_copy.sql"),
    ),
    (
        "0012_screening.sql",
        include_str!("../migrations/postgres/0012_screening.sql"),
    ),
    (
        "0013_campaign_messages.sql",
        include_str!("../migrations/postgres/0013_campaign_messages.sql"),
    ),
    (
        "0014_campaign_reads.sql",
        include_str!("../migrations/postgres/0014_campaign_reads.sql"),
    ),
    (
        "0015_push.sql",
        include_str!("../migrations/postgres/0015_push.sql"),
    ),
    (
        "0016_message_search.sql",
        include_str!("../migrations/postgres/0016_message_search.sql"),
    ),
    (
        "0017_folders.sql",
        include_str!("../migrations/postgres/0017_folders.sql"),
    ),
    (
        "0018_scheduled.sql",
        include_str!("../migrations/postgres/0018_scheduled.sql"),
    ),
    (
        "0019_polls.sql",
        include_str!("../migrations/postgres/0019_polls.sql"),
    ),
    (
        "0020_threads.sql",
        include_str!("../migrations/postgres/0020_threads.sql"),
    ),
    (
        "0021_channel_assistant.sql",
        include_str!("../migrations/postgres/0021_channel_assistant.sql"),
    ),
    (
        "0022_imports.sql",
        include_str!("../migrations/postgres/0022_imports.sql"),
    ),
    (
        "0023_bots.sql",
        include_str!("../migrations/postgres/0023_bots.sql"),
    ),
    (
        "0024_webhooks.sql",
        include_str!("../migrations/postgres/0024_webhooks.sql"),
    ),
    (
        "0025_integrations.sql",
        include_str!("../migrations/postgres/0025_integrations.sql"),
    ),
    (
        "0026_events_target.sql",
        include_str!("../migrations/postgres/0026_events_target.sql"),
    ),
];

/// The migrations of one backend.
pub fn migrator(backend: crate::Backend) -> Migrator {
    let files = match backend {
        crate::Backend::Sqlite => SQLITE,
        crate::Backend::Postgres => POSTGRES,
    };
    Migrator::with_migrations(files.iter().map(|(name, sql)| migration(name, sql)).collect())
}

/// As sqlx reads a file: `NNNN_a_b.sql` is version NNNN, "a b".
fn migration(name: &str, sql: &'static str) -> Migration {
    let (version, rest) = name.split_once('_').unwrap_or((name, ""));
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    Migration::new(
        version.parse().unwrap_or(0),
        description.into(),
        MigrationType::Simple,
        AssertSqlSafe(sql).into_sql_str(),
        sql.starts_with("-- no-transaction"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_every_file_of_the_folders() {
        for (folder, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
                .expect("migrations folder")
                .map(|e| {
                    let path = e.expect("entry").path();
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (name, std::fs::read_to_string(&path).expect("read"))
                })
                .collect();
            on_disk.sort();
            let listed: Vec<(String, String)> = files
                .iter()
                .map(|(n, s)| (n.to_string(), s.to_string()))
                .collect();
            assert_eq!(listed, on_disk, "{folder}: add the new file to migrations.rs");
        }
    }

    #[test]
    fn versions_and_descriptions_are_read_as_sqlx_reads_them() {
        let m = migration("0013_campaign_messages.sql", "SELECT 1;");
        assert_eq!((m.version, m.description.as_ref()), (13, "campaign messages"));
        assert!(!m.no_tx);
        let versions: Vec<i64> = migrator(crate::Backend::Sqlite)
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, (1..=SQLITE.len() as i64).collect::<Vec<_>>());
    }
}
