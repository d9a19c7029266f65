//! `dicebot`: runs the example bot against a Madang server.
//!
//! ```text
//! MADANG_URL=http://127.0.0.1:8080 MADANG_BOT_TOKEN=… cargo run -p dicebot
//! ```
//!
//! Make the bot (and its token) in the web app's More → Bots, or with
//! `POST /api/v1/bots`; then add it to a group and type `/roll`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("MADANG_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let Ok(token) = std::env::var("MADANG_BOT_TOKEN") else {
        anyhow::bail!("set MADANG_BOT_TOKEN to the bot's token (More → Bots in the app)");
    };
    let bot = dicebot::Bot::connect(&base, &token).await?;
    eprintln!("dicebot: signed in as {} (id {}) at {base}", bot.name, bot.id);
    bot.run().await
}
