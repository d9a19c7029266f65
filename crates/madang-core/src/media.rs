//! Media: attachment and avatar uploads. Type is decided by the bytes, not
//! the client's word; images are decoded within bounds and get a JPEG
//! thumbnail; the bytes go to the blob store under a random key.

use crate::{Core, Error, Result, Session};
use base64::Engine;
use bytes::Bytes;
use image::{ImageFormat, ImageReader};
use madang_store::{MediaPurpose, MediaRow, ProfileUpdate};
use madang_types::MediaId;
use madang_types::api::{Me, MediaUploaded};
use rand::RngCore;
use std::io::Cursor;

/// Longest side of a thumbnail, in pixels.
const THUMB_SIDE: u32 = 320;
/// Appended to a media id to name its thumbnail. `.` is outside the
/// base64url alphabet of ids, so no id can be mistaken for a thumbnail's.
const THUMB_SUFFIX: &str = ".thumb";
/// Largest image side accepted for decoding.
const MAX_SIDE: u32 = 16_384;

/// A stored object on its way to a reader.
pub struct MediaContent {
    pub content_type: String,
    pub bytes: Bytes,
    /// A Pung's photo: it must not be kept in any cache, since it will be
    /// gone everywhere within a day.
    pub ephemeral: bool,
}

struct Inspected {
    content_type: String,
    width: Option<i64>,
    height: Option<i64>,
    thumbnail: Option<Vec<u8>>,
}

fn new_key() -> String {
    let mut raw = [0u8; 18];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A recording's type, from its container's first bytes, for an upload
/// that says it is audio (a browser's `audio/webm;codecs=opus` and the
/// like): WebM (EBML), Ogg, MP4, MP3 or WAV. Anything else said to be
/// audio is stored as a plain file.
fn audio_type(bytes: &[u8], claimed: &str) -> Option<&'static str> {
    if !claimed.starts_with("audio/") {
        return None;
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("audio/webm")
    } else if bytes.starts_with(b"OggS") {
        Some("audio/ogg")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("audio/mp4")
    } else if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        Some("audio/wav")
    } else {
        None
    }
}

/// Sniffs the bytes; for an image, decodes it (bounded) and makes a thumbnail.
fn inspect(bytes: &[u8], claimed_type: &str) -> Result<Inspected> {
    let format = image::guess_format(bytes).ok().filter(|f| {
        matches!(
            f,
            ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif
        )
    });
    let Some(format) = format else {
        let claimed = claimed_type.trim().to_ascii_lowercase();
        if let Some(audio) = audio_type(bytes, &claimed) {
            return Ok(Inspected {
                content_type: audio.to_owned(),
                width: None,
                height: None,
                thumbnail: None,
            });
        }
        let safe = !claimed.is_empty()
            && claimed.len() <= 100
            && claimed.contains('/')
            && !claimed.starts_with("image/")
            && !claimed.starts_with("audio/")
            && !claimed.contains("html")
            && !claimed.contains("javascript")
            && !claimed.contains("svg")
            && claimed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/.+-".contains(c));
        let content_type = if safe {
            claimed
        } else {
            "application/octet-stream".to_owned()
        };
        return Ok(Inspected {
            content_type,
            width: None,
            height: None,
            thumbnail: None,
        });
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| Error::UnsupportedMedia(format!("the image could not be read: {e}")))?;
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let mut out = Vec::new();
    thumb
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .map_err(|e| Error::Internal(Box::new(e)))?;
    Ok(Inspected {
        content_type: format.to_mime_type().to_owned(),
        width: Some(i64::from(img.width())),
        height: Some(i64::from(img.height())),
        thumbnail: Some(out),
    })
}

fn uploaded(row: MediaRow) -> MediaUploaded {
    MediaUploaded {
        media_id: row.id,
        content_type: row.content_type,
        size: row.size,
        width: row.width,
        height: row.height,
        thumbnail: row.thumbnail,
    }
}

fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// What an upload must be.
#[derive(Clone, Copy)]
enum Expect {
    /// Anything; images get a thumbnail.
    Any,
    /// A JPEG, PNG, WebP or GIF image; `what` names it in the refusal.
    Image { what: &'static str },
}

/// An upload checked against its size limit and, where needed, its type.
struct Upload<'a> {
    purpose: MediaPurpose,
    name: &'a str,
    claimed_type: &'a str,
    limit: usize,
    expect: Expect,
}

impl Core {
    /// Checks an upload and stores it: the bytes (and a thumbnail for an
    /// image) in the blob store, the row in the database. Nothing is stored
    /// for a refused upload.
    async fn store_media(&self, me: &Session, up: Upload<'_>, bytes: Bytes) -> Result<MediaRow> {
        let what = match up.expect {
            Expect::Any => "the upload",
            Expect::Image { what } => what,
        };
        if bytes.len() > up.limit {
            return Err(Error::TooLarge {
                what,
                limit: up.limit,
            });
        }
        if bytes.is_empty() {
            return Err(Error::invalid("empty_upload", "the upload is empty"));
        }
        let data = bytes.clone();
        let claimed = up.claimed_type.to_owned();
        let inspected = tokio::task::spawn_blocking(move || inspect(&data, &claimed))
            .await
            .map_err(|e| Error::Internal(Box::new(e)))??;
        if matches!(up.expect, Expect::Image { .. }) && inspected.thumbnail.is_none() {
            return Err(Error::UnsupportedMedia(format!(
                "{what} must be a JPEG, PNG, WebP or GIF image"
            )));
        }
        let id = MediaId(new_key());
        let thumbnail = match inspected.thumbnail {
            Some(t) => {
                let key = format!("{}{THUMB_SUFFIX}", id.0);
                self.blobs.put(&key, Bytes::from(t)).await?;
                Some(MediaId(key))
            }
            None => None,
        };
        self.blobs.put(&id.0, bytes.clone()).await?;
        let row = MediaRow {
            id,
            owner_id: me.user,
            name: clean_name(up.name),
            content_type: inspected.content_type,
            size: bytes.len() as i64,
            width: inspected.width,
            height: inspected.height,
            thumbnail,
            purpose: up.purpose,
            created_at: self.now(),
        };
        self.repos.insert_media(&row).await?;
        Ok(row)
    }

    /// An image the caller uploaded (one with a thumbnail), to use as a
    /// cover or a photo; `media_not_found` otherwise.
    pub(crate) async fn check_own_image(&self, me: &Session, id: &MediaId) -> Result<()> {
        let media = self.repos.media(id).await?;
        let usable = media.is_some_and(|m| {
            m.owner_id == me.user && m.purpose == MediaPurpose::Attachment && m.thumbnail.is_some()
        });
        if usable {
            Ok(())
        } else {
            Err(Error::NotFound("media"))
        }
    }

    /// Stores an attachment for a later `send_message`.
    pub async fn upload_media(
        &self,
        me: &Session,
        name: &str,
        claimed_type: &str,
        bytes: Bytes,
    ) -> Result<MediaUploaded> {
        let up = Upload {
            purpose: MediaPurpose::Attachment,
            name,
            claimed_type,
            limit: self.limits.max_upload_bytes,
            expect: Expect::Any,
        };
        Ok(uploaded(self.store_media(me, up, bytes).await?))
    }

    /// Stores the photo of a Pung about to be posted. Until a Pung claims
    /// it only its uploader may read it; if none does, it is deleted after
    /// `unposted_pung_upload_secs`.
    pub async fn upload_pung_photo(&self, me: &Session, bytes: Bytes) -> Result<MediaUploaded> {
        let up = Upload {
            purpose: MediaPurpose::Pung,
            name: "pung",
            claimed_type: "",
            limit: self.limits.max_upload_bytes,
            expect: Expect::Image { what: "a Pung photo" },
        };
        Ok(uploaded(self.store_media(me, up, bytes).await?))
    }

    /// Sets the caller's avatar from an image upload.
    pub async fn set_avatar(&self, me: &Session, bytes: Bytes) -> Result<Me> {
        let up = Upload {
            purpose: MediaPurpose::Avatar,
            name: "avatar",
            claimed_type: "",
            limit: self.limits.max_avatar_bytes,
            expect: Expect::Image { what: "an avatar" },
        };
        let row = self.store_media(me, up, bytes).await?;
        let update = ProfileUpdate {
            avatar: Some(Some(row.id)),
            ..Default::default()
        };
        self.repos.update_profile(me.user, update).await?;
        self.me(me).await
    }

    /// Bytes and content type of a stored object (an upload or its
    /// thumbnail). Keys are unguessable; any signed-in user holding one may
    /// read an attachment or avatar, as with a shared link. A Pung's photo
    /// only its uploader and those who may see the Pung can read.
    pub async fn media_bytes(&self, me: &Session, id: &MediaId) -> Result<MediaContent> {
        let (row_id, is_thumb) = match id.0.strip_suffix(THUMB_SUFFIX) {
            Some(base) => (MediaId(base.to_owned()), true),
            None => (id.clone(), false),
        };
        let row = self.repos.media(&row_id).await?.ok_or(Error::NotFound("media"))?;
        let ephemeral = row.purpose == MediaPurpose::Pung;
        if ephemeral {
            match self.repos.pung_by_media(&row.id).await? {
                // Posted: readable while the Pung is, by those who may see it.
                Some(pung) => {
                    self.visible_pung(me, pung)
                        .await
                        .map_err(|_| Error::NotFound("media"))?;
                }
                // Not posted yet: only its uploader.
                None if row.owner_id == me.user => {}
                None => return Err(Error::NotFound("media")),
            }
        }
        let (key, content_type) = match (is_thumb, &row.thumbnail) {
            (true, Some(t)) => (t.0.clone(), "image/jpeg".to_owned()),
            (true, None) => return Err(Error::NotFound("media")),
            (false, _) => (row.id.0.clone(), row.content_type.clone()),
        };
        let bytes = self.blobs.get(&key).await.map_err(|_| Error::NotFound("media"))?;
        Ok(MediaContent {
            content_type,
            bytes,
            ephemeral,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_type_never_turns_bytes_into_html_or_an_image() {
        assert_eq!(
            inspect(b"hello", "text/html").unwrap().content_type,
            "application/octet-stream"
        );
        assert_eq!(
            inspect(b"hello", "image/png").unwrap().content_type,
            "application/octet-stream"
        );
        assert_eq!(
            inspect(b"%PDF-1.4", "application/pdf").unwrap().content_type,
            "application/pdf"
        );
    }

    #[test]
    fn a_recording_is_audio_only_when_its_container_says_so() {
        let webm = [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81];
        assert_eq!(
            inspect(&webm, "audio/webm;codecs=opus").unwrap().content_type,
            "audio/webm"
        );
        assert_eq!(
            inspect(b"OggS\0\x02", "audio/ogg; codecs=opus")
                .unwrap()
                .content_type,
            "audio/ogg"
        );
        assert_eq!(
            inspect(b"\0\0\0\x20ftypM4A ", "audio/mp4").unwrap().content_type,
            "audio/mp4"
        );
        // Said to be audio, but is not: a file, never audio.
        assert_eq!(
            inspect(b"<html>", "audio/webm").unwrap().content_type,
            "application/octet-stream"
        );
        // Audio bytes not said to be audio stay what they were said to be.
        assert_eq!(inspect(&webm, "video/webm").unwrap().content_type, "video/webm");
    }

    #[test]
    fn an_image_gets_its_size_and_a_thumbnail() {
        let img = image::RgbImage::from_pixel(800, 400, image::Rgb([200, 30, 30]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let out = inspect(&png, "").unwrap();
        assert_eq!(
            (out.content_type.as_str(), out.width, out.height),
            ("image/png", Some(800), Some(400))
        );
        let thumb = image::load_from_memory(&out.thumbnail.unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn names_lose_their_paths() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\보고서.pdf"), "보고서.pdf");
        assert_eq!(clean_name(""), "file");
    }
}
