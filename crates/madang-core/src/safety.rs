//! Safety: members report messages and open chats; reports wait in the
//! operators' queue (API and `madang admin`); operators suspend accounts
//! from open chats for 1–60 days or for good.
//!
//! Operators see who is behind a report (that is their job); nobody else
//! ever does, and the reporter is not told anything about the reported.

use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use madang_store::NewReport;
use madang_types::openchat::{Report, ReportRequest, ReportTarget, SuspendRequest, Suspension};
use madang_types::{Millis, ReportId, UserId};

const REASONS: &[&str] = &["spam", "abuse", "sexual", "illegal", "other"];

/// Who is acting as an operator.
#[derive(Clone, Copy, Debug)]
pub enum Authority {
    /// A signed-in account, which must be an operator.
    Operator(Session),
    /// `madang admin` on the server's own console (it holds the database).
    Console,
}

impl Core {
    /// The operator's account (none for the console), or `not_operator`.
    pub(crate) async fn operator(&self, who: &Authority) -> Result<Option<UserId>> {
        match who {
            Authority::Console => Ok(None),
            Authority::Operator(me) if self.repos.is_operator(me.user).await? => Ok(Some(me.user)),
            Authority::Operator(_) => Err(Error::refused("not_operator", "only operators may do this")),
        }
    }

    /// Handles of accounts, for operators.
    async fn handles_of(&self, ids: &[UserId]) -> Result<std::collections::HashMap<UserId, String>> {
        Ok(self
            .repos
            .users(ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u.handle))
            .collect())
    }

    /// Reports a message the caller can see, or an open chat they can find.
    pub async fn report(&self, me: &Session, req: ReportRequest) -> Result<()> {
        if !REASONS.contains(&req.reason.as_str()) {
            return Err(Error::invalid(
                "invalid_reason",
                format!("a reason is one of {}", REASONS.join(", ")),
            ));
        }
        if req.details.chars().count() > 1_000 {
            return Err(Error::TooLarge {
                what: "the details",
                limit: 1_000,
            });
        }
        self.rate
            .check(
                &format!("report:{}", me.user),
                Rate {
                    capacity: 20,
                    per_ms: 3_600_000,
                },
            )
            .await?;
        let (reported, excerpt) = match &req.target {
            ReportTarget::Message { room_id, seq } => {
                let member = self.membership(me, *room_id).await?;
                let m = self
                    .repos
                    .message(*room_id, *seq)
                    .await?
                    .filter(|m| m.seq >= member.joined_seq && m.deleted_at.is_none())
                    .ok_or(Error::NotFound("message"))?;
                if m.sender_id == member.shown_id {
                    return Err(Error::invalid(
                        "own_message",
                        "you cannot report your own message",
                    ));
                }
                self.repos
                    .message_origin(*room_id, m.seq)
                    .await?
                    .ok_or(Error::NotFound("message"))?
            }
            ReportTarget::OpenChat { open_chat_id } => {
                let chat = self
                    .repos
                    .open_chat(*open_chat_id)
                    .await?
                    .ok_or(Error::NotFound("open_chat"))?;
                // Found the way the caller could find it, or not at all.
                self.open_chat(me, chat.id).await?;
                if chat.host_id == me.user {
                    return Err(Error::invalid(
                        "own_open_chat",
                        "you cannot report your own open chat",
                    ));
                }
                (chat.host_id, format!("{}\n{}", chat.title, chat.description))
            }
        };
        let target = target_key(&req.target);
        self.repos
            .create_report(NewReport {
                reporter: me.user,
                reported,
                target,
                reason: req.reason,
                details: req.details.trim().to_owned(),
                excerpt,
                at: self.now(),
            })
            .await?;
        metrics::counter!("madang_reports_total").increment(1);
        Ok(())
    }

    /// The operators' queue: open reports, oldest first, with who is behind each.
    pub async fn open_reports(&self, who: &Authority) -> Result<Vec<Report>> {
        self.operator(who).await?;
        let rows = self.repos.open_reports(500).await?;
        let mut ids: Vec<UserId> = rows.iter().flat_map(|r| [r.reporter, r.reported]).collect();
        ids.sort();
        ids.dedup();
        let handles = self.handles_of(&ids).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Report {
                    id: r.id,
                    target: parse_target(&r.target)?,
                    reason: r.reason,
                    details: r.details,
                    reporter_handle: handles.get(&r.reporter).cloned().unwrap_or_default(),
                    reported_handle: handles.get(&r.reported).cloned().unwrap_or_default(),
                    reported_user_id: r.reported,
                    excerpt: r.excerpt,
                    created_at: r.created_at,
                    resolved_at: r.resolved_at,
                })
            })
            .collect()
    }

    pub async fn resolve_report(&self, who: &Authority, id: ReportId) -> Result<()> {
        let by = self.operator(who).await?.unwrap_or(UserId(0));
        if !self.repos.resolve_report(id, by, self.now()).await? {
            return Err(Error::NotFound("report"));
        }
        Ok(())
    }

    /// Suspends an account from open chats: it can neither join nor send
    /// there for `days` (1–60), or for good.
    pub async fn suspend(&self, who: &Authority, req: SuspendRequest) -> Result<Suspension> {
        let by = self.operator(who).await?.unwrap_or(UserId(0));
        let until = match req.days {
            Some(d) if (1..=60).contains(&d) => Some(Millis(self.now().0 + d * 86_400_000)),
            Some(_) => {
                return Err(Error::invalid(
                    "invalid_days",
                    "a suspension is 1–60 days, or for good",
                ));
            }
            None => None,
        };
        let user = self
            .repos
            .user(req.user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let reason = req.reason.trim().chars().take(500).collect::<String>();
        self.repos
            .suspend(user.id, until, &reason, by, self.now())
            .await?;
        Ok(Suspension {
            user_id: user.id,
            handle: user.handle,
            until,
            reason,
            created_at: self.now(),
        })
    }

    pub async fn lift_suspension(&self, who: &Authority, user: UserId) -> Result<()> {
        self.operator(who).await?;
        if !self.repos.lift_suspension(user).await? {
            return Err(Error::NotFound("suspension"));
        }
        Ok(())
    }

    pub async fn suspensions(&self, who: &Authority) -> Result<Vec<Suspension>> {
        self.operator(who).await?;
        let rows = self.repos.suspensions().await?;
        let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
        let handles = self.handles_of(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| Suspension {
                handle: handles.get(&r.user_id).cloned().unwrap_or_default(),
                user_id: r.user_id,
                until: r.until,
                reason: r.reason,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Makes an account an operator (console only).
    pub async fn grant_operator(&self, handle: &str) -> Result<UserId> {
        let user = self
            .repos
            .user_by_handle(&handle.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound("user"))?;
        self.repos.set_operator(user.id, true).await?;
        Ok(user.id)
    }

    /// An account's id by handle (for the console).
    pub async fn user_id_by_handle(&self, handle: &str) -> Result<UserId> {
        Ok(self
            .repos
            .user_by_handle(&handle.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound("user"))?
            .id)
    }
}

/// How a report's target is stored: `message:{room}:{seq}` or `open_chat:{id}`.
fn target_key(target: &ReportTarget) -> String {
    match target {
        ReportTarget::Message { room_id, seq } => format!("message:{room_id}:{seq}"),
        ReportTarget::OpenChat { open_chat_id } => format!("open_chat:{open_chat_id}"),
    }
}

fn parse_target(raw: &str) -> Result<ReportTarget> {
    let corrupt = || Error::Internal(format!("report target {raw:?}").into());
    let mut parts = raw.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("message"), Some(room), Some(seq)) => Ok(ReportTarget::Message {
            room_id: room.parse().map_err(|_| corrupt())?,
            seq: seq.parse().map_err(|_| corrupt())?,
        }),
        (Some("open_chat"), Some(id), None) => Ok(ReportTarget::OpenChat {
            open_chat_id: id.parse().map_err(|_| corrupt())?,
        }),
        _ => Err(corrupt()),
    }
}
