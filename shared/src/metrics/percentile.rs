//! Percentiles as numpy computes them (`numpy.percentile`, linear method), to the bit: of a copy
//! sorted, of values already sorted, or by selection for the many windows a server summarises.

/// The `q`-th percentile (0–100) with linear interpolation between ranks, as numpy's default
/// (`numpy.percentile(values, q)`, `method="linear"`) computes it, to the bit: the virtual index
/// `(n − 1) · (q / 100)`, and numpy's `_lerp`, which interpolates from the upper neighbour when the
/// fraction is at least one half. `None` for no values.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    percentile_sorted(&sorted, q)
}

/// Where numpy's linear percentile falls among `n` ordered values: the rank below and the fraction
/// of the way to the next.
fn percentile_rank(n: usize, q: f64) -> (usize, f64) {
    let h = (n - 1) as f64 * (q.clamp(0.0, 100.0) / 100.0);
    let lo = h.floor() as usize;
    (lo.min(n - 1), h - lo as f64)
}

/// numpy's `_lerp(a, b, t)`: from `a` below one half, from `b` from one half up (each side exact at
/// its end).
fn lerp_numpy(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// [`percentile`] of values already in ascending order (no copy, no sort).
pub fn percentile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let (lo, t) = percentile_rank(sorted.len(), q);
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(lerp_numpy(sorted[lo], sorted[hi], t))
}

/// [`percentile`] of values in any order, found by selection rather than a sort (linear time, no
/// copy): what a server wants for the percentiles of many windows. Reorders `values`; the same
/// number as [`percentile`], bit for bit. Values are ordered by `f64::total_cmp`.
pub fn percentile_unsorted(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let (lo, t) = percentile_rank(values.len(), q);
    let (_, &mut below, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    // The next value up is the smallest of those after the rank (none: the last value itself).
    let next = above.iter().copied().min_by(f64::total_cmp).unwrap_or(below);
    Some(lerp_numpy(below, next, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_selection_are_those_of_the_sorted_values() {
        let mut rng = crate::rng::SplitMix64::new(3);
        for n in [1usize, 2, 3, 10, 101, 1000] {
            let values: Vec<f64> = (0..n).map(|_| (rng.next_u64() % 1000) as f64 / 7.0).collect();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            for q in [0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
                let mut scratch = values.clone();
                assert_eq!(percentile_unsorted(&mut scratch, q), percentile_sorted(&sorted, q), "{n} {q}");
            }
        }
        assert_eq!(percentile_unsorted(&mut [], 50.0), None);
        // numpy.percentile([1, 2, 3, 4], 75) interpolates from 4 down: 4 - (4 - 3) * (1 - 0.25).
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 75.0), Some(3.25));
    }
}
