//! `madang admin`: the operators' console on the server itself. It opens
//! the database the server uses and acts with the console's authority:
//! make an account an operator, read and resolve reports, suspend and
//! reinstate accounts in open chats.

use crate::config::Config;
use crate::node::open_core;
use clap::Subcommand;
use madang_bus::LocalBus;
use madang_core::SystemClock;
use madang_core::safety::Authority;
use madang_types::ReportId;
use madang_types::openchat::SuspendRequest;
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
    }
    store.close().await;
    Ok(())
}
