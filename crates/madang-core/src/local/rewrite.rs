//! Personalised campaign copy: a campaign may ask the server's model to
//! reword its message for each recipient's attributes. The model never
//! decides what the law or the business fixed:
//! - it sees the message with the campaign's values in place and `#{name}`
//!   kept as a placeholder, so one wording serves every person with the
//!   same attributes (identical attribute sets are generated once);
//! - every substituted value (price, date, code, link, the attributes'
//!   values) must appear verbatim in its output, `#{name}` too where the
//!   template had it, and no other `#{…}`;
//! - the output must fit the room the label, the channel's name and the
//!   opt-out line leave under `max_campaign_chars`;
//! - it must not write the "(광고)" label or the opt-out line: `compose`
//!   adds them after generation, always;
//!
//! otherwise that recipient gets the plain template ([`Fallback`]).
//!
//! The sender asks for the wordings a batch needs before the batch's
//! transaction ([`Core::write_copy`]), stores each with the campaign, and
//! the batch only looks them up.

use super::campaigns::{AD_LABEL, OPT_OUT_LINE};
use super::template::Template;
use crate::Core;
use crate::ai::complete_patiently;
use madang_ai::{ChatMessage, Prompt};
use madang_store::CampaignCopy;
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest one generation may take before its recipients get the
/// template.
const GENERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a recipient got the template though the campaign asked for a
/// rewrite, beyond the guardrails' [`Fallback`]s: no model now, the
/// campaign's cap on wordings reached, the wording not ready when the batch
/// ran (someone new joined between the look-ahead and the batch), the
/// model failed or timed out.
pub const MODEL_OFF: &str = "model_off";
pub const VARIANT_CAP: &str = "variant_cap";
pub const NOT_READY: &str = "not_ready";
pub const MODEL_ERROR: &str = "model_error";
const REASONS: [&str; 10] = [
    "dropped_value",
    "too_long",
    "forbidden_text",
    "echoed_prompt",
    "unchanged",
    "empty",
    MODEL_OFF,
    VARIANT_CAP,
    NOT_READY,
    MODEL_ERROR,
];

/// A stored reason as the counters' static name.
pub fn reason(stored: Option<&str>) -> &'static str {
    REASONS
        .into_iter()
        .find(|r| Some(*r) == stored)
        .unwrap_or(MODEL_ERROR)
}

/// The placeholder for the recipient's name, kept through generation.
pub const NAME: &str = "#{name}";

/// Why a rewrite was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// A substituted value is missing or altered.
    DroppedValue,
    /// Over the length the message may take.
    TooLong,
    /// It wrote the label or the opt-out line itself, or a placeholder.
    Forbidden,
    /// It repeated the instructions instead of writing a message.
    Echoed,
    /// It gave the message back as it was: no rewrite to count.
    Unchanged,
    Empty,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::DroppedValue => "dropped_value",
            Fallback::TooLong => "too_long",
            Fallback::Forbidden => "forbidden_text",
            Fallback::Echoed => "echoed_prompt",
            Fallback::Unchanged => "unchanged",
            Fallback::Empty => "empty",
        }
    }
}

/// The key of an attribute set: the values of the attributes the
/// campaign personalises on, in the campaign's order. Equal keys share
/// one generated wording.
pub fn variant_key(attributes: &[String], of: &BTreeMap<String, String>) -> String {
    // Length-prefixed, so no value can run into the next.
    attributes
        .iter()
        .map(|a| {
            let v = of.get(a).map_or("", String::as_str);
            format!("{}:{v}", v.len())
        })
        .collect()
}

/// What the model is asked: reword `body` (values in place, `#{name}`
/// kept) for a reader with `attributes`, keeping each of `keep` verbatim
/// and within `max_chars`.
pub fn prompt(body: &str, attributes: &[(String, String)], keep: &[String], max_chars: usize) -> Prompt {
    let reader: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let keep_list: Vec<String> = keep.iter().map(|k| format!("- {k}")).collect();
    let system = "You are a friendly copywriter for a small local shop. \
        Rewrite the shop's message in your own words for one customer, warmer and more personal, \
        in the message's language. Keep the offer. Copy every listed item exactly, character for character. \
        Add no labels, links or prices of your own. Answer with the new message only.";
    let [customer, items, limit, message] = SCAFFOLD;
    let user = format!(
        "{customer} {}\n{items}\n{}\n{limit} {max_chars} characters.\n\n{message}\n{body}",
        reader.join(", "),
        keep_list.join("\n"),
    );
    // About three tokens for every two characters of Korean, and no more
    // than the message needs: a rambling model stops early.
    let max_tokens = (max_chars as u32).saturating_mul(3) / 2 + 16;
    // Greedy decoding gives small models' likeliest answer: the message
    // back as it was. Some sampling lets them reword.
    Prompt {
        temperature: 0.7,
        ..Prompt::new(
            vec![ChatMessage::system(system), ChatMessage::user(user)],
            max_tokens,
        )
    }
}

/// The labels of the prompt's parts: an answer that repeats one is the
/// prompt echoed back, not a message.
const SCAFFOLD: [&str; 4] = ["The customer:", "Items to copy exactly:", "At most", "Message:"];

/// The longest rewrite of a body of `body_chars` within `budget`: about
/// twice the message, so a wording stays a message of the same kind.
pub fn cap(body_chars: usize, budget: usize) -> usize {
    budget.min(body_chars * 2 + 60)
}

/// One wording to ask the model for: the key it is stored under, the
/// message with every value in place (and `#{name}` kept), the reader's
/// attributes, and what must come through verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    pub key: String,
    pub body: String,
    pub reader: Vec<(String, String)>,
    pub keep: Vec<String>,
}

/// The ask for a person with `person`'s attributes, or `None` when the
/// template lacks a value for them (they are skipped anyway).
pub fn ask(
    template: &Template,
    channel: &str,
    variables: &BTreeMap<String, String>,
    attributes: &[String],
    person: &BTreeMap<String, String>,
) -> Option<Ask> {
    let value = |v: &str| -> Option<String> {
        match v {
            "name" => Some(NAME.to_owned()),
            "channel" => Some(channel.to_owned()),
            _ => variables
                .get(v)
                .or_else(|| person.get(v))
                .filter(|s| !s.is_empty())
                .cloned(),
        }
    };
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    let mut keep: Vec<String> = Vec::new();
    for v in template.variables() {
        let got = value(v)?;
        if !keep.contains(&got) {
            keep.push(got.clone());
        }
        values.insert(v, got);
    }
    let body = template.render(|v| values.get(v).map(String::as_str)).ok()?;
    let reader = attributes
        .iter()
        .filter_map(|a| Some((a.clone(), person.get(a)?.clone())))
        .collect();
    Some(Ask {
        key: variant_key(attributes, person),
        body,
        reader,
        keep,
    })
}

/// The model's output if it passes every guardrail: trimmed, containing
/// each of `keep`, no other placeholder than `#{name}`, no label or opt-out
/// line, not the prompt repeated nor `body` as it was, at most `max_chars`
/// characters.
pub fn check(output: &str, body: &str, keep: &[String], max_chars: usize) -> Result<String, Fallback> {
    let text = output.trim().trim_matches('"').trim();
    if text.is_empty() {
        return Err(Fallback::Empty);
    }
    if text.contains(AD_LABEL) || text.contains(OPT_OUT_LINE) {
        return Err(Fallback::Forbidden);
    }
    if SCAFFOLD.iter().any(|label| text.contains(label)) {
        return Err(Fallback::Echoed);
    }
    let placeholders = text.matches("#{").count();
    let names = text.matches(NAME).count();
    if placeholders != names {
        return Err(Fallback::Forbidden);
    }
    if keep.iter().any(|k| !text.contains(k.as_str())) {
        return Err(Fallback::DroppedValue);
    }
    if text.chars().count() > max_chars {
        return Err(Fallback::TooLong);
    }
    if text.split_whitespace().eq(body.split_whitespace()) {
        return Err(Fallback::Unchanged);
    }
    Ok(text.to_string())
}

impl Core {
    /// The model's wording for `ask` within `max_chars` (and [`cap`]),
    /// checked by the guardrails; or why there is none. Never fails: a failure is a
    /// fallback to the template.
    pub(crate) async fn write_copy(&self, ask: &Ask, max_chars: usize) -> CampaignCopy {
        let fell_back = |why: &'static str| {
            metrics::counter!("madang_ai_campaign_copies_total", "result" => why).increment(1);
            CampaignCopy {
                text: None,
                reason: Some(why.to_owned()),
            }
        };
        let on = self.models.features.campaign_copy;
        let Ok(generator) = self.models.generator_for("campaign_copy", on) else {
            return fell_back(MODEL_OFF);
        };
        let max_chars = cap(ask.body.chars().count(), max_chars);
        let prompt = prompt(&ask.body, &ask.reader, &ask.keep, max_chars);
        let out = tokio::time::timeout(GENERATION_TIMEOUT, complete_patiently(&**generator, prompt)).await;
        match out {
            Ok(Ok(out)) => match check(&out, &ask.body, &ask.keep, max_chars) {
                Ok(text) => {
                    metrics::counter!("madang_ai_campaign_copies_total", "result" => "rewritten")
                        .increment(1);
                    CampaignCopy {
                        text: Some(text),
                        reason: None,
                    }
                }
                Err(why) => fell_back(why.as_str()),
            },
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "campaign copy: the model failed; the template is sent");
                fell_back(MODEL_ERROR)
            }
            Err(_) => {
                tracing::warn!("campaign copy: the model took too long; the template is sent");
                fell_back(MODEL_ERROR)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "#{name}님, 12,900원 라떼를 2026-12-01까지! 코드 COFFEE10";

    fn keep() -> Vec<String> {
        ["12,900원", "2026-12-01", "COFFEE10", NAME]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_rewrite_that_keeps_every_value_passes() {
        let out = "#{name}님께만! 12,900원 라떼를 2026-12-01까지, 코드 COFFEE10 ";
        assert_eq!(check(out, BODY, &keep(), 100).as_deref(), Ok(out.trim()));
    }

    #[test]
    fn the_message_given_back_as_it_was_is_no_rewrite() {
        let same = format!("  {}\n", BODY.replace(' ', "  "));
        assert_eq!(check(&same, BODY, &keep(), 100), Err(Fallback::Unchanged));
    }

    #[test]
    fn a_dropped_or_altered_value_falls_back() {
        let dropped = "#{name}님, 라떼를 2026-12-01까지! 코드 COFFEE10";
        assert_eq!(check(dropped, BODY, &keep(), 100), Err(Fallback::DroppedValue));
        let altered = "#{name}님, 12900원 라떼를 2026-12-01까지! 코드 COFFEE10";
        assert_eq!(check(altered, BODY, &keep(), 100), Err(Fallback::DroppedValue));
    }

    #[test]
    fn over_the_cap_falls_back() {
        let long = format!("#{{name}}님, 12,900원 2026-12-01 COFFEE10 {}", "아".repeat(80));
        assert_eq!(check(&long, BODY, &keep(), 100), Err(Fallback::TooLong));
    }

    #[test]
    fn the_label_opt_out_and_stray_placeholders_are_the_cores_not_the_models() {
        let labelled = format!("{AD_LABEL} #{{name}}님 12,900원 2026-12-01 COFFEE10");
        assert_eq!(check(&labelled, BODY, &keep(), 100), Err(Fallback::Forbidden));
        let opt_out = format!("#{{name}}님 12,900원 2026-12-01 COFFEE10\n{OPT_OUT_LINE}");
        assert_eq!(check(&opt_out, BODY, &keep(), 200), Err(Fallback::Forbidden));
        let stray = "#{name}님 12,900원 2026-12-01 COFFEE10 #{price}";
        assert_eq!(check(stray, BODY, &keep(), 100), Err(Fallback::Forbidden));
        assert_eq!(check("  ", BODY, &keep(), 100), Err(Fallback::Empty));
    }

    #[test]
    fn the_prompt_echoed_back_is_not_a_message() {
        let p = prompt(
            "#{name}님께만 12,900원 라떼! 2026-12-01까지 코드 COFFEE10",
            &[("tier".into(), "gold".into())],
            &keep(),
            200,
        );
        let echoed = p.messages[1].content.clone();
        assert_eq!(check(&echoed, BODY, &keep(), 1_000), Err(Fallback::Echoed));
        let tail = echoed.split("Message:\n").nth(1).unwrap();
        assert_eq!(check(tail, BODY, &keep(), 1_000).as_deref(), Ok(tail));
    }

    #[test]
    fn a_rewrite_may_be_about_twice_the_message_within_the_budget() {
        assert_eq!(cap(40, 1_000), 140);
        assert_eq!(cap(600, 900), 900);
    }

    #[test]
    fn an_ask_keeps_every_substituted_value_and_the_name_placeholder() {
        let t = Template::parse("#{name}님, #{menu} #{price}원! #{coupon} · #{channel}").unwrap();
        let vars: BTreeMap<String, String> = [("menu", "라떼"), ("price", "4,500")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let attrs = vec!["coupon".to_string()];
        let person: BTreeMap<String, String> = [("coupon", "GOLD10"), ("city", "Seoul")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let a = ask(&t, "동네카페", &vars, &attrs, &person).unwrap();
        assert_eq!(a.body, "#{name}님, 라떼 4,500원! GOLD10 · 동네카페");
        assert_eq!(a.keep, ["#{name}", "라떼", "4,500", "GOLD10", "동네카페"]);
        assert_eq!(a.reader, [("coupon".to_string(), "GOLD10".to_string())]);
        assert_eq!(a.key, variant_key(&attrs, &person));
        // Without the attribute the template cannot be filled: no ask.
        assert_eq!(ask(&t, "동네카페", &vars, &attrs, &BTreeMap::new()), None);
    }

    #[test]
    fn a_stored_reason_maps_to_its_counter_and_unknown_ones_to_model_error() {
        assert_eq!(reason(Some("too_long")), "too_long");
        assert_eq!(reason(Some(VARIANT_CAP)), VARIANT_CAP);
        assert_eq!(reason(Some("something new")), MODEL_ERROR);
        assert_eq!(reason(None), MODEL_ERROR);
    }

    #[test]
    fn equal_attribute_sets_share_a_key() {
        let attrs = vec!["tier".to_string(), "drink".to_string()];
        let a: BTreeMap<String, String> = [("tier", "gold"), ("drink", "latte"), ("city", "Seoul")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let b: BTreeMap<String, String> = [("drink", "latte"), ("tier", "gold"), ("city", "Busan")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let c: BTreeMap<String, String> = [("tier", "gold")].map(|(k, v)| (k.into(), v.into())).into();
        assert_eq!(variant_key(&attrs, &a), variant_key(&attrs, &b));
        assert_ne!(variant_key(&attrs, &a), variant_key(&attrs, &c));
    }
}
