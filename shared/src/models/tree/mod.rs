//! Decision trees and random forests: an exact split search for a single tree on up to 100,000
//! rows, a histogram split search for forests and larger data.
//!
//! A single tree on learner-sized data (`exact.rs`) splits as scikit-learn's best splitter does:
//! every boundary between a node's sorted neighbouring values, the threshold at their midpoint.
//!
//! For the histogram, each feature is cut once, on the training rows, into at most 256 bins: one bin per distinct value
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
//!
//! Here are the types a bundle stores and their check; `binning.rs` cuts features into bins,
//! `grow.rs` grows trees on the bins (or, for `exact.rs`, on each value's rank among the feature's
//! distinct values), `predict.rs` walks them for one row or a batch.

mod binning;
mod exact;
mod grow;
mod predict;

pub use binning::Binner;
pub(super) use exact::fit_tree;
pub(super) use grow::{fit_ensemble, GrowParams, TreeTarget};
use serde::{Deserialize, Serialize};

/// The most bins per feature.
pub const MAX_BINS: usize = 256;
const LEAF: u16 = u16::MAX;

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

impl Node {
    /// Whether this node is a leaf (else a split).
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }
}

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

    /// Rebuilds every split's raw threshold from the bin edges (after reading a bundle).
    pub(crate) fn restore_thresholds(&mut self) {
        for tree in &mut self.trees {
            for node in &mut tree.nodes {
                if node.feature != LEAF {
                    node.threshold = self.binner.edges[node.feature as usize][node.bin as usize];
                }
            }
        }
    }
}

/// Helpers the submodules' tests share.
#[cfg(test)]
mod tests {
    use super::GrowParams;

    pub(super) fn params(max_features: usize) -> GrowParams {
        GrowParams { max_depth: None, min_samples_split: 2, min_samples_leaf: 1, max_features }
    }
}
