//! Reading the text other messengers export a chat as, into entries with
//! local times, senders and what each line was:
//! - KakaoTalk's "대화 내보내기", as the PC app writes it (a date line
//!   `--------------- 2024년 1월 5일 금요일 ---------------` or
//!   `--------------- Friday, January 5, 2024 ---------------`, then
//!   `[민지] [오후 3:04] 안녕하세요`) and as the phone apps do (each
//!   message `2024. 1. 5. 오후 3:04, 민지 : 안녕하세요`, or
//!   `Jan 5, 2024 at 3:04 PM, Minji : Hello`; a system line has no
//!   sender: `2024. 1. 5. 오후 3:06: 민지님이 준호님을 초대했습니다.`);
//! - WhatsApp's `.txt` (Android `05/01/2024, 15:04 - Minji: Hello`, iOS
//!   `[05/01/2024, 15:04:12] Minji: Hello`), day first or month first as
//!   the phone's locale wrote it, decided over the whole file.
//!
//! A line that starts no entry continues the message before it (a message
//! of several lines). The placeholders the apps write for what they did
//! not export (사진, 이모티콘, `<Media omitted>`), attached file names and
//! deleted messages are told apart. A file that is not one of these, or a
//! date or time that cannot be, fails with the line it stopped at.
//!
//! Times are the exporting phone's wall clock: the importer gives them the
//! person's time zone. Madang's own JSON export (`chat.json`) is read too,
//! at its exact times.

use jiff::civil::{Date, DateTime, Time};
use madang_types::UserId;
use madang_types::api::MessageKind;
use madang_types::history::ChatArchive;
use std::collections::HashMap;

/// Which app wrote the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    KakaoPc,
    KakaoMobile,
    WhatsApp,
    /// Madang's own `chat.json`; its times are exact, read in UTC.
    Madang,
}

/// What a message carried that the export names but does not hold, or a
/// file of the export's zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Media {
    /// A photo (사진, `<Media omitted>` for one the app did not say).
    Photo,
    Video,
    Emoticon,
    /// A file the export's zip has, by name.
    Attached(String),
    /// Something the export left out (WhatsApp's `<Media omitted>`).
    Omitted,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Message {
        sender: String,
        text: String,
        media: Option<Media>,
    },
    /// Deleted before the export.
    Deleted { sender: String },
    /// An invite, a leave, the encryption notice: no sender.
    System { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file's line the entry starts on, from 1.
    pub line: usize,
    pub at: DateTime,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    /// The chat's name when the file says it (KakaoTalk's first line).
    pub title: Option<String>,
    pub entries: Vec<Entry>,
}

/// Where and why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

fn fail<T>(line: usize, reason: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        reason: reason.into(),
    })
}

/// Reads an export, whichever of the formats it is.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        return madang(text);
    }
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let format = detect(&lines).ok_or(ParseError {
        line: 1,
        reason: "not a KakaoTalk or WhatsApp chat export: no line reads as a message".into(),
    })?;
    match format {
        Format::KakaoPc | Format::KakaoMobile => kakao(&lines, format),
        Format::WhatsApp => whatsapp(&lines),
        Format::Madang => madang(text),
    }
}

fn detect(lines: &[&str]) -> Option<Format> {
    for l in lines.iter().take(200) {
        if pc_day(l).is_some() || pc_message(l).is_some() {
            return Some(Format::KakaoPc);
        }
        if mobile_stamp(l).is_some() {
            return Some(Format::KakaoMobile);
        }
        if whatsapp_stamp(l, None).is_some() {
            return Some(Format::WhatsApp);
        }
    }
    None
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// "January" or "Jan" (any case) as 1…12.
fn month(word: &str) -> Option<i8> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&w)).map(|i| i as i8 + 1)
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// A 12-hour clock with 오전/오후 or AM/PM, or a 24-hour one:
/// `오후 3:04`, `3:04 PM`, `15:04`, `15:04:12`. `Err` for a time that
/// reads as one but cannot be (13 o'clock in the afternoon).
fn clock(s: &str) -> Option<Result<Time, String>> {
    let s = s.trim();
    let (pm, rest) = if let Some(r) = s.strip_prefix("오후") {
        (Some(true), r)
    } else if let Some(r) = s.strip_prefix("오전") {
        (Some(false), r)
    } else if let Some(r) = s.strip_suffix("PM").or_else(|| s.strip_suffix("pm")) {
        (Some(true), r)
    } else if let Some(r) = s.strip_suffix("AM").or_else(|| s.strip_suffix("am")) {
        (Some(false), r)
    } else {
        (None, s)
    };
    let rest = rest.trim().trim_end_matches('\u{202f}').trim();
    let mut parts = rest.split(':');
    let h: i8 = number(parts.next()?)?;
    let m: i8 = number(parts.next()?)?;
    let sec: i8 = match parts.next() {
        Some(x) => number(x)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let h = match pm {
        Some(_) if !(1..=12).contains(&h) => return Some(Err(format!("{s:?} is not a time"))),
        Some(true) => h % 12 + 12,
        Some(false) => h % 12,
        None => h,
    };
    Some(Time::new(h, m, sec, 0).map_err(|_| format!("{s:?} is not a time")))
}

fn date(y: i16, m: i8, d: i8) -> Result<Date, String> {
    Date::new(y, m, d).map_err(|_| format!("{y}-{m}-{d} is not a date"))
}

/// `2024년 1월 5일 금요일` (or without the weekday).
fn korean_date(s: &str) -> Option<Result<Date, String>> {
    let s = s.trim();
    let (y, rest) = s.split_once('년')?;
    let (m, rest) = rest.split_once('월')?;
    let (d, _) = rest.split_once('일')?;
    Some(date(number(y)?, number(m)?, number(d)?))
}

/// `Friday, January 5, 2024`, `January 5, 2024`, `Jan 5, 2024`.
fn english_date(s: &str) -> Option<Result<Date, String>> {
    let words: Vec<&str> = s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let at = words.iter().position(|w| month(w).is_some())?;
    let m = month(words[at])?;
    let d: i8 = number(words.get(at + 1)?)?;
    let y: i16 = number(words.get(at + 2)?)?;
    Some(date(y, m, d))
}

/// `2024. 1. 5.` at the start of `s`, and the rest.
fn dotted_date(s: &str) -> Option<(Result<Date, String>, &str)> {
    let mut rest = s;
    let mut parts = [0i64; 3];
    for p in &mut parts {
        let (n, r) = rest.trim_start().split_once('.')?;
        *p = number(n)?;
        rest = r;
    }
    let y = i16::try_from(parts[0]).ok()?;
    if y < 1000 {
        return None;
    }
    Some((date(y, parts[1] as i8, parts[2] as i8), rest))
}

/// PC: `--------------- 2024년 1월 5일 금요일 ---------------`.
fn pc_day(line: &str) -> Option<Result<Date, String>> {
    let inner = line.trim().strip_prefix("---")?.trim_start_matches('-');
    let inner = inner.trim_end_matches('-').trim();
    korean_date(inner).or_else(|| english_date(inner))
}

/// PC: `[민지] [오후 3:04] 안녕하세요` → (sender, time, text).
fn pc_message(line: &str) -> Option<(String, Result<Time, String>, String)> {
    let rest = line.strip_prefix('[')?;
    // The name may itself hold "] [" rarely; the time is the last bracket
    // pair that reads as a time.
    let mut search = 0;
    while let Some(i) = rest[search..].find("] [") {
        let at = search + i;
        let after = &rest[at + 3..];
        if let Some(close) = after.find(']')
            && let Some(time) = clock(&after[..close])
        {
            let text = after[close + 1..]
                .strip_prefix(' ')
                .unwrap_or(&after[close + 1..]);
            return Some((rest[..at].to_owned(), time, text.to_owned()));
        }
        search = at + 3;
    }
    None
}

/// A phone export's stamp at the start of a line: `2024. 1. 5. 오후 3:04`
/// or `Jan 5, 2024 at 3:04 PM` (also `January 5, 2024, 3:04 PM`), and
/// what follows it.
fn mobile_stamp(line: &str) -> Option<(Result<DateTime, String>, &str)> {
    if let Some((day, rest)) = dotted_date(line) {
        // "오후 3:04, 민지 : …", or a system line "오후 3:06: …" (whose
        // time ends at its second colon).
        let rest = rest.trim_start();
        let by_comma = rest
            .find(',')
            .and_then(|end| Some((clock(&rest[..end])?, &rest[end + 1..])));
        let (time, after) = match by_comma {
            Some(found) => found,
            None => {
                let (t, after) = split_time_colon(rest)?;
                (clock(t)?, after)
            }
        };
        return Some((both(day, time), after));
    }
    let (head, rest) = line.split_once(" at ").or_else(|| {
        // "January 5, 2024, 3:04 PM, …"
        let first = line.find(", ")?;
        let second = line[first + 2..].find(", ")? + first + 2;
        Some((&line[..second], &line[second + 2..]))
    })?;
    let day = english_date(head)?;
    month(head.split_whitespace().next()?)?;
    let comma = rest.find(',')?;
    let time = clock(&rest[..comma])?;
    Some((both(day, time), &rest[comma + 1..]))
}

/// `3:06: text` → (`3:06`, `text`).
fn split_time_colon(s: &str) -> Option<(&str, &str)> {
    let first = s.find(':')?;
    let second = s[first + 1..].find(':')? + first + 1;
    Some((&s[..second], &s[second + 1..]))
}

fn both(day: Result<Date, String>, time: Result<Time, String>) -> Result<DateTime, String> {
    Ok(day?.to_datetime(time?))
}

/// What KakaoTalk writes in place of what it does not export.
fn kakao_body(sender: String, text: String) -> Body {
    let t = text.trim();
    let media = match t {
        "사진" | "Photo" | "Picture" => Some(Media::Photo),
        "동영상" | "Video" => Some(Media::Video),
        "이모티콘" | "Emoticon" | "Emoticons" => Some(Media::Emoticon),
        _ if t.starts_with("사진 ") && t.ends_with('장') => Some(Media::Photo),
        _ => None,
    };
    if t == "삭제된 메시지입니다." || t == "삭제된 메시지입니다" || t == "This message was deleted."
    {
        return Body::Deleted { sender };
    }
    if let Some(name) = t.strip_prefix("파일: ").or_else(|| t.strip_prefix("File: ")) {
        return Body::Message {
            sender,
            text: String::new(),
            media: Some(Media::Attached(name.trim().to_owned())),
        };
    }
    match media {
        Some(m) => Body::Message {
            sender,
            text: String::new(),
            media: Some(m),
        },
        None => Body::Message {
            sender,
            text,
            media: None,
        },
    }
}

/// Appends a continuation line to the entry before.
fn continue_last(entries: &mut [Entry], line: &str) -> bool {
    // A message's next line, or a file's caption.
    match entries.last_mut().map(|e| &mut e.body) {
        Some(Body::Message { text, .. } | Body::System { text }) => {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(line);
            true
        }
        _ => false,
    }
}

fn kakao(lines: &[&str], format: Format) -> Result<Parsed, ParseError> {
    let title = lines.first().and_then(|l| {
        let l = l.trim();
        l.strip_suffix(" 님과 카카오톡 대화")
            .or_else(|| l.strip_suffix(" 님과 카카오톡 대화방"))
            .or_else(|| l.strip_prefix("Talk with "))
            .or_else(|| l.strip_suffix(" KakaoTalk Chats"))
            .map(str::to_owned)
    });
    let mut entries: Vec<Entry> = Vec::new();
    let mut day: Option<Date> = None;
    let mut started = false;
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = *raw;
        if format == Format::KakaoPc {
            if let Some(d) = pc_day(line) {
                day = Some(d.or_else(|e| fail(n, e))?);
                started = true;
                continue;
            }
            if let Some((sender, time, text)) = pc_message(line) {
                let Some(d) = day else {
                    return fail(n, "a message before any date line");
                };
                let time = time.or_else(|e| fail(n, e))?;
                entries.push(Entry {
                    line: n,
                    at: d.to_datetime(time),
                    body: kakao_body(sender, text),
                });
                continue;
            }
        } else if let Some((stamp, rest)) = mobile_stamp(line) {
            let at = stamp.or_else(|e| fail(n, e))?;
            started = true;
            let body = match rest.split_once(" : ") {
                Some((sender, text)) => kakao_body(sender.trim().to_owned(), text.to_owned()),
                None => Body::System {
                    text: rest.trim().to_owned(),
                },
            };
            entries.push(Entry { line: n, at, body });
            continue;
        } else if (korean_date(line).is_some_and(|d| d.is_ok())
            || english_date(line).is_some_and(|d| d.is_ok()))
            && !line.contains(':')
        {
            // The phone's day line ("2024년 1월 5일 금요일", "Friday,
            // January 5, 2024"): a divider only.
            started = true;
            continue;
        }
        if !started || line.trim().is_empty() && entries.is_empty() {
            // The preamble: title, "저장한 날짜 : …", blank lines.
            continue;
        }
        if format == Format::KakaoPc && entries.is_empty() {
            // Between a date line and the first message: a system line.
            if let Some(d) = day
                && !line.trim().is_empty()
            {
                entries.push(Entry {
                    line: n,
                    at: d.to_datetime(Time::midnight()),
                    body: Body::System {
                        text: line.trim().to_owned(),
                    },
                });
            }
            continue;
        }
        if format == Format::KakaoPc && is_kakao_system(line) {
            // An invite or a leave on a line of its own, at the time of the
            // message before.
            let at = entries.last().map(|e| e.at).unwrap_or_default();
            entries.push(Entry {
                line: n,
                at,
                body: Body::System {
                    text: line.trim().to_owned(),
                },
            });
            continue;
        }
        if !continue_last(&mut entries, line) && !line.trim().is_empty() {
            return fail(n, "a line that continues no message");
        }
    }
    if entries.is_empty() {
        return fail(lines.len().max(1), "no messages");
    }
    trim_continuations(&mut entries);
    Ok(Parsed {
        format,
        title,
        entries,
    })
}

/// KakaoTalk's own lines about the room (PC exports write them alone).
fn is_kakao_system(line: &str) -> bool {
    let t = line.trim();
    (t.contains("님이 ") || t.contains("님을 ") || t.contains("님과 "))
        && (t.ends_with("초대했습니다.") || t.ends_with("나갔습니다.") || t.ends_with("들어왔습니다."))
        || t.ends_with(" left this chatroom.")
        || t.contains(" invited ")
}

/// A message's trailing blank lines are the file's, not the message's.
fn trim_continuations(entries: &mut [Entry]) {
    for e in entries {
        if let Body::Message { text, .. } | Body::System { text } = &mut e.body {
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
        }
    }
}

/// Whether WhatsApp dates are day first: decided by the file's stamps
/// (a first number over 12 is a day, a second over 12 a day too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    DayFirst,
    MonthFirst,
}

/// A WhatsApp stamp: `[05/01/2024, 15:04:12] ` (iOS) or
/// `05/01/2024, 15:04 - ` (Android), and what follows. The three numbers
/// and the time; the order is applied by the caller.
fn whatsapp_stamp(line: &str, order: Option<Order>) -> Option<(Result<DateTime, String>, &str, [i64; 3])> {
    let (inner, rest) = if let Some(r) = line.strip_prefix('[') {
        let close = r.find(']')?;
        (&r[..close], r[close + 1..].strip_prefix(' ')?)
    } else {
        let dash = line.find(" - ")?;
        (&line[..dash], &line[dash + 3..])
    };
    let (d, t) = inner.split_once(", ")?;
    let parts: Vec<&str> = d.split(['/', '.', '-']).collect();
    if parts.len() != 3 {
        return None;
    }
    let nums: Vec<i64> = parts.iter().map(|p| number(p)).collect::<Option<_>>()?;
    let nums = [nums[0], nums[1], nums[2]];
    let time = clock(t)?;
    let (a, b) = match order.unwrap_or(Order::DayFirst) {
        Order::DayFirst => (nums[0], nums[1]),
        Order::MonthFirst => (nums[1], nums[0]),
    };
    let year = if nums[2] < 100 { 2000 + nums[2] } else { nums[2] };
    let day = date(year as i16, b as i8, a as i8);
    Some((both(day, time), rest, nums))
}

fn whatsapp(lines: &[&str]) -> Result<Parsed, ParseError> {
    // A first number above 12 anywhere means day first; a second above 12
    // means month first; with neither, the phone's default of most
    // locales, day first.
    let mut order = Order::DayFirst;
    for l in lines {
        if let Some((_, _, n)) = whatsapp_stamp(l, None) {
            if n[0] > 12 {
                order = Order::DayFirst;
                break;
            }
            if n[1] > 12 {
                order = Order::MonthFirst;
                break;
            }
        }
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.trim_start_matches('\u{200e}');
        if let Some((stamp, rest, _)) = whatsapp_stamp(line, Some(order)) {
            let at = stamp.or_else(|e| fail(n, e))?;
            let rest = rest.trim_start_matches('\u{200e}');
            let body = match rest.split_once(": ") {
                Some((sender, text)) => whatsapp_body(sender.to_owned(), text),
                None => Body::System {
                    text: rest.trim().to_owned(),
                },
            };
            entries.push(Entry { line: n, at, body });
            continue;
        }
        if entries.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            return fail(n, "a line before the first message");
        }
        if !continue_last(&mut entries, line) && !line.trim().is_empty() {
            return fail(n, "a line that continues no message");
        }
    }
    if entries.is_empty() {
        return fail(lines.len().max(1), "no messages");
    }
    trim_continuations(&mut entries);
    Ok(Parsed {
        format: Format::WhatsApp,
        title: None,
        entries,
    })
}

fn whatsapp_body(sender: String, text: &str) -> Body {
    let t = text.trim().trim_start_matches('\u{200e}');
    if t == "This message was deleted" || t == "You deleted this message" {
        return Body::Deleted { sender };
    }
    if t == "<Media omitted>" {
        return Body::Message {
            sender,
            text: String::new(),
            media: Some(Media::Omitted),
        };
    }
    // iOS: "<attached: 00000012-PHOTO-2024-01-05-15-04-12.jpg>"
    if let Some(name) = t.strip_prefix("<attached: ").and_then(|r| r.strip_suffix('>')) {
        return Body::Message {
            sender,
            text: String::new(),
            media: Some(Media::Attached(name.to_owned())),
        };
    }
    // Android: "IMG-20240105-WA0001.jpg (file attached)", a caption on the
    // next lines.
    if let Some((first, caption)) = t.split_once('\n').map_or(Some((t, "")), Some)
        && let Some(name) = first.strip_suffix(" (file attached)")
    {
        return Body::Message {
            sender,
            text: caption.to_owned(),
            media: Some(Media::Attached(name.to_owned())),
        };
    }
    Body::Message {
        sender,
        text: text.to_owned(),
        media: None,
    }
}

/// Madang's own `chat.json` (a [`ChatArchive`]): each message at its
/// exact time (in UTC), under the name its writer had for the exporter
/// (with the handle where two share a name), attachments by their path in
/// the zip.
fn madang(text: &str) -> Result<Parsed, ParseError> {
    let archive: ChatArchive = serde_json::from_str(text).map_err(|e| ParseError {
        line: e.line().max(1),
        reason: format!("not a Madang chat export: {e}"),
    })?;
    if archive.madang_export != 1 {
        return fail(
            1,
            format!("a Madang export of layout {}, not 1", archive.madang_export),
        );
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    for p in &archive.people {
        *count.entry(p.display_name.as_str()).or_default() += 1;
    }
    let names: HashMap<UserId, String> = archive
        .people
        .iter()
        .map(|p| {
            let name = if count[p.display_name.as_str()] > 1 {
                format!("{} (@{})", p.display_name, p.handle)
            } else {
                p.display_name.clone()
            };
            (p.id, name)
        })
        .collect();
    let mut entries = Vec::with_capacity(archive.messages.len());
    for (i, m) in archive.messages.iter().enumerate() {
        let ts = jiff::Timestamp::from_millisecond(m.created_at.0)
            .or_else(|e| fail(i + 1, format!("message {}: {e}", i + 1)))?;
        let sender = m
            .imported_name
            .clone()
            .or_else(|| names.get(&m.sender_id).cloned())
            .unwrap_or_else(|| "?".to_owned());
        let body = if m.kind == MessageKind::Notice {
            Body::System { text: m.text.clone() }
        } else if m.deleted {
            Body::Deleted { sender }
        } else {
            Body::Message {
                sender,
                text: m.text.clone(),
                media: super::export::media_path(m).map(Media::Attached),
            }
        };
        entries.push(Entry {
            line: i + 1,
            at: jiff::tz::TimeZone::UTC.to_datetime(ts),
            body,
        });
    }
    Ok(Parsed {
        format: Format::Madang,
        title: Some(archive.room.title),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> DateTime {
        date(y, mo, d).at(h, mi, 0, 0)
    }

    fn message(sender: &str, text: &str) -> Body {
        Body::Message {
            sender: sender.into(),
            text: text.into(),
            media: None,
        }
    }

    #[test]
    fn kakao_pc_in_korean() {
        let file = include_str!("fixtures/kakao_pc_ko.txt");
        let p = parse(file).unwrap();
        assert_eq!(p.format, Format::KakaoPc);
        assert_eq!(p.title.as_deref(), Some("주말 등산 모임"));
        let bodies: Vec<(&DateTime, &Body)> = p.entries.iter().map(|e| (&e.at, &e.body)).collect();
        assert_eq!(bodies.len(), 8, "{bodies:#?}");
        assert_eq!(*bodies[0].0, at(2024, 1, 5, 15, 4));
        assert_eq!(*bodies[0].1, message("민지", "이번 주 토요일 북한산 어때요?"));
        assert_eq!(
            *bodies[1].1,
            message("준호", "좋아요!\n9시 구파발역에서 만나요\n물은 각자 챙겨요")
        );
        assert_eq!(
            *bodies[2].1,
            Body::Message {
                sender: "민지".into(),
                text: String::new(),
                media: Some(Media::Photo)
            }
        );
        assert_eq!(
            *bodies[3].1,
            Body::System {
                text: "민지님이 서연님을 초대했습니다.".into()
            }
        );
        assert_eq!(
            *bodies[4].1,
            Body::Deleted {
                sender: "서연".into()
            }
        );
        assert_eq!(*bodies[5].0, at(2024, 1, 6, 0, 12));
        assert_eq!(*bodies[6].0, at(2024, 1, 6, 12, 30));
        assert_eq!(
            *bodies[7].1,
            Body::Message {
                sender: "서연".into(),
                text: String::new(),
                media: Some(Media::Emoticon)
            }
        );
        assert_eq!(p.entries[1].line, 6);
    }

    #[test]
    fn kakao_pc_in_english() {
        let p = parse(include_str!("fixtures/kakao_pc_en.txt")).unwrap();
        assert_eq!(p.format, Format::KakaoPc);
        assert_eq!(p.entries.len(), 3);
        assert_eq!(p.entries[0].at, at(2024, 1, 5, 15, 4));
        assert_eq!(p.entries[0].body, message("Minji", "Shall we hike on Saturday?"));
        assert_eq!(p.entries[2].at, at(2024, 1, 6, 0, 5));
    }

    #[test]
    fn kakao_on_the_phone_in_korean_and_english() {
        let p = parse(include_str!("fixtures/kakao_mobile_ko.txt")).unwrap();
        assert_eq!(p.format, Format::KakaoMobile);
        assert_eq!(p.title.as_deref(), Some("주말 등산 모임"));
        assert_eq!(p.entries.len(), 5);
        assert_eq!(p.entries[0].at, at(2024, 1, 5, 15, 4));
        assert_eq!(
            p.entries[0].body,
            message("민지", "이번 주 토요일 북한산 어때요?")
        );
        assert_eq!(
            p.entries[1].body,
            message("준호", "좋아요!\n9시 구파발역에서 만나요")
        );
        assert_eq!(
            p.entries[2].body,
            Body::System {
                text: "민지님이 서연님을 초대했습니다.".into()
            }
        );
        assert_eq!(p.entries[3].at, at(2024, 1, 6, 0, 2));
        assert_eq!(
            p.entries[4].body,
            Body::Message {
                sender: "서연".into(),
                text: String::new(),
                media: Some(Media::Attached("등산지도.pdf".into()))
            }
        );
        let p = parse(include_str!("fixtures/kakao_mobile_en.txt")).unwrap();
        assert_eq!(p.format, Format::KakaoMobile);
        assert_eq!(p.entries.len(), 3);
        assert_eq!(p.entries[0].at, at(2024, 1, 5, 15, 4));
        assert_eq!(p.entries[1].at, at(2024, 1, 5, 0, 30));
        assert_eq!(
            p.entries[2].body,
            message("Junho", "See you at 9, Gupabal station")
        );
    }

    #[test]
    fn whatsapp_from_android_and_iphone() {
        let p = parse(include_str!("fixtures/whatsapp_android.txt")).unwrap();
        assert_eq!(p.format, Format::WhatsApp);
        assert_eq!(p.entries.len(), 6);
        assert!(matches!(p.entries[0].body, Body::System { .. }));
        // 13/01/2024 decides day first for the whole file.
        assert_eq!(p.entries[1].at, at(2024, 1, 5, 15, 4));
        assert_eq!(
            p.entries[1].body,
            message("Minji", "Hiking on Saturday?\nBukhansan maybe")
        );
        assert_eq!(
            p.entries[2].body,
            Body::Message {
                sender: "Junho".into(),
                text: "the trail map".into(),
                media: Some(Media::Attached("IMG-20240105-WA0001.jpg".into()))
            }
        );
        assert_eq!(
            p.entries[3].body,
            Body::Message {
                sender: "Minji".into(),
                text: String::new(),
                media: Some(Media::Omitted)
            }
        );
        assert_eq!(
            p.entries[4].body,
            Body::Deleted {
                sender: "Junho".into()
            }
        );
        assert_eq!(p.entries[5].at, at(2024, 1, 13, 9, 0));
        let p = parse(include_str!("fixtures/whatsapp_ios.txt")).unwrap();
        assert_eq!(p.entries.len(), 3);
        // 1/25/24 decides month first.
        assert_eq!(p.entries[0].at, date(2024, 1, 5).at(15, 4, 12, 0));
        assert_eq!(p.entries[2].at, date(2024, 1, 25).at(21, 1, 0, 0));
        assert_eq!(
            p.entries[1].body,
            Body::Message {
                sender: "민지".into(),
                text: String::new(),
                media: Some(Media::Attached("00000012-PHOTO-2024-01-05-15-05-00.jpg".into()))
            }
        );
    }

    #[test]
    fn a_malformed_file_names_the_line_it_stopped_at() {
        let bad_time = "--------------- 2024년 1월 5일 금요일 ---------------\n[민지] [오후 3:04] 안녕\n[준호] [오후 13:05] 이상한 시간\n";
        assert_eq!(parse(bad_time).unwrap_err().line, 3);
        let bad_date =
            "x\n\n--------------- 2024년 2월 30일 금요일 ---------------\n[민지] [오후 3:04] 안녕\n";
        assert_eq!(parse(bad_date).unwrap_err().line, 3);
        let stray = "hello there\n05/01/2024, 15:04 - Minji: hi\n";
        assert_eq!(parse(stray).unwrap_err().line, 1);
        let nothing = "just some notes\nnothing else\n";
        assert_eq!(parse(nothing).unwrap_err().line, 1);
        let before_day = "[민지] [오후 3:04] 안녕\n";
        assert_eq!(parse(before_day).unwrap_err().line, 1);
    }
}
