//! `madang admin`: the operators' console on the server itself. It opens
//! the database the server uses and acts with the console's authority:
//! make an account an operator, read and resolve reports, suspend and
//! reinstate accounts in open chats, define and pause ads, check the
//! ledger.

use crate::config::Config;
use crate::node::open_core;
use clap::Subcommand;
use madang_bus::LocalBus;
use madang_core::SystemClock;
use madang_core::safety::Authority;
use madang_types::earnings::{Ad, AdFormat, CreateAdRequest};
use madang_types::openchat::{SpamLabelRequest, SuspendRequest};
use madang_types::{AdId, ReportId};
use std::sync::Arc;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Make an account an operator: it can then use /api/v1/admin/*.
    Operator { handle: String },
    /// List the reports waiting for an operator, oldest first.
    Reports,
    /// Mark a report handled.
    Resolve { id: i64 },
    /// Suspend an account from open chats: for 1–60 days, or for good.
    Suspend {
        handle: String,
        /// Days (1–60); leave out for a permanent suspension.
        #[arg(long)]
        days: Option<i64>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift a suspension.
    Unsuspend { handle: String },
    /// List suspensions.
    Suspensions,
    /// Ads in open chats: list them with their counts, define, pause.
    #[command(subcommand)]
    Ads(AdsCommand),
    /// Examples for spam screening in open chats: messages labelled spam
    /// (hide what is like them) or fine (do not hide what is like them).
    #[command(subcommand)]
    Spam(SpamCommand),
    /// Check the money ledger: every transaction balances, every balance
    /// equals its entries. Exits with 1 if not.
    Ledger,
    /// Add generated people as friends of a channel (with their rooms):
    /// the audience of load tests and demos. Nobody can log in as them.
    Audience {
        /// The channel's handle.
        channel: String,
        #[arg(long)]
        people: u64,
        /// Their handles are this prefix and a number.
        #[arg(long, default_value = "aud")]
        prefix: String,
        /// Every n-th one refuses advertising (0: nobody does).
        #[arg(long, default_value_t = 0)]
        no_marketing_every: u64,
    },
    /// A campaign's stats checked against its messages: every delivered
    /// recipient has exactly one. Prints JSON; exits with 1 if not.
    Campaign { id: i64 },
}

#[derive(Subcommand)]
pub enum SpamCommand {
    /// Every labelled example.
    List,
    /// Label a message as spam.
    Add { text: String },
    /// Label a message as fine.
    Ok { text: String },
    /// Take an example away.
    Remove { id: i64 },
}

#[derive(Subcommand)]
pub enum AdsCommand {
    /// Every ad with impressions, clicks and budget.
    List,
    /// Define a sponsored banner or message and fund its budget.
    Create {
        #[arg(long)]
        advertiser: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        #[arg(long)]
        link: String,
        /// `banner` or `message`.
        #[arg(long, default_value = "banner")]
        format: String,
        /// Target categories (repeat); none and no hashtags: anywhere.
        #[arg(long = "category")]
        categories: Vec<String>,
        /// Target hashtags, without `#` (repeat).
        #[arg(long = "hashtag")]
        hashtags: Vec<String>,
        /// Minor units paid per impression.
        #[arg(long)]
        price_impression: i64,
        /// Minor units paid per click.
        #[arg(long)]
        price_click: i64,
        /// Prepaid budget in minor units.
        #[arg(long)]
        budget: i64,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
}

fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()))
        .unwrap_or_else(|_| ms.to_string())
}

pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let (core, store) = open_core(config, Arc::new(SystemClock), Arc::new(LocalBus::new())).await?;
    let console = Authority::Console;
    match command {
        AdminCommand::Operator { handle } => {
            let id = core.grant_operator(&handle).await?;
            println!("{handle} (#{id}) is now an operator");
        }
        AdminCommand::Reports => {
            let reports = core.open_reports(&console).await?;
            if reports.is_empty() {
                println!("no open reports");
            }
            for r in reports {
                let excerpt: String = r.excerpt.chars().take(80).collect();
                println!(
                    "#{:<5} {}  {:<7} reported: {:<20} by: {:<20} {excerpt:?}",
                    r.id,
                    when(r.created_at.0),
                    r.reason,
                    r.reported_handle,
                    r.reporter_handle
                );
            }
        }
        AdminCommand::Spam(SpamCommand::List) => {
            let labels = core.spam_labels(&console).await?;
            if labels.is_empty() {
                println!("no examples: label some with `madang admin spam add TEXT` and `ok TEXT`");
            }
            for l in labels {
                let label = if l.spam { "spam" } else { "fine" };
                println!("#{:<5} {}  {label}  {:?}", l.id, when(l.added_at.0), l.text);
            }
        }
        AdminCommand::Spam(SpamCommand::Add { text }) => {
            let l = core
                .label_spam(&console, SpamLabelRequest { text, spam: true })
                .await?;
            println!("#{} labelled spam", l.id);
        }
        AdminCommand::Spam(SpamCommand::Ok { text }) => {
            let l = core
                .label_spam(&console, SpamLabelRequest { text, spam: false })
                .await?;
            println!("#{} labelled fine", l.id);
        }
        AdminCommand::Spam(SpamCommand::Remove { id }) => {
            core.remove_spam_label(&console, id).await?;
            println!("example #{id} removed");
        }
        AdminCommand::Resolve { id } => {
            core.resolve_report(&console, ReportId(id)).await?;
            println!("report #{id} resolved");
        }
        AdminCommand::Suspend { handle, days, reason } => {
            let user_id = core.user_id_by_handle(&handle).await?;
            let s = core
                .suspend(
                    &console,
                    SuspendRequest {
                        user_id,
                        days,
                        reason,
                    },
                )
                .await?;
            let until = s
                .until
                .map_or_else(|| "for good".to_owned(), |u| format!("until {}", when(u.0)));
            println!("{} is suspended from open chats {until}", s.handle);
        }
        AdminCommand::Unsuspend { handle } => {
            let user_id = core.user_id_by_handle(&handle).await?;
            core.lift_suspension(&console, user_id).await?;
            println!("{handle} may use open chats again");
        }
        AdminCommand::Suspensions => {
            for s in core.suspensions(&console).await? {
                let until = s.until.map_or_else(|| "for good".to_owned(), |u| when(u.0));
                println!("{:<20} until {until:<22} {}", s.handle, s.reason);
            }
        }
        AdminCommand::Ads(command) => ads(&core, command).await?,
        AdminCommand::Ledger => {
            let a = core.audit_ledger(&console).await?;
            println!("{} transactions, {} entries", a.transactions, a.entries);
            if !a.clean {
                store.close().await;
                anyhow::bail!(
                    "the ledger does not balance: transactions {:?}, accounts {:?}",
                    a.unbalanced,
                    a.mismatched
                );
            }
            println!("every transaction balances and every balance equals its entries");
        }
        AdminCommand::Audience {
            channel,
            people,
            prefix,
            no_marketing_every,
        } => {
            let id = core.channel_id_by_handle(&channel).await?;
            let bar = indicatif::ProgressBar::new(people).with_style(
                indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec}, {eta} left)")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("audience");
            let shown = bar.clone();
            let made = core
                .seed_audience(id, people, &prefix, no_marketing_every, &move |n| {
                    shown.set_position(n)
                })
                .await?;
            bar.finish();
            println!("{made} people added {channel}");
        }
        AdminCommand::Campaign { id } => {
            let (campaign, audit) = core.campaign_audit(madang_types::CampaignId(id)).await?;
            let exact = audit.delivered == audit.messages
                && audit.messages == audit.rooms
                && audit.rooms_with_duplicates == 0;
            println!(
                "{}",
                serde_json::json!({"campaign": campaign, "audit": audit, "exactly_once": exact})
            );
            if !exact {
                store.close().await;
                anyhow::bail!("campaign {id}: the record and the messages disagree: {audit:?}");
            }
        }
    }
    store.close().await;
    Ok(())
}

fn print_ad(a: &Ad) {
    println!(
        "#{:<4} {:<7} {:<20} {:<30} {:>8} shown {:>6} clicked  spent {:>10}  left {:>10} {}{}",
        a.id,
        a.format.as_str(),
        a.advertiser,
        a.title,
        a.impressions,
        a.clicks,
        a.spent,
        a.remaining,
        a.currency,
        if a.paused { "  (paused)" } else { "" }
    );
}

async fn ads(core: &madang_core::Core, command: AdsCommand) -> anyhow::Result<()> {
    let console = Authority::Console;
    match command {
        AdsCommand::List => {
            for a in core.ads(&console).await? {
                print_ad(&a);
            }
        }
        AdsCommand::Create {
            advertiser,
            title,
            body,
            link,
            format,
            categories,
            hashtags,
            price_impression,
            price_click,
            budget,
        } => {
            let format =
                AdFormat::parse(&format).ok_or_else(|| anyhow::anyhow!("format is banner or message"))?;
            let ad = core
                .create_ad(
                    &console,
                    CreateAdRequest {
                        advertiser,
                        format,
                        title,
                        body,
                        link,
                        categories,
                        hashtags,
                        price_impression,
                        price_click,
                        budget,
                        starts_at: None,
                        ends_at: None,
                    },
                )
                .await?;
            print_ad(&ad);
        }
        AdsCommand::Pause { id } => print_ad(&core.pause_ad(&console, AdId(id), true).await?),
        AdsCommand::Resume { id } => print_ad(&core.pause_ad(&console, AdId(id), false).await?),
    }
    Ok(())
}
