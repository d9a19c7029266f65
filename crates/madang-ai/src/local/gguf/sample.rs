//! Picking the next token from the scores: the likeliest at temperature
//! 0 (the same answer every run), else a draw from the 40 likeliest that
//! make up 95% of the probability, sharpened or flattened by the
//! temperature.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

const TOP_K: usize = 40;
const TOP_P: f32 = 0.95;

pub struct Sampler {
    temperature: f32,
    rng: SmallRng,
}

impl Sampler {
    pub fn new(temperature: f32) -> Sampler {
        Sampler {
            temperature,
            rng: SmallRng::from_os_rng(),
        }
    }

    pub fn pick(&mut self, logits: &[f32]) -> u32 {
        if self.temperature <= 0.0 {
            return argmax(logits);
        }
        let mut top: Vec<(u32, f32)> = logits.iter().enumerate().map(|(i, l)| (i as u32, *l)).collect();
        let k = TOP_K.min(top.len());
        if k == 0 {
            return 0;
        }
        top.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        top.truncate(k);
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let max = top[0].1;
        let mut weights: Vec<f32> = top
            .iter()
            .map(|(_, l)| ((l - max) / self.temperature).exp())
            .collect();
        let total: f32 = weights.iter().sum();
        // Keep the likeliest until they hold TOP_P of the probability.
        let mut kept = 0.0;
        let mut keep = weights.len();
        for (i, w) in weights.iter().enumerate() {
            kept += w / total;
            if kept >= TOP_P {
                keep = i + 1;
                break;
            }
        }
        weights.truncate(keep);
        let total: f32 = weights.iter().sum();
        let mut draw = self.rng.random::<f32>() * total;
        for (i, w) in weights.iter().enumerate() {
            if draw < *w {
                return top[i].0;
            }
            draw -= w;
        }
        top[keep - 1].0
    }
}

fn argmax(logits: &[f32]) -> u32 {
    logits
        .iter()
        .enumerate()
        .fold((0usize, f32::NEG_INFINITY), |best, (i, l)| {
            if *l > best.1 { (i, *l) } else { best }
        })
        .0 as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_zero_takes_the_likeliest() {
        let mut s = Sampler::new(0.0);
        assert_eq!(s.pick(&[0.1, 3.0, -1.0, 2.9]), 1);
    }

    #[test]
    fn a_draw_stays_within_the_likely_tokens() {
        let mut s = Sampler::new(0.8);
        let mut logits = vec![-20.0; 100];
        logits[7] = 5.0;
        logits[9] = 4.5;
        for _ in 0..200 {
            let t = s.pick(&logits);
            assert!(t == 7 || t == 9, "{t}");
        }
    }
}
