//! Earnings of open chat hosts: subscription tiers (`subscriptions.rs`),
//! ads placed in open chats (`ads.rs`), and the statement a host reads.
//!
//! Money moves only as balanced ledger transactions in integer minor
//! units. The accounts:
//! - `provider:{name}`: what the payment provider collected for us
//!   (negative: money that came in from outside);
//! - `advertisers`: what advertisers prepaid (negative, likewise);
//! - `ad:{key}`: one ad's prepaid budget, never below zero;
//! - `host:{user}`: what a host has earned;
//! - `platform:revenue`: the operator's share.

pub mod ads;
pub mod payments;
pub mod subscriptions;

use crate::{Core, Error, Result, Session};
use madang_store::{NewTxn, Posting};
use madang_types::earnings::{Earnings, EarningsLine, EarningsMonth, LedgerAudit, RoomEarnings};
use madang_types::{Millis, OpenChatId, UserId};
use std::collections::BTreeMap;

pub const PLATFORM_ACCOUNT: &str = "platform:revenue";
pub const ADVERTISERS_ACCOUNT: &str = "advertisers";

pub fn host_account(host: UserId) -> String {
    format!("host:{}", host.0)
}

/// `YYYY-MM` of a moment, UTC: the month a transaction is reported in.
pub fn month_of(at: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

/// Splits `amount` into the host's `percent` (rounded down) and the rest.
pub fn split(amount: i64, percent: i64) -> (i64, i64) {
    let host = i64::try_from(i128::from(amount) * i128::from(percent.clamp(0, 100)) / 100).unwrap_or(0);
    (host, amount - host)
}

/// A payment out of `from`, shared between a host and the operator. Zero
/// shares leave no entry. The caller may add a memo.
pub(crate) fn shared_payment(
    kind: &'static str,
    key: String,
    chat: OpenChatId,
    from: Posting,
    host: UserId,
    host_percent: i64,
    at: Millis,
) -> NewTxn {
    let amount = -from.amount;
    let (to_host, to_platform) = split(amount, host_percent);
    let mut postings = vec![from];
    for (account, share) in [
        (host_account(host), to_host),
        (PLATFORM_ACCOUNT.to_owned(), to_platform),
    ] {
        if share != 0 {
            postings.push(Posting {
                account,
                may_go_negative: false,
                amount: share,
            });
        }
    }
    NewTxn {
        kind,
        idempotency_key: Some(key),
        open_chat_id: Some(chat),
        month: month_of(at),
        memo: String::new(),
        postings,
        at,
    }
}

/// Folds statement lines into months, newest first.
fn months_of<'a>(lines: impl Iterator<Item = &'a madang_store::StatementLine>) -> Vec<EarningsMonth> {
    let mut by_month: BTreeMap<String, BTreeMap<String, (i64, i64)>> = BTreeMap::new();
    for l in lines {
        let e = by_month
            .entry(l.month.clone())
            .or_default()
            .entry(l.kind.clone())
            .or_default();
        e.0 += l.count;
        e.1 += l.amount;
    }
    by_month
        .into_iter()
        .rev()
        .map(|(month, kinds)| {
            let lines: Vec<EarningsLine> = kinds
                .into_iter()
                .map(|(kind, (count, amount))| EarningsLine { kind, count, amount })
                .collect();
            EarningsMonth {
                month,
                total: lines.iter().map(|l| l.amount).sum(),
                lines,
            }
        })
        .collect()
}

impl Core {
    /// What the caller has earned as a host: per month, and per open chat
    /// and month.
    pub async fn earnings(&self, me: &Session) -> Result<Earnings> {
        let account = host_account(me.user);
        let lines = self.repos.statement(&account).await?;
        let mut chats: Vec<OpenChatId> = lines.iter().filter_map(|l| l.open_chat_id).collect();
        chats.sort();
        chats.dedup();
        let mut open_chats = Vec::with_capacity(chats.len());
        for id in chats {
            let title = match self.repos.open_chat(id).await? {
                Some(c) => c.title,
                None => String::new(),
            };
            let months = months_of(lines.iter().filter(|l| l.open_chat_id == Some(id)));
            open_chats.push(RoomEarnings {
                open_chat_id: id,
                title,
                total: months.iter().map(|m| m.total).sum(),
                months,
            });
        }
        open_chats.sort_by(|a, b| b.total.cmp(&a.total).then(a.open_chat_id.cmp(&b.open_chat_id)));
        Ok(Earnings {
            currency: self.limits.currency.clone(),
            balance: self.repos.balance(&account).await?,
            months: months_of(lines.iter()),
            open_chats,
        })
    }

    /// One open chat's earnings, for its host.
    pub async fn open_chat_earnings(&self, me: &Session, id: OpenChatId) -> Result<RoomEarnings> {
        let chat = self.hosted_chat(me, id).await?;
        let all = self.earnings(me).await?;
        Ok(all
            .open_chats
            .into_iter()
            .find(|r| r.open_chat_id == id)
            .unwrap_or(RoomEarnings {
                open_chat_id: id,
                title: chat.title,
                total: 0,
                months: Vec::new(),
            }))
    }

    /// An open chat the caller hosts (only the host handles its money).
    pub(crate) async fn hosted_chat(
        &self,
        me: &Session,
        id: OpenChatId,
    ) -> Result<madang_store::OpenChatRow> {
        let chat = self
            .repos
            .open_chat(id)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        if chat.host_id != me.user {
            let hidden = chat.visibility == madang_types::openchat::Visibility::Link;
            if hidden && self.my_open_membership(me, &chat).await?.is_none() {
                return Err(Error::NotFound("open_chat"));
            }
            return Err(Error::refused("not_host", "only the host may do this"));
        }
        Ok(chat)
    }

    /// The ledger's self-check, for operators.
    pub async fn audit_ledger(&self, who: &crate::safety::Authority) -> Result<LedgerAudit> {
        self.operator(who).await?;
        let a = self.repos.audit_ledger().await?;
        Ok(LedgerAudit {
            clean: a.is_clean(),
            transactions: a.transactions,
            entries: a.entries,
            unbalanced: a.unbalanced,
            mismatched: a.mismatched,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc() {
        assert_eq!(month_of(Millis(0)), "1970-01");
        // 2026-11-30T23:59:59Z and a second later.
        assert_eq!(month_of(Millis(1_796_083_199_000)), "2026-11");
        assert_eq!(month_of(Millis(1_796_083_200_000)), "2026-12");
    }

    #[test]
    fn shares_round_down_for_the_host_and_always_add_up() {
        assert_eq!(split(4_900, 80), (3_920, 980));
        assert_eq!(split(3, 50), (1, 2));
        assert_eq!(split(1, 0), (0, 1));
        assert_eq!(split(7, 100), (7, 0));
        for amount in [0, 1, 2, 999, 1_000_001, i64::MAX / 2] {
            for percent in [0, 1, 33, 50, 99, 100] {
                let (h, p) = split(amount, percent);
                assert_eq!(h + p, amount);
                assert!(h >= 0 && p >= 0);
            }
        }
    }

    #[test]
    fn a_shared_payment_balances_and_drops_zero_shares() {
        let from = Posting {
            account: "ad:x".into(),
            may_go_negative: false,
            amount: -3,
        };
        let txn = shared_payment(
            "ad_impression",
            "k".into(),
            OpenChatId(1),
            from.clone(),
            UserId(9),
            50,
            Millis(0),
        );
        assert_eq!(txn.postings.iter().map(|p| p.amount).sum::<i64>(), 0);
        assert_eq!(txn.postings.len(), 3);
        let txn = shared_payment(
            "ad_impression",
            "k".into(),
            OpenChatId(1),
            from,
            UserId(9),
            0,
            Millis(0),
        );
        assert_eq!(txn.postings.len(), 2);
    }
}
