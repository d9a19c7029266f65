//! A vector index of unit-length sentence embeddings: nearest neighbours
//! by dot product (= cosine).
//!
//! Up to [`EXACT_UP_TO`] vectors it scans them all (exact, and fast at that
//! size). Beyond, scanning is memory-bound (100,000 × 384 floats is 154 MB
//! a query, ~15 ms), so the index is an inverted file: k-means puts every
//! vector in one of about √n cells, and a query scans only the [`PROBE`]
//! cells whose centres are closest to it (a few percent of the vectors).
//! Built once per discovery rebuild, deterministic, no parameters to tune
//! per server. The cost is recall: a near vector in a cell not probed is
//! missed (`bench/RESULTS.md`, "discovery", has the measured recall).

use std::collections::HashMap;

/// Below this many vectors every query scans them all.
pub const EXACT_UP_TO: usize = 4_096;
/// Cells a query scans.
pub const PROBE: usize = 24;
/// k-means rounds over the sample, and the sample's size per cell.
const ROUNDS: usize = 6;
const SAMPLE_PER_CELL: usize = 40;

/// Unit vectors by id.
#[derive(Clone, Debug, Default)]
pub struct VectorIndex {
    dims: usize,
    ids: Vec<i64>,
    /// `ids.len() × dims`, row by row.
    data: Vec<f32>,
    rows: HashMap<i64, usize>,
    /// The cells' centres, `cells.len() × dims` (none for an exact index).
    centres: Vec<f32>,
    /// Each cell's rows, `start..end`: the rows are stored cell by cell,
    /// so a probe reads one contiguous stretch.
    cells: Vec<(u32, u32)>,
}

impl VectorIndex {
    /// An index of `dims`-long vectors; any of `items` of another length
    /// is left out. Past [`EXACT_UP_TO`] vectors this clusters them (a few
    /// seconds at 100,000: build it off any request path).
    pub fn new(dims: usize, items: impl IntoIterator<Item = (i64, Vec<f32>)>) -> VectorIndex {
        let mut index = VectorIndex {
            dims,
            ..VectorIndex::default()
        };
        for (id, v) in items {
            if v.len() != dims || dims == 0 || index.rows.contains_key(&id) {
                continue;
            }
            index.rows.insert(id, index.ids.len());
            index.ids.push(id);
            index.data.extend_from_slice(&v);
        }
        if index.len() > EXACT_UP_TO {
            index.cluster();
        }
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn get(&self, id: i64) -> Option<&[f32]> {
        let row = *self.rows.get(&id)?;
        Some(self.row(row))
    }

    fn row(&self, row: usize) -> &[f32] {
        &self.data[row * self.dims..(row + 1) * self.dims]
    }

    /// The closest of `centres` (`dims` each) to `v`.
    fn closest(dims: usize, centres: &[f32], v: &[f32]) -> usize {
        let mut best = (0, f32::NEG_INFINITY);
        for (i, c) in centres.chunks_exact(dims).enumerate() {
            let d = dot(v, c);
            if d > best.1 {
                best = (i, d);
            }
        }
        best.0
    }

    /// Spherical k-means on an evenly spaced sample, then every vector into
    /// the cell of its closest centre.
    fn cluster(&mut self) {
        let (n, dims) = (self.len(), self.dims);
        let k = ((n as f64).sqrt() as usize).clamp(16, 1_024);
        let sample: Vec<usize> = {
            let want = (k * SAMPLE_PER_CELL).min(n);
            (0..want).map(|i| i * n / want).collect()
        };
        let mut centres: Vec<f32> = (0..k)
            .flat_map(|i| self.row(sample[i * sample.len() / k]).to_vec())
            .collect();
        for _ in 0..ROUNDS {
            let mut sums = vec![0f32; k * dims];
            let mut counts = vec![0usize; k];
            for &r in &sample {
                let c = Self::closest(dims, &centres, self.row(r));
                counts[c] += 1;
                sums[c * dims..(c + 1) * dims]
                    .iter_mut()
                    .zip(self.row(r))
                    .for_each(|(s, x)| *s += x);
            }
            for c in 0..k {
                let sum = &sums[c * dims..(c + 1) * dims];
                let norm = dot(sum, sum).sqrt();
                // An empty cell keeps its centre.
                if counts[c] > 0 && norm > 1e-6 {
                    for (dst, x) in centres[c * dims..(c + 1) * dims].iter_mut().zip(sum) {
                        *dst = x / norm;
                    }
                }
            }
        }
        let mut members = vec![Vec::new(); k];
        for r in 0..n {
            members[Self::closest(dims, &centres, self.row(r))].push(r);
        }
        // Store the rows cell by cell.
        let (mut ids, mut data) = (Vec::with_capacity(n), Vec::with_capacity(n * dims));
        let mut cells = Vec::with_capacity(k);
        for rows in &members {
            let start = ids.len() as u32;
            for &r in rows {
                ids.push(self.ids[r]);
                data.extend_from_slice(self.row(r));
            }
            cells.push((start, ids.len() as u32));
        }
        self.rows = ids.iter().enumerate().map(|(r, id)| (*id, r)).collect();
        self.ids = ids;
        self.data = data;
        self.centres = centres;
        self.cells = cells;
    }

    /// The rows of the [`PROBE`] cells whose centres are closest to `query`.
    fn probed(&self, query: &[f32]) -> Vec<u32> {
        let mut order: Vec<(usize, f32)> = self
            .centres
            .chunks_exact(self.dims)
            .map(|c| dot(query, c))
            .enumerate()
            .collect();
        let probe = PROBE.min(order.len());
        order.select_nth_unstable_by(probe - 1, |a, b| b.1.total_cmp(&a.1));
        order[..probe]
            .iter()
            .flat_map(|(c, _)| {
                let (start, end) = self.cells[*c];
                start..end
            })
            .collect()
    }

    /// The `k` ids closest to `query` (highest cosine first, ties by id)
    /// that `keep` accepts: exact up to [`EXACT_UP_TO`] vectors, from the
    /// closest cells beyond.
    pub fn nearest(&self, query: &[f32], k: usize, keep: impl Fn(i64) -> bool) -> Vec<(i64, f32)> {
        if self.cells.is_empty() {
            return self.best(query, k, 0..self.len() as u32, keep);
        }
        if query.len() != self.dims {
            return Vec::new();
        }
        let rows = self.probed(query);
        self.best(query, k, rows.into_iter(), keep)
    }

    /// Every id closest to `query`, by scanning all (what [`Self::nearest`]
    /// approximates past [`EXACT_UP_TO`]; for measuring its recall).
    pub fn nearest_exact(&self, query: &[f32], k: usize) -> Vec<(i64, f32)> {
        self.best(query, k, 0..self.len() as u32, |_| true)
    }

    /// The `k` best of `rows` for `query`.
    fn best(
        &self,
        query: &[f32],
        k: usize,
        rows: impl Iterator<Item = u32>,
        keep: impl Fn(i64) -> bool,
    ) -> Vec<(i64, f32)> {
        if query.len() != self.dims || k == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> = rows
            .map(|r| (self.ids[r as usize], r as usize))
            .filter(|(id, _)| keep(*id))
            .map(|(id, r)| (id, dot(query, self.row(r))))
            .collect();
        let by_score = |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, by_score);
            scored.truncate(k);
        }
        scored.sort_by(by_score);
        scored
    }
}

/// The dot product, summed in eight lanes so the compiler keeps it in
/// SIMD registers (a plain running sum is one long dependency chain).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a8, a_tail) = a[..n].as_chunks::<8>();
    let (b8, b_tail) = b[..n].as_chunks::<8>();
    let mut lanes = [0f32; 8];
    for (x, y) in a8.iter().zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// The normalised mean of `vectors` of length `dims` (others are left
/// out): where a set of sentences points together. `None` for none or a
/// zero mean.
pub fn mean_direction<'a>(dims: usize, vectors: impl IntoIterator<Item = &'a [f32]>) -> Option<Vec<f32>> {
    let mut sum = vec![0f32; dims];
    let mut n = 0;
    for v in vectors.into_iter().filter(|v| v.len() == dims) {
        sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
        n += 1;
    }
    let norm = dot(&sum, &sum).sqrt();
    if n == 0 || norm < 1e-6 {
        return None;
    }
    Some(sum.into_iter().map(|x| x / norm).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn nearest_is_exact_ordered_and_filtered() {
        let index = VectorIndex::new(
            2,
            [
                (1, unit(&[1.0, 0.0])),
                (2, unit(&[0.9, 0.1])),
                (3, unit(&[0.0, 1.0])),
                (4, unit(&[-1.0, 0.0])),
                (5, vec![1.0, 0.0, 0.0]), // wrong length: left out
            ],
        );
        assert_eq!(index.len(), 4);
        let got: Vec<i64> = index
            .nearest(&[1.0, 0.0], 3, |_| true)
            .iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(got, [1, 2, 3]);
        let got: Vec<i64> = index
            .nearest(&[1.0, 0.0], 2, |id| id != 1)
            .iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(got, [2, 3]);
        assert!(index.nearest(&[1.0], 2, |_| true).is_empty());
        // Brute force agrees on a bigger random set.
        let mut x: u64 = 9;
        let mut rnd = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let items: Vec<(i64, Vec<f32>)> = (0..500)
            .map(|i| (i, unit(&[rnd(), rnd(), rnd(), rnd()])))
            .collect();
        let index = VectorIndex::new(4, items.clone());
        let q = unit(&[0.3, -0.2, 0.5, 0.1]);
        let mut all: Vec<(i64, f32)> = items.iter().map(|(i, v)| (*i, dot(&q, v))).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(10);
        assert_eq!(index.nearest(&q, 10, |_| true), all);
    }

    #[test]
    fn the_mean_direction_is_unit_length_and_between() {
        let m = mean_direction(2, [&[1.0f32, 0.0][..], &[0.0, 1.0][..]]).unwrap();
        assert!((m[0] - m[1]).abs() < 1e-6 && (dot(&m, &m) - 1.0).abs() < 1e-5);
        assert_eq!(mean_direction(2, [&[1.0f32, 0.0][..], &[-1.0, 0.0][..]]), None);
        assert_eq!(mean_direction(2, std::iter::empty()), None);
    }

    #[test]
    fn the_laned_dot_product_is_the_dot_product() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.25).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }

    #[test]
    fn past_the_exact_size_the_cells_find_nearly_all_true_neighbours() {
        // 10,000 vectors around 100 topics, 32 dimensions.
        let mut x: u64 = 5;
        let mut rnd = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let dims = 32;
        let topics: Vec<Vec<f32>> = (0..200)
            .map(|_| unit(&(0..dims).map(|_| rnd()).collect::<Vec<_>>()))
            .collect();
        let items: Vec<(i64, Vec<f32>)> = (0..10_000)
            .map(|i| {
                let t = &topics[i % 100];
                let v: Vec<f32> = t.iter().map(|c| c + 0.5 * rnd()).collect();
                (i as i64, unit(&v))
            })
            .collect();
        let index = VectorIndex::new(dims, items);
        assert!(!index.cells.is_empty());
        let (mut found, mut wanted) = (0, 0);
        for q in 0..50 {
            let query = unit(&topics[q * 2].iter().map(|c| c + 0.3 * rnd()).collect::<Vec<_>>());
            let truth: Vec<i64> = index.nearest_exact(&query, 20).iter().map(|x| x.0).collect();
            let got: Vec<i64> = index.nearest(&query, 20, |_| true).iter().map(|x| x.0).collect();
            found += truth.iter().filter(|t| got.contains(t)).count();
            wanted += truth.len();
        }
        let recall = found as f64 / wanted as f64;
        assert!(recall > 0.9, "recall@20 {recall}");
    }
}
