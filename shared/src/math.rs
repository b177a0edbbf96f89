//! Transcendental functions from the pure-Rust `libm`, so that a model trained natively and one
//! trained in the browser are bit for bit the same (the platform's own `exp` and `ln` may round
//! differently in the last place; `libm` computes the same bits everywhere).
//!
//! The logistic loss's hot `e^−|z|` and `ln(1 + e)` are our own table-plus-polynomial routines
//! (`exp_neg`, `ln_1p_unit`) in plain arithmetic: within a few units in the last place of `libm`,
//! and the same bits everywhere. [`thousands`] groups digits for messages.

/// `e^x`.
pub(crate) fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// `2^(j/64)` for `j` in `0..64`, from `libm` (the same bits everywhere).
fn exp2_table() -> &'static [f64; 64] {
    static TABLE: std::sync::OnceLock<[f64; 64]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|j| libm::exp2(j as f64 / 64.0)))
}

/// `e^x` for `x ≤ 0`, faster than [`exp`] and within a few units in the last place: `x = k·ln2/64 + r`
/// with `|r| ≤ ln2/128`, `e^x = 2^(k/64) · e^r`, a table for `2^(j/64)` and a degree-5 polynomial for
/// `e^r` (error below 4e-17). Plain arithmetic, so the same bits on every platform.
#[inline]
pub(crate) fn exp_neg(x: f64) -> f64 {
    const N_OVER_LN2: f64 = 64.0 / std::f64::consts::LN_2;
    // ln2/64 split so that k · LN2_HI is exact for |k| < 2^20.
    const LN2_HI: f64 = 0.010_830_424_696_223_417;
    const LN2_LO: f64 = 2.572_804_622_327_669e-14;
    if x < -700.0 || x.is_nan() {
        return libm::exp(x);
    }
    // Round to the nearest integer by adding and subtracting 1.5 · 2^52 (exact for |x · N| < 2^51):
    // `f64::round` is a library call on x86-64 without SSE4.1, and this is the hot path of the
    // logistic loss.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let k = (x * N_OVER_LN2 + SHIFTER) - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let poly = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let k = k as i64;
    let (m, j) = (k.div_euclid(64), k.rem_euclid(64) as usize);
    let scale = f64::from_bits(((m + 1023) as u64) << 52);
    exp2_table()[j] * scale * poly
}

/// `ln(1 + j/64)` and `1 / (1 + j/64)` for `j` in `0..=64`, from `libm`.
fn ln_1p_tables() -> &'static ([f64; 65], [f64; 65]) {
    static TABLES: std::sync::OnceLock<([f64; 65], [f64; 65])> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        (
            std::array::from_fn(|j| libm::log1p(j as f64 / 64.0)),
            std::array::from_fn(|j| 1.0 / (1.0 + j as f64 / 64.0)),
        )
    })
}

/// `ln(1 + e)` for `0 ≤ e ≤ 1` (the log term of the logistic loss, with `e = exp(−|z|)`), faster
/// than `libm::log1p` and within a few units in the last place of it. `1 + e = c · (1 + u)` with
/// `c = 1 + j/64` the nearest table point; `u = (e − j/64) / c` is formed from `e` itself, so a tiny
/// `e` keeps all its digits; `ln(1 + u)` for `|u| ≤ 1/128` is a degree-8 series (error below
/// `|u|⁹/9 < 1e-19`). Plain arithmetic, so the same bits on every platform. Outside `[0, 1]` it
/// defers to `libm`.
#[inline]
pub(crate) fn ln_1p_unit(e: f64) -> f64 {
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    if !(0.0..=1.0).contains(&e) {
        return libm::log1p(e);
    }
    let (ln_c, inv_c) = ln_1p_tables();
    let jf = (e * 64.0 + SHIFTER) - SHIFTER;
    let j = jf as usize;
    // Exact: e and j/64 are within a factor of two of each other (or j is 0).
    let u = (e - jf / 64.0) * inv_c[j];
    let series = u
        * (1.0
            + u * (-0.5
                + u * (1.0 / 3.0
                    + u * (-0.25 + u * (0.2 + u * (-1.0 / 6.0 + u * (1.0 / 7.0 + u * -0.125)))))));
    ln_c[j] + series
}

/// The natural logarithm.
pub(crate) fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `e^x − 1`, accurate for `x` near 0.
pub(crate) fn exp_m1(x: f64) -> f64 {
    libm::expm1(x)
}

/// The base-2 logarithm.
pub(crate) fn log2(x: f64) -> f64 {
    libm::log2(x)
}

/// `x^y`. Also for whole powers: `f64::powi` is an LLVM intrinsic whose rounding is not promised to
/// be the same on every platform.
pub(crate) fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// The arcsine, in radians.
pub(crate) fn asin(x: f64) -> f64 {
    libm::asin(x)
}

/// The cosine of `x` radians.
pub(crate) fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// `1 / (1 + e^−z)` without overflow.
#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    let e = exp_neg(-z.abs());
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// `ln Σ e^v` without overflow.
pub(crate) fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + ln(values.iter().map(|v| exp(v - max)).sum())
}

/// Replaces scores by their softmax probabilities.
pub(crate) fn softmax_in_place(values: &mut [f64]) {
    let lse = log_sum_exp(values);
    for v in values.iter_mut() {
        *v = exp(*v - lse);
    }
}

/// The mean and population standard deviation of `values` by the plain two-pass sums. Where those
/// overflow (values near ±1.7e308: the sum of two is already infinite) or the spread underflows to
/// 0, the same sums run over the values divided by a power of two near the largest magnitude, which
/// is exact for normal numbers; so finite values give a finite mean and spread, and values that
/// need no rescue keep the very bits the plain sums give.
pub(crate) fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let (mean, std) = moments(values, 1.0);
    if (mean.is_finite() && std.is_finite() && std > 0.0) || values.is_empty() {
        return (mean, std);
    }
    let largest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let power_of_two = f64::from_bits(largest.to_bits() & 0x7ff0_0000_0000_0000);
    // A subnormal largest value has no exponent bits to keep: divide by the value itself.
    let scale = if power_of_two > 0.0 { power_of_two } else { largest };
    if !(scale.is_finite() && scale > 0.0) {
        return (mean, std);
    }
    let (mean, std) = moments(values, scale);
    (mean * scale, std * scale)
}

fn moments(values: &[f64], scale: f64) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|v| v / scale).sum::<f64>() / n;
    let std = (values.iter().map(|v| (v / scale - mean) * (v / scale - mean)).sum::<f64>() / n).sqrt();
    (mean, std)
}

/// `(x − origin) / unit`. Where the difference overflows (training values near ±1.7e308), every term
/// is halved first, which is exact, so a finite value scales to a finite feature.
pub(crate) fn rescale(x: f64, origin: f64, unit: f64) -> f64 {
    let shifted = x - origin;
    if shifted.is_finite() || !x.is_finite() {
        shifted / unit
    } else {
        (x / 2.0 - origin / 2.0) / (unit / 2.0)
    }
}

/// A key that orders floats as `f64::total_cmp` does (−NaN, −∞, …, −0, +0, …, +∞, +NaN), as an
/// unsigned integer: the sign bit of a positive number flipped, every bit of a negative one.
#[inline]
pub(crate) fn total_order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Sorts `values` in `f64::total_cmp` order, the same result as `sort_unstable_by(f64::total_cmp)`:
/// above a few thousand values by a least-significant-digit radix sort on [`total_order_key`], 11
/// bits at a time (six passes, skipping any digit every value shares; 8-bit digits, eight passes,
/// took half as long again), below by that comparison sort, which is faster there. On 200,000
/// values the radix sort takes about half the comparison sort's time. Training sorts each column's
/// training values a few times (preparation, bins, profile); a drift check sorts each numeric
/// column of both sides.
pub(crate) fn sort_floats(values: &mut [f64]) {
    const SMALL: usize = 4096;
    const BITS: usize = 11;
    const DIGITS: usize = 64usize.div_ceil(BITS);
    const MASK: u64 = (1 << BITS) - 1;
    let n = values.len();
    // The counts are u32: four billion values and more (never, in practice) take the comparison sort.
    if n <= SMALL || u32::try_from(n).is_err() {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = Vec::with_capacity(n);
    let mut counts = vec![[0u32; 1 << BITS]; DIGITS];
    for &v in values.iter() {
        let k = total_order_key(v);
        keys.push(k);
        for (digit, count) in counts.iter_mut().enumerate() {
            count[((k >> (BITS * digit)) & MASK) as usize] += 1;
        }
    }
    let mut scratch = vec![0u64; n];
    let mut next = vec![0u32; 1 << BITS];
    for (digit, count) in counts.iter().enumerate() {
        if count.contains(&(n as u32)) {
            continue; // every key has the same digit here
        }
        let mut total = 0;
        for (slot, &c) in next.iter_mut().zip(count) {
            *slot = total;
            total += c;
        }
        for &k in &keys {
            let d = ((k >> (BITS * digit)) & MASK) as usize;
            scratch[next[d] as usize] = k;
            next[d] += 1;
        }
        std::mem::swap(&mut keys, &mut scratch);
    }
    for (v, &k) in values.iter_mut().zip(&keys) {
        let bits = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
        *v = f64::from_bits(bits);
    }
}

/// `n` with a comma between each group of three digits: 100000 → "100,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn radix_sort_matches_total_order_bit_for_bit() {
        let mut state = 99u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state
        };
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -1e-310,
            1e-310,
        ];
        for n in [0, 1, 513, 4_097, 5_000, 80_000] {
            for family in 0..3 {
                let mut values: Vec<f64> = (0..n)
                    .map(|i| match family {
                        // Any bits at all, NaNs with payloads included.
                        0 => f64::from_bits(next()),
                        // A typical column: a few hundred repeated values around one scale.
                        1 => ((next() % 300) as f64 - 150.0) * 0.25,
                        _ => specials[i % specials.len()] * if next() % 2 == 0 { 1.0 } else { 3.5 },
                    })
                    .collect();
                let mut expected = values.clone();
                expected.sort_unstable_by(f64::total_cmp);
                super::sort_floats(&mut values);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&values), bits(&expected), "n = {n}, family {family}");
            }
        }
    }

    use super::*;

    #[test]
    fn fast_exp_agrees_with_libm() {
        let mut worst = 0.0_f64;
        for i in 0..200_000 {
            let x = -(i as f64) * 0.003_7;
            let (fast, exact) = (exp_neg(x), libm::exp(x));
            worst = worst.max(((fast - exact) / exact).abs());
        }
        assert!(worst < 1e-15, "relative error {worst}");
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(exp_neg(-1000.0), 0.0);
    }

    #[test]
    fn fast_ln_1p_agrees_with_libm() {
        let mut worst = 0.0_f64;
        let mut check = |e: f64| {
            let (fast, exact) = (ln_1p_unit(e), libm::log1p(e));
            if exact != 0.0 {
                worst = worst.max(((fast - exact) / exact).abs());
            } else {
                assert_eq!(fast, 0.0);
            }
        };
        for i in 0..=200_000 {
            check(f64::from(i) / 200_000.0);
        }
        for i in 0..2_000 {
            // Tiny values, down to the subnormals, and values just around the table points.
            check(libm::exp(-f64::from(i) * 0.35));
            check(f64::from(i % 65) / 64.0 + (f64::from(i) - 1000.0) * 1e-9);
        }
        assert!(worst < 4e-16, "relative error {worst}");
        assert_eq!(ln_1p_unit(2.0), libm::log1p(2.0));
    }

    #[test]
    fn stable_at_the_extremes() {
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + std::f64::consts::LN_2)).abs() < 1e-9);
        let mut v = [1.0, 2.0, 3.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }
}
