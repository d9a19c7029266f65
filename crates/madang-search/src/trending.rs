//! "Trending today": engagement (messages and joins) of the last day, each
//! counted less the older it is (exponential decay), and the hashtags that
//! trend with them.

use std::collections::HashMap;

/// Half-life of engagement, in milliseconds: six hours.
pub const HALF_LIFE_MS: f64 = 6.0 * 3_600_000.0;
/// How far back engagement counts.
pub const WINDOW_MS: i64 = 24 * 3_600_000;

/// The decayed weight of an engagement at `at`, seen at `now`.
pub fn weight(at: i64, now: i64) -> f64 {
    let age = (now - at).max(0) as f64;
    if age > WINDOW_MS as f64 {
        0.0
    } else {
        0.5f64.powf(age / HALF_LIFE_MS)
    }
}

/// Per room, the sum of decayed engagement, normalised to 0–1 by the most
/// engaged room.
pub fn scores(engagement: &[(i64, i64)], now: i64) -> HashMap<i64, f32> {
    let mut raw: HashMap<i64, f64> = HashMap::new();
    for &(room, at) in engagement {
        *raw.entry(room).or_default() += weight(at, now);
    }
    let top = raw.values().copied().fold(0.0, f64::max);
    raw.into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(room, v)| (room, (v / top.max(f64::MIN_POSITIVE)) as f32))
        .collect()
}

/// The hashtags of trending rooms, weighted by how much each trends.
pub fn keywords(scores: &HashMap<i64, f32>, tags: &HashMap<i64, Vec<String>>, limit: usize) -> Vec<String> {
    let mut weight: HashMap<String, (f32, String)> = HashMap::new();
    for (room, s) in scores {
        for t in tags.get(room).into_iter().flatten() {
            let e = weight.entry(t.to_lowercase()).or_insert((0.0, t.clone()));
            e.0 += s;
        }
    }
    let mut list: Vec<(f32, String)> = weight.into_values().collect();
    list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    list.into_iter().take(limit).map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_engagement_weighs_more_and_a_day_old_none() {
        let now = 100 * 3_600_000;
        assert!((weight(now, now) - 1.0).abs() < 1e-9);
        assert!((weight(now - 6 * 3_600_000, now) - 0.5).abs() < 1e-9);
        assert_eq!(weight(now - 25 * 3_600_000, now), 0.0);
        let s = scores(
            &[
                (1, now),
                (1, now),
                (2, now - 12 * 3_600_000),
                (3, now - 48 * 3_600_000),
            ],
            now,
        );
        assert_eq!(s[&1], 1.0);
        assert!((s[&2] - 0.125).abs() < 1e-6);
        assert!(!s.contains_key(&3));
        let tags = HashMap::from([(1, vec!["등산".into()]), (2, vec!["맛집".into(), "등산".into()])]);
        assert_eq!(keywords(&s, &tags, 5), ["등산", "맛집"]);
    }
}
