//! Sponsored messages and banners: the ads operators define, each funded
//! by a prepaid ledger account; placements before one person in one room;
//! impressions and clicks, each counted and paid once, in the same
//! database transaction as its ledger transaction.

use super::ledger::{self, NewTxn, Posted};
use crate::rows::{i64_col, json, opt_i64, text, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::earnings::AdFormat;
use madang_types::{AdId, Millis, OpenChatId, PlacementId, RoomId, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdRow {
    pub id: AdId,
    pub advertiser: String,
    pub format: AdFormat,
    pub title: String,
    pub body: String,
    pub link: String,
    pub categories: Vec<String>,
    pub hashtags: Vec<String>,
    pub price_impression: i64,
    pub price_click: i64,
    /// The key of its budget's ledger account.
    pub account: String,
    /// Budget left (the account's balance).
    pub remaining: i64,
    pub starts_at: Millis,
    pub ends_at: Option<Millis>,
    pub paused_at: Option<Millis>,
    pub impressions: i64,
    pub clicks: i64,
}

#[derive(Clone, Debug)]
pub struct NewAd {
    pub advertiser: String,
    pub format: AdFormat,
    pub title: String,
    pub body: String,
    pub link: String,
    pub categories: Vec<String>,
    pub hashtags: Vec<String>,
    pub price_impression: i64,
    pub price_click: i64,
    /// Its budget's ledger account, and the transaction that funds it.
    pub account: String,
    pub funding: NewTxn,
    pub starts_at: Millis,
    pub ends_at: Option<Millis>,
    pub created_by: UserId,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementRow {
    pub id: PlacementId,
    pub ad_id: AdId,
    pub user_id: UserId,
    pub room_id: RoomId,
    pub open_chat_id: OpenChatId,
    pub host_id: UserId,
    pub created_at: Millis,
    pub impressed_at: Option<Millis>,
    pub clicked_at: Option<Millis>,
}

/// What reporting an impression or a click did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImpressionOutcome {
    /// Counted and paid now.
    Counted,
    /// Counted before; nothing changed.
    AlreadyCounted,
    /// The ad's budget cannot pay for it: not counted.
    BudgetSpent,
    /// A click before any impression: not counted.
    NotShown,
}

#[async_trait]
pub trait AdRepo: Send + Sync {
    /// Creates an ad and funds its budget, in one transaction.
    async fn create_ad(&self, new: NewAd) -> Result<AdRow>;
    async fn ad(&self, id: AdId) -> Result<Option<AdRow>>;
    /// Every ad, newest first, with its counts.
    async fn ads(&self) -> Result<Vec<AdRow>>;
    /// Ads running at `now` (started, not ended, not paused) whose budget
    /// still pays for an impression.
    async fn running_ads(&self, now: Millis) -> Result<Vec<AdRow>>;
    async fn pause_ad(&self, id: AdId, paused: Option<Millis>) -> Result<bool>;
    /// `user`'s newest placement in `room` since `since`.
    async fn recent_placement(
        &self,
        user: UserId,
        room: RoomId,
        since: Millis,
    ) -> Result<Option<PlacementRow>>;
    async fn create_placement(&self, p: PlacementRow) -> Result<PlacementRow>;
    async fn placement(&self, id: PlacementId) -> Result<Option<PlacementRow>>;
    /// Counts the placement's impression once and posts `payment`.
    async fn count_impression(
        &self,
        id: PlacementId,
        at: Millis,
        payment: NewTxn,
    ) -> Result<ImpressionOutcome>;
    /// Counts the placement's click once (after its impression) and posts
    /// `payment`.
    async fn count_click(&self, id: PlacementId, at: Millis, payment: NewTxn) -> Result<ImpressionOutcome>;
}

const AD_COLS: &str = "a.id, a.advertiser, a.format, a.title, a.body, a.link, a.categories, a.hashtags, \
     a.price_impression, a.price_click, l.key AS account, l.balance AS remaining, a.starts_at, a.ends_at, \
     a.paused_at, \
     (SELECT COUNT(*) FROM ad_placements p WHERE p.ad_id = a.id AND p.impressed_at IS NOT NULL) AS impressions, \
     (SELECT COUNT(*) FROM ad_placements p WHERE p.ad_id = a.id AND p.clicked_at IS NOT NULL) AS clicks";
const AD_FROM: &str = "ads a JOIN ledger_accounts l ON l.id = a.account_id";
const PLACEMENT_COLS: &str =
    "id, ad_id, user_id, room_id, open_chat_id, host_id, created_at, impressed_at, clicked_at";

fn ad_row(row: &AnyRow) -> Result<AdRow> {
    let format = text(row, "format")?;
    Ok(AdRow {
        id: AdId(i64_col(row, "id")?),
        advertiser: text(row, "advertiser")?,
        format: AdFormat::parse(&format)
            .ok_or_else(|| StoreError::Corrupt(format!("ad format {format:?}")))?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        link: text(row, "link")?,
        categories: json(&text(row, "categories")?)?,
        hashtags: json(&text(row, "hashtags")?)?,
        price_impression: i64_col(row, "price_impression")?,
        price_click: i64_col(row, "price_click")?,
        account: text(row, "account")?,
        remaining: i64_col(row, "remaining")?,
        starts_at: Millis(i64_col(row, "starts_at")?),
        ends_at: opt_i64(row, "ends_at")?.map(Millis),
        paused_at: opt_i64(row, "paused_at")?.map(Millis),
        impressions: i64_col(row, "impressions")?,
        clicks: i64_col(row, "clicks")?,
    })
}

fn placement_row(row: &AnyRow) -> Result<PlacementRow> {
    Ok(PlacementRow {
        id: PlacementId(i64_col(row, "id")?),
        ad_id: AdId(i64_col(row, "ad_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        room_id: RoomId(i64_col(row, "room_id")?),
        open_chat_id: OpenChatId(i64_col(row, "open_chat_id")?),
        host_id: UserId(i64_col(row, "host_id")?),
        created_at: Millis(i64_col(row, "created_at")?),
        impressed_at: opt_i64(row, "impressed_at")?.map(Millis),
        clicked_at: opt_i64(row, "clicked_at")?.map(Millis),
    })
}

impl SqlStore {
    /// Marks a placement's `column` (impressed_at or clicked_at) once, under
    /// `guard`, and posts `payment` with it.
    async fn count_once(
        &self,
        id: PlacementId,
        column: &'static str,
        guard: &'static str,
        at: Millis,
        payment: NewTxn,
    ) -> Result<ImpressionOutcome> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {PLACEMENT_COLS} FROM ad_placements WHERE id = $1");
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound);
        };
        let placement = placement_row(&row)?;
        let already = match column {
            "impressed_at" => placement.impressed_at.is_some(),
            _ => placement.clicked_at.is_some(),
        };
        if already {
            return Ok(ImpressionOutcome::AlreadyCounted);
        }
        if column == "clicked_at" && placement.impressed_at.is_none() {
            return Ok(ImpressionOutcome::NotShown);
        }
        let sql = format!("UPDATE ad_placements SET {column} = $2 WHERE id = $1 AND {column} IS NULL{guard}");
        let marked = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() != 1 {
            // Another request counted it first.
            return Ok(ImpressionOutcome::AlreadyCounted);
        }
        match ledger::post(&mut tx, &payment).await {
            Ok(Posted::Done) => {}
            Ok(Posted::Repeated) => return Ok(ImpressionOutcome::AlreadyCounted),
            Err(StoreError::Overdrawn) => return Ok(ImpressionOutcome::BudgetSpent),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(ImpressionOutcome::Counted)
    }
}

#[async_trait]
impl AdRepo for SqlStore {
    async fn create_ad(&self, new: NewAd) -> Result<AdRow> {
        let mut tx = self.begin_write().await?;
        let account = ledger::account_id(&mut tx, &new.account, false, new.at).await?;
        let row = sqlx::query(
            "INSERT INTO ads (advertiser, format, title, body, link, categories, hashtags, price_impression, \
             price_click, account_id, starts_at, ends_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(&new.advertiser)
        .bind(new.format.as_str())
        .bind(&new.title)
        .bind(&new.body)
        .bind(&new.link)
        .bind(to_json(&new.categories)?)
        .bind(to_json(&new.hashtags)?)
        .bind(new.price_impression)
        .bind(new.price_click)
        .bind(account)
        .bind(new.starts_at.0)
        .bind(new.ends_at.map(|e| e.0))
        .bind(new.created_by.0)
        .bind(new.at.0)
        .fetch_one(&mut *tx)
        .await?;
        let id = AdId(i64_col(&row, "id")?);
        ledger::post(&mut tx, &new.funding).await?;
        tx.commit().await?;
        self.ad(id).await?.ok_or(StoreError::NotFound)
    }

    async fn ad(&self, id: AdId) -> Result<Option<AdRow>> {
        let sql = format!("SELECT {AD_COLS} FROM {AD_FROM} WHERE a.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(ad_row).transpose()
    }

    async fn ads(&self) -> Result<Vec<AdRow>> {
        let sql = format!("SELECT {AD_COLS} FROM {AD_FROM} ORDER BY a.id DESC");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(ad_row).collect()
    }

    async fn running_ads(&self, now: Millis) -> Result<Vec<AdRow>> {
        let sql = format!(
            "SELECT {AD_COLS} FROM {AD_FROM} WHERE a.starts_at <= $1 AND (a.ends_at IS NULL OR a.ends_at > $1) \
             AND a.paused_at IS NULL AND l.balance >= a.price_impression ORDER BY a.id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(ad_row).collect()
    }

    async fn pause_ad(&self, id: AdId, paused: Option<Millis>) -> Result<bool> {
        let done = sqlx::query("UPDATE ads SET paused_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(paused.map(|p| p.0))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn recent_placement(
        &self,
        user: UserId,
        room: RoomId,
        since: Millis,
    ) -> Result<Option<PlacementRow>> {
        let sql = format!(
            "SELECT {PLACEMENT_COLS} FROM ad_placements WHERE user_id = $1 AND room_id = $2 AND created_at >= $3 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(room.0)
            .bind(since.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(placement_row).transpose()
    }

    async fn create_placement(&self, p: PlacementRow) -> Result<PlacementRow> {
        let sql = format!(
            "INSERT INTO ad_placements (ad_id, user_id, room_id, open_chat_id, host_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {PLACEMENT_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(p.ad_id.0)
            .bind(p.user_id.0)
            .bind(p.room_id.0)
            .bind(p.open_chat_id.0)
            .bind(p.host_id.0)
            .bind(p.created_at.0)
            .fetch_one(self.pool())
            .await?;
        placement_row(&row)
    }

    async fn placement(&self, id: PlacementId) -> Result<Option<PlacementRow>> {
        let sql = format!("SELECT {PLACEMENT_COLS} FROM ad_placements WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(placement_row).transpose()
    }

    async fn count_impression(
        &self,
        id: PlacementId,
        at: Millis,
        payment: NewTxn,
    ) -> Result<ImpressionOutcome> {
        self.count_once(id, "impressed_at", "", at, payment).await
    }

    async fn count_click(&self, id: PlacementId, at: Millis, payment: NewTxn) -> Result<ImpressionOutcome> {
        self.count_once(id, "clicked_at", " AND impressed_at IS NOT NULL", at, payment)
            .await
    }
}
