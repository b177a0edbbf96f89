//! Decision trees and random forests with a histogram split search.
//!
//! Each feature is cut once, on the training rows, into at most 256 bins: one bin per distinct value
//! when there are at most 256 of them (then the search is exact, with thresholds halfway between
//! neighbouring values as scikit-learn puts them), otherwise bins of equal training counts. A node
//! finds its best split by counting its rows per bin, or, for a node with fewer rows than bins, by
//! sorting them by bin; either way it never sorts raw values, which is what makes the forest several
//! times faster than an exact search. Splits minimise Gini impurity (classification) or squared
//! error (regression); rows with a bin at or below the split bin go left.
//!
//! A fitted tree stores per node the feature, the split bin and the child index in flat arrays, and
//! the bin edges once per model, which keeps the model bundle small.
//!
//! Nodes are eight bytes. Batch prediction walks tree by tree, eight rows in step, so their chains
//! of node loads overlap.

use super::{Cancelled, Progress};
use crate::rng::SplitMix64;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The most bins per feature.
pub const MAX_BINS: usize = 256;
const LEAF: u16 = u16::MAX;
/// From this many trees on, a row is binned once and every tree compares bins; below it, trees compare
/// raw values with the edges (binning all features would cost more than the few comparisons saved).
const BIN_FIRST: usize = 4;

/// Halfway between `lo` and `hi`, as scikit-learn puts a threshold; for values so far apart that
/// their difference overflows (±1.7e308), from their halves, so the threshold stays finite.
fn midpoint(lo: f64, hi: f64) -> f64 {
    let middle = lo + (hi - lo) / 2.0;
    if middle.is_finite() {
        middle
    } else {
        lo / 2.0 + hi / 2.0
    }
}

/// Per feature, the thresholds between bins learned on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binner {
    /// `edges[f]` ascending; a value `v` falls in bin `#{e in edges[f] : e < v}`.
    pub edges: Vec<Vec<f64>>,
}

impl Binner {
    /// Learns the bins of every column of `x`.
    pub fn fit(x: &Array2<f64>) -> Self {
        let (n, p) = x.dim();
        let data = x.as_slice().expect("standard layout");
        let mut edges = Vec::with_capacity(p);
        let mut values = Vec::with_capacity(n);
        for f in 0..p {
            values.clear();
            values.extend((0..n).map(|i| data[i * p + f]));
            crate::math::sort_floats(&mut values);
            let mut distinct = values.clone();
            distinct.dedup();
            let cuts: Vec<f64> = if distinct.len() <= MAX_BINS {
                distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect()
            } else {
                let mut cuts = Vec::with_capacity(MAX_BINS - 1);
                for b in 1..MAX_BINS {
                    let k = b * n / MAX_BINS;
                    let (lo, hi) = (values[k - 1], values[k]);
                    if lo < hi {
                        let cut = midpoint(lo, hi);
                        if cuts.last().is_none_or(|&last| last < cut) {
                            cuts.push(cut);
                        }
                    }
                }
                cuts
            };
            edges.push(cuts);
        }
        Self { edges }
    }

    /// The bin of value `v` of feature `f`.
    pub fn bin(&self, f: usize, v: f64) -> u8 {
        self.edges[f].partition_point(|&e| e < v) as u8
    }

    /// `x` as bins, column-major (feature `f` of row `i` at `f · n + i`).
    fn transform(&self, x: &Array2<f64>) -> Vec<u8> {
        let (n, p) = x.dim();
        let data = x.as_slice().expect("standard layout");
        let mut out = vec![0u8; n * p];
        for f in 0..p {
            for i in 0..n {
                out[f * n + i] = self.bin(f, data[i * p + f]);
            }
        }
        out
    }

    /// The bins of one row.
    fn row(&self, row: &[f64], out: &mut Vec<u8>) {
        out.clear();
        out.extend(row.iter().enumerate().map(|(f, &v)| self.bin(f, v)));
    }
}

/// One node: a split (feature, bin, left child; the right child follows the left) or a leaf
/// (feature `u16::MAX`, `child` the index of its value). Eight bytes, so a path through a tree
/// touches one cache line per node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The split feature, or `u16::MAX` for a leaf.
    pub feature: u16,
    /// Rows with a bin at or below this go left.
    pub bin: u8,
    /// The left child of a split; the value index of a leaf.
    pub child: u32,
    /// The split's threshold on raw values (`edges[feature][bin]`), kept beside the node so a walk
    /// on raw values reads one cache line per node. Not stored in bundles: rebuilt from the edges.
    #[serde(skip)]
    pub threshold: f64,
}

/// How many rows walk a tree together in batch prediction.
const WALK_LANES: usize = 8;

/// One fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes, root first.
    pub nodes: Vec<Node>,
    /// Classification: the training rows of each class per leaf, `n_classes` per leaf. Empty for
    /// regression.
    pub counts: Vec<u32>,
    /// Regression: the mean training target per leaf. Empty for classification.
    pub means: Vec<f64>,
}

impl Tree {
    /// The leaf a row ends in, `go_right` deciding at each split; returns the leaf's value index.
    #[inline]
    fn walk(&self, go_right: impl Fn(&Node) -> bool) -> usize {
        let mut node = self.nodes[0];
        while node.feature != LEAF {
            node = self.nodes[node.child as usize + usize::from(go_right(&node))];
        }
        node.child as usize
    }

    /// Appends the leaf of rows `0..n` to `out`. Rows walk [`WALK_LANES`] at a time, in step: one
    /// row's walk is a chain of dependent loads, and several independent chains let the processor
    /// overlap them instead of waiting on each in turn.
    fn leaves(&self, n: usize, out: &mut Vec<u32>, go_right: impl Fn(usize, &Node) -> bool) {
        let mut start = 0;
        while start + WALK_LANES <= n {
            let mut at = [0u32; WALK_LANES];
            loop {
                let mut moved = false;
                for (lane, at) in at.iter_mut().enumerate() {
                    let node = &self.nodes[*at as usize];
                    if node.feature != LEAF {
                        *at = node.child + u32::from(go_right(start + lane, node));
                        moved = true;
                    }
                }
                if !moved {
                    break;
                }
            }
            out.extend(at.iter().map(|&a| self.nodes[a as usize].child));
            start += WALK_LANES;
        }
        for i in start..n {
            out.push(self.walk(|node| go_right(i, node)) as u32);
        }
    }

    /// The leaf of a binned row.
    fn leaf_of(&self, bins: &[u8]) -> usize {
        self.walk(|node| bins[node.feature as usize] > node.bin)
    }

    /// The leaf a raw (unbinned) row falls in, comparing with each split's threshold: cheaper than
    /// binning every feature when only a few trees are asked.
    fn leaf_of_raw(&self, row: &[f64]) -> usize {
        self.walk(|node| row[node.feature as usize] > node.threshold)
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has no nodes (never true for a fitted tree).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The depth of the deepest leaf (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(0usize, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if self.nodes[node].feature == LEAF {
                deepest = deepest.max(depth);
            } else {
                let left = self.nodes[node].child as usize;
                stack.push((left, depth + 1));
                stack.push((left + 1, depth + 1));
            }
        }
        deepest
    }
}

/// One tree or a forest of them, with the bins they share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEnsemble {
    /// The bin edges.
    pub binner: Binner,
    /// The trees (one for a decision tree).
    pub trees: Vec<Tree>,
    /// Classes for a classifier, 0 for a regressor.
    pub n_classes: usize,
}

impl TreeEnsemble {
    /// Class probabilities of one row: the mean over trees of each leaf's class shares.
    pub(crate) fn proba_row(&self, row: &[f64], bins: &mut Vec<u8>, out: &mut [f64]) {
        let binned = self.trees.len() >= BIN_FIRST;
        if binned {
            self.binner.row(row, bins);
        }
        out.fill(0.0);
        let k = self.n_classes;
        for tree in &self.trees {
            let leaf = if binned { tree.leaf_of(bins) } else { tree.leaf_of_raw(row) };
            let counts = &tree.counts[leaf * k..(leaf + 1) * k];
            let total: u32 = counts.iter().sum();
            for (o, &c) in out.iter_mut().zip(counts) {
                *o += f64::from(c) / f64::from(total);
            }
        }
        let n = self.trees.len() as f64;
        for o in out.iter_mut() {
            *o /= n;
        }
    }

    /// The predicted value of one row: the mean over trees of each leaf's mean.
    pub(crate) fn value_row(&self, row: &[f64], bins: &mut Vec<u8>) -> f64 {
        let sum: f64 = if self.trees.len() >= BIN_FIRST {
            self.binner.row(row, bins);
            self.trees.iter().map(|t| t.means[t.leaf_of(bins)]).sum()
        } else {
            self.trees.iter().map(|t| t.means[t.leaf_of_raw(row)]).sum()
        };
        sum / self.trees.len() as f64
    }
}

impl TreeEnsemble {
    /// Rebuilds every split's raw threshold from the bin edges (after reading a bundle).
    /// [`super::Estimator::check`] for trees: bins for every feature; in each tree, every split's
    /// children after it (so a walk always ends), its feature and bin known, every leaf's value there.
    pub(crate) fn check(&self, width: usize, classes: usize) -> Result<(), String> {
        if self.binner.edges.len() != width || self.n_classes != classes || self.trees.is_empty() {
            return Err("bins for every feature, as many classes as the task, and a tree".into());
        }
        for (t, tree) in self.trees.iter().enumerate() {
            let leaves = if classes > 0 {
                (tree.counts.len() % classes == 0).then(|| tree.counts.len() / classes)
            } else {
                Some(tree.means.len())
            };
            let leaves = leaves.ok_or_else(|| format!("tree {t}: class counts in whole leaves"))?;
            if tree.nodes.is_empty() {
                return Err(format!("tree {t}: no nodes"));
            }
            for (i, node) in tree.nodes.iter().enumerate() {
                let fits = if node.feature == LEAF {
                    (node.child as usize) < leaves
                } else {
                    let child = node.child as usize;
                    let feature = node.feature as usize;
                    child > i
                        && child + 1 < tree.nodes.len()
                        && feature < width
                        && (node.bin as usize) < self.binner.edges[feature].len()
                };
                if !fits {
                    return Err(format!("tree {t}, node {i}: a split or leaf that points outside the tree"));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn restore_thresholds(&mut self) {
        for tree in &mut self.trees {
            for node in &mut tree.nodes {
                if node.feature != LEAF {
                    node.threshold = self.binner.edges[node.feature as usize][node.bin as usize];
                }
            }
        }
    }

    /// Class probabilities of many rows (`data` row-major, `p` features) into `out` (row-major,
    /// `n_classes` per row), tree by tree so that each tree stays in cache while every row walks it.
    pub(crate) fn proba_batch(&self, data: &[f64], p: usize, out: &mut [f64]) {
        let k = self.n_classes;
        let n = out.len() / k.max(1);
        out.fill(0.0);
        let bins = self.bin_rows(data, p, n);
        let mut leaves = Vec::with_capacity(n);
        for tree in &self.trees {
            let fractions: Vec<f64> = tree
                .counts
                .chunks_exact(k)
                .flat_map(|counts| {
                    let total = f64::from(counts.iter().sum::<u32>());
                    counts.iter().map(move |&c| f64::from(c) / total)
                })
                .collect();
            let leaves = Self::leaves_in_batch(tree, bins.as_deref(), data, p, n, &mut leaves);
            for (slot, &leaf) in out.chunks_exact_mut(k).zip(leaves) {
                let leaf = leaf as usize;
                for (o, f) in slot.iter_mut().zip(&fractions[leaf * k..(leaf + 1) * k]) {
                    *o += f;
                }
            }
        }
        let trees = self.trees.len() as f64;
        out.iter_mut().for_each(|o| *o /= trees);
    }

    /// Predicted values of many rows, tree by tree (see [`TreeEnsemble::proba_batch`]).
    pub(crate) fn values_batch(&self, data: &[f64], p: usize, out: &mut [f64]) {
        let n = out.len();
        out.fill(0.0);
        let bins = self.bin_rows(data, p, n);
        let mut leaves = Vec::with_capacity(n);
        for tree in &self.trees {
            let leaves = Self::leaves_in_batch(tree, bins.as_deref(), data, p, n, &mut leaves);
            for (o, &leaf) in out.iter_mut().zip(leaves) {
                *o += tree.means[leaf as usize];
            }
        }
        let trees = self.trees.len() as f64;
        out.iter_mut().for_each(|o| *o /= trees);
    }

    /// The leaf of each of the `n` rows of a batch (by its bins when the batch was binned, else by raw
    /// values), written into `leaves`.
    fn leaves_in_batch<'a>(
        tree: &Tree,
        bins: Option<&[u8]>,
        data: &[f64],
        p: usize,
        n: usize,
        leaves: &'a mut Vec<u32>,
    ) -> &'a [u32] {
        leaves.clear();
        match bins {
            Some(bins) => tree.leaves(n, leaves, |i, node| bins[i * p + node.feature as usize] > node.bin),
            None => tree.leaves(n, leaves, |i, node| data[i * p + node.feature as usize] > node.threshold),
        }
        leaves
    }

    /// Every row's bins, row-major, when there are enough trees to make binning pay.
    fn bin_rows(&self, data: &[f64], p: usize, n: usize) -> Option<Vec<u8>> {
        (self.trees.len() >= BIN_FIRST).then(|| {
            let mut bins = Vec::with_capacity(n * p);
            for row in data.chunks_exact(p.max(1)).take(n) {
                bins.extend(row.iter().enumerate().map(|(f, &v)| self.binner.bin(f, v)));
            }
            bins
        })
    }
}

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
pub(crate) struct TreeParams {
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
    params: TreeParams,
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
    params: TreeParams,
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
        params: TreeParams,
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
    use super::*;

    fn params(max_features: usize) -> TreeParams {
        TreeParams { max_depth: None, min_samples_split: 2, min_samples_leaf: 1, max_features }
    }

    #[test]
    fn few_distinct_values_get_midpoint_thresholds() {
        let x = Array2::from_shape_vec((4, 1), vec![1.0, 3.0, 3.0, 7.0]).unwrap();
        let binner = Binner::fit(&x);
        assert_eq!(binner.edges[0], vec![2.0, 5.0]);
        assert_eq!((binner.bin(0, 2.0), binner.bin(0, 2.5), binner.bin(0, 100.0)), (0, 1, 2));
    }

    #[test]
    fn many_distinct_values_get_at_most_256_bins_of_similar_counts() {
        let x =
            Array2::from_shape_vec((10_000, 1), (0..10_000).map(|i| f64::from(i) * 0.5).collect()).unwrap();
        let binner = Binner::fit(&x);
        assert_eq!(binner.edges[0].len(), MAX_BINS - 1);
        let mut counts = vec![0usize; MAX_BINS];
        for v in x.iter() {
            counts[binner.bin(0, *v) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (38..=40).contains(&c)), "{counts:?}");
    }

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
        let limited = TreeParams { max_depth: Some(2), min_samples_leaf: 10, ..params(1) };
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

    #[test]
    fn batch_walks_in_lanes_agree_with_one_row_walks() {
        // 203 rows: 25 full blocks of lanes and a remainder of 3; one tree walks raw values, ten
        // trees walk bins, classification and regression.
        let n = 203;
        let x =
            Array2::from_shape_vec((n, 3), (0..3 * n).map(|i| ((i * 7919) % 103) as f64 * 0.37).collect())
                .unwrap();
        let classes: Vec<usize> =
            (0..n).map(|i| usize::from(x[[i, 0]] > x[[i, 1]] + x[[i, 2]] * 0.3)).collect();
        let values: Vec<f64> = (0..n).map(|i| x[[i, 0]] - 2.0 * x[[i, 2]]).collect();
        let data = x.as_slice().unwrap();
        let mut bins = Vec::new();
        for trees in [1, 10] {
            let classifier = fit_ensemble(
                &x,
                TreeTarget::Classes(&classes, 2),
                params(2),
                trees,
                trees > 1,
                3,
                &mut Progress::none(),
            )
            .unwrap();
            let mut batch = vec![0.0; n * 2];
            classifier.proba_batch(data, 3, &mut batch);
            let mut one = [0.0; 2];
            for i in 0..n {
                classifier.proba_row(&data[i * 3..(i + 1) * 3], &mut bins, &mut one);
                assert_eq!(batch[i * 2..i * 2 + 2], one, "row {i}, {trees} trees");
            }
            let regressor = fit_ensemble(
                &x,
                TreeTarget::Values(&values),
                params(2),
                trees,
                trees > 1,
                3,
                &mut Progress::none(),
            )
            .unwrap();
            let mut batch = vec![0.0; n];
            regressor.values_batch(data, 3, &mut batch);
            for (i, value) in batch.iter().enumerate() {
                assert_eq!(*value, regressor.value_row(&data[i * 3..(i + 1) * 3], &mut bins), "row {i}");
            }
        }
    }
}
