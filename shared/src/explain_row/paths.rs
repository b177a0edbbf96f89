//! Decision paths: the Saabas contributions of a classifier's trees, as `treeinterpreter` computes
//! them from scikit-learn's node values.
//!
//! A node's value is the share of the explained class among the training rows that reached it, so
//! it needs the class counts of every leaf below it. Growing numbers a tree's leaves left to right
//! (depth first, left subtree first: `grow.rs`), so the leaves below a node are a run, from its
//! leftmost leaf to its rightmost: with running totals over the leaves, taken in one pass, a node's
//! counts are one subtraction, and walking down a path visits no other node. Decoding does not check
//! the numbering: a hand-made tree numbered otherwise gets amounts that mean nothing (or are not
//! numbers), but every read stays inside the tree.

use crate::models::{Tree, TreeEnsemble};
use std::ops::Range;

/// The explained class's mean share at the trees' roots and each prepared feature's contribution to
/// its probability for `row`: the mean over trees of the changes in share at the splits on the row's
/// path, credited to each split's feature. The root share plus every contribution is the mean of the
/// leaf shares, the predicted probability.
pub(super) fn decision_paths(ensemble: &TreeEnsemble, row: &[f64], class: usize) -> (f64, Vec<f64>) {
    let k = ensemble.n_classes;
    let share = |(rows, of_class): (u64, u64)| of_class as f64 / rows as f64;
    let mut terms = vec![0.0; row.len()];
    let mut base = 0.0;
    let mut running = Vec::new();
    for tree in &ensemble.trees {
        running_totals(tree, k, class, &mut running);
        let count = |leaves: Range<usize>| match (running.get(leaves.start), running.get(leaves.end)) {
            (Some(&(rows, of_class)), Some(&(end_rows, end_of_class))) if leaves.start <= leaves.end => {
                (end_rows - rows, end_of_class - of_class)
            }
            _ => (0, 0),
        };
        let mut at = 0;
        let mut leaves = edge_leaf(tree, 0, false)..edge_leaf(tree, 0, true) + 1;
        let mut here = share(count(leaves.clone()));
        base += here;
        while !tree.nodes[at].is_leaf() {
            let node = tree.nodes[at];
            let feature = node.feature as usize;
            // As prediction decides: right when the value is above the split's bin edge.
            let right = row[feature] > ensemble.binner.edges[feature][node.bin as usize];
            at = node.child as usize + usize::from(right);
            let split = edge_leaf(tree, node.child as usize, true) + 1;
            leaves = if right { split..leaves.end } else { leaves.start..split };
            if tree.nodes[at].is_leaf() {
                let leaf = tree.nodes[at].child as usize;
                leaves = leaf..leaf + 1;
            }
            let next = share(count(leaves.clone()));
            terms[feature] += next - here;
            here = next;
        }
    }
    let n = ensemble.trees.len() as f64;
    terms.iter_mut().for_each(|t| *t /= n);
    (base / n, terms)
}

/// The leaf value index of the leftmost (or, with `rightmost`, the rightmost) leaf below `node`.
fn edge_leaf(tree: &Tree, mut node: usize, rightmost: bool) -> usize {
    while !tree.nodes[node].is_leaf() {
        node = tree.nodes[node].child as usize + usize::from(rightmost);
    }
    tree.nodes[node].child as usize
}

/// Into `out`, for each leaf value index `i` and one past the last, the training rows in the leaves
/// before `i` and those of `class`.
fn running_totals(tree: &Tree, k: usize, class: usize, out: &mut Vec<(u64, u64)>) {
    out.clear();
    let (mut rows, mut of_class) = (0u64, 0u64);
    out.push((rows, of_class));
    for leaf in tree.counts.chunks_exact(k) {
        rows += leaf.iter().map(|&c| u64::from(c)).sum::<u64>();
        of_class += u64::from(leaf[class]);
        out.push((rows, of_class));
    }
}
