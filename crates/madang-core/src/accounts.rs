//! Accounts: sign-up, log-in, bearer tokens per device, devices, profile.

use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use madang_bus::{Live, Topic};
use madang_store::{NewDevice, NewUser, ProfileUpdate, StoreError, UserRow};
use madang_types::api::{
    Device, LoginRequest, Me, Profile, SessionResponse, SignUpRequest, UpdateProfileRequest,
};
use madang_types::{DeviceId, Millis, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A touch of a device row is written at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

pub(crate) fn profile_of(u: &UserRow) -> Profile {
    Profile {
        id: u.id,
        handle: u.handle.clone(),
        display_name: u.display_name.clone(),
        status_message: u.status_message.clone(),
        avatar: u.avatar.clone(),
        avatar_seed: None,
        bot: u.bot_owner.is_some(),
    }
}

fn me_of(u: &UserRow) -> Me {
    Me {
        id: u.id,
        handle: u.handle.clone(),
        display_name: u.display_name.clone(),
        status_message: u.status_message.clone(),
        avatar: u.avatar.clone(),
        birthday: u.birthday.clone(),
        has_phone: u.phone_sha256.is_some(),
        has_email: u.email_sha256.is_some(),
        created_at: u.created_at,
        bot_owner: u.bot_owner,
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `n` random bytes in hex: an unguessable token for a URL.
pub(crate) fn random_hex(n: usize) -> String {
    let mut raw = vec![0u8; n];
    rand::rng().fill_bytes(&mut raw);
    hex(&raw)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case, 3–20 of `a-z 0-9 _ .`, not starting with a dot.
pub(crate) fn normalize_handle(raw: &str) -> Result<String> {
    let h = raw.trim().to_lowercase();
    let ok = (3..=20).contains(&h.chars().count())
        && !h.starts_with('.')
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    if ok {
        Ok(h)
    } else {
        Err(Error::invalid(
            "invalid_handle",
            "a handle is 3–20 characters of a–z, 0–9, '_' and '.', not starting with '.'",
        ))
    }
}

/// Digits only, with country code: `+82 10-1234-5678` → `821012345678`.
pub(crate) fn phone_hash(raw: &str) -> Result<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) || raw.chars().any(|c| c.is_alphabetic()) {
        return Err(Error::invalid("invalid_phone", "a phone number has 7–15 digits"));
    }
    Ok(sha256_hex(digits.as_bytes()))
}

pub(crate) fn email_hash(raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
    if !ok {
        return Err(Error::invalid("invalid_email", "that is not an e-mail address"));
    }
    Ok(sha256_hex(e.as_bytes()))
}

pub(crate) fn parse_birthday(raw: &str) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &format)
        .map(|d| d.format(&format).unwrap_or_default())
        .map_err(|_| Error::invalid("invalid_birthday", "a birthday is written YYYY-MM-DD"))
}

fn bounded(text: &str, max: usize, code: &'static str, what: &str) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            code,
            format!("{what} is at most {max} characters, without control characters"),
        ));
    }
    Ok(t.to_owned())
}

impl Core {
    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.limits.password_memory_kib, 2, 1, None)
            .map_err(|e| Error::Internal(e.to_string().into()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub(crate) async fn hash_password(&self, password: String) -> Result<String> {
        let argon = self.argon2()?;
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            PasswordHasher::<PasswordHash>::hash_password_with_salt(&argon, password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(e.to_string().into()))
        })
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?
    }

    async fn verify_password(&self, password: String, hash: String) -> Result<bool> {
        let argon = self.argon2()?;
        tokio::task::spawn_blocking(move || {
            // An account without a password (the assistant's) matches none.
            if hash.is_empty() {
                return Ok(false);
            }
            let parsed = PasswordHash::new(&hash).map_err(|e| Error::Internal(e.to_string().into()))?;
            Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?
    }

    pub(crate) async fn open_session(
        &self,
        user: &UserRow,
        device_name: Option<String>,
    ) -> Result<SessionResponse> {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let now = self.now();
        let name = bounded(
            device_name.as_deref().unwrap_or("Unknown device"),
            60,
            "invalid_device_name",
            "a device name",
        )?;
        let device = self
            .repos
            .create_device(NewDevice {
                user_id: user.id,
                name: if name.is_empty() {
                    "Unknown device".into()
                } else {
                    name
                },
                token_sha256: sha256_hex(token.as_bytes()),
                created_at: now,
                // A bot's token lasts until its owner rotates it.
                expires_at: if user.bot_owner.is_some() {
                    Millis(i64::MAX / 2)
                } else {
                    self.token_expiry(now)
                },
            })
            .await?;
        Ok(SessionResponse {
            token,
            device_id: device.id,
            expires_at: device.expires_at,
            user: me_of(user),
        })
    }

    fn token_expiry(&self, now: Millis) -> Millis {
        Millis(now.0 + self.limits.token_ttl_days * 86_400_000)
    }

    /// A new account's display name: the one given, else its handle.
    pub(crate) fn new_display_name(&self, given: Option<&str>, handle: &str) -> Result<String> {
        let name = bounded(
            given.unwrap_or(handle),
            self.limits.max_display_name_chars,
            "invalid_display_name",
            "a display name",
        )?;
        Ok(if name.is_empty() { handle.to_owned() } else { name })
    }

    /// The display names of accounts, by id (those that exist).
    pub(crate) async fn display_names(
        &self,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, String>> {
        Ok(self
            .repos
            .users(ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect())
    }

    /// Stores a new account (a person's or a bot); a taken handle is
    /// `handle_taken`.
    pub(crate) async fn create_account(&self, new: NewUser) -> Result<UserRow> {
        match self.repos.create_user(new).await {
            Err(StoreError::Conflict(_)) => Err(Error::HandleTaken),
            other => Ok(other?),
        }
    }

    /// Creates an account and logs its first device in.
    pub async fn sign_up(&self, client_addr: &str, req: SignUpRequest) -> Result<SessionResponse> {
        let rate = Rate {
            capacity: self.limits.signups_per_hour,
            per_ms: 3_600_000,
        };
        self.rate.check(&format!("signup:{client_addr}"), rate).await?;
        let handle = normalize_handle(&req.handle)?;
        let len = req.password.chars().count();
        if !(8..=128).contains(&len) {
            return Err(Error::invalid("weak_password", "a password is 8–128 characters"));
        }
        let new = NewUser {
            display_name: self.new_display_name(req.display_name.as_deref(), &handle)?,
            phone_sha256: req.phone.as_deref().map(phone_hash).transpose()?,
            email_sha256: req.email.as_deref().map(email_hash).transpose()?,
            birthday: req.birthday.as_deref().map(parse_birthday).transpose()?,
            password_hash: self.hash_password(req.password).await?,
            handle,
            created_at: self.now(),
            bot_owner: None,
        };
        let user = self.create_account(new).await?;
        metrics::counter!("madang_signups_total").increment(1);
        self.open_session(&user, req.device_name).await
    }

    /// Checks the password and gives a new device its token. Limited per
    /// client address and per handle, so neither a spray nor a targeted
    /// guess gets far.
    pub async fn log_in(&self, client_addr: &str, req: LoginRequest) -> Result<SessionResponse> {
        let rate = Rate {
            capacity: self.limits.logins_per_minute,
            per_ms: 60_000,
        };
        self.rate.check(&format!("login:{client_addr}"), rate).await?;
        let handle = req.handle.trim().to_lowercase();
        self.rate.check(&format!("login-handle:{handle}"), rate).await?;
        let Some(user) = self.repos.user_by_handle(&handle).await? else {
            return Err(Error::BadCredentials);
        };
        // A bot signs in with its token only.
        if user.bot_owner.is_some() {
            return Err(Error::BadCredentials);
        }
        if !self
            .verify_password(req.password, user.password_hash.clone())
            .await?
        {
            return Err(Error::BadCredentials);
        }
        self.open_session(&user, req.device_name).await
    }

    /// Resolves a bearer token to its session.
    pub async fn authenticate(&self, token: &str) -> Result<Session> {
        let Some((device, bot)) = self.repos.device_by_token(&sha256_hex(token.as_bytes())).await? else {
            return Err(Error::Unauthenticated);
        };
        if device.revoked_at.is_some() {
            return Err(Error::Unauthenticated);
        }
        let now = self.now();
        if device.expires_at <= now {
            return Err(Error::TokenExpired);
        }
        if now.0 - device.last_seen_at.0 >= TOUCH_EVERY_MS {
            // A bot's token does not expire by itself: sliding never
            // shortens an expiry.
            let expires = device.expires_at.max(self.token_expiry(now));
            self.repos.touch_device(device.id, now, expires).await?;
        }
        Ok(Session {
            user: device.user_id,
            device: device.id,
            bot,
        })
    }

    pub async fn devices(&self, me: &Session) -> Result<Vec<Device>> {
        let rows = self.repos.devices(me.user).await?;
        Ok(rows
            .into_iter()
            .map(|d| Device {
                current: d.id == me.device,
                id: d.id,
                name: d.name,
                created_at: d.created_at,
                last_seen_at: d.last_seen_at,
                expires_at: d.expires_at,
            })
            .collect())
    }

    /// Revokes one of the caller's devices; its open sockets are closed.
    pub async fn revoke_device(&self, me: &Session, device: DeviceId) -> Result<()> {
        if !self.repos.revoke_device(me.user, device, self.now()).await? {
            return Err(Error::NotFound("device"));
        }
        self.publish(Topic::User(me.user), Live::DeviceRevoked { device_id: device })
            .await;
        Ok(())
    }

    pub async fn log_out(&self, me: &Session) -> Result<()> {
        self.revoke_device(me, me.device).await
    }

    pub async fn me(&self, me: &Session) -> Result<Me> {
        let user = self.repos.user(me.user).await?.ok_or(Error::NotFound("user"))?;
        Ok(me_of(&user))
    }

    /// Another person's profile. Someone who has blocked the caller shows
    /// no status or avatar to them ("cannot see your updates").
    pub async fn profile(&self, me: &Session, user: UserId) -> Result<Profile> {
        let row = self.repos.user(user).await?.ok_or(Error::NotFound("user"))?;
        self.profile_seen_by(me.user, &row).await
    }

    /// A profile as `viewer` may see it: someone who has blocked the viewer
    /// shows no status message or avatar ("cannot see your updates").
    pub(crate) async fn profile_seen_by(&self, viewer: UserId, user: &UserRow) -> Result<Profile> {
        let mut profile = profile_of(user);
        if self.repos.has_blocked(user.id, viewer).await? {
            profile.status_message.clear();
            profile.avatar = None;
        }
        Ok(profile)
    }

    /// [`Core::profile_seen_by`] for several people at once.
    pub(crate) async fn profiles_seen_by(
        &self,
        viewer: UserId,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, Profile>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for user in self.repos.users(ids).await? {
            out.insert(user.id, self.profile_seen_by(viewer, &user).await?);
        }
        Ok(out)
    }

    pub async fn update_profile(&self, me: &Session, req: UpdateProfileRequest) -> Result<Me> {
        let l = &self.limits;
        let clearable =
            |v: Option<String>, f: fn(&str) -> Result<String>| -> Result<Option<Option<String>>> {
                v.map(|s| {
                    if s.trim().is_empty() {
                        Ok(None)
                    } else {
                        f(&s).map(Some)
                    }
                })
                .transpose()
            };
        let update = ProfileUpdate {
            display_name: req
                .display_name
                .map(|d| {
                    bounded(
                        &d,
                        l.max_display_name_chars,
                        "invalid_display_name",
                        "a display name",
                    )
                })
                .transpose()?
                .map(|d| {
                    if d.is_empty() {
                        Err(Error::invalid(
                            "invalid_display_name",
                            "a display name cannot be empty",
                        ))
                    } else {
                        Ok(d)
                    }
                })
                .transpose()?,
            status_message: req
                .status_message
                .map(|s| {
                    bounded(
                        &s,
                        l.max_status_chars,
                        "invalid_status_message",
                        "a status message",
                    )
                })
                .transpose()?,
            avatar: None,
            birthday: clearable(req.birthday, parse_birthday)?,
            phone_sha256: clearable(req.phone, phone_hash)?,
            email_sha256: clearable(req.email, email_hash)?,
        };
        let user = self.repos.update_profile(me.user, update).await?;
        Ok(me_of(&user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_normalised_and_checked() {
        assert_eq!(normalize_handle(" Minji_K ").unwrap(), "minji_k");
        for bad in ["ab", ".dot", "한글이름", "with space", "a".repeat(21).as_str()] {
            assert!(normalize_handle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_hash_by_their_digits() {
        assert_eq!(
            phone_hash("+82 10-1234-5678").unwrap(),
            phone_hash("821012345678").unwrap()
        );
        assert!(phone_hash("12").is_err());
        assert!(phone_hash("call me 010").is_err());
    }

    #[test]
    fn birthdays_must_be_real_dates() {
        assert_eq!(parse_birthday("1995-02-28").unwrap(), "1995-02-28");
        assert!(parse_birthday("1995-02-30").is_err());
        assert!(parse_birthday("28/02/1995").is_err());
    }
}
