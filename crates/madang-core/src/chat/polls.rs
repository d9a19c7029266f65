//! Polls in group chats and open chats. A poll is posted as a message
//! (kind `poll`, its text the question, held to a message's rules:
//! membership, the send rate, and in an open chat banned words and
//! flooding), and its options and votes are read apart. Votes are kept by
//! room identity, so in an open chat a voter is only ever a nickname; an
//! anonymous poll shows counts alone. Every vote or closing is told to the
//! room as `poll_changed`.

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{NewMessage, NewPoll, PollRow, StoreError};
use madang_types::api::{Message, MessageKind, RoomKind};
use madang_types::polls::{CreatePollRequest, Poll, PollOption};
use madang_types::{RoomId, Seq};

const MAX_QUESTION: usize = 200;
const MAX_OPTION: usize = 80;
const MAX_OPTIONS: usize = 10;
const MAX_CLOSE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

fn invalid_poll(message: impl Into<String>) -> Error {
    Error::invalid("invalid_poll", message)
}

impl Core {
    pub async fn create_poll(&self, me: &Session, room: RoomId, req: CreatePollRequest) -> Result<Message> {
        super::messages::check_client_id(&req.client_id)?;
        let member = self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if !matches!(row.kind, RoomKind::Group | RoomKind::Open) {
            return Err(Error::invalid(
                "not_a_group",
                "polls are for group chats and open chats",
            ));
        }
        let question = req.question.trim().to_owned();
        if question.is_empty()
            || question.chars().count() > MAX_QUESTION
            || question.chars().any(char::is_control)
        {
            return Err(invalid_poll(format!("a question is 1–{MAX_QUESTION} characters")));
        }
        let options: Vec<String> = req.options.iter().map(|o| o.trim().to_owned()).collect();
        if options.len() < 2 || options.len() > MAX_OPTIONS {
            return Err(invalid_poll(format!("a poll has 2–{MAX_OPTIONS} options")));
        }
        for (i, o) in options.iter().enumerate() {
            if o.is_empty() || o.chars().count() > MAX_OPTION || o.chars().any(char::is_control) {
                return Err(invalid_poll(format!("an option is 1–{MAX_OPTION} characters")));
            }
            if options[..i].contains(o) {
                return Err(invalid_poll("the options must differ"));
            }
        }
        if let Some(at) = req.closes_at
            && (at <= self.now() || at.0 - self.now().0 > MAX_CLOSE_MS)
        {
            return Err(Error::invalid(
                "invalid_poll_close",
                "a poll closes in the future, at most 30 days ahead",
            ));
        }
        self.check_send_rate(me).await?;
        if row.kind.is_open() {
            // Every word of it is held to the room's rules.
            let all = std::iter::once(question.as_str())
                .chain(options.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("\n");
            self.check_open_send(me, member.shown_id, &row, &all).await?;
        }
        let new = NewMessage {
            room_id: room,
            sender_id: me.user,
            shown_as: member.shown_id,
            client_id: req.client_id,
            kind: MessageKind::Poll,
            text: question,
            reply_to: None,
            mentions: Vec::new(),
            attachment: None,
            pung_id: None,
            poll: Some(NewPoll {
                options,
                multiple: req.multiple,
                anonymous: req.anonymous,
                closes_at: req.closes_at,
            }),
            thread_root: None,
            by_assistant: false,
            buttons: Vec::new(),
            at: self.now(),
        };
        let (sent, fresh) = self.append_once(me, new).await?;
        if fresh {
            self.screen_later(&row, me.user, &sent);
        }
        Ok(sent)
    }

    pub async fn poll(&self, me: &Session, room: RoomId, seq: Seq) -> Result<Poll> {
        let (member, m) = self.live_message(me, room, seq).await?;
        let row = self.poll_row(&m).await?;
        Ok(self.shown_poll(room, seq, m.text, m.sender_id, member.shown_id, row))
    }

    /// Replaces my vote (none: takes it back) until the poll closes.
    pub async fn vote(&self, me: &Session, room: RoomId, seq: Seq, options: &[u32]) -> Result<Poll> {
        let (member, m) = self.live_message(me, room, seq).await?;
        let row = self.poll_row(&m).await?;
        let mut chosen = options.to_vec();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.iter().any(|&i| i as usize >= row.options.len()) {
            return Err(Error::invalid("invalid_poll_option", "no such option"));
        }
        if !row.multiple && chosen.len() > 1 {
            return Err(Error::invalid("single_choice", "this poll takes one option"));
        }
        match self
            .repos
            .vote_poll(room, seq, member.shown_id, &chosen, self.now())
            .await
        {
            Err(StoreError::Conflict(_)) => return Err(poll_closed()),
            Err(StoreError::NotFound) => return Err(Error::NotFound("poll")),
            other => other?,
        }
        self.poll_changed(room, seq).await;
        let row = self.poll_row(&m).await?;
        Ok(self.shown_poll(room, seq, m.text, m.sender_id, member.shown_id, row))
    }

    /// Closes it before its time: its author only.
    pub async fn close_poll(&self, me: &Session, room: RoomId, seq: Seq) -> Result<Poll> {
        let (member, m) = self.live_message(me, room, seq).await?;
        let row = self.poll_row(&m).await?;
        if m.sender_id != member.shown_id {
            return Err(Error::NotAuthor);
        }
        if row.closed(self.now()) || !self.repos.close_poll(room, seq, self.now()).await? {
            return Err(poll_closed());
        }
        self.poll_changed(room, seq).await;
        let row = self.poll_row(&m).await?;
        Ok(self.shown_poll(room, seq, m.text, m.sender_id, member.shown_id, row))
    }

    async fn poll_row(&self, m: &madang_store::StoredMessage) -> Result<PollRow> {
        if m.kind != MessageKind::Poll || m.hidden_at.is_some() {
            return Err(Error::NotFound("poll"));
        }
        self.repos
            .poll(m.room_id, m.seq)
            .await?
            .ok_or(Error::NotFound("poll"))
    }

    fn shown_poll(
        &self,
        room: RoomId,
        seq: Seq,
        question: String,
        author: madang_types::UserId,
        me: madang_types::UserId,
        row: PollRow,
    ) -> Poll {
        let mut options: Vec<PollOption> = row
            .options
            .iter()
            .map(|text| PollOption {
                text: text.clone(),
                votes: 0,
                voters: Vec::new(),
            })
            .collect();
        let mut voters = std::collections::BTreeSet::new();
        let mut mine = Vec::new();
        for &(voter, index) in &row.votes {
            let Some(option) = options.get_mut(index as usize) else {
                continue;
            };
            option.votes += 1;
            if !row.anonymous {
                option.voters.push(voter);
            }
            voters.insert(voter);
            if voter == me {
                mine.push(index);
            }
        }
        Poll {
            room_id: room,
            seq,
            question,
            options,
            multiple: row.multiple,
            anonymous: row.anonymous,
            closes_at: row.closes_at,
            closed: row.closed(self.now()),
            voters: voters.len() as i64,
            my_votes: mine,
            author_id: author,
        }
    }

    async fn poll_changed(&self, room: RoomId, seq: Seq) {
        self.publish(Topic::Room(room), Live::PollChanged { room_id: room, seq })
            .await;
    }
}

fn poll_closed() -> Error {
    Error::Conflict {
        code: "poll_closed",
        message: "the poll is closed".into(),
    }
}
