//! Statistical tests and distances for drift checks, computed as SciPy computes them.
//!
//! Each function names the SciPy function it matches; `shared/tests/core/stats_vs_scipy.rs` checks them
//! against values SciPy produced (`scripts/ref/make_stats_fixtures.py`). Plain arithmetic and `libm`,
//! so the results are the same natively and in the browser.
//!
//! `ks_2samp` follows SciPy's default method: the exact distribution, counted in integers, up to
//! 10,000 values a side, else the asymptotic one (`kolmogorov.rs`).

mod kolmogorov;

pub use kolmogorov::kstwo_sf;

/// `P(Z > z)` for a standard normal `Z` (`scipy.stats.norm.sf`).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// `P(X > x)` for a chi-square `X` with `df` degrees of freedom (`scipy.stats.chi2.sf`): the
/// regularised upper incomplete gamma function `Q(df / 2, x / 2)`.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(df / 2.0, x / 2.0)
}

/// The regularised upper incomplete gamma function `Q(a, x)`, for `a > 0`, `x > 0`: a power series
/// for `P = 1 − Q` below `x = a + 1`, a continued fraction (modified Lentz) above it.
fn gamma_q(a: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-16;
    const MAX_TERMS: usize = 10_000;
    let log_prefix = a * crate::math::ln(x) - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..MAX_TERMS {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * EPS {
                break;
            }
        }
        return (1.0 - sum * crate::math::exp(log_prefix)).clamp(0.0, 1.0);
    }
    let tiny = f64::MIN_POSITIVE / EPS;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_TERMS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPS {
            break;
        }
    }
    (crate::math::exp(log_prefix) * h).clamp(0.0, 1.0)
}

/// A test's statistic and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// The test statistic.
    pub statistic: f64,
    /// The probability of a statistic at least this extreme when nothing changed.
    pub p_value: f64,
}

/// Pearson's chi-square test of `observed` counts against `expected` counts (`scipy.stats.chisquare`
/// with its default `ddof = 0`): `Σ (o − e)² / e` on `k − 1` degrees of freedom. `None` unless both
/// have the same length of at least two and every expected count is positive.
pub fn chisquare(observed: &[f64], expected: &[f64]) -> Option<TestResult> {
    if observed.len() != expected.len() || observed.len() < 2 || expected.iter().any(|&e| e <= 0.0) {
        return None;
    }
    let statistic: f64 = observed.iter().zip(expected).map(|(o, e)| (o - e) * (o - e) / e).sum();
    Some(TestResult { statistic, p_value: chi2_sf(statistic, (observed.len() - 1) as f64) })
}

/// The two-sample Kolmogorov–Smirnov statistic of `a` and `b` as a fraction `h / lcm(n_a, n_b)`:
/// returns `h` and the lcm. The largest gap between the two empirical CDFs, counted in integers
/// so that it is exact. NaNs must be removed first.
fn ks_gap(a: &[f64], b: &[f64]) -> (u64, u64) {
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    let g = gcd(n1, n2);
    let (w1, w2) = (n2 / g, n1 / g); // each count's weight in units of 1 / lcm
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    crate::math::sort_floats(&mut a);
    crate::math::sort_floats(&mut b);
    let (mut i, mut j, mut h) = (0usize, 0usize, 0u64);
    while i < a.len() || j < b.len() {
        // The next value, and every copy of it in either sample (the CDFs step together).
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= next {
            i += 1;
        }
        while j < b.len() && b[j] <= next {
            j += 1;
        }
        h = h.max((i as u64 * w1).abs_diff(j as u64 * w2));
    }
    (h, w2 * n2)
}

/// An empty sample, or a NaN (which never compares `<=`, so the CDF walk could not pass it).
fn unusable(a: &[f64], b: &[f64]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().chain(b).any(|v| v.is_nan())
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The two-sample Kolmogorov–Smirnov test of `a` against `b`, two-sided, with SciPy's exact
/// p-value (`scipy.stats.ks_2samp(a, b, method="exact")`, which its default method uses whenever
/// neither sample has more than 10,000 values). `None` for an empty sample or a NaN, or where the exact
/// computation overflows (SciPy then falls back to its asymptotic method).
pub fn ks_2samp_exact(a: &[f64], b: &[f64]) -> Option<TestResult> {
    if unusable(a, b) {
        return None;
    }
    let (h, lcm) = ks_gap(a, b);
    let statistic = h as f64 / lcm as f64;
    if h == 0 {
        return Some(TestResult { statistic, p_value: 1.0 });
    }
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    let p_value =
        if n1 == n2 { prob_outside_square(n1, h) } else { outer_prob_inside(n1, n2, gcd(n1, n2), h)? };
    (0.0..=1.0).contains(&p_value).then_some(TestResult { statistic, p_value })
}

/// The two-sample Kolmogorov–Smirnov test of `a` against `b`, two-sided, as
/// `scipy.stats.ks_2samp(a, b)` computes it with its default method: the exact p-value while
/// neither sample has more than 10,000 values (and the exact computation succeeds), otherwise the
/// asymptotic one, `kstwo.sf(d, round(n₁n₂ / (n₁ + n₂)))`. `None` for an empty sample or a NaN.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Option<TestResult> {
    const MAX_EXACT: usize = 10_000;
    if unusable(a, b) {
        return None;
    }
    if a.len().max(b.len()) <= MAX_EXACT {
        if let Some(result) = ks_2samp_exact(a, b) {
            return Some(result);
        }
    }
    let (h, lcm) = ks_gap(a, b);
    let statistic = h as f64 / lcm as f64;
    let (m, n) = (a.len().max(b.len()) as f64, a.len().min(b.len()) as f64);
    let effective = (m * n / (m + n)).round_ties_even() as u64;
    Some(TestResult { statistic, p_value: kstwo_sf(effective.max(1), statistic).clamp(0.0, 1.0) })
}

/// For equal sample sizes `n`: the share of lattice paths that leave the band `|x − y| < h`.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as f64, h as f64);
    let mut p = 0.0;
    let mut k = (n / h).floor();
    while k >= 0.0 {
        let mut p1 = 1.0;
        let mut j = 0.0;
        while j < h {
            p1 = (n - k * h - j) * p1 / (n + k * h + j + 1.0);
            j += 1.0;
        }
        p = p1 * (1.0 - p);
        k -= 1.0;
    }
    2.0 * p
}

/// For sample sizes `m ≠ n` with gcd `g`: the share of lattice paths from (0, 0) to (m, n) that do
/// not stay strictly inside `|x/m − y/n| < h / lcm`, computed directly as `1 − p` column by column
/// over a sliding window (Hodges 1958; Viehmann 2021, arXiv:2102.08037), as SciPy does.
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> Option<f64> {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let (mg, ng) = (m / g, n / g);
    let ceil_div = |a: i64, b: i64| -(-a).div_euclid(b);
    let mut minj = 0i64;
    let mut maxj = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len = (2 * maxj + 2).min(n + 1) as usize;
    let mut column = vec![1.0f64; len];
    for slot in column.iter_mut().take(maxj as usize) {
        *slot = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = ((ng * i - h).div_euclid(mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return Some(1.0);
        }
        let mut value = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let above = *column.get((jj + minj - lastminj) as usize)?;
            value = (above * fi + value * j) / (fi + j);
            *column.get_mut(jj as usize)? = value;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(column.len());
            for slot in &mut column[from.min(to)..to] {
                *slot = 1.0;
            }
        }
    }
    column.get((maxj - minj - 1) as usize).copied()
}

/// The first Wasserstein distance between the samples `u` and `v`
/// (`scipy.stats.wasserstein_distance`): the area between their empirical CDFs. `None` if either
/// is empty.
pub fn wasserstein_distance(u: &[f64], v: &[f64]) -> Option<f64> {
    if u.is_empty() || v.is_empty() {
        return None;
    }
    let mut u = u.to_vec();
    let mut v = v.to_vec();
    crate::math::sort_floats(&mut u);
    crate::math::sort_floats(&mut v);
    let mut all: Vec<f64> = u.iter().chain(&v).copied().collect();
    crate::math::sort_floats(&mut all);
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut iu, mut iv, mut total) = (0usize, 0usize, 0.0);
    for w in all.windows(2) {
        // CDFs just right of w[0]: the values at most w[0].
        while iu < u.len() && u[iu] <= w[0] {
            iu += 1;
        }
        while iv < v.len() && v[iv] <= w[0] {
            iv += 1;
        }
        total += (iu as f64 / nu - iv as f64 / nv).abs() * (w[1] - w[0]);
    }
    Some(total)
}

/// The Jensen–Shannon distance between two distributions given as non-negative weights over the
/// same bins (`scipy.spatial.distance.jensenshannon`, natural logarithm): each is normalised to sum
/// to 1, and the distance is the square root of the mean Kullback–Leibler divergence of each from
/// their average. `None` unless both have the same length and a positive total.
pub fn jensen_shannon_distance(p: &[f64], q: &[f64]) -> Option<f64> {
    if p.len() != q.len() || p.is_empty() || p.iter().chain(q).any(|&x| x < 0.0 || x.is_nan()) {
        return None;
    }
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if sp <= 0.0 || sq <= 0.0 {
        return None;
    }
    let rel_entr = |x: f64, y: f64| if x > 0.0 { x * crate::math::ln(x / y) } else { 0.0 };
    let mut divergence = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        divergence += rel_entr(a, m) + rel_entr(b, m);
    }
    Some((divergence / 2.0).max(0.0).sqrt())
}
