//! Coupons: a shop issues them with a quantity, a validity window, a
//! per-person limit and optionally for regulars only; people claim them
//! into their wallet (never more than issued, whatever the concurrency:
//! see the store); the shop redeems a claim once, by the code the customer
//! shows.

use crate::{Core, Error, Result, Session};
use madang_store::{CouponRow, StoreError, WalletRow};
use madang_types::local::{ClaimedCoupon, Coupon, CreateCouponRequest, Redemption};
use madang_types::{CouponId, ShopId};
use rand::Rng;
use std::collections::HashMap;

/// Letters and digits that cannot be misread for each other (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A code as a person might type it: any case, with spaces or dashes.
fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn coupon_view(row: &CouponRow, claimed_by_me: i64) -> Coupon {
    Coupon {
        id: row.id,
        shop_id: row.shop_id,
        title: row.title.clone(),
        description: row.description.clone(),
        quantity: row.quantity,
        remaining: (row.quantity - row.claimed).max(0),
        per_person: row.per_person,
        regulars_only: row.regulars_only,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        claimed_by_me,
    }
}

fn wallet_view(w: &WalletRow, claimed_by_me: i64) -> ClaimedCoupon {
    ClaimedCoupon {
        id: w.claim.id,
        coupon: coupon_view(&w.coupon, claimed_by_me),
        shop_name: w.shop_name.clone(),
        code: w.claim.code.clone(),
        claimed_at: w.claim.claimed_at,
        redeemed_at: w.claim.redeemed_at,
    }
}

impl Core {
    /// The shop, with the caller checked as one of its business's agents.
    async fn shop_agent(&self, me: &Session, shop: ShopId) -> Result<madang_store::ShopRow> {
        let row = self.repos.shop(shop).await?.ok_or(Error::NotFound("shop"))?;
        if self.repos.agent_role(row.business_id, me.user).await?.is_none() {
            return Err(Error::refused(
                "not_agent",
                "only the shop's business may do this",
            ));
        }
        Ok(row)
    }

    pub async fn create_coupon(
        &self,
        me: &Session,
        shop: ShopId,
        req: CreateCouponRequest,
    ) -> Result<Coupon> {
        self.shop_agent(me, shop).await?;
        let title = crate::openchat::rules::line(&req.title, 50)
            .ok_or_else(|| Error::invalid("invalid_title", "a coupon title is 1–50 characters"))?;
        let description = super::text_up_to(&req.description, 500, "invalid_description")?;
        let max = self.limits.max_coupon_quantity;
        if !(1..=max).contains(&req.quantity) {
            return Err(Error::invalid(
                "invalid_quantity",
                format!("the quantity is 1–{max}"),
            ));
        }
        let per_person = req.per_person.unwrap_or(1);
        if !(1..=req.quantity).contains(&per_person) {
            return Err(Error::invalid(
                "invalid_per_person",
                "each person may claim 1 up to the quantity",
            ));
        }
        let now = self.now();
        let starts_at = req.starts_at.unwrap_or(now);
        if req.ends_at <= starts_at || req.ends_at <= now {
            return Err(Error::invalid(
                "invalid_window",
                "a coupon ends after it starts, and in the future",
            ));
        }
        let row = self
            .repos
            .create_coupon(madang_store::NewCoupon {
                shop_id: shop,
                title,
                description,
                quantity: req.quantity,
                per_person,
                regulars_only: req.regulars_only,
                starts_at,
                ends_at: req.ends_at,
                at: now,
            })
            .await?;
        Ok(coupon_view(&row, 0))
    }

    /// A shop's coupons: those running or about to, for everyone; every
    /// one, ended too, for the shop's own agents.
    pub async fn shop_coupons(&self, me: &Session, shop: ShopId) -> Result<Vec<Coupon>> {
        let row = self.repos.shop(shop).await?.ok_or(Error::NotFound("shop"))?;
        let agent = self.repos.agent_role(row.business_id, me.user).await?.is_some();
        let now = self.now();
        let rows: Vec<CouponRow> = self
            .repos
            .coupons_of_shop(shop)
            .await?
            .into_iter()
            .filter(|c| agent || c.ends_at > now)
            .collect();
        let ids: Vec<CouponId> = rows.iter().map(|c| c.id).collect();
        let mine: HashMap<CouponId, i64> = self
            .repos
            .claimed_counts(me.user, &ids)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .iter()
            .map(|c| coupon_view(c, mine.get(&c.id).copied().unwrap_or(0)))
            .collect())
    }

    /// Claims one copy of a coupon into the caller's wallet.
    pub async fn claim_coupon(&self, me: &Session, id: CouponId) -> Result<ClaimedCoupon> {
        let coupon = self.repos.coupon(id).await?.ok_or(Error::NotFound("coupon"))?;
        let now = self.now();
        if now < coupon.starts_at {
            return Err(Error::refused(
                "coupon_not_started",
                "this coupon cannot be claimed yet",
            ));
        }
        if now >= coupon.ends_at {
            return Err(Error::refused("coupon_expired", "this coupon has ended"));
        }
        if coupon.regulars_only
            && self
                .repos
                .regular_of(me.user, &[coupon.shop_id])
                .await?
                .is_empty()
        {
            return Err(Error::refused(
                "regulars_only",
                "this coupon is for the shop's regulars; become one first",
            ));
        }
        let mut attempt = 0;
        let claim = loop {
            match self
                .repos
                .claim_coupon(id, me.user, coupon.per_person, &new_code(), now)
                .await
            {
                Err(StoreError::Conflict("code")) if attempt < 3 => attempt += 1,
                Err(StoreError::Exhausted) => {
                    return Err(Error::Conflict {
                        code: "coupon_exhausted",
                        message: "all of these coupons have been claimed".into(),
                    });
                }
                Err(StoreError::Conflict("per_person")) => {
                    return Err(Error::Conflict {
                        code: "claim_limit",
                        message: format!("each person may claim {} of these", coupon.per_person),
                    });
                }
                other => break other?,
            }
        };
        metrics::counter!("madang_coupon_claims_total").increment(1);
        let wallet = self
            .repos
            .claim_by_code(coupon.shop_id, &claim.code)
            .await?
            .ok_or(Error::NotFound("coupon"))?;
        let held = self.repos.claimed_counts(me.user, &[id]).await?;
        Ok(wallet_view(&wallet, held.first().map_or(1, |(_, n)| *n)))
    }

    /// The caller's coupons, newest first.
    pub async fn wallet(&self, me: &Session) -> Result<Vec<ClaimedCoupon>> {
        let rows = self.repos.wallet(me.user).await?;
        let mut held: HashMap<CouponId, i64> = HashMap::new();
        for w in &rows {
            *held.entry(w.coupon.id).or_default() += 1;
        }
        Ok(rows
            .iter()
            .map(|w| wallet_view(w, held.get(&w.coupon.id).copied().unwrap_or(0)))
            .collect())
    }

    /// The shop checks the code a customer shows and redeems that claim,
    /// once.
    pub async fn redeem_coupon(&self, me: &Session, shop: ShopId, code: &str) -> Result<Redemption> {
        self.shop_agent(me, shop).await?;
        let code = normalise_code(code);
        let found = self
            .repos
            .claim_by_code(shop, &code)
            .await?
            .ok_or(Error::NotFound("coupon_code"))?;
        let now = self.now();
        if now >= found.coupon.ends_at {
            return Err(Error::refused("coupon_expired", "this coupon has ended"));
        }
        if !self.repos.redeem_claim(found.claim.id, me.user, now).await? {
            return Err(Error::Conflict {
                code: "already_redeemed",
                message: "this coupon was used already".into(),
            });
        }
        metrics::counter!("madang_coupon_redemptions_total").increment(1);
        Ok(Redemption {
            claim_id: found.claim.id,
            coupon_id: found.coupon.id,
            title: found.coupon.title,
            redeemed_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unambiguous_and_typed_codes_are_normalised() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(normalise_code(" abcd-efgh "), "ABCDEFGH");
    }
}
