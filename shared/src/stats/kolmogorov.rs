//! The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic `D_n`
//! (`scipy.stats.kstwo`), which `ks_2samp` uses for its asymptotic p-value. The algorithm for each
//! region of `(n, x)` is the one SciPy's `_kolmogn` picks (Simard and L'Ecuyer 2011): closed forms
//! at the edges, the Durbin matrix (Marsaglia, Tsang and Wang 2003), Pomeranz's recursion (1974),
//! the Pelz–Good series (1976), and twice the one-sided Smirnov tail (Birnbaum and Tingey 1951).

use crate::math::{exp, exp_m1, ln, pow};

const SCALE_EXP: i32 = 128;
const MIN_LOG: f64 = -708.0;

fn scale_up() -> f64 {
    libm::ldexp(1.0, SCALE_EXP)
}

fn scale_down() -> f64 {
    libm::ldexp(1.0, -SCALE_EXP)
}

/// `P(D_n > x)` (`scipy.stats.kstwo.sf(x, n)`).
pub fn kstwo_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben and Gambino: 1/2n ≤ x ≤ 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).map(|i| i as f64 * (1.0 / nf) * (2.0 * t - 1.0)).product::<f64>()
        } else {
            exp(log_factorial_over_power(nf) + nf * ln(2.0 * t - 1.0))
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * pow(1.0 - x, nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nx_squared = t * x;
    if n <= 140 {
        if nx_squared <= 0.754693 {
            return (1.0 - durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        if nx_squared <= 4.0 {
            return (1.0 - pomeranz_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nx_squared >= 370.0 {
        return 0.0;
    }
    if nx_squared >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * pow(x, 1.5) <= 1.4 { durbin_cdf(n, x) } else { pelz_good_cdf(nf, x) };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// `ln(n! / nⁿ)` by Stirling's series with `n ln n` taken out first, as SciPy computes it.
fn log_factorial_over_power(n: f64) -> f64 {
    // B₂ⱼ / (2j (2j − 1)) for j = 8 down to 1.
    const STIRLING: [f64; 8] = [
        -3617.0 / 122400.0,
        1.0 / 156.0,
        -691.0 / 360360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let series = STIRLING.iter().fold(0.0, |acc, c| acc * (rn / n) + c);
    ln(n) / 2.0 - n + ln(2.0 * std::f64::consts::PI) / 2.0 + rn * series
}

fn mat_mul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let row = &b[k * m..(k + 1) * m];
            for (o, &bkj) in out[i * m..(i + 1) * m].iter_mut().zip(row) {
                *o += aik * bkj;
            }
        }
    }
    out
}

/// `P(D_n ≤ d)` by the Durbin matrix: the k-th diagonal entry of `(n!/nⁿ) Hⁿ`, with `d = (k − h)/n`.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v = vec![0.0; m];
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] = (1.0 - pow(h, j as f64)) * fac;
    }
    let tt = pow((2.0 * h - 1.0).max(0.0), m as f64) - 2.0 * pow(h, m as f64);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let mut power = vec![0.0; m * m];
    for i in 0..m {
        power[i * m + i] = 1.0;
    }
    let (mut nn, mut exponent, mut h_exponent) = (n, 0i32, 0i32);
    while nn > 0 {
        if nn % 2 == 1 {
            power = mat_mul(&power, &hm, m);
            exponent += h_exponent;
        }
        hm = mat_mul(&hm, &hm, m);
        h_exponent *= 2;
        if hm[(k - 1) * m + k - 1].abs() > scale_up() {
            hm.iter_mut().for_each(|x| *x /= scale_up());
            h_exponent += SCALE_EXP;
        }
        nn /= 2;
    }
    let mut p = power[(k - 1) * m + k - 1];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < scale_down() {
            p *= scale_up();
            exponent -= SCALE_EXP;
        }
    }
    libm::ldexp(p, exponent).clamp(0.0, 1.0)
}

/// The first and last column of row `i` of Pomeranz's matrix that can be non-zero.
fn pomeranz_bounds(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (half, odd) = ((i + 1) / 2, (i + 1) % 2);
        if odd == 0 {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n ≤ x)` by Pomeranz's recursion: each row is the previous one convolved with (unnormalised)
/// Poisson probabilities; only two rows, and only their non-zero stretch, are kept.
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let n = n as i64;
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut g_power = vec![1.0; npwrs];
    let mut two_g_power = vec![1.0; npwrs];
    let mut rest_power = vec![1.0; npwrs];
    for m in 1..npwrs {
        g_power[m] = g_power[m - 1] * (g / nf) / m as f64;
        two_g_power[m] = two_g_power[m - 1] * (2.0 * g / nf) / m as f64;
        rest_power[m] = rest_power[m - 1] * ((1.0 - 2.0 * g) / nf) / m as f64;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut exponent = 0i32;
    let mut j1 = pomeranz_bounds(0, n, ll, ceilf, roundf).0;
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        let (nj1, nj2) = pomeranz_bounds(i, n, ll, ceilf, roundf);
        j1 = nj1;
        let j2 = nj2;
        let powers = if i == 1 || i == 2 * n + 1 {
            &g_power
        } else if i % 2 == 1 {
            &two_g_power
        } else {
            &rest_power
        };
        let len = j2 - k1 + 1;
        if len > 0 {
            let start = (k1 - v0s).max(0) as usize;
            let end = (start + len as usize).min(npwrs);
            let a = &v0[start..end];
            let b = &powers[..(len as usize).min(npwrs)];
            let (from, count) = ((j1 - k1) as usize, (j2 - j1 + 1) as usize);
            for (slot, idx) in v1.iter_mut().take(count).zip(from..) {
                // Entry `idx` of the full convolution of `a` and `b`.
                let lo = idx.saturating_sub(b.len().saturating_sub(1));
                let hi = idx.min(a.len().saturating_sub(1));
                let mut sum = 0.0;
                for p in lo..=hi {
                    sum += a[p] * b[idx - p];
                }
                *slot = sum;
            }
            let largest = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if largest > 0.0 && largest < scale_down() {
                v1.iter_mut().for_each(|x| *x *= scale_up());
                exponent -= SCALE_EXP;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut answer = v1.get((n - v1s) as usize).copied().unwrap_or(0.0);
    for m in 1..=n {
        if answer.abs() > scale_up() {
            answer *= scale_down();
            exponent += SCALE_EXP;
        }
        answer *= m as f64;
    }
    libm::ldexp(answer, exponent).clamp(0.0, 1.0)
}

/// `P(D_n ≤ x)` by the Pelz–Good asymptotic series in `1/√n`, as SciPy evaluates it.
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let sqrt_2pi = (2.0 * PI).sqrt();
    let (pi2, pi4, pi6) = (PI * PI, pow(PI, 4.0), pow(PI, 6.0));
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, pow(z, 3.0), pow(z, 4.0), pow(z, 6.0));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < MIN_LOG {
        return 0.0;
    }
    let q = exp(qlog);
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * pow(z, 8.0);
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, pow(m, 4.0), pow(m, 6.0));
        let qpower = pow(q, 8.0 * kk as f64);
        let coeffs = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
        for (acc, c) in k.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let divisors = [z, 6.0 * z4, 72.0 * pow(z, 7.0), 6480.0 * pow(z, 10.0)];
    for (acc, d) in k.iter_mut().zip(divisors) {
        *acc = *acc * q * sqrt_2pi / d;
    }
    let q = exp(-pi2 / 2.0 / z2);
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let kf = kk as f64;
        let ksq = kf * kf;
        let qp = pow(q, ksq);
        k2extra += ksq * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    k[2] += k2extra * pi2 * sqrt_2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt_2pi / (216.0 * z6);
    k.iter().enumerate().map(|(i, v)| v / pow(n, i as f64 / 2.0)).sum()
}

/// `P(D⁺_n > x)`, the one-sided Smirnov tail (`scipy.special.smirnov`), by the Birnbaum–Tingey sum
/// `x Σ_{v ≤ n(1−x)} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v)`. Every term is positive, so the
/// sum is taken in logarithms without cancellation.
pub(crate) fn smirnov_sf(n: u64, x: f64) -> f64 {
    if x.is_nan() || !(0.0..=1.0).contains(&x) || n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // n·x split exactly into its integer part and remainder.
    let product = nf * x;
    let error = nf.mul_add(x, -product);
    let mut floor = product.floor();
    let mut alpha = (product - floor) + error;
    if alpha < 0.0 {
        floor -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        floor += 1.0;
        alpha -= 1.0;
    }
    let nx_floor = floor as u64;
    if nx_floor == 0 || (nx_floor == 1 && alpha == 0.0) {
        return 1.0 - x * pow(1.0 + x, nf - 1.0);
    }
    if -2.0 * nf * x * x < -708.3964185322641 {
        return 0.0;
    }
    if nx_floor >= n - 1 {
        return pow(1.0 - x, nf);
    }
    if n > 1_000_000 {
        let base = 6.0 * nf * x + 1.0;
        let logp = -(base * base) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 { exp(logp) } else { 1.0 + exp_m1(logp) };
    }
    // The last term, where 1 − x − v/n reaches 0, is left out.
    let last = n - nx_floor - if alpha == 0.0 { 2 } else { 1 };
    let (mut log_max, mut sum) = (f64::NEG_INFINITY, 0.0);
    let mut log_binomial = 0.0;
    for v in 0..=last {
        if v > 0 {
            log_binomial += ln((n - v + 1) as f64 / v as f64);
        }
        let reach = ((nx_floor + v) as f64 + alpha) / nf; // x + v/n
        let left = ((n - nx_floor - v) as f64 - alpha) / nf; // 1 − x − v/n
        let log_term = log_binomial + (v as f64 - 1.0) * ln(reach) + (n - v) as f64 * ln(left);
        if log_term > log_max {
            sum = sum * exp(log_max - log_term) + 1.0;
            log_max = log_term;
        } else {
            sum += exp(log_term - log_max);
        }
    }
    (x * sum * exp(log_max)).clamp(0.0, 1.0)
}
