//! Persistence for Madang: one repository trait per aggregate, implemented
//! once over sqlx's `Any` driver for SQLite and PostgreSQL, plus the blob
//! store for media. No rules live here, only atomic data operations; the
//! one exception is a limit that must be checked under the same lock as the
//! write it guards (a room's member cap, a coupon's per-person limit): the
//! caller passes its value in, or it is read from the locked row.
//!
//! SQL is written once, in the dialect both backends accept: `$n`
//! placeholders, `RETURNING`, `ON CONFLICT`, integers for times and flags.
//! Dynamic SQL (marked `AssertSqlSafe`) is only ever assembled from column
//! lists and numbered placeholders, never from input.

pub mod accounts;
pub mod backup;
pub mod blobs;
pub mod bots;
pub mod chat;
pub mod earnings;
mod events;
pub mod folders;
pub mod friends;
pub mod imports;
pub mod limits;
pub mod local;
pub mod media;
pub mod messages;
mod migrations;
pub mod openchat;
pub mod polls;
pub mod pung;
pub mod push;
mod rows;
pub mod safety;
pub mod scheduled;
mod script;
pub mod search;
mod sends;
pub mod threads;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::time::Duration;

pub use accounts::{AccountRepo, DeviceRow, NewDevice, NewUser, ProfileUpdate, UserRow};
pub use blobs::{BlobStore, BlobStoreConfig};
pub use bots::{BotRepo, DeliveryMark, DueDelivery, IntegrationRow, NewDelivery, WebhookRow};
pub use chat::{ChatRepo, MemberRow, NewRoom, RoomRow, RoomSummaryRow, SendContext};
pub use earnings::{
    AdRepo, AdRow, ImpressionOutcome, LedgerAudit, NewAd, NewSubscription, NewTier, NewTxn, PlacementRow,
    Posted, Posting, StatementLine, SubscriptionRepo, SubscriptionRow, TierRow,
};
pub use folders::{FolderRepo, FolderRow};
pub use friends::{FriendFlags, FriendRepo, FriendRow};
pub use imports::{ExportFile, ExportRepo, ExportRow, ImportRepo, ImportRow, ImportedMessage, NewImport};
pub use limits::{FloodMark, LimitRepo, Taken};
pub use local::{
    AgentRow, AssistantOutcome, AssistantRepo, AssistantRow, AudienceSeed, BatchReport, BusinessRow,
    CampaignAudit, CampaignCopy, CampaignRepo, CampaignRow, Candidate, ChannelFriendRow, ChannelRepo,
    ChannelRoomRow, ChannelRow, ClaimRow, CouponRepo, CouponRow, FactRow, InboxRow, Judge, LocalRepo,
    NewCampaign, NewChannel, NewCoupon, NewShop, Outcome, PlaceRow, PostRow, ShopRow, WalletRow, Wording,
};
pub use media::{MediaPurpose, MediaRepo, MediaRow};
pub use messages::{Actor, Appended, MessageRepo, NewMessage, StoredMessage};
pub use openchat::{
    BanRow, DiscoveryRepo, Kick, KickEvents, ListedChat, NewOpenChat, OpenChatRepo, OpenChatRow,
    OpenChatSettings, OpenJoin, OpenMemberRow, OpenModerationRepo, OpenProfile, Restored,
};
pub use openchat::{FlagRow, NewFlag, ScreeningRepo, SpamExample};
pub use polls::{NewPoll, PollRepo, PollRow};
pub use pung::{
    NewPung, PungActivityRepo, PungForViewer, PungRepo, PungRow, PungStats, PurgedPung, VoteCount,
};
pub use push::{DuePush, OutboxRow, PushCandidate, PushMark, PushRepo, PushSubscriptionRow, PushWish};
pub use safety::{NewReport, ReportRow, SafetyRepo, SuspensionRow};
pub use scheduled::{NewScheduled, ScheduledRepo, ScheduledRow};
pub use search::{MessageHit, MessageSearch, SearchRepo, Term, query_terms};
pub use sends::{BLOCKED, NOT_PLAIN};
pub use threads::{ThreadMark, ThreadRepo};

/// Errors from the store. `Conflict` and `NotFound` are expected outcomes
/// the caller turns into domain errors; `Db` is an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated: {0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error("room is full")]
    RoomFull,
    /// A ledger account that may not go negative would have.
    #[error("insufficient balance")]
    Overdrawn,
    /// Nothing left to claim.
    #[error("none left")]
    Exhausted,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("blob store error: {0}")]
    Blob(#[from] object_store::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which SQL engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Every repository trait, for holding one object that implements them all.
pub trait Repos:
    AccountRepo
    + FriendRepo
    + ChatRepo
    + MessageRepo
    + MediaRepo
    + PungRepo
    + PungActivityRepo
    + OpenChatRepo
    + OpenModerationRepo
    + DiscoveryRepo
    + SafetyRepo
    + ScreeningRepo
    + SubscriptionRepo
    + AdRepo
    + LocalRepo
    + CouponRepo
    + ChannelRepo
    + CampaignRepo
    + LimitRepo
    + PushRepo
    + BotRepo
    + SearchRepo
    + FolderRepo
    + ScheduledRepo
    + PollRepo
    + ThreadRepo
    + AssistantRepo
    + ImportRepo
    + ExportRepo
{
}
impl<T> Repos for T where
    T: AccountRepo
        + FriendRepo
        + ChatRepo
        + MessageRepo
        + MediaRepo
        + PungRepo
        + PungActivityRepo
        + OpenChatRepo
        + OpenModerationRepo
        + DiscoveryRepo
        + SafetyRepo
        + ScreeningRepo
        + SubscriptionRepo
        + AdRepo
        + LocalRepo
        + CouponRepo
        + ChannelRepo
        + CampaignRepo
        + LimitRepo
        + PushRepo
        + BotRepo
        + SearchRepo
        + FolderRepo
        + ScheduledRepo
        + PollRepo
        + ThreadRepo
        + AssistantRepo
        + ImportRepo
        + ExportRepo
{
}

/// How every SQLite connection is set up.
///
/// WAL: readers never block the writer. synchronous=NORMAL in WAL mode
/// survives a process crash (`kill -9`) with every committed transaction;
/// only an OS crash may lose the last. secure_delete overwrites deleted
/// content in the file, so a purged Pung or a message deleted for everyone
/// is gone from the disk too, not only from the tables. Temporary tables
/// and statement journals stay in memory.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
     PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;";

/// The SQL store: a pool on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// The group-commit writers of sends, started by the first send.
    sends: std::sync::Arc<std::sync::OnceLock<sends::SendQueues>>,
    /// Where the pool connects, for the send writers' own connections.
    url: std::sync::Arc<str>,
}

impl SqlStore {
    /// Connects, creating a SQLite file if needed, and runs the migrations
    /// of the backend the URL names.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let store = Self::open(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to a database as it is, running no migration (a backup
    /// reads it and changes nothing).
    pub async fn connect_as_is(url: &str, max_connections: u32) -> Result<Self> {
        Self::open(url, max_connections).await
    }

    async fn open(url: &str, max_connections: u32) -> Result<Self> {
        install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Db(sqlx::Error::Configuration(
                format!("unsupported database url scheme in {url:?}").into(),
            )));
        };
        let options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30));
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await?;
        Ok(SqlStore {
            pool,
            backend,
            sends: Default::default(),
            url: url.into(),
        })
    }

    async fn migrate(&self) -> Result<()> {
        migrations::migrator(self.backend)
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Db(sqlx::Error::Migrate(Box::new(e))))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Cheap round trip for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so a transaction that reads before
    /// it writes can never fail with a stale snapshot.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Starts a transaction that only reads, every statement in one
    /// snapshot: SQLite's deferred transaction keeps the snapshot of its
    /// first read (WAL); PostgreSQL needs `REPEATABLE READ` for that.
    pub(crate) async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        })
    }

    /// The suffix that makes a `SELECT` take its rows' locks and pass over
    /// rows another transaction holds, so nodes share work without waiting
    /// (PostgreSQL); SQLite's single writer needs none.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// The suffix that makes a `SELECT` lock its rows for the transaction
    /// (PostgreSQL); SQLite's write transaction already holds everything.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The send queues, their writers started on first use (on the
    /// runtime of that call).
    fn send_queues(&self) -> &sends::SendQueues {
        self.sends.get_or_init(|| sends::SendQueues::start(self))
    }

    /// This store without its send queues, for a writer task to hold: the
    /// writers end when the last store that can queue is dropped.
    fn without_queues(&self) -> SqlStore {
        SqlStore {
            pool: self.pool.clone(),
            backend: self.backend,
            sends: Default::default(),
            url: self.url.clone(),
        }
    }
}

/// Maps a unique-constraint violation to `Conflict(what)`.
pub(crate) fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(e),
    }
}
