//! Incoming webhooks: a member of a group makes a URL that posts into the
//! room as a named integration (Slack's and Discord's kind). The
//! integration is a bot account in the room, owned by whoever made it;
//! the URL's token is its own (not a device token), so it can post there
//! and do nothing else. Any member sees the room's integrations and may
//! end one: its URL stops working and it leaves the room. It sends under
//! a bot's rate (`bot_messages_per_minute`).

use crate::accounts::{random_hex, sha256_hex};
use crate::{Core, Error, Result, Session};
use madang_store::IntegrationRow;
use madang_types::api::{
    CreateIntegrationRequest, HookMessage, Integration, IntegrationCreated, Message, RoomKind,
    SendMessageRequest,
};
use madang_types::{ClientMsgId, DeviceId, RoomId, UserId};

/// The most integrations one room has.
pub const MAX_PER_ROOM: usize = 10;

impl Core {
    /// Makes an incoming webhook for a group the caller is in.
    pub async fn create_integration(
        &self,
        me: &Session,
        room: RoomId,
        req: CreateIntegrationRequest,
    ) -> Result<IntegrationCreated> {
        if me.bot {
            return Err(Error::refused(
                "bots_cannot_own_bots",
                "a bot cannot make integrations",
            ));
        }
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind != RoomKind::Group {
            return Err(Error::invalid(
                "not_a_group",
                "integrations post into group chats",
            ));
        }
        let name = self.new_display_name(Some(&req.name), "")?;
        if name.is_empty() {
            return Err(Error::invalid(
                "invalid_display_name",
                "an integration needs a name",
            ));
        }
        if self.repos.integrations(room).await?.len() >= MAX_PER_ROOM {
            return Err(Error::Conflict {
                code: "integration_limit",
                message: format!("a room has at most {MAX_PER_ROOM} integrations"),
            });
        }
        let handle = format!("hook_{:012x}", rand::random::<u64>() >> 16);
        let bot = self.create_bot_account(me.user, name, handle).await?;
        let token = random_hex(32);
        let integration = IntegrationRow {
            bot_id: bot.id,
            room_id: room,
            creator_id: me.user,
            created_at: self.now(),
        };
        self.repos
            .add_integration(&integration, &sha256_hex(token.as_bytes()))
            .await?;
        self.invite(me, room, &[bot.id]).await?;
        metrics::counter!("madang_integrations_created_total").increment(1);
        Ok(IntegrationCreated {
            integration: Integration {
                id: bot.id,
                name: bot.display_name,
                created_by: me.user,
                created_at: integration.created_at,
            },
            path: format!("/api/v1/hooks/{token}"),
        })
    }

    /// A room's integrations, for its members.
    pub async fn integrations(&self, me: &Session, room: RoomId) -> Result<Vec<Integration>> {
        self.membership(me, room).await?;
        let rows = self.repos.integrations(room).await?;
        let ids: Vec<UserId> = rows.iter().map(|r| r.bot_id).collect();
        let names = self.display_names(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| Integration {
                id: r.bot_id,
                name: names.get(&r.bot_id).cloned().unwrap_or_default(),
                created_by: r.creator_id,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Ends an integration: its URL stops working and it leaves the room.
    pub async fn remove_integration(&self, me: &Session, room: RoomId, id: UserId) -> Result<()> {
        self.membership(me, room).await?;
        if !self.repos.remove_integration(room, id).await? {
            return Err(Error::NotFound("integration"));
        }
        let integration = Session {
            user: id,
            device: DeviceId(0),
            bot: true,
        };
        match self.leave(&integration, room).await {
            Ok(()) | Err(Error::NotMember) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Posts what an integration's URL was sent. `hook_not_found` (404)
    /// for a token that is not (or no longer) one.
    pub async fn post_by_hook(&self, token: &str, req: HookMessage) -> Result<Message> {
        let Some(row) = self
            .repos
            .integration_by_token(&sha256_hex(token.as_bytes()))
            .await?
        else {
            return Err(Error::NotFound("hook"));
        };
        let integration = Session {
            user: row.bot_id,
            device: DeviceId(0),
            bot: true,
        };
        let client_id = req
            .client_id
            .unwrap_or_else(|| ClientMsgId(format!("hook-{:032x}", rand::random::<u128>())));
        self.send_message(
            &integration,
            row.room_id,
            SendMessageRequest {
                client_id,
                text: req.text,
                reply_to: None,
                mentions: Vec::new(),
                attachment: None,
                voice: None,
                thread_root: None,
                buttons: req.buttons,
            },
        )
        .await
    }
}
