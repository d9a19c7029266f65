//! Bots: accounts a person owns and software drives, signed in by a token
//! only. A bot uses the same API and WebSocket as a person's client, sees
//! only the rooms it was added to, is marked as a bot wherever its profile
//! shows, sends under its own (lower) rate, and does not start 1:1 chats.

pub mod buttons;
pub mod commands;
pub mod integrations;
pub mod webhook;

use crate::accounts::{normalize_handle, profile_of};
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{NewUser, UserRow};
use madang_types::UserId;
use madang_types::api::{BotToken, CreateBotRequest, Profile};

impl Core {
    /// Makes a bot the caller owns and gives it its first token.
    pub async fn create_bot(&self, me: &Session, req: CreateBotRequest) -> Result<BotToken> {
        if me.bot {
            return Err(Error::refused("bots_cannot_own_bots", "a bot cannot make bots"));
        }
        let handle = normalize_handle(&req.handle)?;
        let display_name = self.new_display_name(req.display_name.as_deref(), &handle)?;
        let owned = self.repos.bots_of(me.user).await?;
        if owned.len() >= self.limits.max_bots_per_person {
            return Err(Error::Conflict {
                code: "bot_limit",
                message: format!(
                    "a person may own at most {} bots",
                    self.limits.max_bots_per_person
                ),
            });
        }
        let bot = self.create_bot_account(me.user, display_name, handle).await?;
        metrics::counter!("madang_bots_created_total").increment(1);
        self.bot_token(&bot).await
    }

    /// Stores a bot account `owner` owns (a bot, or a room's integration).
    pub(crate) async fn create_bot_account(
        &self,
        owner: UserId,
        display_name: String,
        handle: String,
    ) -> Result<UserRow> {
        self.create_account(NewUser {
            display_name,
            handle,
            // No password: a bot signs in with its token only (an
            // integration, not at all).
            password_hash: String::new(),
            phone_sha256: None,
            email_sha256: None,
            birthday: None,
            created_at: self.now(),
            bot_owner: Some(owner),
        })
        .await
    }

    /// The bots the caller owns, oldest first.
    pub async fn bots(&self, me: &Session) -> Result<Vec<Profile>> {
        Ok(self
            .repos
            .bots_of(me.user)
            .await?
            .iter()
            .map(profile_of)
            .collect())
    }

    /// A new token for the caller's bot; every earlier one stops working
    /// and the bot's open sockets are closed.
    pub async fn rotate_bot_token(&self, me: &Session, bot: UserId) -> Result<BotToken> {
        let row = self.bot_for(me, bot).await?;
        if row.id == me.user {
            // A token does not make its own successor: its owner does.
            return Err(Error::NotFound("bot"));
        }
        for device in self.repos.revoke_devices_of(bot, self.now()).await? {
            self.publish(Topic::User(bot), Live::DeviceRevoked { device_id: device })
                .await;
        }
        self.bot_token(&row).await
    }

    /// Whether `person` owns the bot `bot`.
    pub(crate) async fn owns(&self, person: UserId, bot: UserId) -> Result<bool> {
        Ok(self
            .repos
            .user(bot)
            .await?
            .is_some_and(|b| b.bot_owner == Some(person)))
    }

    async fn bot_token(&self, bot: &UserRow) -> Result<BotToken> {
        let session = self.open_session(bot, Some("bot token".into())).await?;
        Ok(BotToken {
            bot: profile_of(bot),
            token: session.token,
        })
    }
}
