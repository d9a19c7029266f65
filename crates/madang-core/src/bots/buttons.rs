//! Buttons under a bot's message, and a person's press of one: the bot
//! hears it on its WebSocket (`button_pressed`) and, when it has a
//! webhook, by a delivery queued as the press is taken.

use super::webhook::delivery_id;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::NewDelivery;
use madang_types::api::{BotUpdate, Button, ButtonPress};
use madang_types::{RoomId, Seq};

/// The most buttons under one message.
pub const MAX_BUTTONS: usize = 10;
const MAX_LABEL_CHARS: usize = 40;
const MAX_DATA_BYTES: usize = 64;
const MAX_URL_BYTES: usize = 2048;

/// Checks the buttons of a message `me` sends; they come back trimmed.
pub(crate) fn check_buttons(me: &Session, buttons: Vec<Button>) -> Result<Vec<Button>> {
    if buttons.is_empty() {
        return Ok(buttons);
    }
    if !me.bot {
        return Err(Error::refused(
            "buttons_for_bots",
            "only a bot's messages carry buttons",
        ));
    }
    if buttons.len() > MAX_BUTTONS {
        return Err(Error::invalid(
            "invalid_buttons",
            format!("at most {MAX_BUTTONS} buttons under a message"),
        ));
    }
    buttons.into_iter().map(check_button).collect()
}

fn check_button(button: Button) -> Result<Button> {
    let bad = |why: &str| Error::invalid("invalid_buttons", why.to_owned());
    let label = button.label().trim().to_owned();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(bad("a button's label is 1–40 characters"));
    }
    Ok(match button {
        Button::Postback { data, .. } => {
            if data.is_empty() || data.len() > MAX_DATA_BYTES {
                return Err(bad("a postback button's data is 1–64 bytes"));
            }
            Button::Postback { label, data }
        }
        Button::Link { url, .. } => {
            let url = url.trim().to_owned();
            let parsed = url::Url::parse(&url).map_err(|_| bad("a link button's url is not a URL"))?;
            if url.len() > MAX_URL_BYTES || !matches!(parsed.scheme(), "https" | "http") {
                return Err(bad("a link button opens an http or https URL"));
            }
            Button::Link { label, url }
        }
    })
}

impl Core {
    /// Presses postback button `button` of message `seq`: the bot that sent
    /// it is told who pressed it. `not_member` for someone outside the
    /// room; `message_not_found` for a message they cannot see;
    /// `button_not_found` for a button it does not have (or a link).
    pub async fn press_button(
        &self,
        me: &Session,
        room: RoomId,
        seq: Seq,
        button: u32,
    ) -> Result<ButtonPress> {
        let member = self.membership(me, room).await?;
        self.check_send_rate(me).await?;
        let message = self
            .repos
            .message(room, seq)
            .await?
            .filter(|m| seq >= member.joined_seq && m.deleted_at.is_none() && m.hidden_at.is_none())
            .ok_or(Error::NotFound("message"))?;
        let Some(Button::Postback { data, .. }) = message.buttons.get(button as usize) else {
            return Err(Error::NotFound("button"));
        };
        // The bot, if it is still in the room (it is shown under its room
        // identity; an open chat's is a persona).
        let bot = self
            .repos
            .member_by_shown(room, message.sender_id)
            .await?
            .ok_or(Error::NotFound("button"))?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        let display_name = self.shown_name(&row, member.shown_id).await?.unwrap_or_default();
        let press = ButtonPress {
            id: delivery_id(),
            room_id: room,
            seq,
            button,
            data: data.clone(),
            user_id: member.shown_id,
            display_name,
            at: self.now(),
        };
        if self.webhooks.sender.is_some()
            && let Some((hook, _)) = self.repos.webhook(bot.user_id).await?
            && hook.disabled_at.is_none()
        {
            let body = serde_json::to_string(&BotUpdate::ButtonPressed { press: press.clone() })
                .map_err(|e| Error::Internal(Box::new(e)))?;
            self.repos
                .queue_deliveries(&[NewDelivery {
                    delivery_id: press.id.clone(),
                    bot_id: bot.user_id,
                    room_id: room,
                    body,
                    at: press.at,
                }])
                .await?;
            self.webhooks.wake.notify_one();
        }
        self.publish(Topic::User(bot.user_id), Live::ButtonPressed(press.clone()))
            .await;
        metrics::counter!("madang_button_presses_total").increment(1);
        Ok(press)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use madang_types::{DeviceId, UserId};

    fn bot() -> Session {
        Session {
            user: UserId(1),
            device: DeviceId(1),
            bot: true,
        }
    }

    fn postback(label: &str, data: &str) -> Button {
        Button::Postback {
            label: label.into(),
            data: data.into(),
        }
    }

    #[test]
    fn only_bots_send_buttons_and_within_bounds() {
        let person = Session { bot: false, ..bot() };
        assert!(check_buttons(&person, vec![]).is_ok());
        assert_eq!(
            check_buttons(&person, vec![postback("네", "yes")]).map_err(|e| e.code()),
            Err("buttons_for_bots".to_owned())
        );
        let trimmed = check_buttons(&bot(), vec![postback("  네 ", "yes")]).unwrap();
        assert_eq!(trimmed, vec![postback("네", "yes")]);
        for bad in [
            vec![postback("", "x")],
            vec![postback(&"가".repeat(41), "x")],
            vec![postback("ok", "")],
            vec![postback("ok", &"x".repeat(65))],
            vec![postback("ok", "x"); 11],
            vec![Button::Link {
                label: "docs".into(),
                url: "javascript:alert(1)".into(),
            }],
            vec![Button::Link {
                label: "docs".into(),
                url: "not a url".into(),
            }],
        ] {
            assert_eq!(
                check_buttons(&bot(), bad.clone()).map_err(|e| e.code()),
                Err("invalid_buttons".to_owned()),
                "{bad:?}"
            );
        }
        assert!(
            check_buttons(
                &bot(),
                vec![Button::Link {
                    label: "docs".into(),
                    url: "https://example.org/a".into()
                }]
            )
            .is_ok()
        );
    }
}
