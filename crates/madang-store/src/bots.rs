//! What bots keep beyond an account: their slash commands, their
//! outgoing webhook, the durable queue of deliveries to it (invariant
//! 12), and rooms' incoming webhooks (integrations). The rules are
//! `madang-core`'s `bots/`.

use crate::rows::{i64_col, opt_i64, opt_text, text};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{ChannelId, Millis, RoomId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// A bot's webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRow {
    pub bot_id: UserId,
    pub url: String,
    pub secret: String,
    pub created_at: Millis,
    pub disabled_at: Option<Millis>,
    pub last_error: Option<String>,
}

/// A room's incoming webhook: a bot in the room that its URL posts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationRow {
    pub bot_id: UserId,
    pub room_id: RoomId,
    pub creator_id: UserId,
    pub created_at: Millis,
}

/// Something to post to a bot's webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    /// What the receiver sees as `webhook-id`.
    pub delivery_id: String,
    pub bot_id: UserId,
    pub room_id: RoomId,
    /// The JSON posted.
    pub body: String,
    pub at: Millis,
}

/// A delivery claimed to be tried now: the head of its bot and room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: i64,
    pub delivery_id: String,
    pub bot_id: UserId,
    pub room_id: RoomId,
    pub body: String,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// When its first try failed, if one did.
    pub first_failed_at: Option<Millis>,
    pub url: String,
    pub secret: String,
}

/// What became of a claimed delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryMark {
    /// The receiver answered 2xx: it is removed.
    Delivered { id: i64 },
    /// Put back, due again at `due_at`.
    Later {
        id: i64,
        bot: UserId,
        due_at: Millis,
        failed_at: Millis,
        error: String,
    },
    /// The retry window is over: the webhook is turned off and everything
    /// waiting for it dropped.
    Disable { bot: UserId, at: Millis, error: String },
}

#[async_trait]
pub trait BotRepo: Send + Sync {
    /// A bot's commands (JSON), `None` when it declared none.
    async fn bot_commands(&self, bot: UserId) -> Result<Option<String>>;
    async fn set_bot_commands(&self, bot: UserId, commands: Option<&str>) -> Result<()>;
    /// The bots in a room that declared commands: each one's room
    /// identity and its commands (JSON).
    async fn room_bot_commands(&self, room: RoomId) -> Result<Vec<(UserId, String)>>;

    /// Sets a bot's webhook (replacing, and turning on again, the one it
    /// had). What waits is kept and goes to the new URL, signed with the
    /// new secret (a webhook turned off had its queue dropped then).
    async fn set_webhook(&self, row: &WebhookRow) -> Result<()>;
    /// A bot's webhook and how many deliveries wait for it.
    async fn webhook(&self, bot: UserId) -> Result<Option<(WebhookRow, i64)>>;
    /// Removes a bot's webhook and its deliveries; false when it had none.
    async fn delete_webhook(&self, bot: UserId) -> Result<bool>;
    /// The bots in `room` with a webhook that is on, a member since before
    /// `seq`, other than whoever wrote `seq`; and, in a channel's room,
    /// the channel's webhook account when its webhook is on.
    async fn webhook_bots(&self, room: RoomId, seq: Seq) -> Result<Vec<UserId>>;
    /// The account a channel's webhook is kept under, if it has one.
    async fn channel_hook(&self, channel: ChannelId) -> Result<Option<UserId>>;
    async fn set_channel_hook(&self, channel: ChannelId, bot: UserId) -> Result<()>;
    /// Queues deliveries (a button press's, written as it happens).
    async fn queue_deliveries(&self, deliveries: &[NewDelivery]) -> Result<()>;
    /// Claims, until `lease_until`, up to `limit` due deliveries, each the
    /// oldest of its bot and room (so a room's events arrive in order).
    async fn claim_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<DueDelivery>>;
    /// Records what became of claimed deliveries, in one transaction.
    async fn mark_deliveries(&self, marks: &[DeliveryMark]) -> Result<()>;
    /// How many deliveries wait, for every webhook.
    async fn delivery_queue_depth(&self) -> Result<i64>;

    async fn add_integration(&self, row: &IntegrationRow, token_sha256: &str) -> Result<()>;
    /// A room's integrations, oldest first.
    async fn integrations(&self, room: RoomId) -> Result<Vec<IntegrationRow>>;
    async fn integration_by_token(&self, token_sha256: &str) -> Result<Option<IntegrationRow>>;
    /// Whether a bot account is the server's to drive: a room's
    /// integration, or a channel's webhook account.
    async fn kept_by_server(&self, bot: UserId) -> Result<bool>;
    /// Ends an integration (its URL stops working); false when there was none.
    async fn remove_integration(&self, room: RoomId, bot: UserId) -> Result<bool>;
}

/// Queues deliveries inside a transaction (the outbox's expansion).
pub(crate) async fn queue(tx: &mut Transaction<'static, Any>, deliveries: &[NewDelivery]) -> Result<()> {
    for d in deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (delivery_id, bot_id, room_id, body, created_at, due_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&d.delivery_id)
        .bind(d.bot_id.0)
        .bind(d.room_id.0)
        .bind(&d.body)
        .bind(d.at.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const INTEGRATION_COLS: &str = "bot_id, room_id, creator_id, created_at";

fn integration_row(row: &AnyRow) -> Result<IntegrationRow> {
    Ok(IntegrationRow {
        bot_id: UserId(i64_col(row, "bot_id")?),
        room_id: RoomId(i64_col(row, "room_id")?),
        creator_id: UserId(i64_col(row, "creator_id")?),
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

const WEBHOOK_COLS: &str = "bot_id, url, secret, created_at, disabled_at, last_error";

fn webhook_row(row: &AnyRow) -> Result<WebhookRow> {
    Ok(WebhookRow {
        bot_id: UserId(i64_col(row, "bot_id")?),
        url: text(row, "url")?,
        secret: text(row, "secret")?,
        created_at: Millis(i64_col(row, "created_at")?),
        disabled_at: opt_i64(row, "disabled_at")?.map(Millis),
        last_error: opt_text(row, "last_error")?,
    })
}

#[async_trait]
impl BotRepo for SqlStore {
    async fn bot_commands(&self, bot: UserId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT bot_commands FROM users WHERE id = $1")
            .bind(bot.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => opt_text(&r, "bot_commands")?,
            None => None,
        })
    }

    async fn set_bot_commands(&self, bot: UserId, commands: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET bot_commands = $2 WHERE id = $1")
            .bind(bot.0)
            .bind(commands)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn room_bot_commands(&self, room: RoomId) -> Result<Vec<(UserId, String)>> {
        let rows = sqlx::query(
            "SELECT m.shown_id, u.bot_commands FROM room_members m JOIN users u ON u.id = m.user_id \
             WHERE m.room_id = $1 AND u.bot_owner IS NOT NULL AND u.bot_commands IS NOT NULL ORDER BY m.shown_id",
        )
        .bind(room.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((UserId(i64_col(r, "shown_id")?), text(r, "bot_commands")?)))
            .collect()
    }

    async fn set_webhook(&self, row: &WebhookRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhooks (bot_id, url, secret, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (bot_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
             created_at = excluded.created_at, disabled_at = NULL, last_error = NULL",
        )
        .bind(row.bot_id.0)
        .bind(&row.url)
        .bind(&row.secret)
        .bind(row.created_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn webhook(&self, bot: UserId) -> Result<Option<(WebhookRow, i64)>> {
        let sql = format!(
            "SELECT {WEBHOOK_COLS}, (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.bot_id = w.bot_id) AS pending \
             FROM webhooks w WHERE bot_id = $1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(bot.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((webhook_row(&r)?, i64_col(&r, "pending")?)))
            .transpose()
    }

    async fn delete_webhook(&self, bot: UserId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE bot_id = $1")
            .bind(bot.0)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM webhooks WHERE bot_id = $1")
            .bind(bot.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone > 0)
    }

    async fn webhook_bots(&self, room: RoomId, seq: Seq) -> Result<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT w.bot_id FROM webhooks w JOIN room_members m ON m.user_id = w.bot_id AND m.room_id = $1 \
             WHERE w.disabled_at IS NULL AND m.joined_seq <= $2 \
             AND w.bot_id <> COALESCE((SELECT sender_id FROM messages WHERE room_id = $1 AND seq = $2), 0) \
             UNION SELECT w.bot_id FROM webhooks w JOIN channel_hooks h ON h.bot_id = w.bot_id \
             JOIN rooms r ON r.channel_id = h.channel_id WHERE r.id = $1 AND w.disabled_at IS NULL \
             ORDER BY bot_id",
        )
        .bind(room.0)
        .bind(seq.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(UserId(i64_col(r, "bot_id")?))).collect()
    }

    async fn channel_hook(&self, channel: ChannelId) -> Result<Option<UserId>> {
        let row = sqlx::query("SELECT bot_id FROM channel_hooks WHERE channel_id = $1")
            .bind(channel.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(UserId(i64_col(&r, "bot_id")?))).transpose()
    }

    async fn set_channel_hook(&self, channel: ChannelId, bot: UserId) -> Result<()> {
        sqlx::query("INSERT INTO channel_hooks (channel_id, bot_id) VALUES ($1, $2)")
            .bind(channel.0)
            .bind(bot.0)
            .execute(self.pool())
            .await
            .map_err(crate::conflict("channel_hook"))?;
        Ok(())
    }

    async fn queue_deliveries(&self, deliveries: &[NewDelivery]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        queue(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let lock = self.skip_locked();
        // Only the oldest of each bot and room may go: the next waits until
        // it is delivered (or dropped), whichever node tries it.
        let claim = format!(
            "UPDATE webhook_deliveries SET claimed_until = $2, attempts = attempts + 1 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d WHERE d.due_at <= $1 AND d.claimed_until < $1 \
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                  WHERE e.bot_id = d.bot_id AND e.room_id = d.room_id AND e.id < d.id) \
              ORDER BY d.id LIMIT $3{lock}) \
             RETURNING id, delivery_id, bot_id, room_id, body, attempts, first_failed_at"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(AssertSqlSafe(claim))
            .bind(now.0)
            .bind(lease_until.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        // The webhooks are read after the claim, in one query: a delivery
        // goes to the URL, with the secret, the bot has now.
        let mut bots: Vec<i64> = Vec::with_capacity(rows.len());
        for r in &rows {
            bots.push(i64_col(r, "bot_id")?);
        }
        bots.sort_unstable();
        bots.dedup();
        let mut hooks = std::collections::HashMap::with_capacity(bots.len());
        if !bots.is_empty() {
            // Integers from the database, formatted: nothing a client wrote.
            let ids: Vec<String> = bots.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT {WEBHOOK_COLS} FROM webhooks WHERE bot_id IN ({})",
                ids.join(",")
            );
            for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(self.pool()).await? {
                let hook = webhook_row(&row)?;
                hooks.insert(hook.bot_id, hook);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let bot = UserId(i64_col(r, "bot_id")?);
            // A webhook removed or turned off since: its deliveries were
            // dropped with it, so this one is a straggler of the claim.
            let Some(hook) = hooks.get(&bot).filter(|h| h.disabled_at.is_none()) else {
                continue;
            };
            out.push(DueDelivery {
                id: i64_col(r, "id")?,
                delivery_id: text(r, "delivery_id")?,
                bot_id: bot,
                room_id: RoomId(i64_col(r, "room_id")?),
                body: text(r, "body")?,
                attempts: i64_col(r, "attempts")?,
                first_failed_at: opt_i64(r, "first_failed_at")?.map(Millis),
                url: hook.url.clone(),
                secret: hook.secret.clone(),
            });
        }
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn mark_deliveries(&self, marks: &[DeliveryMark]) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for mark in marks {
            match mark {
                DeliveryMark::Delivered { id } => {
                    sqlx::query("DELETE FROM webhook_deliveries WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                DeliveryMark::Later {
                    id,
                    bot,
                    due_at,
                    failed_at,
                    error,
                } => {
                    sqlx::query(
                        "UPDATE webhook_deliveries SET due_at = $2, claimed_until = 0, \
                         first_failed_at = COALESCE(first_failed_at, $3) WHERE id = $1",
                    )
                    .bind(id)
                    .bind(due_at.0)
                    .bind(failed_at.0)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE webhooks SET last_error = $2 WHERE bot_id = $1")
                        .bind(bot.0)
                        .bind(error)
                        .execute(&mut *tx)
                        .await?;
                }
                DeliveryMark::Disable { bot, at, error } => {
                    sqlx::query("UPDATE webhooks SET disabled_at = $2, last_error = $3 WHERE bot_id = $1")
                        .bind(bot.0)
                        .bind(at.0)
                        .bind(error)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM webhook_deliveries WHERE bot_id = $1")
                        .bind(bot.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delivery_queue_depth(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM webhook_deliveries")
            .fetch_one(self.pool())
            .await?;
        i64_col(&row, "n")
    }

    async fn add_integration(&self, row: &IntegrationRow, token_sha256: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO integrations (bot_id, room_id, creator_id, token_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(row.bot_id.0)
        .bind(row.room_id.0)
        .bind(row.creator_id.0)
        .bind(token_sha256)
        .bind(row.created_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn integrations(&self, room: RoomId) -> Result<Vec<IntegrationRow>> {
        let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations WHERE room_id = $1 ORDER BY bot_id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(integration_row).collect()
    }

    async fn integration_by_token(&self, token_sha256: &str) -> Result<Option<IntegrationRow>> {
        let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations WHERE token_sha256 = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(token_sha256)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(integration_row).transpose()
    }

    async fn kept_by_server(&self, bot: UserId) -> Result<bool> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM integrations WHERE bot_id = $1) \
             + (SELECT COUNT(*) FROM channel_hooks WHERE bot_id = $1) AS n",
        )
        .bind(bot.0)
        .fetch_one(self.pool())
        .await?;
        Ok(i64_col(&row, "n")? > 0)
    }

    async fn remove_integration(&self, room: RoomId, bot: UserId) -> Result<bool> {
        let gone = sqlx::query("DELETE FROM integrations WHERE room_id = $1 AND bot_id = $2")
            .bind(room.0)
            .bind(bot.0)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(gone > 0)
    }
}
