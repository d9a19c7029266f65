//! Slash commands: a bot declares what it answers (`/roll`), and a
//! room's members are offered them when they type `/`. A command is sent
//! as an ordinary message; the bot reads its text.

use crate::{Core, Error, Result, Session};
use madang_types::api::{BotCommand, RoomCommand};
use madang_types::{RoomId, UserId};

/// The most commands one bot declares.
pub const MAX_COMMANDS: usize = 20;
const MAX_COMMAND_CHARS: usize = 32;
const MAX_DESCRIPTION_CHARS: usize = 100;

fn check_commands(commands: Vec<BotCommand>) -> Result<Vec<BotCommand>> {
    let bad = |why: String| Error::invalid("invalid_commands", why);
    if commands.len() > MAX_COMMANDS {
        return Err(bad(format!("a bot declares at most {MAX_COMMANDS} commands")));
    }
    let mut out: Vec<BotCommand> = Vec::with_capacity(commands.len());
    for c in commands {
        let command = c.command.trim().trim_start_matches('/').to_owned();
        let description = c.description.trim().to_owned();
        if command.is_empty()
            || command.chars().count() > MAX_COMMAND_CHARS
            || !command
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            return Err(bad(format!(
                "{command:?}: a command is 1–32 lowercase letters, digits or _"
            )));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS || description.chars().any(char::is_control) {
            return Err(bad(format!(
                "/{command}: a description is at most 100 characters"
            )));
        }
        if out.iter().any(|o| o.command == command) {
            return Err(bad(format!("/{command} is declared twice")));
        }
        out.push(BotCommand { command, description });
    }
    Ok(out)
}

impl Core {
    /// The bot `bot` as its owner or the bot itself may change it. A
    /// room's integration and a channel's webhook account are no one's to
    /// drive: their maker could otherwise take a token or a webhook for
    /// one and read the room (or the channel) after leaving.
    pub(crate) async fn bot_for(&self, me: &Session, bot: UserId) -> Result<madang_store::UserRow> {
        let row = self
            .repos
            .user(bot)
            .await?
            .filter(|u| u.bot_owner.is_some() && (u.bot_owner == Some(me.user) || u.id == me.user))
            .ok_or(Error::NotFound("bot"))?;
        if self.repos.kept_by_server(bot).await? {
            return Err(Error::NotFound("bot"));
        }
        Ok(row)
    }

    /// Replaces a bot's commands (its owner, or the bot itself).
    pub async fn set_bot_commands(
        &self,
        me: &Session,
        bot: UserId,
        commands: Vec<BotCommand>,
    ) -> Result<Vec<BotCommand>> {
        self.bot_for(me, bot).await?;
        let commands = check_commands(commands)?;
        let stored = if commands.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&commands).map_err(|e| Error::Internal(Box::new(e)))?)
        };
        self.repos.set_bot_commands(bot, stored.as_deref()).await?;
        Ok(commands)
    }

    pub async fn bot_commands(&self, me: &Session, bot: UserId) -> Result<Vec<BotCommand>> {
        self.bot_for(me, bot).await?;
        Ok(match self.repos.bot_commands(bot).await? {
            Some(raw) => serde_json::from_str(&raw).map_err(|e| Error::Internal(Box::new(e)))?,
            None => Vec::new(),
        })
    }

    /// The commands of the bots in a room, for its members.
    pub async fn room_commands(&self, me: &Session, room: RoomId) -> Result<Vec<RoomCommand>> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        let mut out = Vec::new();
        for (shown, raw) in self.repos.room_bot_commands(room).await? {
            let commands: Vec<BotCommand> =
                serde_json::from_str(&raw).map_err(|e| Error::Internal(Box::new(e)))?;
            let bot_name = self.shown_name(&row, shown).await?.unwrap_or_default();
            out.extend(commands.into_iter().map(|c| RoomCommand {
                bot_id: shown,
                bot_name: bot_name.clone(),
                command: c.command,
                description: c.description,
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(command: &str, description: &str) -> BotCommand {
        BotCommand {
            command: command.into(),
            description: description.into(),
        }
    }

    #[test]
    fn commands_are_short_lowercase_words_declared_once() {
        assert_eq!(
            check_commands(vec![c("/roll", " 주사위를 굴려요 ")]).unwrap(),
            vec![c("roll", "주사위를 굴려요")]
        );
        for bad in [
            vec![c("", "")],
            vec![c("Roll", "")],
            vec![c("날씨", "")],
            vec![c("a b", "")],
            vec![c(&"a".repeat(33), "")],
            vec![c("roll", &"가".repeat(101))],
            vec![c("roll", ""), c("roll", "again")],
            (0..21).map(|i| c(&format!("c{i}"), "")).collect(),
        ] {
            assert_eq!(
                check_commands(bad.clone()).map_err(|e| e.code()),
                Err("invalid_commands".to_owned()),
                "{bad:?}"
            );
        }
    }
}
