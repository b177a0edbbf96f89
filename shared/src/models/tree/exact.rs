//! A single tree on few rows, split exactly as scikit-learn's best splitter does: every boundary
//! between a node's sorted neighbouring values is a candidate, and the threshold is their midpoint.
//!
//! The search is `grow.rs`'s, run on each value's rank among its feature's distinct training values
//! instead of a histogram bin. Above [`EXACT_MAX_ROWS`] training rows (or [`EXACT_MAX_BYTES`] of
//! ranks and counts), and for forests, the histogram stays: there its few hundred bins are what keeps
//! fitting fast.
//!
//! The fitted tree is stored like any other: its bin edges are, per feature, the thresholds its
//! splits use, so a split's `bin` indexes them and walking on bins or on raw values agree. A split's
//! `bin` is one byte, so a feature may carry at most [`MAX_BINS`]` - 1` thresholds; the rare
//! unpruned tree that needs more on some feature is grown on the histogram instead.
//!
//! What stays different from scikit-learn: it casts features to `f32` before splitting (we split the
//! `f64` values), and its random feature order per node comes from its own generator, so where
//! splits tie the two libraries may pick different features, as two scikit-learn seeds do.

use super::binning::sorted_column;
use super::grow::{fit_ensemble, Builder, Cuts, GrowParams, TreeTarget};
use super::{Binner, Tree, TreeEnsemble, MAX_BINS};
use crate::models::{Cancelled, Progress};
use crate::rng::SplitMix64;
use ndarray::Array2;

/// The most training rows a single tree is split exactly on: at 100,000 rows an exact depth-5 tree
/// on 12 features fits in about 0.4 s (BENCHMARKS.md, "Single trees").
pub(crate) const EXACT_MAX_ROWS: usize = 100_000;

/// The most memory the exact search's ranks (four bytes a cell) and per-rank counts may take: wide
/// or many-class data past it is grown on the histogram, whose bins are a byte (in the tab, memory
/// is the worker's).
const EXACT_MAX_BYTES: usize = 64 << 20;

/// Whether `n` rows of `p` features are split exactly: at most [`EXACT_MAX_ROWS`] rows, and ranks and
/// counts within [`EXACT_MAX_BYTES`].
fn fits_exactly(n: usize, p: usize, target: TreeTarget<'_>) -> bool {
    let stride = match target {
        TreeTarget::Classes(_, k) => 1 + k,
        TreeTarget::Values(_) => 2,
    };
    // Per-rank counts: the histogram and the node's groups, eight bytes a statistic.
    let bytes =
        n.saturating_mul(p).saturating_mul(4).saturating_add(n.saturating_mul(stride).saturating_mul(16));
    n <= EXACT_MAX_ROWS && bytes <= EXACT_MAX_BYTES
}

/// scikit-learn's `FEATURE_THRESHOLD`: neighbouring values closer than this are never separated, and a
/// feature whose node values span no more is constant there.
pub(super) const FEATURE_THRESHOLD: f64 = 1e-7;

/// The threshold between neighbouring values `lo < hi`, as scikit-learn computes it: the sum of
/// halves (finite for any finite pair), or `lo` where that rounds up to `hi`.
pub(super) fn threshold(lo: f64, hi: f64) -> f64 {
    let middle = lo / 2.0 + hi / 2.0;
    if middle == hi || middle.is_infinite() {
        lo
    } else {
        middle
    }
}

/// A decision tree on every row of `x`: split exactly up to [`EXACT_MAX_ROWS`] rows (and while its
/// thresholds fit), on the histogram otherwise.
pub(crate) fn fit_tree(
    x: &Array2<f64>,
    target: TreeTarget<'_>,
    params: GrowParams,
    seed: u64,
    progress: &mut Progress<'_>,
) -> Result<TreeEnsemble, Cancelled> {
    if fits_exactly(x.nrows(), x.ncols(), target) {
        progress.report(0.0)?;
        if let Some(model) = fit(x, target, params, seed) {
            return Ok(model);
        }
    }
    fit_ensemble(x, target, params, 1, false, seed, progress)
}

/// Fits one tree on every row of `x` with the exact search, or `None` when some feature would need
/// more thresholds than a split's bin can index.
fn fit(x: &Array2<f64>, target: TreeTarget<'_>, params: GrowParams, seed: u64) -> Option<TreeEnsemble> {
    let (n, p) = x.dim();
    let data = x.as_slice().expect("standard layout");
    let mut values = Vec::with_capacity(p);
    let mut ranks = vec![0u32; n * p];
    let mut column = Vec::with_capacity(n);
    for f in 0..p {
        let distinct = sorted_column(data, p, f, &mut column);
        for i in 0..n {
            ranks[f * n + i] = distinct.partition_point(|&d| d < data[i * p + f]) as u32;
        }
        values.push(distinct);
    }
    let n_bins: Vec<usize> = values.iter().map(Vec::len).collect();
    let mut builder = Builder::new(&ranks, n, &n_bins, Cuts::Values(&values), target, params);
    let mut samples: Vec<u32> = (0..n as u32).collect();
    // The tree's seed as `fit_ensemble` draws it for its first tree.
    let mut tree = builder.build(&mut samples, SplitMix64::new(seed).next_u64());
    if builder.overflowed {
        return None;
    }
    let binner = edges_of(&mut tree, p)?;
    let n_classes = match target {
        TreeTarget::Classes(_, k) => k,
        TreeTarget::Values(_) => 0,
    };
    Some(TreeEnsemble { binner, trees: vec![tree], n_classes })
}

/// Per feature, the thresholds `tree`'s splits use, ascending; sets each split's `bin` to its
/// threshold's index. `None` when a feature has more than a byte can index.
fn edges_of(tree: &mut Tree, p: usize) -> Option<Binner> {
    let mut edges = vec![Vec::new(); p];
    for node in tree.nodes.iter().filter(|node| !node.is_leaf()) {
        edges[node.feature as usize].push(node.threshold);
    }
    for cuts in &mut edges {
        crate::math::sort_floats(cuts);
        cuts.dedup();
        if cuts.len() >= MAX_BINS {
            return None;
        }
    }
    for node in tree.nodes.iter_mut().filter(|node| !node.is_leaf()) {
        node.bin = edges[node.feature as usize].partition_point(|&e| e < node.threshold) as u8;
    }
    Some(Binner { edges })
}

#[cfg(test)]
mod tests {
    use super::super::tests::params;
    use super::*;

    #[test]
    fn thresholds_fall_midway_between_node_neighbours() {
        // Between 1 and 3 in the node, whatever lies between them elsewhere: none does here.
        let x = Array2::from_shape_vec((6, 1), vec![0.0, 1.0, 1.0, 3.0, 4.0, 10.0]).unwrap();
        let y = [0, 0, 0, 1, 1, 1];
        let model = fit(&x, TreeTarget::Classes(&y, 2), params(1), 0).unwrap();
        assert_eq!(model.binner.edges[0], vec![2.0]);
        assert_eq!(model.trees[0].nodes[0].bin, 0);
        assert_eq!(threshold(1.0, 1.0 + f64::EPSILON), 1.0);
        assert_eq!(threshold(-f64::MAX, f64::MAX), 0.0);
    }

    #[test]
    fn splits_on_values_a_histogram_would_merge() {
        // 1,000 distinct values, the class changing between the 500th and 501st: a 256-bin histogram
        // cannot cut there, the exact search does.
        let n = 1000;
        let x = Array2::from_shape_vec((n, 1), (0..n).map(|i| i as f64).collect()).unwrap();
        let y: Vec<usize> = (0..n).map(|i| usize::from(i >= 501)).collect();
        let depth_one = GrowParams { max_depth: Some(1), ..params(1) };
        let model = fit(&x, TreeTarget::Classes(&y, 2), depth_one, 0).unwrap();
        assert_eq!(model.binner.edges[0], vec![500.5]);
        assert_eq!(model.trees[0].counts, vec![501, 0, 0, 499]);
    }

    #[test]
    fn values_closer_than_scikit_learns_threshold_stay_together() {
        let x = Array2::from_shape_vec((4, 1), vec![1.0, 1.0 + 5e-8, 2.0, 2.0 + 5e-8]).unwrap();
        let y = [0, 1, 0, 1];
        let model = fit(&x, TreeTarget::Classes(&y, 2), params(1), 0).unwrap();
        assert_eq!(model.binner.edges[0], vec![threshold(1.0 + 5e-8, 2.0)]);
        assert_eq!(model.trees[0].len(), 3);
    }

    #[test]
    fn wide_many_row_or_many_class_data_keeps_the_histogram() {
        let values = TreeTarget::Values(&[]);
        assert!(fits_exactly(100_000, 100, values));
        assert!(!fits_exactly(100_001, 1, values));
        assert!(!fits_exactly(100_000, 200, values));
        assert!(!fits_exactly(100_000, 12, TreeTarget::Classes(&[], 50)));
        assert!(fits_exactly(20_000, 12, TreeTarget::Classes(&[], 50)));
    }

    #[test]
    fn a_tree_needing_more_thresholds_than_a_byte_indexes_is_refused() {
        let n = 600;
        let x = Array2::from_shape_vec((n, 1), (0..n).map(|i| i as f64).collect()).unwrap();
        let y: Vec<usize> = (0..n).map(|i| i % 2).collect();
        assert!(fit(&x, TreeTarget::Classes(&y, 2), params(1), 0).is_none());
    }
}
