//! Bins as numpy makes them: `histogram_bin_edges(…, bins="sturges")` and `histogram(…, edges)`,
//! reproduced operation by operation so that a value on an edge falls where numpy puts it.

/// The edges numpy's Sturges rule gives for `values` (which need not be sorted): `⌈ptp / width⌉`
/// equal bins with `width = ptp / (log₂ n + 1)`, at least 1 wide for integer data, between the
/// smallest and largest value (widened by ½ each way when they are equal).
pub(crate) fn sturges_edges(min: f64, max: f64, n: usize, integers: bool) -> Vec<f64> {
    let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
    let mut width = (max - min) / (crate::math::log2(n as f64) + 1.0);
    let bins = if width != 0.0 && !width.is_nan() {
        if integers && width < 1.0 {
            width = 1.0;
        }
        ((last - first) / width).ceil().max(1.0) as usize
    } else {
        1
    };
    linspace(first, last, bins + 1)
}

/// `numpy.linspace(start, stop, num)`: `i · step + start`, the last one exactly `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut edges: Vec<f64> = (0..num)
        .map(|i| if step == 0.0 { i as f64 / div * delta + start } else { i as f64 * step + start })
        .collect();
    if let Some(last) = edges.last_mut() {
        *last = stop;
    }
    edges
}

/// Weighted counts per bin of `sorted` values (`weights` in the same order, or 1 each), numpy's
/// way: bin `i` holds `edges[i] ≤ v < edges[i + 1]`, the last bin also its right edge; values
/// outside the edges are not counted.
pub(crate) fn histogram(sorted: &[f64], weights: Option<&[f64]>, edges: &[f64]) -> Vec<f64> {
    let bins = edges.len().saturating_sub(1);
    // Rows up to an index, summed as the index moves right (it only ever does).
    let (mut reached, mut sum) = (0usize, 0.0);
    let mut cumulative = |upto: usize| -> f64 {
        match weights {
            None => upto as f64,
            Some(w) => {
                sum += w[reached..upto].iter().sum::<f64>();
                reached = upto;
                sum
            }
        }
    };
    let mut counts = Vec::with_capacity(bins);
    let mut below = cumulative(sorted.partition_point(|&v| v < edges[0]));
    for i in 0..bins {
        let end = if i + 1 == bins {
            sorted.partition_point(|&v| v <= edges[i + 1])
        } else {
            sorted.partition_point(|&v| v < edges[i + 1])
        };
        let upto = cumulative(end);
        counts.push(upto - below);
        below = upto;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_and_counts_follow_numpy() {
        // numpy.histogram_bin_edges([0, 1, 2, 3, 4, 5, 6, 7], bins="sturges") has 4 bins.
        let edges = sturges_edges(0.0, 7.0, 8, true);
        assert_eq!(edges, vec![0.0, 1.75, 3.5, 5.25, 7.0]);
        let values: Vec<f64> = (0..8).map(f64::from).collect();
        assert_eq!(histogram(&values, None, &edges), vec![2.0, 2.0, 2.0, 2.0]);
        // One value only: a bin of width 1 around it.
        assert_eq!(sturges_edges(3.0, 3.0, 5, false), vec![2.5, 3.5]);
        // Integer data never gets bins narrower than 1.
        assert_eq!(sturges_edges(0.0, 2.0, 1000, true).len(), 3);
    }
}
