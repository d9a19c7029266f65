//! Accounts and their devices (one bearer token per device).

use crate::rows::{i64_col, opt_i64, opt_text, text};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::{DeviceId, MediaId, Millis, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: UserId,
    pub handle: String,
    pub password_hash: String,
    pub display_name: String,
    pub status_message: String,
    pub avatar: Option<MediaId>,
    pub phone_sha256: Option<String>,
    pub email_sha256: Option<String>,
    pub birthday: Option<String>,
    pub created_at: Millis,
    /// A bot's owner; `None` for a person.
    pub bot_owner: Option<UserId>,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub handle: String,
    pub password_hash: String,
    pub display_name: String,
    pub phone_sha256: Option<String>,
    pub email_sha256: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    pub created_at: Millis,
    /// Makes a bot owned by this account.
    pub bot_owner: Option<UserId>,
}

/// Fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub status_message: Option<String>,
    pub avatar: Option<Option<MediaId>>,
    pub birthday: Option<Option<String>>,
    pub phone_sha256: Option<Option<String>>,
    pub email_sha256: Option<Option<String>>,
}

#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
}

#[derive(Clone, Debug)]
pub struct NewDevice {
    pub user_id: UserId,
    pub name: String,
    pub token_sha256: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// Accounts and devices.
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Creates an account; `Conflict("handle")` when the handle is taken.
    async fn create_user(&self, user: NewUser) -> Result<UserRow>;
    async fn user(&self, id: UserId) -> Result<Option<UserRow>>;
    async fn user_by_handle(&self, handle: &str) -> Result<Option<UserRow>>;
    async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>>;
    /// Accounts whose phone or e-mail hash is in the given lists.
    async fn users_by_contacts(&self, phones: &[String], emails: &[String]) -> Result<Vec<UserRow>>;
    async fn update_profile(&self, id: UserId, update: ProfileUpdate) -> Result<UserRow>;

    async fn create_device(&self, device: NewDevice) -> Result<DeviceRow>;
    /// The device a token signs in, and whether its account is a bot.
    async fn device_by_token(&self, token_sha256: &str) -> Result<Option<(DeviceRow, bool)>>;
    /// The bots `owner` owns, oldest first (not rooms' integrations nor
    /// channels' webhook accounts).
    async fn bots_of(&self, owner: UserId) -> Result<Vec<UserRow>>;
    /// Revokes every live device of `user` (a bot's token, rotated).
    async fn revoke_devices_of(&self, user: UserId, now: Millis) -> Result<Vec<DeviceId>>;
    async fn devices(&self, user: UserId) -> Result<Vec<DeviceRow>>;
    /// Records use of a device and slides its expiry.
    async fn touch_device(&self, id: DeviceId, now: Millis, expires_at: Millis) -> Result<()>;
    /// Revokes one device of `user`; false when there is no such live device.
    async fn revoke_device(&self, user: UserId, id: DeviceId, now: Millis) -> Result<bool>;
}

const USER_COLS: &str = "id, handle, password_hash, display_name, status_message, avatar, \
     phone_sha256, email_sha256, birthday, created_at, bot_owner";

fn user_row(row: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: UserId(i64_col(row, "id")?),
        handle: text(row, "handle")?,
        password_hash: text(row, "password_hash")?,
        display_name: text(row, "display_name")?,
        status_message: text(row, "status_message")?,
        avatar: opt_text(row, "avatar")?.map(MediaId),
        phone_sha256: opt_text(row, "phone_sha256")?,
        email_sha256: opt_text(row, "email_sha256")?,
        birthday: opt_text(row, "birthday")?,
        created_at: Millis(i64_col(row, "created_at")?),
        bot_owner: opt_i64(row, "bot_owner")?.map(UserId),
    })
}

const DEVICE_COLS: &str = "id, user_id, name, created_at, last_seen_at, expires_at, revoked_at";

fn device_row(row: &AnyRow) -> Result<DeviceRow> {
    Ok(DeviceRow {
        id: DeviceId(i64_col(row, "id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        name: text(row, "name")?,
        created_at: Millis(i64_col(row, "created_at")?),
        last_seen_at: Millis(i64_col(row, "last_seen_at")?),
        expires_at: Millis(i64_col(row, "expires_at")?),
        revoked_at: opt_i64(row, "revoked_at")?.map(Millis),
    })
}

/// `MM-DD` of a `YYYY-MM-DD` birthday, for the "birthday today" index.
fn month_day(birthday: &Option<String>) -> Option<String> {
    birthday.as_ref().and_then(|b| b.get(5..10)).map(str::to_owned)
}

/// `$from, $from+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl AccountRepo for SqlStore {
    async fn create_user(&self, u: NewUser) -> Result<UserRow> {
        let sql = format!(
            "INSERT INTO users (handle, password_hash, display_name, phone_sha256, email_sha256, \
             birthday, birthday_md, created_at, bot_owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {USER_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(&u.handle)
            .bind(&u.password_hash)
            .bind(&u.display_name)
            .bind(&u.phone_sha256)
            .bind(&u.email_sha256)
            .bind(&u.birthday)
            .bind(month_day(&u.birthday))
            .bind(u.created_at.0)
            .bind(u.bot_owner.map(|o| o.0))
            .fetch_one(self.pool())
            .await
            .map_err(conflict("handle"))?;
        user_row(&row)
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    async fn user_by_handle(&self, handle: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE handle = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(handle)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<UserRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.0);
        }
        q.fetch_all(self.pool()).await?.iter().map(user_row).collect()
    }

    async fn users_by_contacts(&self, phones: &[String], emails: &[String]) -> Result<Vec<UserRow>> {
        if phones.is_empty() && emails.is_empty() {
            return Ok(Vec::new());
        }
        // An empty IN () is not portable; a list holding '' matches nothing.
        let p = phones.len().max(1);
        let e = emails.len().max(1);
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE phone_sha256 IN ({}) OR email_sha256 IN ({})",
            placeholders(1, p),
            placeholders(1 + p, e)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for h in phones.iter().chain(phones.is_empty().then_some(&String::new())) {
            q = q.bind(h);
        }
        for h in emails.iter().chain(emails.is_empty().then_some(&String::new())) {
            q = q.bind(h);
        }
        q.fetch_all(self.pool()).await?.iter().map(user_row).collect()
    }

    async fn update_profile(&self, id: UserId, u: ProfileUpdate) -> Result<UserRow> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut cur = user_row(&row)?;
        if let Some(v) = u.display_name {
            cur.display_name = v;
        }
        if let Some(v) = u.status_message {
            cur.status_message = v;
        }
        if let Some(v) = u.avatar {
            cur.avatar = v;
        }
        if let Some(v) = u.birthday {
            cur.birthday = v;
        }
        if let Some(v) = u.phone_sha256 {
            cur.phone_sha256 = v;
        }
        if let Some(v) = u.email_sha256 {
            cur.email_sha256 = v;
        }
        sqlx::query(
            "UPDATE users SET display_name = $2, status_message = $3, avatar = $4, birthday = $5, \
             birthday_md = $6, phone_sha256 = $7, email_sha256 = $8 WHERE id = $1",
        )
        .bind(id.0)
        .bind(&cur.display_name)
        .bind(&cur.status_message)
        .bind(cur.avatar.as_ref().map(|m| m.0.clone()))
        .bind(&cur.birthday)
        .bind(month_day(&cur.birthday))
        .bind(&cur.phone_sha256)
        .bind(&cur.email_sha256)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(cur)
    }

    async fn create_device(&self, d: NewDevice) -> Result<DeviceRow> {
        let sql = format!(
            "INSERT INTO devices (user_id, name, token_sha256, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING {DEVICE_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(d.user_id.0)
            .bind(&d.name)
            .bind(&d.token_sha256)
            .bind(d.created_at.0)
            .bind(d.expires_at.0)
            .fetch_one(self.pool())
            .await
            .map_err(conflict("token"))?;
        device_row(&row)
    }

    async fn device_by_token(&self, token_sha256: &str) -> Result<Option<(DeviceRow, bool)>> {
        let sql = format!(
            "SELECT {DEVICE_COLS}, (SELECT bot_owner FROM users WHERE users.id = devices.user_id) \
             AS bot_owner FROM devices WHERE token_sha256 = $1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(token_sha256)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(|r| Ok((device_row(r)?, opt_i64(r, "bot_owner")?.is_some())))
            .transpose()
    }

    async fn bots_of(&self, owner: UserId) -> Result<Vec<UserRow>> {
        // A room's integrations and a channel's webhook account are bots
        // too, but are the room's and the channel's, not listed here.
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE bot_owner = $1 \
             AND NOT EXISTS (SELECT 1 FROM integrations i WHERE i.bot_id = users.id) \
             AND NOT EXISTS (SELECT 1 FROM channel_hooks h WHERE h.bot_id = users.id) ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(owner.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_row).collect()
    }

    async fn revoke_devices_of(&self, user: UserId, now: Millis) -> Result<Vec<DeviceId>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
        )
        .bind(user.0)
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(|r| Ok(DeviceId(i64_col(r, "id")?))).collect()
    }

    async fn devices(&self, user: UserId) -> Result<Vec<DeviceRow>> {
        let sql = format!(
            "SELECT {DEVICE_COLS} FROM devices WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(device_row).collect()
    }

    async fn touch_device(&self, id: DeviceId, now: Millis, expires_at: Millis) -> Result<()> {
        sqlx::query("UPDATE devices SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(now.0)
            .bind(expires_at.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn revoke_device(&self, user: UserId, id: DeviceId, now: Millis) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE devices SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        // A revoked device is reached no more: its push subscription (and
        // what waited in the push queue for it) goes with it.
        sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1 AND user_id = $2")
            .bind(id.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
