//! Group commit for sends: concurrent messages are gathered and written in
//! one transaction per batch, each statement covering the whole batch.
//!
//! A send waits in a queue; one writer per queue (a thread with a
//! connection of its own) takes what waits (at once when only one does, so
//! an idle send waits for nothing) and writes the batch. Every send is answered only after the transaction
//! that holds it has committed (invariant 2). Each keeps its room's `seq`
//! without gaps (invariant 1): the batch reads what it would refuse (no
//! room, no member, a client id used before) before it takes a seq, so a
//! refused send takes none and does not fail the others. A retry of a
//! send already stored finds it (invariant 3); two copies of one send in
//! one batch are split between batches.
//!
//! SQLite has one writer, as it has one write lock. PostgreSQL has a few,
//! each owning the rooms whose id falls to it, so one room's sends stay in
//! order behind one queue and its row lock gives the seqs.
//!
//! Members' timeline messages are batched; a comment, a poll and a message
//! in a channel's room take the path of one message alone. A plain send
//! (text only) also has its membership, room kind and 1:1 block checked
//! here, so the caller reads nothing before it.

use crate::messages::{MESSAGE_COLS, message_row};
use crate::rows::{Params, i64_col, opt_i64, text, to_json};
use crate::script::Script;
use crate::{Appended, Backend, NewMessage, Result, SqlStore, StoreError, StoredMessage};
use madang_types::api::RoomKind;
use madang_types::events::RoomEvent;
use madang_types::{RoomId, Seq, UserId};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// At most this many sends in one transaction (a statement holds at most
/// 14 parameters per send: 1,792, far under SQLite's 32,766 and
/// PostgreSQL's 65,535).
const MAX_BATCH: usize = 128;

/// Writer tasks on PostgreSQL (rooms are spread over them by id).
const PG_WRITERS: usize = 4;

/// How often SQLite's write-ahead log is checkpointed beside the writer.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A send waiting for its writer.
struct Waiting {
    new: NewMessage,
    /// Checked in the batch: see [`crate::MessageRepo::append_plain_message`].
    plain: bool,
    reply: oneshot::Sender<Result<Appended>>,
}

/// The queues of the writer tasks.
#[derive(Debug)]
pub(crate) struct SendQueues {
    queues: Vec<mpsc::UnboundedSender<Waiting>>,
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiting")
            .field("room", &self.new.room_id)
            .finish()
    }
}

impl SendQueues {
    /// Starts the writers of `store`, each on a thread of its own with its
    /// own connection: the chain of statements of a batch is the critical
    /// path of every send, so it waits for no task of the server's. They
    /// end when the store's last clone that can queue is dropped.
    pub(crate) fn start(store: &SqlStore) -> SendQueues {
        let n = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_WRITERS,
        };
        let queues: Vec<_> = (0..n)
            .map(|i| {
                let (tx, rx) = mpsc::unbounded_channel();
                let writer = store.without_queues();
                let started = std::thread::Builder::new()
                    .name(format!("madang-sends-{i}"))
                    .spawn(move || {
                        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                            Ok(runtime) => runtime.block_on(write_loop(writer, rx)),
                            Err(e) => tracing::error!(error = %e, "the send writer could not start"),
                        }
                    });
                if let Err(e) = started {
                    // The queue's receiver is gone with the closure: sends
                    // are refused as if the store were closed.
                    tracing::error!(error = %e, "the send writer's thread could not start");
                }
                tx
            })
            .collect();
        if store.backend() == Backend::Sqlite
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(checkpoint_loop(store.without_queues(), queues[0].downgrade()));
        }
        SendQueues { queues }
    }

    /// Whether a member's send goes through a batch: a timeline message
    /// (no comment) with no poll. The rest is written alone.
    pub(crate) fn batches(new: &NewMessage) -> bool {
        new.thread_root.is_none() && new.poll.is_none()
    }

    /// Queues `new` and waits until its batch has committed.
    pub(crate) async fn send(&self, new: NewMessage, plain: bool) -> Result<Appended> {
        let queue = &self.queues[new.room_id.0.rem_euclid(self.queues.len() as i64) as usize];
        let (reply, answer) = oneshot::channel();
        queue
            .send(Waiting { new, plain, reply })
            .map_err(|_| StoreError::Db(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| StoreError::Db(sqlx::Error::PoolClosed))?
    }
}

/// Takes what waits, writes it, answers; until every queue's sender is gone.
async fn write_loop(store: SqlStore, mut rx: mpsc::UnboundedReceiver<Waiting>) {
    let mut carried: Option<Waiting> = None;
    // The writer's own connection, outside the pool (which may close while
    // a send still waits); opened again after an error.
    let mut conn: Option<AnyConnection> = None;
    loop {
        let first = match carried.take() {
            Some(w) => w,
            None => match rx.recv().await {
                Some(w) => w,
                None => return,
            },
        };
        let mut keys: HashSet<(UserId, String)> = HashSet::new();
        keys.insert((first.new.sender_id, first.new.client_id.0.clone()));
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let Ok(next) = rx.try_recv() else { break };
            // A second copy of a send waits for the next batch, where it
            // finds the first one stored.
            if !keys.insert((next.new.sender_id, next.new.client_id.0.clone())) {
                carried = Some(next);
                break;
            }
            batch.push(next);
        }
        metrics::histogram!("madang_send_batch_size").record(batch.len() as f64);
        if conn.is_none() {
            conn = store
                .writer_connection()
                .await
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "no connection for the send writer");
                })
                .ok();
        }
        let written = match &mut conn {
            Some(c) => store.write_batch(c, batch).await,
            None => {
                store.write_alone(batch).await;
                true
            }
        };
        if !written {
            conn = None;
        }
    }
}

/// Checkpoints SQLite's write-ahead log in the background, so that the
/// send writer (whose connection never checkpoints) does not stop for it;
/// until the writer's queue is gone.
async fn checkpoint_loop(store: SqlStore, queue: mpsc::WeakUnboundedSender<Waiting>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if queue.upgrade().is_none() {
            return;
        }
        // PASSIVE copies what no reader still needs, and waits for nobody.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(store.pool())
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// What the batch decided for one send. (Short-lived, one per send of a
/// batch: an answer is kept inline rather than boxed.)
#[allow(clippy::large_enum_variant)]
enum Verdict {
    /// Refused, or a retry answered with the stored message.
    Answer(Result<Appended>),
    /// Written at this seq.
    Write(Seq),
    /// Written alone, after the batch (a channel's room).
    Alone,
}

impl SqlStore {
    /// A connection of a send writer's own, set up as the pool's are. On
    /// SQLite it leaves checkpoints to [`checkpoint_loop`].
    async fn writer_connection(&self) -> Result<AnyConnection> {
        let mut conn = AnyConnection::connect(&self.url).await?;
        if self.backend() == Backend::Sqlite {
            conn.execute(crate::SQLITE_PRAGMAS).await?;
            conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
        }
        Ok(conn)
    }

    /// Writes a batch in one transaction on `conn` and answers its sends;
    /// false when the batch failed (each send was then written alone, and
    /// the connection is not trusted again).
    async fn write_batch(&self, conn: &mut AnyConnection, mut batch: Vec<Waiting>) -> bool {
        let started = std::time::Instant::now();
        let outcome = async {
            let mut tx = match self.backend() {
                Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => conn.begin().await?,
            };
            let verdicts = batch_in(&mut tx, self, &mut batch).await?;
            let committing = std::time::Instant::now();
            tx.commit().await?;
            metrics::histogram!("madang_send_commit_seconds").record(committing.elapsed().as_secs_f64());
            Ok::<_, StoreError>(verdicts)
        }
        .await;
        metrics::histogram!("madang_send_batch_seconds").record(started.elapsed().as_secs_f64());
        match outcome {
            Ok(verdicts) => {
                let mut alone = Vec::new();
                for (w, verdict) in batch.into_iter().zip(verdicts) {
                    match verdict {
                        Verdict::Answer(a) => {
                            let _ = w.reply.send(a);
                        }
                        Verdict::Write(_) => {
                            let _ = w.reply.send(unreachable_write());
                        }
                        Verdict::Alone => alone.push(w),
                    }
                }
                self.write_alone(alone).await;
                true
            }
            Err(e) => {
                // Nothing of the batch is stored: each send is tried alone,
                // and gets its own answer (on PostgreSQL, a deadlock with
                // another writer ends here too).
                tracing::warn!(error = %e, sends = batch.len(), "batch failed; writing its sends alone");
                self.write_alone(batch).await;
                // The connection may be what failed (a server restarted, a
                // session terminated): the next batch opens a fresh one.
                false
            }
        }
    }

    /// Writes each send in a transaction of its own, and answers it. A
    /// plain send, whose checks only a batch makes, goes back to its caller
    /// for the full path.
    async fn write_alone(&self, sends: Vec<Waiting>) {
        for w in sends {
            let answer = if w.plain {
                Err(StoreError::Conflict(NOT_PLAIN))
            } else {
                self.append_alone(w.new, true).await
            };
            let _ = w.reply.send(answer);
        }
    }
}

/// `batch_in` turns every `Write` into an `Answer` before it returns.
fn unreachable_write() -> Result<Appended> {
    Err(StoreError::Corrupt("a batched send was left unwritten".into()))
}

/// A room as the batch found it, locked.
struct RoomState {
    kind: RoomKind,
    last_seq: i64,
    member_count: i64,
    channel: bool,
}

/// A plain send's room is not a group or a 1:1 room: the caller takes the
/// full path.
pub const NOT_PLAIN: &str = "not_plain";
/// A plain send into a 1:1 room whose other member blocked the sender.
pub const BLOCKED: &str = "blocked";

/// Writes the batch in the open transaction `conn`; a verdict per send.
async fn batch_in(conn: &mut AnyConnection, store: &SqlStore, batch: &mut [Waiting]) -> Result<Vec<Verdict>> {
    let rooms = lock_rooms(conn, store, batch).await?;
    let members = members_of(conn, store, batch).await?;
    // A plain send's checks: its room's kind, and in a 1:1 room a block.
    let direct: Vec<(RoomId, UserId)> = batch
        .iter()
        .filter(|w| {
            w.plain
                && rooms
                    .get(&w.new.room_id)
                    .is_some_and(|r| r.kind == RoomKind::Direct)
        })
        .map(|w| (w.new.room_id, w.new.sender_id))
        .collect();
    let blocked = blocked_in(conn, store, &direct).await?;
    for w in batch.iter_mut().filter(|w| w.plain) {
        if let Some(shown) = members.get(&(w.new.room_id, w.new.sender_id)) {
            w.new.shown_as = *shown;
        }
    }
    let stored = stored_copies(conn, store, batch).await?;
    let news: Vec<&NewMessage> = batch.iter().map(|w| &w.new).collect();
    // Decide every send before a seq is taken.
    let mut next: HashMap<RoomId, i64> = rooms.iter().map(|(r, s)| (*r, s.last_seq)).collect();
    let mut verdicts = Vec::with_capacity(news.len());
    for (new, w) in news.iter().zip(batch.iter()) {
        let Some(room) = rooms.get(&new.room_id) else {
            verdicts.push(Verdict::Answer(Err(StoreError::NotFound)));
            continue;
        };
        if w.plain && !matches!(room.kind, RoomKind::Group | RoomKind::Direct) {
            verdicts.push(Verdict::Answer(Err(StoreError::Conflict(NOT_PLAIN))));
            continue;
        }
        if room.channel {
            verdicts.push(Verdict::Alone);
            continue;
        }
        if !members.contains_key(&(new.room_id, new.sender_id)) {
            verdicts.push(Verdict::Answer(Err(StoreError::NotFound)));
            continue;
        }
        if w.plain && blocked.contains(&(new.room_id, new.sender_id)) {
            verdicts.push(Verdict::Answer(Err(StoreError::Conflict(BLOCKED))));
            continue;
        }
        if let Some(message) = stored.get(&(new.sender_id, new.client_id.0.clone())) {
            verdicts.push(Verdict::Answer(if message.room_id == new.room_id {
                Ok(Appended {
                    message: message.clone(),
                    event: None,
                    member_count: room.member_count,
                })
            } else {
                Err(StoreError::Conflict("client_id"))
            }));
            continue;
        }
        let seq = next.entry(new.room_id).or_default();
        *seq += 1;
        verdicts.push(Verdict::Write(Seq(*seq)));
    }
    let written: Vec<(&NewMessage, Seq)> = news
        .iter()
        .zip(&verdicts)
        .filter_map(|(n, v)| match v {
            Verdict::Write(seq) => Some((*n, *seq)),
            _ => None,
        })
        .collect();
    if written.is_empty() {
        return Ok(verdicts);
    }
    let messages: Vec<StoredMessage> = written.iter().map(|(n, seq)| n.stored_at(*seq, None)).collect();
    let events: Vec<RoomEvent> = messages
        .iter()
        .map(|m| {
            let unread = rooms.get(&m.room_id).map_or(0, |r| r.member_count - 1);
            m.clone().into_event(unread)
        })
        .collect();
    let mut script = Script::new(store.backend());
    move_rooms(&mut script, &rooms, &next)?;
    move_cursors(&mut script, &written)?;
    insert_messages(&mut script, &written, &messages)?;
    crate::events::insert_events_in(&mut script, &events)?;
    let texts: Vec<(RoomId, Seq, &str)> = messages
        .iter()
        .map(|m| (m.room_id, m.seq, m.text.as_str()))
        .collect();
    crate::search::index_in(&mut script, &texts)?;
    let outbox: Vec<_> = messages
        .iter()
        .map(|m| (m.room_id, m.seq, m.created_at))
        .collect();
    crate::push::outbox_in(&mut script, &outbox)?;
    script.run(conn).await?;
    let mut done = messages.into_iter().zip(events);
    for verdict in &mut verdicts {
        if let Verdict::Write(_) = verdict {
            let (message, event) = done
                .next()
                .ok_or_else(|| StoreError::Corrupt("batch lost a message".into()))?;
            let member_count = rooms.get(&message.room_id).map_or(0, |r| r.member_count);
            *verdict = Verdict::Answer(Ok(Appended {
                message,
                event: Some(event),
                member_count,
            }));
        }
    }
    Ok(verdicts)
}

/// `(a = ? AND b = ? …) OR …` for `rows` pairs, each with `and` (so that
/// each pair is an index search, in a partial index too).
fn pairs_match(backend: Backend, a: &str, b: &str, and: &str, rows: usize) -> String {
    let mut p = Params::new(backend);
    (0..rows)
        .map(|_| format!("({a} = {} AND {b} = {}{and})", p.one(), p.one()))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The batch's rooms, locked in id order (PostgreSQL; SQLite's write
/// transaction holds them all).
async fn lock_rooms(
    conn: &mut AnyConnection,
    store: &SqlStore,
    batch: &[Waiting],
) -> Result<HashMap<RoomId, RoomState>> {
    let ids: Vec<i64> = batch
        .iter()
        .map(|w| w.new.room_id.0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let sql = format!(
        "SELECT id, kind, last_seq, member_count, channel_id FROM rooms WHERE id IN {} ORDER BY id{}",
        Params::new(store.backend()).list(ids.len()),
        store.for_update()
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in &ids {
        q = q.bind(*id);
    }
    let mut rooms = HashMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        rooms.insert(
            RoomId(i64_col(&row, "id")?),
            RoomState {
                kind: RoomKind::parse(&text(&row, "kind")?)
                    .ok_or_else(|| StoreError::Corrupt("room kind".into()))?,
                last_seq: i64_col(&row, "last_seq")?,
                member_count: i64_col(&row, "member_count")?,
                channel: opt_i64(&row, "channel_id")?.is_some(),
            },
        );
    }
    Ok(rooms)
}

/// The senders who are members of the rooms they send to, with who each
/// is shown as there (their rows locked on PostgreSQL: a member being
/// removed is waited for, and then absent).
async fn members_of(
    conn: &mut AnyConnection,
    store: &SqlStore,
    batch: &[Waiting],
) -> Result<HashMap<(RoomId, UserId), UserId>> {
    let pairs: Vec<(RoomId, UserId)> = batch
        .iter()
        .map(|w| (w.new.room_id, w.new.sender_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let sql = format!(
        "SELECT room_id, user_id, shown_id FROM room_members WHERE {}{}",
        pairs_match(store.backend(), "room_id", "user_id", "", pairs.len()),
        store.for_update()
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (room, user) in &pairs {
        q = q.bind(room.0).bind(user.0);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                (RoomId(i64_col(r, "room_id")?), UserId(i64_col(r, "user_id")?)),
                UserId(i64_col(r, "shown_id")?),
            ))
        })
        .collect()
}

/// Which of the (1:1 room, sender) pairs have the other member blocking
/// the sender.
async fn blocked_in(
    conn: &mut AnyConnection,
    store: &SqlStore,
    pairs: &[(RoomId, UserId)],
) -> Result<HashSet<(RoomId, UserId)>> {
    if pairs.is_empty() {
        return Ok(HashSet::new());
    }
    let mut p = Params::new(store.backend());
    let which = (0..pairs.len())
        .map(|_| {
            format!(
                "(o.room_id = {} AND b.blocked_id = {} AND o.user_id <> {})",
                p.one(),
                p.one(),
                p.one()
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT o.room_id, b.blocked_id FROM room_members o JOIN blocks b ON b.user_id = o.user_id WHERE {which}"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (room, user) in pairs {
        q = q.bind(room.0).bind(user.0).bind(user.0);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((RoomId(i64_col(r, "room_id")?), UserId(i64_col(r, "blocked_id")?))))
        .collect()
}

/// Messages already stored under the batch's client ids, by sender and id.
async fn stored_copies(
    conn: &mut AnyConnection,
    store: &SqlStore,
    batch: &[Waiting],
) -> Result<HashMap<(UserId, String), StoredMessage>> {
    let sql = format!(
        "SELECT {MESSAGE_COLS}, sender_id AS by_sender FROM messages \
         WHERE {}",
        pairs_match(
            store.backend(),
            "sender_id",
            "client_id",
            " AND campaign_id IS NULL",
            batch.len()
        )
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for w in batch {
        q = q.bind(w.new.sender_id.0).bind(&w.new.client_id.0);
    }
    let mut found = HashMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        let message = message_row(&row)?;
        let by = UserId(i64_col(&row, "by_sender")?);
        found.insert((by, message.client_id.0.clone()), message);
    }
    Ok(found)
}

/// Sets each room's last seq, and its last message (every batched message
/// is on the timeline), to what the batch took.
fn move_rooms(
    script: &mut Script,
    rooms: &HashMap<RoomId, RoomState>,
    next: &HashMap<RoomId, i64>,
) -> Result<()> {
    let moved: BTreeMap<i64, i64> = next
        .iter()
        .filter(|(r, seq)| rooms.get(r).is_some_and(|s| s.last_seq < **seq))
        .map(|(r, seq)| (r.0, *seq))
        .collect();
    // Bound in the order of the text: each CASE, then the ids.
    let case = |script: &mut Script| -> Result<String> {
        let mut whens = Vec::with_capacity(moved.len());
        for (room, seq) in &moved {
            whens.push(format!(
                "WHEN {} THEN {}",
                script.bind(*room)?,
                script.bind(*seq)?
            ));
        }
        Ok(whens.join(" "))
    };
    let (heads, last) = (case(script)?, case(script)?);
    let mut ids = Vec::with_capacity(moved.len());
    for room in moved.keys() {
        ids.push(script.bind(*room)?);
    }
    script.push(format!(
        "UPDATE rooms SET last_seq = CASE id {heads} END, last_message_seq = CASE id {last} END \
         WHERE id IN ({})",
        ids.join(", ")
    ));
    Ok(())
}

/// Moves each sender's read cursor to their last message of the batch.
/// (The members were read under lock: every cursor is there.)
fn move_cursors(script: &mut Script, written: &[(&NewMessage, Seq)]) -> Result<()> {
    let mut last: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for (n, seq) in written {
        let at = last.entry((n.room_id.0, n.sender_id.0)).or_default();
        *at = (*at).max(seq.0);
    }
    // Bound in the order of the text: the CASE, then the WHERE.
    let mut cases = Vec::with_capacity(last.len());
    for ((room, user), seq) in &last {
        cases.push(format!(
            "WHEN room_id = {} AND user_id = {} THEN {}",
            script.bind(*room)?,
            script.bind(*user)?,
            script.bind(*seq)?
        ));
    }
    let mut which = Vec::with_capacity(last.len());
    for (room, user) in last.keys() {
        which.push(format!(
            "(room_id = {} AND user_id = {})",
            script.bind(*room)?,
            script.bind(*user)?
        ));
    }
    script.push(format!(
        "UPDATE room_members SET read_seq = CASE {} END WHERE {}",
        cases.join(" "),
        which.join(" OR ")
    ));
    Ok(())
}

fn insert_messages(
    script: &mut Script,
    written: &[(&NewMessage, Seq)],
    messages: &[StoredMessage],
) -> Result<()> {
    let mut rows = Vec::with_capacity(messages.len());
    for ((new, _), m) in written.iter().zip(messages) {
        let buttons = if m.buttons.is_empty() {
            None
        } else {
            Some(to_json(&m.buttons)?)
        };
        let values = [
            script.bind(m.room_id.0)?,
            script.bind(m.seq.0)?,
            script.bind(new.sender_id.0)?,
            script.bind(new.shown_as.0)?,
            script.bind(m.client_id.0.clone())?,
            script.bind(m.kind.as_str().to_owned())?,
            script.bind(m.text.clone())?,
            script.bind(m.reply_to.map(|s| s.0))?,
            script.bind(to_json(&m.mentions)?)?,
            script.bind(m.attachment.as_ref().map(to_json).transpose()?)?,
            script.bind(m.pung_id.map(|p| p.0))?,
            script.bind(m.created_at.0)?,
            script.bind(i64::from(m.by_assistant))?,
            script.bind(buttons)?,
        ];
        rows.push(format!("({})", values.join(", ")));
    }
    script.push(format!(
        "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, reply_to, \
         mentions, attachment, pung_id, created_at, by_assistant, buttons) VALUES {}",
        rows.join(", ")
    ));
    Ok(())
}
