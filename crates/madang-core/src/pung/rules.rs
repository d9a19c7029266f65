//! The rules a Pung must meet before it is stored: its text, background,
//! duration and decorations, and who it goes to. Pure functions, so each
//! refusal is tested without a database.

use crate::chat::messages::check_emoji;
use crate::{Error, Result};
use madang_types::UserId;
use madang_types::pung::{AudienceMode, Layer};

/// Durations a Pung may have, in hours.
pub const DURATIONS: [i64; 3] = [12, 24, 48];
pub const DEFAULT_DURATION: i64 = 24;

fn invalid_layer(message: impl Into<String>) -> Error {
    Error::invalid("invalid_layer", message)
}

/// `#rrggbb`, lower-cased.
fn colour(raw: &str) -> Option<String> {
    let hex = raw.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// Trimmed text of 1–`max` characters with no control characters but
/// line breaks.
fn short_text(raw: &str, max: usize) -> Option<String> {
    let t = raw.trim();
    let n = t.chars().count();
    (n >= 1 && n <= max && !t.chars().any(|c| c.is_control() && c != '\n')).then(|| t.to_owned())
}

pub fn check_text(raw: &str, max: usize) -> Result<String> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    short_text(raw, max).ok_or_else(|| {
        Error::invalid(
            "invalid_pung_text",
            format!("a Pung's text is at most {max} characters, without control characters"),
        )
    })
}

pub fn check_background(raw: Option<&str>) -> Result<Option<String>> {
    raw.map(|b| {
        colour(b)
            .ok_or_else(|| Error::invalid("invalid_background", "a background is a colour written #rrggbb"))
    })
    .transpose()
}

pub fn check_duration(hours: Option<i64>) -> Result<i64> {
    match hours {
        None => Ok(DEFAULT_DURATION),
        Some(h) if DURATIONS.contains(&h) => Ok(h),
        Some(_) => Err(Error::invalid(
            "invalid_duration",
            "a Pung lasts 12, 24 or 48 hours",
        )),
    }
}

fn check_place(x: f64, y: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
        return Err(invalid_layer("a decoration is placed at x and y between 0 and 1"));
    }
    Ok(())
}

fn check_transform(scale: f64, rotation: f64) -> Result<()> {
    if !(0.25..=4.0).contains(&scale) || !(-360.0..=360.0).contains(&rotation) {
        return Err(invalid_layer("scale is 0.25–4 and rotation -360–360 degrees"));
    }
    Ok(())
}

fn check_url(url: &str) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let ok = url.len() <= 2_000
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(invalid_layer("a link is an http or https address"));
    }
    Ok(())
}

/// Checks every decoration; a Pung has at most `max` and one poll.
pub fn check_layers(layers: &[Layer], max: usize) -> Result<()> {
    if layers.len() > max {
        return Err(Error::invalid(
            "too_many_layers",
            format!("a Pung has at most {max} decorations"),
        ));
    }
    let polls = layers.iter().filter(|l| matches!(l, Layer::Poll { .. })).count();
    if polls > 1 {
        return Err(invalid_layer("a Pung has at most one poll"));
    }
    for layer in layers {
        match layer {
            Layer::Text {
                text,
                color,
                x,
                y,
                scale,
                rotation,
            } => {
                check_place(*x, *y)?;
                check_transform(*scale, *rotation)?;
                short_text(text, 200)
                    .ok_or_else(|| invalid_layer("a text decoration is 1–200 characters"))?;
                if let Some(c) = color {
                    colour(c).ok_or_else(|| invalid_layer("a colour is written #rrggbb"))?;
                }
            }
            Layer::Sticker {
                emoji,
                x,
                y,
                scale,
                rotation,
            } => {
                check_place(*x, *y)?;
                check_transform(*scale, *rotation)?;
                check_emoji(emoji).map_err(|_| invalid_layer("a sticker is one emoji"))?;
            }
            Layer::Poll {
                question,
                options,
                x,
                y,
            } => {
                check_place(*x, *y)?;
                short_text(question, 100)
                    .ok_or_else(|| invalid_layer("a poll question is 1–100 characters"))?;
                let fine = (2..=4).contains(&options.len())
                    && options
                        .iter()
                        .all(|o| short_text(o, 40).is_some() && !o.contains('\n'));
                if !fine {
                    return Err(invalid_layer("a poll has 2–4 options of 1–40 characters"));
                }
            }
            Layer::Link { url, label, x, y } => {
                check_place(*x, *y)?;
                check_url(url)?;
                if let Some(l) = label {
                    short_text(l, 60).ok_or_else(|| invalid_layer("a link label is 1–60 characters"))?;
                }
            }
            Layer::Location { name, lat, lng, x, y } => {
                check_place(*x, *y)?;
                short_text(name, 100).ok_or_else(|| invalid_layer("a place name is 1–100 characters"))?;
                if !(-90.0..=90.0).contains(lat) || !(-180.0..=180.0).contains(lng) {
                    return Err(invalid_layer("latitude is -90–90 and longitude -180–180"));
                }
            }
        }
    }
    Ok(())
}

/// How many options the Pung's poll has, if it has one.
pub fn poll_options(layers: &[Layer]) -> Option<usize> {
    layers.iter().find_map(|l| match l {
        Layer::Poll { options, .. } => Some(options.len()),
        _ => None,
    })
}

/// Who a Pung goes to, from the mode, the named people and the author's
/// friends now. Someone named for `chosen` must be a friend; people named
/// for `except` who are not friends are simply not in the audience.
pub fn audience(mode: AudienceMode, named: &[UserId], friends: &[UserId]) -> Result<Vec<UserId>> {
    let mut named: Vec<UserId> = named.to_vec();
    named.sort();
    named.dedup();
    match mode {
        AudienceMode::Friends | AudienceMode::OnlyMe if !named.is_empty() => Err(Error::invalid(
            "invalid_audience",
            "name people only for the chosen and except audiences",
        )),
        AudienceMode::Friends => Ok(friends.to_vec()),
        AudienceMode::OnlyMe => Ok(Vec::new()),
        AudienceMode::Chosen => {
            if named.is_empty() {
                return Err(Error::invalid("invalid_audience", "choose at least one friend"));
            }
            if let Some(stranger) = named.iter().find(|u| !friends.contains(u)) {
                return Err(Error::invalid(
                    "not_a_friend",
                    format!("user {stranger} is not your friend"),
                ));
            }
            Ok(named)
        }
        AudienceMode::Except => Ok(friends.iter().copied().filter(|f| !named.contains(f)).collect()),
    }
}

/// Tagged people: at most `max`, each in the audience.
pub fn check_tags(tags: &[UserId], audience: &[UserId], max: usize) -> Result<Vec<UserId>> {
    let mut tags = tags.to_vec();
    tags.sort();
    tags.dedup();
    if tags.len() > max {
        return Err(Error::invalid(
            "too_many_tags",
            format!("a Pung tags at most {max} friends"),
        ));
    }
    if let Some(outsider) = tags.iter().find(|t| !audience.contains(t)) {
        return Err(Error::invalid(
            "tag_not_in_audience",
            format!("user {outsider} cannot see this Pung, so cannot be tagged"),
        ));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_layer(text: &str, x: f64) -> Layer {
        Layer::Text {
            text: text.into(),
            color: Some("#FFAA00".into()),
            x,
            y: 0.5,
            scale: 1.0,
            rotation: 0.0,
        }
    }

    fn poll(options: &[&str]) -> Layer {
        Layer::Poll {
            question: "점심 뭐 먹지?".into(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            x: 0.5,
            y: 0.5,
        }
    }

    fn code(r: Result<impl std::fmt::Debug>) -> &'static str {
        match r {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn decorations_are_checked_one_by_one() {
        assert!(check_layers(&[text_layer("안녕", 0.2), poll(&["국밥", "샐러드"])], 20).is_ok());
        assert_eq!(code(check_layers(&[text_layer("x", 1.5)], 20)), "invalid_layer");
        assert_eq!(code(check_layers(&[text_layer("", 0.5)], 20)), "invalid_layer");
        assert_eq!(code(check_layers(&[poll(&["only one"])], 20)), "invalid_layer");
        assert_eq!(
            code(check_layers(&[poll(&["a", "b"]), poll(&["c", "d"])], 20)),
            "invalid_layer"
        );
        assert_eq!(
            code(check_layers(&vec![text_layer("x", 0.5); 21], 20)),
            "too_many_layers"
        );
        let link = |url: &str| Layer::Link {
            url: url.into(),
            label: None,
            x: 0.5,
            y: 0.5,
        };
        assert!(check_layers(&[link("https://madang.example/a?b=c")], 20).is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://",
            "ftp://x.y",
            "https://a b.c",
            "https:///x",
        ] {
            assert_eq!(code(check_layers(&[link(bad)], 20)), "invalid_layer", "{bad}");
        }
        let place = |lat: f64, lng: f64| Layer::Location {
            name: "서울숲".into(),
            lat,
            lng,
            x: 0.5,
            y: 0.5,
        };
        assert!(check_layers(&[place(37.544, 127.037)], 20).is_ok());
        assert_eq!(code(check_layers(&[place(91.0, 0.0)], 20)), "invalid_layer");
        assert_eq!(code(check_layers(&[place(f64::NAN, 0.0)], 20)), "invalid_layer");
        let sticker = |emoji: &str, scale: f64| Layer::Sticker {
            emoji: emoji.into(),
            x: 0.5,
            y: 0.5,
            scale,
            rotation: 10.0,
        };
        assert!(check_layers(&[sticker("🎉", 2.0)], 20).is_ok());
        assert_eq!(code(check_layers(&[sticker("hi", 1.0)], 20)), "invalid_layer");
        assert_eq!(code(check_layers(&[sticker("🎉", 9.0)], 20)), "invalid_layer");
    }

    #[test]
    fn backgrounds_durations_and_text() {
        assert_eq!(
            check_background(Some("#A1b2C3")).unwrap().as_deref(),
            Some("#a1b2c3")
        );
        assert_eq!(code(check_background(Some("red"))), "invalid_background");
        assert_eq!(check_duration(None).unwrap(), 24);
        assert_eq!(check_duration(Some(48)).unwrap(), 48);
        assert_eq!(code(check_duration(Some(72))), "invalid_duration");
        assert_eq!(check_text("  첫 줄\n둘째 줄 ", 500).unwrap(), "첫 줄\n둘째 줄");
        assert_eq!(code(check_text(&"가".repeat(501), 500)), "invalid_pung_text");
        assert_eq!(code(check_text("bell\u{7}", 500)), "invalid_pung_text");
    }

    #[test]
    fn the_audience_follows_the_mode_and_the_friends_of_now() {
        let friends = [UserId(2), UserId(3), UserId(4)];
        let all = audience(AudienceMode::Friends, &[], &friends).unwrap();
        assert_eq!(all, friends.to_vec());
        let chosen = audience(AudienceMode::Chosen, &[UserId(3), UserId(3)], &friends).unwrap();
        assert_eq!(chosen, vec![UserId(3)]);
        assert_eq!(
            code(audience(AudienceMode::Chosen, &[UserId(9)], &friends)),
            "not_a_friend"
        );
        assert_eq!(
            code(audience(AudienceMode::Chosen, &[], &friends)),
            "invalid_audience"
        );
        let except = audience(AudienceMode::Except, &[UserId(3), UserId(9)], &friends).unwrap();
        assert_eq!(except, vec![UserId(2), UserId(4)]);
        assert!(audience(AudienceMode::OnlyMe, &[], &friends).unwrap().is_empty());
        assert_eq!(
            code(audience(AudienceMode::OnlyMe, &[UserId(2)], &friends)),
            "invalid_audience"
        );
    }

    #[test]
    fn tags_stay_within_the_audience_and_the_limit() {
        let aud = [UserId(2), UserId(3)];
        assert_eq!(
            check_tags(&[UserId(3), UserId(3)], &aud, 10).unwrap(),
            vec![UserId(3)]
        );
        assert_eq!(code(check_tags(&[UserId(5)], &aud, 10)), "tag_not_in_audience");
        assert_eq!(code(check_tags(&aud, &aud, 1)), "too_many_tags");
    }
}
