//! Comment threads in open chats: a comment is sent as a message with a
//! `thread_root` (see `send_message`), so the open chat's rules (closed,
//! suspended, banned words, flooding, screening, hiding) hold for it as
//! they do for any message. Here: which message may take a comment, a
//! thread's page, and each follower's cursor in it.

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{MemberRow, RoomRow, StoredMessage};
use madang_types::api::ThreadPage;
use madang_types::{RoomId, Seq};

impl Core {
    /// The message `root` as the start of a thread the caller may see: in
    /// the room since they joined, and not itself a comment.
    async fn thread_root(&self, member: &MemberRow, room: RoomId, root: Seq) -> Result<StoredMessage> {
        let m = self
            .repos
            .message(room, root)
            .await?
            .filter(|m| m.seq >= member.joined_seq)
            .ok_or(Error::NotFound("message"))?;
        if m.thread_root.is_some() {
            return Err(Error::invalid(
                "not_a_thread_root",
                "a comment goes under a message, not under another comment",
            ));
        }
        Ok(m)
    }

    /// Refuses a comment under `root` that cannot be written: outside an
    /// open chat, under a deleted or hidden message, or replying to
    /// something outside the thread.
    pub(super) async fn check_comment(
        &self,
        member: &MemberRow,
        room: &RoomRow,
        root: Seq,
        reply_to: Option<Seq>,
    ) -> Result<()> {
        if !room.kind.is_open() {
            return Err(Error::invalid(
                "threads_open_chat_only",
                "comment threads are for open chats",
            ));
        }
        let m = self.thread_root(member, room.id, root).await?;
        if m.deleted_at.is_some() || m.hidden_at.is_some() {
            return Err(Error::NotFound("message"));
        }
        if let Some(target) = reply_to {
            let inside = self
                .repos
                .message(room.id, target)
                .await?
                .is_some_and(|t| t.thread_root == Some(root));
            if !inside {
                return Err(Error::NotFound("message"));
            }
        }
        Ok(())
    }

    /// A page of the comments under `root`, newest first, with the root
    /// and the caller's view of the thread.
    pub async fn thread(
        &self,
        me: &Session,
        room: RoomId,
        root: Seq,
        before: Option<Seq>,
        limit: Option<i64>,
    ) -> Result<ThreadPage> {
        let member = self.membership(me, room).await?;
        let root = self.thread_root(&member, room, root).await?;
        let limit = limit.unwrap_or(50).clamp(1, self.limits.max_page);
        let rows = self
            .repos
            .comments(room, root.seq, before.unwrap_or(Seq(i64::MAX)), limit)
            .await?;
        let next_before = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|m| m.seq))
            .flatten();
        // The root and its comments decorated together: one read of the
        // room's cursors and one of reactions.
        let mut comments = self
            .decorate(me, room, std::iter::once(root).chain(rows).collect())
            .await?;
        let root = comments.remove(0);
        Ok(ThreadPage {
            root,
            comments,
            next_before,
        })
    }

    /// Moves the caller's cursor in a thread to `thread_seq` (it follows
    /// the thread from then on) and tells their other devices.
    pub async fn read_thread(&self, me: &Session, room: RoomId, root: Seq, thread_seq: Seq) -> Result<()> {
        let member = self.membership(me, room).await?;
        let root = self.thread_root(&member, room, root).await?;
        // Never past the thread's end.
        let to = Seq(thread_seq.0.clamp(0, root.comment_count));
        if self.repos.read_thread(room, root.seq, me.user, to).await? {
            let live = Live::ThreadRead {
                room_id: room,
                root: root.seq,
                thread_seq: to,
            };
            self.publish(Topic::User(me.user), live).await;
        }
        Ok(())
    }
}
