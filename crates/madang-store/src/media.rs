//! Metadata of uploaded media; the bytes live in the [`crate::BlobStore`].

use crate::rows::{i64_col, opt_i64, opt_text, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{MediaId, Millis, UserId};
use sqlx::any::AnyRow;

/// What an upload is for: it decides who may read it and when it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaPurpose {
    /// A chat attachment (any signed-in holder of the id may read it).
    Attachment,
    Avatar,
    /// A Pung's photo: readable only by those who may see the Pung, and
    /// purged with it (or, if never posted, after a while).
    Pung,
}

impl MediaPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPurpose::Attachment => "attachment",
            MediaPurpose::Avatar => "avatar",
            MediaPurpose::Pung => "pung",
        }
    }
    fn parse(s: &str) -> Result<Self> {
        match s {
            "attachment" => Ok(MediaPurpose::Attachment),
            "avatar" => Ok(MediaPurpose::Avatar),
            "pung" => Ok(MediaPurpose::Pung),
            other => Err(StoreError::Corrupt(format!("media purpose {other:?}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MediaRow {
    pub id: MediaId,
    pub owner_id: UserId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: Option<MediaId>,
    pub purpose: MediaPurpose,
    pub created_at: Millis,
}

#[async_trait]
pub trait MediaRepo: Send + Sync {
    async fn insert_media(&self, media: &MediaRow) -> Result<()>;
    async fn media(&self, id: &MediaId) -> Result<Option<MediaRow>>;
}

fn media_row(row: &AnyRow) -> Result<MediaRow> {
    Ok(MediaRow {
        id: MediaId(text(row, "id")?),
        owner_id: UserId(i64_col(row, "owner_id")?),
        name: text(row, "name")?,
        content_type: text(row, "content_type")?,
        size: i64_col(row, "size")?,
        width: opt_i64(row, "width")?,
        height: opt_i64(row, "height")?,
        thumbnail: opt_text(row, "thumbnail")?.map(MediaId),
        purpose: MediaPurpose::parse(&text(row, "purpose")?)?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

#[async_trait]
impl MediaRepo for SqlStore {
    async fn insert_media(&self, m: &MediaRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO media (id, owner_id, name, content_type, size, width, height, thumbnail, purpose, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&m.id.0)
        .bind(m.owner_id.0)
        .bind(&m.name)
        .bind(&m.content_type)
        .bind(m.size)
        .bind(m.width)
        .bind(m.height)
        .bind(m.thumbnail.as_ref().map(|t| t.0.clone()))
        .bind(m.purpose.as_str())
        .bind(m.created_at.0)
        .execute(self.pool())
        .await
        .map_err(crate::conflict("media id"))?;
        Ok(())
    }

    async fn media(&self, id: &MediaId) -> Result<Option<MediaRow>> {
        let row = sqlx::query(
            "SELECT id, owner_id, name, content_type, size, width, height, thumbnail, purpose, \
             created_at FROM media WHERE id = $1",
        )
        .bind(&id.0)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(media_row).transpose()
    }
}
