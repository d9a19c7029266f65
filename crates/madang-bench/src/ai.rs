//! `ai`: the default build's local generator (`madang models speed`: the
//! built-in pure-Rust runtime) against llama.cpp's Python bindings (PyPI
//! `llama-cpp-python`, the reference) on the same GGUF, the same rendered
//! prompt and the same thread count, and, given `--llama-cpp-bin`, a
//! `madang` built with the `llama-cpp` feature beside them; runs
//! interleaved, in one run: prompt processing and decode in tokens per
//! second, medians and their ratios. Then the time a started server
//! takes to summarise 200 messages, end to end over HTTP.
//!
//! Each run of either side is a process that loads the model and then
//! times one greedy answer the same way: prompt tokens over the time to
//! the first streamed token, and the tokens streamed after it over the
//! time from the first to the last.

use crate::client::Api;
use crate::server::{Server, ServerArgs};
use crate::stats::{table, write_json};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug, clap::Args)]
pub struct AiArgs {
    /// Where `madang models pull` put the default models (SmolLM2-135M-Instruct
    /// is the GGUF both sides run).
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Threads for both runtimes.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Runs of each runtime (interleaved); medians are reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Tokens of answer per run (greedy; fewer if the model stops).
    #[arg(long, default_value_t = 128)]
    pub tokens: u32,
    /// A Python with `llama-cpp-python` installed.
    #[arg(long, default_value = "python3")]
    pub python: String,
    #[arg(long, default_value = "bench/llama_cpp_reference.py")]
    pub reference_script: PathBuf,
    /// The GGUF the reference runs; by default the one ours ran (the
    /// same file). E.g. the Q4_1 file as shipped, to compare with what
    /// llama.cpp would run without our re-quantization.
    #[arg(long)]
    pub reference_gguf: Option<PathBuf>,
    /// A `madang` built with `--features llama-cpp`: its llama.cpp
    /// runtime is timed beside the others.
    #[arg(long)]
    pub llama_cpp_bin: Option<PathBuf>,
    /// Messages to seed and summarise on a started server (0: skip).
    #[arg(long, default_value_t = 200)]
    pub summarise: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// One timed completion.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub prompt_tokens: usize,
    pub first_token_secs: f64,
    pub tokens: usize,
    pub decode_secs: f64,
}

impl Run {
    fn prompt_rate(&self) -> f64 {
        self.prompt_tokens as f64 / self.first_token_secs.max(1e-9)
    }
    fn decode_rate(&self) -> f64 {
        self.tokens.saturating_sub(1) as f64 / self.decode_secs.max(1e-9)
    }
}

#[derive(Debug, Serialize)]
pub struct Side {
    pub runtime: String,
    pub prompt_tok_per_sec: Vec<f64>,
    pub decode_tok_per_sec: Vec<f64>,
    pub prompt_median: f64,
    pub decode_median: f64,
}

#[derive(Debug, Serialize)]
pub struct AiResult {
    pub gguf: String,
    pub threads: usize,
    pub prompt_tokens: usize,
    pub ours: Side,
    pub reference: Side,
    /// The `llama-cpp` feature build, when asked.
    pub feature_build: Option<Side>,
    pub prompt_ratio: f64,
    pub decode_ratio: f64,
    pub summary_messages: usize,
    pub summary_secs: Option<f64>,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn side(runtime: String, runs: &[Run]) -> Side {
    let prompt: Vec<f64> = runs.iter().map(Run::prompt_rate).collect();
    let decode: Vec<f64> = runs.iter().map(Run::decode_rate).collect();
    Side {
        runtime,
        prompt_median: median(&prompt),
        decode_median: median(&decode),
        prompt_tok_per_sec: prompt,
        decode_tok_per_sec: decode,
    }
}

/// A group chat's transcript (about 900 tokens with the instructions), the
/// kind of prompt a summary sends: (system, user).
fn prompt() -> (String, String) {
    let people = ["Minji", "Junho", "Sora", "Dan"];
    let topics = [
        "the hike up Bukhansan on Saturday, meeting at 8 am at the entrance",
        "who brings kimbap, water and the first-aid kit",
        "whether it will rain, and the backup plan of a museum visit",
        "the dinner afterwards near Gupabal station",
    ];
    let mut transcript = String::new();
    for i in 0..28 {
        let who = people[i % people.len()];
        let about = topics[(i / 7) % topics.len()];
        transcript.push_str(&format!(
            "{who}: About {about}: I think we should decide by Friday ({i}).\n"
        ));
    }
    (
        "You summarise group chats. Answer in the language the conversation is written in.".into(),
        format!(
            "Summarise the main points of this conversation in 3 to 5 short bullet points.\n\n{transcript}"
        ),
    )
}

/// What `madang models speed` prints.
#[derive(Deserialize)]
struct Ours {
    runtime: String,
    model: PathBuf,
    rendered: String,
    #[serde(flatten)]
    run: Run,
}

/// Runs `command` with `input` on stdin; its stdout.
async fn output_of(
    mut command: tokio::process::Command,
    input: &[u8],
    what: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(input).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!("{what} failed ({})", out.status);
    }
    Ok(out.stdout)
}

/// One run of ours: `bin models speed --runtime runtime` in a process of
/// its own.
async fn ours(
    args: &AiArgs,
    bin: &std::path::Path,
    runtime: &str,
    prompt: &(String, String),
) -> anyhow::Result<Ours> {
    let mut command = tokio::process::Command::new(bin);
    command
        .args(["models", "--models-dir"])
        .arg(&args.models_dir)
        .args([
            "speed",
            "--threads",
            &args.threads.to_string(),
            "--tokens",
            &args.tokens.to_string(),
            "--runtime",
            runtime,
        ]);
    let input = serde_json::to_vec(&json!({"system": prompt.0, "user": prompt.1}))?;
    let out = output_of(
        command,
        &input,
        "madang models speed (build it, and run madang models pull)",
    )
    .await?;
    serde_json::from_slice(&out).context("the output of madang models speed")
}

/// One run of the reference, in a process of its own (loading excluded
/// from the timing, as for ours).
async fn reference(args: &AiArgs, gguf: &std::path::Path, rendered: &str) -> anyhow::Result<(Run, String)> {
    let mut command = tokio::process::Command::new(&args.python);
    command
        .arg(&args.reference_script)
        .arg(gguf)
        .arg(args.threads.to_string())
        .arg(args.tokens.to_string())
        .arg("2048");
    let what = format!(
        "{} {} (it needs `pip install llama-cpp-python`; see bench/RESULTS.md)",
        args.python,
        args.reference_script.display()
    );
    let out = output_of(command, rendered.as_bytes(), &what).await?;
    #[derive(Deserialize)]
    struct Line {
        #[serde(flatten)]
        run: Run,
        version: String,
    }
    let line: Line = serde_json::from_slice(&out).context("the reference's output")?;
    Ok((line.run, line.version))
}

/// Seeds `n` messages in a group on a started server with the models and
/// times a summary of the last `n`, from request to `done`.
async fn summarise(args: &AiArgs, n: usize) -> anyhow::Result<f64> {
    let models = std::fs::canonicalize(&args.models_dir)?;
    let flags = vec!["--models-dir".into(), models.display().to_string()];
    let server = Server::start_with_flags(&args.server, flags).await?;
    let api = Api::new(&server.base);
    let people = api.accounts("ai", 2).await?;
    let room = api.group(&people[0], &people[1..], "weekend").await?;
    let (_, user) = prompt();
    let lines: Vec<&str> = user.lines().skip(2).collect();
    eprintln!("seeding {n} messages…");
    for i in 0..n {
        let text = lines[i % lines.len()].split_once(": ").map_or("", |(_, t)| t);
        let who = &people[i % 2];
        let body = json!({"client_id": format!("ai-{i}"), "text": text});
        api.call(
            Some(&who.token),
            reqwest::Method::POST,
            &format!("/rooms/{room}/messages"),
            body,
        )
        .await?;
    }
    eprintln!("summarising them…");
    let start = Instant::now();
    let reply = reqwest::Client::new()
        .post(format!("{}/api/v1/rooms/{room}/summary", server.base))
        .bearer_auth(&people[0].token)
        .json(&json!({"last": n}))
        .send()
        .await?;
    if !reply.status().is_success() {
        bail!("summary refused: {} {}", reply.status(), reply.text().await?);
    }
    let body = reply.text().await?;
    let secs = start.elapsed().as_secs_f64();
    if !body.contains("event: done") {
        bail!("the summary did not finish: {body}");
    }
    server.stop().await;
    Ok(secs)
}

pub async fn run(args: AiArgs) -> anyhow::Result<()> {
    let prompt = prompt();
    let mut gguf = PathBuf::new();
    let (mut mine, mut theirs, mut feature) = (Vec::new(), Vec::new(), Vec::new());
    let (mut runtime, mut version, mut prompt_tokens) = (String::new(), String::new(), 0);
    let mut feature_runtime = String::new();
    for r in 0..args.runs {
        if let Some(bin) = &args.llama_cpp_bin {
            let run = ours(&args, bin, "llama-cpp", &prompt).await?;
            feature_runtime = run.runtime;
            feature.push(run.run);
        }
        let run = ours(&args, std::path::Path::new(&args.server.bin), "builtin", &prompt).await?;
        gguf = run.model.clone();
        let reference_gguf = args.reference_gguf.clone().unwrap_or_else(|| gguf.clone());
        let (reference_run, v) = reference(&args, &reference_gguf, &run.rendered).await?;
        if reference_run.prompt_tokens != run.run.prompt_tokens {
            eprintln!(
                "note: the reference read {} prompt tokens, ours {}",
                reference_run.prompt_tokens, run.run.prompt_tokens
            );
        }
        (runtime, version, prompt_tokens) = (run.runtime, v, run.run.prompt_tokens);
        mine.push(run.run);
        theirs.push(reference_run);
        eprintln!("run {}/{} done", r + 1, args.runs);
    }
    let ours_side = side(format!("madang-ai ({runtime})"), &mine);
    let reference_file = args
        .reference_gguf
        .as_ref()
        .map_or(String::new(), |p| format!(" on {}", p.display()));
    let reference_side = side(format!("llama-cpp-python {version}{reference_file}"), &theirs);
    let feature_build = (!feature.is_empty()).then(|| {
        side(
            format!("madang --features llama-cpp ({feature_runtime})"),
            &feature,
        )
    });
    let summary_secs = match args.summarise {
        0 => None,
        n => Some(summarise(&args, n).await?),
    };
    let result = AiResult {
        gguf: gguf.display().to_string(),
        threads: args.threads,
        prompt_tokens,
        prompt_ratio: ours_side.prompt_median / reference_side.prompt_median.max(1e-9),
        decode_ratio: ours_side.decode_median / reference_side.decode_median.max(1e-9),
        ours: ours_side,
        reference: reference_side,
        feature_build,
        summary_messages: args.summarise,
        summary_secs,
    };
    let rates = |v: &[f64], median: f64| {
        let each: Vec<String> = v.iter().map(|x| format!("{x:.0}")).collect();
        format!("{} (median {median:.0})", each.join(" / "))
    };
    let (ours, reference) = (&result.ours, &result.reference);
    let mut rows = vec![
        ("prompt tokens", result.prompt_tokens.to_string()),
        (
            "ours prompt tok/s",
            rates(&ours.prompt_tok_per_sec, ours.prompt_median),
        ),
        (
            "ref. prompt tok/s",
            rates(&reference.prompt_tok_per_sec, reference.prompt_median),
        ),
        (
            "ours decode tok/s",
            rates(&ours.decode_tok_per_sec, ours.decode_median),
        ),
        (
            "ref. decode tok/s",
            rates(&reference.decode_tok_per_sec, reference.decode_median),
        ),
        (
            "prompt ratio",
            format!("{:.2}× (target ≥ 0.8)", result.prompt_ratio),
        ),
        (
            "decode ratio",
            format!("{:.2}× (target ≥ 0.8)", result.decode_ratio),
        ),
        (
            "summarise",
            match result.summary_secs {
                Some(s) => format!("{} messages in {s:.1} s", result.summary_messages),
                None => "skipped".into(),
            },
        ),
    ];
    if let Some(f) = &result.feature_build {
        rows.push((
            "llama-cpp build prompt",
            rates(&f.prompt_tok_per_sec, f.prompt_median),
        ));
        rows.push((
            "llama-cpp build decode",
            rates(&f.decode_tok_per_sec, f.decode_median),
        ));
    }
    table("ai: built-in generator vs llama.cpp (llama-cpp-python)", &rows);
    write_json(&args.json, &result)
}
