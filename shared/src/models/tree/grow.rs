//! Growing trees: the histogram split search on binned rows, one tree or a bootstrapped forest.

use super::{Binner, Node, Tree, TreeEnsemble, LEAF, MAX_BINS};
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
    let mut builder = Builder::new(&binned, n, &n_bins, &binner.edges, target, params);
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

struct Builder<'a> {
    binned: &'a [u8],
    n: usize,
    n_bins: &'a [usize],
    edges: &'a [Vec<f64>],
    target: TreeTarget<'a>,
    params: GrowParams,
    /// Per bin: row count, then class counts or the target sum (`stride` values per bin).
    hist: Vec<f64>,
    stride: usize,
    /// Non-empty bins of the feature being searched: bin, then `stride` statistics.
    groups: Vec<(u8, usize)>,
    group_stats: Vec<f64>,
    pairs: Vec<(u8, u32)>,
    left: Vec<f64>,
    node_stats: Vec<f64>,
}

struct Best {
    feature: usize,
    bin: u8,
    score: f64,
}

impl<'a> Builder<'a> {
    fn new(
        binned: &'a [u8],
        n: usize,
        n_bins: &'a [usize],
        edges: &'a [Vec<f64>],
        target: TreeTarget<'a>,
        params: GrowParams,
    ) -> Self {
        let stride = match target {
            TreeTarget::Classes(_, k) => 1 + k,
            TreeTarget::Values(_) => 2,
        };
        Self {
            binned,
            n,
            n_bins,
            edges,
            target,
            params,
            hist: vec![0.0; MAX_BINS * stride],
            stride,
            groups: Vec::new(),
            group_stats: Vec::new(),
            pairs: Vec::new(),
            left: vec![0.0; stride],
            node_stats: vec![0.0; stride],
        }
    }

    fn build(&mut self, samples: &mut [u32], seed: u64) -> Tree {
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
                        if column[rows[i] as usize] <= best.bin {
                            i += 1;
                        } else {
                            j -= 1;
                            rows.swap(i, j);
                        }
                    }
                    let left = tree.nodes.len();
                    tree.nodes[node] = Node {
                        feature: best.feature as u16,
                        bin: best.bin,
                        child: left as u32,
                        threshold: self.edges[best.feature][best.bin as usize],
                    };
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

    fn best_split(&mut self, rows: &[u32], features: &mut [usize], rng: &mut SplitMix64) -> Option<Best> {
        let p = features.len();
        let mut best: Option<Best> = None;
        let mut tried = 0;
        for i in 0..p {
            if tried >= self.params.max_features {
                break;
            }
            let j = i + rng.below(p - i);
            features.swap(i, j);
            let f = features[i];
            self.collect_groups(rows, f);
            if self.groups.len() < 2 {
                continue; // constant in this node: does not count as tried, as in scikit-learn
            }
            tried += 1;
            if let Some((left, right, score)) = self.scan() {
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(Best { feature: f, bin: self.middle_cut(f, left, right), score });
                }
            }
        }
        best
    }

    /// Groups `rows` by their bin of feature `f` into `groups` / `group_stats`, in bin order.
    fn collect_groups(&mut self, rows: &[u32], f: usize) {
        let column = &self.binned[f * self.n..(f + 1) * self.n];
        let stride = self.stride;
        self.groups.clear();
        self.group_stats.clear();
        if rows.len() * 2 >= self.n_bins[f] {
            let hist = &mut self.hist[..self.n_bins[f] * stride];
            match self.target {
                TreeTarget::Classes(y, _) => {
                    for &r in rows {
                        let b = column[r as usize] as usize * stride;
                        hist[b] += 1.0;
                        hist[b + 1 + y[r as usize]] += 1.0;
                    }
                }
                TreeTarget::Values(y) => {
                    for &r in rows {
                        let b = column[r as usize] as usize * stride;
                        hist[b] += 1.0;
                        hist[b + 1] += y[r as usize];
                    }
                }
            }
            for (bin, stats) in hist.chunks_exact_mut(stride).enumerate() {
                if stats[0] > 0.0 {
                    self.groups.push((bin as u8, self.group_stats.len()));
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

    /// Any cut from bin `left` up to (not including) bin `right`, the neighbouring non-empty bins of
    /// this node, splits its rows the same way; like scikit-learn, take the one nearest the middle of
    /// the gap, so that unseen values between the two sides go to the nearer one.
    fn middle_cut(&self, feature: usize, left: u8, right: u8) -> u8 {
        let edges = &self.edges[feature];
        let (lo, hi) = (left as usize, right as usize - 1);
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
        best as u8
    }

    /// The best boundary between consecutive groups: the last bin on the left, the first on the right,
    /// and its score (larger is better: the weighted impurity, up to a constant, with the sign flipped).
    fn scan(&mut self) -> Option<(u8, u8, f64)> {
        let stride = self.stride;
        let total = &self.node_stats;
        let n = total[0];
        let min_leaf = self.params.min_samples_leaf as f64;
        self.left.fill(0.0);
        let mut best: Option<(u8, u8, f64)> = None;
        for g in 0..self.groups.len() - 1 {
            let (bin, offset) = self.groups[g];
            for (l, s) in self.left.iter_mut().zip(&self.group_stats[offset..offset + stride]) {
                *l += s;
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
            let score = left_sq / n_left + right_sq / n_right;
            if best.is_none_or(|(_, _, s)| score > s) {
                best = Some((bin, self.groups[g + 1].0, score));
            }
        }
        best
    }
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
