//! Importing a chat another messenger exported: read it (the `.txt`, or
//! the zip with its media), show who writes in it, then write it into a
//! new group or one of the person's rooms, before that room's live
//! messages. Nothing is new to anyone: no event, no push, no unread.
//!
//! The same chat (its text's SHA-256) imported again by the same person
//! writes nothing. A file that is not an export fails with the line where
//! reading stopped, before anything is written.

use super::exports::{self, Body, Format, Media, Parsed};
use crate::local::hours;
use crate::{Core, Error, Result, Session};
use bytes::Bytes;
use jiff::tz::TimeZone;
use madang_bus::{Live, Topic};
use madang_store::{ImportRow, ImportedMessage, NewImport, StoreError};
use madang_types::api::{Attachment, CreateGroupRequest, MessageKind, RoomKind};
use madang_types::history::{
    ExportFormat, ImportDone, ImportPlan, ImportPreview, ImportProgress, ImportSender,
};
use madang_types::{Millis, RoomId, UserId};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};

/// A name kept as a name is cut to this many characters (an export's
/// sender can be anything).
const MAX_NAME_CHARS: usize = 60;
/// An import still writing after this long was left by a node that
/// stopped: the same file tried again removes it and starts over.
const STALE_IMPORT_MS: i64 = 10 * 60 * 1000;

/// An export as uploaded: the chat's text and, from a zip, its other files
/// by name.
struct Export {
    text: String,
    zip: Option<zip::ZipArchive<Cursor<Bytes>>>,
    /// File name (without folders) → index in the zip.
    files: HashMap<String, usize>,
}

impl Export {
    /// Reads an upload: a zip holding the chat's `.txt` (the largest, if
    /// there are several) and its media, or the `.txt` itself.
    fn open(bytes: Bytes, limit: usize) -> Result<Export> {
        if !bytes.starts_with(b"PK\x03\x04") {
            let text = String::from_utf8(bytes.to_vec()).map_err(|e| Error::MalformedExport {
                line: line_of(&bytes, e.utf8_error().valid_up_to()),
                reason: "the file is not UTF-8 text".into(),
            })?;
            return Ok(Export {
                text,
                zip: None,
                files: HashMap::new(),
            });
        }
        let broken = |e: zip::result::ZipError| Error::MalformedExport {
            line: 1,
            reason: format!("the zip cannot be read: {e}"),
        };
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
        let mut files = HashMap::new();
        let mut chat: Option<(usize, u64)> = None;
        for i in 0..zip.len() {
            let f = zip.by_index(i).map_err(broken)?;
            if f.is_dir() {
                continue;
            }
            let full = f.name().map_err(broken)?.into_owned();
            let name = base_name(&full).to_owned();
            // Madang's own chat.json, else the largest .txt.
            if full == "chat.json" {
                chat = Some((i, u64::MAX));
            } else if name.to_ascii_lowercase().ends_with(".txt")
                && chat.is_none_or(|(_, size)| f.size() > size)
            {
                chat = Some((i, f.size()));
            }
            if !name.is_empty() {
                files.entry(name).or_insert(i);
                files.insert(full, i);
            }
        }
        let Some((index, _)) = chat else {
            return Err(Error::MalformedExport {
                line: 1,
                reason: "the zip holds no chat (a .txt, or Madang's chat.json)".into(),
            });
        };
        let mut raw = Vec::new();
        // The chat unpacked is held to the upload's own limit: a small zip
        // may claim (or hide) gigabytes.
        let too_big = || Error::TooLarge {
            what: "the export's chat",
            limit,
        };
        let f = zip.by_index(index).map_err(broken)?;
        if f.size() > limit as u64 {
            return Err(too_big());
        }
        f.take(limit as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| broken(e.into()))?;
        if raw.len() > limit {
            return Err(too_big());
        }
        let text = String::from_utf8(raw).map_err(|e| Error::MalformedExport {
            line: line_of(e.as_bytes(), e.utf8_error().valid_up_to()),
            reason: "the chat is not UTF-8 text".into(),
        })?;
        Ok(Export {
            text,
            zip: Some(zip),
            files,
        })
    }

    /// The zip's file a chat names: by its path, else by its name alone.
    fn index(&self, name: &str) -> Option<usize> {
        self.files
            .get(name)
            .or_else(|| self.files.get(base_name(name)))
            .copied()
    }

    /// The bytes of a file of the zip the chat names, if it has it.
    fn file(&mut self, name: &str, limit: usize) -> Option<std::result::Result<Bytes, ()>> {
        let index = self.index(name)?;
        let zip = self.zip.as_mut()?;
        let f = zip.by_index(index).ok()?;
        if f.size() > limit as u64 {
            return Some(Err(()));
        }
        let mut raw = Vec::new();
        match f.take(limit as u64 + 1).read_to_end(&mut raw) {
            Ok(_) if raw.len() <= limit => Some(Ok(Bytes::from(raw))),
            _ => Some(Err(())),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.index(name).is_some()
    }
}

/// The line (from 1) of byte `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn format_of(f: Format) -> ExportFormat {
    match f {
        Format::KakaoPc => ExportFormat::KakaoPc,
        Format::KakaoMobile => ExportFormat::KakaoMobile,
        Format::WhatsApp => ExportFormat::Whatsapp,
        Format::Madang => ExportFormat::Madang,
    }
}

fn parse(text: &str) -> Result<Parsed> {
    let parsed = exports::parse(text).map_err(|e| Error::MalformedExport {
        line: e.line,
        reason: e.reason,
    })?;
    if parsed.entries.is_empty() {
        return Err(Error::MalformedExport {
            line: 1,
            reason: "the export holds no message".into(),
        });
    }
    Ok(parsed)
}

/// An upload read: the export, its chat, the zone its times are read in,
/// and the chat's hash.
struct Upload {
    export: Export,
    parsed: Parsed,
    zone_name: String,
    tz: TimeZone,
    sha256: String,
}

/// A file's name without the folders of its path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The files messages name that the zip holds, in order (a name may
/// repeat).
fn attached(parsed: &Parsed, export: &Export) -> Vec<String> {
    parsed
        .entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::Message {
                media: Some(Media::Attached(n)),
                ..
            } if export.has(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn import_running() -> Error {
    Error::Conflict {
        code: "import_running",
        message: "this chat is being imported now".into(),
    }
}

/// Madang's own export holds exact times (read in UTC); the others the
/// phone's clock, read in `zone`.
fn exact_or(format: Format, zone: (String, TimeZone)) -> (String, TimeZone) {
    if format == Format::Madang {
        ("UTC".to_owned(), TimeZone::UTC)
    } else {
        zone
    }
}

/// Opens and reads an export on a blocking thread: a big chat is seconds
/// of work that must not hold up the runtime.
async fn read_off_runtime(bytes: Bytes, limit: usize) -> Result<(Export, Parsed)> {
    tokio::task::spawn_blocking(move || {
        let export = Export::open(bytes, limit)?;
        let parsed = parse(&export.text)?;
        Ok((export, parsed))
    })
    .await
    .map_err(|e| Error::Internal(Box::new(e)))?
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Millis of an export's wall-clock time in `tz`.
fn millis(at: jiff::civil::DateTime, tz: &TimeZone) -> Result<Millis> {
    let ts = tz
        .to_timestamp(at)
        .map_err(|e| Error::invalid("invalid_time_zone", e.to_string()))?;
    Ok(Millis(ts.as_millisecond()))
}

fn sender_of(body: &Body) -> Option<&str> {
    match body {
        Body::Message { sender, .. } | Body::Deleted { sender } => Some(sender),
        Body::System { .. } => None,
    }
}

/// Those who write in the export, most messages first.
fn senders(parsed: &Parsed) -> Vec<(String, i64)> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for e in &parsed.entries {
        if let Some(s) = sender_of(&e.body) {
            *counts.entry(s).or_default() += 1;
        }
    }
    let mut all: Vec<(String, i64)> = counts.into_iter().map(|(s, n)| (s.to_owned(), n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all
}

/// What the export said for something it did not hold, in its language.
fn placeholder(media: &Media, korean: bool) -> String {
    let (ko, en) = match media {
        Media::Photo => ("사진", "Photo"),
        Media::Video => ("동영상", "Video"),
        Media::Emoticon => ("이모티콘", "Emoticon"),
        Media::Omitted => ("첨부 파일 (내보내기에 없음)", "Attachment (not in the export)"),
        Media::Attached(name) => return format!("📎 {}", base_name(name)),
    };
    format!("[{}]", if korean { ko } else { en })
}

fn has_hangul(text: &str) -> bool {
    text.chars().take(4000).any(|c| ('가'..='힣').contains(&c))
}

/// Who each export name is, checked.
struct Cast {
    me: UserId,
    friends: HashMap<String, UserId>,
}

impl Cast {
    /// The member a name's messages are stored under, and the name to show
    /// when it is kept as a name only.
    fn who(&self, name: &str, me_name: &str) -> (UserId, Option<String>) {
        if name == me_name {
            return (self.me, None);
        }
        match self.friends.get(name) {
            Some(&u) => (u, None),
            None => (self.me, Some(name.chars().take(MAX_NAME_CHARS).collect())),
        }
    }
}

impl Core {
    /// Reads an upload the way preview and import both do: its size, the
    /// zone its times are read in (the one asked for, else the person's;
    /// Madang's own export is exact), the chat parsed off the runtime, its
    /// message count and its hash.
    async fn read_export(&self, me: &Session, bytes: Bytes, asked: Option<&str>) -> Result<Upload> {
        self.check_import_size(&bytes)?;
        let zone = match asked {
            Some(z) => (z.to_owned(), hours::zone(z)?),
            None => self.person_zone(me.user).await?,
        };
        let (export, parsed) = read_off_runtime(bytes, self.limits.max_import_bytes).await?;
        self.check_import_count(&parsed)?;
        let (zone_name, tz) = exact_or(parsed.format, zone);
        let sha256 = sha256_hex(&export.text);
        Ok(Upload {
            export,
            parsed,
            zone_name,
            tz,
            sha256,
        })
    }

    fn check_import_size(&self, bytes: &Bytes) -> Result<()> {
        if bytes.len() > self.limits.max_import_bytes {
            return Err(Error::TooLarge {
                what: "the export",
                limit: self.limits.max_import_bytes,
            });
        }
        if bytes.is_empty() {
            return Err(Error::invalid("empty_upload", "the upload is empty"));
        }
        Ok(())
    }

    fn check_import_count(&self, parsed: &Parsed) -> Result<()> {
        if parsed.entries.len() > self.limits.max_import_messages {
            return Err(Error::TooLarge {
                what: "the export's message count",
                limit: self.limits.max_import_messages,
            });
        }
        Ok(())
    }

    fn done(row: &ImportRow, already: bool) -> ImportDone {
        ImportDone {
            import_id: row.id,
            room_id: row.room_id,
            messages: row.messages,
            media: row.media,
            already_imported: already,
        }
    }

    /// Reads an export and says what it holds and who writes in it,
    /// writing nothing.
    pub async fn preview_import(
        &self,
        me: &Session,
        bytes: Bytes,
        time_zone: Option<&str>,
    ) -> Result<ImportPreview> {
        let Upload {
            export,
            parsed,
            zone_name,
            tz,
            sha256,
        } = self.read_export(me, bytes, time_zone).await?;
        // One still being written is not there yet.
        let already = self
            .repos
            .import_of_file(me.user, &sha256)
            .await?
            .filter(|r| !r.writing);
        let my_name = self.repos.user(me.user).await?.map(|u| u.display_name);
        let friends = self.repos.friends(me.user).await?;
        let names = senders(&parsed);
        let me_name = names
            .iter()
            .find(|(n, _)| Some(n) == my_name.as_ref())
            .map(|(n, _)| n.clone());
        let senders = names
            .into_iter()
            .map(|(name, messages)| {
                // Only a name that is one friend's exactly is a suggestion.
                let mut same = friends.iter().filter(|f| f.user.display_name == name);
                let friend_id = match (same.next(), same.next()) {
                    (Some(f), None) if Some(&name) != me_name.as_ref() => Some(f.user.id),
                    _ => None,
                };
                ImportSender {
                    name,
                    messages,
                    friend_id,
                }
            })
            .collect();
        let media = attached(&parsed, &export).len() as i64;
        let first = parsed.entries.first().map(|e| e.at).unwrap_or_default();
        let last = parsed.entries.last().map(|e| e.at).unwrap_or_default();
        Ok(ImportPreview {
            format: format_of(parsed.format),
            title: parsed.title.clone(),
            messages: parsed.entries.len() as i64,
            media,
            first_at: millis(first, &tz)?,
            last_at: millis(last, &tz)?,
            time_zone: zone_name,
            senders,
            me: me_name,
            already: already.as_ref().map(|r| Self::done(r, true)),
        })
    }

    /// Checks the plan against the export and the caller's friends and
    /// rooms; nothing is written.
    async fn cast(&self, me: &Session, plan: &ImportPlan, parsed: &Parsed) -> Result<Cast> {
        let names: BTreeSet<String> = senders(parsed).into_iter().map(|(n, _)| n).collect();
        let unknown = |n: &str| {
            Error::invalid(
                "unknown_sender",
                format!("\u{201c}{n}\u{201d} does not write in this chat"),
            )
        };
        if !names.contains(&plan.me) {
            return Err(unknown(&plan.me));
        }
        let mut friends = HashMap::new();
        for (name, &id) in &plan.friends {
            if !names.contains(name) {
                return Err(unknown(name));
            }
            if name == &plan.me || id == me.user {
                return Err(Error::invalid(
                    "invalid_plan",
                    "the caller's own name is `me`, not a friend",
                ));
            }
            if !self.repos.is_friend(me.user, id).await? {
                return Err(Error::NotFound("friend"));
            }
            if self.repos.has_blocked(id, me.user).await? {
                return Err(Error::Blocked);
            }
            friends.insert(name.clone(), id);
        }
        Ok(Cast { me: me.user, friends })
    }

    /// The room the history goes into: the plan's (a 1:1 or group chat of
    /// the caller's with every friend of the plan in it), or a new group
    /// with the caller and those friends.
    async fn import_room(
        &self,
        me: &Session,
        plan: &ImportPlan,
        parsed: &Parsed,
        cast: &Cast,
    ) -> Result<RoomId> {
        let mut people: Vec<UserId> = cast.friends.values().copied().collect();
        people.sort();
        people.dedup();
        if let Some(room) = plan.room_id {
            self.membership(me, room).await?;
            let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
            if !matches!(row.kind, RoomKind::Direct | RoomKind::Group) || row.channel_id.is_some() {
                return Err(Error::invalid(
                    "cannot_import_here",
                    "history can be imported into a 1:1 or group chat",
                ));
            }
            for &u in &people {
                if self.repos.member(room, u).await?.is_none() {
                    return Err(Error::invalid(
                        "not_in_room",
                        "every friend of the plan must be in the room",
                    ));
                }
            }
            return Ok(room);
        }
        // The plan's title is checked as any group's; the export's own is
        // cleaned, or made of the first names.
        let title = match &plan.title {
            Some(t) => t.clone(),
            None => {
                let from_file: String = parsed
                    .title
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(self.limits.max_title_chars)
                    .collect();
                if from_file.trim().is_empty() {
                    let names = senders(parsed);
                    let t: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).take(4).collect();
                    let joined: String = t.join(", ").chars().filter(|c| !c.is_control()).collect();
                    let joined: String = joined.chars().take(self.limits.max_title_chars).collect();
                    if joined.trim().is_empty() {
                        "Imported chat".to_owned()
                    } else {
                        joined
                    }
                } else {
                    from_file
                }
            }
        };
        let room = self
            .create_group(
                me,
                CreateGroupRequest {
                    title,
                    member_ids: people,
                },
            )
            .await?;
        Ok(room.id)
    }

    /// Tells the person's devices how far their import is.
    async fn import_progress(&self, me: UserId, stage: &str, done: usize, total: usize) {
        let progress = ImportProgress {
            stage: stage.to_owned(),
            done: done as i64,
            total: total as i64,
        };
        self.publish(Topic::User(me), Live::ImportProgress(progress))
            .await;
    }

    /// Imports an export as the plan says. The same chat imported before
    /// writes nothing and answers with that import.
    pub async fn import_history(&self, me: &Session, bytes: Bytes, plan: ImportPlan) -> Result<ImportDone> {
        let Upload {
            mut export,
            parsed,
            tz,
            sha256,
            ..
        } = self.read_export(me, bytes, plan.time_zone.as_deref()).await?;
        if let Some(row) = self.repos.import_of_file(me.user, &sha256).await? {
            if !row.writing {
                return Ok(Self::done(&row, true));
            }
            // Half-written: still going, or left by a node that stopped.
            if self.now().0 - row.created_at.0 < STALE_IMPORT_MS {
                return Err(import_running());
            }
            self.repos.abandon_import(row.id).await?;
        }
        let cast = self.cast(me, &plan, &parsed).await?;
        // Every time is read before anything is written.
        let times = parsed
            .entries
            .iter()
            .map(|e| millis(e.at, &tz))
            .collect::<Result<Vec<Millis>>>()?;
        let room = self.import_room(me, &plan, &parsed, &cast).await?;
        let korean = has_hangul(&export.text);
        let attached = attached(&parsed, &export);
        let mut stored: HashMap<String, (MessageKind, Attachment)> = HashMap::new();
        for (i, name) in attached.iter().enumerate() {
            if stored.contains_key(name) {
                continue;
            }
            if let Some(Ok(bytes)) = export.file(name, self.limits.max_upload_bytes) {
                // A file the media store refuses stays a name in the text.
                let file_name = base_name(name);
                if let Ok(up) = self
                    .upload_media(me, file_name, content_type_of(name), bytes)
                    .await
                {
                    stored.insert(name.clone(), self.attachment(me, &up.media_id).await?);
                }
            }
            self.import_progress(me.user, "media", i + 1, attached.len())
                .await;
        }
        let max_chars = self.limits.max_message_chars;
        let mut messages = Vec::with_capacity(parsed.entries.len());
        for (e, at) in parsed.entries.iter().zip(times) {
            let m = match &e.body {
                Body::Message { sender, text, media } => {
                    let (sender_id, imported_name) = cast.who(sender, &plan.me);
                    let (kind, attachment, text) = match media {
                        Some(Media::Attached(n)) if stored.contains_key(n) => {
                            let (kind, a) = stored[n].clone();
                            (kind, Some(a), text.clone())
                        }
                        Some(m) => {
                            let label = placeholder(m, korean);
                            let text = if text.trim().is_empty() {
                                label
                            } else {
                                format!("{label}\n{text}")
                            };
                            (MessageKind::Text, None, text)
                        }
                        None => (MessageKind::Text, None, text.clone()),
                    };
                    ImportedMessage {
                        sender_id,
                        imported_name,
                        kind,
                        text: text.chars().take(max_chars).collect(),
                        attachment,
                        at,
                        deleted: false,
                    }
                }
                Body::Deleted { sender } => {
                    let (sender_id, imported_name) = cast.who(sender, &plan.me);
                    ImportedMessage {
                        sender_id,
                        imported_name,
                        kind: MessageKind::Text,
                        text: String::new(),
                        attachment: None,
                        at,
                        deleted: true,
                    }
                }
                Body::System { text } => ImportedMessage {
                    sender_id: me.user,
                    imported_name: None,
                    kind: MessageKind::Notice,
                    text: text.chars().take(max_chars).collect(),
                    attachment: None,
                    at,
                    deleted: false,
                },
            };
            messages.push(m);
        }
        let new = NewImport {
            user_id: me.user,
            sha256: sha256.clone(),
            room_id: room,
            format: format_of(parsed.format).as_str().to_owned(),
            media: stored.len() as i64,
            at: self.now(),
        };
        // The store reports from inside its transaction; the counts go on
        // to the person's devices alongside, in order.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let total = messages.len();
        let report = move |done: usize| {
            let _ = tx.send(done);
        };
        // The reporter ends with the write, which ends the relay.
        let write = async move { self.repos.write_import(new, &messages, &report).await };
        let relay = async {
            while let Some(done) = rx.recv().await {
                self.import_progress(me.user, "messages", done, total).await;
            }
        };
        let (written, ()) = tokio::join!(write, relay);
        let row = match written {
            Ok(row) => row,
            // The same chat, imported at the same moment elsewhere.
            Err(StoreError::Conflict(_)) => {
                return match self.repos.import_of_file(me.user, &sha256).await? {
                    Some(row) if !row.writing => Ok(Self::done(&row, true)),
                    _ => Err(import_running()),
                };
            }
            Err(e) => return Err(e.into()),
        };
        self.publish(
            Topic::Room(row.room_id),
            Live::HistoryImported { room_id: row.room_id },
        )
        .await;
        metrics::counter!("madang_imports_total", "format" => row.format.clone()).increment(1);
        metrics::counter!("madang_imported_messages_total").increment(row.messages as u64);
        Ok(Self::done(&row, false))
    }
}

/// A type for a zip's file by its name, for the media store (which decides
/// images by their bytes).
fn content_type_of(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "opus" | "ogg" => "audio/ogg",
        "m4a" => "audio/mp4",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_counted_from_one() {
        assert_eq!(line_of(b"abc", 1), 1);
        assert_eq!(line_of(b"a\nb\nc", 4), 3);
        assert_eq!(line_of(b"a\n", 99), 2);
    }

    #[test]
    fn a_name_kept_as_a_name_is_stored_under_the_importer() {
        let cast = Cast {
            me: UserId(1),
            friends: HashMap::from([("준호".to_owned(), UserId(2))]),
        };
        assert_eq!(cast.who("민지", "민지"), (UserId(1), None));
        assert_eq!(cast.who("준호", "민지"), (UserId(2), None));
        assert_eq!(cast.who("서연", "민지"), (UserId(1), Some("서연".to_owned())));
    }

    #[test]
    fn placeholders_speak_the_exports_language() {
        assert_eq!(placeholder(&Media::Photo, true), "[사진]");
        assert_eq!(placeholder(&Media::Emoticon, false), "[Emoticon]");
        assert_eq!(placeholder(&Media::Attached("a.pdf".into()), true), "📎 a.pdf");
    }
}
