//! Web Push data: the VAPID key, devices' subscriptions, the outbox of
//! pushable events, the per-device queue, and which devices have a live
//! socket on a live node. The rules (who is pushed, what it says) are
//! `madang-core`'s `push/`.

use crate::rows::{flag, i64_col, text};
use crate::script::Script;
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{DeviceId, Millis, RoomId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Transaction};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushSubscriptionRow {
    pub device_id: DeviceId,
    pub user_id: UserId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: Millis,
}

/// An event that may be pushed, claimed from the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub room_id: RoomId,
    pub seq: Seq,
    pub created_at: Millis,
}

/// A member's device that would miss an event: subscribed, not the
/// sender's, behind the event, with no live socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushCandidate {
    pub device_id: DeviceId,
    pub user_id: UserId,
    /// The member's room identity (what mentions name).
    pub shown_id: UserId,
    pub muted: bool,
}

/// One device's wish for a push in one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushWish {
    pub device_id: DeviceId,
    pub user_id: UserId,
    pub room_id: RoomId,
    pub seq: Seq,
    /// A mention of or reply to the person: pushed at high urgency, and
    /// even from a muted room.
    pub urgent: bool,
    /// When the event was committed.
    pub at: Millis,
    /// When to push if nothing is pending for the device and room yet.
    pub due_at: Millis,
}

/// A device and room whose push is due, claimed by one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuePush {
    pub device_id: DeviceId,
    pub user_id: UserId,
    pub room_id: RoomId,
    /// The newest event to push; everything up to it is covered.
    pub last_seq: Seq,
    pub urgent: bool,
    /// When the oldest event it covers was committed.
    pub first_at: Millis,
    /// Tries so far, this one included.
    pub attempts: i64,
    pub subscription: PushSubscriptionRow,
}

/// What became of one claimed push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushMark {
    /// Sent, or given up on, up to `seq`; events queued meanwhile stay
    /// pending, due at `next_due`.
    Done {
        device: DeviceId,
        room: RoomId,
        seq: Seq,
        next_due: Millis,
    },
    /// Put back, due again at `due_at`.
    Later {
        device: DeviceId,
        room: RoomId,
        due_at: Millis,
    },
    /// The push service said the subscription is gone: it is removed,
    /// unless the device has put a new endpoint since.
    Gone { device: DeviceId, endpoint: String },
}

#[async_trait]
pub trait PushRepo: Send + Sync {
    /// The stored VAPID private key, or `fresh` stored and returned when
    /// there is none yet: nodes starting together all get the same one.
    async fn vapid_key(&self, fresh_private: &str, fresh_public: &str, now: Millis) -> Result<String>;

    /// Stores a device's subscription, replacing the one it had.
    async fn put_push_subscription(&self, row: &PushSubscriptionRow) -> Result<()>;
    async fn push_subscription(&self, device: DeviceId) -> Result<Option<PushSubscriptionRow>>;
    /// Removes a device's subscription; false when it had none.
    async fn delete_push_subscription(&self, device: DeviceId) -> Result<bool>;

    /// `full`, `room` or `none`.
    async fn push_preview(&self, user: UserId) -> Result<String>;
    async fn set_push_preview(&self, user: UserId, preview: &str) -> Result<()>;

    /// Marks `node` alive at `now`, and forgets the sockets of nodes not
    /// alive since `dead_before`.
    async fn node_alive(&self, node: &str, now: Millis, dead_before: Millis) -> Result<()>;
    async fn socket_opened(&self, socket: &str, device: DeviceId, node: &str, now: Millis) -> Result<()>;
    async fn socket_closed(&self, socket: &str) -> Result<()>;

    /// Claims up to `limit` outbox events for this node until
    /// `lease_until` (another node's claim has lapsed by `now`).
    async fn claim_outbox(&self, now: Millis, lease_until: Millis, limit: i64) -> Result<Vec<OutboxRow>>;
    /// The devices that would miss `event`: members other than the
    /// sender, subscribed, whose cursor is behind it and who have no
    /// socket on a node alive since `alive_since`.
    async fn push_candidates(&self, event: &OutboxRow, alive_since: Millis) -> Result<Vec<PushCandidate>>;
    /// Queues `wishes` and webhook `deliveries` and removes the outbox
    /// event, in one transaction.
    async fn expand_outbox(
        &self,
        event: i64,
        wishes: &[PushWish],
        deliveries: &[crate::bots::NewDelivery],
    ) -> Result<()>;
    /// Queues one device's wish (its socket did not acknowledge in time).
    async fn wish_push(&self, wish: &PushWish) -> Result<()>;

    /// Claims up to `limit` due pushes until `lease_until`.
    async fn claim_pushes(&self, now: Millis, lease_until: Millis, limit: i64) -> Result<Vec<DuePush>>;
    /// Records what became of claimed pushes, in one transaction.
    async fn mark_pushes(&self, marks: &[PushMark]) -> Result<()>;
    /// How many device-rooms wait for a push.
    async fn push_queue_depth(&self) -> Result<i64>;
}

/// Writes the outbox row of a pushable event, inside its transaction.
pub(crate) async fn outbox(
    tx: &mut Transaction<'static, Any>,
    room: RoomId,
    seq: Seq,
    at: Millis,
) -> Result<()> {
    outbox_many(tx, &[(room, seq, at)]).await
}

/// [`outbox`] for many messages in one statement.
pub(crate) async fn outbox_many(conn: &mut AnyConnection, messages: &[(RoomId, Seq, Millis)]) -> Result<()> {
    Script::run_on(conn, |s| outbox_in(s, messages)).await
}

/// [`outbox_many`] as a statement of `script`.
pub(crate) fn outbox_in(script: &mut Script, messages: &[(RoomId, Seq, Millis)]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(messages.len());
    for (room, seq, at) in messages {
        rows.push(format!(
            "({}, {}, {})",
            script.bind(room.0)?,
            script.bind(seq.0)?,
            script.bind(at.0)?
        ));
    }
    script.push(format!(
        "INSERT INTO push_outbox (room_id, seq, created_at) VALUES {}",
        rows.join(", ")
    ));
    Ok(())
}

const SUB_COLS: &str = "s.device_id, s.user_id, s.endpoint, s.p256dh, s.auth, s.created_at";

fn subscription_row(row: &AnyRow) -> Result<PushSubscriptionRow> {
    Ok(PushSubscriptionRow {
        device_id: DeviceId(i64_col(row, "device_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        endpoint: text(row, "endpoint")?,
        p256dh: text(row, "p256dh")?,
        auth: text(row, "auth")?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

/// The upsert that joins a wish to what is pending for its device and
/// room: the newest event wins, urgency sticks, and a new burst (nothing
/// pending) starts its own clock.
const WISH: &str = "INSERT INTO push_queue (device_id, room_id, user_id, last_seq, urgent, first_at, due_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM push_subscriptions WHERE device_id = $1) \
     ON CONFLICT (device_id, room_id) DO UPDATE SET \
     first_at = CASE WHEN push_queue.last_seq <= push_queue.pushed_seq THEN excluded.first_at ELSE push_queue.first_at END, \
     due_at = CASE WHEN push_queue.last_seq <= push_queue.pushed_seq THEN excluded.due_at ELSE push_queue.due_at END, \
     urgent = CASE WHEN excluded.last_seq > push_queue.pushed_seq AND excluded.urgent = 1 THEN 1 \
                   WHEN push_queue.last_seq <= push_queue.pushed_seq THEN 0 ELSE push_queue.urgent END, \
     last_seq = CASE WHEN excluded.last_seq > push_queue.last_seq THEN excluded.last_seq ELSE push_queue.last_seq END";

async fn wish<'e, E>(executor: E, w: &PushWish) -> Result<()>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(WISH)
        .bind(w.device_id.0)
        .bind(w.room_id.0)
        .bind(w.user_id.0)
        .bind(w.seq.0)
        .bind(i64::from(w.urgent))
        .bind(w.at.0)
        .bind(w.due_at.0)
        .execute(executor)
        .await?;
    Ok(())
}

#[async_trait]
impl PushRepo for SqlStore {
    async fn vapid_key(&self, fresh_private: &str, fresh_public: &str, now: Millis) -> Result<String> {
        // Read first: every start after the first, and every `madang admin`
        // run beside a live server, then never asks for the write lock.
        let stored = sqlx::query("SELECT private_key FROM push_keys WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        if let Some(row) = stored {
            return text(&row, "private_key");
        }
        sqlx::query(
            "INSERT INTO push_keys (id, private_key, public_key, created_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh_private)
        .bind(fresh_public)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        let row = sqlx::query("SELECT private_key FROM push_keys WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        text(&row, "private_key")
    }

    async fn put_push_subscription(&self, r: &PushSubscriptionRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO push_subscriptions (device_id, user_id, endpoint, p256dh, auth, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id) DO UPDATE SET \
             endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at",
        )
        .bind(r.device_id.0)
        .bind(r.user_id.0)
        .bind(&r.endpoint)
        .bind(&r.p256dh)
        .bind(&r.auth)
        .bind(r.created_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn push_subscription(&self, device: DeviceId) -> Result<Option<PushSubscriptionRow>> {
        let sql = format!("SELECT {SUB_COLS} FROM push_subscriptions s WHERE s.device_id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(device.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(subscription_row).transpose()
    }

    async fn delete_push_subscription(&self, device: DeviceId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1")
            .bind(device.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn push_preview(&self, user: UserId) -> Result<String> {
        let row = sqlx::query("SELECT push_preview FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => text(&row, "push_preview"),
            None => Err(crate::StoreError::NotFound),
        }
    }

    async fn set_push_preview(&self, user: UserId, preview: &str) -> Result<()> {
        sqlx::query("UPDATE users SET push_preview = $2 WHERE id = $1")
            .bind(user.0)
            .bind(preview)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn node_alive(&self, node: &str, now: Millis, dead_before: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO push_nodes (node, alive_at) VALUES ($1, $2) \
             ON CONFLICT (node) DO UPDATE SET alive_at = excluded.alive_at",
        )
        .bind(node)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "DELETE FROM push_sockets WHERE node IN (SELECT node FROM push_nodes WHERE alive_at < $1)",
        )
        .bind(dead_before.0)
        .execute(self.pool())
        .await?;
        sqlx::query("DELETE FROM push_nodes WHERE alive_at < $1")
            .bind(dead_before.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn socket_opened(&self, socket: &str, device: DeviceId, node: &str, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO push_sockets (socket, device_id, node, connected_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(socket)
        .bind(device.0)
        .bind(node)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn socket_closed(&self, socket: &str) -> Result<()> {
        sqlx::query("DELETE FROM push_sockets WHERE socket = $1")
            .bind(socket)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn claim_outbox(&self, now: Millis, lease_until: Millis, limit: i64) -> Result<Vec<OutboxRow>> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE push_outbox SET claimed_until = $2 WHERE id IN (SELECT id FROM push_outbox \
             WHERE claimed_until < $1 ORDER BY id LIMIT $3{lock}) RETURNING id, room_id, seq, created_at"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .bind(lease_until.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: i64_col(r, "id")?,
                    room_id: RoomId(i64_col(r, "room_id")?),
                    seq: Seq(i64_col(r, "seq")?),
                    created_at: Millis(i64_col(r, "created_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|o| o.id);
        Ok(out)
    }

    async fn push_candidates(&self, event: &OutboxRow, alive_since: Millis) -> Result<Vec<PushCandidate>> {
        let rows = sqlx::query(
            "SELECT s.device_id, s.user_id, m.shown_id, m.muted FROM room_members m \
             JOIN push_subscriptions s ON s.user_id = m.user_id \
             WHERE m.room_id = $1 AND m.read_seq < $2 AND m.joined_seq <= $2 \
             AND m.user_id <> COALESCE((SELECT sender_id FROM messages WHERE room_id = $1 AND seq = $2), 0) \
             AND NOT EXISTS (SELECT 1 FROM push_sockets l JOIN push_nodes n ON n.node = l.node \
                 WHERE l.device_id = s.device_id AND n.alive_at >= $3) \
             ORDER BY s.device_id",
        )
        .bind(event.room_id.0)
        .bind(event.seq.0)
        .bind(alive_since.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PushCandidate {
                    device_id: DeviceId(i64_col(r, "device_id")?),
                    user_id: UserId(i64_col(r, "user_id")?),
                    shown_id: UserId(i64_col(r, "shown_id")?),
                    muted: flag(r, "muted")?,
                })
            })
            .collect()
    }

    async fn expand_outbox(
        &self,
        event: i64,
        wishes: &[PushWish],
        deliveries: &[crate::bots::NewDelivery],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for w in wishes {
            wish(&mut *tx, w).await?;
        }
        crate::bots::queue(&mut tx, deliveries).await?;
        sqlx::query("DELETE FROM push_outbox WHERE id = $1")
            .bind(event)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wish_push(&self, w: &PushWish) -> Result<()> {
        wish(self.pool(), w).await
    }

    async fn claim_pushes(&self, now: Millis, lease_until: Millis, limit: i64) -> Result<Vec<DuePush>> {
        let lock = self.skip_locked();
        let claim = format!(
            "UPDATE push_queue SET claimed_until = $2, attempts = attempts + 1 \
             WHERE (device_id, room_id) IN (SELECT device_id, room_id FROM push_queue \
             WHERE due_at <= $1 AND claimed_until < $1 AND last_seq > pushed_seq ORDER BY due_at LIMIT $3{lock}) \
             RETURNING device_id, room_id, user_id, last_seq, urgent, first_at, attempts"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(AssertSqlSafe(claim))
            .bind(now.0)
            .bind(lease_until.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        // The subscriptions are read after the claim, in one query: a push
        // goes to the endpoint the device has now.
        let mut devices = Vec::with_capacity(rows.len());
        for r in &rows {
            devices.push(i64_col(r, "device_id")?.to_string());
        }
        let mut subscriptions = std::collections::HashMap::with_capacity(rows.len());
        if !devices.is_empty() {
            // Integers from the database, formatted: nothing a client wrote.
            let sql = format!(
                "SELECT {SUB_COLS} FROM push_subscriptions s WHERE s.device_id IN ({})",
                devices.join(",")
            );
            for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(self.pool()).await? {
                let sub = subscription_row(&row)?;
                subscriptions.insert(sub.device_id, sub);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let device = DeviceId(i64_col(r, "device_id")?);
            let Some(subscription) = subscriptions.remove(&device) else {
                continue;
            };
            out.push(DuePush {
                device_id: device,
                user_id: UserId(i64_col(r, "user_id")?),
                room_id: RoomId(i64_col(r, "room_id")?),
                last_seq: Seq(i64_col(r, "last_seq")?),
                urgent: flag(r, "urgent")?,
                first_at: Millis(i64_col(r, "first_at")?),
                attempts: i64_col(r, "attempts")?,
                subscription,
            });
        }
        Ok(out)
    }

    async fn mark_pushes(&self, marks: &[PushMark]) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for mark in marks {
            match mark {
                PushMark::Done {
                    device,
                    room,
                    seq,
                    next_due,
                } => {
                    sqlx::query(
                        "UPDATE push_queue SET pushed_seq = CASE WHEN pushed_seq > $3 THEN pushed_seq ELSE $3 END, \
                         urgent = CASE WHEN last_seq > $3 THEN urgent ELSE 0 END, \
                         due_at = $4, claimed_until = 0, attempts = 0 WHERE device_id = $1 AND room_id = $2",
                    )
                    .bind(device.0)
                    .bind(room.0)
                    .bind(seq.0)
                    .bind(next_due.0)
                    .execute(&mut *tx)
                    .await?;
                }
                PushMark::Later { device, room, due_at } => {
                    sqlx::query(
                        "UPDATE push_queue SET due_at = $3, claimed_until = 0 WHERE device_id = $1 AND room_id = $2",
                    )
                    .bind(device.0)
                    .bind(room.0)
                    .bind(due_at.0)
                    .execute(&mut *tx)
                    .await?;
                }
                PushMark::Gone { device, endpoint } => {
                    sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint = $2")
                        .bind(device.0)
                        .bind(endpoint)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn push_queue_depth(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM push_queue WHERE last_seq > pushed_seq")
            .fetch_one(self.pool())
            .await?;
        i64_col(&row, "n")
    }
}
