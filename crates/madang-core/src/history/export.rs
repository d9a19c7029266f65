//! Taking history out: a room, from the person's join on, as KakaoTalk's
//! `.txt`, as JSON in the API's own shapes (with its media; it imports
//! back), or as one HTML page with its media in a zip; or the person's
//! whole account. Each is a job: asked for over the API, built by
//! whichever node claims it (a node that stops mid-way loses its claim and
//! another starts over), its progress told to the person's devices, its
//! file kept behind an unguessable link until it expires.

use crate::accounts::random_hex;
use crate::{Core, Error, Result, Session};
use bytes::Bytes;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use madang_bus::{Live, Topic};
use madang_store::{ExportFile, ExportRow, StoredMessage};
use madang_types::api::{Message, MessageKind, Profile};
use madang_types::history::{AccountArchive, ArchivedRoom, ChatArchive, ExportJob, ExportKind, ExportState};
use madang_types::{DeviceId, Millis, RoomId, Seq, UserId};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a node holds an export it builds before another may take it
/// over; renewed as it goes.
const LEASE_MS: i64 = 120_000;
/// Messages read per page while building.
const PAGE: i64 = 100;
/// Exports one person may have waiting or running at once.
const MAX_UNFINISHED: i64 = 2;
/// The layout of `chat.json` and `account.json`.
const ARCHIVE_VERSION: u32 = 1;

/// A path segment for a zip entry and a relative link: the name without
/// anything that could climb out of its folder.
fn safe_name(name: &str) -> String {
    let base: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    match base.trim() {
        "" | "." | ".." => "file".to_owned(),
        b => b.to_owned(),
    }
}

/// Where a message's attachment lies in an export's zip.
pub(crate) fn media_path(m: &Message) -> Option<String> {
    let a = m.attachment.as_ref()?;
    Some(format!("media/{}/{}", a.media_id.0, safe_name(&a.name)))
}

/// Percent-encoding of a relative link (each byte outside the unreserved
/// set and `/`).
fn href(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A moment in the zone, as KakaoTalk writes it.
struct Clock {
    day: String,
    time: String,
    stamp: String,
}

fn clock(at: Millis, tz: &TimeZone) -> Clock {
    let z = tz.to_datetime(Timestamp::from_millisecond(at.0).unwrap_or(Timestamp::UNIX_EPOCH));
    let weekday = crate::local::hours::day_name(z.weekday(), true, false);
    let (half, hour) = match z.hour() {
        0 => ("오전", 12),
        h @ 1..=11 => ("오전", h),
        12 => ("오후", 12),
        h => ("오후", h - 12),
    };
    Clock {
        day: format!("{}년 {}월 {}일 {weekday}", z.year(), z.month(), z.day()),
        time: format!("{half} {hour}:{:02}", z.minute()),
        stamp: format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}",
            z.year(),
            z.month(),
            z.day(),
            z.hour(),
            z.minute(),
            z.second()
        ),
    }
}

/// What a message says in a line of text, as KakaoTalk words it.
fn words(m: &Message) -> String {
    if m.deleted {
        return "삭제된 메시지입니다.".to_owned();
    }
    let caption = |head: String| {
        if m.text.is_empty() {
            head
        } else {
            format!("{head}\n{}", m.text)
        }
    };
    match (m.kind, &m.attachment) {
        (MessageKind::Image, _) => caption("사진".to_owned()),
        (MessageKind::Voice, _) => "음성메시지".to_owned(),
        (MessageKind::File, Some(a)) => caption(format!("파일: {}", a.name)),
        (MessageKind::Poll, _) => format!("투표: {}", m.text),
        _ => m.text.clone(),
    }
}

/// The room, read for one member: its messages from their join on, the
/// names of those who wrote them and its title as they see it.
struct Read {
    room: ArchivedRoom,
    messages: Vec<Message>,
    people: Vec<Profile>,
}

impl Read {
    fn names(&self) -> HashMap<UserId, String> {
        self.people
            .iter()
            .map(|p| (p.id, p.display_name.clone()))
            .collect()
    }

    fn name_of(&self, names: &HashMap<UserId, String>, m: &Message) -> String {
        m.imported_name
            .clone()
            .or_else(|| names.get(&m.sender_id).cloned())
            .unwrap_or_else(|| "?".to_owned())
    }

    /// KakaoTalk's PC layout, in `tz`.
    fn txt(&self, tz: &TimeZone, now: Millis) -> String {
        let names = self.names();
        let mut out = format!(
            "{} 님과 카카오톡 대화\n저장한 날짜 : {}\n\n",
            self.room.title,
            clock(now, tz).stamp
        );
        let mut day = String::new();
        for m in &self.messages {
            let c = clock(m.created_at, tz);
            if c.day != day {
                out.push_str(&format!("--------------- {} ---------------\n", c.day));
                day = c.day;
            }
            if m.kind == MessageKind::Notice {
                out.push_str(&format!("{}\n", m.text));
            } else {
                out.push_str(&format!(
                    "[{}] [{}] {}\n",
                    self.name_of(&names, m),
                    c.time,
                    words(m)
                ));
            }
        }
        out
    }

    /// One page that needs nothing else: styles inline, no script, media
    /// by relative links into the zip's `media/`.
    fn html(&self, me: UserId, tz: &TimeZone, now: Millis) -> String {
        let names = self.names();
        let title = escape(&self.room.title);
        let mut out = format!(
            "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' file:; media-src 'self' file:\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>{STYLE}</style></head>\
             <body><header><h1>{title}</h1><p>Madang · {} · 메시지 {}개</p></header><main>\n",
            escape(&clock(now, tz).stamp),
            self.messages.len()
        );
        let mut day = String::new();
        for m in &self.messages {
            let c = clock(m.created_at, tz);
            if c.day != day {
                out.push_str(&format!("<p class=\"day\">{}</p>\n", escape(&c.day)));
                day = c.day.clone();
            }
            if m.kind == MessageKind::Notice {
                out.push_str(&format!("<p class=\"notice\">{}</p>\n", escape(&m.text)));
                continue;
            }
            let mine = m.sender_id == me && m.imported_name.is_none();
            let mut body = String::new();
            if m.deleted {
                body.push_str("<p class=\"gone\">삭제된 메시지입니다.</p>");
            } else {
                if let (Some(a), Some(path)) = (&m.attachment, media_path(m)) {
                    let link = href(&path);
                    if m.kind == MessageKind::Image {
                        body.push_str(&format!("<img src=\"{link}\" alt=\"{}\">", escape(&a.name)));
                    } else if m.kind == MessageKind::Voice {
                        body.push_str(&format!("<audio controls src=\"{link}\"></audio>"));
                    } else {
                        body.push_str(&format!(
                            "<a class=\"file\" href=\"{link}\">📎 {}</a>",
                            escape(&a.name)
                        ));
                    }
                }
                if !m.text.is_empty() {
                    body.push_str(&format!("<p>{}</p>", escape(&m.text)));
                }
            }
            out.push_str(&format!(
                "<article class=\"msg{}\" data-seq=\"{}\"><b>{}</b><div class=\"bubble\">{body}</div><time>{}</time></article>\n",
                if mine { " mine" } else { "" },
                m.seq.0,
                escape(&self.name_of(&names, m)),
                escape(&c.time),
            ));
        }
        out.push_str("</main></body></html>\n");
        out
    }
}

const STYLE: &str = "body{margin:0;font-family:system-ui,'Noto Sans CJK KR',sans-serif;background:#b2c7d9}\
header{background:#fff;padding:.6rem 1rem}header h1{margin:0;font-size:1.1rem}header p{margin:.2rem 0 0;opacity:.7;font-size:.8rem}\
main{padding:.5rem 1rem;max-width:48rem;margin:auto}.day{text-align:center;font-size:.75rem;margin:.8rem auto;padding:.1rem .7rem;\
width:fit-content;border-radius:1rem;background:rgba(0,0,0,.12)}.notice{text-align:center;font-size:.8rem;opacity:.8}\
.msg{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.3rem;margin:.35rem 0}.msg b{flex-basis:100%;font-size:.8rem;font-weight:600}\
.bubble{background:#fff;border-radius:.8rem;padding:.4rem .7rem;max-width:70%}.bubble p{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}\
.bubble img{max-width:100%;max-height:20rem;border-radius:.4rem;display:block}.msg time{font-size:.7rem;opacity:.7}\
.msg.mine{flex-direction:row-reverse}.msg.mine b{display:none}.msg.mine .bubble{background:#fee500}.gone{font-style:italic;opacity:.7}";

impl Core {
    fn export_job(&self, row: &ExportRow) -> ExportJob {
        let download_url = (row.state == ExportState::Done)
            .then(|| format!("/api/v1/exports/{}/file?token={}", row.id, row.token));
        ExportJob {
            id: row.id,
            kind: row.kind,
            room_id: row.room_id,
            state: row.state,
            done: row.done,
            total: row.total,
            created_at: row.created_at,
            finished_at: row.finished_at,
            expires_at: row.expires_at,
            file_name: row.file_name.clone(),
            size: row.size,
            download_url,
            error: row.error.clone(),
        }
    }

    async fn tell_export(&self, row: &ExportRow) {
        let job = self.export_job(row);
        self.publish(Topic::User(row.user_id), Live::ExportChanged(Box::new(job)))
            .await;
    }

    async fn queue_export(&self, me: &Session, room: Option<RoomId>, kind: ExportKind) -> Result<ExportJob> {
        if self.repos.unfinished_exports(me.user).await? >= MAX_UNFINISHED {
            return Err(Error::Conflict {
                code: "export_running",
                message: format!(
                    "at most {MAX_UNFINISHED} exports are built at once; wait for one to finish"
                ),
            });
        }
        // Each file is kept a day: a person's share of the store is bounded.
        let rate = crate::ratelimit::Rate {
            capacity: self.limits.exports_per_hour,
            per_ms: 3_600_000,
        };
        self.rate.check(&format!("export:{}", me.user.0), rate).await?;
        let row = self
            .repos
            .create_export(me.user, room, kind, &random_hex(24), self.now())
            .await?;
        metrics::counter!("madang_exports_total", "kind" => kind.as_str(), "result" => "asked").increment(1);
        self.tell_export(&row).await;
        Ok(self.export_job(&row))
    }

    /// Asks for a room's history (from the caller's join) as `kind`.
    pub async fn export_room(&self, me: &Session, room: RoomId, kind: ExportKind) -> Result<ExportJob> {
        self.membership(me, room).await?;
        if kind == ExportKind::Account {
            return Err(Error::invalid(
                "invalid_format",
                "a room is exported as txt, json or html",
            ));
        }
        self.queue_export(me, Some(room), kind).await
    }

    /// Asks for everything of the caller's: profile, friends, rooms, own
    /// messages and Pungs.
    pub async fn export_account(&self, me: &Session) -> Result<ExportJob> {
        self.queue_export(me, None, ExportKind::Account).await
    }

    /// The caller's newest exports.
    pub async fn exports(&self, me: &Session) -> Result<Vec<ExportJob>> {
        let rows = self.repos.exports_of(me.user, 20).await?;
        Ok(rows.iter().map(|r| self.export_job(r)).collect())
    }

    pub async fn export_of(&self, me: &Session, id: i64) -> Result<ExportJob> {
        match self.repos.export(id).await? {
            Some(row) if row.user_id == me.user => Ok(self.export_job(&row)),
            _ => Err(Error::NotFound("export")),
        }
    }

    /// A finished export's file, for whoever holds its link, until it
    /// expires: its name, type and bytes.
    pub async fn export_file(&self, id: i64, token: &str) -> Result<(String, &'static str, Bytes)> {
        let row = self.repos.export(id).await?;
        let Some(row) = row.filter(|r| !token.is_empty() && r.token == token) else {
            return Err(Error::NotFound("export"));
        };
        let expired = row.state == ExportState::Expired
            || (row.state == ExportState::Done && row.expires_at.is_some_and(|e| e <= self.now()));
        if expired {
            return Err(Error::Gone {
                code: "export_expired",
                message: "this export's link has expired; export again".into(),
            });
        }
        let (Some(key), Some(name)) = (row.blob_key.as_ref(), row.file_name.as_ref()) else {
            return Err(Error::Conflict {
                code: "export_not_ready",
                message: "the export is not finished".into(),
            });
        };
        let bytes = self.blobs.get(key).await.map_err(|_| Error::NotFound("export"))?;
        let content_type = if row.kind == ExportKind::Txt {
            "text/plain; charset=utf-8"
        } else {
            "application/zip"
        };
        Ok((name.clone(), content_type, bytes))
    }

    /// The room's messages from `from` on, oldest first, in the API's
    /// shapes, as `me` reads them, telling the progress as it goes.
    async fn read_room(&self, row: &ExportRow, me: &Session, room: RoomId) -> Result<Read> {
        let member = self.membership(me, room).await?;
        let shown = self.room(me, room).await?;
        let total = self.repos.count_history(room, member.joined_seq).await?;
        let mut messages: Vec<Message> = Vec::new();
        let mut before: Option<Seq> = None;
        loop {
            let page = self
                .history_page(me, room, member.joined_seq, before, Some(PAGE))
                .await?;
            messages.extend(page.messages);
            self.export_moved(row, messages.len() as i64, total).await?;
            match page.next_before {
                Some(b) => before = Some(b),
                None => break,
            }
        }
        messages.reverse();
        let mut people: HashMap<UserId, Profile> = self
            .members(me, room)
            .await?
            .into_iter()
            .map(|m| (m.profile.id, m.profile))
            .collect();
        // Those who wrote and left since (in an open chat a persona that
        // left stays unnamed).
        if !shown.kind.is_open() {
            let gone: Vec<UserId> = messages
                .iter()
                .map(|m| m.sender_id)
                .filter(|s| !people.contains_key(s))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            people.extend(self.profiles_seen_by(me.user, &gone).await?);
        }
        let writers: std::collections::BTreeSet<UserId> = messages.iter().map(|m| m.sender_id).collect();
        let mut people: Vec<Profile> = people.into_values().filter(|p| writers.contains(&p.id)).collect();
        people.sort_by_key(|p| p.id);
        Ok(Read {
            room: ArchivedRoom {
                id: room,
                kind: shown.kind,
                title: shown.title,
            },
            messages,
            people,
        })
    }

    /// Keeps the claim and tells the person how far it is.
    async fn export_moved(&self, row: &ExportRow, done: i64, total: i64) -> Result<()> {
        let until = Millis(self.now().0 + LEASE_MS);
        self.repos.export_progress(row.id, done, total, until).await?;
        let moved = ExportRow {
            state: ExportState::Running,
            done,
            total,
            ..row.clone()
        };
        self.tell_export(&moved).await;
        Ok(())
    }

    /// Adds every message's attachment to the zip under `media/`.
    async fn add_media<W: Write + std::io::Seek>(
        &self,
        zip: &mut zip::ZipWriter<W>,
        messages: &[Message],
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for m in messages {
            let (Some(a), Some(path)) = (&m.attachment, media_path(m)) else {
                continue;
            };
            if m.deleted || !seen.insert(path.clone()) {
                continue;
            }
            // A file gone from the store (a purge, a lost disk) is left out.
            let Some(bytes) = self.blobs.get_if_exists(&a.media_id.0).await? else {
                continue;
            };
            zip.start_file(path, zip_options()).map_err(internal)?;
            zip.write_all(&bytes).map_err(internal)?;
        }
        Ok(())
    }

    /// A zip of `name` (the archive or the page) and, under `media/`, the
    /// files of `messages`.
    async fn zipped(&self, name: &str, body: &[u8], messages: &[Message]) -> Result<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(name, zip_options()).map_err(internal)?;
        zip.write_all(body).map_err(internal)?;
        self.add_media(&mut zip, messages).await?;
        Ok(zip.finish().map_err(internal)?.into_inner())
    }

    async fn build_room(&self, row: &ExportRow, me: &Session, room: RoomId) -> Result<(String, Vec<u8>)> {
        let read = self.read_room(row, me, room).await?;
        let (_, tz) = self.person_zone(me.user).await?;
        let now = self.now();
        let base = file_base(&read.room.title, room);
        match row.kind {
            ExportKind::Txt => Ok((format!("{base}.txt"), read.txt(&tz, now).into_bytes())),
            ExportKind::Json => {
                let archive = ChatArchive {
                    madang_export: ARCHIVE_VERSION,
                    exported_at: now,
                    room: read.room.clone(),
                    people: read.people.clone(),
                    messages: read.messages.clone(),
                };
                let json = serde_json::to_vec_pretty(&archive).map_err(internal)?;
                let zip = self.zipped("chat.json", &json, &read.messages).await?;
                Ok((format!("{base}.zip"), zip))
            }
            ExportKind::Html => {
                let page = read.html(me.user, &tz, now);
                let zip = self.zipped("index.html", page.as_bytes(), &read.messages).await?;
                Ok((format!("{base}-html.zip"), zip))
            }
            ExportKind::Account => Err(Error::invalid("invalid_format", "not a room export")),
        }
    }

    async fn build_account(&self, row: &ExportRow, me: &Session) -> Result<(String, Vec<u8>)> {
        let profile = self.me(me).await?;
        let friends = self.friends(me).await?;
        let rooms: Vec<ArchivedRoom> = self
            .rooms(me)
            .await?
            .into_iter()
            .map(|r| ArchivedRoom {
                id: r.id,
                kind: r.kind,
                title: r.title,
            })
            .collect();
        let mut mine: Vec<StoredMessage> = Vec::new();
        let mut after = (RoomId(0), Seq(i64::MIN));
        loop {
            let page = self.repos.messages_by(me.user, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = (last.room_id, last.seq);
            mine.extend(page);
            self.export_moved(row, mine.len() as i64, mine.len() as i64)
                .await?;
        }
        mine.sort_by_key(|m| (m.created_at, m.room_id, m.seq));
        let messages: Vec<Message> = mine.into_iter().map(|m| m.into_message(Vec::new(), 0)).collect();
        let pungs = self.pungs_of(me, me.user).await?;
        let archive = AccountArchive {
            madang_export: ARCHIVE_VERSION,
            exported_at: self.now(),
            me: profile,
            friends,
            rooms,
            messages,
            pungs,
        };
        let json = serde_json::to_vec_pretty(&archive).map_err(internal)?;
        let zip = self.zipped("account.json", &json, &archive.messages).await?;
        Ok((format!("madang-account-{}.zip", archive.me.handle), zip))
    }

    /// Builds one claimed export and stores its file, or marks it failed.
    async fn build_export(&self, row: ExportRow) -> Result<()> {
        let started = std::time::Instant::now();
        let me = Session {
            user: row.user_id,
            device: DeviceId(0),
            bot: false,
        };
        let built = match row.room_id {
            Some(room) => self.build_room(&row, &me, room).await,
            None => self.build_account(&row, &me).await,
        };
        let kind = row.kind.as_str();
        let (name, bytes) = match built {
            Ok(b) => b,
            // A refusal stands (they left the room): failed, with why.
            Err(e) if !e.is_transient() => {
                self.repos.fail_export(row.id, &e.code(), self.now()).await?;
                if let Some(failed) = self.repos.export(row.id).await? {
                    self.tell_export(&failed).await;
                }
                metrics::counter!("madang_exports_total", "kind" => kind, "result" => "failed").increment(1);
                return Ok(());
            }
            // Tried again once the claim lapses.
            Err(e) => return Err(e),
        };
        let key = format!("export-{}-{}", row.id, random_hex(24));
        let size = bytes.len() as i64;
        self.blobs.put(&key, Bytes::from(bytes)).await?;
        let now = self.now();
        let file = ExportFile {
            blob_key: key,
            file_name: name,
            size,
            at: now,
            expires_at: Millis(now.0 + self.limits.export_ttl_secs * 1000),
        };
        self.repos.finish_export(row.id, &file).await?;
        if let Some(done) = self.repos.export(row.id).await? {
            self.tell_export(&done).await;
        }
        metrics::counter!("madang_exports_total", "kind" => kind, "result" => "done").increment(1);
        metrics::histogram!("madang_export_seconds", "kind" => kind).record(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// One look: the files of expired exports go, then every export
    /// waiting is built.
    async fn export_pass(&self) -> Result<()> {
        for row in self.repos.expired_exports(self.now(), 100).await? {
            if let Some(key) = &row.blob_key {
                self.blobs.delete(key).await?;
            }
            self.repos.mark_export_expired(row.id).await?;
            if let Some(gone) = self.repos.export(row.id).await? {
                self.tell_export(&gone).await;
            }
        }
        loop {
            let now = self.now();
            let Some(row) = self.repos.claim_export(now, Millis(now.0 + LEASE_MS)).await? else {
                return Ok(());
            };
            self.build_export(row).await?;
        }
    }
}

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Internal(Box::new(e))
}

/// A file name from a room's title: letters, digits (any script) and
/// dashes only.
fn file_base(title: &str, room: RoomId) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let cleaned = cleaned.trim_matches('-');
    if cleaned.is_empty() {
        format!("madang-room-{}", room.0)
    } else {
        format!("madang-{cleaned}")
    }
}

/// The export job: each node looks twice a second.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    crate::jobs::repeat("exports", Duration::from_millis(500), stop, || core.export_pass()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_climb_out_of_its_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name("사진 1.jpg"), "사진 1.jpg");
        assert_eq!(
            href("media/ab/사진 1#.jpg"),
            "media/ab/%EC%82%AC%EC%A7%84%201%23.jpg"
        );
    }

    #[test]
    fn kakaotalk_writes_the_time_in_halves_of_the_day() {
        let seoul = crate::local::hours::zone("Asia/Seoul").unwrap();
        // 2024-01-05 15:04 and 2024-01-06 00:12 in Seoul.
        let c = clock(Millis(1_704_434_640_000), &seoul);
        assert_eq!(
            (c.day.as_str(), c.time.as_str()),
            ("2024년 1월 5일 금요일", "오후 3:04")
        );
        assert_eq!(clock(Millis(1_704_467_520_000), &seoul).time, "오전 12:12");
    }

    #[test]
    fn text_in_a_page_is_never_markup() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>&\"'"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"
        );
    }
}
