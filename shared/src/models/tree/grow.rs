//! Growing trees: the split search on binned rows, one tree or a bootstrapped forest. The same
//! search runs on histogram bins (`u8`, [`Binner`]) and, for a single tree on few rows, on each
//! value's rank among its feature's distinct values (`u32`, `exact.rs`).

use super::exact::FEATURE_THRESHOLD;
use super::{Binner, Node, Tree, TreeEnsemble, LEAF};
use crate::models::{Cancelled, Progress};
use crate::rng::SplitMix64;
use ndarray::Array2;

/// What a tree learns to predict.
#[derive(Clone, Copy)]
pub(crate) enum TreeTarget<'a> {
    /// Class indices below `n_classes`.
    Classes(&'a [usize], usize),
    /// Numbers.
    Values(&'a [f64]),
}

/// How a tree grows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    /// Features tried per split.
    pub max_features: usize,
}

/// A row's bin of one feature: a histogram bin (`u8`) or a rank among distinct values (`u32`).
pub(super) trait BinIndex: Copy + Ord {
    fn index(self) -> usize;
    /// The bin `i` (below the feature's bin count, so it fits).
    fn from_index(i: usize) -> Self;
}

impl BinIndex for u8 {
    fn index(self) -> usize {
        usize::from(self)
    }
    fn from_index(i: usize) -> Self {
        i as u8
    }
}

impl BinIndex for u32 {
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(i: usize) -> Self {
        i as u32
    }
}

/// Where a split may cut, per feature.
#[derive(Clone, Copy)]
pub(super) enum Cuts<'a> {
    /// Histogram bins and their edges: a cut at bin `b` sends bins `..=b` left.
    Bins(&'a [Vec<f64>]),
    /// Exact: the feature's distinct training values, ascending (bin `r` is the value `values[r]`);
    /// thresholds fall between node neighbours as scikit-learn puts them, and scikit-learn's rules
    /// hold (its Gini arithmetic, neighbours within [`FEATURE_THRESHOLD`] never separated, features
    /// drawn until `max_features` are visited and one of them is not constant).
    Values(&'a [Vec<f64>]),
}

/// Fits `n_trees` trees, each on a bootstrap sample when `bootstrap` is set, otherwise on every row.
pub(crate) fn fit_ensemble(
    x: &Array2<f64>,
    target: TreeTarget<'_>,
    params: GrowParams,
    n_trees: usize,
    bootstrap: bool,
    seed: u64,
    progress: &mut Progress<'_>,
) -> Result<TreeEnsemble, Cancelled> {
    let binner = Binner::fit(x);
    let binned = binner.transform(x);
    let n = x.nrows();
    let n_bins: Vec<usize> = binner.edges.iter().map(|e| e.len() + 1).collect();
    let mut rng = SplitMix64::new(seed);
    let mut builder = Builder::new(&binned, n, &n_bins, Cuts::Bins(&binner.edges), target, params);
    let mut trees = Vec::with_capacity(n_trees);
    let mut samples: Vec<u32> = Vec::with_capacity(n);
    for t in 0..n_trees {
        progress.report(t as f64 / n_trees as f64)?;
        samples.clear();
        if bootstrap {
            samples.extend((0..n).map(|_| rng.below(n) as u32));
        } else {
            samples.extend(0..n as u32);
        }
        let tree_seed = rng.next_u64();
        trees.push(builder.build(&mut samples, tree_seed));
    }
    let n_classes = match target {
        TreeTarget::Classes(_, k) => k,
        TreeTarget::Values(_) => 0,
    };
    Ok(TreeEnsemble { binner, trees, n_classes })
}

pub(super) struct Builder<'a, B> {
    binned: &'a [B],
    n: usize,
    n_bins: &'a [usize],
    cuts: Cuts<'a>,
    target: TreeTarget<'a>,
    params: GrowParams,
    /// Per bin: row count, then class counts or the target sum (`stride` values per bin).
    hist: Vec<f64>,
    stride: usize,
    /// Non-empty bins of the feature being searched: bin, then `stride` statistics.
    groups: Vec<(B, usize)>,
    group_stats: Vec<f64>,
    pairs: Vec<(B, u32)>,
    left: Vec<f64>,
    node_stats: Vec<f64>,
    /// Exact trees: per feature, the thresholds used so far, ascending.
    used: Vec<Vec<f64>>,
    /// Set when an exact tree needed more thresholds on one feature than [`MAX_EXACT_CUTS`]; the
    /// tree was left unfinished.
    pub(super) overflowed: bool,
}

/// The most thresholds an exact tree may use on one feature: a split's bin is one byte.
const MAX_EXACT_CUTS: usize = u8::MAX as usize;

/// A node's best split: rows with a bin at or below `left` go left, and `right` is the first bin
/// the node has on the right.
struct Best<B> {
    feature: usize,
    left: B,
    right: B,
    score: f64,
}

impl<'a, B: BinIndex> Builder<'a, B> {
    pub(super) fn new(
        binned: &'a [B],
        n: usize,
        n_bins: &'a [usize],
        cuts: Cuts<'a>,
        target: TreeTarget<'a>,
        params: GrowParams,
    ) -> Self {
        let most_bins = n_bins.iter().copied().max().unwrap_or(0);
        let stride = match target {
            TreeTarget::Classes(_, k) => 1 + k,
            TreeTarget::Values(_) => 2,
        };
        Self {
            binned,
            n,
            n_bins,
            cuts,
            target,
            params,
            hist: vec![0.0; most_bins * stride],
            stride,
            groups: Vec::new(),
            group_stats: Vec::new(),
            pairs: Vec::new(),
            left: vec![0.0; stride],
            node_stats: vec![0.0; stride],
            used: vec![Vec::new(); n_bins.len()],
            overflowed: false,
        }
    }

    /// Grows one tree on `samples` (reordered in place). Exact trees leave each split's `bin` at 0
    /// for `exact.rs` to set once the tree's thresholds are known.
    pub(super) fn build(&mut self, samples: &mut [u32], seed: u64) -> Tree {
        let mut rng = SplitMix64::new(seed);
        let p = self.n_bins.len();
        let mut features: Vec<usize> = (0..p).collect();
        let blank = Node { feature: 0, bin: 0, child: 0, threshold: 0.0 };
        let mut tree = Tree { nodes: vec![blank], counts: Vec::new(), means: Vec::new() };
        let mut stack = vec![(0usize, samples.len(), 0usize, 0usize)];
        while let Some((start, end, depth, node)) = stack.pop() {
            let rows = &mut samples[start..end];
            self.stats_of(rows);
            let n_node = rows.len();
            let can_split = n_node >= self.params.min_samples_split
                && n_node >= 2 * self.params.min_samples_leaf
                && self.params.max_depth.is_none_or(|d| depth < d)
                && !self.is_pure(rows);
            let best = if can_split { self.best_split(rows, &mut features, &mut rng) } else { None };
            match best {
                Some(best) => {
                    let column = &self.binned[best.feature * self.n..(best.feature + 1) * self.n];
                    let mut i = 0;
                    let mut j = rows.len();
                    while i < j {
                        if column[rows[i] as usize] <= best.left {
                            i += 1;
                        } else {
                            j -= 1;
                            rows.swap(i, j);
                        }
                    }
                    let left = tree.nodes.len();
                    let (bin, threshold) = self.cut_of(&best);
                    if matches!(self.cuts, Cuts::Values(_)) && !self.note_threshold(best.feature, threshold) {
                        self.overflowed = true;
                        break;
                    }
                    tree.nodes[node] =
                        Node { feature: best.feature as u16, bin, child: left as u32, threshold };
                    tree.nodes.extend([blank, blank]);
                    // Right first so the left subtree is built (and numbered) first.
                    stack.push((start + i, end, depth + 1, left + 1));
                    stack.push((start, start + i, depth + 1, left));
                }
                None => {
                    let value = match self.target {
                        TreeTarget::Classes(_, k) => {
                            tree.counts.extend(self.node_stats[1..].iter().map(|&c| c as u32));
                            tree.counts.len() / k - 1
                        }
                        TreeTarget::Values(_) => {
                            tree.means.push(self.node_stats[1] / self.node_stats[0]);
                            tree.means.len() - 1
                        }
                    };
                    tree.nodes[node] = Node { feature: LEAF, bin: 0, child: value as u32, threshold: 0.0 };
                }
            }
        }
        tree
    }

    /// Fills `node_stats` with the row count and class counts or target sum of `rows`.
    fn stats_of(&mut self, rows: &[u32]) {
        self.node_stats.fill(0.0);
        self.node_stats[0] = rows.len() as f64;
        match self.target {
            TreeTarget::Classes(y, _) => {
                for &r in rows {
                    self.node_stats[1 + y[r as usize]] += 1.0;
                }
            }
            TreeTarget::Values(y) => {
                self.node_stats[1] = rows.iter().map(|&r| y[r as usize]).sum();
            }
        }
    }

    fn is_pure(&self, rows: &[u32]) -> bool {
        match self.target {
            TreeTarget::Classes(_, _) => self.node_stats[1..].iter().any(|&c| c == self.node_stats[0]),
            TreeTarget::Values(y) => {
                let first = y[rows[0] as usize];
                rows.iter().all(|&r| y[r as usize] == first)
            }
        }
    }

    fn best_split(&mut self, rows: &[u32], features: &mut [usize], rng: &mut SplitMix64) -> Option<Best<B>> {
        let p = features.len();
        let exact = matches!(self.cuts, Cuts::Values(_));
        let mut best: Option<Best<B>> = None;
        let (mut visited, mut tried) = (0, 0);
        for i in 0..p {
            // Histogram: `max_features` non-constant features. Exact, as scikit-learn: `max_features`
            // drawn, constant ones included, and more only until one is not constant.
            let enough = if exact {
                visited >= self.params.max_features && tried > 0
            } else {
                tried >= self.params.max_features
            };
            if enough {
                break;
            }
            let j = i + rng.below(p - i);
            features.swap(i, j);
            let f = features[i];
            visited += 1;
            self.collect_groups(rows, f);
            if self.is_constant(f) {
                continue; // constant in this node: does not count as tried, as in scikit-learn
            }
            tried += 1;
            if let Some((left, right, score)) = self.scan(f) {
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(Best { feature: f, left, right, score });
                }
            }
        }
        best
    }

    /// Whether the node's rows, grouped, leave feature `f` nothing to split.
    fn is_constant(&self, f: usize) -> bool {
        match (self.groups.first(), self.groups.last()) {
            (Some(&(first, _)), Some(&(last, _))) if first != last => match self.cuts {
                Cuts::Bins(_) => false,
                Cuts::Values(values) => {
                    values[f][last.index()] <= values[f][first.index()] + FEATURE_THRESHOLD
                }
            },
            _ => true,
        }
    }

    /// Groups `rows` by their bin of feature `f` into `groups` / `group_stats`, in bin order.
    fn collect_groups(&mut self, rows: &[u32], f: usize) {
        let column = &self.binned[f * self.n..(f + 1) * self.n];
        let stride = self.stride;
        self.groups.clear();
        self.group_stats.clear();
        // Counting into every bin costs the node's rows plus a pass over the bins; sorting the rows
        // costs a logarithm per row. Ranks are many (up to one per training row), so counting pays
        // from a sixteenth of them on: for the histogram's few bins, from half.
        let per_row = match self.cuts {
            Cuts::Bins(_) => 2,
            Cuts::Values(_) => 16,
        };
        if rows.len() * per_row >= self.n_bins[f] {
            let hist = &mut self.hist[..self.n_bins[f] * stride];
            match self.target {
                TreeTarget::Classes(y, _) => {
                    for &r in rows {
                        let b = column[r as usize].index() * stride;
                        hist[b] += 1.0;
                        hist[b + 1 + y[r as usize]] += 1.0;
                    }
                }
                TreeTarget::Values(y) => {
                    for &r in rows {
                        let b = column[r as usize].index() * stride;
                        hist[b] += 1.0;
                        hist[b + 1] += y[r as usize];
                    }
                }
            }
            for (bin, stats) in hist.chunks_exact_mut(stride).enumerate() {
                if stats[0] > 0.0 {
                    self.groups.push((B::from_index(bin), self.group_stats.len()));
                    self.group_stats.extend_from_slice(stats);
                    stats.fill(0.0);
                }
            }
        } else {
            self.pairs.clear();
            self.pairs.extend(rows.iter().map(|&r| (column[r as usize], r)));
            self.pairs.sort_unstable_by_key(|&(bin, _)| bin);
            for &(bin, r) in &self.pairs {
                if self.groups.last().is_none_or(|&(last, _)| last != bin) {
                    self.groups.push((bin, self.group_stats.len()));
                    self.group_stats.extend(std::iter::repeat_n(0.0, stride));
                }
                let base = self.group_stats.len() - stride;
                self.group_stats[base] += 1.0;
                match self.target {
                    TreeTarget::Classes(y, _) => self.group_stats[base + 1 + y[r as usize]] += 1.0,
                    TreeTarget::Values(y) => self.group_stats[base + 1] += y[r as usize],
                }
            }
        }
    }

    /// Records an exact tree's threshold on feature `f`; false once the feature has more than
    /// [`MAX_EXACT_CUTS`].
    fn note_threshold(&mut self, f: usize, threshold: f64) -> bool {
        let used = &mut self.used[f];
        if let Err(at) = used.binary_search_by(|u| u.total_cmp(&threshold)) {
            used.insert(at, threshold);
        }
        used.len() <= MAX_EXACT_CUTS
    }

    /// The node's split bin and raw threshold for `best`.
    fn cut_of(&self, best: &Best<B>) -> (u8, f64) {
        match self.cuts {
            Cuts::Bins(edges) => {
                let bin = middle_cut(&edges[best.feature], best.left.index(), best.right.index());
                (bin as u8, edges[best.feature][bin])
            }
            Cuts::Values(values) => {
                let values = &values[best.feature];
                (0, super::exact::threshold(values[best.left.index()], values[best.right.index()]))
            }
        }
    }

    /// The best boundary between consecutive groups of feature `f`: the last bin on the left, the
    /// first on the right, and its score (larger is better: the weighted impurity, up to a constant,
    /// with the sign flipped).
    fn scan(&mut self, f: usize) -> Option<(B, B, f64)> {
        let stride = self.stride;
        let total = &self.node_stats;
        let n = total[0];
        let min_leaf = self.params.min_samples_leaf as f64;
        let values = match self.cuts {
            Cuts::Values(values) => Some(&values[f]),
            Cuts::Bins(_) => None,
        };
        let gini = values.is_some() && matches!(self.target, TreeTarget::Classes(..));
        self.left.fill(0.0);
        let mut best: Option<(B, B, f64)> = None;
        for g in 0..self.groups.len() - 1 {
            let (bin, offset) = self.groups[g];
            let next = self.groups[g + 1].0;
            for (l, s) in self.left.iter_mut().zip(&self.group_stats[offset..offset + stride]) {
                *l += s;
            }
            if values.is_some_and(|v| v[next.index()] <= v[bin.index()] + FEATURE_THRESHOLD) {
                continue; // scikit-learn never separates values this close
            }
            let n_left = self.left[0];
            let n_right = n - n_left;
            if n_left < min_leaf || n_right < min_leaf {
                continue;
            }
            let mut left_sq = 0.0;
            let mut right_sq = 0.0;
            for (l, t) in self.left[1..].iter().zip(&total[1..]) {
                left_sq += l * l;
                let r = t - l;
                right_sq += r * r;
            }
            let score = if gini {
                // scikit-learn's Gini proxy, to the operation, so that its ties are ours.
                let gini_left = 1.0 - left_sq / (n_left * n_left);
                let gini_right = 1.0 - right_sq / (n_right * n_right);
                -n_right * gini_right - n_left * gini_left
            } else {
                left_sq / n_left + right_sq / n_right
            };
            if best.is_none_or(|(_, _, s)| score > s) {
                best = Some((bin, next, score));
            }
        }
        best
    }
}

/// Any cut from bin `left` up to (not including) bin `right`, the neighbouring non-empty bins of a
/// node, splits its rows the same way; like scikit-learn, take the one nearest the middle of the gap,
/// so that unseen values between the two sides go to the nearer one.
fn middle_cut(edges: &[f64], left: usize, right: usize) -> usize {
    let (lo, hi) = (left, right - 1);
    if lo >= hi {
        return left;
    }
    let middle = edges[lo] + (edges[hi] - edges[lo]) / 2.0;
    let mut best = lo;
    for t in lo..=hi {
        if (edges[t] - middle).abs() < (edges[best] - middle).abs() {
            best = t;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::tests::params;
    use super::*;

    #[test]
    fn a_full_tree_fits_xor_exactly() {
        let x = Array2::from_shape_vec(
            (8, 2),
            vec![0., 0., 0., 1., 1., 0., 1., 1., 0., 0., 0., 1., 1., 0., 1., 1.],
        )
        .unwrap();
        let y = [0, 1, 1, 0, 0, 1, 1, 0];
        let model =
            fit_ensemble(&x, TreeTarget::Classes(&y, 2), params(2), 1, false, 1, &mut Progress::none())
                .unwrap();
        let mut bins = Vec::new();
        let mut out = [0.0; 2];
        for (i, &label) in y.iter().enumerate() {
            model.proba_row(&[x[[i, 0]], x[[i, 1]]], &mut bins, &mut out);
            assert_eq!(out[label], 1.0);
        }
        assert_eq!(model.trees[0].depth(), 2);
    }

    #[test]
    fn depth_and_leaf_size_limits_hold_and_regression_leaves_average() {
        let n = 200;
        let x = Array2::from_shape_vec((n, 1), (0..n).map(|i| i as f64).collect()).unwrap();
        let y: Vec<f64> = (0..n).map(|i| (i / 50) as f64).collect();
        let limited = GrowParams { max_depth: Some(2), min_samples_leaf: 10, ..params(1) };
        let model =
            fit_ensemble(&x, TreeTarget::Values(&y), limited, 1, false, 3, &mut Progress::none()).unwrap();
        assert_eq!(model.trees[0].depth(), 2);
        let mut bins = Vec::new();
        assert_eq!(model.value_row(&[10.0], &mut bins), 0.0);
        assert_eq!(model.value_row(&[199.0], &mut bins), 3.0);
    }

    #[test]
    fn forests_are_seeded() {
        let n = 300;
        let x =
            Array2::from_shape_vec((n, 2), (0..2 * n).map(|i| ((i * 7919) % 101) as f64).collect()).unwrap();
        let y: Vec<usize> = (0..n).map(|i| usize::from(x[[i, 0]] + x[[i, 1]] > 100.0)).collect();
        let fit = |seed| {
            fit_ensemble(&x, TreeTarget::Classes(&y, 2), params(1), 10, true, seed, &mut Progress::none())
                .unwrap()
        };
        assert_eq!(fit(5), fit(5));
        assert_ne!(fit(5), fit(6));
    }
}
