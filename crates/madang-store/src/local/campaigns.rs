//! Campaigns and their sending. A campaign is sent in batches, each one
//! transaction: take the campaign's row (skipping it when another node
//! holds it), read the next recipients, let the caller's rules judge them,
//! then write every delivered message, the outcome of each recipient who
//! got none and the campaign's progress together. A delivered message is
//! its own record: its event is read from it (`events_after`) and the
//! campaign's stats count it, so nothing else is written per delivery. A
//! process that dies mid-batch leaves nothing of that batch; the next
//! batch starts where the last committed one ended, so every recipient is
//! handled exactly once.
//!
//! The first pass walks the channel's friends in user id order. People
//! deferred to the morning are kept as `deferred` with a due time; a second
//! pass delivers them when due. The one-advertisement-a-day rule is a
//! unique key on (person, local day) written in the same transaction.

use super::inbox::PlaceRow;
use crate::messages::StoredMessage;
use crate::rows::{Params, flag, i64_col, json, opt_i64, text, to_json};
use crate::{Backend, Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::api::MessageKind;
use madang_types::channel::{CampaignKind, CampaignStatus, Segment};
use madang_types::events::RoomEvent;
use madang_types::{CampaignId, ChannelId, ClientMsgId, Millis, RoomId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub channel_id: ChannelId,
    pub created_by: UserId,
    pub name: String,
    pub kind: CampaignKind,
    pub template: String,
    pub variables: BTreeMap<String, String>,
    pub attributes: Vec<String>,
    pub segment: Segment,
    pub send_at: Millis,
    /// Reworded per attribute set by the server's model.
    pub rewrite: bool,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CampaignRow {
    pub id: CampaignId,
    pub channel_id: ChannelId,
    pub created_by: UserId,
    pub name: String,
    pub kind: CampaignKind,
    pub template: String,
    pub variables: BTreeMap<String, String>,
    pub attributes: Vec<String>,
    pub segment: Segment,
    pub send_at: Millis,
    pub status: CampaignStatus,
    /// The first pass has handled every friend up to this user id.
    pub after_user: i64,
    pub passed: i64,
    pub audience: i64,
    pub targeted: i64,
    pub delivered: i64,
    pub deferred: i64,
    pub skipped: i64,
    pub opted_out: i64,
    /// Reworded per attribute set by the server's model.
    pub rewrite: bool,
    /// Delivered in a rewritten wording, and in the template instead.
    pub rewritten: i64,
    pub fell_back: i64,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
}

/// A person a batch looks at, with what the rules and the template need.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub user_id: UserId,
    pub room_id: RoomId,
    /// The room's last seq and member count when read. Inside the batch's
    /// transaction on SQLite (which holds the write lock) that is the seq
    /// the message follows; PostgreSQL locks the rooms and reads again.
    pub room_seq: Seq,
    pub room_members: i64,
    pub display_name: String,
    pub place: PlaceRow,
    /// Deferred earlier (second pass): already found to be in the segment.
    pub deferred: bool,
    /// Still a friend of the channel.
    pub friend: bool,
    /// A regular of the segment's shop (true when the segment names none).
    pub regular: bool,
    pub informational: bool,
    pub marketing: bool,
    pub marketing_night: bool,
    pub tags: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

/// What the rules decided for one candidate.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Not in the segment: not targeted, not counted.
    Pass,
    /// Deliver this text. An advertisement names the recipient's local day
    /// (`YYYYMMDD`); a second one that day is skipped as `daily_limit`.
    Deliver {
        text: String,
        ad_day: Option<i64>,
        wording: Wording,
    },
    /// Not now: deliver at `until`.
    Defer {
        until: Millis,
    },
    Skip {
        reason: &'static str,
    },
}

/// Which wording a delivered message has, for a campaign's counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wording {
    /// The campaign did not ask for rewriting.
    Template,
    /// The model's, past every guardrail.
    Rewritten,
    /// Asked for, but the template was sent, for this reason.
    FellBack { reason: &'static str },
}

/// One stored wording of a campaign: the text (with `#{name}` still in
/// it), or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignCopy {
    pub text: Option<String>,
    pub reason: Option<String>,
}

/// The rules, applied to a batch: one outcome per candidate, in order.
pub type Judge<'a> = dyn Fn(&CampaignRow, &[Candidate]) -> Vec<Outcome> + Send + Sync + 'a;

#[derive(Clone, Debug, Default)]
pub struct BatchReport {
    /// The delivered messages' events, to publish.
    pub events: Vec<RoomEvent>,
    /// Candidates looked at.
    pub looked_at: usize,
    /// The campaign's status after the batch.
    pub status: Option<CampaignStatus>,
    /// More may be due now: call again.
    pub more: bool,
}

#[async_trait]
pub trait CampaignRepo: Send + Sync {
    async fn create_campaign(&self, new: NewCampaign) -> Result<CampaignRow>;
    async fn campaign(&self, id: CampaignId) -> Result<Option<CampaignRow>>;
    /// Newest first.
    async fn campaigns_of(&self, channel: ChannelId, limit: i64) -> Result<Vec<CampaignRow>>;
    /// Stops a campaign that has not finished; whether it did.
    async fn cancel_campaign(&self, id: CampaignId, at: Millis) -> Result<bool>;
    /// Campaigns with work due at `now`.
    async fn due_campaigns(&self, now: Millis, limit: i64) -> Result<Vec<CampaignId>>;
    /// Sends one batch of up to `limit` recipients (see the module
    /// comment). Messages are shown as `shown` (the channel). A campaign
    /// another node is sending reports no work.
    async fn campaign_batch(
        &self,
        id: CampaignId,
        shown: UserId,
        now: Millis,
        limit: i64,
        judge: &Judge<'_>,
    ) -> Result<BatchReport>;
    async fn campaign_skips(&self, id: CampaignId) -> Result<BTreeMap<String, i64>>;
    /// Messages that fell back to the template, by reason.
    async fn campaign_fallbacks(&self, id: CampaignId) -> Result<BTreeMap<String, i64>>;
    /// The people the next batch would look at, read without taking the
    /// campaign (so the caller can prepare for them outside the batch's
    /// transaction). Empty when nothing is due.
    async fn peek_campaign_batch(&self, id: CampaignId, now: Millis, limit: i64) -> Result<Vec<Candidate>>;
    /// The campaign's stored wordings by variant.
    async fn campaign_copies(&self, id: CampaignId) -> Result<HashMap<String, CampaignCopy>>;
    /// Stores a wording unless the variant has one (another node's wins);
    /// the one kept.
    async fn put_campaign_copy(
        &self,
        id: CampaignId,
        variant: &str,
        copy: &CampaignCopy,
        at: Millis,
    ) -> Result<CampaignCopy>;
    /// Delivered messages read (counted as cursors move: a few rows, not
    /// the campaign's messages).
    async fn campaign_reads(&self, id: CampaignId) -> Result<i64>;
    /// Recipients waiting for the morning now.
    async fn campaign_waiting(&self, id: CampaignId) -> Result<i64>;
    /// Counts `user`'s opt-out on the campaign that reached them, once;
    /// whether it counted.
    async fn record_opt_out(&self, id: CampaignId, user: UserId, at: Millis) -> Result<bool>;
    /// Whether `user` was delivered this campaign.
    async fn was_delivered(&self, id: CampaignId, user: UserId) -> Result<bool>;
    /// Checks a campaign's record against the messages: the deliveries
    /// its progress counted, the campaign's messages, the rooms they are
    /// in, and the rooms holding more than one.
    async fn campaign_audit(&self, id: CampaignId) -> Result<CampaignAudit>;
    /// Adds `people` generated accounts (handles `{prefix}{i}`, who cannot
    /// log in: `password_hash` matches no password) as friends of the
    /// channel with their rooms, in batches; `consent(i)` gives each one's
    /// (informational, marketing, marketing at night). For load tests and
    /// demos; calls `progress` with the count so far after each batch.
    async fn seed_audience(
        &self,
        seed: &AudienceSeed,
        consent: &(dyn Fn(u64) -> (bool, bool, bool) + Send + Sync),
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64>;
}

/// What `seed_audience` makes.
#[derive(Clone, Debug)]
pub struct AudienceSeed {
    pub channel: ChannelId,
    pub people: u64,
    pub prefix: String,
    pub password_hash: String,
    pub at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CampaignAudit {
    pub delivered: i64,
    pub messages: i64,
    pub rooms: i64,
    pub rooms_with_duplicates: i64,
}

const CAMPAIGN_COLS: &str = "id, channel_id, created_by, name, kind, template, variables, attributes, segment, \
     send_at, status, after_user, passed, audience, targeted, delivered, deferred, skipped, opted_out, \
     rewrite, rewritten, fell_back, created_at, started_at, finished_at";

/// Rows per multi-row statement: well under either backend's limit on
/// bound parameters (SQLite's is 32,766) at ten columns.
const CHUNK: usize = 1_000;

fn campaign_row(row: &AnyRow) -> Result<CampaignRow> {
    let kind = text(row, "kind")?;
    let status = text(row, "status")?;
    Ok(CampaignRow {
        id: CampaignId(i64_col(row, "id")?),
        channel_id: ChannelId(i64_col(row, "channel_id")?),
        created_by: UserId(i64_col(row, "created_by")?),
        name: text(row, "name")?,
        kind: CampaignKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("campaign kind {kind:?}")))?,
        template: text(row, "template")?,
        variables: json(&text(row, "variables")?)?,
        attributes: json(&text(row, "attributes")?)?,
        segment: json(&text(row, "segment")?)?,
        send_at: Millis(i64_col(row, "send_at")?),
        status: CampaignStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("campaign status {status:?}")))?,
        after_user: i64_col(row, "after_user")?,
        passed: i64_col(row, "passed")?,
        audience: i64_col(row, "audience")?,
        targeted: i64_col(row, "targeted")?,
        delivered: i64_col(row, "delivered")?,
        deferred: i64_col(row, "deferred")?,
        skipped: i64_col(row, "skipped")?,
        opted_out: i64_col(row, "opted_out")?,
        rewrite: flag(row, "rewrite")?,
        rewritten: i64_col(row, "rewritten")?,
        fell_back: i64_col(row, "fell_back")?,
        created_at: Millis(i64_col(row, "created_at")?),
        started_at: opt_i64(row, "started_at")?.map(Millis),
        finished_at: opt_i64(row, "finished_at")?.map(Millis),
    })
}

fn candidate_row(row: &AnyRow, deferred: bool) -> Result<Candidate> {
    let lat: Option<f64> = row.try_get("home_lat")?;
    let lon: Option<f64> = row.try_get("home_lon")?;
    Ok(Candidate {
        user_id: UserId(i64_col(row, "user_id")?),
        room_id: RoomId(i64_col(row, "room_id")?),
        room_seq: Seq(i64_col(row, "last_seq")?),
        room_members: i64_col(row, "member_count")?,
        display_name: text(row, "display_name")?,
        place: PlaceRow {
            time_zone: row.try_get("time_zone")?,
            home: lat.zip(lon),
        },
        deferred,
        friend: flag(row, "friend")?,
        regular: flag(row, "regular")?,
        informational: flag(row, "informational")?,
        marketing: flag(row, "marketing")?,
        marketing_night: flag(row, "marketing_night")?,
        tags: json(&text(row, "tags")?)?,
        attributes: json(&text(row, "attributes")?)?,
    })
}

const PERSON_COLS: &str = "u.display_name, u.time_zone, u.home_lat, u.home_lon, rm.last_seq, rm.member_count";

/// The first pass: the next friends after the cursor.
async fn next_friends(conn: &mut AnyConnection, c: &CampaignRow, limit: i64) -> Result<Vec<Candidate>> {
    let sql = format!(
        "SELECT f.user_id, r.room_id, {PERSON_COLS}, 1 AS friend, \
           CASE WHEN $4 = 0 OR EXISTS (SELECT 1 FROM shop_regulars s WHERE s.shop_id = $4 AND s.user_id = f.user_id) \
             THEN 1 ELSE 0 END AS regular, \
           f.informational, f.marketing, f.marketing_night, f.tags, f.attributes \
         FROM channel_friends f \
         JOIN channel_rooms r ON r.channel_id = f.channel_id AND r.user_id = f.user_id \
         JOIN rooms rm ON rm.id = r.room_id \
         JOIN users u ON u.id = f.user_id \
         WHERE f.channel_id = $1 AND f.user_id > $2 ORDER BY f.user_id LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(c.channel_id.0)
        .bind(c.after_user)
        .bind(limit)
        .bind(c.segment.regulars_of.map_or(0, |s| s.0))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| candidate_row(r, false)).collect()
}

/// The second pass: deferred people whose time has come.
async fn due_deferred(
    conn: &mut AnyConnection,
    c: &CampaignRow,
    now: Millis,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let sql = format!(
        "SELECT d.user_id, r.room_id, {PERSON_COLS}, \
           CASE WHEN f.user_id IS NULL THEN 0 ELSE 1 END AS friend, 1 AS regular, \
           COALESCE(f.informational, 0) AS informational, COALESCE(f.marketing, 0) AS marketing, \
           COALESCE(f.marketing_night, 0) AS marketing_night, COALESCE(f.tags, '[]') AS tags, \
           COALESCE(f.attributes, '{{}}') AS attributes \
         FROM campaign_recipients d \
         JOIN channel_rooms r ON r.channel_id = $2 AND r.user_id = d.user_id \
         JOIN rooms rm ON rm.id = r.room_id \
         JOIN users u ON u.id = d.user_id \
         LEFT JOIN channel_friends f ON f.channel_id = $2 AND f.user_id = d.user_id \
         WHERE d.campaign_id = $1 AND d.status = 'deferred' AND d.due_at <= $3 \
         ORDER BY d.user_id LIMIT $4"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(c.id.0)
        .bind(c.channel_id.0)
        .bind(now.0)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| candidate_row(r, true)).collect()
}

/// Whether the campaign's message is in the person's room with its
/// channel.
async fn delivered_to(conn: &mut AnyConnection, id: CampaignId, user: UserId) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS x FROM campaigns c \
         JOIN channel_rooms r ON r.channel_id = c.channel_id AND r.user_id = $2 \
         JOIN messages m ON m.room_id = r.room_id AND m.campaign_id = c.id \
         WHERE c.id = $1",
    )
    .bind(id.0)
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Rows each campaign's read count is split over (see `campaign_reads`).
const READ_SHARDS: i64 = 8;

/// Moves `user`'s read cursor in a channel's room forward to `seq` and
/// counts the campaign messages it passes as read, in the caller's
/// transaction; whether it moved (false too when `user` is no member).
///
/// The member's row is locked first by a no-op update of a cursor still
/// short of `seq`, so the range starts from the cursor this transaction
/// moves: two reads of the same messages at once count them once, and a
/// read that moves nothing writes nothing.
pub(crate) async fn read_channel_room(
    conn: &mut AnyConnection,
    room: RoomId,
    user: UserId,
    seq: Seq,
) -> Result<bool> {
    let Some(row) = sqlx::query(
        "UPDATE room_members SET read_seq = read_seq \
         WHERE room_id = $1 AND user_id = $2 AND read_seq < $3 RETURNING read_seq",
    )
    .bind(room.0)
    .bind(user.0)
    .bind(seq.0)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(false);
    };
    let from = i64_col(&row, "read_seq")?;
    sqlx::query("UPDATE room_members SET read_seq = $3 WHERE room_id = $1 AND user_id = $2")
        .bind(room.0)
        .bind(user.0)
        .bind(seq.0)
        .execute(&mut *conn)
        .await?;
    // The messages passed are a range of the room's primary key. The
    // counters are taken in campaign order, so two reads passing the same
    // campaigns on PostgreSQL cannot each hold one the other waits for.
    sqlx::query(
        "INSERT INTO campaign_reads (campaign_id, shard, n) \
         SELECT campaign_id, $4, COUNT(*) FROM messages \
         WHERE room_id = $1 AND seq > $2 AND seq <= $3 AND campaign_id IS NOT NULL \
         GROUP BY campaign_id ORDER BY campaign_id \
         ON CONFLICT (campaign_id, shard) DO UPDATE SET n = campaign_reads.n + excluded.n",
    )
    .bind(room.0)
    .bind(from)
    .bind(seq.0)
    .bind(room.0.rem_euclid(READ_SHARDS))
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

async fn waiting_count(conn: &mut AnyConnection, id: CampaignId) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = $1 AND status = 'deferred'",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    i64_col(&row, "n")
}

/// Of the advertisements in `wanted` (person, local day), those that are
/// the person's first that day; records them. Every receipt is inserted,
/// keeping one already there; the losers are then the few whose receipt
/// for that day names another campaign, so only they come back across the
/// driver (a `RETURNING` of the winners would hand every row back). On
/// PostgreSQL the insert waits for a concurrent one of the same key to
/// commit, and the read after it sees that commit.
async fn take_ad_days(
    conn: &mut AnyConnection,
    backend: Backend,
    campaign: CampaignId,
    wanted: &[(UserId, i64)],
) -> Result<HashSet<UserId>> {
    let mut lost = HashSet::new();
    for chunk in wanted.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO ad_receipts (user_id, day, campaign_id) VALUES {} \
             ON CONFLICT (user_id, day) DO NOTHING",
            Params::new(backend).tuples(chunk.len(), 3)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (user, day) in chunk {
            q = q.bind(user.0).bind(*day).bind(campaign.0);
        }
        q.execute(&mut *conn).await?;

        let days: Vec<i64> = chunk
            .iter()
            .map(|(_, d)| *d)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut p = Params::new(backend);
        let sql = format!(
            "SELECT user_id, day FROM ad_receipts WHERE campaign_id <> {} AND user_id IN {} AND day IN {}",
            p.one(),
            p.list(chunk.len()),
            p.list(days.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(campaign.0);
        for (user, _) in chunk {
            q = q.bind(user.0);
        }
        for day in &days {
            q = q.bind(*day);
        }
        let asked: HashSet<(UserId, i64)> = chunk.iter().copied().collect();
        for row in q.fetch_all(&mut *conn).await? {
            let key = (UserId(i64_col(&row, "user_id")?), i64_col(&row, "day")?);
            if asked.contains(&key) {
                lost.insert(key.0);
            }
        }
    }
    Ok(wanted
        .iter()
        .map(|(user, _)| *user)
        .filter(|user| !lost.contains(user))
        .collect())
}

/// Takes the next seq of each candidate's room: its seq and member count.
/// SQLite's batch holds the write lock, so the values read with the
/// candidates are current and only an `UPDATE` is needed (no rows handed
/// back). PostgreSQL locks the rooms in id order (so two batches never
/// wait on each other in a cycle) and reads them again under the lock.
async fn claim_seqs(
    conn: &mut AnyConnection,
    backend: Backend,
    rooms: &[&Candidate],
) -> Result<HashMap<RoomId, (Seq, i64)>> {
    let mut out = HashMap::with_capacity(rooms.len());
    for chunk in rooms.chunks(CHUNK) {
        let list = Params::new(backend).list(chunk.len());
        if backend == Backend::Postgres {
            let sql = format!(
                "SELECT id, last_seq, member_count FROM rooms WHERE id IN {list} ORDER BY id FOR UPDATE"
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.room_id.0);
            }
            for row in q.fetch_all(&mut *conn).await? {
                out.insert(
                    RoomId(i64_col(&row, "id")?),
                    (
                        Seq(i64_col(&row, "last_seq")? + 1),
                        i64_col(&row, "member_count")?,
                    ),
                );
            }
        } else {
            for c in chunk {
                out.insert(c.room_id, (Seq(c.room_seq.0 + 1), c.room_members));
            }
        }
        let sql = format!(
            "UPDATE rooms SET last_seq = last_seq + 1, last_message_seq = last_seq + 1 WHERE id IN {list}"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.room_id.0);
        }
        let updated = q.execute(&mut *conn).await?.rows_affected();
        if updated != chunk.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "{updated} rooms updated for {} messages",
                chunk.len()
            )));
        }
    }
    Ok(out)
}

async fn insert_messages(
    conn: &mut AnyConnection,
    backend: Backend,
    sender: UserId,
    messages: &[StoredMessage],
) -> Result<()> {
    for chunk in messages.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, \
             created_at, campaign_id) VALUES {}",
            Params::new(backend).tuples(chunk.len(), 10)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for m in chunk {
            q = q
                .bind(m.room_id.0)
                .bind(m.seq.0)
                .bind(sender.0)
                .bind(m.sender_id.0)
                .bind(&m.client_id.0)
                .bind(m.kind.as_str())
                .bind(&m.text)
                .bind("[]")
                .bind(m.created_at.0)
                .bind(m.campaign_id.map(|c| c.0));
        }
        q.execute(&mut *conn).await?;
        for m in chunk {
            crate::search::index(conn, m.room_id, m.seq, &m.text).await?;
        }
        // Each may be pushed to its person (invariant 12): the campaign
        // rules (consent, quiet night hours) have let it through already.
        let sql = format!(
            "INSERT INTO push_outbox (room_id, seq, created_at) VALUES {}",
            Params::new(backend).tuples(chunk.len(), 3)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for m in chunk {
            q = q.bind(m.room_id.0).bind(m.seq.0).bind(m.created_at.0);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const DELIVERED: &str = "delivered";

/// One recipient's outcome.
struct Recorded {
    user: UserId,
    status: &'static str,
    reason: Option<&'static str>,
    due_at: Option<Millis>,
}

/// Stores the outcomes kept as rows: the deferred (until when) and the
/// skipped (why). A delivered person's record is their message. On the
/// second pass (`replace`) each person's row from the first goes first.
async fn record_recipients(
    conn: &mut AnyConnection,
    backend: Backend,
    campaign: CampaignId,
    at: Millis,
    rows: &[Recorded],
    replace: bool,
) -> Result<()> {
    if replace {
        for chunk in rows.chunks(CHUNK) {
            let mut p = Params::new(backend);
            let sql = format!(
                "DELETE FROM campaign_recipients WHERE campaign_id = {} AND user_id IN {}",
                p.one(),
                p.list(chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(campaign.0);
            for r in chunk {
                q = q.bind(r.user.0);
            }
            q.execute(&mut *conn).await?;
        }
    }
    let kept: Vec<&Recorded> = rows.iter().filter(|r| r.status != DELIVERED).collect();
    for chunk in kept.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO campaign_recipients (campaign_id, user_id, status, reason, due_at, at) VALUES {}",
            Params::new(backend).tuples(chunk.len(), 6)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(campaign.0)
                .bind(r.user.0)
                .bind(r.status)
                .bind(r.reason)
                .bind(r.due_at.map(|x| x.0))
                .bind(at.0);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Adds per-reason counts to one of the campaign's count tables.
async fn add_counts(
    conn: &mut AnyConnection,
    table: &'static str,
    campaign: CampaignId,
    counts: &BTreeMap<&'static str, i64>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {table} (campaign_id, reason, count) VALUES ($1, $2, $3) \
         ON CONFLICT (campaign_id, reason) DO UPDATE SET count = {table}.count + excluded.count"
    );
    for (reason, n) in counts {
        sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(campaign.0)
            .bind(*reason)
            .bind(*n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn counts(
    store: &SqlStore,
    table: &'static str,
    campaign: CampaignId,
) -> Result<BTreeMap<String, i64>> {
    let sql = format!("SELECT reason, count FROM {table} WHERE campaign_id = $1");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(campaign.0)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((text(r, "reason")?, i64_col(r, "count")?)))
        .collect()
}

#[async_trait]
impl CampaignRepo for SqlStore {
    async fn create_campaign(&self, new: NewCampaign) -> Result<CampaignRow> {
        let sql = format!(
            "INSERT INTO campaigns (channel_id, created_by, name, kind, template, variables, attributes, segment, \
             send_at, status, created_at, rewrite) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'scheduled', $10, $11) \
             RETURNING {CAMPAIGN_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.channel_id.0)
            .bind(new.created_by.0)
            .bind(&new.name)
            .bind(new.kind.as_str())
            .bind(&new.template)
            .bind(to_json(&new.variables)?)
            .bind(to_json(&new.attributes)?)
            .bind(to_json(&new.segment)?)
            .bind(new.send_at.0)
            .bind(new.at.0)
            .bind(i64::from(new.rewrite))
            .fetch_one(self.pool())
            .await?;
        campaign_row(&row)
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<CampaignRow>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(campaign_row).transpose()
    }

    async fn campaigns_of(&self, channel: ChannelId, limit: i64) -> Result<Vec<CampaignRow>> {
        let sql =
            format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE channel_id = $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(campaign_row).collect()
    }

    async fn cancel_campaign(&self, id: CampaignId, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = 'cancelled', finished_at = $2 \
             WHERE id = $1 AND status IN ('scheduled', 'sending', 'waiting')",
        )
        .bind(id.0)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn due_campaigns(&self, now: Millis, limit: i64) -> Result<Vec<CampaignId>> {
        let rows = sqlx::query(
            "SELECT id FROM campaigns c WHERE (c.status IN ('scheduled', 'sending') AND c.send_at <= $1) \
             OR (c.status = 'waiting' AND EXISTS (SELECT 1 FROM campaign_recipients d \
                 WHERE d.campaign_id = c.id AND d.status = 'deferred' AND d.due_at <= $1)) \
             ORDER BY id LIMIT $2",
        )
        .bind(now.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| i64_col(r, "id").map(CampaignId)).collect()
    }

    async fn campaign_batch(
        &self,
        id: CampaignId,
        shown: UserId,
        now: Millis,
        limit: i64,
        judge: &Judge<'_>,
    ) -> Result<BatchReport> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1{}",
            self.skip_locked()
        );
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            // Gone, or another node is sending it.
            return Ok(BatchReport::default());
        };
        let mut c = campaign_row(&row)?;
        match c.status {
            CampaignStatus::Done | CampaignStatus::Cancelled => {
                return Ok(BatchReport {
                    status: Some(c.status),
                    ..BatchReport::default()
                });
            }
            CampaignStatus::Scheduled if c.send_at > now => {
                return Ok(BatchReport {
                    status: Some(c.status),
                    ..BatchReport::default()
                });
            }
            CampaignStatus::Scheduled => {
                let audience = sqlx::query("SELECT friend_count FROM channels WHERE id = $1")
                    .bind(c.channel_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                c.audience = i64_col(&audience, "friend_count")?;
                c.status = CampaignStatus::Sending;
                c.started_at = Some(now);
            }
            CampaignStatus::Sending | CampaignStatus::Waiting => {}
        }
        let first_pass = c.status == CampaignStatus::Sending;
        let candidates = if first_pass {
            next_friends(&mut tx, &c, limit).await?
        } else {
            due_deferred(&mut tx, &c, now, limit).await?
        };
        let mut outcomes = judge(&c, &candidates);
        if outcomes.len() != candidates.len() {
            return Err(StoreError::Corrupt(format!(
                "{} outcomes for {} candidates",
                outcomes.len(),
                candidates.len()
            )));
        }

        // One advertisement a person a day: the losers are skipped.
        let ad_days: Vec<(UserId, i64)> = candidates
            .iter()
            .zip(&outcomes)
            .filter_map(|(p, o)| match o {
                Outcome::Deliver {
                    ad_day: Some(day), ..
                } => Some((p.user_id, *day)),
                _ => None,
            })
            .collect();
        if !ad_days.is_empty() {
            let first = take_ad_days(&mut tx, self.backend(), c.id, &ad_days).await?;
            for (p, o) in candidates.iter().zip(outcomes.iter_mut()) {
                if matches!(o, Outcome::Deliver { ad_day: Some(_), .. }) && !first.contains(&p.user_id) {
                    *o = Outcome::Skip {
                        reason: "daily_limit",
                    };
                }
            }
        }

        let rooms: Vec<&Candidate> = candidates
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| matches!(o, Outcome::Deliver { .. }))
            .map(|(p, _)| p)
            .collect();
        let seqs = claim_seqs(&mut tx, self.backend(), &rooms).await?;
        let mut messages = Vec::with_capacity(rooms.len());
        let mut events = Vec::with_capacity(rooms.len());
        let mut recorded = Vec::with_capacity(candidates.len());
        let (mut targeted, mut delivered, mut deferred, mut skipped) = (0i64, 0i64, 0i64, 0i64);
        let mut skips: BTreeMap<&'static str, i64> = BTreeMap::new();
        let mut fallbacks: BTreeMap<&'static str, i64> = BTreeMap::new();
        let (mut rewritten, mut fell_back) = (0i64, 0i64);
        for (p, o) in candidates.iter().zip(outcomes) {
            let mut rec = Recorded {
                user: p.user_id,
                status: "",
                reason: None,
                due_at: None,
            };
            match o {
                Outcome::Pass => continue,
                Outcome::Deliver { text, wording, .. } => {
                    match wording {
                        Wording::Template => {}
                        Wording::Rewritten => rewritten += 1,
                        Wording::FellBack { reason } => {
                            fell_back += 1;
                            *fallbacks.entry(reason).or_default() += 1;
                        }
                    }
                    let (seq, members) = *seqs.get(&p.room_id).ok_or(StoreError::NotFound)?;
                    let message = StoredMessage {
                        room_id: p.room_id,
                        seq,
                        sender_id: shown,
                        client_id: ClientMsgId(format!("cmp{}:{}", c.id, p.user_id)),
                        kind: MessageKind::Text,
                        text,
                        reply_to: None,
                        mentions: Vec::new(),
                        attachment: None,
                        pung_id: None,
                        created_at: now,
                        edited_at: None,
                        deleted_at: None,
                        hidden_at: None,
                        campaign_id: Some(c.id),
                        thread_root: None,
                        thread_seq: None,
                        comment_count: 0,
                        by_assistant: false,
                        import_id: None,
                        imported_name: None,
                        buttons: Vec::new(),
                    };
                    events.push(message.clone().into_event(members));
                    messages.push(message);
                    rec.status = DELIVERED;
                    delivered += 1;
                }
                Outcome::Defer { until } => {
                    rec.status = "deferred";
                    rec.due_at = Some(until);
                    if first_pass {
                        deferred += 1;
                    }
                }
                Outcome::Skip { reason } => {
                    rec.status = "skipped";
                    rec.reason = Some(reason);
                    *skips.entry(reason).or_default() += 1;
                    skipped += 1;
                }
            }
            if first_pass {
                targeted += 1;
            }
            recorded.push(rec);
        }
        // The message rows are the record of who got one (and their
        // events): no event row and no outcome row per delivered person.
        insert_messages(&mut tx, self.backend(), c.created_by, &messages).await?;
        record_recipients(&mut tx, self.backend(), c.id, now, &recorded, !first_pass).await?;
        add_counts(&mut tx, "campaign_skips", c.id, &skips).await?;
        add_counts(&mut tx, "campaign_fallbacks", c.id, &fallbacks).await?;

        let looked_at = candidates.len();
        if first_pass {
            if let Some(last) = candidates.last() {
                c.after_user = last.user_id.0;
            }
            c.passed += looked_at as i64;
        }
        // The end of a pass: everything handled, or only the deferred left.
        let pass_over = (looked_at as i64) < limit;
        if pass_over {
            let waiting = waiting_count(&mut tx, c.id).await?;
            if waiting == 0 {
                c.status = CampaignStatus::Done;
                c.finished_at = Some(now);
            } else {
                c.status = CampaignStatus::Waiting;
            }
        }
        sqlx::query(
            "UPDATE campaigns SET status = $2, after_user = $3, passed = $4, audience = $5, \
             targeted = targeted + $6, delivered = delivered + $7, deferred = deferred + $8, skipped = skipped + $9, \
             started_at = $10, finished_at = $11, rewritten = rewritten + $12, fell_back = fell_back + $13 \
             WHERE id = $1",
        )
        .bind(c.id.0)
        .bind(c.status.as_str())
        .bind(c.after_user)
        .bind(c.passed)
        .bind(c.audience)
        .bind(targeted)
        .bind(delivered)
        .bind(deferred)
        .bind(skipped)
        .bind(c.started_at.map(|t| t.0))
        .bind(c.finished_at.map(|t| t.0))
        .bind(rewritten)
        .bind(fell_back)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BatchReport {
            events,
            looked_at,
            status: Some(c.status),
            more: !pass_over || (first_pass && c.status == CampaignStatus::Waiting),
        })
    }

    async fn campaign_skips(&self, id: CampaignId) -> Result<BTreeMap<String, i64>> {
        counts(self, "campaign_skips", id).await
    }

    async fn campaign_fallbacks(&self, id: CampaignId) -> Result<BTreeMap<String, i64>> {
        counts(self, "campaign_fallbacks", id).await
    }

    async fn peek_campaign_batch(&self, id: CampaignId, now: Millis, limit: i64) -> Result<Vec<Candidate>> {
        let Some(c) = self.campaign(id).await? else {
            return Ok(Vec::new());
        };
        let mut conn = self.pool().acquire().await?;
        match c.status {
            CampaignStatus::Scheduled if c.send_at > now => Ok(Vec::new()),
            CampaignStatus::Scheduled | CampaignStatus::Sending => next_friends(&mut conn, &c, limit).await,
            CampaignStatus::Waiting => due_deferred(&mut conn, &c, now, limit).await,
            CampaignStatus::Done | CampaignStatus::Cancelled => Ok(Vec::new()),
        }
    }

    async fn campaign_copies(&self, id: CampaignId) -> Result<HashMap<String, CampaignCopy>> {
        let rows = sqlx::query("SELECT variant, text, reason FROM campaign_copies WHERE campaign_id = $1")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    text(r, "variant")?,
                    CampaignCopy {
                        text: r.try_get("text")?,
                        reason: r.try_get("reason")?,
                    },
                ))
            })
            .collect()
    }

    async fn put_campaign_copy(
        &self,
        id: CampaignId,
        variant: &str,
        copy: &CampaignCopy,
        at: Millis,
    ) -> Result<CampaignCopy> {
        let inserted = sqlx::query(
            "INSERT INTO campaign_copies (campaign_id, variant, text, reason, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (campaign_id, variant) DO NOTHING",
        )
        .bind(id.0)
        .bind(variant)
        .bind(copy.text.as_deref())
        .bind(copy.reason.as_deref())
        .bind(at.0)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(copy.clone());
        }
        // Another node stored this variant first: theirs stands.
        let row =
            sqlx::query("SELECT text, reason FROM campaign_copies WHERE campaign_id = $1 AND variant = $2")
                .bind(id.0)
                .bind(variant)
                .fetch_one(self.pool())
                .await?;
        Ok(CampaignCopy {
            text: row.try_get("text")?,
            reason: row.try_get("reason")?,
        })
    }

    async fn campaign_reads(&self, id: CampaignId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM campaign_reads WHERE campaign_id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await?;
        i64_col(&row, "n")
    }

    async fn campaign_waiting(&self, id: CampaignId) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        waiting_count(&mut conn, id).await
    }

    async fn record_opt_out(&self, id: CampaignId, user: UserId, at: Millis) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if !delivered_to(&mut tx, id, user).await? {
            return Ok(false);
        }
        let first = sqlx::query(
            "INSERT INTO campaign_opt_outs (campaign_id, user_id, at) VALUES ($1, $2, $3) \
             ON CONFLICT (campaign_id, user_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(at.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if first {
            sqlx::query("UPDATE campaigns SET opted_out = opted_out + 1 WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(first)
    }

    async fn campaign_audit(&self, id: CampaignId) -> Result<CampaignAudit> {
        let one = |sql: &'static str| async move {
            let row = sqlx::query(sql).bind(id.0).fetch_one(self.pool()).await?;
            i64_col(&row, "n")
        };
        Ok(CampaignAudit {
            delivered: one("SELECT delivered AS n FROM campaigns WHERE id = $1").await?,
            messages: one("SELECT COUNT(*) AS n FROM messages WHERE campaign_id = $1").await?,
            rooms: one("SELECT COUNT(DISTINCT room_id) AS n FROM messages WHERE campaign_id = $1").await?,
            rooms_with_duplicates: one(
                "SELECT COUNT(*) AS n FROM (SELECT room_id FROM messages WHERE campaign_id = $1 \
                 GROUP BY room_id HAVING COUNT(*) > 1) d",
            )
            .await?,
        })
    }

    async fn seed_audience(
        &self,
        seed: &AudienceSeed,
        consent: &(dyn Fn(u64) -> (bool, bool, bool) + Send + Sync),
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64> {
        const BATCH: u64 = 2_000;
        let backend = self.backend();
        let mut done = 0u64;
        while done < seed.people {
            let n = BATCH.min(seed.people - done);
            let mut tx = self.begin_write().await?;
            let ids: Vec<u64> = (done..done + n).collect();
            let mut users: HashMap<String, i64> = HashMap::with_capacity(n as usize);
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO users (handle, password_hash, display_name, created_at) VALUES {} \
                     RETURNING id, handle",
                    Params::new(backend).tuples(chunk.len(), 4)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for i in chunk {
                    q = q
                        .bind(format!("{}{i}", seed.prefix))
                        .bind(&seed.password_hash)
                        .bind(format!("손님 {i}"))
                        .bind(seed.at.0);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    users.insert(text(&row, "handle")?, i64_col(&row, "id")?);
                }
            }
            let people: Vec<(u64, i64)> = ids
                .iter()
                .map(|i| {
                    users
                        .get(&format!("{}{i}", seed.prefix))
                        .map(|u| (*i, *u))
                        .ok_or(StoreError::NotFound)
                })
                .collect::<Result<_>>()?;
            let mut rooms: HashMap<String, i64> = HashMap::with_capacity(people.len());
            for chunk in people.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO rooms (kind, title, direct_key, channel_id, member_count, created_by, created_at) \
                     VALUES {} RETURNING id, direct_key",
                    Params::new(backend).tuples(chunk.len(), 7)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (_, u) in chunk {
                    q = q
                        .bind("channel")
                        .bind("")
                        .bind(format!("ch:{}:{u}", seed.channel))
                        .bind(seed.channel.0)
                        .bind(1i64)
                        .bind(*u)
                        .bind(seed.at.0);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    rooms.insert(text(&row, "direct_key")?, i64_col(&row, "id")?);
                }
            }
            for chunk in people.chunks(CHUNK) {
                let room = |u: i64| {
                    rooms
                        .get(&format!("ch:{}:{u}", seed.channel))
                        .copied()
                        .ok_or(StoreError::NotFound)
                };
                let sql = format!(
                    "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq) VALUES {}",
                    Params::new(backend).tuples(chunk.len(), 5)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (_, u) in chunk {
                    q = q.bind(room(*u)?).bind(*u).bind(*u).bind(1i64).bind(0i64);
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "INSERT INTO channel_rooms (room_id, channel_id, user_id, status, updated_at) VALUES {}",
                    Params::new(backend).tuples(chunk.len(), 5)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (_, u) in chunk {
                    q = q
                        .bind(room(*u)?)
                        .bind(seed.channel.0)
                        .bind(*u)
                        .bind("idle")
                        .bind(seed.at.0);
                }
                q.execute(&mut *tx).await?;
                let sql = format!(
                    "INSERT INTO channel_friends (channel_id, user_id, added_at, informational, informational_at, \
                     marketing, marketing_at, marketing_night, marketing_night_at) VALUES {}",
                    Params::new(backend).tuples(chunk.len(), 9)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (i, u) in chunk {
                    let (info, mkt, night) = consent(*i);
                    q = q
                        .bind(seed.channel.0)
                        .bind(*u)
                        .bind(seed.at.0)
                        .bind(i64::from(info))
                        .bind(seed.at.0)
                        .bind(i64::from(mkt))
                        .bind(seed.at.0)
                        .bind(i64::from(mkt && night))
                        .bind(seed.at.0);
                }
                q.execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE channels SET friend_count = friend_count + $2 WHERE id = $1")
                .bind(seed.channel.0)
                .bind(n as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            done += n;
            progress(done);
        }
        Ok(done)
    }

    async fn was_delivered(&self, id: CampaignId, user: UserId) -> Result<bool> {
        let mut conn = self.pool().acquire().await?;
        delivered_to(&mut conn, id, user).await
    }
}
