//! Offline evaluations. `madang eval embedders` ([`embedders`]) measures
//! the sentence embedders on Madang's own Korean and English set; `madang
//! eval assistant` ([`assistant`]) how the channel's assistant finds the
//! fact a question means, on its own set.
//!
//! `madang eval recommendations`: the offline evaluation of open chat
//! recommendations on the demo world (seeded first if the database has no
//! open chats): one room hidden per person, recall@10 and NDCG@10 of the
//! recommender, of the recommender with the topic signal (embeddings of
//! rooms and interests, where an embedder runs) and of a popularity-only
//! baseline, side by side.

mod assistant;
mod embedders;

pub use assistant::assistant;
pub use embedders::embedders;

use crate::config::Config;
use crate::node::open_core;
use madang_bus::LocalBus;
use madang_core::SystemClock;
use std::sync::Arc;

/// The configured database with open chats in it: the demo world is
/// seeded first into one that has none.
async fn world(config: &Config) -> anyhow::Result<(Arc<madang_core::Core>, madang_store::SqlStore)> {
    let (core, store) = open_core(config, Arc::new(SystemClock), Arc::new(LocalBus::new())).await?;
    if core.refresh_discovery().await?.open_chats == 0 {
        println!(
            "no open chats in {}: seeding the demo world first",
            config.database_url()
        );
        crate::demo::seed(&core).await?;
    }
    Ok((core, store))
}

pub async fn recommendations(config: &Config, seed: u64) -> anyhow::Result<()> {
    let (core, store) = world(config).await?;
    let e = core.evaluate_recommendations(seed).await?;
    println!();
    println!(
        "Open chat recommendations, offline (one room hidden per person; {} people):",
        e.users
    );
    println!();
    println!("  {:<24} {:>10} {:>10}", "", "recall@10", "NDCG@10");
    println!(
        "  {:<24} {:>10.3} {:>10.3}",
        "recommender", e.recall_at_10, e.ndcg_at_10
    );
    if let (Some(r), Some(n)) = (e.topic_recall_at_10, e.topic_ndcg_at_10) {
        println!("  {:<24} {:>10.3} {:>10.3}", "recommender + topics", r, n);
    }
    println!(
        "  {:<24} {:>10.3} {:>10.3}",
        "popularity (baseline)", e.baseline_recall_at_10, e.baseline_ndcg_at_10
    );
    println!();
    if e.topic_recall_at_10.is_none() {
        println!("  (no embedder here: `madang models pull` adds the topic signal)");
    }
    let beats = e.recall_at_10 > e.baseline_recall_at_10 && e.ndcg_at_10 > e.baseline_ndcg_at_10;
    println!(
        "  the recommender {} the baseline",
        if beats { "beats" } else { "does NOT beat" }
    );
    store.close().await;
    if !beats {
        anyhow::bail!("recommendations are no better than popularity");
    }
    Ok(())
}
