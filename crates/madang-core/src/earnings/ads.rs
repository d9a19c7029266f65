//! Ads in open chats: operators define sponsored messages and banners,
//! targeted by category and hashtag and paid from a prepaid budget; a
//! member of a group open chat is placed one ad at a time; an impression
//! and a click each count once and pay the host their share.
//!
//! Nobody is shown ads in an open chat they host (a host's own views
//! would pay the host), and 1:1 open chats carry none.

use super::{ADVERTISERS_ACCOUNT, month_of, shared_payment};
use crate::openchat::rules;
use crate::safety::Authority;
use crate::{Core, Error, Result, Session};
use madang_store::{AdRow, ImpressionOutcome, NewAd, NewTxn, PlacementRow, Posting, StoreError};
use madang_types::earnings::{Ad, AdClick, AdCount, AdPlacement, CreateAdRequest};
use madang_types::{AdId, Millis, PlacementId, RoomId, UserId};
use rand::Rng;
use rand::seq::IndexedRandom;

/// Placements one person may be given per minute.
const PLACEMENTS_PER_MINUTE: u32 = 30;

/// How well an ad fits an open chat: each shared hashtag counts 2, the
/// category 1. `None` when the ad is targeted elsewhere; untargeted ads
/// fit everywhere with 0.
pub fn fit(ad: &AdRow, category: &str, hashtags: &[String]) -> Option<u32> {
    if ad.categories.is_empty() && ad.hashtags.is_empty() {
        return Some(0);
    }
    let tags = ad.hashtags.iter().filter(|t| hashtags.contains(t)).count() as u32;
    let cat = u32::from(ad.categories.iter().any(|c| c == category));
    let score = 2 * tags + cat;
    (score > 0).then_some(score)
}

fn check_text(raw: &str, what: &'static str, code: &'static str, min: usize, max: usize) -> Result<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(Error::invalid(code, format!("{what} is {min}–{max} characters")));
    }
    Ok(t.to_owned())
}

fn check_link(raw: &str) -> Result<String> {
    let t = raw.trim();
    let scheme_ok = t.starts_with("https://") || t.starts_with("http://");
    let rest = t.split_once("://").map_or("", |(_, r)| r);
    if !scheme_ok
        || rest.is_empty()
        || t.len() > 500
        || t.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid("invalid_link", "the link is an http(s) address"));
    }
    Ok(t.to_owned())
}

impl Core {
    fn ad_view(&self, a: &AdRow) -> Ad {
        let budget_spent = self.ad_spent(a);
        Ad {
            id: a.id,
            advertiser: a.advertiser.clone(),
            format: a.format,
            title: a.title.clone(),
            body: a.body.clone(),
            link: a.link.clone(),
            categories: a.categories.clone(),
            hashtags: a.hashtags.clone(),
            price_impression: a.price_impression,
            price_click: a.price_click,
            currency: self.limits.currency.clone(),
            remaining: a.remaining,
            spent: budget_spent,
            impressions: a.impressions,
            clicks: a.clicks,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            paused: a.paused_at.is_some(),
        }
    }

    fn ad_spent(&self, a: &AdRow) -> i64 {
        a.impressions * a.price_impression + a.clicks * a.price_click
    }

    /// An operator defines an ad and funds its budget.
    pub async fn create_ad(&self, who: &Authority, req: CreateAdRequest) -> Result<Ad> {
        let by = self.operator(who).await?.unwrap_or(UserId(0));
        let advertiser = check_text(
            &req.advertiser,
            "the advertiser's name",
            "invalid_advertiser",
            1,
            50,
        )?;
        let title = check_text(&req.title, "an ad's title", "invalid_title", 1, 40)?;
        let body = check_text(&req.body, "an ad's text", "invalid_body", 0, 200)?;
        let link = check_link(&req.link)?;
        let categories = req
            .categories
            .iter()
            .map(|c| rules::check_category(c))
            .collect::<Result<Vec<_>>>()?;
        let hashtags = rules::check_hashtags(&req.hashtags)?;
        if req.price_impression < 1 || req.price_click < 1 {
            return Err(Error::invalid(
                "invalid_price",
                "an impression and a click each cost at least 1",
            ));
        }
        if req.budget < req.price_impression || req.budget > 1_000_000_000_000 {
            return Err(Error::invalid(
                "invalid_budget",
                "the budget pays for at least one impression",
            ));
        }
        let now = self.now();
        let starts_at = req.starts_at.unwrap_or(now);
        if req.ends_at.is_some_and(|e| e <= starts_at) {
            return Err(Error::invalid("invalid_window", "an ad ends after it starts"));
        }
        let account = format!("ad:{:016x}", rand::rng().random::<u64>());
        let funding = NewTxn {
            kind: "ad_funding",
            idempotency_key: None,
            open_chat_id: None,
            month: month_of(now),
            memo: format!("{advertiser}: {title}"),
            postings: vec![
                Posting {
                    account: ADVERTISERS_ACCOUNT.into(),
                    may_go_negative: true,
                    amount: -req.budget,
                },
                Posting {
                    account: account.clone(),
                    may_go_negative: false,
                    amount: req.budget,
                },
            ],
            at: now,
        };
        let row = self
            .repos
            .create_ad(NewAd {
                advertiser,
                format: req.format,
                title,
                body,
                link,
                categories,
                hashtags,
                price_impression: req.price_impression,
                price_click: req.price_click,
                account,
                funding,
                starts_at,
                ends_at: req.ends_at,
                created_by: by,
                at: now,
            })
            .await?;
        Ok(self.ad_view(&row))
    }

    /// Every ad with its counts, for operators.
    pub async fn ads(&self, who: &Authority) -> Result<Vec<Ad>> {
        self.operator(who).await?;
        Ok(self.repos.ads().await?.iter().map(|a| self.ad_view(a)).collect())
    }

    pub async fn pause_ad(&self, who: &Authority, id: AdId, paused: bool) -> Result<Ad> {
        self.operator(who).await?;
        if !self.repos.pause_ad(id, paused.then(|| self.now())).await? {
            return Err(Error::NotFound("ad"));
        }
        let row = self.repos.ad(id).await?.ok_or(Error::NotFound("ad"))?;
        Ok(self.ad_view(&row))
    }

    /// An ad for the caller in a room, if one fits: the same one for a
    /// while, so that opening a room again does not cycle ads.
    pub async fn place_ad(&self, me: &Session, room: RoomId) -> Result<Option<AdPlacement>> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        let Some(chat_id) = row.open_chat_id else {
            return Ok(None);
        };
        let Some(chat) = self.repos.open_chat(chat_id).await? else {
            return Ok(None);
        };
        if chat.room_id != Some(room) || chat.closed_at.is_some() || chat.host_id == me.user {
            return Ok(None);
        }
        let now = self.now();
        let reuse_since = Millis(now.0 - self.limits.ad_placement_reuse_secs * 1000);
        if let Some(p) = self.repos.recent_placement(me.user, room, reuse_since).await?
            && let Some(ad) = self.repos.ad(p.ad_id).await?
            && ad.paused_at.is_none()
            && ad.ends_at.is_none_or(|e| e > now)
            && ad.remaining >= ad.price_impression
        {
            return Ok(Some(placement_view(&p, &ad)));
        }
        let rate = crate::ratelimit::Rate {
            capacity: PLACEMENTS_PER_MINUTE,
            per_ms: 60_000,
        };
        self.rate.check(&format!("ads:{}", me.user), rate).await?;
        let running = self.repos.running_ads(now).await?;
        let scored: Vec<(u32, &AdRow)> = running
            .iter()
            .filter_map(|a| fit(a, &chat.category, &chat.hashtags).map(|s| (s, a)))
            .collect();
        let Some(best) = scored.iter().map(|(s, _)| *s).max() else {
            return Ok(None);
        };
        let top: Vec<&AdRow> = scored
            .iter()
            .filter(|(s, _)| *s == best)
            .map(|(_, a)| *a)
            .collect();
        let Some(ad) = top.choose(&mut rand::rng()).copied() else {
            return Ok(None);
        };
        let p = self
            .repos
            .create_placement(PlacementRow {
                id: PlacementId(0),
                ad_id: ad.id,
                user_id: me.user,
                room_id: room,
                open_chat_id: chat.id,
                host_id: chat.host_id,
                created_at: now,
                impressed_at: None,
                clicked_at: None,
            })
            .await?;
        metrics::counter!("madang_ad_placements_total").increment(1);
        Ok(Some(placement_view(&p, ad)))
    }

    /// The caller's placement, still young enough to count.
    async fn my_placement(&self, me: &Session, id: PlacementId) -> Result<(PlacementRow, AdRow)> {
        let p = self
            .repos
            .placement(id)
            .await?
            .filter(|p| p.user_id == me.user)
            .ok_or(Error::NotFound("placement"))?;
        if self.now().0 - p.created_at.0 > self.limits.ad_placement_ttl_secs * 1000 {
            return Err(Error::refused(
                "placement_expired",
                "this ad was shown too long ago to count",
            ));
        }
        let ad = self.repos.ad(p.ad_id).await?.ok_or(Error::NotFound("ad"))?;
        Ok((p, ad))
    }

    fn ad_payment(&self, kind: &'static str, p: &PlacementRow, ad: &AdRow, price: i64) -> NewTxn {
        let from = Posting {
            account: ad.account.clone(),
            may_go_negative: false,
            amount: -price,
        };
        let mut txn = shared_payment(
            kind,
            format!("{kind}:{}", p.id.0),
            p.open_chat_id,
            from,
            p.host_id,
            self.limits.ad_host_share_percent,
            self.now(),
        );
        txn.memo = format!("ad {} in room {}", ad.id.0, p.room_id.0);
        txn
    }

    /// The caller saw the ad: counted and paid once.
    pub async fn ad_impression(&self, me: &Session, id: PlacementId) -> Result<AdCount> {
        let (p, ad) = self.my_placement(me, id).await?;
        let payment = self.ad_payment("ad_impression", &p, &ad, ad.price_impression);
        let outcome = self.repos.count_impression(id, self.now(), payment).await;
        let counted = self.ad_outcome(outcome, "impression")?;
        Ok(AdCount { counted })
    }

    /// The caller opened the ad: counted and paid once (with its impression
    /// if that was not reported). Returns where to go.
    pub async fn ad_click(&self, me: &Session, id: PlacementId) -> Result<AdClick> {
        let (p, ad) = self.my_placement(me, id).await?;
        if p.impressed_at.is_none() {
            self.ad_impression(me, id).await?;
        }
        let payment = self.ad_payment("ad_click", &p, &ad, ad.price_click);
        let outcome = self.repos.count_click(id, self.now(), payment).await;
        let counted = self.ad_outcome(outcome, "click")?;
        Ok(AdClick {
            link: ad.link,
            counted,
        })
    }

    fn ad_outcome(
        &self,
        outcome: madang_store::Result<ImpressionOutcome>,
        what: &'static str,
    ) -> Result<bool> {
        match outcome {
            Ok(ImpressionOutcome::Counted) => {
                metrics::counter!("madang_ad_events_total", "event" => what).increment(1);
                Ok(true)
            }
            Ok(ImpressionOutcome::BudgetSpent) => {
                metrics::counter!("madang_ad_budget_spent_total", "event" => what).increment(1);
                Ok(false)
            }
            Ok(ImpressionOutcome::AlreadyCounted | ImpressionOutcome::NotShown) => Ok(false),
            Err(StoreError::NotFound) => Err(Error::NotFound("placement")),
            Err(e) => Err(e.into()),
        }
    }
}

fn placement_view(p: &PlacementRow, ad: &AdRow) -> AdPlacement {
    AdPlacement {
        id: p.id,
        format: ad.format,
        advertiser: ad.advertiser.clone(),
        title: ad.title.clone(),
        body: ad.body.clone(),
        link: ad.link.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use madang_types::earnings::AdFormat;

    fn ad(categories: &[&str], hashtags: &[&str]) -> AdRow {
        AdRow {
            id: AdId(1),
            advertiser: "a".into(),
            format: AdFormat::Banner,
            title: "t".into(),
            body: String::new(),
            link: "https://example.test".into(),
            categories: categories.iter().map(|s| (*s).to_owned()).collect(),
            hashtags: hashtags.iter().map(|s| (*s).to_owned()).collect(),
            price_impression: 1,
            price_click: 1,
            account: "ad:x".into(),
            remaining: 10,
            starts_at: Millis(0),
            ends_at: None,
            paused_at: None,
            impressions: 0,
            clicks: 0,
        }
    }

    #[test]
    fn hashtags_fit_better_than_a_category_and_elsewhere_does_not_fit() {
        let tags = vec!["등산".to_owned(), "서울".to_owned()];
        assert_eq!(fit(&ad(&[], &[]), "sports", &tags), Some(0));
        assert_eq!(fit(&ad(&["sports"], &[]), "sports", &tags), Some(1));
        assert_eq!(fit(&ad(&[], &["등산"]), "travel", &tags), Some(2));
        assert_eq!(fit(&ad(&["sports"], &["등산", "서울"]), "sports", &tags), Some(5));
        assert_eq!(fit(&ad(&["food"], &["맛집"]), "sports", &tags), None);
    }

    #[test]
    fn links_must_be_web_addresses() {
        assert!(check_link("https://shop.example/sale?x=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "https://a b",
            "example.com",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }
}
