//! Scheduled messages: written now, sent at a chosen time (at least
//! `schedule_min_lead_secs`, at most `schedule_max_lead_secs` ahead) as
//! an ordinary message that takes its seq when it goes out.
//!
//! Delivery is a job on every node: each claims the due rows for a lease
//! (so one node sends each), and sends through [`Core::send_message`] with
//! the row's own unguessable client id, so a node that dies mid-send and
//! a successor that claims the row again after the lease store one
//! message, not two (invariant 3). A send refused for good ends the row
//! as failed (with the refusal's code), one that may pass later (a rate
//! limit, a failing database) is tried again; a writer who is no longer in
//! the room has it cancelled, and is told, as for every change, by a
//! `scheduled_changed` frame on each of their devices.

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{NewScheduled, ScheduledRow, StoreError};
use madang_types::api::{Message, SendMessageRequest};
use madang_types::scheduled::{
    ScheduleRequest, ScheduledList, ScheduledMessage, ScheduledState, ScheduledUpdate,
};
use madang_types::{ClientMsgId, Millis, RoomId, ScheduledId};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a node holds a claimed row before another may take it over.
const LEASE_MS: i64 = 60_000;
/// Due rows claimed per pass.
const BATCH: i64 = 50;
/// Cancelled and refused ones stay in the list of all this long.
const ENDED_SHOWN_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// When a send that may pass later is tried again, without a hint.
const RETRY_MS: i64 = 5_000;

fn shown(r: ScheduledRow) -> ScheduledMessage {
    ScheduledMessage {
        id: r.id,
        room_id: r.room_id,
        text: r.text,
        reply_to: r.reply_to,
        mentions: r.mentions,
        attachment: r.attachment,
        send_at: r.send_at,
        state: r.state,
        reason: r.reason,
        sent_seq: r.sent_seq,
        created_at: r.created_at,
    }
}

/// Store errors of an edit, a cancel or a send-now, in the writer's terms.
fn not_editable(e: StoreError) -> Error {
    match e {
        StoreError::NotFound => Error::NotFound("scheduled"),
        StoreError::Conflict(_) => Error::Conflict {
            code: "scheduled_not_pending",
            message: "it was already sent or cancelled, or is being sent".into(),
        },
        other => other.into(),
    }
}

impl Core {
    pub async fn schedule_message(
        &self,
        me: &Session,
        room: RoomId,
        req: ScheduleRequest,
    ) -> Result<ScheduledMessage> {
        let member = self.membership(me, room).await?;
        self.check_text(&req.text)?;
        self.check_lead(req.send_at)?;
        if let Some(id) = &req.attachment {
            self.attachment(me, id).await?;
        }
        if req.text.trim().is_empty() && req.attachment.is_none() {
            return Err(Error::invalid(
                "empty_message",
                "a message needs text or an attachment",
            ));
        }
        if let Some(target) = req.reply_to
            && (target < member.joined_seq || self.repos.message(room, target).await?.is_none())
        {
            return Err(Error::NotFound("message"));
        }
        // A banned word is said now, not only when its time comes.
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind.is_open() {
            self.check_open_text(me, &row, &req.text).await?;
        }
        let token: u128 = rand::rng().random();
        let made = self
            .repos
            .schedule(
                NewScheduled {
                    room_id: room,
                    user_id: me.user,
                    device_id: me.device,
                    client_id: format!("sched-{token:032x}"),
                    text: req.text,
                    reply_to: req.reply_to,
                    mentions: req.mentions,
                    attachment: req.attachment,
                    send_at: req.send_at,
                    at: self.now(),
                },
                self.limits.max_scheduled_pending,
            )
            .await?
            .ok_or_else(|| Error::Conflict {
                code: "scheduled_limit",
                message: format!(
                    "at most {} scheduled messages may wait at once",
                    self.limits.max_scheduled_pending
                ),
            })?;
        Ok(self.tell_scheduled(made).await)
    }

    /// The caller's pending messages in `room`.
    pub async fn scheduled_in_room(&self, me: &Session, room: RoomId) -> Result<ScheduledList> {
        self.membership(me, room).await?;
        let rows = self.repos.scheduled_of(me.user, Some(room), None).await?;
        Ok(self.scheduled_list(rows))
    }

    /// All the caller's pending messages, and those cancelled or refused in
    /// the last week.
    pub async fn my_scheduled(&self, me: &Session) -> Result<ScheduledList> {
        let since = Millis(self.now().0 - ENDED_SHOWN_MS);
        let rows = self.repos.scheduled_of(me.user, None, Some(since)).await?;
        Ok(self.scheduled_list(rows))
    }

    pub async fn update_scheduled(
        &self,
        me: &Session,
        id: ScheduledId,
        req: ScheduledUpdate,
    ) -> Result<ScheduledMessage> {
        if let Some(text) = &req.text {
            self.check_text(text)?;
        }
        if let Some(at) = req.send_at {
            self.check_lead(at)?;
        }
        if let Some(text) = &req.text {
            let pending = self.repos.scheduled_of(me.user, None, None).await?;
            if let Some(current) = pending.iter().find(|r| r.id == id) {
                if text.trim().is_empty() && current.attachment.is_none() {
                    return Err(Error::invalid(
                        "empty_message",
                        "a message needs text or an attachment",
                    ));
                }
                let row = self
                    .repos
                    .room(current.room_id)
                    .await?
                    .ok_or(Error::NotFound("room"))?;
                if row.kind.is_open() {
                    self.check_open_text(me, &row, text).await?;
                }
            }
        }
        let fresh = self
            .repos
            .update_scheduled(me.user, id, req.text.as_deref(), req.send_at, self.now())
            .await
            .map_err(not_editable)?;
        Ok(self.tell_scheduled(fresh).await)
    }

    pub async fn cancel_scheduled(&self, me: &Session, id: ScheduledId) -> Result<ScheduledMessage> {
        let done = self
            .repos
            .cancel_scheduled(me.user, id, "cancelled", self.now())
            .await
            .map_err(not_editable)?;
        Ok(self.tell_scheduled(done).await)
    }

    /// Sends it now instead of at its time; a refusal is the send's own.
    pub async fn send_scheduled_now(&self, me: &Session, id: ScheduledId) -> Result<Message> {
        let now = self.now();
        let row = self
            .repos
            .claim_scheduled(me.user, id, now, Millis(now.0 + LEASE_MS))
            .await
            .map_err(not_editable)?;
        self.deliver_scheduled(row).await
    }

    /// The writer left `room` (or was removed): their messages waiting for
    /// it are cancelled, and they are told.
    pub(crate) async fn cancel_scheduled_in(&self, user: madang_types::UserId, room: RoomId) -> Result<()> {
        for row in self
            .repos
            .cancel_room_scheduled(user, room, "left", self.now())
            .await?
        {
            self.tell_scheduled(row).await;
        }
        Ok(())
    }

    /// One pass of the job: sends what is due.
    pub async fn send_due_scheduled(&self) -> Result<usize> {
        let now = self.now();
        let due = self
            .repos
            .claim_due_scheduled(now, Millis(now.0 + LEASE_MS), BATCH)
            .await?;
        let n = due.len();
        for row in due {
            let id = row.id;
            if let Err(e) = self.deliver_scheduled(row).await {
                tracing::debug!(error = %e, scheduled = %id, "scheduled message not sent");
            }
        }
        Ok(n)
    }

    /// Sends a claimed row and ends it as its outcome says.
    async fn deliver_scheduled(&self, row: ScheduledRow) -> Result<Message> {
        let writer = Session {
            user: row.user_id,
            device: row.device_id,
            bot: false,
        };
        let req = SendMessageRequest {
            client_id: ClientMsgId(row.client_id.clone()),
            text: row.text.clone(),
            reply_to: row.reply_to,
            mentions: row.mentions.clone(),
            attachment: row.attachment.clone(),
            voice: None,
            thread_root: None,
            buttons: Vec::new(),
        };
        match self.send_message(&writer, row.room_id, req).await {
            Ok(sent) => {
                let done = self
                    .repos
                    .finish_scheduled(row.id, ScheduledState::Sent, Some(sent.seq), None, self.now())
                    .await?;
                self.tell_scheduled(done).await;
                Ok(sent)
            }
            Err(e) if e.is_transient() => {
                let wait = match &e {
                    Error::RateLimited { retry_after_ms } | Error::Flooding { retry_after_ms, .. } => {
                        *retry_after_ms
                    }
                    _ => RETRY_MS,
                };
                self.repos
                    .release_scheduled(row.id, Millis(self.now().0 + wait.max(1_000)))
                    .await?;
                Err(e)
            }
            Err(e) => {
                let (state, reason) = match &e {
                    Error::NotMember => (ScheduledState::Cancelled, "left".to_string()),
                    other => (ScheduledState::Failed, other.code()),
                };
                let done = self
                    .repos
                    .finish_scheduled(row.id, state, None, Some(&reason), self.now())
                    .await?;
                self.tell_scheduled(done).await;
                Err(e)
            }
        }
    }

    fn check_lead(&self, at: Millis) -> Result<()> {
        let lead = at.0.saturating_sub(self.now().0);
        if lead < self.limits.schedule_min_lead_secs * 1000 {
            return Err(Error::invalid(
                "schedule_too_soon",
                format!(
                    "a message is scheduled at least {} s ahead",
                    self.limits.schedule_min_lead_secs
                ),
            ));
        }
        if lead > self.limits.schedule_max_lead_secs * 1000 {
            return Err(Error::invalid(
                "schedule_too_far",
                format!(
                    "a message is scheduled at most {} days ahead",
                    self.limits.schedule_max_lead_secs / 86_400
                ),
            ));
        }
        Ok(())
    }

    fn scheduled_list(&self, rows: Vec<ScheduledRow>) -> ScheduledList {
        ScheduledList {
            scheduled: rows.into_iter().map(shown).collect(),
            min_lead_secs: self.limits.schedule_min_lead_secs,
            max_lead_secs: self.limits.schedule_max_lead_secs,
        }
    }

    /// Tells every device of the writer; answers what it told.
    async fn tell_scheduled(&self, row: ScheduledRow) -> ScheduledMessage {
        let user = row.user_id;
        let message = shown(row);
        self.publish(
            Topic::User(user),
            Live::ScheduledChanged(Box::new(message.clone())),
        )
        .await;
        message
    }
}

/// The delivery job: every `scheduled_poll_ms`, on every node.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(core.limits.scheduled_poll_ms.max(10));
    crate::jobs::repeat("scheduled", every, stop, || async {
        // A full batch means more may be due: go on at once.
        while core.send_due_scheduled().await? == BATCH as usize {}
        Ok(())
    })
    .await;
}
