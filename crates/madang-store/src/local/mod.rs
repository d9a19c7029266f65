//! Local shops and business channels: businesses and agents, channels and
//! the people who added them (with their consents), shops with their H3
//! cells, regulars. Coupons are in [`coupons`].

mod assistant;
mod campaigns;
mod coupons;
mod inbox;

use crate::accounts::placeholders;
use crate::rows::{flag, i64_col, json, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::local::{AgentRole, OpeningHours};
use madang_types::{BusinessId, ChannelId, MediaId, Millis, ShopId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

pub use assistant::{AssistantOutcome, AssistantRepo, AssistantRow, FactRow};
pub(crate) use campaigns::read_channel_room;
pub use campaigns::{
    AudienceSeed, BatchReport, CampaignAudit, CampaignCopy, CampaignRepo, CampaignRow, Candidate, Judge,
    NewCampaign, Outcome, Wording,
};
pub use coupons::{ClaimRow, CouponRepo, CouponRow, NewCoupon, WalletRow};
pub use inbox::{ChannelRepo, ChannelRoomRow, InboxRow, PlaceRow, PostRow};

#[derive(Clone, Debug, PartialEq)]
pub struct BusinessRow {
    pub id: BusinessId,
    pub name: String,
    pub owner_id: UserId,
    pub created_at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    pub business_id: BusinessId,
    pub user_id: UserId,
    pub role: AgentRole,
    pub added_at: Millis,
}

#[derive(Clone, Debug)]
pub struct NewChannel {
    pub business_id: BusinessId,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelRow {
    pub id: ChannelId,
    pub business_id: BusinessId,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub avatar: Option<MediaId>,
    pub friend_count: i64,
    pub created_at: Millis,
}

/// A person who added a channel, and their consents with when each was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelFriendRow {
    pub channel_id: ChannelId,
    pub user_id: UserId,
    pub added_at: Millis,
    pub informational: bool,
    pub informational_at: Millis,
    pub marketing: bool,
    pub marketing_at: Millis,
    pub marketing_night: bool,
    pub marketing_night_at: Millis,
}

#[derive(Clone, Debug)]
pub struct NewShop {
    pub business_id: BusinessId,
    pub channel_id: Option<ChannelId>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// H3 cells at resolutions 3, 5, 7 and 9.
    pub cells: [i64; 4],
    pub time_zone: String,
    pub hours: Vec<OpeningHours>,
    pub photos: Vec<MediaId>,
    pub phone: String,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ShopRow {
    pub id: ShopId,
    pub business_id: BusinessId,
    pub channel_id: Option<ChannelId>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub time_zone: String,
    pub hours: Vec<OpeningHours>,
    pub photos: Vec<MediaId>,
    pub phone: String,
    pub regular_count: i64,
    pub created_at: Millis,
}

#[async_trait]
pub trait LocalRepo: Send + Sync {
    /// Creates a business with `owner` as its owner agent.
    async fn create_business(&self, name: &str, owner: UserId, at: Millis) -> Result<BusinessRow>;
    async fn business(&self, id: BusinessId) -> Result<Option<BusinessRow>>;
    /// The businesses `user` works for, with their role in each.
    async fn businesses_of(&self, user: UserId) -> Result<Vec<(BusinessRow, AgentRole)>>;
    async fn agent_role(&self, business: BusinessId, user: UserId) -> Result<Option<AgentRole>>;
    /// `Conflict("agent")` when they already are one.
    async fn add_agent(&self, business: BusinessId, user: UserId, at: Millis) -> Result<AgentRow>;
    async fn agents(&self, business: BusinessId) -> Result<Vec<AgentRow>>;

    /// `Conflict("handle")` when the handle is taken.
    async fn create_channel(&self, new: NewChannel) -> Result<ChannelRow>;
    async fn channel(&self, id: ChannelId) -> Result<Option<ChannelRow>>;
    async fn channel_by_handle(&self, handle: &str) -> Result<Option<ChannelRow>>;
    async fn channels_of(&self, business: BusinessId) -> Result<Vec<ChannelRow>>;
    /// Adds `user` as a friend of the channel, or updates their consents;
    /// counts them once. The first time makes their room with the channel.
    async fn put_channel_friend(&self, row: ChannelFriendRow) -> Result<ChannelFriendRow>;
    async fn channel_friend(&self, channel: ChannelId, user: UserId) -> Result<Option<ChannelFriendRow>>;
    /// Whether they were a friend.
    async fn remove_channel_friend(&self, channel: ChannelId, user: UserId) -> Result<bool>;

    async fn create_shop(&self, new: NewShop) -> Result<ShopRow>;
    async fn shop(&self, id: ShopId) -> Result<Option<ShopRow>>;
    async fn shops(&self, ids: &[ShopId]) -> Result<Vec<ShopRow>>;
    /// A business's shops, oldest first.
    async fn shops_of(&self, business: BusinessId) -> Result<Vec<ShopRow>>;
    /// Shops whose cell at stored level `level` (0–3: resolutions 3, 5, 7,
    /// 9) is one of `cells`, of `category` when given.
    async fn shops_in_cells(
        &self,
        level: usize,
        cells: &[i64],
        category: Option<&str>,
    ) -> Result<Vec<ShopRow>>;
    /// Marks or unmarks `user` as a regular; whether anything changed.
    async fn set_regular(&self, shop: ShopId, user: UserId, on: bool, at: Millis) -> Result<bool>;
    /// Of `shops`, those `user` is a regular of.
    async fn regular_of(&self, user: UserId, shops: &[ShopId]) -> Result<Vec<ShopId>>;
}

const CHANNEL_COLS: &str = "id, business_id, handle, name, description, avatar, friend_count, created_at";
const FRIEND_COLS: &str = "channel_id, user_id, added_at, informational, informational_at, marketing, \
     marketing_at, marketing_night, marketing_night_at";
const SHOP_COLS: &str = "id, business_id, channel_id, name, category, description, address, lat, lon, \
     time_zone, hours, photos, phone, regular_count, created_at";
const CELL_COLS: [&str; 4] = ["cell3", "cell5", "cell7", "cell9"];

fn business_row(row: &AnyRow) -> Result<BusinessRow> {
    Ok(BusinessRow {
        id: BusinessId(i64_col(row, "id")?),
        name: text(row, "name")?,
        owner_id: UserId(i64_col(row, "owner_id")?),
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

fn role(row: &AnyRow) -> Result<AgentRole> {
    let raw = text(row, "role")?;
    AgentRole::parse(&raw).ok_or_else(|| StoreError::Corrupt(format!("agent role {raw:?}")))
}

fn agent_row(row: &AnyRow) -> Result<AgentRow> {
    Ok(AgentRow {
        business_id: BusinessId(i64_col(row, "business_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        role: role(row)?,
        added_at: Millis(i64_col(row, "added_at")?),
    })
}

fn channel_row(row: &AnyRow) -> Result<ChannelRow> {
    Ok(ChannelRow {
        id: ChannelId(i64_col(row, "id")?),
        business_id: BusinessId(i64_col(row, "business_id")?),
        handle: text(row, "handle")?,
        name: text(row, "name")?,
        description: text(row, "description")?,
        avatar: opt_text(row, "avatar")?.map(MediaId),
        friend_count: i64_col(row, "friend_count")?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

fn friend_row(row: &AnyRow) -> Result<ChannelFriendRow> {
    Ok(ChannelFriendRow {
        channel_id: ChannelId(i64_col(row, "channel_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        added_at: Millis(i64_col(row, "added_at")?),
        informational: flag(row, "informational")?,
        informational_at: Millis(i64_col(row, "informational_at")?),
        marketing: flag(row, "marketing")?,
        marketing_at: Millis(i64_col(row, "marketing_at")?),
        marketing_night: flag(row, "marketing_night")?,
        marketing_night_at: Millis(i64_col(row, "marketing_night_at")?),
    })
}

pub(crate) fn shop_row(row: &AnyRow) -> Result<ShopRow> {
    Ok(ShopRow {
        id: ShopId(i64_col(row, "id")?),
        business_id: BusinessId(i64_col(row, "business_id")?),
        channel_id: opt_i64(row, "channel_id")?.map(ChannelId),
        name: text(row, "name")?,
        category: text(row, "category")?,
        description: text(row, "description")?,
        address: text(row, "address")?,
        lat: row.try_get::<f64, _>("lat")?,
        lon: row.try_get::<f64, _>("lon")?,
        time_zone: text(row, "time_zone")?,
        hours: json(&text(row, "hours")?)?,
        photos: json(&text(row, "photos")?)?,
        phone: text(row, "phone")?,
        regular_count: i64_col(row, "regular_count")?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

#[async_trait]
impl LocalRepo for SqlStore {
    async fn create_business(&self, name: &str, owner: UserId, at: Millis) -> Result<BusinessRow> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO businesses (name, owner_id, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, owner_id, created_at",
        )
        .bind(name)
        .bind(owner.0)
        .bind(at.0)
        .fetch_one(&mut *tx)
        .await?;
        let business = business_row(&row)?;
        sqlx::query(
            "INSERT INTO business_agents (business_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(business.id.0)
        .bind(owner.0)
        .bind(AgentRole::Owner.as_str())
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(business)
    }

    async fn business(&self, id: BusinessId) -> Result<Option<BusinessRow>> {
        let row = sqlx::query("SELECT id, name, owner_id, created_at FROM businesses WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(business_row).transpose()
    }

    async fn businesses_of(&self, user: UserId) -> Result<Vec<(BusinessRow, AgentRole)>> {
        let rows = sqlx::query(
            "SELECT b.id, b.name, b.owner_id, b.created_at, a.role FROM businesses b \
             JOIN business_agents a ON a.business_id = b.id WHERE a.user_id = $1 ORDER BY b.id",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((business_row(r)?, role(r)?))).collect()
    }

    async fn agent_role(&self, business: BusinessId, user: UserId) -> Result<Option<AgentRole>> {
        let row = sqlx::query("SELECT role FROM business_agents WHERE business_id = $1 AND user_id = $2")
            .bind(business.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(role).transpose()
    }

    async fn add_agent(&self, business: BusinessId, user: UserId, at: Millis) -> Result<AgentRow> {
        let row = sqlx::query(
            "INSERT INTO business_agents (business_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
             RETURNING business_id, user_id, role, added_at",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(AgentRole::Agent.as_str())
        .bind(at.0)
        .fetch_one(self.pool())
        .await
        .map_err(crate::conflict("agent"))?;
        agent_row(&row)
    }

    async fn agents(&self, business: BusinessId) -> Result<Vec<AgentRow>> {
        let rows = sqlx::query(
            "SELECT business_id, user_id, role, added_at FROM business_agents WHERE business_id = $1 \
             ORDER BY added_at, user_id",
        )
        .bind(business.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(agent_row).collect()
    }

    async fn create_channel(&self, new: NewChannel) -> Result<ChannelRow> {
        let sql = format!(
            "INSERT INTO channels (business_id, handle, name, description, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {CHANNEL_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.business_id.0)
            .bind(&new.handle)
            .bind(&new.name)
            .bind(&new.description)
            .bind(new.at.0)
            .fetch_one(self.pool())
            .await
            .map_err(crate::conflict("handle"))?;
        channel_row(&row)
    }

    async fn channel(&self, id: ChannelId) -> Result<Option<ChannelRow>> {
        let sql = format!("SELECT {CHANNEL_COLS} FROM channels WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(channel_row).transpose()
    }

    async fn channel_by_handle(&self, handle: &str) -> Result<Option<ChannelRow>> {
        let sql = format!("SELECT {CHANNEL_COLS} FROM channels WHERE handle = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(handle)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(channel_row).transpose()
    }

    async fn channels_of(&self, business: BusinessId) -> Result<Vec<ChannelRow>> {
        let sql = format!("SELECT {CHANNEL_COLS} FROM channels WHERE business_id = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(business.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(channel_row).collect()
    }

    async fn put_channel_friend(&self, f: ChannelFriendRow) -> Result<ChannelFriendRow> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO channel_friends ({FRIEND_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (channel_id, user_id) DO NOTHING RETURNING {FRIEND_COLS}"
        );
        let inserted = sqlx::query(AssertSqlSafe(sql))
            .bind(f.channel_id.0)
            .bind(f.user_id.0)
            .bind(f.added_at.0)
            .bind(i64::from(f.informational))
            .bind(f.informational_at.0)
            .bind(i64::from(f.marketing))
            .bind(f.marketing_at.0)
            .bind(i64::from(f.marketing_night))
            .bind(f.marketing_night_at.0)
            .fetch_optional(&mut *tx)
            .await?;
        let row = match inserted {
            Some(row) => {
                sqlx::query("UPDATE channels SET friend_count = friend_count + 1 WHERE id = $1")
                    .bind(f.channel_id.0)
                    .execute(&mut *tx)
                    .await?;
                inbox::ensure_channel_room(&mut tx, f.channel_id, f.user_id, f.added_at).await?;
                row
            }
            None => {
                let sql = format!(
                    "UPDATE channel_friends SET informational = $3, informational_at = $4, marketing = $5, \
                     marketing_at = $6, marketing_night = $7, marketing_night_at = $8 \
                     WHERE channel_id = $1 AND user_id = $2 RETURNING {FRIEND_COLS}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(f.channel_id.0)
                    .bind(f.user_id.0)
                    .bind(i64::from(f.informational))
                    .bind(f.informational_at.0)
                    .bind(i64::from(f.marketing))
                    .bind(f.marketing_at.0)
                    .bind(i64::from(f.marketing_night))
                    .bind(f.marketing_night_at.0)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        friend_row(&row)
    }

    async fn channel_friend(&self, channel: ChannelId, user: UserId) -> Result<Option<ChannelFriendRow>> {
        let sql = format!("SELECT {FRIEND_COLS} FROM channel_friends WHERE channel_id = $1 AND user_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(friend_row).transpose()
    }

    async fn remove_channel_friend(&self, channel: ChannelId, user: UserId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM channel_friends WHERE channel_id = $1 AND user_id = $2")
            .bind(channel.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if gone {
            sqlx::query("UPDATE channels SET friend_count = friend_count - 1 WHERE id = $1")
                .bind(channel.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    async fn create_shop(&self, new: NewShop) -> Result<ShopRow> {
        let sql = format!(
            "INSERT INTO shops (business_id, channel_id, name, category, description, address, lat, lon, \
             cell3, cell5, cell7, cell9, time_zone, hours, photos, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING {SHOP_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.business_id.0)
            .bind(new.channel_id.map(|c| c.0))
            .bind(&new.name)
            .bind(&new.category)
            .bind(&new.description)
            .bind(&new.address)
            .bind(new.lat)
            .bind(new.lon)
            .bind(new.cells[0])
            .bind(new.cells[1])
            .bind(new.cells[2])
            .bind(new.cells[3])
            .bind(&new.time_zone)
            .bind(to_json(&new.hours)?)
            .bind(to_json(&new.photos)?)
            .bind(&new.phone)
            .bind(new.at.0)
            .fetch_one(self.pool())
            .await?;
        shop_row(&row)
    }

    async fn shop(&self, id: ShopId) -> Result<Option<ShopRow>> {
        Ok(self.shops(&[id]).await?.pop())
    }

    async fn shops(&self, ids: &[ShopId]) -> Result<Vec<ShopRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {SHOP_COLS} FROM shops WHERE id IN ({}) ORDER BY id",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(shop_row).collect()
    }

    async fn shops_of(&self, business: BusinessId) -> Result<Vec<ShopRow>> {
        let sql = format!("SELECT {SHOP_COLS} FROM shops WHERE business_id = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(business.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(shop_row).collect()
    }

    async fn shops_in_cells(
        &self,
        level: usize,
        cells: &[i64],
        category: Option<&str>,
    ) -> Result<Vec<ShopRow>> {
        let Some(col) = CELL_COLS.get(level) else {
            return Ok(Vec::new());
        };
        if cells.is_empty() {
            return Ok(Vec::new());
        }
        let filter = if category.is_some() {
            format!(" AND category = ${}", cells.len() + 1)
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {SHOP_COLS} FROM shops WHERE {col} IN ({}){filter}",
            placeholders(1, cells.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in cells {
            q = q.bind(*c);
        }
        if let Some(category) = category {
            q = q.bind(category);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(shop_row).collect()
    }

    async fn set_regular(&self, shop: ShopId, user: UserId, on: bool, at: Millis) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let changed = if on {
            sqlx::query(
                "INSERT INTO shop_regulars (shop_id, user_id, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (shop_id, user_id) DO NOTHING",
            )
            .bind(shop.0)
            .bind(user.0)
            .bind(at.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM shop_regulars WHERE shop_id = $1 AND user_id = $2")
                .bind(shop.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        } > 0;
        if changed {
            sqlx::query("UPDATE shops SET regular_count = regular_count + $2 WHERE id = $1")
                .bind(shop.0)
                .bind(if on { 1i64 } else { -1 })
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn regular_of(&self, user: UserId, shops: &[ShopId]) -> Result<Vec<ShopId>> {
        if shops.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT shop_id FROM shop_regulars WHERE user_id = $1 AND shop_id IN ({})",
            placeholders(2, shops.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(user.0);
        for s in shops {
            q = q.bind(s.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(|r| i64_col(r, "shop_id").map(ShopId)).collect()
    }
}
