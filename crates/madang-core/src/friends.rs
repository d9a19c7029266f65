//! Friends: add by handle, contact matching, favourites, hiding, blocking,
//! and whose birthday is today.

use crate::accounts::{normalize_handle, profile_of};
use crate::{Core, Error, Result, Session};
use madang_store::{FriendFlags, StoreError};
use madang_types::UserId;
use madang_types::api::{ContactMatchRequest, Friend, Profile, UpdateFriendRequest};

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Core {
    /// Adds the person with `handle` to the caller's friend list. Someone
    /// who blocked the caller cannot be found this way.
    pub async fn add_friend(&self, me: &Session, handle: &str) -> Result<Friend> {
        let handle = normalize_handle(handle).map_err(|_| Error::NotFound("user"))?;
        let user = self
            .repos
            .user_by_handle(&handle)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if user.id == me.user {
            return Err(Error::invalid("cannot_add_self", "you cannot add yourself"));
        }
        if self.repos.has_blocked(user.id, me.user).await? {
            return Err(Error::NotFound("user"));
        }
        if self.repos.has_blocked(me.user, user.id).await? {
            return Err(Error::invalid(
                "unblock_first",
                "you have blocked this person; unblock them first",
            ));
        }
        self.repos.add_friend(me.user, user.id, self.now()).await?;
        self.friend(me, user.id).await
    }

    async fn friend(&self, me: &Session, id: UserId) -> Result<Friend> {
        self.friends(me)
            .await?
            .into_iter()
            .find(|f| f.profile.id == id)
            .ok_or(Error::NotFound("friend"))
    }

    /// The caller's friends, hidden ones included (flagged).
    pub async fn friends(&self, me: &Session) -> Result<Vec<Friend>> {
        let rows = self.repos.friends(me.user).await?;
        let mut out = Vec::with_capacity(rows.len());
        for f in rows {
            out.push(Friend {
                profile: self.profile_seen_by(me.user, &f.user).await?,
                favourite: f.favourite,
                hidden: f.hidden,
                mutual: f.mutual,
                since: f.since,
            });
        }
        Ok(out)
    }

    pub async fn update_friend(
        &self,
        me: &Session,
        friend: UserId,
        req: UpdateFriendRequest,
    ) -> Result<Friend> {
        let flags = FriendFlags {
            favourite: req.favourite,
            hidden: req.hidden,
        };
        match self.repos.update_friend(me.user, friend, flags).await {
            Err(StoreError::NotFound) => return Err(Error::NotFound("friend")),
            other => other?,
        }
        self.friend(me, friend).await
    }

    pub async fn remove_friend(&self, me: &Session, friend: UserId) -> Result<()> {
        if !self.repos.remove_friend(me.user, friend).await? {
            return Err(Error::NotFound("friend"));
        }
        self.pungs_changed(&[me.user, friend]).await;
        Ok(())
    }

    /// Matches uploaded contact hashes against accounts and adds the
    /// matches as friends (as a phone's address book would). Returns the
    /// people newly added.
    pub async fn match_contacts(&self, me: &Session, req: ContactMatchRequest) -> Result<Vec<Profile>> {
        let total = req.phone_sha256.len() + req.email_sha256.len();
        if total > self.limits.max_contacts {
            return Err(Error::TooLarge {
                what: "the contact list",
                limit: self.limits.max_contacts,
            });
        }
        if !req
            .phone_sha256
            .iter()
            .chain(&req.email_sha256)
            .all(|h| is_sha256_hex(h))
        {
            return Err(Error::invalid(
                "invalid_contact_hash",
                "contacts are lower-case hex SHA-256 digests",
            ));
        }
        let found = self
            .repos
            .users_by_contacts(&req.phone_sha256, &req.email_sha256)
            .await?;
        let mut added = Vec::new();
        for user in found {
            if user.id == me.user
                || self.repos.has_blocked(user.id, me.user).await?
                || self.repos.has_blocked(me.user, user.id).await?
            {
                continue;
            }
            if self.repos.add_friend(me.user, user.id, self.now()).await? {
                added.push(profile_of(&user));
            }
        }
        Ok(added)
    }

    /// Blocks `user`: they can no longer message the caller, add them, or
    /// see their profile updates. They also leave the caller's friend list.
    pub async fn block(&self, me: &Session, user: UserId) -> Result<()> {
        if user == me.user {
            return Err(Error::invalid("cannot_block_self", "you cannot block yourself"));
        }
        self.repos.user(user).await?.ok_or(Error::NotFound("user"))?;
        self.repos.block(me.user, user, self.now()).await?;
        self.pungs_changed(&[me.user, user]).await;
        Ok(())
    }

    pub async fn unblock(&self, me: &Session, user: UserId) -> Result<()> {
        if !self.repos.unblock(me.user, user).await? {
            return Err(Error::NotFound("block"));
        }
        Ok(())
    }

    pub async fn blocked(&self, me: &Session) -> Result<Vec<Profile>> {
        Ok(self
            .repos
            .blocked_by(me.user)
            .await?
            .iter()
            .map(profile_of)
            .collect())
    }

    /// Friends (not hidden) whose birthday is today, in the configured
    /// local time zone.
    pub async fn birthdays_today(&self, me: &Session) -> Result<Vec<Profile>> {
        let offset_ms = i64::from(self.limits.local_utc_offset_minutes) * 60_000;
        let local_ms = self.now().0 + offset_ms;
        let date = time::OffsetDateTime::from_unix_timestamp(local_ms.div_euclid(1000))
            .map_err(|e| Error::Internal(Box::new(e)))?
            .date();
        let month_day = format!("{:02}-{:02}", u8::from(date.month()), date.day());
        let rows = self.repos.friends_with_birthday(me.user, &month_day).await?;
        let mut out = Vec::new();
        for row in rows {
            if !self.repos.has_blocked(row.id, me.user).await? {
                out.push(profile_of(&row));
            }
        }
        Ok(out)
    }
}
