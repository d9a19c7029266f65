//! The channel's assistant: its switch and counts per channel, and the
//! business's questions and answers. Whether the people have a
//! conversation (and what the assistant handed them) is the room's inbox
//! state, in `inbox.rs`.

use crate::rows::{flag, i64_col, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{ChannelId, FactId, Millis};
use sqlx::any::AnyRow;

/// A channel's assistant: on or off, and what it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssistantRow {
    pub enabled: bool,
    pub answered: i64,
    pub handed_over: i64,
    pub withheld: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactRow {
    pub id: FactId,
    pub channel_id: ChannelId,
    pub question: String,
    pub answer: String,
    pub updated_at: Millis,
}

/// What the assistant did with one message, counted per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssistantOutcome {
    Answered,
    HandedOver,
    /// Handed over because its answer failed the guardrails (also counted
    /// as handed over).
    Withheld,
}

#[async_trait]
pub trait AssistantRepo: Send + Sync {
    /// Off, with nothing counted, until the business first switches it.
    async fn channel_assistant(&self, channel: ChannelId) -> Result<AssistantRow>;
    async fn set_channel_assistant(&self, channel: ChannelId, enabled: bool, at: Millis) -> Result<()>;
    async fn count_assistant(&self, channel: ChannelId, outcome: AssistantOutcome) -> Result<()>;
    /// Oldest first.
    async fn facts(&self, channel: ChannelId) -> Result<Vec<FactRow>>;
    /// `Conflict("facts")` when the channel has `max` already.
    async fn add_fact(
        &self,
        channel: ChannelId,
        question: &str,
        answer: &str,
        max: i64,
        at: Millis,
    ) -> Result<FactRow>;
    /// `NotFound` for a fact not of this channel.
    async fn update_fact(
        &self,
        channel: ChannelId,
        id: FactId,
        question: &str,
        answer: &str,
        at: Millis,
    ) -> Result<FactRow>;
    async fn delete_fact(&self, channel: ChannelId, id: FactId) -> Result<()>;
}

const FACT_COLS: &str = "id, channel_id, question, answer, updated_at";

fn fact_row(row: &AnyRow) -> Result<FactRow> {
    Ok(FactRow {
        id: FactId(i64_col(row, "id")?),
        channel_id: ChannelId(i64_col(row, "channel_id")?),
        question: text(row, "question")?,
        answer: text(row, "answer")?,
        updated_at: Millis(i64_col(row, "updated_at")?),
    })
}

#[async_trait]
impl AssistantRepo for SqlStore {
    async fn channel_assistant(&self, channel: ChannelId) -> Result<AssistantRow> {
        let row = sqlx::query(
            "SELECT enabled, answered, handed_over, withheld FROM channel_assistants WHERE channel_id = $1",
        )
        .bind(channel.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(AssistantRow::default());
        };
        Ok(AssistantRow {
            enabled: flag(&row, "enabled")?,
            answered: i64_col(&row, "answered")?,
            handed_over: i64_col(&row, "handed_over")?,
            withheld: i64_col(&row, "withheld")?,
        })
    }

    async fn set_channel_assistant(&self, channel: ChannelId, enabled: bool, at: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO channel_assistants (channel_id, enabled, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel_id) DO UPDATE SET enabled = $2, updated_at = $3",
        )
        .bind(channel.0)
        .bind(i64::from(enabled))
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn count_assistant(&self, channel: ChannelId, outcome: AssistantOutcome) -> Result<()> {
        let sql = match outcome {
            AssistantOutcome::Answered => {
                "UPDATE channel_assistants SET answered = answered + 1 WHERE channel_id = $1"
            }
            AssistantOutcome::HandedOver => {
                "UPDATE channel_assistants SET handed_over = handed_over + 1 WHERE channel_id = $1"
            }
            AssistantOutcome::Withheld => {
                "UPDATE channel_assistants SET handed_over = handed_over + 1, withheld = withheld + 1 \
                 WHERE channel_id = $1"
            }
        };
        sqlx::query(sql).bind(channel.0).execute(self.pool()).await?;
        Ok(())
    }

    async fn facts(&self, channel: ChannelId) -> Result<Vec<FactRow>> {
        let sql = format!("SELECT {FACT_COLS} FROM channel_facts WHERE channel_id = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(channel.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(fact_row).collect()
    }

    async fn add_fact(
        &self,
        channel: ChannelId,
        question: &str,
        answer: &str,
        max: i64,
        at: Millis,
    ) -> Result<FactRow> {
        let mut tx = self.begin_write().await?;
        // The channel's row is the lock two owners adding at once meet at.
        sqlx::query("UPDATE channels SET id = id WHERE id = $1")
            .bind(channel.0)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("SELECT COUNT(*) AS n FROM channel_facts WHERE channel_id = $1")
            .bind(channel.0)
            .fetch_one(&mut *tx)
            .await?;
        if i64_col(&n, "n")? >= max {
            return Err(StoreError::Conflict("facts"));
        }
        let sql = format!(
            "INSERT INTO channel_facts (channel_id, question, answer, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING {FACT_COLS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(channel.0)
            .bind(question)
            .bind(answer)
            .bind(at.0)
            .fetch_one(&mut *tx)
            .await?;
        let fact = fact_row(&row)?;
        tx.commit().await?;
        Ok(fact)
    }

    async fn update_fact(
        &self,
        channel: ChannelId,
        id: FactId,
        question: &str,
        answer: &str,
        at: Millis,
    ) -> Result<FactRow> {
        let sql = format!(
            "UPDATE channel_facts SET question = $3, answer = $4, updated_at = $5 \
             WHERE id = $1 AND channel_id = $2 RETURNING {FACT_COLS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind(channel.0)
            .bind(question)
            .bind(answer)
            .bind(at.0)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        fact_row(&row)
    }

    async fn delete_fact(&self, channel: ChannelId, id: FactId) -> Result<()> {
        let done = sqlx::query("DELETE FROM channel_facts WHERE id = $1 AND channel_id = $2")
            .bind(id.0)
            .bind(channel.0)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
