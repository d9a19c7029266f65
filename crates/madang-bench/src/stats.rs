//! Latency percentiles, the printed table and the JSON record.

use serde::Serialize;
use std::time::Duration;

/// Latencies in microseconds.
#[derive(Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn record(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u32::MAX as u128) as u32);
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// p-th percentile in milliseconds (nearest rank), 0 when empty.
    pub fn percentile(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * self.0.len() as f64).ceil().max(1.0) as usize - 1;
        f64::from(self.0[rank.min(self.0.len() - 1)]) / 1000.0
    }

    pub fn summary(&mut self) -> LatencySummary {
        LatencySummary {
            p50_ms: self.percentile(50.0),
            p99_ms: self.percentile(99.0),
            p999_ms: self.percentile(99.9),
            samples: self.len(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub samples: usize,
}

/// Prints rows of (name, value) as a two-column table.
pub fn table(title: &str, rows: &[(&str, String)]) {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("\n{title}");
    println!("{}", "-".repeat(title.len().max(20)));
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}

/// Writes the result as JSON next to the printed table.
pub fn write_json<T: Serialize>(path: &Option<std::path::PathBuf>, value: &T) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_vec_pretty(value)?)?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut l = Latencies::default();
        for ms in 1..=100u64 {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile(50.0), 50.0);
        assert_eq!(l.percentile(99.0), 99.0);
        assert_eq!(l.percentile(99.9), 100.0);
        assert_eq!(Latencies::default().percentile(50.0), 0.0);
    }
}
