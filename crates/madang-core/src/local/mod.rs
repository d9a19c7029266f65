//! Local shops and business channels. A business (its owner and agents)
//! owns channels and shops. People add a channel as a friend, recording
//! each consent separately (informational, marketing, marketing at night);
//! find shops near a point (`geo`), open now by their local hours
//! (`hours`), become a shop's regular (단골), and claim its coupons
//! (`coupons`). Each person has a room with each channel they add, served
//! by the business's agents through a shared inbox (`inbox`), where the channel's assistant may answer first
//! (`assistant`); channels broadcast campaigns under the advertising rules (`campaigns`,
//! `template`).

pub mod assistant;
pub mod campaigns;
pub mod coupons;
pub mod geo;
pub mod hours;
pub mod inbox;
pub mod rewrite;
pub mod template;

use crate::accounts::normalize_handle;
use crate::{Core, Error, Result, Session};
use madang_store::{AgentRow, ChannelFriendRow, ChannelRow, NewChannel, NewShop, ShopRow, StoreError};
use madang_types::local::{
    AddAgentRequest, Agent, AgentRole, Business, Channel, Consents, ConsentsRequest, CreateBusinessRequest,
    CreateChannelRequest, CreateShopRequest, Shop, ShopPage,
};
use madang_types::{BusinessId, ChannelId, ShopId};
use std::collections::HashSet;

/// What a shop can be filed under.
pub const SHOP_CATEGORIES: [&str; 16] = [
    "restaurant",
    "cafe",
    "bakery",
    "bar",
    "grocery",
    "convenience",
    "pharmacy",
    "beauty",
    "fitness",
    "clothing",
    "books",
    "flowers",
    "pets",
    "laundry",
    "services",
    "other",
];

const MAX_NAME: usize = 50;
const MAX_DESCRIPTION: usize = 1_000;
const MAX_ADDRESS: usize = 200;
const MAX_PHOTOS: usize = 10;
const MAX_NEARBY: usize = 100;

/// A nearby search: a point, a radius, and the optional filters.
#[derive(Clone, Debug, Default)]
pub struct Nearby {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    pub category: Option<String>,
    pub open_now: bool,
    pub limit: Option<usize>,
}

pub(crate) fn name(raw: &str, code: &'static str) -> Result<String> {
    crate::openchat::rules::line(raw, MAX_NAME)
        .ok_or_else(|| Error::invalid(code, format!("1–{MAX_NAME} characters")))
}

pub(crate) fn text_up_to(raw: &str, max: usize, code: &'static str) -> Result<String> {
    let t = raw.trim();
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(code, format!("at most {max} characters")));
    }
    Ok(t.to_owned())
}

fn check_category(raw: &str) -> Result<String> {
    crate::openchat::rules::one_of(&SHOP_CATEGORIES, raw, "invalid_category")
}

/// 3–30 of a–z, 0–9 and `_`.
fn check_channel_handle(raw: &str) -> Result<String> {
    let h = raw.trim().to_lowercase();
    let ok = (3..=30).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(h)
    } else {
        Err(Error::invalid(
            "invalid_handle",
            "a channel handle is 3–30 of a–z, 0–9 and _",
        ))
    }
}

fn business_view(row: madang_store::BusinessRow, role: AgentRole) -> Business {
    Business {
        id: row.id,
        name: row.name,
        role,
        created_at: row.created_at,
    }
}

fn consents(f: &ChannelFriendRow) -> Consents {
    Consents {
        informational: f.informational,
        marketing: f.marketing,
        marketing_night: f.marketing_night,
        added_at: f.added_at,
    }
}

fn channel_view(row: ChannelRow, mine: Option<&ChannelFriendRow>, assistant: bool) -> Channel {
    Channel {
        id: row.id,
        business_id: row.business_id,
        handle: row.handle,
        name: row.name,
        description: row.description,
        avatar: row.avatar,
        friend_count: row.friend_count,
        mine: mine.map(consents),
        assistant,
    }
}

impl Core {
    /// The caller's role in a business; a business they do not work for
    /// is not found.
    pub(crate) async fn agent_of(&self, me: &Session, business: BusinessId) -> Result<AgentRole> {
        self.repos
            .agent_role(business, me.user)
            .await?
            .ok_or(Error::NotFound("business"))
    }

    /// The channel, if the caller works for its business.
    pub(crate) async fn channel_as_agent(
        &self,
        me: &Session,
        channel: ChannelId,
    ) -> Result<madang_store::ChannelRow> {
        let row = self
            .repos
            .channel(channel)
            .await?
            .ok_or(Error::NotFound("channel"))?;
        match self.agent_of(me, row.business_id).await {
            Err(Error::NotFound(_)) => Err(Error::NotFound("channel")),
            Err(e) => Err(e),
            Ok(_) => Ok(row),
        }
    }

    pub async fn create_business(&self, me: &Session, req: CreateBusinessRequest) -> Result<Business> {
        let name = name(&req.name, "invalid_name")?;
        let row = self.repos.create_business(&name, me.user, self.now()).await?;
        Ok(business_view(row, AgentRole::Owner))
    }

    pub async fn my_businesses(&self, me: &Session) -> Result<Vec<Business>> {
        Ok(self
            .repos
            .businesses_of(me.user)
            .await?
            .into_iter()
            .map(|(b, role)| business_view(b, role))
            .collect())
    }

    async fn agent_views(&self, rows: Vec<AgentRow>) -> Result<Vec<Agent>> {
        let ids: Vec<_> = rows.iter().map(|a| a.user_id).collect();
        let users = self.repos.users(&ids).await?;
        Ok(rows
            .into_iter()
            .filter_map(|a| {
                let u = users.iter().find(|u| u.id == a.user_id)?;
                Some(Agent {
                    user_id: a.user_id,
                    handle: u.handle.clone(),
                    display_name: u.display_name.clone(),
                    role: a.role,
                    added_at: a.added_at,
                })
            })
            .collect())
    }

    /// The owner adds an agent, who then shares the inbox and may redeem
    /// coupons and run the business's shops and channels.
    pub async fn add_agent(&self, me: &Session, business: BusinessId, req: AddAgentRequest) -> Result<Agent> {
        if self.agent_of(me, business).await? != AgentRole::Owner {
            return Err(Error::refused("not_owner", "only the owner adds agents"));
        }
        // As people type it; a handle nobody can sign up with (the
        // assistant's) names nobody here.
        let handle = normalize_handle(&req.handle).map_err(|_| Error::NotFound("user"))?;
        let user = self
            .repos
            .user_by_handle(&handle)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let row = match self.repos.add_agent(business, user.id, self.now()).await {
            Err(StoreError::Conflict(_)) => {
                return Err(Error::Conflict {
                    code: "already_agent",
                    message: "they already work for this business".into(),
                });
            }
            other => other?,
        };
        self.agent_views(vec![row])
            .await?
            .pop()
            .ok_or(Error::NotFound("user"))
    }

    pub async fn agents(&self, me: &Session, business: BusinessId) -> Result<Vec<Agent>> {
        self.agent_of(me, business).await?;
        let rows = self.repos.agents(business).await?;
        self.agent_views(rows).await
    }

    pub async fn create_channel(
        &self,
        me: &Session,
        business: BusinessId,
        req: CreateChannelRequest,
    ) -> Result<Channel> {
        self.agent_of(me, business).await?;
        let new = NewChannel {
            business_id: business,
            handle: check_channel_handle(&req.handle)?,
            name: name(&req.name, "invalid_name")?,
            description: text_up_to(&req.description, MAX_DESCRIPTION, "invalid_description")?,
            at: self.now(),
        };
        match self.repos.create_channel(new).await {
            Err(StoreError::Conflict(_)) => Err(Error::Conflict {
                code: "handle_taken",
                message: "another channel has that handle".into(),
            }),
            other => Ok(channel_view(other?, None, false)),
        }
    }

    async fn channel_for(&self, me: &Session, row: ChannelRow) -> Result<Channel> {
        let mine = self.repos.channel_friend(row.id, me.user).await?;
        let assistant = self.assistant_answers(row.id).await?;
        Ok(channel_view(row, mine.as_ref(), assistant))
    }

    pub async fn channel(&self, me: &Session, id: ChannelId) -> Result<Channel> {
        let row = self.repos.channel(id).await?.ok_or(Error::NotFound("channel"))?;
        self.channel_for(me, row).await
    }

    pub async fn channel_by_handle(&self, me: &Session, handle: &str) -> Result<Channel> {
        let row = self
            .repos
            .channel_by_handle(&handle.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound("channel"))?;
        self.channel_for(me, row).await
    }

    /// A channel's id by its handle (the operators' console).
    pub async fn channel_id_by_handle(&self, handle: &str) -> Result<ChannelId> {
        Ok(self
            .repos
            .channel_by_handle(&handle.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound("channel"))?
            .id)
    }

    pub async fn business_channels(&self, me: &Session, business: BusinessId) -> Result<Vec<Channel>> {
        self.agent_of(me, business).await?;
        let rows = self.repos.channels_of(business).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let assistant = self.assistant_answers(r.id).await?;
            out.push(channel_view(r, None, assistant));
        }
        Ok(out)
    }

    /// Adds the channel as a friend, or changes the caller's consents.
    /// Each consent keeps the time it was last changed (the record a
    /// regulator asks for); advertising at night needs advertising.
    pub async fn add_channel(&self, me: &Session, id: ChannelId, req: ConsentsRequest) -> Result<Channel> {
        let row = self.repos.channel(id).await?.ok_or(Error::NotFound("channel"))?;
        let now = self.now();
        let before = self.repos.channel_friend(id, me.user).await?;
        let old = before.clone().unwrap_or(ChannelFriendRow {
            channel_id: id,
            user_id: me.user,
            added_at: now,
            informational: true,
            informational_at: now,
            marketing: false,
            marketing_at: now,
            marketing_night: false,
            marketing_night_at: now,
        });
        let marketing = req.marketing.unwrap_or(old.marketing);
        // Withdrawing marketing consent withdraws the night one with it.
        let marketing_night = marketing && req.marketing_night.unwrap_or(old.marketing_night);
        if req.marketing_night == Some(true) && !marketing {
            return Err(Error::invalid(
                "night_needs_marketing",
                "advertising at night needs consent to advertising",
            ));
        }
        let informational = req.informational.unwrap_or(old.informational);
        let stamp = |new: bool, was: bool, at| if before.is_none() || new != was { now } else { at };
        let next = ChannelFriendRow {
            informational,
            informational_at: stamp(informational, old.informational, old.informational_at),
            marketing,
            marketing_at: stamp(marketing, old.marketing, old.marketing_at),
            marketing_night,
            marketing_night_at: stamp(marketing_night, old.marketing_night, old.marketing_night_at),
            ..old
        };
        let saved = self.repos.put_channel_friend(next).await?;
        if before.is_none()
            && let Some(room) = self.repos.channel_room(id, me.user).await?
        {
            self.publish(
                madang_bus::Topic::User(me.user),
                madang_bus::Live::RoomAdded {
                    room_id: room.room_id,
                },
            )
            .await;
        }
        let row = self.repos.channel(row.id).await?.unwrap_or(row);
        let assistant = self.assistant_answers(row.id).await?;
        Ok(channel_view(row, Some(&saved), assistant))
    }

    /// Removes the channel from the caller's friends: no more messages of
    /// any kind from it.
    pub async fn remove_channel(&self, me: &Session, id: ChannelId) -> Result<()> {
        self.repos.channel(id).await?.ok_or(Error::NotFound("channel"))?;
        self.repos.remove_channel_friend(id, me.user).await?;
        Ok(())
    }

    pub fn shop_categories(&self) -> Vec<String> {
        SHOP_CATEGORIES.iter().map(|c| (*c).to_owned()).collect()
    }

    fn shop_view(&self, row: ShopRow, regular: bool, distance_m: Option<f64>) -> Shop {
        let open_now =
            hours::zone(&row.time_zone).is_ok_and(|tz| hours::open_at(&row.hours, &tz, self.now()));
        Shop {
            id: row.id,
            business_id: row.business_id,
            channel_id: row.channel_id,
            name: row.name,
            category: row.category,
            description: row.description,
            address: row.address,
            lat: row.lat,
            lon: row.lon,
            time_zone: row.time_zone,
            hours: row.hours,
            photos: row.photos,
            phone: row.phone,
            regular_count: row.regular_count,
            open_now,
            regular,
            distance_m,
        }
    }

    pub async fn create_shop(&self, me: &Session, req: CreateShopRequest) -> Result<Shop> {
        self.agent_of(me, req.business_id).await?;
        let place = geo::point(req.lat, req.lon)
            .ok_or_else(|| Error::invalid("invalid_point", "latitude is −90…90 and longitude −180…180"))?;
        if let Some(channel) = req.channel_id {
            let owned = self
                .repos
                .channel(channel)
                .await?
                .is_some_and(|c| c.business_id == req.business_id);
            if !owned {
                return Err(Error::NotFound("channel"));
            }
        }
        if req.photos.len() > MAX_PHOTOS {
            return Err(Error::invalid(
                "too_many_photos",
                format!("at most {MAX_PHOTOS} photos"),
            ));
        }
        for photo in &req.photos {
            self.check_own_image(me, photo).await?;
        }
        hours::zone(&req.time_zone)?;
        let new = NewShop {
            business_id: req.business_id,
            channel_id: req.channel_id,
            name: name(&req.name, "invalid_name")?,
            category: check_category(&req.category)?,
            description: text_up_to(&req.description, MAX_DESCRIPTION, "invalid_description")?,
            address: crate::openchat::rules::line(&req.address, MAX_ADDRESS)
                .ok_or_else(|| Error::invalid("invalid_address", format!("1–{MAX_ADDRESS} characters")))?,
            lat: req.lat,
            lon: req.lon,
            cells: geo::cells(place),
            time_zone: req.time_zone,
            hours: hours::check(&req.hours)?,
            photos: req.photos,
            phone: text_up_to(&req.phone, 30, "invalid_phone")?,
            at: self.now(),
        };
        let row = self.repos.create_shop(new).await?;
        Ok(self.shop_view(row, false, None))
    }

    /// A business's shops (its agents only), for the console.
    pub async fn business_shops(&self, me: &Session, business: BusinessId) -> Result<Vec<Shop>> {
        self.agent_of(me, business).await?;
        let rows = self.repos.shops_of(business).await?;
        self.shop_views(me, rows.into_iter().map(|r| (r, None)).collect())
            .await
    }

    /// Shops as the caller sees them, each marked if they are its regular.
    async fn shop_views(&self, me: &Session, rows: Vec<(ShopRow, Option<f64>)>) -> Result<Vec<Shop>> {
        let ids: Vec<ShopId> = rows.iter().map(|(r, _)| r.id).collect();
        let regular: HashSet<ShopId> = self.repos.regular_of(me.user, &ids).await?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|(r, distance)| {
                let is_regular = regular.contains(&r.id);
                self.shop_view(r, is_regular, distance)
            })
            .collect())
    }

    pub async fn shop(&self, me: &Session, id: ShopId) -> Result<Shop> {
        let row = self.repos.shop(id).await?.ok_or(Error::NotFound("shop"))?;
        let regular = !self.repos.regular_of(me.user, &[id]).await?.is_empty();
        Ok(self.shop_view(row, regular, None))
    }

    /// Shops within `radius_m` of a point, nearest first (ties by id),
    /// optionally of one category and open now.
    pub async fn nearby_shops(&self, me: &Session, q: Nearby) -> Result<ShopPage> {
        let centre = geo::point(q.lat, q.lon)
            .ok_or_else(|| Error::invalid("invalid_point", "latitude is −90…90 and longitude −180…180"))?;
        let max = self.limits.max_nearby_radius_m;
        if !(0.0..=max).contains(&q.radius_m) {
            return Err(Error::invalid(
                "invalid_radius",
                format!("the radius is 0–{max} metres"),
            ));
        }
        let category = q.category.as_deref().map(check_category).transpose()?;
        let limit = q.limit.unwrap_or(30).clamp(1, MAX_NEARBY);
        let (level, cells) = geo::cover(centre, q.radius_m);
        let rows = self
            .repos
            .shops_in_cells(level, &cells, category.as_deref())
            .await?;
        let now = self.now();
        let mut found: Vec<(f64, ShopRow)> = rows
            .into_iter()
            .filter_map(|r| {
                let d = geo::distance_m(centre, geo::point(r.lat, r.lon)?);
                (d <= q.radius_m).then_some((d, r))
            })
            .filter(|(_, r)| {
                !q.open_now || hours::zone(&r.time_zone).is_ok_and(|tz| hours::open_at(&r.hours, &tz, now))
            })
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        found.truncate(limit);
        let rows = found.into_iter().map(|(d, r)| (r, Some(d))).collect();
        Ok(ShopPage {
            shops: self.shop_views(me, rows).await?,
        })
    }

    /// Becomes (or stops being) a regular (단골) of a shop.
    pub async fn set_regular(&self, me: &Session, id: ShopId, on: bool) -> Result<Shop> {
        self.repos.shop(id).await?.ok_or(Error::NotFound("shop"))?;
        self.repos.set_regular(id, me.user, on, self.now()).await?;
        self.shop(me, id).await
    }
}
