//! Coupons and claims. A claim moves the coupon's `claimed` count under
//! the coupon row's lock and never past its quantity, and checks the
//! per-person limit under that same lock: however many claim at once, no
//! coupon is over-issued and nobody gets more than their share. A claim is
//! redeemed once: the update only matches an unredeemed one.

use crate::rows::{flag, i64_col, opt_i64, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{ClaimId, CouponId, Millis, ShopId, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

#[derive(Clone, Debug)]
pub struct NewCoupon {
    pub shop_id: ShopId,
    pub title: String,
    pub description: String,
    pub quantity: i64,
    pub per_person: i64,
    pub regulars_only: bool,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponRow {
    pub id: CouponId,
    pub shop_id: ShopId,
    pub title: String,
    pub description: String,
    pub quantity: i64,
    pub claimed: i64,
    pub per_person: i64,
    pub regulars_only: bool,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub created_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRow {
    pub id: ClaimId,
    pub coupon_id: CouponId,
    pub user_id: UserId,
    pub code: String,
    pub claimed_at: Millis,
    pub redeemed_at: Option<Millis>,
    pub redeemed_by: Option<UserId>,
}

/// A claim in someone's wallet, with its coupon and shop name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletRow {
    pub claim: ClaimRow,
    pub coupon: CouponRow,
    pub shop_name: String,
}

#[async_trait]
pub trait CouponRepo: Send + Sync {
    async fn create_coupon(&self, new: NewCoupon) -> Result<CouponRow>;
    async fn coupon(&self, id: CouponId) -> Result<Option<CouponRow>>;
    async fn coupons_of_shop(&self, shop: ShopId) -> Result<Vec<CouponRow>>;
    /// How many of each coupon `user` has claimed.
    async fn claimed_counts(&self, user: UserId, coupons: &[CouponId]) -> Result<Vec<(CouponId, i64)>>;
    /// Claims one: `Exhausted` when none are left, `Conflict("per_person")`
    /// when `user` already holds `per_person`, `Conflict("code")` when the
    /// code is taken (draw another), `NotFound` for no such coupon.
    async fn claim_coupon(
        &self,
        coupon: CouponId,
        user: UserId,
        per_person: i64,
        code: &str,
        at: Millis,
    ) -> Result<ClaimRow>;
    /// The caller's wallet, newest first.
    async fn wallet(&self, user: UserId) -> Result<Vec<WalletRow>>;
    /// A claim of one of `shop`'s coupons by its code.
    async fn claim_by_code(&self, shop: ShopId, code: &str) -> Result<Option<WalletRow>>;
    /// Marks the claim redeemed; false when it already was.
    async fn redeem_claim(&self, claim: ClaimId, by: UserId, at: Millis) -> Result<bool>;
}

const COUPON_COLS: &str = "c.id, c.shop_id, c.title, c.description, c.quantity, c.claimed, c.per_person, \
     c.regulars_only, c.starts_at, c.ends_at, c.created_at";
const CLAIM_COLS: &str =
    "k.id AS claim_id, k.coupon_id, k.user_id, k.code, k.claimed_at, k.redeemed_at, k.redeemed_by";

fn coupon_row(row: &AnyRow) -> Result<CouponRow> {
    Ok(CouponRow {
        id: CouponId(i64_col(row, "id")?),
        shop_id: ShopId(i64_col(row, "shop_id")?),
        title: text(row, "title")?,
        description: text(row, "description")?,
        quantity: i64_col(row, "quantity")?,
        claimed: i64_col(row, "claimed")?,
        per_person: i64_col(row, "per_person")?,
        regulars_only: flag(row, "regulars_only")?,
        starts_at: Millis(i64_col(row, "starts_at")?),
        ends_at: Millis(i64_col(row, "ends_at")?),
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

fn claim_row(row: &AnyRow) -> Result<ClaimRow> {
    Ok(ClaimRow {
        id: ClaimId(i64_col(row, "claim_id")?),
        coupon_id: CouponId(i64_col(row, "coupon_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        code: text(row, "code")?,
        claimed_at: Millis(i64_col(row, "claimed_at")?),
        redeemed_at: opt_i64(row, "redeemed_at")?.map(Millis),
        redeemed_by: opt_i64(row, "redeemed_by")?.map(UserId),
    })
}

fn wallet_row(row: &AnyRow) -> Result<WalletRow> {
    Ok(WalletRow {
        claim: claim_row(row)?,
        coupon: coupon_row(row)?,
        shop_name: text(row, "shop_name")?,
    })
}

#[async_trait]
impl CouponRepo for SqlStore {
    async fn create_coupon(&self, new: NewCoupon) -> Result<CouponRow> {
        let row = sqlx::query(
            "INSERT INTO coupons (shop_id, title, description, quantity, per_person, regulars_only, starts_at, \
             ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, shop_id, title, description, quantity, claimed, per_person, regulars_only, \
             starts_at, ends_at, created_at",
        )
        .bind(new.shop_id.0)
        .bind(&new.title)
        .bind(&new.description)
        .bind(new.quantity)
        .bind(new.per_person)
        .bind(i64::from(new.regulars_only))
        .bind(new.starts_at.0)
        .bind(new.ends_at.0)
        .bind(new.at.0)
        .fetch_one(self.pool())
        .await?;
        coupon_row(&row)
    }

    async fn coupon(&self, id: CouponId) -> Result<Option<CouponRow>> {
        let sql = format!("SELECT {COUPON_COLS} FROM coupons c WHERE c.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(coupon_row).transpose()
    }

    async fn coupons_of_shop(&self, shop: ShopId) -> Result<Vec<CouponRow>> {
        let sql = format!("SELECT {COUPON_COLS} FROM coupons c WHERE c.shop_id = $1 ORDER BY c.id DESC");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(shop.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(coupon_row).collect()
    }

    async fn claimed_counts(&self, user: UserId, coupons: &[CouponId]) -> Result<Vec<(CouponId, i64)>> {
        if coupons.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT coupon_id, COUNT(*) AS n FROM coupon_claims WHERE user_id = $1 AND coupon_id IN ({}) \
             GROUP BY coupon_id",
            crate::accounts::placeholders(2, coupons.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(user.0);
        for c in coupons {
            q = q.bind(c.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((CouponId(i64_col(r, "coupon_id")?), i64_col(r, "n")?)))
            .collect()
    }

    async fn claim_coupon(
        &self,
        coupon: CouponId,
        user: UserId,
        per_person: i64,
        code: &str,
        at: Millis,
    ) -> Result<ClaimRow> {
        let mut tx = self.begin_write().await?;
        // Takes the coupon's row lock; a concurrent claim waits here and
        // then sees this one's count.
        let moved = sqlx::query(
            "UPDATE coupons SET claimed = claimed + 1 WHERE id = $1 AND claimed < quantity RETURNING claimed",
        )
        .bind(coupon.0)
        .fetch_optional(&mut *tx)
        .await?;
        if moved.is_none() {
            let exists = sqlx::query("SELECT id FROM coupons WHERE id = $1")
                .bind(coupon.0)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if exists.is_some() {
                StoreError::Exhausted
            } else {
                StoreError::NotFound
            });
        }
        let held =
            sqlx::query("SELECT COUNT(*) AS n FROM coupon_claims WHERE coupon_id = $1 AND user_id = $2")
                .bind(coupon.0)
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
        if i64_col(&held, "n")? >= per_person {
            return Err(StoreError::Conflict("per_person"));
        }
        let row = sqlx::query(
            "INSERT INTO coupon_claims (coupon_id, user_id, code, claimed_at) VALUES ($1, $2, $3, $4) \
             RETURNING id AS claim_id, coupon_id, user_id, code, claimed_at, redeemed_at, redeemed_by",
        )
        .bind(coupon.0)
        .bind(user.0)
        .bind(code)
        .bind(at.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::conflict("code"))?;
        let claim = claim_row(&row)?;
        tx.commit().await?;
        Ok(claim)
    }

    async fn wallet(&self, user: UserId) -> Result<Vec<WalletRow>> {
        let sql = format!(
            "SELECT {CLAIM_COLS}, {COUPON_COLS}, s.name AS shop_name FROM coupon_claims k \
             JOIN coupons c ON c.id = k.coupon_id JOIN shops s ON s.id = c.shop_id \
             WHERE k.user_id = $1 ORDER BY k.id DESC"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(wallet_row).collect()
    }

    async fn claim_by_code(&self, shop: ShopId, code: &str) -> Result<Option<WalletRow>> {
        let sql = format!(
            "SELECT {CLAIM_COLS}, {COUPON_COLS}, s.name AS shop_name FROM coupon_claims k \
             JOIN coupons c ON c.id = k.coupon_id JOIN shops s ON s.id = c.shop_id \
             WHERE k.code = $1 AND c.shop_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(code)
            .bind(shop.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(wallet_row).transpose()
    }

    async fn redeem_claim(&self, claim: ClaimId, by: UserId, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE coupon_claims SET redeemed_at = $2, redeemed_by = $3 WHERE id = $1 AND redeemed_at IS NULL",
        )
        .bind(claim.0)
        .bind(at.0)
        .bind(by.0)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(done > 0)
    }
}
