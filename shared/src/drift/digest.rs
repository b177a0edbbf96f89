//! The t-digest a numeric sketch keeps once a column has more than
//! [`EXACT_VALUES`](super::EXACT_VALUES) distinct values (Dunning's merging digest, with the `k₁`
//! arcsine scale): centroids `(mean, weight)`, at most about half
//! [`COMPRESSION`](super::COMPRESSION) of them.

/// `mean` moved toward `v` by `w / weight` of the gap, as `mean + (v − mean) · w / weight`; from
/// the two ends' shares where the gap overflows (±1.7e308 on either side), so it stays finite.
pub(super) fn toward(mean: f64, v: f64, w: f64, weight: f64) -> f64 {
    let moved = mean + (v - mean) * w / weight;
    if moved.is_finite() {
        moved
    } else {
        mean * (1.0 - w / weight) + v * (w / weight)
    }
}

/// Points `(value, weight)` sorted by value, compressed into centroids no wider than the `k₁` scale
/// allows: tight at the tails, wider in the middle.
pub(super) fn compress(points: &[(f64, f64)], compression: f64) -> Vec<(f64, f64)> {
    let total: f64 = points.iter().map(|p| p.1).sum();
    if points.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let k = |q: f64| {
        compression / (2.0 * std::f64::consts::PI) * crate::math::asin(2.0 * q.clamp(0.0, 1.0) - 1.0)
    };
    let mut out: Vec<(f64, f64)> = Vec::new();
    let (mut mean, mut weight) = points[0];
    let mut before = 0.0; // weight of the centroids already pushed
    let mut k_left = k(0.0);
    for &(v, w) in &points[1..] {
        if k((before + weight + w) / total) - k_left <= 1.0 {
            weight += w;
            mean = toward(mean, v, w, weight);
        } else {
            out.push((mean, weight));
            before += weight;
            k_left = k(before / total);
            (mean, weight) = (v, w);
        }
    }
    out.push((mean, weight));
    out
}
