//! Campaigns: a channel's broadcast to its friends. The rules live here,
//! not in any client:
//! - informational messages need the person's informational consent;
//! - advertising needs marketing consent, starts with "(광고)" and the
//!   channel's name, ends with the opt-out line (the message also carries
//!   its campaign, for the one-tap opt-out);
//! - at most one advertisement per person per local day (the store keeps
//!   the day, atomically with the delivery);
//! - no advertising 21:00–08:00 in the recipient's time zone without their
//!   night consent: those are deferred to 08:00, not dropped.
//!
//! [`judge`] applies them to one recipient at one instant; the sender job
//! ([`run`]) applies them batch by batch through the store's resumable
//! `campaign_batch`.

use super::template::{Template, TemplateError};
use super::{geo, hours, rewrite};
use crate::{Core, Error, Result, Session};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use madang_bus::{Live, Topic};
use madang_store::{CampaignCopy, CampaignRow, Candidate, NewCampaign, Outcome, Wording};
use madang_types::channel::{
    Campaign, CampaignKind, CampaignStats, CampaignStatus, CreateCampaignRequest, Preview, PreviewRequest,
    Segment,
};
use madang_types::local::{Channel, ConsentsRequest};
use madang_types::{CampaignId, ChannelId, Millis};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The label every advertisement starts with.
pub const AD_LABEL: &str = "(광고)";
/// The last line of every advertisement; the message's campaign gives the
/// client its one-tap button.
pub const OPT_OUT_LINE: &str = "수신거부: 이 메시지의 [광고 수신거부]를 누르세요";
/// Advertising hours without night consent: from 08:00 until 21:00.
const DAY_STARTS: i8 = 8;
const NIGHT_STARTS: i8 = 21;
const BUILT_INS: [&str; 2] = ["name", "channel"];
const MAX_SEGMENT_TAGS: usize = 20;
const MAX_VARIABLES: usize = 30;
const MAX_VALUE_CHARS: usize = 500;
const MAX_SCHEDULE_MS: i64 = 366 * 86_400_000;

/// What one person's consents allow at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent {
    pub informational: bool,
    pub marketing: bool,
    pub marketing_night: bool,
}

/// The rules' decision for one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send now; an advertisement counts against this local day (`YYYYMMDD`).
    Send {
        ad_day: Option<i64>,
    },
    /// Night without night consent: send at the next 08:00 local.
    Defer {
        until: Millis,
    },
    Skip {
        reason: &'static str,
    },
}

/// The person's local day as `YYYYMMDD`.
fn day_key(date: jiff::civil::Date) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

/// The advertising rules for one recipient in time zone `tz` at `now`
/// (the one-a-day rule is then kept by the store, by `ad_day`).
pub fn judge(kind: CampaignKind, consent: Consent, tz: &TimeZone, now: Millis) -> Verdict {
    match kind {
        CampaignKind::Informational if !consent.informational => Verdict::Skip {
            reason: "informational_refused",
        },
        CampaignKind::Informational => Verdict::Send { ad_day: None },
        CampaignKind::Advertising if !consent.marketing => Verdict::Skip { reason: "no_consent" },
        CampaignKind::Advertising => {
            let Ok(ts) = Timestamp::from_millisecond(now.0) else {
                return Verdict::Skip { reason: "bad_clock" };
            };
            let local = tz.to_datetime(ts);
            let hour = local.hour();
            let night = !(DAY_STARTS..NIGHT_STARTS).contains(&hour);
            if night && !consent.marketing_night {
                let day = if hour >= NIGHT_STARTS {
                    local.date().tomorrow().unwrap_or(local.date())
                } else {
                    local.date()
                };
                let morning = day.at(DAY_STARTS, 0, 0, 0);
                return match tz.to_timestamp(morning) {
                    Ok(t) => Verdict::Defer {
                        until: Millis(t.as_millisecond()),
                    },
                    Err(_) => Verdict::Skip { reason: "bad_clock" },
                };
            }
            Verdict::Send {
                ad_day: Some(day_key(local.date())),
            }
        }
    }
}

/// The message as delivered: an advertisement gets its label with the
/// channel's name first and the opt-out line last.
pub fn compose(kind: CampaignKind, channel: &str, body: &str) -> String {
    match kind {
        CampaignKind::Informational => body.to_owned(),
        CampaignKind::Advertising => format!("{AD_LABEL} {channel}\n{body}\n\n{OPT_OUT_LINE}"),
    }
}

/// Whether a friend is in the segment. Deferred people were found to be in
/// it on the first pass.
fn in_segment(seg: &Segment, p: &Candidate) -> bool {
    if p.deferred {
        return true;
    }
    if seg.regulars_of.is_some() && !p.regular {
        return false;
    }
    if let Some(area) = &seg.near {
        let inside = match (geo::point(area.lat, area.lon), p.place.home) {
            (Some(centre), Some((lat, lon))) => {
                geo::point(lat, lon).is_some_and(|h| geo::distance_m(centre, h) <= area.radius_m)
            }
            _ => false,
        };
        if !inside {
            return false;
        }
    }
    seg.tags.iter().all(|t| p.tags.contains(t))
        && seg.attributes.iter().all(|(k, v)| p.attributes.get(k) == Some(v))
}

/// What the sender needs to judge a batch: the template, the channel's
/// name, the time zones seen so far; with `rewrite`, the wordings by
/// variant so far.
struct Rules {
    template: Template,
    channel: String,
    default_tz: TimeZone,
    max_chars: usize,
    copies: HashMap<String, CampaignCopy>,
}

impl Rules {
    /// The ad day to send under, or the outcome when the person is not
    /// sent to now.
    fn verdict<'a>(
        &self,
        c: &CampaignRow,
        p: &'a Candidate,
        zones: &mut HashMap<&'a str, Option<TimeZone>>,
        now: Millis,
    ) -> std::result::Result<Option<i64>, Outcome> {
        if !in_segment(&c.segment, p) {
            return Err(Outcome::Pass);
        }
        if !p.friend {
            return Err(Outcome::Skip {
                reason: "unsubscribed",
            });
        }
        let tz = match p.place.time_zone.as_deref() {
            Some(name) => zones
                .entry(name)
                .or_insert_with(|| hours::zone(name).ok())
                .clone()
                .unwrap_or_else(|| self.default_tz.clone()),
            None => self.default_tz.clone(),
        };
        let consent = Consent {
            informational: p.informational,
            marketing: p.marketing,
            marketing_night: p.marketing_night,
        };
        match judge(c.kind, consent, &tz, now) {
            Verdict::Skip { reason } => Err(Outcome::Skip { reason }),
            Verdict::Defer { until } => Err(Outcome::Defer { until }),
            Verdict::Send { ad_day } => Ok(ad_day),
        }
    }

    /// The wordings the people of `batch` who are sent to now need and
    /// the campaign does not have yet, one per variant.
    fn wanted(&self, c: &CampaignRow, batch: &[Candidate], now: Millis) -> Vec<rewrite::Ask> {
        let mut zones = HashMap::new();
        let mut out: Vec<rewrite::Ask> = Vec::new();
        for p in batch {
            if self.verdict(c, p, &mut zones, now).is_err() {
                continue;
            }
            let Some(ask) = rewrite::ask(
                &self.template,
                &self.channel,
                &c.variables,
                &c.attributes,
                &p.attributes,
            ) else {
                continue;
            };
            if !self.copies.contains_key(&ask.key) && !out.iter().any(|a| a.key == ask.key) {
                out.push(ask);
            }
        }
        out
    }

    /// The message `p` gets, composed: the stored wording for their
    /// attributes when it fits, else `plain`.
    fn wording(&self, c: &CampaignRow, p: &Candidate, plain: String) -> (String, Wording) {
        if !c.rewrite {
            return (plain, Wording::Template);
        }
        let key = rewrite::variant_key(&c.attributes, &p.attributes);
        let reason = match self.copies.get(&key) {
            Some(CampaignCopy { text: Some(t), .. }) => {
                match filled(c.kind, &self.channel, t, &p.display_name, self.max_chars) {
                    Some(text) => return (text, Wording::Rewritten),
                    None => "too_long",
                }
            }
            Some(copy) => rewrite::reason(copy.reason.as_deref()),
            None => rewrite::NOT_READY,
        };
        (plain, Wording::FellBack { reason })
    }

    fn outcomes(&self, c: &CampaignRow, batch: &[Candidate], now: Millis) -> Vec<Outcome> {
        let mut zones: HashMap<&str, Option<TimeZone>> = HashMap::new();
        batch
            .iter()
            .map(|p| {
                let ad_day = match self.verdict(c, p, &mut zones, now) {
                    Ok(ad_day) => ad_day,
                    Err(outcome) => return outcome,
                };
                let body = self.template.render(|v| match v {
                    "name" => Some(p.display_name.as_str()),
                    "channel" => Some(self.channel.as_str()),
                    _ => c
                        .variables
                        .get(v)
                        .or_else(|| p.attributes.get(v))
                        .map(String::as_str)
                        .filter(|s| !s.is_empty()),
                });
                let Ok(body) = body else {
                    return Outcome::Skip {
                        reason: "missing_variable",
                    };
                };
                let (text, wording) = self.wording(c, p, compose(c.kind, &self.channel, &body));
                if text.chars().count() > self.max_chars {
                    Outcome::Skip { reason: "too_long" }
                } else {
                    Outcome::Deliver {
                        text,
                        ad_day,
                        wording,
                    }
                }
            })
            .collect()
    }
}

/// A stored wording for the person named `name`, composed, if it fits in
/// `max_chars` with their name in it.
fn filled(kind: CampaignKind, channel: &str, wording: &str, name: &str, max_chars: usize) -> Option<String> {
    let text = compose(kind, channel, &wording.replace(rewrite::NAME, name));
    (text.chars().count() <= max_chars).then_some(text)
}

/// The characters a rewritten body may take: the limit less the label,
/// the channel's name and the opt-out line.
fn body_budget(kind: CampaignKind, channel: &str, max_chars: usize) -> usize {
    max_chars.saturating_sub(compose(kind, channel, "").chars().count())
}

fn template_error(e: TemplateError) -> Error {
    match e {
        TemplateError::Unclosed => Error::invalid("invalid_template", "a #{ has no closing }"),
        TemplateError::BadName(n) => Error::invalid(
            "invalid_template",
            format!("#{{{n}}} is not a variable name (1–30 letters, digits or _)"),
        ),
    }
}

fn view(
    c: &CampaignRow,
    skips: BTreeMap<String, i64>,
    fallbacks: BTreeMap<String, i64>,
    read: i64,
    waiting: i64,
) -> Campaign {
    Campaign {
        id: c.id,
        channel_id: c.channel_id,
        name: c.name.clone(),
        kind: c.kind,
        template: c.template.clone(),
        variables: c.variables.clone(),
        attributes: c.attributes.clone(),
        segment: c.segment.clone(),
        send_at: c.send_at,
        rewrite: c.rewrite,
        status: c.status,
        stats: CampaignStats {
            audience: c.audience,
            passed: c.passed,
            targeted: c.targeted,
            delivered: c.delivered,
            deferred: c.deferred,
            waiting,
            read,
            opted_out: c.opted_out,
            skipped: c.skipped,
            skipped_by_reason: skips,
            rewritten: c.rewritten,
            fell_back: c.fell_back,
            fell_back_by_reason: fallbacks,
        },
        created_by: c.created_by,
        created_at: c.created_at,
        started_at: c.started_at,
        finished_at: c.finished_at,
    }
}

impl Core {
    /// Checks a campaign as asked for and renders it for a sample
    /// recipient: the template and its variables, the segment, the time.
    /// The template, and the sample's message and name.
    async fn check_campaign(
        &self,
        me: &Session,
        channel: &madang_store::ChannelRow,
        req: &CreateCampaignRequest,
        sample: &BTreeMap<String, String>,
    ) -> Result<(Template, String, String)> {
        if req.rewrite {
            self.models
                .generator_for("campaign_copy", self.models.features.campaign_copy)?;
        }
        let template = Template::parse(&req.template).map_err(template_error)?;
        if req.template.trim().is_empty() {
            return Err(Error::invalid("invalid_template", "the message is empty"));
        }
        if req.variables.len() > MAX_VARIABLES || req.attributes.len() > MAX_VARIABLES {
            return Err(Error::invalid(
                "too_many_variables",
                format!("at most {MAX_VARIABLES} variables and {MAX_VARIABLES} attributes"),
            ));
        }
        for a in &req.attributes {
            if BUILT_INS.contains(&a.as_str()) || req.variables.contains_key(a) {
                return Err(Error::invalid(
                    "invalid_variable",
                    format!("#{{{a}}} is both an attribute and a value"),
                ));
            }
        }
        let used = template.variables();
        for v in &used {
            let known = BUILT_INS.contains(v)
                || req.variables.contains_key(*v)
                || req.attributes.iter().any(|a| a == v);
            if !known {
                return Err(Error::invalid(
                    "unknown_variable",
                    format!("#{{{v}}} is neither a built-in (name, channel), a value nor an attribute"),
                ));
            }
        }
        for (k, v) in &req.variables {
            if !used.contains(&k.as_str()) {
                return Err(Error::invalid(
                    "unused_variable",
                    format!("#{{{k}}} is given but the template does not use it"),
                ));
            }
            if v.trim().is_empty() || v.chars().count() > MAX_VALUE_CHARS {
                return Err(Error::invalid(
                    "missing_variable",
                    format!("#{{{k}}} needs a value of 1–{MAX_VALUE_CHARS} characters"),
                ));
            }
        }
        for a in &req.attributes {
            if !used.contains(&a.as_str()) {
                return Err(Error::invalid(
                    "unused_variable",
                    format!("attribute #{{{a}}} is listed but the template does not use it"),
                ));
            }
        }
        if let Some(shop) = req.segment.regulars_of {
            let ours = self
                .repos
                .shop(shop)
                .await?
                .is_some_and(|s| s.business_id == channel.business_id);
            if !ours {
                return Err(Error::NotFound("shop"));
            }
        }
        if let Some(area) = &req.segment.near {
            let max = self.limits.max_nearby_radius_m;
            if geo::point(area.lat, area.lon).is_none() || !(0.0..=max).contains(&area.radius_m) {
                return Err(Error::invalid(
                    "invalid_segment",
                    format!("a segment's area is a valid point and a radius of 0–{max} metres"),
                ));
            }
        }
        if req.segment.tags.len() > MAX_SEGMENT_TAGS || req.segment.attributes.len() > MAX_VARIABLES {
            return Err(Error::invalid("invalid_segment", "too many tags or attributes"));
        }
        // Rendered for the sample (an attribute it lacks counts as empty,
        // the shortest case), composed, and measured.
        let me_row = self.repos.user(me.user).await?.ok_or(Error::NotFound("user"))?;
        let body = template
            .render(|v| match v {
                "name" => Some(me_row.display_name.as_str()),
                "channel" => Some(channel.name.as_str()),
                _ => req
                    .variables
                    .get(v)
                    .or_else(|| sample.get(v))
                    .map(String::as_str)
                    .or(Some("")),
            })
            .map_err(|v| Error::invalid("missing_variable", format!("#{{{v}}} has no value")))?;
        let text = compose(req.kind, &channel.name, &body);
        let max = self.limits.max_campaign_chars;
        if text.chars().count() > max {
            return Err(Error::invalid(
                "too_long",
                format!(
                    "the message is {} characters with its label and opt-out line; the limit is {max}",
                    text.chars().count()
                ),
            ));
        }
        Ok((template, text, me_row.display_name))
    }

    /// Exactly what a recipient with the sample's attributes would get;
    /// with `rewrite`, the model writes it for them now (not kept).
    pub async fn preview_campaign(
        &self,
        me: &Session,
        channel: ChannelId,
        req: PreviewRequest,
    ) -> Result<Preview> {
        let row = self.channel_as_agent(me, channel).await?;
        let c = &req.campaign;
        let (template, mut text, me_name) = self.check_campaign(me, &row, c, &req.sample).await?;
        let max_chars = self.limits.max_campaign_chars;
        let mut rewritten = false;
        let mut fell_back = None;
        if c.rewrite {
            // A sample without an attribute reads it as empty, as above.
            let person: BTreeMap<String, String> = c
                .attributes
                .iter()
                .map(|a| (a.clone(), req.sample.get(a).cloned().unwrap_or_default()))
                .collect();
            let budget = body_budget(c.kind, &row.name, max_chars);
            let copy = match rewrite::ask(&template, &row.name, &c.variables, &c.attributes, &person) {
                Some(ask) => self.write_copy(&ask, budget).await,
                None => CampaignCopy {
                    text: None,
                    reason: Some("missing_variable".into()),
                },
            };
            match copy
                .text
                .map(|t| filled(c.kind, &row.name, &t, &me_name, max_chars))
            {
                Some(Some(composed)) => {
                    text = composed;
                    rewritten = true;
                }
                Some(None) => fell_back = Some("too_long".to_owned()),
                None => fell_back = copy.reason,
            }
        }
        Ok(Preview {
            chars: text.chars().count(),
            text,
            max_chars,
            rewritten,
            fell_back,
        })
    }

    pub async fn create_campaign(
        &self,
        me: &Session,
        channel: ChannelId,
        req: CreateCampaignRequest,
    ) -> Result<Campaign> {
        let row = self.channel_as_agent(me, channel).await?;
        let name = super::name(&req.name, "invalid_name")?;
        self.check_campaign(me, &row, &req, &BTreeMap::new()).await?;
        let now = self.now();
        let send_at = req.send_at.unwrap_or(now);
        if send_at.0 < now.0 - 60_000 || send_at.0 > now.0 + MAX_SCHEDULE_MS {
            return Err(Error::invalid(
                "invalid_send_at",
                "a campaign is sent now or at a time within a year",
            ));
        }
        let created = self
            .repos
            .create_campaign(NewCampaign {
                channel_id: channel,
                created_by: me.user,
                name,
                kind: req.kind,
                template: req.template,
                variables: req.variables,
                attributes: req.attributes,
                segment: req.segment,
                send_at: send_at.max(now),
                rewrite: req.rewrite,
                at: now,
            })
            .await?;
        self.campaign_wake.notify_one();
        Ok(view(&created, BTreeMap::new(), BTreeMap::new(), 0, 0))
    }

    /// Reads are kept counted as people read, so every view has them; the
    /// people waiting for the morning are counted once the first pass is
    /// over (progress polls stay cheap).
    async fn campaign_view(&self, row: &CampaignRow) -> Result<Campaign> {
        let skips = self.repos.campaign_skips(row.id).await?;
        let fallbacks = if row.rewrite {
            self.repos.campaign_fallbacks(row.id).await?
        } else {
            BTreeMap::new()
        };
        let read = self.repos.campaign_reads(row.id).await?;
        let waiting = match row.status {
            CampaignStatus::Scheduled | CampaignStatus::Sending => 0,
            _ => self.repos.campaign_waiting(row.id).await?,
        };
        Ok(view(row, skips, fallbacks, read, waiting))
    }

    /// A campaign with its stats, for the business's agents.
    pub async fn campaign(&self, me: &Session, id: CampaignId) -> Result<Campaign> {
        let row = self
            .repos
            .campaign(id)
            .await?
            .ok_or(Error::NotFound("campaign"))?;
        self.channel_as_agent(me, row.channel_id)
            .await
            .map_err(|_| Error::NotFound("campaign"))?;
        self.campaign_view(&row).await
    }

    pub async fn campaigns(&self, me: &Session, channel: ChannelId) -> Result<Vec<Campaign>> {
        self.channel_as_agent(me, channel).await?;
        let rows = self.repos.campaigns_of(channel, 100).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.campaign_view(r).await?);
        }
        Ok(out)
    }

    /// Stops a campaign; what was delivered stays delivered.
    pub async fn cancel_campaign(&self, me: &Session, id: CampaignId) -> Result<Campaign> {
        self.campaign(me, id).await?;
        if !self.repos.cancel_campaign(id, self.now()).await? {
            return Err(Error::invalid(
                "campaign_finished",
                "the campaign has already finished",
            ));
        }
        self.campaign(me, id).await
    }

    /// One tap from an advertisement: no more advertising from its channel
    /// (night consent goes with it), counted on the campaign.
    pub async fn opt_out(&self, me: &Session, id: CampaignId) -> Result<Channel> {
        let row = self
            .repos
            .campaign(id)
            .await?
            .ok_or(Error::NotFound("campaign"))?;
        if !self.repos.was_delivered(id, me.user).await? {
            return Err(Error::NotFound("campaign"));
        }
        let channel = if self
            .repos
            .channel_friend(row.channel_id, me.user)
            .await?
            .is_some()
        {
            let off = ConsentsRequest {
                marketing: Some(false),
                ..ConsentsRequest::default()
            };
            self.add_channel(me, row.channel_id, off).await?
        } else {
            self.channel(me, row.channel_id).await?
        };
        self.repos.record_opt_out(id, me.user, self.now()).await?;
        Ok(channel)
    }

    /// Sends every batch of one campaign that is due now; the number of
    /// messages delivered.
    pub async fn send_campaign_batches(
        &self,
        id: CampaignId,
        stop: Option<&watch::Receiver<bool>>,
    ) -> Result<u64> {
        let Some(row) = self.repos.campaign(id).await? else {
            return Ok(0);
        };
        let channel = self
            .repos
            .channel(row.channel_id)
            .await?
            .ok_or(Error::NotFound("channel"))?;
        let mut rules = Rules {
            template: Template::parse(&row.template).map_err(template_error)?,
            channel: channel.name,
            default_tz: hours::zone(&self.limits.default_time_zone)?,
            max_chars: self.limits.max_campaign_chars,
            copies: if row.rewrite {
                self.repos.campaign_copies(id).await?
            } else {
                HashMap::new()
            },
        };
        let shown = super::inbox::channel_shown_id(row.channel_id);
        let batch = self.limits.campaign_batch.max(1);
        let mut sent = 0u64;
        loop {
            if stop.is_some_and(|s| *s.borrow()) {
                return Ok(sent);
            }
            if row.rewrite {
                self.write_batch_copies(&row, &mut rules, batch, stop).await?;
            }
            let now = self.now();
            let judge = |c: &CampaignRow, batch: &[Candidate]| rules.outcomes(c, batch, now);
            let report = self.repos.campaign_batch(id, shown, now, batch, &judge).await?;
            sent += report.events.len() as u64;
            metrics::counter!("madang_campaign_messages_total").increment(report.events.len() as u64);
            for e in report.events {
                self.publish(Topic::Room(e.room_id), Live::Event(e)).await;
            }
            self.push_soon();
            if !report.more {
                if report.status == Some(CampaignStatus::Done) {
                    tracing::info!(campaign = %id, "campaign finished");
                }
                return Ok(sent);
            }
        }
    }

    /// Before a batch, outside its transaction: the wordings the next
    /// batch's recipients need, written by the model (up to the campaign's
    /// cap on variants) and stored with the campaign (all but a model's
    /// passing failure, which is tried again on the next run).
    async fn write_batch_copies(
        &self,
        row: &CampaignRow,
        rules: &mut Rules,
        batch: i64,
        stop: Option<&watch::Receiver<bool>>,
    ) -> Result<()> {
        let now = self.now();
        let next = self.repos.peek_campaign_batch(row.id, now, batch).await?;
        let budget = body_budget(row.kind, &rules.channel, rules.max_chars);
        for ask in rules.wanted(row, &next, now) {
            if stop.is_some_and(|s| *s.borrow()) {
                return Ok(());
            }
            let copy = if rules.copies.len() >= self.limits.campaign_rewrite_variants {
                CampaignCopy {
                    text: None,
                    reason: Some(rewrite::VARIANT_CAP.to_owned()),
                }
            } else {
                self.write_copy(&ask, budget).await
            };
            // A model that is off or failing now may be back by the next
            // run: that fallback holds for this run only, unstored.
            let transient = matches!(
                copy.reason.as_deref(),
                Some(rewrite::MODEL_OFF | rewrite::MODEL_ERROR)
            );
            let kept = if transient {
                copy
            } else {
                self.repos
                    .put_campaign_copy(row.id, &ask.key, &copy, self.now())
                    .await?
            };
            rules.copies.insert(ask.key, kept);
        }
        Ok(())
    }

    /// One round of the sender: every campaign with work due.
    pub async fn send_due_campaigns(&self, stop: Option<&watch::Receiver<bool>>) -> Result<u64> {
        let mut sent = 0;
        for id in self.repos.due_campaigns(self.now(), 20).await? {
            sent += self.send_campaign_batches(id, stop).await?;
        }
        Ok(sent)
    }
}

impl Core {
    /// Adds `people` generated accounts as friends of a channel (each
    /// consenting to everything but every `no_marketing_every`-th, who
    /// refused advertising): the audience of load tests and demos. Nobody
    /// can log in as them.
    pub async fn seed_audience(
        &self,
        channel: ChannelId,
        people: u64,
        prefix: &str,
        no_marketing_every: u64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64> {
        self.repos
            .channel(channel)
            .await?
            .ok_or(Error::NotFound("channel"))?;
        let ok_prefix = (1..=20).contains(&prefix.len())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_prefix {
            return Err(Error::invalid(
                "invalid_prefix",
                "a prefix is 1–20 of a–z, 0–9 and _",
            ));
        }
        let mut secret = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        let password_hash = self.hash_password(format!("{secret:?}")).await?;
        let seed = madang_store::AudienceSeed {
            channel,
            people,
            prefix: prefix.to_owned(),
            password_hash,
            at: self.now(),
        };
        let every = no_marketing_every;
        let consent = move |i: u64| {
            let marketing = every == 0 || !(i + 1).is_multiple_of(every);
            (true, marketing, marketing)
        };
        Ok(self.repos.seed_audience(&seed, &consent, progress).await?)
    }

    /// A campaign's record checked against its messages (operators).
    pub async fn campaign_audit(&self, id: CampaignId) -> Result<(Campaign, madang_store::CampaignAudit)> {
        let row = self
            .repos
            .campaign(id)
            .await?
            .ok_or(Error::NotFound("campaign"))?;
        Ok((
            self.campaign_view(&row).await?,
            self.repos.campaign_audit(id).await?,
        ))
    }
}

/// The campaign sender on every node: it wakes every `campaign_poll_ms`
/// (or when a campaign is made here) and sends what is due. Batches are
/// claimed in the database, so nodes share the work without doing any of
/// it twice.
pub(crate) async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(core.limits.campaign_poll_ms.max(10));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = core.campaign_wake.notified() => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = core.send_due_campaigns(Some(&stop)).await {
            metrics::counter!("madang_job_errors_total", "job" => "campaigns").increment(1);
            tracing::warn!(error = %e, "campaign sending failed; retrying next round");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seoul() -> TimeZone {
        jiff::tz::db().get("Asia/Seoul").unwrap()
    }

    fn at(tz: &TimeZone, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Millis {
        let dt = jiff::civil::date(y, mo, d).at(h, mi, 0, 0);
        Millis(tz.to_timestamp(dt).unwrap().as_millisecond())
    }

    const ALL: Consent = Consent {
        informational: true,
        marketing: true,
        marketing_night: true,
    };
    const DAY_ONLY: Consent = Consent {
        marketing_night: false,
        ..ALL
    };

    #[test]
    fn advertising_needs_marketing_consent() {
        let none = Consent {
            marketing: false,
            marketing_night: false,
            ..ALL
        };
        let tz = seoul();
        assert_eq!(
            judge(CampaignKind::Advertising, none, &tz, at(&tz, 2026, 11, 23, 12, 0)),
            Verdict::Skip { reason: "no_consent" }
        );
        // Informational messages are not advertising.
        assert_eq!(
            judge(
                CampaignKind::Informational,
                none,
                &tz,
                at(&tz, 2026, 11, 23, 23, 0)
            ),
            Verdict::Send { ad_day: None }
        );
    }

    #[test]
    fn informational_needs_its_own_consent() {
        let tz = seoul();
        let refused = Consent {
            informational: false,
            ..ALL
        };
        assert_eq!(
            judge(
                CampaignKind::Informational,
                refused,
                &tz,
                at(&tz, 2026, 11, 23, 12, 0)
            ),
            Verdict::Skip {
                reason: "informational_refused"
            }
        );
    }

    #[test]
    fn night_without_night_consent_is_deferred_to_eight() {
        let tz = seoul();
        // 21:00 sharp is night: the next morning.
        assert_eq!(
            judge(
                CampaignKind::Advertising,
                DAY_ONLY,
                &tz,
                at(&tz, 2026, 11, 23, 21, 0)
            ),
            Verdict::Defer {
                until: at(&tz, 2026, 11, 24, 8, 0)
            }
        );
        // After midnight: the same morning.
        assert_eq!(
            judge(
                CampaignKind::Advertising,
                DAY_ONLY,
                &tz,
                at(&tz, 2026, 11, 24, 3, 30)
            ),
            Verdict::Defer {
                until: at(&tz, 2026, 11, 24, 8, 0)
            }
        );
        // 08:00 and 20:59 are day.
        for (h, m) in [(8, 0), (20, 59)] {
            assert_eq!(
                judge(
                    CampaignKind::Advertising,
                    DAY_ONLY,
                    &tz,
                    at(&tz, 2026, 11, 24, h, m)
                ),
                Verdict::Send {
                    ad_day: Some(20261124)
                }
            );
        }
        // With night consent it goes at once.
        assert_eq!(
            judge(CampaignKind::Advertising, ALL, &tz, at(&tz, 2026, 11, 23, 23, 0)),
            Verdict::Send {
                ad_day: Some(20261123)
            }
        );
    }

    #[test]
    fn night_is_the_recipients_night() {
        // 13:00 UTC is 22:00 in Seoul but 08:00 in New York (EST).
        let utc = at(&TimeZone::UTC, 2026, 11, 23, 13, 0);
        let ny = jiff::tz::db().get("America/New_York").unwrap();
        let tz = seoul();
        assert!(matches!(
            judge(CampaignKind::Advertising, DAY_ONLY, &tz, utc),
            Verdict::Defer { .. }
        ));
        assert_eq!(
            judge(CampaignKind::Advertising, DAY_ONLY, &ny, utc),
            Verdict::Send {
                ad_day: Some(20261123)
            }
        );
    }

    #[test]
    fn deferral_across_a_dst_change_lands_on_local_eight() {
        // The night before Europe/Berlin springs forward (29 March 2026).
        let tz = jiff::tz::db().get("Europe/Berlin").unwrap();
        let v = judge(
            CampaignKind::Advertising,
            DAY_ONLY,
            &tz,
            at(&tz, 2026, 3, 28, 23, 0),
        );
        assert_eq!(
            v,
            Verdict::Defer {
                until: at(&tz, 2026, 3, 29, 8, 0)
            }
        );
    }

    #[test]
    fn advertisements_carry_label_name_and_opt_out() {
        let t = compose(CampaignKind::Advertising, "동네빵집", "오늘 크루아상 1+1");
        assert!(t.starts_with("(광고) 동네빵집\n"));
        assert!(t.ends_with(OPT_OUT_LINE));
        assert_eq!(
            compose(CampaignKind::Informational, "동네빵집", "예약 확인"),
            "예약 확인"
        );
    }
}
