//! The arithmetic of the local generator: 8-bit weight rows against 8-bit
//! activations (one token at a time, the decode step) and plain f32
//! matrix products through `gemm` (many tokens at once, the prompt). The
//! 8-bit dot product has an AVX2 path, chosen at compile time: the
//! workspace builds for x86-64-v3 (`.cargo/config.toml`); other targets
//! take the portable loop, which gives the same sums.

use rayon::prelude::*;

/// Values per 8-bit block.
pub const QK: usize = 32;

/// 32 weights (or activations) as signed bytes and one scale: the value
/// of `qs[i]` is `d * qs[i]` (GGML's Q8_0, with the scale widened to f32).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(4))]
pub struct BlockQ8 {
    pub d: f32,
    pub qs: [i8; QK],
}

impl BlockQ8 {
    pub const ZERO: BlockQ8 = BlockQ8 { d: 0.0, qs: [0; QK] };
}

/// Quantizes `x` (a multiple of [`QK`] long) into `out`, one block per 32
/// values, each scaled by its largest magnitude.
pub fn quantize_row(x: &[f32], out: &mut [BlockQ8]) {
    for (chunk, block) in x.chunks_exact(QK).zip(out.iter_mut()) {
        let amax = chunk.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
        block.d = d;
        for (q, v) in block.qs.iter_mut().zip(chunk) {
            *q = (v * inv).round() as i8;
        }
    }
}

/// The values of `blocks`, written into `out`.
pub fn dequantize_row(blocks: &[BlockQ8], out: &mut [f32]) {
    for (block, chunk) in blocks.iter().zip(out.chunks_exact_mut(QK)) {
        for (o, q) in chunk.iter_mut().zip(block.qs) {
            *o = block.d * f32::from(q);
        }
    }
}

/// Dot product of two rows of blocks of the same length.
#[inline]
pub fn dot_q8(w: &[BlockQ8], x: &[BlockQ8]) -> f32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
    {
        // Safety: the CPU has AVX2 and FMA (the build requires them).
        unsafe { avx2::dot_q8(w, x) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
    {
        dot_q8_portable(w, x)
    }
}

/// The same sum without SIMD: the reference the tests hold the fast path to.
pub fn dot_q8_portable(w: &[BlockQ8], x: &[BlockQ8]) -> f32 {
    w.iter()
        .zip(x)
        .map(|(a, b)| {
            let sum: i32 =
                a.qs.iter()
                    .zip(b.qs)
                    .map(|(p, q)| i32::from(*p) * i32::from(q))
                    .sum();
            a.d * b.d * sum as f32
        })
        .sum()
}

#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
mod avx2 {
    use super::BlockQ8;
    use std::arch::x86_64::*;

    /// Per block: |w| as unsigned bytes times x with w's sign
    /// (`maddubs`), pairs summed to i32 (`madd`), scaled and accumulated
    /// in f32.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_q8(w: &[BlockQ8], x: &[BlockQ8]) -> f32 {
        let ones = _mm256_set1_epi16(1);
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let n = w.len().min(x.len());
        let mut i = 0;
        while i + 1 < n {
            acc0 = block(&w[i], &x[i], ones, acc0);
            acc1 = block(&w[i + 1], &x[i + 1], ones, acc1);
            i += 2;
        }
        if i < n {
            acc0 = block(&w[i], &x[i], ones, acc0);
        }
        hsum(_mm256_add_ps(acc0, acc1))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn block(w: &BlockQ8, x: &BlockQ8, ones: __m256i, acc: __m256) -> __m256 {
        // Safety: each block holds 32 bytes of quants, read unaligned.
        let (wq, xq) = unsafe {
            (
                _mm256_loadu_si256(w.qs.as_ptr().cast()),
                _mm256_loadu_si256(x.qs.as_ptr().cast()),
            )
        };
        let products = _mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(products, ones));
        _mm256_fmadd_ps(_mm256_set1_ps(w.d * x.d), sums, acc)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps(v, 1);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }
}

/// A matrix of 8-bit rows: `rows` outputs, each `cols` inputs long.
pub struct QMatrix {
    pub rows: usize,
    pub cols: usize,
    blocks: Vec<BlockQ8>,
}

/// Output rows handed to one task of a matrix-vector product: enough work
/// to outweigh handing it out (about 64 kB of weights).
const ROWS_PER_TASK: usize = 64;

impl QMatrix {
    /// `values` is `rows × cols`, row-major; `cols` must be a multiple of 32.
    pub fn quantize(values: &[f32], rows: usize, cols: usize) -> QMatrix {
        let per_row = cols / QK;
        let mut blocks = vec![BlockQ8::ZERO; rows * per_row];
        blocks
            .par_chunks_mut(per_row.max(1))
            .zip(values.par_chunks(cols.max(1)))
            .for_each(|(out, row)| quantize_row(row, out));
        QMatrix { rows, cols, blocks }
    }

    /// From blocks already quantized (a Q8_0 tensor as stored).
    pub fn from_blocks(blocks: Vec<BlockQ8>, rows: usize, cols: usize) -> QMatrix {
        QMatrix { rows, cols, blocks }
    }

    pub fn row(&self, r: usize) -> &[BlockQ8] {
        let per_row = self.cols / QK;
        &self.blocks[r * per_row..(r + 1) * per_row]
    }

    /// Bytes it holds.
    pub fn bytes(&self) -> usize {
        self.blocks.len() * std::mem::size_of::<BlockQ8>()
    }

    /// `out[r] = row r · x` for a quantized input of `cols` values.
    pub fn matvec(&self, x: &[BlockQ8], out: &mut [f32]) {
        out[..self.rows]
            .par_chunks_mut(ROWS_PER_TASK)
            .enumerate()
            .for_each(|(task, chunk)| self.rows_dot(task * ROWS_PER_TASK, x, chunk));
    }

    /// `out[i] = row (first + i) · x`.
    #[inline(never)]
    fn rows_dot(&self, first: usize, x: &[BlockQ8], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = dot_q8(self.row(first + i), x);
        }
    }

    /// Rows `first..first + out.len() / cols` as f32, row-major, into `out`.
    pub fn dequantize_rows(&self, first: usize, out: &mut [f32]) {
        out.par_chunks_mut(self.cols)
            .enumerate()
            .for_each(|(i, chunk)| dequantize_row(self.row(first + i), chunk));
    }
}

/// A matrix operand of [`product`]: its values and the steps between
/// consecutive elements along the inner (`k`) and outer dimension.
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub values: &'a [f32],
    /// Step from one `k` to the next.
    pub k_step: usize,
    /// Step from one row (of `a`) or column (of `b`) to the next.
    pub step: usize,
}

impl<'a> Operand<'a> {
    /// Rows of `k` values, `row_stride` apart (for `a`, or for `b` given
    /// transposed: `b`'s columns as rows).
    pub fn rows(values: &'a [f32], row_stride: usize) -> Operand<'a> {
        Operand {
            values,
            k_step: 1,
            step: row_stride,
        }
    }

    /// A `k × n` matrix whose rows are `row_stride` apart (for `b`).
    pub fn columns(values: &'a [f32], row_stride: usize) -> Operand<'a> {
        Operand {
            values,
            k_step: row_stride,
            step: 1,
        }
    }

    fn fits(&self, outer: usize, k: usize) -> bool {
        self.values.len() > (outer - 1) * self.step + (k - 1) * self.k_step
    }
}

/// `c = a · b`, `a` being `m × k` and `b` `k × n` (each as an
/// [`Operand`]); `c` is `m × n` with rows `c_rs` apart. Overwrites `c`.
pub fn product(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: &mut [f32],
    c_rs: usize,
    threads: usize,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(a.fits(m, k) && b.fits(n, k) && c.len() >= (m - 1) * c_rs + n);
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // Safety: the assert keeps every index gemm touches inside the
    // slices: c[i·c_rs + j], a[i·a.step + l·a.k_step], b[j·b.step +
    // l·b.k_step] for i < m, j < n, l < k.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            c_rs as isize,
            false,
            a.values.as_ptr(),
            a.k_step as isize,
            a.step as isize,
            b.values.as_ptr(),
            b.step as isize,
            b.k_step as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `Σ a[i] · b[i]` in eight independent lanes (so it vectorises).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            lanes[l] = x[l].mul_add(y[l], lanes[l]);
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// `y += a · x`.
#[inline]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o = v.mul_add(a, *o);
    }
}

/// `x ← x / rms(x) · w`.
pub fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let mean = dot(x, x) / x.len() as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    for ((o, v), g) in out.iter_mut().zip(x).zip(w) {
        *o = v * scale * g;
    }
}

/// Softmax in place.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    x.iter_mut().for_each(|v| *v *= inv);
}

/// SiLU(gate) · up, into `gate`.
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    for (g, u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn quantized_dot_matches_the_portable_sum_and_the_float_one() {
        for n in [32, 64, 96, 576, 1536] {
            let (a, b) = (values(n, 1), values(n, 2));
            let mut qa = vec![BlockQ8::ZERO; n / QK];
            let mut qb = vec![BlockQ8::ZERO; n / QK];
            quantize_row(&a, &mut qa);
            quantize_row(&b, &mut qb);
            let fast = dot_q8(&qa, &qb);
            let portable = dot_q8_portable(&qa, &qb);
            let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (fast - portable).abs() <= 1e-3 * portable.abs().max(1.0),
                "{n}: {fast} vs {portable}"
            );
            assert!(
                (fast - exact).abs() < 0.02 * (n as f32).sqrt(),
                "{n}: {fast} vs {exact}"
            );
        }
    }

    #[test]
    fn the_most_negative_byte_is_multiplied_right() {
        // maddubs takes |w| as unsigned: -127 and 127 must both work.
        let mut w = BlockQ8::ZERO;
        let mut x = BlockQ8::ZERO;
        (w.d, x.d) = (1.0, 1.0);
        w.qs = [-127; QK];
        x.qs = [127; QK];
        assert_eq!(dot_q8(&[w], &[x]), -127.0 * 127.0 * 32.0);
    }

    #[test]
    fn matrix_products_agree_with_loops() {
        let (m, n, k) = (5, 7, 64);
        let a = values(m * k, 3);
        let b = values(n * k, 4);
        let mut c = vec![0.0; m * n];
        product(m, n, k, Operand::rows(&a, k), Operand::rows(&b, k), &mut c, n, 2);
        for i in 0..m {
            for j in 0..n {
                let want = dot(&a[i * k..(i + 1) * k], &b[j * k..(j + 1) * k]);
                assert!((c[i * n + j] - want).abs() < 1e-4, "{i},{j}");
            }
        }
        // b as k × n.
        let bt: Vec<f32> = (0..k * n).map(|x| b[(x % n) * k + x / n]).collect();
        let mut c2 = vec![0.0; m * n];
        product(
            m,
            n,
            k,
            Operand::rows(&a, k),
            Operand::columns(&bt, n),
            &mut c2,
            n,
            1,
        );
        for (x, y) in c.iter().zip(&c2) {
            assert!((x - y).abs() < 1e-4);
        }
        let q = QMatrix::quantize(&b, n, k);
        let mut qx = vec![BlockQ8::ZERO; k / QK];
        quantize_row(&a[..k], &mut qx);
        let mut out = vec![0.0; n];
        q.matvec(&qx, &mut out);
        for j in 0..n {
            assert!((out[j] - c[j]).abs() < 0.05, "{j}: {} vs {}", out[j], c[j]);
        }
    }
}
