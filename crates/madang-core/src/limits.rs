//! Every limit the rules enforce, configured in one place (invariant 8).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest message text, in characters.
    pub max_message_chars: usize,
    /// Most members of a group chat.
    pub group_member_cap: i64,
    /// Longest group title, in characters.
    pub max_title_chars: usize,
    /// Longest display name, in characters.
    pub max_display_name_chars: usize,
    /// Longest status message, in characters.
    pub max_status_chars: usize,
    /// How long after sending the author may delete a message for everyone.
    pub delete_window_secs: i64,
    /// How long after sending the author may edit a message.
    pub edit_window_secs: i64,
    /// Most chat folders one person may have.
    pub max_folders: i64,
    /// Most rooms one chat folder may hold.
    pub max_folder_rooms: i64,
    /// Longest chat folder name, in characters.
    pub max_folder_name_chars: usize,
    /// How soon a scheduled message may go out, at the earliest.
    pub schedule_min_lead_secs: i64,
    /// How far ahead a message may be scheduled.
    pub schedule_max_lead_secs: i64,
    /// Longest voice message, in seconds.
    pub max_voice_secs: i64,
    /// Transcripts a person may ask for per minute.
    pub transcripts_per_minute: u32,
    /// Most scheduled messages waiting per person.
    pub max_scheduled_pending: i64,
    /// How often each node looks for scheduled messages that are due.
    pub scheduled_poll_ms: u64,
    /// Lifetime of a device token; each use slides it forward.
    pub token_ttl_days: i64,
    /// Largest attachment upload, in bytes.
    pub max_upload_bytes: usize,
    /// Largest avatar upload, in bytes.
    pub max_avatar_bytes: usize,
    /// Largest chat export to import (its `.txt`, or the zip with its
    /// media), in bytes.
    pub max_import_bytes: usize,
    /// Most messages one import writes.
    pub max_import_messages: usize,
    /// How long an export's download link works, in seconds.
    pub export_ttl_secs: i64,
    /// Exports one person may ask for in an hour (each file is kept a day).
    pub exports_per_hour: u32,
    /// Largest JSON request body, in bytes.
    pub max_json_bytes: usize,
    /// Largest WebSocket frame a client may send, in bytes.
    pub max_ws_frame_bytes: usize,
    /// Most messages in one history page.
    pub max_page: i64,
    /// Most contact hashes in one matching request.
    pub max_contacts: usize,
    /// Log-in attempts allowed per client address per minute.
    pub logins_per_minute: u32,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: u32,
    /// Messages one account may send per minute (bursts up to this number).
    pub messages_per_minute: u32,
    /// Messages one bot may send per minute (bursts up to this number).
    pub bot_messages_per_minute: u32,
    /// Most bots one person may own.
    pub max_bots_per_person: usize,
    /// Read-cursor moves in a room are gathered for this long and sent as one event.
    pub read_coalesce_ms: u64,
    /// How long a live socket has to acknowledge a message before its
    /// device is pushed it anyway (a tab in the background, a dead link).
    pub push_grace_ms: i64,
    /// Messages for one device and room within this long of the first
    /// are one notification.
    pub push_coalesce_ms: i64,
    /// Argon2id memory cost in KiB (OWASP's minimum is 19,456).
    pub password_memory_kib: u32,
    /// Offset from UTC, in minutes, of the day used for "birthday today".
    pub local_utc_offset_minutes: i32,
    /// Longest text of a Pung (a text card or a photo's caption), in characters.
    pub max_pung_text_chars: usize,
    /// Most decorations on one Pung.
    pub max_pung_layers: usize,
    /// Most friends tagged in one Pung.
    pub max_pung_tags: usize,
    /// Pungs one account may post per hour.
    pub pungs_per_hour: u32,
    /// How often the purge job looks for expired Pungs, in milliseconds
    /// (a Pung is invisible from the moment it expires either way).
    pub pung_purge_interval_ms: u64,
    /// A Pung photo uploaded but never posted is deleted after this long.
    pub unposted_pung_upload_secs: i64,
    /// Most members of a group open chat (a host may set fewer).
    pub open_chat_member_cap: i64,
    /// Most rooms a 1:1 open chat or open profile has open at once (a host
    /// may set fewer).
    pub open_chat_conversation_cap: i64,
    /// Most co-hosts (부방장) of one open chat.
    pub open_chat_cohost_cap: usize,
    /// Most banned words a host may set for one open chat.
    pub max_banned_words: usize,
    /// In an open chat, the same text may be sent this many times in a
    /// minute; the next is refused.
    pub flood_same_text: usize,
    /// In an open chat, this many messages with links may be sent in a
    /// minute; the next is refused.
    pub flood_links: usize,
    /// Attempts at an entry code per account per minute.
    pub entry_code_attempts_per_minute: u32,
    /// How often trending and recommendations are recomputed from the
    /// database (search sees new and closed open chats at once).
    pub discovery_refresh_secs: u64,
    /// The currency of every price and earning (ISO 4217); amounts are in
    /// its minor units (KRW has none: 1 means ₩1).
    pub currency: String,
    /// Cheapest and dearest price of a subscription tier, per period.
    pub min_tier_price: i64,
    pub max_tier_price: i64,
    /// Most tiers one open chat may offer at once.
    pub max_tiers: usize,
    /// Share of a subscription payment credited to the host, in percent;
    /// the rest is the operator's.
    pub subscription_host_share_percent: i64,
    /// Share of what an ad pays for an impression or click in an open chat
    /// credited to its host, in percent.
    pub ad_host_share_percent: i64,
    /// How often the renewal job looks for subscriptions due.
    pub subscription_renewal_interval_ms: u64,
    /// The same ad placement is reused for a person in a room for this long.
    pub ad_placement_reuse_secs: i64,
    /// An impression or click is counted only this long after placement.
    pub ad_placement_ttl_secs: i64,
    /// Widest nearby search for shops, in metres.
    pub max_nearby_radius_m: f64,
    /// Most coupons one issue may have.
    pub max_coupon_quantity: i64,
    /// The time zone of people who have not set theirs (advertising hours
    /// are judged in the recipient's zone).
    pub default_time_zone: String,
    /// Longest campaign message as delivered (label, name and opt-out
    /// line included), in characters.
    pub max_campaign_chars: usize,
    /// Recipients per campaign batch (one transaction each).
    pub campaign_batch: i64,
    /// Wordings the model writes for one campaign with `rewrite` (one per
    /// set of attribute values); recipients past it get the template.
    pub campaign_rewrite_variants: usize,
    /// How often the campaign sender looks for due work, in milliseconds.
    pub campaign_poll_ms: u64,
    /// Most messages one summary reads (the unread ones beyond are left out).
    pub max_summary_messages: usize,
    /// Summaries one account may ask for per hour.
    pub summaries_per_hour: u32,
    /// Longest summary, in tokens.
    pub summary_max_tokens: u32,
    /// Most tokens of transcript per model call; longer backlogs are
    /// summarised in parts that are then merged.
    pub summary_chunk_tokens: usize,
    /// Questions a group chat's assistant answers per hour (beyond them it
    /// says once that it is busy, and stays quiet until the hour refills).
    pub assistant_answers_per_hour: u32,
    /// Most recent messages the assistant reads for an answer (fewer when
    /// they do not fit the model).
    pub assistant_context_messages: usize,
    /// Longest answer of the assistant, in tokens.
    pub assistant_max_tokens: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: 10_000,
            group_member_cap: 3_000,
            max_title_chars: 50,
            max_display_name_chars: 30,
            max_status_chars: 60,
            delete_window_secs: 24 * 60 * 60,
            edit_window_secs: 24 * 60 * 60,
            max_folders: 10,
            max_folder_rooms: 100,
            max_folder_name_chars: 20,
            schedule_min_lead_secs: 60,
            schedule_max_lead_secs: 30 * 24 * 60 * 60,
            max_voice_secs: 300,
            transcripts_per_minute: 10,
            max_scheduled_pending: 100,
            scheduled_poll_ms: 1_000,
            token_ttl_days: 30,
            max_upload_bytes: 25 * 1024 * 1024,
            max_avatar_bytes: 5 * 1024 * 1024,
            max_import_bytes: 200 * 1024 * 1024,
            max_import_messages: 500_000,
            export_ttl_secs: 24 * 60 * 60,
            exports_per_hour: 10,
            max_json_bytes: 64 * 1024,
            max_ws_frame_bytes: 64 * 1024,
            max_page: 100,
            max_contacts: 2_000,
            logins_per_minute: 10,
            signups_per_hour: 20,
            messages_per_minute: 300,
            bot_messages_per_minute: 60,
            max_bots_per_person: 10,
            read_coalesce_ms: 200,
            push_grace_ms: 3_000,
            push_coalesce_ms: 300,
            password_memory_kib: 19_456,
            local_utc_offset_minutes: 9 * 60,
            max_pung_text_chars: 500,
            max_pung_layers: 20,
            max_pung_tags: 10,
            pungs_per_hour: 30,
            pung_purge_interval_ms: 10_000,
            unposted_pung_upload_secs: 3_600,
            open_chat_member_cap: 1_500,
            open_chat_conversation_cap: 100,
            open_chat_cohost_cap: 5,
            max_banned_words: 50,
            flood_same_text: 3,
            flood_links: 3,
            entry_code_attempts_per_minute: 5,
            discovery_refresh_secs: 300,
            currency: "KRW".into(),
            min_tier_price: 500,
            max_tier_price: 1_000_000,
            max_tiers: 5,
            subscription_host_share_percent: 80,
            ad_host_share_percent: 50,
            subscription_renewal_interval_ms: 60_000,
            ad_placement_reuse_secs: 10 * 60,
            ad_placement_ttl_secs: 60 * 60,
            max_nearby_radius_m: 50_000.0,
            max_coupon_quantity: 1_000_000,
            default_time_zone: "Asia/Seoul".into(),
            max_campaign_chars: 1_000,
            campaign_batch: 1_000,
            campaign_rewrite_variants: 50,
            campaign_poll_ms: 1_000,
            max_summary_messages: 3_000,
            summaries_per_hour: 30,
            summary_max_tokens: 256,
            summary_chunk_tokens: 1_500,
            assistant_answers_per_hour: 30,
            assistant_context_messages: 40,
            assistant_max_tokens: 200,
        }
    }
}
